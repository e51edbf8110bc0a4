"""The house style of every figure: palette, matplotlib style and the one time axis with its context marks.

These are the primitives the record's own figures need (:func:`tppo_analysis.record.summary.plot_reported_windows`,
drawn by ``Reconciliation.plot_windows``), so they live in ``record``, the earliest stage that draws a figure;
:mod:`tppo_analysis.output.plotting` re-exports every name here unchanged. Kept in ``output``, they made ``record``
import a later stage (issue 10: imports run one way down the stages).

* :data:`PALETTE` (Okabe & Ito 2008 colours in an order that passes the colour-vision test of
  :mod:`tppo_analysis.output._colour`), :data:`STATUS_COLOURS` for the record's reconciliation states, and the
  colours of the context marks;
* :func:`apply_style`, :func:`style_context`, :func:`new_figure`: one palette and line-style cycle, light grid,
  DejaVu Sans, deterministic SVG;
* :func:`time_axis`: the one helper that draws context on a time axis: the closure regime shaded (from
  :func:`tppo_analysis.sources.events.regimes`), the key dated events of ``data/reference/events.csv`` as labelled
  dashed lines (:data:`FIGURE_EVENTS`), and any no-data span hatched and labelled. It returns legend handles so every
  mark has a legend entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import matplotlib as mpl
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd
from cycler import cycler
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..errors import FigureError

__all__ = [
    "PALETTE",
    "STATUS_COLOURS",
    "CONTEXT_FILL",
    "EVENT_COLOUR",
    "NO_DATA_COLOUR",
    "apply_style",
    "style_context",
    "new_figure",
    "FIGURE_EVENTS",
    "time_axis",
]

#: Series colours, in the order the style cycles them: blue, orange, black, sky blue, vermillion, yellow (Okabe & Ito).
#: Every prefix stays >= 15 ΔE apart under every simulated vision (the full six at 15.2). Yellow is for fills only.
PALETTE = ["#0072B2", "#E69F00", "#000000", "#56B4E9", "#D55E00", "#F0E442"]
#: The record's reconciliation states (figure 00): blue, orange and grey as the referee asked (min ΔE 26).
STATUS_COLOURS = {"kept": "#0072B2", "derived": "#E69F00", "set_aside": "#999999"}
#: Context marks drawn by :func:`time_axis`: the closure span, event lines, no-data hatch.
CONTEXT_FILL = "#DDDDDD"
EVENT_COLOUR = "#555555"
NO_DATA_COLOUR = "#999999"

_LINESTYLES = ["-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1))]

_RC: dict[str, Any] = {
    "figure.figsize": (8.0, 4.5),
    "figure.dpi": 100,
    "figure.facecolor": "white",
    "savefig.dpi": 120,
    "savefig.facecolor": "white",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],  # shipped with matplotlib: the same glyphs on every machine
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.prop_cycle": cycler(color=PALETTE) + cycler(linestyle=_LINESTYLES),
    "lines.linewidth": 1.8,
    "legend.frameon": False,
    "image.cmap": "cividis",  # perceptually uniform and colour-blind safe
    "svg.hashsalt": "tppo-analysis",
    "svg.fonttype": "none",  # text stays text in the SVG (selectable, searchable, smaller)
    "svg.image_inline": True,
    "path.simplify": True,
    "date.autoformatter.month": "%Y-%m",
}

# Settings that make the saved bytes independent of whatever the caller did to rcParams.
_SAVE_RC = {
    k: _RC[k]
    for k in ("svg.hashsalt", "svg.fonttype", "svg.image_inline", "savefig.dpi", "savefig.facecolor", "path.simplify")
}


def apply_style() -> None:
    """Set the project's matplotlib style for this process.

    Colour-blind-safe palette with line styles cycled alongside, light grid, no top/right spines, DejaVu Sans.
    """
    mpl.rcParams.update(_RC)  # type: ignore[arg-type]  # matplotlib types keys as a Literal; it checks them at run time


def style_context():
    """Apply the project style temporarily (``with style_context(): ...``)."""
    return mpl.rc_context(_RC)


def new_figure(nrows: int = 1, ncols: int = 1, **kwargs):
    """``plt.subplots`` with the project style applied; returns ``(fig, axes)``."""
    apply_style()
    return plt.subplots(nrows, ncols, **kwargs)


#: Events marked on every time axis by default (``event_id`` -> the short label printed on the figure).
FIGURE_EVENTS: dict[str, str] = {
    "malaysia-border-reopening-2022": "Malaysia reopens",
    "satgas-tppo-polri-2023": "police TPPO task force",
    "kemenimipas-2024": "immigration ministry; KP2MI",
    "myawaddy-repatriation-mar-2025": "Myawaddy repatriation",
}

_EVENT_STYLE: dict[str, Any] = {"color": EVENT_COLOUR, "lw": 0.9, "ls": (0, (4, 2))}


def time_axis(
    ax,
    start,
    end,
    *,
    events: bool | Iterable[str] | Mapping[str, str] = True,
    closure: bool = True,
    no_data: Sequence[tuple] = (),
    no_data_label: str = "no figures reported",
    event_frame: pd.DataFrame | None = None,
    label_events: bool = True,
) -> list:
    """Set a date x-axis from ``start`` to ``end`` with year ticks and draw the context on it.

    Parameters
    ----------
    ax : matplotlib Axes
    start, end : date-like
        Limits of the axis.
    events : bool, iterable of event ids or mapping id -> short label
        ``True``: :data:`FIGURE_EVENTS`. Dated events are drawn as dashed lines, labelled at the top of the axes.
    closure : bool
        Shade the closure regime of :func:`tppo_analysis.sources.events.regimes` (20 Mar 2020 to 31 Mar 2022).
    no_data : sequence of (start, end)
        Spans hatched and labelled ``no_data_label`` (the label is printed inside spans of a year or more).
    event_frame : DataFrame, optional
        The event timeline (default :func:`tppo_analysis.sources.events.load_events`).
    label_events : bool
        Print the short labels next to the event lines (turn off on small panels and label one panel only).

    Returns
    -------
    list
        Legend handles for the marks drawn (closure span, no-data hatch, event line), to add to the caller's legend.
    """
    from ..sources.events import load_events, regimes

    a, b = pd.Timestamp(start), pd.Timestamp(end)
    ax.set_xlim(a, b)
    ax.xaxis.set_major_locator(mdates.YearLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ev = load_events() if event_frame is None else event_frame
    handles: list = []
    if closure:
        r = regimes(ev).set_index("regime")
        c0, c1 = r.at["closure", "start"], r.at["closure", "end"]
        if c1 >= a and c0 <= b:
            ax.axvspan(max(c0, a), min(c1 + pd.Timedelta(days=1), b), color=CONTEXT_FILL, zorder=0, lw=0)
            handles.append(Patch(facecolor=CONTEXT_FILL, label=f"border closures ({c0:%b %Y} – {c1:%b %Y})"))
    for s, e in no_data:
        s, e = max(pd.Timestamp(s), a), min(pd.Timestamp(e), b)
        if e <= s:
            continue
        ax.axvspan(s, e, facecolor="none", edgecolor=NO_DATA_COLOUR, hatch="//", lw=0, zorder=0.5, alpha=0.7)
        if (e - s).days >= 365:
            ax.text(s + (e - s) / 2, 0.08, no_data_label, transform=ax.get_xaxis_transform(), ha="center",
                    va="center", fontsize=7, color="#333333",
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.5})  # fmt: skip
        if not any(h.get_label() == no_data_label for h in handles):
            handles.append(Patch(facecolor="white", edgecolor=NO_DATA_COLOUR, hatch="//", label=no_data_label))
    if events:
        chosen = (
            FIGURE_EVENTS
            if events is True
            else dict(events)
            if isinstance(events, Mapping)
            else {k: FIGURE_EVENTS.get(k, k) for k in events}
        )
        by_id = ev.set_index("event_id")
        drawn = False
        for eid, short in chosen.items():
            if eid not in by_id.index:
                raise FigureError(f"event {eid!r} is not in data/reference/events.csv")
            day = pd.Timestamp(by_id.at[eid, "start"])
            if not a <= day <= b:
                continue
            ax.axvline(day, zorder=1, **_EVENT_STYLE)
            if label_events:
                ax.text(day, 0.98, f"{short} ", transform=ax.get_xaxis_transform(), rotation=90, ha="right",
                        va="top", fontsize=7, color=EVENT_COLOUR)  # fmt: skip
            drawn = True
        if drawn:
            handles.append(Line2D([], [], label="dated event (data/reference/events.csv)", **_EVENT_STYLE))
    return handles
