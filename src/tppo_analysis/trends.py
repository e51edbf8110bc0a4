"""Moved to :mod:`tppo_analysis.models.trends` and :mod:`tppo_analysis.models.seasonality` in 0.2.

``trend_table`` (one log-linear rate a year) and ``plot_windows_fit`` were removed with issue 12: trends are now
changes between periods (``models.trends.period_changes``) and fits draw themselves (``plot``).

This old path keeps working for one release: every name warns (DeprecationWarning) and forwards to its new
home.
"""

from ._deprecated import forward

__all__ = [
    "series_obs",
    "robustness_table",
    "seasonal_profile",
    "holiday_effects_table",
    "observed_vs_baseline",
]

__getattr__, __dir__ = forward(
    "tppo_analysis.trends",
    {
        "series_obs": "tppo_analysis.models.trends",
        "robustness_table": "tppo_analysis.models.trends",
        "seasonal_profile": "tppo_analysis.models.seasonality",
        "holiday_effects_table": "tppo_analysis.models.seasonality",
        "observed_vs_baseline": "tppo_analysis.models.seasonality",
    },
    default="tppo_analysis.models.trends",
)
