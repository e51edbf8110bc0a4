"""Moved to :mod:`tppo_analysis.record.trends` in 0.2 (the package is laid out by flow stage).

This old path keeps working for one release: every name warns (DeprecationWarning) and forwards to its new
home.
"""

from ._deprecated import forward

__all__ = [
    "series_obs",
    "trend_table",
    "robustness_table",
    "seasonal_profile",
    "plot_windows_fit",
    "holiday_effects_table",
    "observed_vs_baseline",
]

__getattr__, __dir__ = forward(
    "tppo_analysis.trends",
    {
        "series_obs": "tppo_analysis.record.trends",
        "trend_table": "tppo_analysis.record.trends",
        "robustness_table": "tppo_analysis.record.trends",
        "seasonal_profile": "tppo_analysis.record.trends",
        "plot_windows_fit": "tppo_analysis.record.trends",
        "holiday_effects_table": "tppo_analysis.record.trends",
        "observed_vs_baseline": "tppo_analysis.record.trends",
    },
    default="tppo_analysis.record.trends",
)
