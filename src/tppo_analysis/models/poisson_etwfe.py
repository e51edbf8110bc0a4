"""Moved to :mod:`tppo_analysis.effects._etwfe_fast` in 0.2 (the package is laid out by flow stage).

This old path keeps working for one release: every name warns (DeprecationWarning) and forwards to its new
home.
"""

from .._deprecated import forward

__all__ = ["fit", "PoissonETWFEFit", "AGGREGATIONS"]

__getattr__, __dir__ = forward(
    "tppo_analysis.models.poisson_etwfe",
    {
        "fit": "tppo_analysis.effects._etwfe_fast",
        "PoissonETWFEFit": "tppo_analysis.effects._etwfe_fast",
        "AGGREGATIONS": "tppo_analysis.effects._etwfe_fast:POISSON_AGGREGATIONS",
    },
    default="tppo_analysis.effects._etwfe_fast",
)
