"""Moved to :mod:`tppo_analysis.sources._read` in 0.2 (the package is laid out by flow stage).

This old path keeps working for one release: every name warns (DeprecationWarning) and forwards to its new
home.
"""

from ._deprecated import forward

__all__ = [
    "read_table",
    "parse_count",
    "parse_date_cell",
    "parse_count_column",
    "parse_date_column",
    "CellError",
    "EXCEL_EPOCH",
]

__getattr__, __dir__ = forward(
    "tppo_analysis.read",
    {
        "read_table": "tppo_analysis.sources._read",
        "parse_count": "tppo_analysis.sources._read",
        "parse_date_cell": "tppo_analysis.sources._read",
        "parse_count_column": "tppo_analysis.sources._read",
        "parse_date_column": "tppo_analysis.sources._read",
        "CellError": "tppo_analysis.sources._read",
        "EXCEL_EPOCH": "tppo_analysis.sources._read",
    },
    default="tppo_analysis.sources._read",
)
