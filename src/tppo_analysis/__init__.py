"""tppo-analysis: what Indonesia's immigration service's TPPO prevention work is doing, reproducibly.

The small public API (re-exported here; each name lives in the module that owns its concern):

* a notebook's first calls — :func:`setup` (paths, display, style from the papermill parameters) and
  :data:`load_data` (every data set by name, with its codebook)
* data — :func:`load_public_record`, :func:`reconcile`, :func:`load_villages`, :func:`load_desa_binaan`,
  :func:`load_events` (the cited event timeline)
* calendar — :func:`holiday_regressors`
* models — :class:`IntervalCountModel` (counts observed as totals over irregular windows)
* program effect — :class:`StaggeredDesign` (a panel and its column roles, held once) over the
  :mod:`tppo_analysis.effects` package (``effects.fit``)
* privacy — :mod:`tppo_analysis.privacy` (``MIN_CELL``, ``suppress``)
* output — :func:`save_figure`, :func:`save_table`, :func:`provenance_line`
* where things live — :mod:`tppo_analysis.paths`

The package is laid out by flow stage: ``sources`` (inputs -> validated frames), ``record`` (the public record ->
observations -> tables), ``models``, ``effects``, ``design`` (panels, SYNTHETIC data, power), ``privacy`` and
``output`` (figures, tables, notebooks, report); ``cli`` is the ``tppo`` command.

Names are resolved on first use, so importing the package is cheap and a notebook pays only for what it uses.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

_EXPORTS: dict[str, tuple[str, str | None]] = {
    "load_public_record": ("tppo_analysis.sources.public_record", "load_public_record"),
    "reconcile": ("tppo_analysis.record.reconciliation", "reconcile"),
    "load_villages": ("tppo_analysis.sources.geography", "load_villages"),
    "load_desa_binaan": ("tppo_analysis.sources.roster", "load_desa_binaan"),
    "load_events": ("tppo_analysis.sources.events", "load_events"),
    "regimes": ("tppo_analysis.sources.events", "regimes"),
    "holiday_regressors": ("tppo_analysis.sources.calendar", "holiday_regressors"),
    "IntervalCountModel": ("tppo_analysis.models.interval", "IntervalCountModel"),
    "fit_pooled": ("tppo_analysis.models.interval", "fit_pooled"),
    "PooledIntervalResults": ("tppo_analysis.models.interval", "PooledIntervalResults"),
    "backtest": ("tppo_analysis.models.backtest", "backtest"),
    "recommended_interval_model": ("tppo_analysis.models.choice", "recommended_interval_model"),
    "save_figure": ("tppo_analysis.output.plotting", "save_figure"),
    "save_table": ("tppo_analysis.output.tables", "save_table"),
    "provenance_line": ("tppo_analysis.provenance", "provenance_line"),
    "round_frame": ("tppo_analysis.protocol", "round_frame"),
    "TppoError": ("tppo_analysis.errors", "TppoError"),
    "DataValidationError": ("tppo_analysis.errors", "DataValidationError"),
    "setup": ("tppo_analysis.session", "setup"),
    "load_data": ("tppo_analysis.datasets", "load_data"),
    "AmbiguousPeriodError": ("tppo_analysis.errors", "AmbiguousPeriodError"),
    "parse_period": ("tppo_analysis.sources.periods", "parse_period"),
    "Period": ("tppo_analysis.sources.periods", "Period"),
    "StaggeredDesign": ("tppo_analysis.effects.staggered", "StaggeredDesign"),
    # modules
    "effects": ("tppo_analysis.effects", None),
    "paths": ("tppo_analysis.paths", None),
    "privacy": ("tppo_analysis.privacy", None),
    "provenance": ("tppo_analysis.provenance", None),
    "plotting": ("tppo_analysis.output.plotting", None),
    "synthetic": ("tppo_analysis.design.synthetic", None),
    "calendar": ("tppo_analysis.sources.calendar", None),
    "models": ("tppo_analysis.models", None),
    "power": ("tppo_analysis.design.power", None),
    "rates": ("tppo_analysis.record.rates", None),
    "context": ("tppo_analysis.record.context", None),
    "trends": ("tppo_analysis.models.trends", None),
    "seasonality": ("tppo_analysis.models.seasonality", None),
    "record_summary": ("tppo_analysis.record.summary", None),
    "roster": ("tppo_analysis.sources.roster", None),
    "panel": ("tppo_analysis.design.panel", None),
    "tables": ("tppo_analysis.output.tables", None),
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


if TYPE_CHECKING:  # for type checkers and IDEs: every name of _EXPORTS
    from . import effects, models, paths, privacy, provenance  # noqa: F401
    from .datasets import load_data  # noqa: F401
    from .design import panel, power, synthetic  # noqa: F401
    from .effects.staggered import StaggeredDesign  # noqa: F401
    from .errors import AmbiguousPeriodError, DataValidationError, TppoError  # noqa: F401
    from .models import seasonality, trends  # noqa: F401
    from .models.backtest import backtest  # noqa: F401
    from .models.choice import recommended_interval_model  # noqa: F401
    from .models.interval import IntervalCountModel, PooledIntervalResults, fit_pooled  # noqa: F401
    from .output import plotting, tables  # noqa: F401
    from .output.plotting import save_figure  # noqa: F401
    from .output.tables import save_table  # noqa: F401
    from .protocol import round_frame  # noqa: F401
    from .provenance import provenance_line  # noqa: F401
    from .record import context, rates  # noqa: F401
    from .record import summary as record_summary  # noqa: F401
    from .record.reconciliation import reconcile  # noqa: F401
    from .session import setup  # noqa: F401
    from .sources import calendar, roster  # noqa: F401
    from .sources.calendar import holiday_regressors  # noqa: F401
    from .sources.events import load_events, regimes  # noqa: F401
    from .sources.geography import load_villages  # noqa: F401
    from .sources.periods import Period, parse_period  # noqa: F401
    from .sources.public_record import load_public_record  # noqa: F401
    from .sources.roster import load_desa_binaan  # noqa: F401
