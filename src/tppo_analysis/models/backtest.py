"""Rolling-origin backtest of count models on the reconciled record, and the scores the model choice uses.

``backtest(obs, models, origins)`` fits every model at every origin on the windows that end on or before it and
predicts every later window of the same series; :func:`score_rows` and :func:`summarise` turn the rows into the
metrics of ``docs/model_choice.md`` (median absolute log ratio, 90% coverage, median width, interval score on the
log scale; Gneiting & Raftery 2007). The benchmarks the issue names live here too: :class:`NaivePersistence` (the last
daily rate carried forward) and :class:`MonthlyNB` (the monthly NB2 model of notebook 01 where complete months exist).
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InsufficientDataError, TppoError
from ..protocol import round_frame
from ._counts import nb_counts
from .interval.pooled import KEY_MEASURE, KEY_SERIES, PooledModel

#: default regime boundaries (closure, reopening) when no event table is given
DEFAULT_REGIME_STARTS = (pd.Timestamp("2020-03-20"), pd.Timestamp("2022-04-01"))
LEVEL = 0.9
__all__ = [
    "backtest",
    "score_rows",
    "summarise",
    "in_scores",
    "calibrated_width",
    "width_check",
    "NaivePersistence",
    "regime_index",
    "plot_backtest",
    "COLUMNS",
]
COLUMNS = [
    "model",
    "series",
    "measure",
    "origin",
    "period_start",
    "period_end",
    "days",
    "horizon_days",
    "reported",
    "predicted",
    "lower",
    "upper",
    "across_regime",
    "n_train",
    "note",
]


class NaivePersistence:
    """Benchmark: the last training window's daily rate carried forward.

    Benchmark: the last training window's daily rate carried forward, with an NB2 (or Poisson) interval whose
    ``alpha`` is the moment estimate from the one-step persistence errors of the training windows.
    """

    family = "negbin"

    def __repr__(self) -> str:
        """Show the options."""
        return "NaivePersistence()"

    def fit(self, obs: pd.DataFrame) -> _NaiveResults:
        """Fit to the windows ``obs`` and return the results.

        Parameters
        ----------
        obs : DataFrame
            Training windows of one series.
        """
        o = obs.sort_values("period_start")
        if len(o) == 0:
            raise InsufficientDataError("no windows")
        days = (o["period_end"] - o["period_start"]).dt.days.to_numpy() + 1
        rate = o["value"].to_numpy(dtype=float) / days
        alpha = 0.0
        if len(o) >= 3:
            m = rate[:-1] * days[1:]
            y = o["value"].to_numpy(dtype=float)[1:]
            ok = m > 0
            if ok.sum() >= 2:
                alpha = max(float(np.mean(((y[ok] - m[ok]) ** 2 - y[ok]) / m[ok] ** 2)), 0.0)
        return _NaiveResults(float(rate[-1]), alpha)


class _NaiveResults:
    def __init__(self, rate: float, alpha: float):
        self.rate, self.alpha = rate, alpha

    def predict_window(self, start, end, level: float = LEVEL, seed: int = 0, *, n_draws: int = 4000) -> dict:
        d = (pd.Timestamp(end) - pd.Timestamp(start)).days + 1
        mean = self.rate * d
        rng = np.random.default_rng(seed)
        counts = nb_counts(np.full(n_draws, mean), self.alpha, rng)
        lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
        return {
            "mean": mean,
            "lower": float(np.quantile(counts, lo, method="inverted_cdf")),
            "upper": float(np.quantile(counts, hi, method="inverted_cdf")),
        }


def regime_index(day, starts: Sequence[pd.Timestamp]) -> int:
    """0 before the first regime start, 1 from it, 2 from the second, ...

    Parameters
    ----------
    day : date-like
        A day.
    starts : sequence of Timestamp
        First days of the regimes after the first, in order.
    """
    return int(np.searchsorted(np.array([np.datetime64(s) for s in starts]), np.datetime64(day), side="right"))


def backtest(
    obs: pd.DataFrame,
    models: Mapping[str, Any],
    origins: Sequence,
    *,
    series: Sequence[str] = KEY_SERIES,
    measure: str = KEY_MEASURE,
    regime_starts: Sequence[pd.Timestamp] = DEFAULT_REGIME_STARTS,
    level: float = LEVEL,
    seed: int = 0,
    progress=None,
) -> pd.DataFrame:
    """One row per model x series x origin x held-out window (see ``docs/model_choice.md`` for the design).

    ``models`` maps a name to an unfitted model: anything with ``fit(obs)`` returning results with
    ``predict_window(start, end, level, seed)``, or a :class:`~tppo_analysis.models.interval.PooledModel`
    (fitted once per origin on all ``series``). A model that cannot be fitted at an origin gives rows with an
    empty prediction and the reason in ``note``.

    Parameters
    ----------
    obs : DataFrame
        Reconciled windows: ``period_start``, ``period_end`` (inclusive dates), ``value`` and, for several series, ``series`` and ``measure``.
    models : mapping of str to model
        Name -> unfitted model: anything with ``fit(obs)`` returning results with ``predict_window``, or a :class:`~tppo_analysis.models.interval.pooled.PooledModel`.
    origins : sequence of date-like
        Year ends at which the models are fitted.
    series : sequence of str
        Series keys to backtest.
    measure : str
        Measure of the windows (default: suspected non-procedural departure deferrals).
    regime_starts : sequence of Timestamp, optional
        First days of the closure and post-reopening regimes.
    level : float
        Confidence or prediction level, between 0 and 1.
    seed : int
        Seed of the random draws (results are reproducible).
    progress : callable, optional
        Called with each model name as its backtest starts.
    """
    data = {s: obs[(obs["series"] == s) & (obs["measure"] == measure)].sort_values("period_start") for s in series}
    origins = [pd.Timestamp(o) for o in origins]
    plan = []  # (series, origin, train, test) after the origin rules
    for s, o_all in data.items():
        prev = None
        for origin in origins:
            train = o_all[o_all["period_end"] <= origin]
            test = o_all[o_all["period_start"] > origin]
            key = tuple(train["period_start"]) + tuple(train["period_end"])
            if len(train) < 2 or len(test) == 0 or key == prev:
                continue
            prev = key
            plan.append((s, origin, train, test))
    rows = []
    for name, model in models.items():
        pooled: dict[pd.Timestamp, tuple[Any, str]] = {}
        if isinstance(model, PooledModel):
            for origin in sorted({p[1] for p in plan}):
                trains = obs[(obs["measure"] == measure) & obs["series"].isin(series) & (obs["period_end"] <= origin)]
                keep = [s for s in series if (trains["series"] == s).sum() >= 2]
                try:
                    pooled[origin] = (model.fit(trains[trains["series"].isin(keep)], keep), "")
                except TppoError as exc:
                    pooled[origin] = (None, str(exc).splitlines()[0])
        for s, origin, train, test in plan:
            res: Any
            if isinstance(model, PooledModel):
                res, note = pooled[origin]
                if res is not None and s not in res.series:
                    res, note = None, "series not in the pooled fit"
            else:
                try:
                    res, note = model.fit(train), ""
                except TppoError as exc:
                    res, note = None, str(exc).splitlines()[0]
            train_regimes = {
                regime_index(d, regime_starts)
                for a, b in zip(train["period_start"], train["period_end"], strict=True)
                for d in pd.date_range(a, b, freq="MS").append(pd.DatetimeIndex([a, b]))
            }
            for w in test.itertuples(index=False):
                row = {
                    "model": name,
                    "series": s,
                    "measure": measure,
                    "origin": origin,
                    "period_start": w.period_start,
                    "period_end": w.period_end,
                    "days": (w.period_end - w.period_start).days + 1,
                    "horizon_days": (w.period_start - origin).days,
                    "reported": int(w.value),
                    "across_regime": regime_index(w.period_end, regime_starts) not in train_regimes,
                    "n_train": len(train),
                    "note": note,
                }
                if res is not None:
                    kw: dict[str, Any] = {"series": s} if isinstance(model, PooledModel) else {}
                    p = res.predict_window(w.period_start, w.period_end, level=level, seed=seed, **kw)
                    row.update(predicted=p["mean"], lower=p["lower"], upper=p["upper"])
                rows.append(row)
            if progress is not None:
                progress.update(1)
    return pd.DataFrame(rows).reindex(columns=COLUMNS)


def score_rows(bt: pd.DataFrame, level: float = LEVEL) -> pd.DataFrame:
    """Add the per-row metrics of docs/model_choice.md.

    Per-row metrics: abs_log_ratio, covered, width ((upper + 1) / (lower + 1)), interval_score_log (on log(x + 1))
    and interval_score (counts).

    Parameters
    ----------
    bt : DataFrame
        Backtest rows (:func:`tppo_analysis.models.backtest.backtest`).
    level : float
        Level of the prediction intervals.
    """
    b = bt.dropna(subset=["predicted"]).copy()
    a = 1.0 - level
    y, lo, hi = b["reported"].astype(float), b["lower"].astype(float), b["upper"].astype(float)
    b["abs_log_ratio"] = np.abs(np.log((b["predicted"] + 0.5) / (y + 0.5)))
    b["covered"] = (lo <= y) & (y <= hi)
    b["width"] = (hi + 1.0) / (lo + 1.0)
    ly, ll, lu = np.log1p(y), np.log1p(lo), np.log1p(hi)
    b["interval_score_log"] = (lu - ll) + (2 / a) * (ll - ly).clip(lower=0) + (2 / a) * (ly - lu).clip(lower=0)
    b["interval_score"] = (hi - lo) + (2 / a) * (lo - y).clip(lower=0) + (2 / a) * (y - hi).clip(lower=0)
    return b


def in_scores(rows: pd.DataFrame, *, min_windows: int = 3) -> pd.DataFrame:
    """Return the rows the scores use: predicted, within the regime, of series with >= ``min_windows`` such rows.

    Parameters
    ----------
    rows : DataFrame
        Backtest rows (:func:`backtest`) or scored rows (:func:`score_rows`).
    min_windows : int
        Series (per model) with fewer such windows are left out.
    """
    s = rows[~rows["across_regime"].astype(bool) & rows["predicted"].notna()]
    counts = s.groupby(["model", "series"]).size()
    ok = counts[counts >= min_windows].reset_index()[["model", "series"]]
    return s.merge(ok, on=["model", "series"])


def summarise(scored: pd.DataFrame, by: Sequence[str] = ("model",), *, min_windows: int = 3) -> pd.DataFrame:
    """Metrics per group over the scored windows (not across regimes) of series with >= ``min_windows`` of them.

    Parameters
    ----------
    scored : DataFrame
        Rows of :func:`score_rows`.
    by : sequence of str
        Grouping columns.
    min_windows : int
        Series with fewer scored windows are left out.
    """
    s = in_scores(scored, min_windows=min_windows)

    def one(g):
        long = g[g["days"] >= 30]
        return pd.Series(
            {
                "windows": len(g),
                "median_abs_log_ratio": g["abs_log_ratio"].median(),
                "coverage_90": g["covered"].mean(),
                "median_width": g["width"].median(),
                "median_width_30d": long["width"].median() if len(long) else np.nan,
                "interval_score_log": g["interval_score_log"].mean(),
                "interval_score": g["interval_score"].mean(),
            }
        )

    return s.groupby(list(by)).apply(one, include_groups=False).reset_index()


def calibrated_width(
    scored: pd.DataFrame, level: float = LEVEL, *, min_days: int = 30, min_windows: int = 3
) -> pd.DataFrame:
    """Return the narrowest fixed-width interval around each model's point forecasts covering ``level`` of windows.

    For each model, over its scored windows (:func:`in_scores`) of at least ``min_days`` days: the log errors
    ``e = log((reported + 0.5) / (predicted + 0.5))`` and the width ``exp(q_hi - q_lo)`` of the central ``level``
    range of ``e`` (quantiles ``(1 - level) / 2`` and ``(1 + level) / 2``, linear interpolation). It is what an
    interval of one fixed width, shifted after the fact to the best place, would need to cover as often as asked,
    given how far the point forecasts miss. It is an in-sample oracle, not a bound: intervals whose width varies by
    window can do better where the misses vary. It answers whether a width target can be met at all with a model's
    point forecasts on this record.

    Parameters
    ----------
    scored : DataFrame
        Rows of :func:`score_rows`.
    level : float
        Coverage asked for.
    min_days : int
        Shortest window counted (days).
    min_windows : int
        As in :func:`in_scores`.

    Returns
    -------
    DataFrame
        One row per model: ``model``, ``windows``, ``median_width`` (the model's own intervals, same windows),
        ``calibrated_width``, ``error_sd`` (standard deviation of ``e``), sorted by ``calibrated_width``.
    """
    s = in_scores(scored, min_windows=min_windows)
    s = s[s["days"] >= min_days]
    e = np.log((s["reported"].astype(float) + 0.5) / (s["predicted"].astype(float) + 0.5))
    q = ((1.0 - level) / 2.0, (1.0 + level) / 2.0)
    rows = []
    for model, idx in s.groupby("model", sort=False).groups.items():
        em = e.loc[idx].to_numpy()
        lo, hi = np.quantile(em, q)
        rows.append(
            {
                "model": model,
                "windows": len(em),
                "median_width": float(s.loc[idx, "width"].median()),
                "calibrated_width": float(np.exp(hi - lo)),
                "error_sd": float(np.std(em, ddof=1)) if len(em) > 1 else np.nan,
            }
        )
    cols = ["model", "windows", "median_width", "calibrated_width", "error_sd"]
    return pd.DataFrame(rows, columns=cols).sort_values("calibrated_width", kind="stable").reset_index(drop=True)


def width_check(bt: pd.DataFrame, level: float = LEVEL) -> pd.DataFrame:
    """Tabulate :func:`calibrated_width` of backtest rows, rounded for display (notebook 01, ``backtest.md``).

    Parameters
    ----------
    bt : DataFrame
        Backtest rows (:func:`backtest`).
    level : float
        Coverage asked for.
    """
    return round_frame(calibrated_width(score_rows(bt), level))


def plot_backtest(bt: pd.DataFrame, models: Sequence[str], ax=None, *, labels=None):
    """Plot predicted against reported totals of the scored held-out windows.

    Predicted against reported totals of the scored held-out windows (:func:`in_scores`), log-log, one panel per model (one ``ax``:
    the first model only), colour and marker by origin year; vertical bars are the 90% prediction intervals.
    Returns ``(fig, axes)``.

    Parameters
    ----------
    bt : DataFrame
        Backtest rows (:func:`tppo_analysis.models.backtest.backtest`).
    models : sequence of str
        Model names (rows of the backtest) to show.
    ax : matplotlib Axes, optional
        Axes for the first model only (a new figure with one panel per model when None).
    labels : mapping of str to str, optional
        Plain labels of the model names.
    """
    import matplotlib.pyplot as plt

    models = list(models)
    axes: list[Any]
    if ax is None:
        fig, grid = plt.subplots(
            1, len(models), figsize=(3.6 * len(models), 3.9), sharex=True, sharey=True, squeeze=False
        )
        axes = list(grid[0])
    else:
        fig, axes, models = ax.figure, [ax], models[:1]
    b = in_scores(bt[bt["model"].isin(models)])
    colours = ["#0072B2", "#E69F00", "#000000", "#56B4E9", "#D55E00", "#F0E442"]
    markers = ["o", "s", "^", "D", "v", "P"]
    origins = sorted(pd.to_datetime(b["origin"]).dt.year.unique())
    hi = max(float(b[["reported", "predicted"]].max().max()), 10.0) * 3
    for a, name in zip(axes, models, strict=True):
        g = b[b["model"] == name]
        for j, year in enumerate(origins):
            h = g[pd.to_datetime(g["origin"]).dt.year == year]
            if h.empty:
                continue
            x, y = h["reported"].clip(lower=0.5), h["predicted"].clip(lower=0.5)
            a.vlines(
                x,
                h["lower"].clip(lower=0.5),
                h["upper"].clip(upper=hi * 10),
                color=colours[j % 6],
                alpha=0.35,
                linewidth=1.2,
            )
            a.scatter(x, y, marker=markers[j % 6], color=colours[j % 6], s=16, zorder=3, label=f"origin 31 Dec {year}")
        a.plot([0.5, hi], [0.5, hi], color="#444444", linewidth=0.8, linestyle=":")
        a.set_xscale("log")
        a.set_yscale("log")
        a.set_ylim(0.5, hi)
        a.set_title(textwrap.fill((labels or {}).get(name, name), 40), fontsize=8, loc="left")
        a.set_xlabel("reported total")
    axes[0].set_ylabel("predicted total (90% interval)")
    axes[0].legend(fontsize=7, loc="upper left")
    return fig, (axes[0] if len(axes) == 1 else axes)
