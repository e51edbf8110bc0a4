"""Axes a reviewer reads without the notebook: the one time axis with events and no-data spans, plain log ticks.

:func:`time_axis` is the one helper that draws context on a time axis: the closure regime shaded (from
:func:`tppo_analysis.sources.events.regimes`), the key dated events of ``data/reference/events.csv`` as labelled
dashed lines, and any no-data span hatched and labelled. It returns legend handles so every mark has a legend entry.
:func:`plain_log_axis` puts a log scale with tick labels 0.1, 0.2, 0.5, 1, 2, 5, … instead of 10⁻¹ and 2×10⁰.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib import ticker
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..errors import FigureError
from ._colour import CONTEXT_FILL, EVENT_COLOUR, NO_DATA_COLOUR

__all__ = ["FIGURE_EVENTS", "time_axis", "plain_log_axis", "coverage_gaps"]

#: Events marked on every time axis by default (``event_id`` -> the short label printed on the figure).
FIGURE_EVENTS: dict[str, str] = {
    "malaysia-border-reopening-2022": "Malaysia reopens",
    "satgas-tppo-polri-2023": "police TPPO task force",
    "kemenimipas-2024": "immigration ministry; KP2MI",
    "myawaddy-repatriation-mar-2025": "Myawaddy repatriation",
}

_EVENT_STYLE: dict[str, Any] = {"color": EVENT_COLOUR, "lw": 0.9, "ls": (0, (4, 2))}


def plain_log_axis(ax, axis: str = "y") -> None:
    """Log scale on ``axis`` ("x" or "y") with plain tick labels at 1, 2 and 5 times each power of ten."""
    if axis not in ("x", "y"):
        raise FigureError(f"plain_log_axis: axis must be 'x' or 'y', not {axis!r}")
    (ax.set_yscale if axis == "y" else ax.set_xscale)("log")
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_locator(_PlainLogLocator())
    target.set_major_formatter(ticker.FuncFormatter(_plain))
    target.set_minor_locator(ticker.NullLocator())
    target.set_minor_formatter(ticker.NullFormatter())


class _PlainLogLocator(ticker.Locator):
    """Ticks at 1, 2 and 5 times each power of ten over up to three decades; at the powers of ten beyond."""

    def __call__(self):
        vmin, vmax = self.axis.get_view_interval()
        return self.tick_values(vmin, vmax)

    def tick_values(self, vmin, vmax):
        vmin, vmax = sorted((max(float(vmin), 1e-300), max(float(vmax), 1e-300)))
        lo, hi = int(np.floor(np.log10(vmin))), int(np.ceil(np.log10(vmax)))
        subs = (1.0, 2.0, 5.0) if hi - lo <= 3 else (1.0,)
        return np.array([m * 10.0**k for k in range(lo, hi + 1) for m in subs])


def _plain(value: float, _pos=None) -> str:
    if not np.isfinite(value) or value <= 0:
        return ""
    return f"{value:,.0f}" if value >= 1000 else f"{value:.6g}"


def coverage_gaps(windows: pd.DataFrame, start, end, *, min_days: int = 180) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Spans of at least ``min_days`` between ``start`` and ``end`` that no window (``period_start/_end``) covers."""
    w = windows.sort_values("period_start")
    out, cur = [], pd.Timestamp(start)
    for s, e in zip(pd.to_datetime(w["period_start"]), pd.to_datetime(w["period_end"]), strict=True):
        if (s - cur).days >= min_days:
            out.append((cur, s))
        cur = max(cur, e + pd.Timedelta(days=1))
    if (pd.Timestamp(end) - cur).days >= min_days:
        out.append((cur, pd.Timestamp(end)))
    return out


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
