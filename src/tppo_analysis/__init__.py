"""tppo-analysis: what Indonesia's immigration service's TPPO prevention work is doing, reproducibly.

The small public API (re-exported here; each name lives in the module that owns its concern):

* data — :func:`load_public_record`, :func:`reconcile`, :func:`load_villages`, :func:`load_desa_binaan`
* calendar — :func:`holiday_regressors`
* models — :class:`IntervalCountModel` (counts observed as totals over irregular windows)
* program effect — the :mod:`tppo_analysis.effects` module (``effects.fit``)
* privacy — :mod:`tppo_analysis.privacy` (``MIN_CELL``, ``suppress``)
* where things live — :mod:`tppo_analysis.paths`

Names are resolved on first use, so importing the package is cheap and a notebook pays only for what it uses.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS: dict[str, tuple[str, str | None]] = {
    "load_public_record": ("tppo_analysis.sources.public_record", "load_public_record"),
    "reconcile": ("tppo_analysis.reconciliation", "reconcile"),
    "load_villages": ("tppo_analysis.sources.geography", "load_villages"),
    "load_desa_binaan": ("tppo_analysis.sources.roster", "load_desa_binaan"),
    "holiday_regressors": ("tppo_analysis.calendar", "holiday_regressors"),
    "IntervalCountModel": ("tppo_analysis.models.interval", "IntervalCountModel"),
    "save_figure": ("tppo_analysis.plotting", "save_figure"),
    "save_table": ("tppo_analysis.tables", "save_table"),
    "provenance_line": ("tppo_analysis.provenance", "provenance_line"),
    "TppoError": ("tppo_analysis.errors", "TppoError"),
    "DataValidationError": ("tppo_analysis.errors", "DataValidationError"),
    # modules
    "effects": ("tppo_analysis.effects", None),
    "paths": ("tppo_analysis.paths", None),
    "privacy": ("tppo_analysis.privacy", None),
    "provenance": ("tppo_analysis.provenance", None),
    "plotting": ("tppo_analysis.plotting", None),
    "synthetic": ("tppo_analysis.synthetic", None),
    "calendar": ("tppo_analysis.calendar", None),
    "models": ("tppo_analysis.models", None),
    "power": ("tppo_analysis.power", None),
    "rates": ("tppo_analysis.rates", None),
    "trends": ("tppo_analysis.trends", None),
    "record_summary": ("tppo_analysis.record_summary", None),
    "panel": ("tppo_analysis.panel", None),
    "tables": ("tppo_analysis.tables", None),
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    try:
        module_name, attr = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'tppo_analysis' has no attribute {name!r}") from None
    module = importlib.import_module(module_name)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # for type checkers and IDEs
    from . import effects, paths, privacy, provenance  # noqa: F401
    from .calendar import holiday_regressors  # noqa: F401
    from .models.interval import IntervalCountModel  # noqa: F401
    from .reconciliation import reconcile  # noqa: F401
    from .sources.geography import load_villages  # noqa: F401
    from .sources.public_record import load_public_record  # noqa: F401
    from .sources.roster import load_desa_binaan  # noqa: F401
