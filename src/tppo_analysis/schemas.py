"""Moved to :mod:`tppo_analysis.sources.schemas` in 0.2 (the package is laid out by flow stage).

This old path keeps working for one release: every name warns (DeprecationWarning) and forwards to its new
home.
"""

from ._deprecated import forward

__all__ = [
    "MEASURES",
    "MEASURE_GROUP",
    "UNITS",
    "GEOGRAPHY_LEVELS",
    "PUBLIC_RECORD_COLUMNS",
    "PUBLIC_RECORD_SCHEMA",
    "DATE_MIN",
    "DATE_MAX",
]

__getattr__, __dir__ = forward(
    "tppo_analysis.schemas",
    {
        "MEASURES": "tppo_analysis.sources.schemas",
        "MEASURE_GROUP": "tppo_analysis.sources.schemas",
        "UNITS": "tppo_analysis.sources.schemas",
        "GEOGRAPHY_LEVELS": "tppo_analysis.sources.schemas",
        "PUBLIC_RECORD_COLUMNS": "tppo_analysis.sources.schemas",
        "PUBLIC_RECORD_SCHEMA": "tppo_analysis.sources.schemas",
        "DATE_MIN": "tppo_analysis.sources.schemas",
        "DATE_MAX": "tppo_analysis.sources.schemas",
    },
    default="tppo_analysis.sources.schemas",
)
