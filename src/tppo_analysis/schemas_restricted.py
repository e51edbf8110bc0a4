"""Moved to :mod:`tppo_analysis.sources.schemas` in 0.2 (the package is laid out by flow stage).

This old path keeps working for one release: every name warns (DeprecationWarning) and forwards to its new
home.
"""

from ._deprecated import forward

__all__ = [
    "RESTRICTED_KINDS",
    "COLUMN_DOCS",
    "REQUIRED_COLUMNS",
    "schema_for",
    "markdown_tables",
    "DEFERRAL_REASONS",
    "PASSPORT_DECISIONS",
    "CHECKPOINT_TYPES",
    "MATCH_QUALITY",
]

__getattr__, __dir__ = forward(
    "tppo_analysis.schemas_restricted",
    {
        "RESTRICTED_KINDS": "tppo_analysis.sources.schemas",
        "COLUMN_DOCS": "tppo_analysis.sources.schemas",
        "REQUIRED_COLUMNS": "tppo_analysis.sources.schemas",
        "schema_for": "tppo_analysis.sources.schemas",
        "markdown_tables": "tppo_analysis.sources.schemas",
        "DEFERRAL_REASONS": "tppo_analysis.sources.schemas",
        "PASSPORT_DECISIONS": "tppo_analysis.sources.schemas",
        "CHECKPOINT_TYPES": "tppo_analysis.sources.schemas",
        "MATCH_QUALITY": "tppo_analysis.sources.schemas",
    },
    default="tppo_analysis.sources.schemas",
)
