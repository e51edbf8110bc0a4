"""The interval count model: totals reported over irregular, inclusive date windows (composite link, Eilers 2007).

:class:`IntervalCountModel` (``model``) puts a smooth daily mean under the windows; :class:`IntervalCountResults`
(``results``) holds a fit; the likelihood lives in ``_likelihood``. The old public names of the module
``tppo_analysis.models.interval`` are re-exported here; ``detection_power`` (a power study) moved to
:mod:`tppo_analysis.design.power`.
"""

from ..._deprecated import forward
from ...errors import BoundaryError
from .model import HOLIDAY_TERMS, IntervalCountModel
from .results import IntervalCountResults

__all__ = ["IntervalCountModel", "IntervalCountResults", "HOLIDAY_TERMS", "BoundaryError"]

# detection_power moved to the design stage in 0.2 (models import nothing downstream): it warns and forwards.
__getattr__ = forward("tppo_analysis.models.interval", {"detection_power": "tppo_analysis.design.power"})[0]
