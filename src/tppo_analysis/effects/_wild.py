"""Inference for Poisson ETWFE rate ratios that holds with few treated villages and sparse, over-dispersed counts.

Why this module exists (written by hand). The village-clustered sandwich of the saturated Poisson ETWFE under-covers
when launch cohorts are small: every treated cohort x month cell has its own coefficient, so with one or two
villages per launch month the post-launch residuals of a cohort are zero (one village) or only deviations from the
cohort's own mean (two villages). The noise of the treated counts, which dominates the uncertainty of the rate
ratio, is then missing from the variance. On the project's realistic designs the nominal 95% interval covered 0.84
(19 treated villages) and 0.79 (73 treated villages, launches spread over 29 months) of the time (pilot study,
issue 14). The wild-bootstrap libraries (``wildboottest``, pyfixest's ``wildboottest()``, R ``fwildclusterboot``)
handle linear models only and do not invert the test for an interval; none implements a score bootstrap for a
Poisson model with an aggregate rate-ratio target, so it is written here.

Linearisation. The overall rate ratio is ``theta = S1 / S0``, observed treated count over counterfactual count.
Each village's contribution to ``log theta_hat`` is split into

* ``l_i`` — the part that runs through the period and cohort effects estimated from untreated village-months;
* the direct part of a treated village, measured against the *event-pooled* profile (the rate ratio at each month
  since launch, common to all cohorts) instead of its own cohort's cells. This keeps the noise of the treated
  counts that cohort-saturation removes, and lets the effect build up with months since launch.

Intervals (the ``method`` column of a result says which one was used):

* ``conditional_score`` (default when treated clusters are few): the conditional Poisson quasi-score test of
  H0: theta = theta0, inverted (a Fieller-type interval). Given a treated village's count over its pre-launch months
  and the aggregate's cells, its count in the cells is binomial under H0 with probability ``u r_i / (1 + u r_i)``
  (u = theta0 / theta_hat, r_i the event-pooled profile's mass in the cells over the pre-launch mass), so the unit
  effect drops out and a village without any event contributes nothing, as in the Poisson fixed-effects
  likelihood (Wooldridge 1999). The score's variance is its information at theta0 times an over-dispersion factor
  estimated once, at the estimate, from the cluster sums of the scores (floored at 1), plus the variance through
  the period effects; the critical value is t(G1 - 1). Because the information is evaluated at theta0, sparse
  counts (most village-months zero) do not shrink the variance of values of theta0 far from the estimate, which is
  where the residual-based intervals failed. Closed form per candidate theta0: no draws, no seed.
* ``wild_score_bootstrap``: the score bootstrap of Kline & Santos (2012)
  with the null imposed, inverted. For H0: theta = theta0 the score of a treated village is the *conditional*
  Poisson score: given its count over the pre-launch months and the aggregate's cells, the count in the cells is
  binomial with probability ``u r_i / (1 + u r_i)`` (u = theta0 / theta_hat, r_i the profile's mass in the cells
  over the pre-launch mass), so a village without any event contributes nothing — as in the Poisson fixed-effects
  likelihood. The statistic ``T = sum e / sqrt(sum e^2)`` (e = score / information + l) is compared with
  ``T* = sum w e / sqrt(sum w^2 e^2)`` for Webb's six-point cluster weights w (Rademacher optional); the interval
  is every theta0 not rejected at 1 - level, found by bisection. Only clusters holding treated villages change with
  theta0, so each candidate costs O(draws x treated clusters).
* ``cluster_robust``: ``log theta_hat +- t(G1 - 1) se`` with the event-pooled contributions (G1 treated clusters),
  for designs with many treated clusters, where the bootstrap's memory would grow with villages x draws.
* ``cluster_robust_saturated``: the plain village-clustered sandwich (normal critical value) of the saturated model,
  kept only as the naive comparison of the coverage study.

References: Kline, P. and Santos, A. (2012) "A score based approach to wild bootstrap inference", Journal of
Econometric Methods 1(1); MacKinnon, J. G. and Webb, M. D. (2017) "Wild bootstrap inference for wildly different
cluster sizes", Journal of Applied Econometrics 32(2); Webb, M. D. (2023) "Reworking wild bootstrap-based inference
for clustered errors", Canadian Journal of Economics 56(3); Wooldridge, J. M. (1999) "Distribution-free estimation
of some nonlinear panel data models", Journal of Econometrics 90(1) (the conditional Poisson score).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = [
    "RatioPieces",
    "WEBB",
    "naive_interval",
    "pooled_interval",
    "conditional_score_interval",
    "conditional_score_pvalue",
    "score_bootstrap_interval",
    "score_bootstrap_pvalue",
]

#: Webb's six-point weights (mean 0, variance 1).
WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])


@dataclass
class RatioPieces:
    """Per-village pieces of one aggregate log rate ratio (arrays aligned to the villages of the fit).

    theta, S0 : the rate ratio and its counterfactual count.
    l : contribution through the period and cohort effects (all villages).
    d : event-pooled direct contribution (treated villages; 0 elsewhere).
    ypost, m : treated villages' count in the aggregate's cells and the count expected there under the event-pooled
        profile.
    treated : boolean per village.
    factor : small-sample factor of the cluster-robust variance (fixest's).
    c : contributions of the saturated model (sum of squares x factor = the naive village-clustered variance).
    r, ytot : treated villages' profile mass in the cells over their pre-launch mass, and their count over the
        pre-launch months and the cells (the conditional score's inputs).
    """

    theta: float
    S0: float
    l: np.ndarray
    d: np.ndarray
    ypost: np.ndarray
    m: np.ndarray
    treated: np.ndarray
    factor: float
    c: np.ndarray
    r: np.ndarray
    ytot: np.ndarray

    @property
    def n_treated_events(self) -> float:
        """Events of treated villages in the aggregate's cells."""
        return float(self.ypost.sum())


def _cluster_index(p: RatioPieces, cluster) -> tuple[np.ndarray, int, int]:
    inv = np.arange(len(p.treated)) if cluster is None else np.unique(np.asarray(cluster), return_inverse=True)[1]
    n_cl = int(inv.max()) + 1 if len(inv) else 0
    g1 = int(np.unique(inv[p.treated]).size)
    return inv, n_cl, g1


def naive_interval(p: RatioPieces, level: float = 0.95) -> tuple[float, float, float]:
    """Return the saturated model's village-clustered interval: (log se, lower, upper) of the log ratio, normal."""
    se = float(np.sqrt(p.factor * (p.c @ p.c)))
    z = float(stats.norm.ppf(0.5 + level / 2))
    lt = float(np.log(p.theta))
    return se, lt - z * se, lt + z * se


def pooled_interval(p: RatioPieces, level: float = 0.95, cluster=None) -> tuple[float, float, float]:
    """Event-pooled cluster-robust interval: (log se, lower, upper) of the log ratio, t(G1 - 1) critical value."""
    inv, n_cl, g1 = _cluster_index(p, cluster)
    e = np.bincount(inv, weights=p.l + p.d, minlength=n_cl)
    se = float(np.sqrt(p.factor * (e @ e)))
    crit = float(stats.t.ppf(0.5 + level / 2, max(g1 - 1, 1)))
    lt = float(np.log(p.theta))
    return se, lt - crit * se, lt + crit * se


class _ScoreBootstrap:
    """The conditional score bootstrap of one aggregate; draws fixed once, evaluated at any theta0."""

    def __init__(self, p: RatioPieces, n_boot: int, seed: int, weights: str, cluster, chunk: int = 250):
        if weights == "webb":
            draws = WEBB
        elif weights == "rademacher":
            draws = np.array([-1.0, 1.0])
        else:
            from ..errors import TppoError

            raise TppoError(f"weights must be 'webb' or 'rademacher', got {weights!r}")
        rng = np.random.default_rng(seed)
        inv, n_cl, _ = _cluster_index(p, cluster)
        self.p, self.tr_idx = p, np.flatnonzero(p.treated)
        base = np.bincount(inv, weights=p.l, minlength=n_cl)
        tcl, self.tpos = np.unique(inv[self.tr_idx], return_inverse=True)
        other = np.ones(n_cl, dtype=bool)
        other[tcl] = False
        bo = base[other]
        self.base_t = base[tcl]
        self.W_t = np.empty((n_boot, len(tcl)))
        self.num0 = np.empty(n_boot)
        self.den0 = np.empty(n_boot)
        for a in range(0, n_boot, chunk):  # bounded memory on national panels (draws x clusters)
            b = min(a + chunk, n_boot)
            W = rng.choice(draws, size=(b - a, n_cl))
            self.W_t[a:b] = W[:, tcl]
            Wo = W[:, other]
            self.num0[a:b] = Wo @ bo
            self.den0[a:b] = (Wo * Wo) @ (bo * bo)
        self.W2_t = self.W_t * self.W_t
        self.s0, self.ss0 = float(bo.sum()), float(bo @ bo)

    def pvalue(self, log_theta0: float) -> float:
        p, i = self.p, self.tr_idx
        u = float(np.exp(log_theta0)) / p.theta
        pi = u * p.r[i] / (1.0 + u * p.r[i])
        info = float((p.ytot[i] * pi * (1 - pi)).sum())
        if info <= 0:
            return 1.0
        ec = self.base_t + np.bincount(
            self.tpos, weights=(p.ypost[i] - p.ytot[i] * pi) / info, minlength=len(self.base_t)
        )
        den = self.ss0 + float(ec @ ec)
        if den <= 0:
            return 1.0
        T = (self.s0 + ec.sum()) / np.sqrt(den)
        with np.errstate(invalid="ignore", divide="ignore"):
            Tb = (self.num0 + self.W_t @ ec) / np.sqrt(self.den0 + self.W2_t @ (ec * ec))
        return float((np.abs(np.nan_to_num(Tb)) >= abs(T) - 1e-12).mean())


def score_bootstrap_pvalue(
    p: RatioPieces, theta0: float = 1.0, *, n_boot: int = 999, seed: int = 0, weights: str = "webb", cluster=None
) -> float:
    """Two-sided wild score bootstrap p-value of H0: rate ratio = ``theta0``."""
    if not np.isfinite(p.theta) or p.theta <= 0:
        return float("nan")
    return _ScoreBootstrap(p, n_boot, seed, weights, cluster).pvalue(float(np.log(theta0)))


def score_bootstrap_interval(
    p: RatioPieces,
    level: float = 0.95,
    *,
    n_boot: int = 999,
    seed: int = 0,
    weights: str = "webb",
    cluster=None,
    tol: float = 1e-6,
) -> tuple[float, float]:
    """Interval (log scale) of the rate ratio: every theta0 whose wild score bootstrap p-value exceeds 1 - level.

    The edges are found by expanding from the estimate in steps of the event-pooled standard error until the
    p-value drops to 1 - level, then bisection to ``tol`` (log scale). An edge never reached within 60 steps (an
    unbounded set: almost no treated events) is returned as -inf / +inf, and the caller reports it as not bounded.
    """
    if not np.isfinite(p.theta) or p.theta <= 0:
        return -np.inf, np.inf
    b = _ScoreBootstrap(p, n_boot, seed, weights, cluster)
    alpha = 1 - level
    lt = float(np.log(p.theta))
    se = pooled_interval(p, level, cluster)[0]
    se = se if np.isfinite(se) and se > 0 else 0.1
    out = []
    for sgn in (-1.0, 1.0):
        a, step = lt, 2 * se
        x = lt + sgn * step
        for _ in range(60):
            if b.pvalue(x) <= alpha:
                break
            a, step = x, step * 1.5
            x = lt + sgn * step
        else:
            out.append(sgn * np.inf)
            continue
        while abs(x - a) > tol:
            mid = (a + x) / 2
            if b.pvalue(mid) > alpha:
                a = mid
            else:
                x = mid
        out.append(a)
    return out[0], out[1]


class _ConditionalScore:
    """The conditional quasi-score statistic of one aggregate at any theta0 (see the module docstring)."""

    def __init__(self, p: RatioPieces, level: float, cluster):
        inv, n_cl, g1 = _cluster_index(p, cluster)
        self.p, self.i = p, np.flatnonzero(p.treated)
        self.cl = inv[self.i]
        self.n_cl = n_cl
        lc = np.bincount(inv, weights=p.l, minlength=n_cl)
        self.L = float(lc @ lc)
        self.g1 = g1
        s, info = self._score(0.0)
        sc = np.bincount(self.cl, weights=s, minlength=n_cl)
        self.phi = max(1.0, float(sc @ sc) / info) if info > 0 else 1.0
        self.crit = float(stats.t.ppf(0.5 + level / 2, max(g1 - 1, 1)))

    def _score(self, log_u: float) -> tuple[np.ndarray, float]:
        p, i = self.p, self.i
        u = float(np.exp(log_u))
        pi = u * p.r[i] / (1.0 + u * p.r[i])
        return p.ypost[i] - p.ytot[i] * pi, float((p.ytot[i] * pi * (1 - pi)).sum())

    def t(self, log_theta0: float) -> float:
        s, info = self._score(log_theta0 - float(np.log(self.p.theta)))
        if info <= 0:
            return 0.0
        return float((s.sum() / info) / np.sqrt(self.phi / info + self.L))

    def se(self) -> float:
        _, info = self._score(0.0)
        return float(np.sqrt(self.phi / info + self.L)) if info > 0 else np.nan


def conditional_score_pvalue(p: RatioPieces, theta0: float = 1.0, *, cluster=None) -> float:
    """Two-sided p-value of H0: rate ratio = ``theta0`` from the conditional quasi-score test, t(G1 - 1)."""
    if not np.isfinite(p.theta) or p.theta <= 0:
        return float("nan")
    cs = _ConditionalScore(p, 0.95, cluster)
    return float(2 * stats.t.sf(abs(cs.t(float(np.log(theta0)))), max(cs.g1 - 1, 1)))


def conditional_score_interval(
    p: RatioPieces, level: float = 0.95, *, cluster=None, tol: float = 1e-7
) -> tuple[float, float, float]:
    """(log se, lower, upper): every theta0 the conditional quasi-score test does not reject at 1 - level.

    Edges by expansion from the estimate and bisection to ``tol`` (log scale); an edge never reached (almost no
    treated events) is -inf / +inf, reported by the caller as not bounded.
    """
    if not np.isfinite(p.theta) or p.theta <= 0:
        return np.nan, -np.inf, np.inf
    cs = _ConditionalScore(p, level, cluster)
    lt = float(np.log(p.theta))
    se = cs.se()
    step0 = se if np.isfinite(se) and se > 0 else 0.1
    out = []
    for sgn in (-1.0, 1.0):
        a, step = lt, step0
        x = lt + sgn * step
        for _ in range(80):
            if abs(cs.t(x)) > cs.crit:
                break
            a, step = x, step * 1.5
            x = lt + sgn * step
        else:
            out.append(sgn * np.inf)
            continue
        while abs(x - a) > tol:
            mid = (a + x) / 2
            if abs(cs.t(mid)) <= cs.crit:
                a = mid
            else:
                x = mid
        out.append(a)
    return se, out[0], out[1]
