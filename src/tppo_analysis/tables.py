"""Moved to :mod:`tppo_analysis.output.tables` in 0.2 (the package is laid out by flow stage).

This old path keeps working for one release: every name warns (DeprecationWarning) and forwards to its new
home.
"""

from ._deprecated import forward

__all__ = ["save_table"]

__getattr__, __dir__ = forward(
    "tppo_analysis.tables",
    {
        "save_table": "tppo_analysis.output.tables",
    },
    default="tppo_analysis.output.tables",
)
