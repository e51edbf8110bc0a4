"""Moved to :mod:`tppo_analysis.record.summary` in 0.2 (the package is laid out by flow stage).

This old path keeps working for one release: every name warns (DeprecationWarning) and forwards to its new
home.
"""

from ._deprecated import forward

__all__ = [
    "KEY_SERIES",
    "figures_by_year",
    "coverage_table",
    "audit_summary",
    "set_aside_table",
    "plot_reported_windows",
]

__getattr__, __dir__ = forward(
    "tppo_analysis.record_summary",
    {
        "KEY_SERIES": "tppo_analysis.record.summary",
        "figures_by_year": "tppo_analysis.record.summary",
        "coverage_table": "tppo_analysis.record.summary",
        "audit_summary": "tppo_analysis.record.summary",
        "set_aside_table": "tppo_analysis.record.summary",
        "plot_reported_windows": "tppo_analysis.record.summary",
    },
    default="tppo_analysis.record.summary",
)
