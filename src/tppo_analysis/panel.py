"""Moved to :mod:`tppo_analysis.design.panel` in 0.2 (the package is laid out by flow stage).

This old path keeps working for one release: every name warns (DeprecationWarning) and forwards to its new
home.
"""

from ._deprecated import forward

__all__ = ["PanelBuild", "cohort_table", "build_panel", "group_trends"]

__getattr__, __dir__ = forward(
    "tppo_analysis.panel",
    {
        "PanelBuild": "tppo_analysis.design.panel",
        "cohort_table": "tppo_analysis.design.panel",
        "build_panel": "tppo_analysis.design.panel",
        "group_trends": "tppo_analysis.design.panel",
    },
    default="tppo_analysis.design.panel",
)
