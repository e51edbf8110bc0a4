"""The penalized composite-link likelihood of the interval count model and the engine that maximises it.

A reported total ``y_i`` over an inclusive window is the sum of a latent daily mean: ``m_i = sum_t A_it mu_t``, with
``log mu_t = X_t beta + offset_t`` (Eilers 2007; Rizzi, Gampe & Eilers 2015). Totals are Poisson, or NB2 with window
dispersion ``alpha_g * c_i``: ``c_i = 1`` is NB2 on the window total; ``c_i`` = one over the window's effective number
of months gives month-level over-dispersion (moment-matched), so a year's total is less noisy, relatively, than a
month's. ``g`` indexes dispersion groups (one per series in a pooled fit).

The estimate maximises the penalized log-likelihood ``l(beta, alpha) - beta' P beta / 2`` by Newton's method in
``(beta, log alpha_g)`` with the exact Hessian of the composite link (falling back to Fisher scoring -- the PCLM's
penalized IRLS -- where the Hessian is not negative definite) and step halving. A group whose score for ``alpha``
at 0 is not positive gets ``alpha_g = 0`` exactly: its Poisson fit is its NB2 fit. Convergence is declared when no
coefficient moves by more than ``tol`` (1e-9 on the log scale), far below the three significant digits anything is
shown with, so shown numbers do not depend on the last bits of the optimiser.

Written by hand because no Python library fits composite-link (window-sum) models with penalties, NB2 dispersion
and exposure: statsmodels' GLMs need one linear predictor per observation, and R's ``ungroup`` (which
``tests/test_pclm_reference.py`` checks this engine against) is Poisson-only with no covariates.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse, special

__all__ = [
    "Problem",
    "Fit",
    "Engine",
    "criterion",
    "select_lambda",
    "search_smoothing",
    "POOLED_LOG10_LAMBDA_RANGE",
    "incidence",
    "SMOOTHING_CRITERIA",
    "FIT_SETTINGS",
]

LOG_ALPHA_MIN = math.log(1e-8)
LOG_ALPHA_MAX = math.log(1e3)
#: log10(lambda) range searched for the smoothing parameter
LOG10_LAMBDA_RANGE = (-3.0, 6.0)
LOG10_LAMBDA_STEP = 0.5
SMOOTHING_CRITERIA = ("aic", "aicc", "bic")
#: Knobs of every fit, for the perturbation test (tests/test_perturbation.py): convergence tolerance on the log scale,
#: and a jitter of the start values (normal, sd ``start_jitter``) drawn from ``rng``. Shown numbers must not move.
FIT_SETTINGS: dict = {"tol": 1e-9, "start_jitter": 0.0, "rng": None}


def incidence(obs: pd.DataFrame, days: pd.DatetimeIndex) -> np.ndarray:
    """0/1 matrix: ``A[i, t] = 1`` when day ``t`` lies in window ``i`` (inclusive)."""
    d = days.to_numpy()
    s = obs["period_start"].to_numpy()[:, None]
    e = obs["period_end"].to_numpy()[:, None]
    return ((d[None, :] >= s) & (d[None, :] <= e)).astype(float)


class Problem:
    """One fitting problem: counts, incidence, daily design, offsets, dispersion layout.

    Counts ``y`` (n), incidence ``A`` (n x T days, exposure weights folded in), daily design ``X`` (T x k),
    ``offset`` (T), dispersion multipliers ``c`` (n, default 1), dispersion groups ``group`` (n, default 0) and the
    series of each window, ``block`` (n, default ``group``; differs when series share a dispersion).
    Small problems (one series) are kept dense, large ones (pooled series) sparse.
    """

    def __init__(self, y, A, X, offset, c=None, group=None, block=None) -> None:
        self.y: np.ndarray = np.asarray(y, dtype=float)
        As = sparse.csr_matrix(A, dtype=float)
        Xs = sparse.csr_matrix(X, dtype=float)
        small = As.shape[0] * As.shape[1] <= 300_000 and Xs.shape[0] * Xs.shape[1] <= 300_000
        self.A = As.toarray() if small else As
        self.X = Xs.toarray() if small else Xs
        self.offset: np.ndarray = np.asarray(offset, dtype=float)
        n = len(self.y)
        self.c: np.ndarray = np.ones(n) if c is None else np.asarray(c, dtype=float)
        self.group: np.ndarray = np.zeros(n, dtype=int) if group is None else np.asarray(group, dtype=int)
        self.n_groups = int(self.group.max()) + 1 if n else 1
        self.block: np.ndarray = self.group if block is None else np.asarray(block, dtype=int)


@dataclass
class Fit:
    """A penalized fit and what inference needs from it.

    A penalized fit: coefficients, dispersion per group (0 = Poisson), window means, log-likelihood, the data's
    Fisher information ``F`` and ``H = F + P``, effective degrees of freedom ``tr(H^-1 F)``.
    """

    beta: np.ndarray
    alpha: np.ndarray
    m: np.ndarray
    loglik: float
    F: np.ndarray
    H: np.ndarray
    edf: float
    iterations: int
    converged: bool

    @property
    def n_alpha(self) -> int:
        """Number of dispersion parameters estimated away from 0."""
        return int(np.sum(self.alpha > 0))


def nb_loglik_terms(y: np.ndarray, m: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Log-likelihood of each window: NB2 with dispersion ``a`` (``a == 0``: Poisson)."""
    m = np.maximum(m, 1e-300)
    out = y * np.log(m) - m - special.gammaln(y + 1)
    nb = a > 0
    if np.any(nb):
        yy, mm, aa = y[nb], m[nb], a[nb]
        r = 1.0 / aa
        out[nb] = (
            special.gammaln(yy + r)
            - special.gammaln(r)
            - special.gammaln(yy + 1)
            - r * np.log1p(aa * mm)
            + yy * (np.log(aa * mm) - np.log1p(aa * mm))
        )
    return out


def nb_dl_da(y: np.ndarray, m: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Return the derivative of each window's NB2 log-likelihood in its dispersion ``a`` (> 0)."""
    r = 1.0 / a
    return r * r * (special.digamma(r) - special.digamma(y + r) + np.log1p(a * m)) + (y - m) / (a * (1 + a * m))


class Engine:
    """Penalized composite-link fits of one :class:`Problem` for ``family`` ``"poisson"`` or ``"negbin"``."""

    def __init__(self, prob: Problem, family: str):
        self.p = prob
        self.family = family

    def means(self, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Daily means, window means and the window means' derivative in ``beta`` (n x k)."""
        p = self.p
        mu = np.exp(np.clip(p.X @ beta + p.offset, -700.0, 700.0))
        return mu, p.A @ mu, _dense(p.A @ _scale_rows(p.X, mu))

    def _a(self, alpha: np.ndarray) -> np.ndarray:
        return alpha[self.p.group] * self.p.c

    def loglik(self, m: np.ndarray, alpha: np.ndarray) -> float:
        return float(np.sum(nb_loglik_terms(self.p.y, m, self._a(alpha))))

    def objective(self, beta: np.ndarray, alpha: np.ndarray, P: np.ndarray) -> float:
        """Return the penalized log-likelihood."""
        p = self.p
        m = p.A @ np.exp(np.clip(p.X @ beta + p.offset, -700.0, 700.0))
        return self.loglik(m, alpha) - 0.5 * float(beta @ P @ beta)

    def _score_theta(self, m: np.ndarray, theta: np.ndarray, active: np.ndarray) -> np.ndarray:
        a = self._a(np.where(active, np.exp(theta), 0.0))
        contrib = np.zeros_like(a)
        pos = a > 0
        contrib[pos] = nb_dl_da(self.p.y[pos], m[pos], a[pos]) * a[pos]
        out = np.zeros(len(theta))
        np.add.at(out, self.p.group, contrib)
        return np.where(active, out, 0.0)

    def _score_at_zero(self, m: np.ndarray) -> np.ndarray:
        """Score for each group's ``alpha`` at 0 (Cameron & Trivedi): ``0.5 * sum c_i ((y - m)^2 - y)``."""
        out = np.zeros(self.p.n_groups)
        np.add.at(out, self.p.group, 0.5 * self.p.c * ((self.p.y - m) ** 2 - self.p.y))
        return out

    # ----------------------------------------------------------------------------------------------------------
    def fit(
        self,
        P: np.ndarray,
        beta0: np.ndarray | None = None,
        alpha0: np.ndarray | None = None,
        *,
        maxiter: int = 500,
        tol: float = 1e-9,
    ) -> Fit:
        """Maximise the penalized likelihood with penalty matrix ``P``.

        Maximise the penalized likelihood with penalty matrix ``P`` (k x k), from ``beta0`` (and, for NB2, the
        dispersions ``alpha0``) if given.
        """
        p, y = self.p, self.p.y
        G = p.n_groups
        if beta0 is None:
            level = math.log(max(y.sum(), 0.5) / max(float((p.A @ np.exp(p.offset)).sum()), 1e-300))
            XtX = _dense(p.X.T @ p.X)
            beta0 = np.linalg.solve(XtX + 1e-6 * np.eye(len(XtX)), p.X.T @ np.full(p.X.shape[0], level))
        tol = FIT_SETTINGS["tol"] if tol is None else tol
        if FIT_SETTINGS["start_jitter"] > 0:
            rng = FIT_SETTINGS["rng"] or np.random.default_rng(0)
            beta0 = np.asarray(beta0, float) + rng.normal(scale=FIT_SETTINGS["start_jitter"], size=len(beta0))
        theta = np.full(G, LOG_ALPHA_MIN)
        active = np.zeros(G, dtype=bool)
        if self.family == "negbin" and alpha0 is not None:
            active = np.asarray(alpha0) > 0
            theta = np.where(active, np.log(np.where(active, alpha0, 1.0)), LOG_ALPHA_MIN)
        beta, theta, active, iters, conv = self._newton(np.asarray(beta0, float), theta, active, P, maxiter, tol)
        if self.family == "negbin":
            for _ in range(3):  # groups at the boundary are re-checked once the others have moved
                _, m, _ = self.means(beta)
                new = (~active) & (self._score_at_zero(m) > 0)
                if not new.any():
                    break
                for g in np.flatnonzero(new):
                    s = p.group == g
                    excess = float(np.sum(p.c[s] * ((y[s] - m[s]) ** 2 - y[s])))
                    theta[g] = math.log(max(excess / max(float(np.sum(p.c[s] * m[s] ** 2)), 1e-300), 1e-3))
                active |= new
                beta, theta, active, it2, conv = self._newton(beta, theta, active, P, maxiter, tol)
                iters += it2
        alpha = np.where(active, np.exp(theta), 0.0)
        _, m, C = self.means(beta)
        a = self._a(alpha)
        F = C.T @ ((1.0 / (np.maximum(m, 1e-300) * (1.0 + a * m)))[:, None] * C)
        H = F + P
        edf = float(np.trace(_solve(H, F)))
        return Fit(beta, alpha, m, self.loglik(m, alpha), F, H, edf, iters, conv)

    def _system(self, beta, theta, active, P, exact: bool):
        """Return the gradient and minus the Hessian of the penalized log-likelihood.

        Gradient and minus the Hessian of the penalized log-likelihood in (beta, log alpha of active groups);
        ``exact=False`` gives Fisher scoring.
        """
        p, y = self.p, self.p.y
        mu, m, C = self.means(beta)
        a = self._a(np.where(active, np.exp(theta), 0.0))
        ms = np.maximum(m, 1e-300)
        d1 = (y - m) / (ms * (1.0 + a * ms))
        k, act = len(beta), np.flatnonzero(active)
        M = np.zeros((k + len(act), k + len(act)))
        if exact:
            d2 = -y / ms**2 + a * (a * y + 1.0) / (1.0 + a * ms) ** 2
            curv = _dense(p.X.T @ _scale_rows(p.X, mu * (p.A.T @ d1)))
            M[:k, :k] = -(C.T @ (d2[:, None] * C)) - curv + P
        else:
            M[:k, :k] = C.T @ ((1.0 / (ms * (1.0 + a * ms)))[:, None] * C) + P
        g = np.concatenate([C.T @ d1 - P @ beta, np.zeros(len(act))])
        if len(act):
            eps = 1e-4
            s0 = self._score_theta(m, theta, active)
            sp, sm = self._score_theta(m, theta + eps, active), self._score_theta(m, theta - eps, active)
            for j, grp in enumerate(act):
                g[k + j] = s0[grp]
                M[k + j, k + j] = -(sp[grp] - sm[grp]) / (2 * eps)
                if exact:
                    v = np.where((p.group == grp) & (a > 0), -(y - m) * a / (1.0 + a * ms) ** 2, 0.0)
                    M[:k, k + j] = M[k + j, :k] = -(C.T @ v)
        return g, M

    def _direction(self, beta, theta, active, P, exact: bool = True) -> np.ndarray | None:
        """Return a Newton or a Fisher-scoring step.

        Newton (``exact``) or Fisher-scoring step in (beta, log alpha of the active groups); ``None`` when the
        exact Hessian is not negative definite.
        """
        g, M = self._system(beta, theta, active, P, exact=exact)
        if exact:
            try:
                L = np.linalg.cholesky(M)
            except np.linalg.LinAlgError:
                return None
            return np.linalg.solve(L.T, np.linalg.solve(L, g))
        k = len(beta)
        tail = [gi / Mi if Mi > 0 else float(np.sign(gi)) for gi, Mi in zip(g[k:], np.diag(M)[k:], strict=True)]
        return np.concatenate([_solve(M[:k, :k], g[:k]), tail])

    def _line_search(self, beta, theta, active, P, obj, step):
        """Step halving on the penalized objective; ``None`` when no fraction of ``step`` improves it."""
        k = len(beta)
        sb, st = step[:k], np.zeros(len(theta))
        st[np.flatnonzero(active)] = np.clip(step[k:], -3.0, 3.0)
        t = 1.0
        for _ in range(40):
            nb, nt = beta + t * sb, theta + t * st
            o2 = self.objective(nb, np.where(active, np.exp(nt), 0.0), P)
            if np.isfinite(o2) and o2 >= obj - 1e-13 * max(1.0, abs(obj)):
                return nb, nt, o2, max(np.max(np.abs(sb)), np.max(np.abs(st), initial=0.0))
            t *= 0.5
        return None

    def _negligible(self, beta, theta, active, P, obj, factor: float = 1.0) -> bool:
        """Tell whether a full step would still gain more than rounding noise.

        Whether what a full Newton (scoring) step still promises is below the rounding noise of the objective:
        1e-10 of it, or a thousand machine epsilons of the sum of the magnitudes of its terms (large counts make
        the log-likelihood a small difference of large numbers).
        """
        g, M = self._system(beta, theta, active, P, exact=False)
        _, m, _ = self.means(beta)
        y = self.p.y
        scale = float(np.sum(y * np.abs(np.log(np.maximum(m, 1e-300))) + m))
        limit = max(1e-10 * max(1.0, abs(obj)), 1e3 * np.finfo(float).eps * scale)
        return float(g @ _solve(M, g)) < factor * limit

    def _newton(self, beta, theta, active, P, maxiter, tol):
        """Run Newton's method with step halving and a scoring fallback.

        Newton with step halving, falling back to Fisher scoring when the Hessian is not negative definite or
        the Newton step does not improve the objective. Converged when the full (undamped) step is below ``tol``.
        """
        obj = self.objective(beta, np.where(active, np.exp(theta), 0.0), P)
        history = [obj]
        for it in range(1, maxiter + 1):
            if len(history) > 6 and history[-1] - history[-6] <= 1e-9 * max(1.0, abs(obj)):
                # stalled: five iterations gained nothing measurable (steps damped to rounding level); accept when a
                # full step would still gain at most 1e3 times the rounding-noise limit
                return beta, theta, active, it, self._negligible(beta, theta, active, P, obj, factor=1e3)
            moved = None
            for exact in (True, False):
                step = self._direction(beta, theta, active, P, exact=exact)
                if step is None:
                    continue
                moved = self._line_search(beta, theta, active, P, obj, step)
                if moved is not None:
                    break
            if moved is None:
                # no fraction of either step improves the objective: at the optimum up to rounding when the Newton
                # decrement (the improvement a full step promises) is negligible, else stuck
                return beta, theta, active, it, self._negligible(beta, theta, active, P, obj)
            gain = moved[2] - obj
            beta, theta, obj, size = moved
            history.append(obj)
            if gain <= 1e-12 * max(1.0, abs(obj)):
                # the objective no longer moves at double precision (ill-conditioned penalties): converged when
                # what a full Newton step would still gain is negligible
                if self._negligible(beta, theta, active, P, obj):
                    return beta, theta, active, it, True
            low = active & (theta < LOG_ALPHA_MIN)
            if low.any():  # a group's dispersion runs to 0: that group is Poisson
                active = active & ~low
                theta[low] = LOG_ALPHA_MIN
                obj = self.objective(beta, np.where(active, np.exp(theta), 0.0), P)
                continue
            theta = np.minimum(theta, LOG_ALPHA_MAX)
            if size < tol:
                return beta, theta, active, it, True
        return beta, theta, active, maxiter, False


def criterion(fit: Fit, n: int, kind: str) -> float:
    """Return AIC, AICc or BIC of a penalized fit.

    AIC, AICc (Hurvich, Simonoff & Tsai 1998) or BIC, counting the effective degrees of freedom of the mean plus
    one per dispersion parameter; AICc is infinite when fewer than ``k + 2`` windows remain.
    """
    k = fit.edf + fit.n_alpha
    if kind == "aicc":
        return -2.0 * fit.loglik + 2.0 * k + (2.0 * k * (k + 1) / (n - k - 1) if n - k - 1 > 0 else math.inf)
    return -2.0 * fit.loglik + (2.0 if kind == "aic" else math.log(n)) * k


def select_lambda(
    engine: Engine, penalty: Callable[[float], np.ndarray], *, kind: str = "aicc", beta0: np.ndarray | None = None
) -> tuple[float, Fit]:
    """Choose the smoothing parameter by ``kind`` on a fixed grid.

    The smoothing parameter minimising ``kind`` over a fixed grid of log10(lambda), from 6 down to -3 in steps of
    0.5, each fit warm-started from the previous (smoother) one. A fixed grid rather than a continuous search keeps
    the choice -- and every number downstream -- independent of the optimiser's last bits. Returns
    (log10 lambda, fit); when the criterion is infinite everywhere (too few windows for AICc) the smoothest fit.
    """
    n = len(engine.p.y)
    lo, hi = LOG10_LAMBDA_RANGE
    best: tuple[float, float, Fit] | None = None
    beta, alpha = beta0, None
    for l10 in np.arange(hi, lo - 1e-9, -LOG10_LAMBDA_STEP):
        fit = engine.fit(penalty(10.0 ** float(l10)), beta0=beta, alpha0=alpha)
        beta, alpha = fit.beta, fit.alpha
        value = criterion(fit, n, kind)
        if best is None or value < best[0]:
            best = (value, float(l10), fit)
    assert best is not None  # the grid is never empty
    return best[1], best[2]


def _scale_rows(X, v: np.ndarray):
    """``diag(v) @ X`` for a dense or sparse ``X``.

    A CSR matrix is scaled on its stored values (each multiplied by its row's ``v``): the same products as
    ``X.multiply(v[:, None])``, without the general broadcasting path, which took a quarter of a pooled fit.
    """
    if not sparse.issparse(X):
        return X * v[:, None]
    X = X.tocsr()
    out = X.copy()
    out.data = X.data * np.repeat(np.asarray(v, dtype=float), np.diff(X.indptr))
    return out


def _dense(M) -> np.ndarray:
    return M.toarray() if sparse.issparse(M) else np.asarray(M)


def _solve(H: np.ndarray, g: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(H, g)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(H, g, rcond=None)[0]


#: log10 smoothing parameters of the pooled fit searched (shape and deviation), in unit steps
POOLED_LOG10_LAMBDA_RANGE = (-3.0, 8.0)


def search_smoothing(
    crit: Callable[[float, float], float], *, steps: Sequence[float] = (1.0, LOG10_LAMBDA_STEP)
) -> tuple[float, float]:
    """Return the (log10 shape, log10 deviation) smoothing pair minimising ``crit`` over the grid, locally.

    First a coordinate search on the unit grid from (2, 2): shape, then deviation, twice (the whole search before
    the note of 2026-12-01). The criterion surface has several local minima (a series' NB2 dispersion can sit at 0
    or inside), and the coordinate search can stop where a diagonal step would still lower the criterion (it did in
    2 of 3 planted-truth replications checked, by 21-30 AICc). So its result is then refined by a pattern search
    over the 8 neighbours at each of ``steps`` in turn (unit steps, then the single-series grid's step) until none
    is lower. The result is never worse than the coordinate search's and costs a few more fits. The second step gives
    the pooled fit the resolution of the single-series grid (:func:`select_lambda`, ``LOG10_LAMBDA_STEP`` = 0.5 in
    log10 lambda): on the unit grid alone the
    shape penalty jumped between 1e2 and 1e3 where the criterion's minimum lay between them, and the stiffer choice
    flattened the planted truth's peak (``docs/model_choice.md``, note of 2026-12-02). It is still a local
    search: a full grid can find lower minima elsewhere (seen in the planted truth), and a coarse full grid can miss
    narrow basins that this finds (seen on the record under the ``prefer_longer`` rule; note of 2026-12-01).
    Ties go to the earlier, smoother pair.
    """
    lo, hi = POOLED_LOG10_LAMBDA_RANGE
    grid = np.arange(hi, lo - 0.01, -1.0)
    ls = ld = 2.0
    for _ in range(2):
        ls = float(grid[int(np.argmin([crit(g, ld) for g in grid]))])
        ld = float(grid[int(np.argmin([crit(ls, g) for g in grid]))])
    best = (ls, ld)
    for step in steps:
        while True:
            near = [
                (best[0] + da, best[1] + db)
                for da in (step, 0.0, -step)
                for db in (step, 0.0, -step)
                if (da or db) and lo <= best[0] + da <= hi and lo <= best[1] + db <= hi
            ]
            cand = min(near, key=lambda p: crit(*p))
            if crit(*cand) >= crit(*best):
                break
            best = cand
    return best
