"""Moved to :mod:`tppo_analysis.design.power` in 0.2 (the package is laid out by flow stage).

This old path keeps working for one release: every name warns (DeprecationWarning) and forwards to its new
home.
"""

from ._deprecated import forward

__all__ = ["simulate_design", "power_table", "mde_table", "coverage_study", "coverage_summary"]

__getattr__, __dir__ = forward(
    "tppo_analysis.power",
    {
        "simulate_design": "tppo_analysis.design.power",
        "power_table": "tppo_analysis.design.power",
        "mde_table": "tppo_analysis.design.power",
        "coverage_study": "tppo_analysis.design.power",
        "coverage_summary": "tppo_analysis.design.power",
    },
    default="tppo_analysis.design.power",
)
