"""Moved to :mod:`tppo_analysis.sources.calendar` in 0.2 (the package is laid out by flow stage).

This old path keeps working for one release: every name warns (DeprecationWarning) and forwards to its new
home.
"""

from ._deprecated import forward

__all__ = [
    "REGRESSOR_COLUMNS",
    "DAILY_COLUMNS",
    "idul_fitri_dates",
    "idul_adha_dates",
    "ramadan_periods",
    "ramadan_start_table",
    "daily_holiday_indicators",
    "holiday_regressors",
]

__getattr__, __dir__ = forward(
    "tppo_analysis.calendar",
    {
        "REGRESSOR_COLUMNS": "tppo_analysis.sources.calendar",
        "DAILY_COLUMNS": "tppo_analysis.sources.calendar",
        "idul_fitri_dates": "tppo_analysis.sources.calendar",
        "idul_adha_dates": "tppo_analysis.sources.calendar",
        "ramadan_periods": "tppo_analysis.sources.calendar",
        "ramadan_start_table": "tppo_analysis.sources.calendar",
        "daily_holiday_indicators": "tppo_analysis.sources.calendar",
        "holiday_regressors": "tppo_analysis.sources.calendar",
    },
    default="tppo_analysis.sources.calendar",
)
