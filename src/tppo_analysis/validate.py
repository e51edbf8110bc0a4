"""Moved to :mod:`tppo_analysis.cli` in 0.2 (the package is laid out by flow stage).

This old path keeps working for one release: every name warns (DeprecationWarning) and forwards to its new
home.
"""

from ._deprecated import forward

__all__ = ["validate_file", "infer_kind", "KINDS", "configure_parser", "run", "kinds"]

__getattr__, __dir__ = forward(
    "tppo_analysis.validate",
    {
        "validate_file": "tppo_analysis.cli",
        "infer_kind": "tppo_analysis.cli",
        "KINDS": "tppo_analysis.cli:VALIDATE_KINDS",
        "configure_parser": "tppo_analysis.cli:configure_validate",
        "run": "tppo_analysis.cli:run_validate",
        "kinds": "tppo_analysis.cli",
    },
    default="tppo_analysis.cli",
)
