"""Poisson extended two-way fixed effects (Wooldridge 2023) at national scale, without covariates.

Model (balanced panel, unit ``i`` in adoption cohort ``g``, period ``t``)::

    E[y_it] = exp(alpha_i + lambda_t + sum_{(h,s) treated} delta_hs * 1{g_i = h, t = s})

with one dummy for every *treated cell*: a cohort ``g`` that is ever treated and a period ``t >= g``. The
coefficient ``delta_gt`` is the log rate ratio of cohort ``g`` in period ``t`` (treated mean over the
counterfactual untreated mean). Untreated observations (never-treated units and the pre-treatment periods of
later cohorts) identify the time effects ``lambda_t``.

Why this is fast. Without covariates every regressor is constant within a cohort x period cell, so

* the Poisson fixed-effects estimator with unit effects and the pooled Poisson with cohort dummies give the
  same ``delta`` and ``lambda`` on a balanced panel (Wooldridge 2023, section 3): profiling out the unit effect
  gives ``alpha_i = log(sum_t y_it / sum_t exp(lambda_t + delta_{g_i t}))`` and the first-order conditions
  only involve the cohort x period sums ``Y_gt`` and cohort sizes ``N_g``. The point estimates therefore come
  from a tiny Poisson fit on the cohort x period table (treated cells are saturated, so
  ``exp(delta_gt) = Y_gt / (N_g exp(a + c_g + lambda_t))``);
* the unit-clustered sandwich needs, per cohort, only the period x period cross-product of the residuals of
  its units (``R_g' R_g``), computed in one vectorised pass over the unit x period matrix. The score of the
  pooled cohort-dummy model, once the cohort dummies are partialled out, equals the score of the profiled
  unit-FE likelihood, ``sum_t x_t (y_it - y_i. p_gt)``, and the partialled Hessians agree, so the
  ``delta`` block of the pooled sandwich *is* the unit-FE (``fepois``) cluster-robust variance (up to the
  small-sample factor, see ``small_sample``).

Memory is O(panel) once (integer codes and one float matrix of the outcome); time is O(panel) plus
O(cohorts x periods^2).

Reported effects (``aggregate``):

* ratio scale (``simple``, ``event``, ``group``, ``calendar``): observed treated count over the model's
  counterfactual count for the treated cells of the aggregate, ``sum N_g mu1_gt / sum N_g mu0_gt`` with
  ``mu1 = exp(a + c_g + lambda_t + delta_gt)`` and ``mu0 = exp(a + c_g + lambda_t)``. This is the ratio form of the
  average structural function contrast that diff-diff's ``WooldridgeDiD(method="poisson")`` reports as its
  overall ATT; ``simple`` is therefore exactly ``1 / (1 - ATT / mean(mu1))`` of diff-diff's overall effect.
* count scale (``count``): diff-diff's overall ATT itself, the average over treated post-treatment
  observations of ``mu1 - mu0`` (events per unit-period), with the same delta-method standard error.

Standard errors are cluster-robust by unit and obtained by the delta method from the full pooled-parameter
covariance (intercept, cohort, period and treated-cell coefficients), as diff-diff does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from ..errors import TppoError
from ._panel import periods_from_ordinals as _from_ordinal
from ._panel import prepare_counts
from .poisson_fit import PoissonETWFEFit
from .result import POISSON_AGGREGATIONS

__all__ = ["fit", "PoissonETWFEFit", "POISSON_AGGREGATIONS"]

SmallSample = Literal["fixest", "cohort_dummies", "none"]


# ----------------------------------------------------------------------------------------------------------
# estimation on the cohort x period table
# ----------------------------------------------------------------------------------------------------------
@dataclass
class _Design:
    """Parameters: [intercept, cohort dummies (non-base cohort codes), period dummies (t >= 1), treated cells]."""

    n_cohort_codes: int  # G + 1 (code 0 = never treated)
    n_t: int
    base_cohort: int
    cohort_col: np.ndarray  # (G+1,) column of the cohort dummy, -1 for the base or an empty cohort
    cell_col: np.ndarray  # (G+1, T) column of the treated-cell dummy or -1
    first_time_col: int  # period code t >= 1 -> column first_time_col + t - 1
    k: int
    _pos: np.ndarray | None = None  # full period -> position among the kept periods (set by effects._ratio)


def _design(n_codes: int, n_t: int, treated: np.ndarray, base_cohort: int, sizes: np.ndarray) -> _Design:
    cohort_col = np.full(n_codes, -1, dtype=np.int64)
    j = 1
    for g in range(n_codes):
        if g != base_cohort and sizes[g] > 0:
            cohort_col[g] = j
            j += 1
    # period dummies occupy columns j .. j + n_t - 2 (period code t -> j + t - 1)
    first_time_col = j
    j += n_t - 1
    cell_col = np.full((n_codes, n_t), -1, dtype=np.int64)
    gi, ti = np.nonzero(treated)
    cell_col[gi, ti] = np.arange(j, j + len(gi))
    return _Design(n_codes, n_t, base_cohort, cohort_col, cell_col, first_time_col, j + len(gi))


def _dense_rows(d: _Design, g: int, *, treated: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Compact design block of cohort ``g``: (T x m) dense matrix and its m parameter columns."""
    n_t = d.n_t
    ftc = d.first_time_col
    cols = [0]
    if d.cohort_col[g] >= 0:
        cols.append(int(d.cohort_col[g]))
    tcols = list(range(ftc, ftc + n_t - 1))
    own = np.flatnonzero(d.cell_col[g] >= 0) if treated else np.array([], dtype=np.int64)
    ccols = [int(d.cell_col[g, t]) for t in own]
    cols_all = np.array(cols + tcols + ccols, dtype=np.int64)
    X = np.zeros((n_t, len(cols_all)))
    X[:, : len(cols)] = 1.0
    X[np.arange(1, n_t), len(cols) + np.arange(n_t - 1)] = 1.0
    X[own, len(cols) + n_t - 1 + np.arange(len(own))] = 1.0
    return X, cols_all


def _fit_table(Y: np.ndarray, N: np.ndarray, treated: np.ndarray, base: int, tol: float = 1e-12, max_iter: int = 200):
    """Poisson fit of the untreated cells of the cohort x period table with exposure N_g.

    Returns log-means eta0 (G+1, T) = a + c_g + lambda_t (log mean per unit) for every cell.
    """
    n_codes, n_t = Y.shape
    untreated = (~treated) & (N[:, None] > 0)
    gi, ti = np.nonzero(untreated)
    # parameters: intercept, cohort dummies (non-base, only cohorts present), period dummies
    present = np.flatnonzero(N > 0)
    c_idx = np.full(n_codes, -1)
    k = 1
    for g in present:
        if g != base:
            c_idx[g] = k
            k += 1
    t0 = k
    k += n_t - 1
    X = np.zeros((len(gi), k))
    X[:, 0] = 1.0
    m = c_idx[gi] >= 0
    X[np.flatnonzero(m), c_idx[gi[m]]] = 1.0
    m = ti >= 1
    X[np.flatnonzero(m), t0 + ti[m] - 1] = 1.0
    y = Y[gi, ti]
    off = np.log(N[gi].astype(float))
    # Starting values by iterative proportional fitting on the table (monotone, cannot diverge): the model
    # N_g A_g B_t matches the cohort and period margins of the untreated cells at the optimum.
    Yu = np.where(untreated, Y, 0.0)
    Nu = np.where(untreated, N[:, None].astype(float), 0.0)
    A = np.ones(n_codes)
    B = np.ones(n_t)
    row_tot, col_tot = Yu.sum(axis=1), Yu.sum(axis=0)
    for _ in range(50):
        A = np.divide(row_tot, Nu @ B, out=np.zeros(n_codes), where=(Nu @ B) > 0)
        B = np.divide(col_tot, A @ Nu, out=np.ones(n_t), where=(A @ Nu) > 0)
    beta = np.zeros(k)
    beta[0] = np.log(A[base] * B[0])
    for g in present:
        if c_idx[g] >= 0:
            beta[c_idx[g]] = np.log(A[g]) - np.log(A[base])
    beta[t0:] = np.log(B[1:]) - np.log(B[0])

    # Newton-Raphson with step halving on the Poisson log-likelihood, to full precision
    def loglik(b):
        eta = X @ b + off
        return float(y @ eta - np.exp(eta).sum()), eta

    ll, eta = loglik(beta)
    for _ in range(max_iter):
        mu = np.exp(eta)
        grad = X.T @ (y - mu)
        H = X.T @ (X * mu[:, None])
        try:
            step = np.linalg.solve(H, grad)
        except np.linalg.LinAlgError as exc:  # pragma: no cover - guarded by support checks
            raise TppoError("Poisson ETWFE: the untreated cells do not identify the period effects") from exc
        size = 1.0
        for _half in range(30):
            ll_new, eta_new = loglik(beta + size * step)
            if ll_new >= ll - 1e-12 * abs(ll):
                break
            size /= 2
        beta, ll, eta = beta + size * step, ll_new, eta_new
        if float(np.abs(size * step).max()) < tol * (1 + float(np.abs(beta).max())):
            break
    else:  # pragma: no cover
        raise TppoError("Poisson ETWFE: the fit on the cohort x period table did not converge")
    eta0 = np.full((n_codes, n_t), np.nan)
    cg = np.zeros(n_codes)
    cg[c_idx >= 0] = beta[c_idx[c_idx >= 0]]
    lt = np.concatenate([[0.0], beta[t0:]])
    eta0[present] = beta[0] + cg[present][:, None] + lt[None, :]
    return eta0


# ----------------------------------------------------------------------------------------------------------
# public entry point
# ----------------------------------------------------------------------------------------------------------
def fit(
    panel: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    control: str = "never_treated",
    small_sample: SmallSample = "fixest",
    level: float = 0.95,
    alpha: float | None = None,
) -> PoissonETWFEFit:
    """Fit Poisson extended TWFE (unit + period fixed effects + one dummy per treated cohort x period cell).

    Parameters
    ----------
    panel : DataFrame
        Balanced unit x period panel, one row per unit and period.
    outcome : str
        Non-negative count column (e.g. deferrals per village-month).
    unit, time : str
        Unit identifier and period column (integers, e.g. years, or pandas monthly ``Period``).
    cohort : str
        First treated period of the unit (same kind as ``time``); never treated = 0 or missing.
    control : {"never_treated", "not_yet_treated"}
        Comparison observations. As in diff-diff's and Stata ``jwdid``'s Poisson path only post-treatment
        cells get dummies, so untreated observations of later-treated cohorts (before their own adoption)
        take part in the comparison under *both* settings; the two give identical estimates (diff-diff
        documents the same asymmetry). Both are accepted so that callers can pass the setting through.
    small_sample : {"fixest", "cohort_dummies", "none"}
        Finite-sample factor of the cluster-robust variance. ``"fixest"`` (default): ``G/(G-1) (N-1)/(N-K)``
        with K = treated cells + periods (unit effects nested in the clusters, counted once), as pyfixest's
        ``fepois(..., vcov={"CRV1": unit})`` default. ``"cohort_dummies"``: K = all pooled-model parameters
        (intercept, cohort and period dummies, cells), as diff-diff's ``WooldridgeDiD(method="poisson")``.
        ``"none"``: no factor.
    level : float
        Confidence level of the intervals of ``aggregate`` (``alpha`` = 1 - level is a deprecated alias).

    Returns
    -------
    PoissonETWFEFit
    """
    if control not in ("never_treated", "not_yet_treated"):
        raise TppoError(f"control must be 'never_treated' or 'not_yet_treated', got {control!r}")
    from .honestdid import _level_from_alpha

    level = _level_from_alpha(level, alpha, "effects._etwfe_fast.fit")
    if small_sample not in ("fixest", "cohort_dummies", "none"):
        raise TppoError(f"small_sample must be 'fixest', 'cohort_dummies' or 'none', got {small_sample!r}")
    p = prepare_counts(panel, outcome, unit, time, cohort)
    n_t = len(p.times)
    G = len(p.cohorts)
    n_codes = G + 1
    if G == 0:
        raise TppoError(f"no treated units: column {cohort!r} is 0/missing everywhere")
    N = np.bincount(p.unit_cohort, minlength=n_codes)
    bounds = np.concatenate([[0], np.cumsum(N)])
    Y = np.zeros((n_codes, n_t))
    for g in range(n_codes):
        if N[g]:
            Y[g] = p.y[bounds[g] : bounds[g + 1]].sum(axis=0)
    treated = np.zeros((n_codes, n_t), dtype=bool)
    treated[1:] = p.times[None, :] >= p.cohorts[:, None]

    # support checks: every cohort and every period needs untreated observations with events
    untreated = (~treated) & (N[:, None] > 0)
    for g in range(1, n_codes):
        if N[g] and not untreated[g].any():
            raise TppoError(
                f"cohort {_from_ordinal(p.cohorts[[g - 1]], p.time_kind).iloc[0]} is treated in every period of "
                "the panel (always treated): it has no untreated period to compare with; drop it or extend the panel"
            )
    no_support = ~untreated.any(axis=0)
    if no_support.any():
        bad = _from_ordinal(p.times[no_support], p.time_kind).tolist()
        raise TppoError(
            f"period(s) {bad} have no untreated units (every unit is already treated); "
            "restrict the panel to periods before the last cohort is treated"
        )
    Yu = np.where(untreated, Y, 0.0)
    if N[0] and Yu[0].sum() == 0:
        raise TppoError("the never-treated units have no events at all: there is no baseline to compare with")
    # A treated cohort without any event before its adoption has no estimable baseline rate, so no rate ratio
    # (its cell coefficients diverge in any Poisson fit). Its units are left out, and listed in ``excluded``.
    zero_g = [g for g in range(1, n_codes) if N[g] and Yu[g].sum() == 0]
    excluded = pd.DataFrame(
        {
            "cohort": _from_ordinal(p.cohorts[np.array(zero_g, dtype=np.int64) - 1], p.time_kind).to_numpy(),
            "n_units": N[zero_g].astype(np.int64),
            "reason": "no event in any period before adoption: baseline rate not identified",
        }
    )
    if zero_g:
        keep = ~np.isin(p.unit_cohort, zero_g)
        p.y, p.unit_cohort, p.n_units = p.y[keep], p.unit_cohort[keep], int(keep.sum())
        N = np.bincount(p.unit_cohort, minlength=n_codes)
        bounds = np.concatenate([[0], np.cumsum(N)])
        Y[zero_g] = 0.0
        untreated = (~treated) & (N[:, None] > 0)
        Yu = np.where(untreated, Y, 0.0)
        if not (N[1:] > 0).any():
            raise TppoError("no treated cohort has an event before its adoption: no rate ratio is identified")
        no_support = ~untreated.any(axis=0)
        if no_support.any():
            bad = _from_ordinal(p.times[no_support], p.time_kind).tolist()
            raise TppoError(f"period(s) {bad} have no untreated units once cohorts without baseline are left out")
    zero_t = untreated.any(axis=0) & (Yu.sum(axis=0) == 0)
    if zero_t.any():
        bad = _from_ordinal(p.times[zero_t], p.time_kind).tolist()
        raise TppoError(f"period(s) {bad} have no events among untreated units: period effect not identified")

    base = 0 if N[0] > 0 else int(np.flatnonzero(N > 0)[0])
    eta0 = _fit_table(Y, N.astype(float), treated, base)  # log mean per unit, untreated counterfactual
    mu0_tab = np.exp(eta0)
    # treated cells are saturated: fitted = observed
    with np.errstate(divide="ignore", invalid="ignore"):
        delta_tab = np.where(treated, np.log(Y / (N[:, None] * mu0_tab)), 0.0)
    mu_tab = np.where(treated, Y / np.maximum(N[:, None], 1), mu0_tab)  # fitted mean per unit
    mu_tab[N == 0] = 0.0

    # ---- pooled-parameter sandwich, one pass over the unit x period matrix -----------------------------
    cells_present = treated & (N[:, None] > 0)
    d = _design(n_codes, n_t, cells_present, base, N)
    k = d.k
    free = np.ones(k, dtype=bool)
    cg, ct = np.nonzero(cells_present)
    zero_cells = Y[cg, ct] == 0
    free[d.cell_col[cg[zero_cells], ct[zero_cells]]] = False  # delta = -inf: boundary, zero score
    if N[base] == 0:  # pragma: no cover
        raise TppoError("internal: empty base cohort")
    H = np.zeros((k, k))
    M = np.zeros((k, k))
    for g in range(n_codes):
        if N[g] == 0:
            continue
        X, cols = _dense_rows(d, g)
        mu_g = mu_tab[g]
        R = p.y[bounds[g] : bounds[g + 1]] - mu_g[None, :]
        C = R.T @ R
        ix = np.ix_(cols, cols)
        M[ix] += X.T @ C @ X
        H[ix] += X.T @ (X * (N[g] * mu_g)[:, None])
        del R
    Hf = H[np.ix_(free, free)]
    Mf = M[np.ix_(free, free)]
    try:
        Hinv = np.linalg.inv(Hf)
    except np.linalg.LinAlgError as exc:  # pragma: no cover
        raise TppoError("Poisson ETWFE: singular Hessian (collinear cells)") from exc
    Vf = Hinv @ Mf @ Hinv
    Vf = (Vf + Vf.T) / 2
    n_obs = p.n_units * n_t
    n_cl = p.n_units
    n_cells = int(cells_present.sum())
    if small_sample == "fixest":
        k_df = n_cells + n_t
        factor = n_cl / (n_cl - 1) * (n_obs - 1) / (n_obs - k_df)
    elif small_sample == "cohort_dummies":
        k_df = k - int((~free).sum())
        factor = n_cl / (n_cl - 1) * (n_obs - 1) / (n_obs - k_df)
    else:
        factor = 1.0
    Vf = Vf * factor

    # ---- group-time table --------------------------------------------------------------------------------
    cell_cols = d.cell_col[cg, ct]
    free_idx = np.cumsum(free) - 1
    delta = delta_tab[cg, ct]
    se = np.full(len(cg), np.nan)
    vc = np.full((len(cg), len(cg)), np.nan)
    ok = free[cell_cols]
    fi = free_idx[cell_cols[ok]]
    se[ok] = np.sqrt(np.maximum(np.diag(Vf)[fi], 0.0))
    vc[np.ix_(ok, ok)] = Vf[np.ix_(fi, fi)]
    group_time = pd.DataFrame(
        {
            "cohort": _from_ordinal(p.cohorts[cg - 1], p.time_kind).to_numpy(),
            "time": _from_ordinal(p.times[ct], p.time_kind).to_numpy(),
            "estimate": delta,
            "se": se,
            "n_obs": N[cg].astype(np.int64),
        }
    )

    # ---- per-cell derivatives of the unit means for the delta method ------------------------------------
    mu1 = mu_tab[cg, ct]
    mu0 = mu0_tab[cg, ct]
    nf = int(free.sum())
    G1 = np.zeros((len(cg), nf))
    G0 = np.zeros((len(cg), nf))
    for j, (g, t) in enumerate(zip(cg.tolist(), ct.tolist(), strict=True)):
        cols0 = [0]
        if d.cohort_col[g] >= 0:
            cols0.append(int(d.cohort_col[g]))
        if t >= 1:
            cols0.append(d.first_time_col + t - 1)
        f0 = free_idx[cols0]
        G0[j, f0] = mu0[j]
        G1[j, f0] = mu1[j]
        cc = int(d.cell_col[g, t])
        if free[cc]:
            G1[j, free_idx[cc]] = mu1[j]
    state = {
        "cell_g": cg,
        "cell_t": ct,
        "cell_n": N[cg],
        "mu1": mu1,
        "mu0": mu0,
        "grad_mu1": G1,
        "grad_mu0": G0,
        "V": Vf,
        "times": p.times,
        "cohorts": p.cohorts,
        "kind": p.time_kind,
    }
    return PoissonETWFEFit(
        group_time=group_time,
        vcov=vc,
        control=control,
        small_sample=small_sample,
        level=level,
        n_units=p.n_units,
        n_periods=n_t,
        n_obs=n_obs,
        n_clusters=n_cl,
        excluded=excluded,
        _state=state,
    )
