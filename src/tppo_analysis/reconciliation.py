"""Moved to :mod:`tppo_analysis.record.reconciliation` in 0.2 (the package is laid out by flow stage).

This old path keeps working for one release: every name warns (DeprecationWarning) and forwards to its new
home.
"""

from ._deprecated import forward

__all__ = ["reconcile", "OBS_COLUMNS", "AUDIT_COLUMNS"]

__getattr__, __dir__ = forward(
    "tppo_analysis.reconciliation",
    {
        "reconcile": "tppo_analysis.record.reconciliation",
        "OBS_COLUMNS": "tppo_analysis.record.reconciliation",
        "AUDIT_COLUMNS": "tppo_analysis.record.reconciliation",
    },
    default="tppo_analysis.record.reconciliation",
)
