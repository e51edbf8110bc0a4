"""Moved to :mod:`tppo_analysis.design.synthetic` in 0.2 (the package is laid out by flow stage).

This old path keeps working for one release: every name warns (DeprecationWarning) and forwards to its new
home.
"""

from ._deprecated import forward

__all__ = [
    "SyntheticPanel",
    "generate_panel",
    "small_panel",
    "generate_records",
    "CANARY_NIKS",
    "CANARY_PHONES",
    "CANARY_NAMES",
    "LABEL",
]

__getattr__, __dir__ = forward(
    "tppo_analysis.synthetic",
    {
        "SyntheticPanel": "tppo_analysis.design.synthetic",
        "generate_panel": "tppo_analysis.design.synthetic",
        "small_panel": "tppo_analysis.design.synthetic",
        "generate_records": "tppo_analysis.design.synthetic",
        "CANARY_NIKS": "tppo_analysis.privacy.identifiers",
        "CANARY_PHONES": "tppo_analysis.privacy.identifiers",
        "CANARY_NAMES": "tppo_analysis.privacy.identifiers",
        "LABEL": "tppo_analysis.design.synthetic",
    },
    default="tppo_analysis.design.synthetic",
)
