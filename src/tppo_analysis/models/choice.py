"""The rule of ``docs/model_choice.md`` in code, and the model it chose.

The rule of ``docs/model_choice.md``, in code: candidate trend models, the step-by-step choice by the backtest,
and :func:`recommended_interval_model`, the model it chose.

:func:`run_choice` runs the backtest step by step (each step's candidates keep the previous steps' winners) and
returns every backtest row, one row per decision and the chosen options; :func:`decide` re-derives the decisions from
the rows alone, which is how a test checks that :data:`RECOMMENDED` is what the committed
``results/studies/backtest.csv`` says.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import pandas as pd

from ..errors import TppoError
from ..protocol import round_frame
from .backtest import NaivePersistence, backtest, score_rows, summarise
from .interval.model import IntervalCountModel
from .interval.pooled import PooledModel

__all__ = [
    "OPTIONS",
    "START",
    "STEPS",
    "RECOMMENDED",
    "REOPENING",
    "candidate_name",
    "candidate_model",
    "decide",
    "run_choice",
    "benchmarks",
    "recommended_interval_model",
]

#: The options the rule varies, in its order of preference (simpler / less added uncertainty first).
OPTIONS: dict[str, tuple] = {
    "smoothing": ("aicc", "aic", "bic"),
    "forecast": ("flat", "damped", "linear"),
    "dispersion": ("window", "month"),
    "breaks": ("none", "post_reopening"),
    "drift_sd": (0.0, 0.25, 0.5),
}
STEPS = ("smoothing", "forecast", "dispersion", "breaks", "drift_sd")
#: Where the steps start (docs/model_choice.md §3).
START = {"forecast": "flat", "dispersion": "month", "breaks": "none", "drift_sd": 0.25}
#: Within this relative margin of the best interval score, the candidate earlier in OPTIONS order wins.
TIE_MARGIN = 0.02
COVERAGE_BAND = (0.80, 0.97)
#: Start of the post-reopening regime when no event table is at hand (Malaysia's border reopening).
REOPENING = pd.Timestamp("2022-04-01")

#: The options the committed backtest chose (``results/studies/backtest.md``); a test re-derives them from
#: ``results/studies/backtest.csv``.
RECOMMENDED: dict = {
    "smoothing": "aicc",
    "forecast": "flat",
    "dispersion": "window",
    "breaks": "post_reopening",
    "drift_sd": 0.5,
    "pooled": False,
}


def candidate_name(opts: Mapping) -> str:
    """Stable row label of a smooth candidate, e.g. ``smooth[aicc, flat, window, post_reopening, drift 0.5]``."""
    return (
        f"smooth[{opts['smoothing']}, {opts['forecast']}, {opts['dispersion']}, {opts['breaks']}, "
        f"drift {float(opts['drift_sd']):g}]"
    )


def _model_options(opts: Mapping, reopening: pd.Timestamp) -> dict:
    return {
        "holidays": False,
        "smoothing": opts["smoothing"],
        "forecast": opts["forecast"],
        "dispersion": opts["dispersion"],
        "drift_sd": float(opts["drift_sd"]),
        "breaks": {"post_reopening": reopening} if opts["breaks"] == "post_reopening" else None,
    }


def candidate_model(
    opts: Mapping, *, family: str = "negbin", reopening=REOPENING, pooled: bool = False
) -> IntervalCountModel | PooledModel:
    """Return the unfitted model of a candidate (single-series, or pooled over the key series)."""
    kw = _model_options(opts, pd.Timestamp(reopening))
    if pooled:
        return PooledModel(family=family, **kw)
    return IntervalCountModel(family, trend="smooth", **kw)


def benchmarks(*, reopening=REOPENING) -> dict[str, object]:
    """Return the benchmark models of docs/model_choice.md §2 (the monthly NB is added by the caller when available)."""
    return {
        "linear": IntervalCountModel("negbin", trend="linear", holidays=False),
        "naive persistence": NaivePersistence(),
        "linear + post-reopening level": IntervalCountModel(
            "negbin", trend="linear", holidays=False, breaks={"post_reopening": pd.Timestamp(reopening)}
        ),
    }


def _pick(scores: pd.DataFrame, names: Sequence[str], *, coverage: bool = False) -> tuple[str, str]:
    """Return the winner among ``names`` (in preference order) and the reason."""
    s = scores.set_index("model").loc[list(names)]
    pool = s
    if coverage:
        ok = s[(s["coverage_90"] >= COVERAGE_BAND[0]) & (s["coverage_90"] <= COVERAGE_BAND[1])]
        if ok.empty:
            best = (s["coverage_90"] - 0.9).abs().idxmin()
            return str(best), "no candidate has coverage in 0.80-0.97: closest to 0.90"
        pool = ok
    low = float(pool["interval_score_log"].min())
    for name in names:
        if name in pool.index and pool.loc[name, "interval_score_log"] <= low * (1 + TIE_MARGIN) + 1e-12:
            why = (
                "lowest interval score"
                if pool.loc[name, "interval_score_log"] == low
                else f"within {TIE_MARGIN:.0%} of the lowest and simpler"
            )
            return str(name), why
    raise TppoError("no candidate to choose from")  # pragma: no cover


def decide(scores: pd.DataFrame, eligible: Sequence[str], *, upto: str | None = None) -> tuple[pd.DataFrame, dict]:
    """Walk the steps of the rule over the pooled scores (:func:`summarise` by model) of the candidates.

    Returns one row per step (step, candidates, winner, reason) and the chosen options, with ``pooled`` when all
    steps ran (``upto=None``); with ``upto`` only the steps up to that one run and later options keep their start.
    """
    if not eligible:
        raise TppoError("no eligible smoothing criterion")
    opts = {"smoothing": eligible[0], **START}
    rows = []
    for step in STEPS[: STEPS.index(upto) + 1] if upto else STEPS:
        values = [v for v in OPTIONS[step] if step != "smoothing" or v in eligible]
        names = [candidate_name({**opts, step: v}) for v in values]
        missing = [n for n in names if n not in set(scores["model"])]
        if missing:
            raise TppoError(f"step {step}: no backtest scores for {missing}")
        winner, why = _pick(scores, names, coverage=step == "drift_sd")
        opts[step] = values[names.index(winner)]
        rows.append({"step": step, "candidates": "; ".join(names), "winner": winner, "reason": why})
    if upto:
        return pd.DataFrame(rows), opts
    single = candidate_name(opts)
    pooled = "pooled " + single
    s = scores.set_index("model")
    use_pooled = bool(pooled in s.index and s.loc[pooled, "interval_score_log"] < s.loc[single, "interval_score_log"])
    rows.append(
        {
            "step": "pooling",
            "candidates": f"{single}; {pooled}",
            "winner": pooled if use_pooled else single,
            "reason": "lower interval score" if use_pooled else "pooling does not lower the interval score",
        }
    )
    return pd.DataFrame(rows), {**opts, "pooled": use_pooled}


def run_choice(
    obs: pd.DataFrame,
    origins: Sequence,
    eligible: Sequence[str],
    *,
    reopening=REOPENING,
    regime_starts=None,
    extra: Mapping[str, object] | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Run the rule: benchmarks (and ``extra`` models), then each step's candidates, then the pooled model.

    Returns (backtest rows of every model run, decisions, chosen options).
    """
    kw = {} if regime_starts is None else {"regime_starts": regime_starts}
    done: dict[str, pd.DataFrame] = {}

    def run(models: Mapping[str, object]) -> None:
        todo = {k: v for k, v in models.items() if k not in done}
        for name, model in todo.items():
            if progress:
                progress(name)
            done[name] = backtest(obs, {name: model}, origins, **kw)

    def scores() -> pd.DataFrame:
        return summarise(score_rows(pd.concat(done.values(), ignore_index=True)))

    run({**benchmarks(reopening=reopening), **(extra or {})})
    opts = {"smoothing": eligible[0], **START}
    for step in STEPS:
        values = [v for v in OPTIONS[step] if step != "smoothing" or v in eligible]
        run(
            {candidate_name({**opts, step: v}): candidate_model({**opts, step: v}, reopening=reopening) for v in values}
        )
        opts = decide(scores(), eligible, upto=step)[1]
    run({"pooled " + candidate_name(opts): candidate_model(opts, reopening=reopening, pooled=True)})
    decisions, chosen = decide(scores(), eligible)
    return pd.concat(done.values(), ignore_index=True), decisions, chosen


def recommended_interval_model(family: str = "negbin", *, holidays=False, reopening=None) -> IntervalCountModel:
    """Return the (unfitted) single-series interval model the rule chose.

    The (unfitted) single-series interval model that the rule of ``docs/model_choice.md`` chose on the committed
    backtest (:data:`RECOMMENDED`), with ``holidays`` as for :class:`IntervalCountModel` (the backtest ran without).
    ``reopening``: start of the post-reopening regime (default: from the event table when it is there, else
    :data:`REOPENING`).
    """
    if reopening is None:
        reopening = _reopening_from_events()
    opts = {k: v for k, v in RECOMMENDED.items() if k != "pooled"}
    kw = _model_options(opts, pd.Timestamp(reopening))
    kw["holidays"] = holidays
    return IntervalCountModel(family, trend="smooth", **kw)


def fit_pooled_recommended(
    obs: pd.DataFrame,
    series: Sequence[str],
    *,
    family: str = "negbin",
    holidays=False,
    reopening=None,
    measure: str = "dep_deferral_wni_pmi_suspected",
):
    """:func:`~tppo_analysis.models.interval.fit_pooled` with the options the rule chose."""
    from .interval.pooled import fit_pooled

    if reopening is None:
        reopening = _reopening_from_events()
    kw = _model_options({k: v for k, v in RECOMMENDED.items() if k != "pooled"}, pd.Timestamp(reopening))
    kw["holidays"] = holidays
    return fit_pooled(obs, series, family=family, measure=measure, **kw)


def _reopening_from_events() -> pd.Timestamp:
    try:
        from ..sources.events import regimes
    except ImportError:
        return REOPENING
    try:
        r = regimes()
    except (TppoError, OSError):
        return REOPENING
    row = r[r["regime"] == "post_reopening"]
    return pd.Timestamp(row["start"].iloc[0]) if len(row) else REOPENING


class SeriesFits:
    """Single-series fits of several series behind the pooled fit's interface (``series=`` selects one)."""

    def __init__(self, fits: Mapping[str, object]):
        self.fits = dict(fits)
        self.series = list(self.fits)

    def __getitem__(self, series: str):
        return self.fits[series]

    def _one(self, series: str | None):
        if series not in self.fits:
            raise TppoError(f"series must be one of {self.series}, got {series!r}")
        return self.fits[series]

    def predict_window(self, start, end, level: float = 0.9, seed: int = 0, *, series: str, **kw) -> dict:
        return self._one(series).predict_window(start, end, level=level, seed=seed, **kw)

    def monthly(self, level: float = 0.9, seed: int = 0, *, series: str, **kw) -> pd.DataFrame:
        return self._one(series).monthly(level=level, seed=seed, **kw)

    def period_change(self, before, after, level: float = 0.9, *, series: str) -> dict:
        return self._one(series).period_change(before, after, level=level)

    def period_rate(self, start, end, level: float = 0.9, *, series: str) -> dict:
        return self._one(series).period_rate(start, end, level=level)

    def plot(self, ax=None, *, series: str, **kw):
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
    opts = {k: v for k, v in RECOMMENDED.items() if k != "pooled"}
    return ("pooled " if RECOMMENDED.get("pooled") else "") + candidate_name(opts)
