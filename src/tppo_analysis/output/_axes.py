"""Axes a reviewer reads without the notebook: plain log ticks and the no-data spans of a time axis.

:func:`plain_log_axis` puts a log scale with tick labels 0.1, 0.2, 0.5, 1, 2, 5, … instead of 10⁻¹ and 2×10⁰;
:func:`coverage_gaps` finds the spans no window covers, which :func:`time_axis` hatches. :func:`time_axis` itself (the
one time axis with closures, dated events and no-data spans) and :data:`FIGURE_EVENTS` live in
:mod:`tppo_analysis.record._figure_style`, below the record's own figures, and are re-exported here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import ticker

from ..errors import FigureError
from ..record._figure_style import FIGURE_EVENTS, time_axis

__all__ = ["FIGURE_EVENTS", "time_axis", "plain_log_axis", "coverage_gaps"]


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
