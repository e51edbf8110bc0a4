"""The valid interval of the Poisson ETWFE rate ratio, chosen automatically, for :func:`tppo_analysis.effects.fit`.

``inference="auto"`` (the default) uses the conditional quasi-score interval of :mod:`._wild` when the design has at
most :data:`AUTO_MAX_TREATED` treated clusters (every design this project expects: 19, 73, 185 or some hundreds of
program villages), and the event-pooled cluster-robust interval with t(G1 - 1) critical values above that (with
many treated clusters the two agree and the latter needs no search). The
coverage study (``scripts/effects_coverage_study.py``, ``results/studies/effects_coverage.csv``) is the evidence for
the choice. The result's ``method`` column says which interval was computed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import TppoError
from ._panel import _Prepared
from ._ratio import RatioFit, fit_ratio
from ._wild import (
    RatioPieces,
    conditional_score_interval,
    conditional_score_pvalue,
    naive_interval,
    pooled_interval,
    score_bootstrap_interval,
    score_bootstrap_pvalue,
)

__all__ = ["METHODS", "AUTO_MAX_TREATED", "ValidInference", "build", "choose_method"]

METHODS = ("conditional_score", "wild_score_bootstrap", "cluster_robust", "cluster_robust_saturated")
#: Above this many treated clusters ``inference="auto"`` uses the event-pooled cluster-robust interval.
AUTO_MAX_TREATED = 500


def choose_method(inference: str, n_treated_clusters: int) -> str:
    """Return the interval ``inference`` asks for ("auto" resolves by the number of treated clusters)."""
    if inference == "auto":
        return "conditional_score" if n_treated_clusters <= AUTO_MAX_TREATED else "cluster_robust"
    if inference not in METHODS:
        raise TppoError(f"inference must be 'auto' or one of {METHODS}, got {inference!r}")
    return inference


@dataclass
class ValidInference:
    """A ratio fit with the settings of its intervals; frames at any level."""

    fit: RatioFit
    inference: str
    n_boot: int
    seed: int
    cluster: np.ndarray | None
    unit_codes: np.ndarray  # _u code of each row of fit.y

    def n_treated_clusters(self) -> int:
        tr = self.fit.kept & (self.fit.unit_cohort > 0)
        if self.cluster is None:
            return int(tr.sum())
        return int(np.unique(self.cluster[tr]).size)

    @property
    def method(self) -> str:
        return choose_method(self.inference, self.n_treated_clusters())

    def interval(self, p: RatioPieces, level: float) -> tuple[float, float, float]:
        """(log se, lower, upper) on the log scale; se is the event-pooled one (or the naive one)."""
        if not np.isfinite(p.theta) or p.theta <= 0 or p.n_treated_events == 0:
            return np.nan, -np.inf, np.inf
        m = self.method
        if m == "cluster_robust_saturated":
            return naive_interval(p, level)
        if m == "conditional_score":
            return conditional_score_interval(p, level, cluster=self.cluster)
        se, lo, hi = pooled_interval(p, level, self.cluster)
        if m == "wild_score_bootstrap":
            lo, hi = score_bootstrap_interval(p, level, n_boot=self.n_boot, seed=self.seed, cluster=self.cluster)
        return se, lo, hi

    def pvalue(self, p: RatioPieces, theta0: float = 1.0) -> float:
        """p-value of "rate ratio = theta0" with the chosen method (normal / t for the cluster-robust ones)."""
        from scipy import stats

        m = self.method
        if m == "conditional_score":
            return conditional_score_pvalue(p, theta0, cluster=self.cluster)
        if m == "wild_score_bootstrap":
            return score_bootstrap_pvalue(p, theta0, n_boot=self.n_boot, seed=self.seed, cluster=self.cluster)
        se, _, _ = naive_interval(p) if m == "cluster_robust_saturated" else pooled_interval(p, 0.95, self.cluster)
        z = (np.log(p.theta) - np.log(theta0)) / se
        if m == "cluster_robust_saturated":
            return float(2 * stats.norm.sf(abs(z)))
        return float(2 * stats.t.sf(abs(z), max(self.n_treated_clusters() - 1, 1)))

    def frame(self, level: float, *, by_event: bool = False) -> pd.DataFrame:
        """Overall (one row) or event-time rows: estimate, se, ci_lower, ci_upper on the ratio scale, method."""
        rows = []
        targets: list[tuple[Any, Any]]
        if by_event:
            e_tab = self.fit.event_times()
            evs = sorted({int(e) for st in self.fit.strata for e in e_tab[st.cells]})
            targets = [(e, (lambda tab, e=e: tab == e)) for e in evs]
        else:
            targets = [(None, None)]
        for key, sel in targets:
            p = self.fit.pieces(sel)
            se, lo, hi = self.interval(p, level)
            lt = float(np.log(p.theta)) if p.theta > 0 else -np.inf
            ok = bool(np.isfinite(lo) and np.isfinite(hi) and p.theta > 0)
            nan = float("nan")
            rows.append(
                {
                    "event_time": key,
                    "estimate": p.theta if ok else nan,
                    "se": p.theta * se if ok else nan,
                    "ci_lower": np.exp(lo) if ok else nan,
                    "ci_upper": np.exp(hi) if ok else nan,
                    "scale": "ratio",
                    "log_estimate": lt if ok else nan,
                    "log_se": se if ok else nan,
                    "n_treated_events": int(round(p.n_treated_events)),
                    "method": self.method,
                    "identified": "yes" if ok else "no",
                    "note": "" if ok else "not bounded",
                }
            )
        out = pd.DataFrame(rows)
        if not by_event:
            out = out.drop(columns=["event_time"])
        else:
            out["event_time"] = out["event_time"].astype(np.int64)
        return out


def build(
    prep: _Prepared,
    *,
    strata: np.ndarray | None = None,
    cluster: np.ndarray | None = None,
    inference: str = "auto",
    n_boot: int = 999,
    seed: int = 0,
) -> ValidInference:
    """Ratio fit on the unit x period matrix of ``prep`` (``strata``/``cluster``: one value per ``_u`` code)."""
    d = prep.data
    units, uidx = np.unique(d["_u"].to_numpy(), return_inverse=True)
    times, tidx = np.unique(d["_t"].to_numpy(), return_inverse=True)
    y = np.zeros((len(units), len(times)))
    y[uidx, tidx] = d["_y"].to_numpy(dtype=float)
    g_unit = np.zeros(len(units), dtype=np.int64)
    g_unit[uidx] = d["_g"].to_numpy(dtype=np.int64)
    cohorts = np.unique(g_unit[g_unit > 0])
    uc = np.where(g_unit > 0, np.searchsorted(cohorts, g_unit) + 1, 0)
    s_codes = labels = None
    if strata is not None:
        s_codes, labels = pd.factorize(pd.Series(np.asarray(strata)[units]).astype(str), sort=True)
        labels = np.asarray(labels)
    fit = fit_ratio(y, uc, times, cohorts, strata=s_codes, strata_labels=labels)
    cl = None if cluster is None else np.asarray(cluster)[units]
    choose_method(inference, 0)  # validate the name early
    return ValidInference(fit, inference, int(n_boot), int(seed), cl, units)
