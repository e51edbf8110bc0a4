"""One figure style for the project and one way to save a figure.

Every saved figure carries a title (set by the caller; :func:`save_figure` refuses a figure without one), axis
labels with units (the caller's job, e.g. ``"persons per month"``), a source line under the plot and — when it
shows simulated data — a SYNTHETIC banner above the plot plus a faint SYNTHETIC watermark inside every axes, so a
cropped panel still says what it is.

Figures are written as PNG (for the HTML report) and SVG (for print) with deterministic bytes: no timestamps, no
software/version metadata, fixed SVG element ids (``svg.hashsalt``) and the same style whichever rcParams the caller
had set. A JSON sidecar records name, title, caption, source, the synthetic / restricted flags, the structured fields
the caption is rendered from (``what``, ``series``, ``period``, ``n``, ``model``, ``interval``, ``caveat``; see
:func:`render_caption`), the colour of every labelled mark (``colours``) and the colour-vision check of those colours
(``colour_check``, :mod:`tppo_analysis.output._colour`). Before saving, internal series keys and measure codes in any
text of the figure are replaced by their plain labels (:func:`tppo_analysis.record.summary.series_label`), so no
code reaches a reader.

The palette is Okabe & Ito (2008) colours in an order that stays distinguishable under deuteranopia, protanopia and
tritanopia (>= 15 ΔE in CAM02-UCS); line styles are cycled with it so series never rely on colour alone. Ordered
categories take :func:`sequential_colours`; time axes take :func:`time_axis` (closures, events, no-data spans) and
log axes :func:`plain_log_axis`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib as mpl
from matplotlib.figure import Figure

from .. import paths
from ..errors import FigureError
from ..record._figure_style import (  # noqa: F401  (_RC: read by tests of tppo.setup)
    _RC,
    _SAVE_RC,
    apply_style,
    new_figure,
    style_context,
)
from ._axes import FIGURE_EVENTS, coverage_gaps, plain_log_axis, time_axis
from ._colour import (
    CONTEXT_FILL,
    DELTA_E_SPACE,
    EVENT_COLOUR,
    MIN_DELTA_E,
    NO_DATA_COLOUR,
    PALETTE,
    STATUS_COLOURS,
    colour_distances,
    colour_vision_check,
    sequential_colours,
)
from ._context_plots import plot_event_timeline, plot_rates, plot_scam_wave
from ._marks import plain_text, series_colours

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "PALETTE",
    "STATUS_COLOURS",
    "CONTEXT_FILL",
    "EVENT_COLOUR",
    "NO_DATA_COLOUR",
    "MIN_DELTA_E",
    "DELTA_E_SPACE",
    "FIGURE_EVENTS",
    "REQUIRED_FIELDS",
    "colour_distances",
    "colour_vision_check",
    "sequential_colours",
    "power_curves",
    "plain_log_axis",
    "time_axis",
    "coverage_gaps",
    "render_caption",
    "plot_event_timeline",
    "plot_scam_wave",
    "plot_rates",
    "series_colours",
    "plain_text",
    "SYNTHETIC_LABEL",
    "FigureError",
    "SavedFigure",
    "apply_style",
    "new_figure",
    "save_figure",
    "mark_synthetic",
    "style_context",
]

#: Structured sidecar fields a caption is rendered from (docs/CONTRACTS.md §4).
REQUIRED_FIELDS = ("series", "period", "n", "interval")

#: Text of the synthetic banner; also searched for by tests and the report.
SYNTHETIC_LABEL = "SYNTHETIC DATA — simulated, not findings"

_SYNTHETIC_COLOUR = "#D55E00"  # vermillion from the palette: readable on white for all common deficiencies
_SOURCE_COLOUR = "#333333"
_GID_SOURCE = "tppo-source-line"
_GID_BANNER = "tppo-synthetic-banner"
_GID_WATERMARK = "tppo-synthetic-watermark"


class SavedFigure(type(Path())):  # type: ignore[misc]  # the base is the platform's concrete Path class
    """The saved PNG's path; its repr names the figure without the folder.

    A notebook cell ending in ``save_figure(...)`` displays this repr, so the committed output holds no absolute
    path and is the same on every machine and for restricted-data runs.
    """

    def __repr__(self) -> str:
        """Name the saved figure and its three files."""
        return f"saved figure {self.stem} (.png, .svg, .json)"

    def _repr_pretty_(self, printer, cycle) -> None:  # IPython display
        printer.text(repr(self))


def _remove_stamps(fig: Figure) -> None:
    for artist in list(fig.texts):
        if artist.get_gid() in (_GID_SOURCE, _GID_BANNER):
            artist.remove()
    for ax in fig.axes:
        for artist in list(ax.texts):
            if artist.get_gid() == _GID_WATERMARK:
                artist.remove()


def _content_bbox(fig: Figure):
    """Bounding box of everything drawn so far, in figure-fraction coordinates."""
    bbox = fig.get_tightbbox()  # inches; works with any canvas (Agg, inline, a bare Figure)
    w, h = fig.get_size_inches()
    return bbox.x0 / w, bbox.y0 / h, bbox.x1 / w, bbox.y1 / h


def mark_synthetic(fig: Figure) -> None:
    """Stamp the figure as SYNTHETIC: a banner above everything drawn and a faint watermark inside each axes.

    The banner is placed above the current content (titles included), so it never covers the title or data; the
    saved image is cropped with ``bbox_inches="tight"`` and therefore grows to include it.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure, stamped in place.
    """
    for ax in fig.axes:
        if not ax.get_visible() or not ax.axison:
            continue
        ax.text(
            0.5,
            0.5,
            "SYNTHETIC",
            transform=ax.transAxes,
            ha="center",
            va="center",
            rotation=20,
            fontsize=34,
            fontweight="bold",
            color=_SYNTHETIC_COLOUR,
            alpha=0.10,
            zorder=0,
            gid=_GID_WATERMARK,
        )
    x0, _, _, y1 = _content_bbox(fig)
    fig.text(
        max(x0, 0.0) + 0.005,
        y1 + 0.02,
        SYNTHETIC_LABEL,
        ha="left",
        va="bottom",
        fontsize=11,
        fontweight="bold",
        color="white",
        gid=_GID_BANNER,
        bbox={"boxstyle": "square,pad=0.35", "facecolor": _SYNTHETIC_COLOUR, "edgecolor": _SYNTHETIC_COLOUR},
    )


def _has_title(fig: Figure) -> bool:
    suptitle = fig.get_suptitle()
    if suptitle and suptitle.strip():
        return True
    return any(ax.get_title(loc=loc).strip() for ax in fig.axes for loc in ("center", "left", "right"))


def render_caption(
    *,
    what: str,
    series: Sequence[str] | str,
    period: str,
    n: str | int,
    interval: str,
    model: str | None = None,
    caveat: str | None = None,
) -> str:
    """Write the figure caption from the structured fields, so a card reads without the notebook.

    Parameters
    ----------
    what : str
        What is shown.
    series : str or sequence of str
        Plain labels of the series (where).
    period : str
        When.
    n : str or int
        How many windows, figures or replications.
    interval : str
        The interval's type and level, or "none".
    model : str, optional
        The model (None: reported figures as published).
    caveat : str, optional
        What not to read into the figure.

    Returns
    -------
    str
        The caption.
    """
    names = [series] if isinstance(series, str) else list(series)
    parts = [str(what).strip().rstrip(".") + "."]
    parts.append(f"Series: {'; '.join(map(str, names))}. Period: {str(period).strip()}. n = {str(n).strip()}.")
    parts.append(
        f"Model: {str(model).strip().rstrip('.')}." if model else "Model: none (reported figures as published)."
    )
    parts.append(f"Intervals: {str(interval).strip().rstrip('.')}.")
    if caveat:
        parts.append(f"Not to be read as: {str(caveat).strip().rstrip('.')}.")
    return " ".join(parts)


def save_figure(
    fig: Figure,
    name: str,
    *,
    source: str,
    caption: str | None = None,
    what: str | None = None,
    series: Sequence[str] | str | None = None,
    period: str | None = None,
    n: str | int | None = None,
    interval: str | None = None,
    model: str | None = None,
    caveat: str | None = None,
    synthetic: bool = False,
    restricted: bool = False,
    colours: Mapping[str, str] | None = None,
    directory: str | Path | None = None,
) -> Path:
    """Save ``fig`` as ``<figures>/<name>.png`` and ``.svg`` plus a ``.json`` sidecar; return the PNG path.

    The returned path is a :class:`SavedFigure` (a ``pathlib.Path``) whose repr carries no folder, so a notebook
    cell ending with this call shows ``saved figure <name> (.png, .svg, .json)``.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        A figure with a title (an axes title or a suptitle) and axis labels that state units.
    name : str
        File stem: ASCII letters, digits, ``_`` and ``-`` (e.g. ``"01_deferrals_monthly"``). The report finds
        the notebook that made the figure by searching notebook sources for this name, so pass it literally.
    source : str
        Printed under the figure as "Source: …" (e.g. "12 public statements, data/public; fitted by …").
    what : str, optional
        What is shown. With the fields below it makes the caption (:func:`render_caption`); all are stored in the
        sidecar (docs/CONTRACTS.md §4), and ``series``, ``period``, ``n`` and ``interval`` are required with it.
    series : str or sequence of str, optional
        Plain labels of the series (:func:`tppo_analysis.record.summary.series_label`).
    period : str, optional
        When.
    n : str or int, optional
        How many windows, figures or replications.
    interval : str, optional
        The interval's type and level, or "none".
    model : str, optional
        The model (None: reported figures as published).
    caveat : str, optional
        What not to read into the figure.
    caption : str, optional
        Only for figures not yet given the structured fields: free text stored as the caption (used as ``what``
        when the fields are given too). A sidecar without the fields is reported by the report and its tests.
        A package function that draws a figure may set ``fig.tppo_fields`` (a dict of the structured fields); the
        fields the caller does not pass are taken from it.
    synthetic : bool
        Must be ``True`` whenever the figure shows simulated data: adds the SYNTHETIC banner and watermark, prefixes
        the source line and sets ``"synthetic": true`` in the sidecar.
    restricted : bool
        ``True`` for a figure drawn from a restricted extract (recorded in the sidecar).
    colours : mapping of str to str, optional
        ``{label: colour}`` of the series when they cannot be read from the labelled marks (default: read them).
    directory : str or Path, optional
        Output folder; default :func:`tppo_analysis.paths.figures_dir` (redirected by the notebooks' parameters).

    Raises
    ------
    FigureError
        No title, no source, a bad name, neither a caption nor the structured fields, or some of the fields missing.

    Saving is idempotent: saving the same figure twice does not stamp it twice, and the same figure gives the same
    bytes in any process.
    """
    if not isinstance(name, str) or not name or not all(c.isascii() and (c.isalnum() or c in "_-") for c in name):
        raise FigureError(f"figure name {name!r}: use ASCII letters, digits, '_' and '-' only")
    if not _has_title(fig):
        raise FigureError(f"figure {name!r} has no title: set ax.set_title(...) or fig.suptitle(...) before saving")
    if not str(source).strip():
        raise FigureError(f"figure {name!r} has no source: say which data (and which model) it shows")
    drawn = dict(getattr(fig, "tppo_fields", None) or {})  # fields set by the package function that drew the figure
    what = what if what is not None else drawn.get("what")
    series = series if series is not None else drawn.get("series")
    period = period if period is not None else drawn.get("period")
    n = n if n is not None else drawn.get("n")
    interval = interval if interval is not None else drawn.get("interval")
    model = model if model is not None else drawn.get("model")
    caveat = caveat if caveat is not None else drawn.get("caveat")
    fields = {"series": series, "period": period, "n": n, "interval": interval}
    structured = what is not None or any(v is not None for v in fields.values())
    if structured:
        what = what if what is not None else caption
        missing = [k for k, v in {"what": what, **fields}.items() if v is None or not str(v).strip()]
        if missing:
            raise FigureError(f"figure {name!r}: sidecar field(s) {', '.join(missing)} missing (docs/CONTRACTS.md §4)")
        assert what is not None and series is not None and period is not None and n is not None  # checked above
        assert interval is not None
        caption = render_caption(what=what, series=series, period=period, n=n, interval=interval, model=model,
                                 caveat=caveat)  # fmt: skip
    elif caption is None or not str(caption).strip():
        raise FigureError(f"figure {name!r} has no caption: give what, series, period, n and interval")
    out = Path(directory) if directory is not None else paths.figures_dir()
    out.mkdir(parents=True, exist_ok=True)

    with mpl.rc_context(_SAVE_RC):  # type: ignore[arg-type]  # as in apply_style
        _remove_stamps(fig)
        plain_text(fig)
        if synthetic:
            mark_synthetic(fig)
        x0, y0, _, _ = _content_bbox(fig)
        label = ("SYNTHETIC (simulated data). " if synthetic else "") + f"Source: {plain_text_of(source)}"
        fig.text(
            max(x0, 0.0) + 0.005,
            y0 - 0.015,
            label,
            ha="left",
            va="top",
            fontsize=8,
            color=_SYNTHETIC_COLOUR if synthetic else _SOURCE_COLOUR,
            wrap=True,
            gid=_GID_SOURCE,
        )
        png = SavedFigure(out / f"{name}.png")
        fig.savefig(png, format="png", metadata={"Software": None}, bbox_inches="tight", pad_inches=0.15)
        fig.savefig(
            out / f"{name}.svg",
            format="svg",
            metadata={"Date": None, "Creator": None},
            bbox_inches="tight",
            pad_inches=0.15,
        )
    marks = {plain_text_of(k): v for k, v in (dict(colours) if colours is not None else series_colours(fig)).items()}
    sidecar = {
        "name": name,
        "title": _title_text(fig),
        "caption": plain_text_of(str(caption).strip()),
        "source": plain_text_of(str(source).strip()),
        "synthetic": bool(synthetic),
        "restricted": bool(restricted),
        "structured": bool(structured),
        "what": plain_text_of(str(what).strip()) if structured else None,
        "series": None if series is None else [series] if isinstance(series, str) else [str(x) for x in series],
        "period": str(period).strip() if structured else None,
        "n": str(n).strip() if structured else None,
        "model": (str(model).strip() if model else None) if structured else None,
        "interval": str(interval).strip() if structured else None,
        "caveat": (str(caveat).strip() if caveat else None) if structured else None,
        "colours": {k: marks[k] for k in sorted(marks)},
        "colour_check": colour_vision_check(marks),
        "files": [f"{name}.png", f"{name}.svg"],
    }
    (out / f"{name}.json").write_text(
        json.dumps(sidecar, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return png


def plain_text_of(text: str) -> str:
    """Return ``text`` with internal series keys and measure codes replaced by their plain labels.

    Parameters
    ----------
    text : str
        A title, label or caption.

    Returns
    -------
    str
        The text a reader sees.
    """
    from ._marks import _plain

    return _plain(str(text))


def _title_text(fig: Figure) -> str:
    suptitle = fig.get_suptitle() if hasattr(fig, "get_suptitle") else ""
    if suptitle and suptitle.strip():
        return suptitle.strip()
    for ax in fig.axes:
        for loc in ("center", "left", "right"):
            if ax.get_title(loc=loc).strip():
                return ax.get_title(loc=loc).strip()
    return ""


def power_curves(grid: pd.DataFrame, title: str) -> tuple[Any, Any]:
    """Draw notebook 04's power curves with the sequential palette (one colour per program size, dark = fewest).

    :func:`tppo_analysis.design.views.plot_power` with :func:`sequential_colours`, so the ordered program sizes get
    the viridis steps whose colour-vision check (>= 15 ΔE in CAM02-UCS between every pair, every simulated vision)
    is tested.

    Parameters
    ----------
    grid : pandas.DataFrame
        The power grid (:func:`tppo_analysis.design.power.power_grid`).
    title : str
        The figure title.

    Returns
    -------
    tuple
        ``(fig, axes)``.
    """
    from ..design.views import plot_power

    sizes = grid.loc[grid["effect_rr"] < 1.0, "n_program"].unique()
    fig, axes = plot_power(grid, title, colours=sequential_colours(len(sizes)))
    reps = grid["n_reps"] if "n_reps" in grid.columns else None
    fig.tppo_fields = {  # read by save_figure
        "series": "program sizes " + ", ".join(f"{int(v):,}" for v in sorted(sizes)) + " villages",
        "period": "simulated panels, true reductions "
        + ", ".join(
            f"{round((1 - v) * 100)}%"
            for v in sorted(grid.loc[grid["effect_rr"] < 1.0, "effect_rr"].unique(), reverse=True)
        ),
        "n": (f"{int(reps.min()):,}-{int(reps.max()):,} replications a cell" if reps is not None else "see the grid"),
        "interval": "2 Monte Carlo SE bars",
        "model": "the pre-registered test",
    }
    return fig, axes
