"""Moved to :mod:`tppo_analysis.output.plotting` in 0.2 (the package is laid out by flow stage).

This old path keeps working for one release: every name warns (DeprecationWarning) and forwards to its new
home.
"""

from ._deprecated import forward

__all__ = [
    "PALETTE",
    "SYNTHETIC_LABEL",
    "FigureError",
    "SavedFigure",
    "apply_style",
    "new_figure",
    "save_figure",
    "mark_synthetic",
    "style_context",
]

__getattr__, __dir__ = forward(
    "tppo_analysis.plotting",
    {
        "PALETTE": "tppo_analysis.output.plotting",
        "SYNTHETIC_LABEL": "tppo_analysis.output.plotting",
        "FigureError": "tppo_analysis.output.plotting",
        "SavedFigure": "tppo_analysis.output.plotting",
        "apply_style": "tppo_analysis.output.plotting",
        "new_figure": "tppo_analysis.output.plotting",
        "save_figure": "tppo_analysis.output.plotting",
        "mark_synthetic": "tppo_analysis.output.plotting",
        "style_context": "tppo_analysis.output.plotting",
    },
    default="tppo_analysis.output.plotting",
)
