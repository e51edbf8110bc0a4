"""Moved to :mod:`tppo_analysis.privacy.scan` in 0.2 (the package is laid out by flow stage).

This old path keeps working for one release: every name warns (DeprecationWarning) and forwards to its new
home.
"""

from ._deprecated import forward

__all__ = [
    "Finding",
    "scan_paths",
    "scan_text",
    "scan_notebook",
    "default_scope",
    "configure_parser",
    "run",
    "CANARY_HOMES",
    "canonical",
]

__getattr__, __dir__ = forward(
    "tppo_analysis.scan",
    {
        "Finding": "tppo_analysis.privacy.scan",
        "scan_paths": "tppo_analysis.privacy.scan",
        "scan_text": "tppo_analysis.privacy.scan",
        "scan_notebook": "tppo_analysis.privacy.scan",
        "default_scope": "tppo_analysis.privacy.scan",
        "configure_parser": "tppo_analysis.cli:configure_scan",
        "run": "tppo_analysis.cli:run_scan",
        "CANARY_HOMES": "tppo_analysis.privacy.scan",
        "canonical": "tppo_analysis.privacy.scan",
    },
    default="tppo_analysis.privacy.scan",
)
