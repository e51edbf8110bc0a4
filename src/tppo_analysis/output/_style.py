"""The project's matplotlib style: one palette and line-style cycle, light grid, DejaVu Sans, deterministic SVG.

Kept apart from :mod:`tppo_analysis.output.plotting` (which re-exports :func:`apply_style`, :func:`style_context` and
:func:`new_figure`) so that the figure functions of notebook 05 can use the style without an import cycle.
"""

from __future__ import annotations

from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
from cycler import cycler

from ._colour import PALETTE

__all__ = ["apply_style", "style_context", "new_figure"]

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
