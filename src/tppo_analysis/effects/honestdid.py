"""HonestDiD (Rambachan & Roth 2023) robust confidence sets for an event study, as R HonestDiD computes them.

:func:`honest_bounds` takes the identified sets and the Delta^SD FLCI from diff-diff; for Delta^RM it computes R's
conditional-least-favourable (C-LF) hybrid interval here (:func:`_rm_clf`, the Andrews, Roth & Pakes test inverted),
which diff-diff 3.13 does not offer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy.optimize import linprog
from scipy.stats import truncnorm

from .._draws import normal_draws
from ..errors import TppoError
from ..protocol import check_level
from . import _diffdiff

__all__ = ["honest_bounds", "breakdown_m"]


def _rm_A(num_pre, num_post, mbar, s, max_positive):
    n = num_pre + num_post
    At = np.zeros((n, n + 1))
    for r in range(n):
        At[r, r : r + 2] = [-1, 1]
    v = np.zeros(n + 1)
    v[num_pre + s - 1 : num_pre + s + 1] = [-1, 1]  # R 1-based (numPre+s):(numPre+1+s)
    if not max_positive:
        v = -v
    A_ub = np.vstack([np.tile(v, (num_pre, 1)), np.tile(mbar * v, (num_post, 1))])
    A = np.vstack([At - A_ub, -At - A_ub])
    A = A[(A**2).sum(axis=1) > 1e-10]
    return np.delete(A, num_pre, axis=1)


def _arp_eta(y, X, sigma):
    sd = np.sqrt(np.diag(sigma))
    M, k = X.shape
    c = np.zeros(1 + k)
    c[0] = 1
    A_ub = -np.column_stack([sd, X])
    res = linprog(c, A_ub=A_ub, b_ub=-y, bounds=[(None, None)] * (1 + k), method="highs")
    if res.status != 0:
        return None
    lam = -res.ineqlin.marginals
    return res.x[0], res.x[1:], lam


def _lf_cv(X, sigma, kappa, sims=1000, seed=0):
    rng = np.random.default_rng(seed)
    sd = np.sqrt(np.diag(sigma))
    xi = normal_draws(np.zeros(len(sd)), sigma, sims, rng) / sd  # Cholesky: the same draws on any LAPACK build
    etas = []
    for b in xi:
        r = _arp_eta(b, X, sigma)
        etas.append(r[0])
    return float(np.quantile(etas, 1 - kappa))


def _arp_reject(y, X, sigma, alpha, kappa, cv):
    M, k = X.shape
    sol = _arp_eta(y, X, sigma)
    if sol is None:
        return False
    eta, _, lam = sol
    mod_size = (alpha - kappa) / (1 - kappa)
    if eta > cv:
        return True
    B = lam > 1e-6
    XB = X[B]
    if B.sum() != k + 1 or np.linalg.matrix_rank(XB) != min(XB.shape):
        return _arp_dual_reject(y, X, sigma, eta, lam, cv, mod_size)
    sd = np.sqrt(np.diag(sigma))
    Bc = ~B
    S = np.eye(M)
    S_B, S_Bc = S[B], S[Bc]
    inv = np.linalg.inv(np.column_stack([sd[B], XB]))
    Gamma_B = np.column_stack([sd[Bc], X[Bc]]) @ inv @ S_B - S_Bc
    e1 = np.zeros(int(B.sum()))
    e1[0] = 1
    v_B = e1 @ inv @ S_B
    s2 = v_B @ sigma @ v_B
    if not s2 > 1e-12:  # a vertex whose direction has no variance (rounding): the dual form handles it
        return _arp_dual_reject(y, X, sigma, eta, lam, cv, mod_size)
    sB = np.sqrt(s2)
    rho = Gamma_B @ sigma @ v_B / s2
    mm = (-Gamma_B @ y) / rho + v_B @ y
    vlo = mm[rho > 0].max() if (rho > 0).any() else -np.inf
    vup = mm[rho < 0].min() if (rho < 0).any() else np.inf
    zlo, zup = vlo / sB, min(vup, cv) / sB
    stat = eta / sB
    if not (zlo <= stat <= zup):
        return False
    cval = max(0.0, truncnorm.ppf(1 - mod_size, zlo, zup))
    return bool(stat > cval)


def _max_program(s_T, g, sigma, W, c):
    f = s_T + (sigma @ g) / (g @ sigma @ g) * c
    beq = np.zeros(W.shape[1])
    beq[0] = 1
    res = linprog(-f, A_eq=W.T, b_eq=beq, bounds=[(0, None)] * len(f), method="highs")
    return -res.fun


def _is_sol(c, s_T, g, sigma, W, tol=1e-6):
    return abs(c - _max_program(s_T, g, sigma, W, c)) <= tol


def _bisect_edge(inside, a: float, b: float, iters: int = 40) -> float:
    """Edge of a set between ``a`` (inside) and ``b`` (outside) by bisection; returns the last inside point."""
    for _ in range(iters):
        m = (a + b) / 2
        if inside(m):
            a = m
        else:
            b = m
    return a


def _arp_dual_reject(y, X, sigma, eta, g, cv, mod_size):
    sd = np.sqrt(np.diag(sigma))
    W = np.column_stack([sd, X])
    gsg = float(g @ sigma @ g)
    if not gsg >= 1e-20:  # no variance in the test direction (or a rounding-negative one): eta is known exactly
        return bool(eta > 0)
    s_T = y - sigma @ g * (g @ y) / gsg
    sB = np.sqrt(gsg)
    lo0, hi0 = min(-100, eta - 20 * sB), max(100, eta + 20 * sB)
    if not _is_sol(eta, s_T, g, sigma, W):
        vlo, vup = eta, np.inf
    else:
        inside = lambda v: _is_sol(v, s_T, g, sigma, W)  # noqa: E731
        vup = np.inf if inside(hi0) else _bisect_edge(inside, eta, hi0)
        vlo = -np.inf if inside(lo0) else _bisect_edge(inside, eta, lo0)
    stat = eta / sB
    zlo, zup = vlo / sB, min(vup, cv) / sB
    if not (zlo <= stat <= zup):
        return False
    cval = max(0.0, truncnorm.ppf(1 - mod_size, zlo, zup))
    return bool(stat > cval)


def _rm_clf(beta, sigma, num_pre, num_post, l_vec, mbar, alpha=0.05):
    """Compute R HonestDiD's Delta^RM conditional-least-favourable (C-LF) hybrid confidence interval.

    Delta^RM conditional-least-favourable (C-LF) hybrid confidence interval of R HonestDiD
    (``createSensitivityResults_relativeMagnitudes``, method "C-LF"): the union over the location and sign of the
    largest pre-period first difference of ARP (Andrews, Roth & Pakes) hybrid test inversions, with moments on
    post-period rows only. Bounds found by bisection (R uses a 1,000-point grid).
    """
    kappa = alpha / 10
    post = slice(num_pre, num_pre + num_post)
    gam = np.vstack([l_vec, np.eye(num_post)])
    rows = [0]
    for j in range(1, num_post + 1):
        if len(rows) == num_post:
            break
        if np.linalg.matrix_rank(gam[rows + [j]]) == len(rows) + 1:
            rows.append(j)
    ginv = np.linalg.inv(gam[rows])
    pieces = []
    for s in range(-(num_pre - 1), 1):
        for mp in (True, False):
            A = _rm_A(num_pre, num_post, mbar, s, mp)
            pr = np.flatnonzero((A[:, post] != 0).any(axis=1))
            agi = (A[:, post] @ ginv)[pr]
            a1, xn = agi[:, 0], agi[:, 1:]
            if xn.shape[1] == 0:
                xn = np.zeros((len(pr), 0))
            y = (A @ beta)[pr]
            sy = (A @ sigma @ A.T)[np.ix_(pr, pr)]
            pieces.append((y, a1, xn, sy, _lf_cv(xn, sy, kappa)))

    def accept(th):
        return any(not _arp_reject(y - a1 * th, xn, sy, alpha, kappa, cv) for y, a1, xn, sy, cv in pieces)

    sd = float(np.sqrt(l_vec @ sigma[post, post] @ l_vec))
    grid = float(l_vec @ beta[post]) + sd * np.linspace(-20, 20, 81)
    ok = np.array([accept(t) for t in grid])
    if not ok.any():
        return np.nan, np.nan
    i_lo, i_hi = int(np.argmax(ok)), len(ok) - 1 - int(np.argmax(ok[::-1]))

    def edge(inside, outside):
        return _bisect_edge(accept, inside, outside, iters=14)

    lo = grid[0] if i_lo == 0 else edge(grid[i_lo], grid[i_lo - 1])
    hi = grid[-1] if i_hi == len(grid) - 1 else edge(grid[i_hi], grid[i_hi + 1])
    return float(lo), float(hi)


def _level_from_alpha(level: float, alpha: float | None, where: str) -> float:
    """``level`` unless the deprecated ``alpha`` (= 1 - level) is given, which warns (kept for one release)."""
    if alpha is None:
        return check_level(level)
    import warnings

    warnings.warn(
        f"{where}(alpha=...) is deprecated; pass level={1 - alpha:g} instead", DeprecationWarning, stacklevel=3
    )
    return check_level(1.0 - float(alpha))


def honest_bounds(
    betahat: np.ndarray,
    sigma: np.ndarray,
    num_pre: int,
    num_post: int,
    *,
    method: Literal["smoothness", "relative_magnitude"] = "smoothness",
    m_values: Sequence[float] = (0.0,),
    l_vec: np.ndarray | None = None,
    level: float = 0.95,
    rm_interval: Literal["clf", "naive"] = "clf",
    alpha: float | None = None,
) -> pd.DataFrame:
    """HonestDiD robust confidence intervals from an event study (``diff_diff.HonestDiD``).

    ``betahat`` stacks the pre-period (reference period excluded) then post-period coefficients; ``sigma`` is their
    covariance. ``method="smoothness"`` is the Delta^SD FLCI of Rambachan & Roth (2023), which reproduces the
    HonestDiD README within 1e-3. For ``method="relative_magnitude"`` (Delta^RM) the identified set comes from
    diff-diff, but the confidence interval is computed here with R HonestDiD's C-LF procedure (diff-diff 3.13 only
    offers a naive FLCI for Delta^RM, which differs from R's by up to ~0.01 on the README example); it reproduces the
    README within 1e-3 but takes tens of seconds per value of Mbar (one linear program per simulated draw and test);
    ``rm_interval="naive"`` returns diff-diff's quick naive FLCI instead (wider or narrower; not R's).
    ``level`` is the confidence level; ``alpha=`` (= 1 - level) is a deprecated alias kept for one release.

    Parameters
    ----------
    betahat : numpy.ndarray
        Pre-period (reference period excluded) then post-period event-study coefficients.
    sigma : numpy.ndarray
        Their covariance.
    num_pre : int
        Number of pre-period coefficients.
    num_post : int
        Number of post-period coefficients.
    method : {"smoothness", "relative_magnitude"}
        Delta^SD (bound M on the change in slope) or Delta^RM (bound Mbar times the largest pre-period violation).
    m_values : sequence of float
        The values of M (or Mbar).
    l_vec : numpy.ndarray, optional
        Weights of the post-period target (default: the average of the post periods).
    level : float
        Confidence level.
    rm_interval : {"clf", "naive"}
        For Delta^RM: R HonestDiD's C-LF interval, or diff-diff's quick naive FLCI.
    alpha : float, optional
        Deprecated alias of ``1 - level``.

    Returns
    -------
    pandas.DataFrame
        One row per value of M: the identified set and the robust interval.
    """
    alpha = 1.0 - _level_from_alpha(level, alpha, "honest_bounds")
    betahat = np.asarray(betahat, float)
    sigma = np.asarray(sigma, float)
    if betahat.shape != (num_pre + num_post,) or sigma.shape != (num_pre + num_post,) * 2:
        raise TppoError("betahat must have num_pre + num_post entries and sigma be the matching square matrix")
    if num_pre < 1 or num_post < 1:
        raise TppoError("HonestDiD needs at least one pre-period and one post-period coefficient")
    l_vec = np.ones(num_post) / num_post if l_vec is None else np.asarray(l_vec, float)
    pre, post = betahat[:num_pre], betahat[num_pre:]
    rows = []
    for m in m_values:
        bounds = _diffdiff.honest_set_and_flci(method, m, alpha, l_vec, pre, post, sigma, num_pre, num_post)
        if bounds is None:
            raise TppoError(f"method must be 'smoothness' or 'relative_magnitude', got {method!r}")
        lb, ub, ci_lb, ci_ub = bounds
        if method == "relative_magnitude" and rm_interval == "clf":
            ci_lb, ci_ub = _rm_clf(betahat, sigma, num_pre, num_post, l_vec, float(m), alpha=alpha)
        rows.append((float(m), float(ci_lb), float(ci_ub), float(lb), float(ub)))
    out = pd.DataFrame(rows, columns=["m", "lb", "ub", "set_lb", "set_ub"])
    out["method"] = method
    out["original_estimate"] = float(l_vec @ post)
    out["original_se"] = float(np.sqrt(l_vec @ sigma[num_pre:, num_pre:] @ l_vec))
    return out


def breakdown_m(
    betahat: np.ndarray,
    sigma: np.ndarray,
    num_pre: int,
    num_post: int,
    *,
    method: Literal["smoothness", "relative_magnitude"] = "relative_magnitude",
    null: float = 0.0,
    step: float = 0.05,
    m_max: float = 4.0,
    level: float = 0.95,
    l_vec: np.ndarray | None = None,
    includes_at_zero: bool | None = None,
) -> float:
    """Return the breakdown value: the smallest M (or Mbar) on a grid of ``step`` whose robust interval includes ``null``.

    The robust intervals of :func:`honest_bounds` nest in M, so the breakdown is found by bisection over the grid
    points ``0, step, 2 step, ... m_max`` (about log2(m_max / step) interval computations; each Delta^RM C-LF
    interval takes seconds). The value is a grid point, so it does not depend on the last bits of the search: it is
    exact to ``step``. Returns 0.0 when the interval includes ``null`` without any violation allowed, and ``inf``
    when it excludes ``null`` even at ``m_max`` (the breakdown is then above ``m_max``).

    Parameters
    ----------
    betahat : numpy.ndarray
        Pre-period (reference period excluded) then post-period event-study coefficients.
    sigma : numpy.ndarray
        Their covariance.
    num_pre : int
        Number of pre-period coefficients.
    num_post : int
        Number of post-period coefficients.
    method : {"smoothness", "relative_magnitude"}
        Delta^SD (M) or Delta^RM (Mbar).
    null : float
        The value of the target the interval is checked against (0 = no effect on the log scale).
    step : float
        Resolution of the breakdown value.
    m_max : float
        Largest value searched.
    level : float
        Confidence level.
    l_vec : numpy.ndarray, optional
        Weights of the post-period target (default: the average of the post periods).
    includes_at_zero : bool, optional
        Whether the interval at M = 0 includes ``null``, when the caller has computed it already (saves one
        interval).

    Returns
    -------
    float
        The breakdown value (a multiple of ``step``), 0.0, or inf.
    """
    if step <= 0 or m_max < step:
        raise TppoError("breakdown_m needs 0 < step <= m_max")

    def includes(k: int) -> bool:
        r = honest_bounds(
            betahat, sigma, num_pre, num_post, method=method, m_values=(k * step,), l_vec=l_vec, level=level
        )
        lo, hi = float(r["lb"].iloc[0]), float(r["ub"].iloc[0])
        return bool(lo <= null <= hi)  # an empty interval (NaN ends: every value rejected) excludes it

    if includes(0) if includes_at_zero is None else includes_at_zero:
        return 0.0
    k_hi = int(round(m_max / step))
    if not includes(k_hi):
        return float("inf")
    k_lo = 0  # excludes at k_lo, includes at k_hi
    while k_hi - k_lo > 1:
        mid = (k_lo + k_hi) // 2
        if includes(mid):
            k_hi = mid
        else:
            k_lo = mid
    return round(k_hi * step, 10)
