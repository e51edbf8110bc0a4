"""Moved to :mod:`tppo_analysis.sources.extracts` in 0.2 (the package is laid out by flow stage).

This old path keeps working for one release: every name warns (DeprecationWarning) and forwards to its new
home.
"""

from ._deprecated import forward

__all__ = [
    "aggregate_records",
    "AggregateResult",
    "KINDS",
    "aggregation_sql",
    "cluster_sql",
    "configure_parser",
    "run",
    "BY",
    "VILLAGE_COLUMN",
    "VILLAGE_PATTERN",
    "MAX_CATEGORIES",
]

__getattr__, __dir__ = forward(
    "tppo_analysis.aggregate",
    {
        "aggregate_records": "tppo_analysis.sources.extracts",
        "AggregateResult": "tppo_analysis.sources.extracts",
        "KINDS": "tppo_analysis.sources.extracts",
        "aggregation_sql": "tppo_analysis.sources.extracts",
        "cluster_sql": "tppo_analysis.sources.extracts",
        "configure_parser": "tppo_analysis.cli:configure_aggregate",
        "run": "tppo_analysis.cli:run_aggregate",
        "BY": "tppo_analysis.sources.extracts",
        "VILLAGE_COLUMN": "tppo_analysis.sources.extracts",
        "VILLAGE_PATTERN": "tppo_analysis.sources.extracts",
        "MAX_CATEGORIES": "tppo_analysis.sources.extracts",
    },
    default="tppo_analysis.sources.extracts",
)
