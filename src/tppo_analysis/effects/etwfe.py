"""Wooldridge (2023) Poisson extended TWFE: rate ratios of treated cells, parallel trends on the ratio scale.

Without covariates the sufficient-statistics engine :mod:`._etwfe_fast` fits the model (national scale); with
covariates, or ``engine="diff_diff"``, diff-diff's ``WooldridgeDiD(method="poisson")`` does, and
:class:`_RatioAggregator` aggregates its cell coefficients with the same definition of a rate ratio.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import TppoError
from . import _diffdiff, _etwfe_fast, _valid
from ._panel import _Prepared, from_ordinal
from .result import _KEY, _Z, EffectResult, _event_from_agg, _gt_frame, _key_values

__all__ = ["fit_poisson"]

#: The engine named in ``EffectResult.notes`` when the sufficient-statistics implementation ran.
FAST_ENGINE = "tppo_analysis.effects._etwfe_fast"


def _ratio_frame(level, key, key_vals, log_est, log_se, count=None) -> pd.DataFrame:
    log_est, log_se = np.asarray(log_est, float), np.asarray(log_se, float)
    out = pd.DataFrame({"level": level})
    if key is not None:
        out[key] = key_vals
    out["log_estimate"] = log_est
    out["log_se"] = log_se
    out["estimate"] = np.exp(log_est)
    out["se"] = np.exp(log_est) * log_se
    out["ci_lower"] = np.exp(log_est - _Z * log_se)
    out["ci_upper"] = np.exp(log_est + _Z * log_se)
    out["scale"] = "ratio"
    cols = [
        "level",
        *([key] if key else []),
        "estimate",
        "se",
        "ci_lower",
        "ci_upper",
        "scale",
        "log_estimate",
        "log_se",
    ]
    return out[cols]


class _RatioAggregator:
    """Rate ratios of sets of treated cells from cell log rate ratios ``delta`` (diff-diff path).

    Same definition as :mod:`tppo_analysis.effects._etwfe_fast`: ratio = sum of fitted treated means over the sum
    of counterfactual means, ``sum_k mu1_k / sum_k mu0_k``. In a Poisson model with a dummy per treated cell the
    fitted treated total of a cell equals its observed total ``Y_k`` (score equation), and ``mu0_k = Y_k
    exp(-delta_k)`` (covariates enter additively on the log scale, not interacted). The standard error is the delta
    method in ``delta`` with the observed totals held fixed.
    """

    def __init__(self, g, t, delta, vcov, ysum, prep):
        self.g, self.t, self.delta, self.V, self.Y, self.prep = g, t, delta, vcov, ysum, prep
        self.Y0 = ysum * np.exp(-delta)

    def _ratio(self, mask):
        s1, s0 = self.Y[mask].sum(), self.Y0[mask].sum()
        j = np.where(mask, self.Y0 / s0, 0.0)
        return float(np.log(s1 / s0)), float(np.sqrt(max(j @ self.V @ j, 0.0)))

    def frame(self, kind):
        every = np.ones(len(self.g), dtype=bool)
        e_all, s_all = self._ratio(every)
        levels, keys, ests, ses = ["overall"], [None], [e_all], [s_all]
        if kind == "simple":
            return _ratio_frame(levels, None, None, ests, ses)
        key_of = {"event": self.t - self.g, "group": self.g, "calendar": self.t}[kind]
        for k in np.unique(key_of):
            e, s_ = self._ratio(key_of == k)
            levels.append("element")
            keys.append(int(k))
            ests.append(e)
            ses.append(s_)
        name = _KEY[kind]
        vals = (
            pd.array([pd.NA if k is None else k for k in keys], dtype="Int64")
            if kind == "event"
            else _key_values(keys, self.prep)
        )
        return _ratio_frame(levels, name, vals, ests, ses)


def _poisson_fast(prep: _Prepared, control: str):
    return _etwfe_fast.fit(prep.data, outcome="_y", unit="_u", time="_t", cohort="_g", control=control)


def _with_level(frame: pd.DataFrame, simple: pd.DataFrame, key: str | None, prep: _Prepared) -> pd.DataFrame:
    out = frame.copy()
    if key is None:
        out.insert(0, "level", "overall")
        return out
    if key in ("cohort", "time"):
        out[key] = _key_values([int(v) for v in out[key]], prep)
    else:
        out[key] = pd.array(out[key].astype(np.int64), dtype="Int64")
    out.insert(0, "level", "element")
    top = simple.copy()
    top.insert(0, "level", "overall")
    top.insert(1, key, pd.NA if key == "event_time" else (pd.NaT if prep.time_kind == "month" else pd.NA))
    return pd.concat([top, out], ignore_index=True)


def fit_poisson(
    prep,
    control,
    covariates,
    warn,
    engine: str,
    *,
    strata: np.ndarray | None = None,
    cluster: np.ndarray | None = None,
    inference: str = "auto",
    level: float = 0.95,
    n_boot: int = 999,
    seed: int = 0,
) -> EffectResult:
    """Run the ``estimator="poisson_etwfe"`` branch of :func:`tppo_analysis.effects.fit` on a prepared panel.

    The overall rate ratio and the event study carry the valid interval of :mod:`._valid` (``method`` column);
    the cohort x period cells and the "group", "calendar" and "count" aggregations keep the saturated model's
    village-clustered errors (``method = "cluster_robust_saturated"``), which under-cover with few villages per
    launch cohort. With ``strata`` (period effects by stratum) only the overall and event aggregations exist.

    Parameters
    ----------
    prep : _Prepared
        The panel as checked and coded by :func:`tppo_analysis.effects._panel.prepare`.
    control : {"never_treated", "not_yet_treated"}
        The comparison units.
    covariates : sequence of str
        Time-invariant covariates (diff-diff path).
    warn : list of str
        Notes collected so far; the branch appends its own.
    engine : {"auto", "fast", "diff_diff"}
        Which implementation fits (see :func:`tppo_analysis.effects.fit`).
    strata : numpy.ndarray, optional
        Stratum code per unit, for period effects by stratum.
    cluster : numpy.ndarray, optional
        Cluster code per unit (default: the unit).
    inference : str
        The interval method of the overall rate ratio and event study.
    level : float
        Confidence level.
    n_boot : int
        Draws of the wild score bootstrap.
    seed : int
        Seed of the bootstrap.

    Returns
    -------
    EffectResult
        The fitted effects.
    """
    if (prep.data["_y"] < 0).any():
        raise TppoError("poisson_etwfe needs non-negative counts in the outcome column")
    use_fast = engine in ("auto", "fast") and not covariates
    if strata is not None and not use_fast:
        raise TppoError("time_fe_by (period effects by stratum) needs the sufficient-statistics engine: no covariates")
    notes = list(prep.notes)
    valid = None
    if use_fast:
        valid = _valid.build(prep, strata=strata, cluster=cluster, inference=inference, n_boot=n_boot, seed=seed)
        notes += _valid_notes(valid, prep, strata is not None)
    if use_fast and strata is None:
        fast = _poisson_fast(prep, control)
        gtf = fast.group_time
        g = gtf["cohort"].to_numpy(dtype=np.int64)
        t = gtf["time"].to_numpy(dtype=np.int64)
        gt = _gt_frame(g, t, gtf["estimate"].to_numpy(float), gtf["se"].to_numpy(float), prep)
        with np.errstate(divide="ignore", invalid="ignore"):
            simple = fast.aggregate("simple")

        def saturated(kind):
            with np.errstate(divide="ignore", invalid="ignore"):  # empty cells give rate ratio 0 (log -inf)
                if kind == "count":
                    out = _with_level(fast.aggregate("count"), None, None, prep)
                else:
                    out = _with_level(fast.aggregate(kind), simple, _KEY[kind], prep)
            return out.assign(method="cluster_robust_saturated")

        engine_used = FAST_ENGINE
        excluded, more_notes = _fast_poisson_excluded(fast, prep)
        notes += more_notes
    elif use_fast:
        gt = pd.DataFrame(columns=["cohort", "time", "event_time", "estimate", "se", "ci_lower", "ci_upper"])

        def saturated(kind):
            raise TppoError(
                f"aggregate({kind!r}) is not available with period effects by stratum (time_fe_by); "
                "use 'simple' or 'event'"
            )

        engine_used = "tppo_analysis.effects._ratio (period effects by stratum)"
        excluded = prep.excluded
    else:
        g, t, delta, Vd, ysum, count_df = _diffdiff.poisson_cells(prep.data, control, covariates, warn)
        agg = _RatioAggregator(g, t, delta, Vd, ysum, prep)
        gt = _gt_frame(g, t, delta, np.sqrt(np.diag(Vd)), prep)

        def saturated(kind):
            out = _count_frame(count_df) if kind == "count" else agg.frame(kind)
            return out.assign(method="cluster_robust_saturated")

        engine_used = "diff_diff.WooldridgeDiD(method='poisson')"
        excluded = prep.excluded
        notes.append(
            "with covariates the interval is diff-diff's village-clustered one (cluster_robust_saturated), "
            "which under-covers with few villages per launch cohort; the valid interval needs no covariates"
        )

    def aggregate(kind):
        if valid is not None and kind in ("simple", "event"):
            return _valid_aggregate(valid, kind, level)
        return saturated(kind)

    gt["scale"] = "log_ratio"
    res = EffectResult(
        "poisson_etwfe",
        control,
        pd.DataFrame(),
        gt,
        pd.DataFrame(),
        [*notes, f"engine: {engine_used}"],
        excluded,
        warn,
        aggregate,
        None,
    )
    res.level = level
    res._valid = valid
    res.overall = res.aggregate("simple").drop(columns=["level"]).reset_index(drop=True)
    res.event_study = _event_from_agg(res.aggregate("event"))
    return res


def _valid_aggregate(valid, kind: str, level: float) -> pd.DataFrame:
    overall = valid.frame(level)
    overall.insert(0, "level", "overall")
    if kind == "simple":
        return overall
    ev = valid.frame(level, by_event=True)
    ev.insert(0, "level", "element")
    overall.insert(1, "event_time", pd.NA)
    out = pd.concat([overall, ev], ignore_index=True)
    out["event_time"] = pd.array(out["event_time"], dtype="Int64")
    return out


def _valid_notes(valid, prep: _Prepared, stratified: bool) -> list[str]:
    notes = [f"interval: {valid.method} ({valid.n_treated_clusters()} treated clusters)"]
    fit = valid.fit
    if stratified and fit.dropped_cohorts:
        listed = ", ".join(f"{s}: {from_ordinal(np.array([c]), prep)[0]} ({n})" for s, c, n in fit.dropped_cohorts)
        notes.append(
            "stratum x cohort groups without any event before adoption are left out (baseline rate not "
            f"identified): {listed}"
        )
    if getattr(fit, "dropped_strata", None):
        listed = ", ".join(f"{s} ({n} units)" for s, n in fit.dropped_strata)
        notes.append(f"strata whose untreated village-months are too sparse to fit are left out: {listed}")
    if fit.dropped_periods:
        listed = ", ".join(f"{s}: {from_ordinal(np.array([t]), prep)[0]}" for s, t in fit.dropped_periods[:20])
        more = "" if len(fit.dropped_periods) <= 20 else f" and {len(fit.dropped_periods) - 20} more"
        notes.append(f"stratum x period cells without any untreated event are left out: {listed}{more}")
    return notes


def _fast_poisson_excluded(fast, prep: _Prepared) -> tuple[pd.DataFrame, list[str]]:
    """List the units of the cohorts the fast Poisson ETWFE left out.

    Units of the cohorts the fast Poisson ETWFE left out (``fast.excluded``: cohort, n_units, reason), added to
    the units ``prepare`` dropped, with one note naming the cohorts.
    """
    fx = fast.excluded
    if not len(fx):
        return prep.excluded, []
    d = prep.data
    cohorts = np.asarray(fx["cohort"], dtype=np.int64)  # the fast fit ran on prep.data: cohorts are ordinals
    labels = {int(c): str(v) for c, v in zip(cohorts, from_ordinal(cohorts, prep), strict=True)}
    reasons = dict(zip(cohorts.tolist(), fx["reason"].astype(str), strict=True))
    units = d.loc[d["_g"].isin(cohorts), ["_u", "_g"]].drop_duplicates("_u")
    unit_ids = prep.unit_labels[units["_u"].to_numpy()] if prep.unit_labels is not None else units["_u"].to_numpy()
    new = pd.DataFrame(
        {
            prep.unit: np.asarray(unit_ids),
            "reason": [
                f"cohort {labels[int(g)]}: {reasons[int(g)]} (left out of the Poisson ETWFE)" for g in units["_g"]
            ],
        }
    )
    parts = [x for x in (prep.excluded, new) if len(x)]
    excluded = pd.concat(parts, ignore_index=True) if len(parts) > 1 else new
    listed = ", ".join(f"{labels[int(c)]} ({int(n)} unit(s))" for c, n in zip(cohorts, fx["n_units"], strict=True))
    note = (
        f"{len(new)} unit(s) of {len(cohorts)} cohort(s) without any event before adoption are left out of the "
        f"Poisson ETWFE (baseline rate not identified): {listed}"
    )
    return excluded, [note]


def _count_frame(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["ci_lower"] = out["estimate"] - _Z * out["se"]
    out["ci_upper"] = out["estimate"] + _Z * out["se"]
    out["scale"] = "count"
    return out[["level", "estimate", "se", "ci_lower", "ci_upper", "scale"]]
