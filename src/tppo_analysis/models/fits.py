"""Fits of several series the way the notebooks use them: the rule's model for each series, one interface.

:func:`fit_recommended` fits the key series as ``docs/model_choice.md`` chose (pooled or one model per series);
:class:`SeriesFits` puts single-series fits behind the pooled fit's interface (``series=``); :class:`BoundFit` binds
one series of either, so tables and figures ask a fit without knowing how it was made. :func:`backtest_summary` and
:func:`chosen_model_name` read the committed backtest in the rule's terms.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from ..errors import TppoError
from ..protocol import round_frame
from ..sources.labels import series_label
from .backtest import in_scores, plot_backtest, score_rows, summarise
from .choice import (
    RECOMMENDED,
    _model_options,
    _regime_starts_from_events,
    _reopening_from_events,
    chosen_name,
    recommended_interval_model,
    single_options,
)
from .interval.pooled import KEY_MEASURE, KEY_SERIES

__all__ = [
    "figure_fields",
    "trend_figure",
    "backtest_figure",
    "SeriesFits",
    "BoundFit",
    "fit_recommended",
    "fit_pooled_recommended",
    "fit_specs",
    "backtest_summary",
    "chosen_model_name",
]


def fit_pooled_recommended(
    obs: pd.DataFrame,
    series: Sequence[str],
    *,
    family: str = "negbin",
    holidays=False,
    reopening=None,
    measure: str = "dep_deferral_wni_pmi_suspected",
    shared_dispersion: bool | None = None,
):
    """:func:`~tppo_analysis.models.interval.fit_pooled` with the options the rule chose.

    Parameters
    ----------
    obs : DataFrame
        Reconciled windows: ``period_start``, ``period_end`` (inclusive dates), ``value`` and, for several series, ``series`` and ``measure``.
    series : sequence of str
        Series keys to pool.
    family : {'negbin', 'poisson'}
        Count distribution of a window total.
    holidays : bool or sequence of str
        Holiday terms, as for :class:`~tppo_analysis.models.interval.model.IntervalCountModel`.
    reopening : date-like, optional
        Start of the post-reopening regime (default: the event table, else 1 April 2022).
    measure : str
        Measure of the windows (default: suspected non-procedural departure deferrals).
    shared_dispersion : bool, optional
        Override the chosen dispersion variant (default: as the rule chose).
    """
    from .interval.pooled import fit_pooled

    if reopening is None:
        reopening = _reopening_from_events()
    kw = _model_options(
        single_options(),
        pd.Timestamp(reopening),
        _regime_starts_from_events()[0],
    )
    kw["holidays"] = holidays
    shared = bool(RECOMMENDED.get("shared_dispersion")) if shared_dispersion is None else shared_dispersion
    return fit_pooled(obs, series, family=family, measure=measure, shared_dispersion=shared, **kw)


class SeriesFits:
    """Single-series fits of several series behind the pooled fit's interface (``series=`` selects one).

    Parameters
    ----------
    fits : mapping of str to IntervalCountResults
        One fit per series key.
    """

    def __init__(self, fits: Mapping[str, object]):
        self.fits = dict(fits)
        self.series = list(self.fits)

    def __getitem__(self, series: str):
        """Return the fit of ``series``."""
        return self.fits[series]

    def _one(self, series: str | None):
        if series not in self.fits:
            raise TppoError(f"series must be one of {self.series}, got {series!r}")
        return self.fits[series]

    def predict_window(self, start, end, level: float = 0.9, seed: int = 0, *, series: str, **kw) -> dict:
        """Predict the total of one series over a window.

        Parameters
        ----------
        start : date-like
            First day (inclusive).
        end : date-like
            Last day (inclusive).
        level : float
            Confidence or prediction level, between 0 and 1.
        seed : int
            Seed of the random draws (results are reproducible).
        series : str
            Series key (``docs/CONTRACTS.md`` §3).
        **kw : dict
            Passed on to the fit's ``plot``.
        """
        return self._one(series).predict_window(start, end, level=level, seed=seed, **kw)

    def monthly(self, level: float = 0.9, seed: int = 0, *, series: str, **kw) -> pd.DataFrame:
        """Predict the monthly totals of one series.

        Parameters
        ----------
        level : float
            Confidence or prediction level, between 0 and 1.
        seed : int
            Seed of the random draws (results are reproducible).
        series : str
            Series key (``docs/CONTRACTS.md`` §3).
        **kw : dict
            Passed on to the fit's ``plot``.
        """
        return self._one(series).monthly(level=level, seed=seed, **kw)

    def period_change(self, before, after, level: float = 0.9, *, series: str) -> dict:
        """Return the change of one series between two periods.

        Parameters
        ----------
        before : tuple of date-like
            (first, last) day of the earlier period.
        after : tuple of date-like
            (first, last) day of the later period.
        level : float
            Confidence or prediction level, between 0 and 1.
        series : str
            Series key (``docs/CONTRACTS.md`` §3).
        """
        return self._one(series).period_change(before, after, level=level)

    def period_rate(self, start, end, level: float = 0.9, *, series: str) -> dict:
        """Return the expected mean daily rate of one series over a period.

        Parameters
        ----------
        start : date-like
            First day (inclusive).
        end : date-like
            Last day (inclusive).
        level : float
            Confidence or prediction level, between 0 and 1.
        series : str
            Series key (``docs/CONTRACTS.md`` §3).
        """
        return self._one(series).period_rate(start, end, level=level)

    def plot(self, ax=None, *, series: str, **kw):
        """Plot one series.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on (a new figure when None).
        series : str
            Series key (``docs/CONTRACTS.md`` §3).
        **kw : dict
            Passed on to the fit's ``plot``.
        """
        return self._one(series).plot(ax=ax, **kw)


def fit_recommended(
    obs: pd.DataFrame,
    series: Sequence[str],
    *,
    family: str = "negbin",
    holidays=False,
    measure: str = "dep_deferral_wni_pmi_suspected",
    reopening=None,
):
    """Fit the key series as the rule chose (pooled or one model per series).

    The key series fitted as the rule chose: one pooled fit (``RECOMMENDED["pooled"]``) or one recommended model
    per series (:class:`SeriesFits`). Both answer ``predict_window``, ``monthly``, ``period_change`` with
    ``series=``.

    Parameters
    ----------
    obs : DataFrame
        Reconciled windows: ``period_start``, ``period_end`` (inclusive dates), ``value`` and, for several series, ``series`` and ``measure``.
    series : sequence of str
        Series keys.
    family : {'negbin', 'poisson'}
        Count distribution of a window total.
    holidays : bool or sequence of str
        Holiday terms, as for :class:`~tppo_analysis.models.interval.model.IntervalCountModel`.
    measure : str
        Measure of the windows (default: suspected non-procedural departure deferrals).
    reopening : date-like, optional
        Start of the post-reopening regime (default: the event table, else 1 April 2022).
    """
    if reopening is None:
        reopening = _reopening_from_events()
    if RECOMMENDED.get("pooled"):
        return fit_pooled_recommended(
            obs, series, family=family, holidays=holidays, reopening=reopening, measure=measure
        )
    fits = {}
    for s in series:
        o = obs[(obs["series"] == s) & (obs["measure"] == measure)]
        fits[s] = recommended_interval_model(family, holidays=holidays, reopening=reopening).fit(o)
    return SeriesFits(fits)


def backtest_summary(
    bt: pd.DataFrame, *, by: Sequence[str] = ("model",), models: Sequence[str] | None = None, across: bool = False
) -> pd.DataFrame:
    """Tabulate the backtest metrics per model, rounded.

    Backtest metrics (docs/model_choice.md) per model (and ``by``), over the scored windows or, with ``across``,
    over the windows predicted across the closures.

    Parameters
    ----------
    bt : DataFrame
        Backtest rows (:func:`tppo_analysis.models.backtest.backtest`).
    by : sequence of str
        Grouping columns.
    models : sequence of str, optional
        Keep only these models.
    across : bool
        Score the windows predicted across the closures instead.
    """
    sc = score_rows(bt)
    if across:
        sc = sc[sc["across_regime"].astype(bool)].assign(across_regime=False)
    else:
        sc = sc[~sc["across_regime"].astype(bool)]
    out = summarise(sc, by)
    if models is not None:
        out = out[out["model"].isin(models)]
    out["windows"] = out["windows"].astype(int)
    return round_frame(out.sort_values("interval_score_log").reset_index(drop=True))


def chosen_model_name() -> str:
    """Return the backtest row label of the model the rule chose."""
    return chosen_name(RECOMMENDED)


class BoundFit:
    """One series of a fit (pooled or single) behind one interface.

    One series of a fit (pooled or single) behind one interface: ``period_change``, ``period_rate``,
    ``predict_window``, ``monthly`` and ``plot`` without the ``series=`` argument.

    Parameters
    ----------
    res : fit
        A single-series or pooled fit.
    series : str, optional
        Series key, for a pooled fit.
    """

    def __init__(self, res, series: str | None = None):
        self.res, self.series = res, series

    def _kw(self) -> dict:
        return {} if self.series is None else {"series": self.series}

    def period_change(self, before, after, level: float = 0.9) -> dict:
        """Return the ratio of the expected mean daily rates of ``after`` and ``before``.

        Parameters
        ----------
        before : tuple of date-like
            (first, last) day of the earlier period.
        after : tuple of date-like
            (first, last) day of the later period.
        level : float
            Confidence or prediction level, between 0 and 1.
        """
        return self.res.period_change(before, after, level=level, **self._kw())

    def period_rate(self, start, end, level: float = 0.9) -> dict:
        """Return the expected mean daily rate over ``start``..``end``.

        Parameters
        ----------
        start : date-like
            First day (inclusive).
        end : date-like
            Last day (inclusive).
        level : float
            Confidence or prediction level, between 0 and 1.
        """
        return self.res.period_rate(start, end, level=level, **self._kw())

    def predict_window(self, start, end, level: float = 0.9, seed: int = 0) -> dict:
        """Predict the total over ``start``..``end`` (see the pooled or single results).

        Parameters
        ----------
        start : date-like
            First day (inclusive).
        end : date-like
            Last day (inclusive).
        level : float
            Confidence or prediction level, between 0 and 1.
        seed : int
            Seed of the random draws (results are reproducible).
        """
        return self.res.predict_window(start, end, level=level, seed=seed, **self._kw())

    def monthly(self, level: float = 0.9, seed: int = 0) -> pd.DataFrame:
        """Predict monthly totals.

        Parameters
        ----------
        level : float
            Confidence or prediction level, between 0 and 1.
        seed : int
            Seed of the random draws (results are reproducible).
        """
        return self.res.monthly(level=level, seed=seed, **self._kw())

    def plot(self, ax=None, **kw):
        """Plot the reported windows under the monthly fit and its band.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on (a new figure when None).
        **kw : dict
            Passed on to the fit's ``plot``.
        """
        return self.res.plot(ax=ax, **self._kw(), **kw)


def fit_specs(
    obs: pd.DataFrame, specs: Sequence[tuple[str, str]], *, holidays=False, reopening=None
) -> dict[tuple[str, str], BoundFit]:
    """Fit each (series, measure) with the model the backtest chose.

    Each (series, measure) fitted with the model the backtest chose: the key departure series together (pooled
    when the rule says so), any other series alone.

    Parameters
    ----------
    obs : DataFrame
        Reconciled windows: ``period_start``, ``period_end`` (inclusive dates), ``value`` and, for several series, ``series`` and ``measure``.
    specs : sequence of (str, str)
        (series, measure) pairs.
    holidays : bool or sequence of str
        Holiday terms, as for :class:`~tppo_analysis.models.interval.model.IntervalCountModel`.
    reopening : date-like, optional
        Start of the post-reopening regime (default: the event table, else 1 April 2022).
    """
    keys = [s for s, m in specs if m == KEY_MEASURE]
    out: dict[tuple[str, str], BoundFit] = {}
    if keys:
        key_fits = fit_recommended(obs, keys, holidays=holidays, reopening=reopening)
        for s in keys:
            out[(s, KEY_MEASURE)] = BoundFit(key_fits, s) if RECOMMENDED.get("pooled") else BoundFit(key_fits[s])
    for s, m in specs:
        if m != KEY_MEASURE:
            model = recommended_interval_model(reopening=reopening)
            out[(s, m)] = BoundFit(model.fit(obs[(obs["series"] == s) & (obs["measure"] == m)]))
    return {spec: out[spec] for spec in specs}


def trend_figure(
    fits: Mapping[tuple[str, str], BoundFit],
    *,
    events: Mapping[str, object] | None = None,
    level: float = 0.9,
    seed: int = 0,
):
    """Plot one panel per departure series: windows, monthly fit and band.

    One panel per departure series of ``fits``: reported windows under the reconstructed monthly series and its
    band (log scale, months without reported days hatched, ``events`` as dashed lines). Returns the figure.

    Parameters
    ----------
    fits : mapping of (str, str) to BoundFit
        Fits by (series, measure), as from :func:`trend_fits`.
    events : mapping of str to date, optional
        Events drawn as dashed vertical lines (label -> date).
    level : float
        Confidence or prediction level, between 0 and 1.
    seed : int
        Seed of the random draws (results are reproducible).
    """
    import matplotlib.pyplot as plt

    specs = [k for k in fits if k[1] == KEY_MEASURE]
    fig, axes = plt.subplots(len(specs), 1, figsize=(8.5, 2.5 * len(specs)), sharex=True, squeeze=False)
    for ax, spec in zip(axes[:, 0], specs, strict=True):
        fits[spec].plot(ax=ax, level=level, seed=seed, events=events)
        ax.set_title(series_label(spec[0]), loc="left", fontsize=9)
    axes[0, 0].legend(loc="upper left", fontsize=7, ncol=2)
    axes[-1, 0].set_xlabel("date")
    fig.suptitle(
        "Departure deferrals (suspected non-procedural migrant workers) per day:\nreported windows and the "
        f"reconstructed monthly series with its {int(round(level * 100))}% band",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


def backtest_figure(bt: pd.DataFrame, models: Sequence[str], labels: Mapping[str, str] | None = None):
    """Predicted against reported held-out windows (log scale, by origin) for ``models``. Returns the figure.

    Parameters
    ----------
    bt : DataFrame
        Backtest rows (:func:`tppo_analysis.models.backtest.backtest`).
    models : sequence of str
        Model names (rows of the backtest) to show.
    labels : mapping of str to str, optional
        Plain labels of the model names.
    """
    fig, _ = plot_backtest(bt, models, labels=labels)
    fig.suptitle("Backtest on the record: predicted vs reported held-out windows (log scales)", fontsize=10)
    fig.tight_layout()
    return fig


def figure_fields(name: str, obs: pd.DataFrame, bt: pd.DataFrame | None = None) -> dict:
    """Return the structured sidecar fields of notebook 01's figures (``tppo.save_figure(fig, name, **fields)``).

    Parameters
    ----------
    name : str
        ``"01_trend_fits"`` or ``"01_backtest"``.
    obs : DataFrame
        Reconciled observations.
    bt : DataFrame, optional
        Backtest rows, for ``"01_backtest"``.

    Returns
    -------
    dict
        ``source``, ``what``, ``series``, ``period``, ``n``, ``interval``, ``model`` and ``caveat``.
    """
    model = chosen_model_name()
    if name == "01_trend_fits":
        n = int((obs["series"].isin(KEY_SERIES) & (obs["measure"] == KEY_MEASURE)).sum())
        return {
            "source": "public statements compiled in data/public, reconciled by tppo.reconcile",
            "what": "Departure deferrals of suspected non-procedural migrant workers per day: reported windows "
            "(daily averages, grey bars) and the reconstructed monthly series",
            "series": [series_label(s) for s in KEY_SERIES],
            "period": "January 2017 to April 2025",
            "n": f"{n} reconciled windows",
            "interval": "90% prediction band (parameter, drift and count noise)",
            "model": f"interval count model chosen by backtest, {model}",
            "caveat": "hatched months have no reported day: the band there is interpolation, not data",
        }
    if name == "01_backtest" and bt is not None:
        scored = in_scores(bt)
        per_model = scored.groupby("model").size()
        return {
            "source": "results/studies/backtest.csv (scripts/backtest_study.py), data/public",
            "what": "Held-out windows predicted from the windows before each origin, against what was reported",
            "series": sorted({series_label(s) for s in scored["series"]}),
            "period": "origins 31 December 2019-2024; held-out windows in the regime of their training data",
            "n": f"{int(per_model.max())} scored windows per model",
            "interval": "90% prediction intervals (vertical bars)",
            "model": f"chosen model ({model}), the linear trend published before, naive persistence",
            "caveat": "log scales; dotted line = perfect prediction",
        }
    raise TppoError(f"no figure fields for {name!r}")
