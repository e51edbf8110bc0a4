"""Statistical models for the public record: interval-censored counts and monthly series.

* :mod:`~tppo_analysis.models.interval` — the interval-censored count model and pooled fits;
* :mod:`~tppo_analysis.models.monthly`, :mod:`~tppo_analysis.models.seasonality` — monthly series and seasonality;
* :mod:`~tppo_analysis.models.backtest`, :mod:`~tppo_analysis.models.choice`, :mod:`~tppo_analysis.models.fits` —
  the backtest and the model it chose;
* :mod:`~tppo_analysis.models.trends` — notebook 01's trend tables over those fits (``tppo.trends``; moved from
  ``record.trends`` in 0.2.0 so that ``record`` never imports ``models``).
"""

from __future__ import annotations

from .interval import IntervalCountModel, IntervalCountResults

__all__ = ["IntervalCountModel", "IntervalCountResults"]
