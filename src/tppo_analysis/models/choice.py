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
from .backtest import NaivePersistence, backtest, score_rows, summarise
from .interval.model import IntervalCountModel
from .interval.pooled import PooledModel

__all__ = [
    "OPTIONS",
    "START",
    "STEPS",
    "RECOMMENDED",
    "REOPENING",
    "CLOSURE",
    "candidate_name",
    "pooled_name",
    "chosen_name",
    "alone_name",
    "single_options",
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
    "breaks": ("none", "post_reopening", "regimes"),
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
#: Start of the closure regime when no event table is at hand (suspension of placements, 20 March 2020).
CLOSURE = pd.Timestamp("2020-03-20")

#: The options the committed backtest chose (``results/studies/backtest.md``); a test re-derives them from
#: ``results/studies/backtest.csv``.
RECOMMENDED: dict = {
    "smoothing": "aicc",
    "forecast": "flat",
    "dispersion": "window",
    "breaks": "regimes",
    "drift_sd": 0.0,
    "pooled": True,
    "shared_dispersion": True,
}
#: Keys of :data:`RECOMMENDED` (and of the rule's chosen options) that are not options of a single-series model.
POOLING_KEYS = ("pooled", "shared_dispersion")


def candidate_name(opts: Mapping) -> str:
    """Stable row label of a smooth candidate, e.g. ``smooth[aicc, flat, window, post_reopening, drift 0.5]``.

    Parameters
    ----------
    opts : mapping
        Options of a candidate: smoothing, forecast, dispersion, breaks, drift_sd.
    """
    return (
        f"smooth[{opts['smoothing']}, {opts['forecast']}, {opts['dispersion']}, {opts['breaks']}, "
        f"drift {float(opts['drift_sd']):g}]"
    )


def pooled_name(opts: Mapping, *, shared_dispersion: bool = False) -> str:
    """Row label of a pooled candidate (amendment 2: one dispersion per series, or one shared by all).

    Parameters
    ----------
    opts : mapping
        Options of the candidate: smoothing, forecast, dispersion, breaks, drift_sd.
    shared_dispersion : bool
        The variant with one NB2 dispersion for all series.
    """
    return ("pooled shared-dispersion " if shared_dispersion else "pooled ") + candidate_name(opts)


def chosen_name(chosen: Mapping) -> str:
    """Row label of the model the rule chose, from options with ``pooled`` (and ``shared_dispersion``).

    Parameters
    ----------
    chosen : mapping
        Chosen options (:data:`RECOMMENDED` or the second value of :func:`decide`).
    """
    if chosen.get("pooled"):
        return pooled_name(chosen, shared_dispersion=bool(chosen.get("shared_dispersion")))
    return candidate_name(chosen)


def single_options(chosen: Mapping = RECOMMENDED) -> dict:
    """Return the options of ``chosen`` a single-series model takes (without ``pooled``, ``shared_dispersion``).

    Parameters
    ----------
    chosen : mapping
        Chosen options (default :data:`RECOMMENDED`).
    """
    return {k: v for k, v in chosen.items() if k not in POOLING_KEYS}


def alone_name(opts: Mapping) -> str:
    """Label of a candidate fitted to each series alone, as the model-sensitivity table shows it.

    Parameters
    ----------
    opts : mapping
        Options of the candidate: smoothing, forecast, dispersion, breaks, drift_sd.
    """
    return candidate_name(opts) + ", each series alone"


def _breaks(kind: str, reopening: pd.Timestamp, closure: pd.Timestamp) -> dict | None:
    """Level shifts of a candidate: none, one at the reopening, or one at each regime start (amendment 1)."""
    if kind == "post_reopening":
        return {"post_reopening": reopening}
    if kind == "regimes":
        return {"closure": closure, "post_reopening": reopening}
    return None


def _model_options(opts: Mapping, reopening: pd.Timestamp, closure: pd.Timestamp = CLOSURE) -> dict:
    return {
        "holidays": False,
        "smoothing": opts["smoothing"],
        "forecast": opts["forecast"],
        "dispersion": opts["dispersion"],
        "drift_sd": float(opts["drift_sd"]),
        "breaks": _breaks(str(opts["breaks"]), pd.Timestamp(reopening), pd.Timestamp(closure)),
    }


def candidate_model(
    opts: Mapping,
    *,
    family: str = "negbin",
    reopening=REOPENING,
    pooled: bool = False,
    closure=CLOSURE,
    shared_dispersion: bool = False,
) -> IntervalCountModel | PooledModel:
    """Return the unfitted model of a candidate (single-series, or pooled over the key series).

    Parameters
    ----------
    opts : mapping
        Options of a candidate: smoothing, forecast, dispersion, breaks, drift_sd.
    family : {'negbin', 'poisson'}
        Count distribution of a window total.
    reopening : date-like, optional
        Start of the post-reopening regime (default: the event table, else 1 April 2022).
    pooled : bool
        Return the pooled model over the key series instead.
    closure : date-like, optional
        Start of the closure regime (used by ``breaks="regimes"``; default 20 March 2020).
    shared_dispersion : bool
        With ``pooled``: one NB2 dispersion for all series (amendment 2).
    """
    kw = _model_options(opts, pd.Timestamp(reopening), pd.Timestamp(closure))
    if pooled:
        return PooledModel(family=family, **kw, **({"shared_dispersion": True} if shared_dispersion else {}))
    return IntervalCountModel(family, trend="smooth", **kw)


def benchmarks(*, reopening=REOPENING) -> dict[str, object]:
    """Return the benchmark models of docs/model_choice.md §2 (the monthly NB is added by the caller when available).

    Parameters
    ----------
    reopening : date-like, optional
        Start of the post-reopening regime (default: the event table, else 1 April 2022).
    """
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

    Parameters
    ----------
    scores : DataFrame
        Pooled scores by model (:func:`~tppo_analysis.models.backtest.summarise`).
    eligible : sequence of str
        Smoothing criteria that passed step 0 (the planted-truth screen).
    upto : str, optional
        Run the steps up to this one only.
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
    variants = [pooled_name(opts, shared_dispersion=True), pooled_name(opts)]  # amendment 2: shared first
    missing = [n for n in variants if n not in set(scores["model"])]
    if missing:
        raise TppoError(f"step pooling: no backtest scores for {missing}")
    pooled, why_variant = _pick(scores, variants)
    shared = pooled == variants[0]
    s = scores.set_index("model")
    use_pooled = bool(s.loc[pooled, "interval_score_log"] < s.loc[single, "interval_score_log"])
    rows.append(
        {
            "step": "pooled variant",
            "candidates": "; ".join(variants),
            "winner": pooled,
            "reason": why_variant,
        }
    )
    rows.append(
        {
            "step": "pooling",
            "candidates": f"{single}; {pooled}",
            "winner": pooled if use_pooled else single,
            "reason": "lower interval score" if use_pooled else "pooling does not lower the interval score",
        }
    )
    return pd.DataFrame(rows), {**opts, "pooled": use_pooled, "shared_dispersion": use_pooled and shared}


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

    Parameters
    ----------
    obs : DataFrame
        Reconciled windows: ``period_start``, ``period_end`` (inclusive dates), ``value`` and, for several series, ``series`` and ``measure``.
    origins : sequence of date-like
        Year ends at which the models are fitted.
    eligible : sequence of str
        Smoothing criteria that passed step 0 (the planted-truth screen).
    reopening : date-like, optional
        Start of the post-reopening regime (default: the event table, else 1 April 2022).
    regime_starts : sequence of Timestamp, optional
        First days of the closure and post-reopening regimes.
    extra : mapping of str to model, optional
        More benchmark models (e.g. the monthly NB).
    progress : callable, optional
        Called with each model name as its backtest starts.
    """
    kw = {} if regime_starts is None else {"regime_starts": regime_starts}
    closure = CLOSURE if regime_starts is None else pd.Timestamp(regime_starts[0])
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
            {
                candidate_name({**opts, step: v}): candidate_model(
                    {**opts, step: v}, reopening=reopening, closure=closure
                )
                for v in values
            }
        )
        opts = decide(scores(), eligible, upto=step)[1]
    run(
        {
            pooled_name(opts, shared_dispersion=sh): candidate_model(
                opts, reopening=reopening, closure=closure, pooled=True, shared_dispersion=sh
            )
            for sh in (False, True)
        }
    )
    decisions, chosen = decide(scores(), eligible)
    return pd.concat(done.values(), ignore_index=True), decisions, chosen


def recommended_interval_model(
    family: str = "negbin", *, holidays=False, reopening=None, closure=None
) -> IntervalCountModel:
    """Return the (unfitted) single-series interval model the rule chose.

    The (unfitted) single-series interval model that the rule of ``docs/model_choice.md`` chose on the committed
    backtest (:data:`RECOMMENDED`), with ``holidays`` as for :class:`IntervalCountModel` (the backtest ran without).
    ``reopening`` / ``closure``: starts of the post-reopening and closure regimes (default: from the event table
    when it is there, else :data:`REOPENING` / :data:`CLOSURE`).

    Parameters
    ----------
    family : {'negbin', 'poisson'}
        Count distribution of a window total.
    holidays : bool or sequence of str
        Holiday terms, as for :class:`~tppo_analysis.models.interval.model.IntervalCountModel`.
    reopening : date-like, optional
        Start of the post-reopening regime (default: the event table, else 1 April 2022).
    closure : date-like, optional
        Start of the closure regime (default: the event table, else 20 March 2020).
    """
    ev_closure, ev_reopening = _regime_starts_from_events()
    reopening = ev_reopening if reopening is None else reopening
    closure = ev_closure if closure is None else closure
    kw = _model_options(single_options(), pd.Timestamp(reopening), pd.Timestamp(closure))
    kw["holidays"] = holidays
    return IntervalCountModel(family, trend="smooth", **kw)


def _regime_starts_from_events() -> tuple[pd.Timestamp, pd.Timestamp]:
    """(closure start, post-reopening start) from the event table, or the defaults when it is not there."""
    try:
        from ..sources.events import regimes
    except ImportError:
        return CLOSURE, REOPENING
    try:
        r = regimes().set_index("regime")
    except (TppoError, OSError):
        return CLOSURE, REOPENING
    start = r["start"] if "start" in r.columns else pd.Series(dtype="datetime64[ns]")
    closure = pd.Timestamp(start["closure"]) if "closure" in start.index else CLOSURE
    reopening = pd.Timestamp(start["post_reopening"]) if "post_reopening" in start.index else REOPENING
    return closure, reopening


def _reopening_from_events() -> pd.Timestamp:
    return _regime_starts_from_events()[1]
