"""Moved to :mod:`tppo_analysis.record.rates` in 0.2 (the package is laid out by flow stage).

This old path keeps working for one release: every name warns (DeprecationWarning) and forwards to its new
home.
"""

from ._deprecated import forward

__all__ = ["RATE_DEFINITIONS", "rates", "rate_availability"]

__getattr__, __dir__ = forward(
    "tppo_analysis.rates",
    {
        "RATE_DEFINITIONS": "tppo_analysis.record.rates",
        "rates": "tppo_analysis.record.rates",
        "rate_availability": "tppo_analysis.record.rates",
    },
    default="tppo_analysis.record.rates",
)
