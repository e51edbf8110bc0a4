"""The interval count model: totals reported over irregular, inclusive date windows (penalized composite link).

:class:`IntervalCountModel` (``model``) puts a daily mean -- polynomial or smooth trend, breaks, holidays, exposure
-- under the windows; :class:`IntervalCountResults` (``results``) holds a fit; :func:`fit_pooled` (``pooled``) fits
several series with a shared smooth shape. The likelihood and its engine live in ``_likelihood``, the design in
``_design``, the spline basis in ``_spline``. ``detection_power`` (a power study) moved to
:mod:`tppo_analysis.design.power`.
"""

from ..._deprecated import forward
from ...errors import BoundaryError
from .model import DAYS_PER_YEAR, HOLIDAY_TERMS, IntervalCountModel
from .pooled import KEY_MEASURE, KEY_SERIES, PooledIntervalResults, PooledModel, fit_pooled
from .results import IntervalCountResults

__all__ = [
    "IntervalCountModel",
    "IntervalCountResults",
    "HOLIDAY_TERMS",
    "DAYS_PER_YEAR",
    "BoundaryError",
    "fit_pooled",
    "PooledIntervalResults",
    "PooledModel",
    "KEY_SERIES",
    "KEY_MEASURE",
]

# detection_power moved to the design stage in 0.2 (models import nothing downstream): it warns and forwards.
__getattr__ = forward("tppo_analysis.models.interval", {"detection_power": "tppo_analysis.design.power"})[0]
