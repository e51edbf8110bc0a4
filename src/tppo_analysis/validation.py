"""Moved to :mod:`tppo_analysis.sources.validation` in 0.2 (the package is laid out by flow stage).

This old path keeps working for one release: every name warns (DeprecationWarning) and forwards to its new
home.
"""

from ._deprecated import forward

__all__ = ["read_text_table", "schema_problems", "missing_column_problems", "finish", "line_of"]

__getattr__, __dir__ = forward(
    "tppo_analysis.validation",
    {
        "read_text_table": "tppo_analysis.sources.validation",
        "schema_problems": "tppo_analysis.sources.validation",
        "missing_column_problems": "tppo_analysis.sources.validation",
        "finish": "tppo_analysis.sources.validation",
        "line_of": "tppo_analysis.sources.validation",
    },
    default="tppo_analysis.sources.validation",
)
