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

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import TppoError

__all__ = ["fit", "PoissonETWFEFit", "AGGREGATIONS"]

AGGREGATIONS = ("simple", "event", "group", "calendar", "count")
SmallSample = Literal["fixest", "cohort_dummies", "none"]


# ----------------------------------------------------------------------------------------------------------
# input handling
# ----------------------------------------------------------------------------------------------------------
def _as_ordinal(values: pd.Series, name: str) -> tuple[np.ndarray, np.ndarray, object]:
    """Integer ordinals of a time-like column (ints or monthly periods) and a missing mask.

    Returns (ordinal int64 array, missing mask, kind) with kind ``("period", freq)`` or ``("int", None)``.
    """
    dtype = values.dtype
    if isinstance(dtype, pd.PeriodDtype):
        arr = values.array
        missing = np.asarray(arr.isna())
        ordinal = np.asarray(arr.asi8, dtype=np.int64).copy()
        ordinal[missing] = 0
        return ordinal, missing, ("period", dtype.freq)
    if pd.api.types.is_bool_dtype(dtype):
        raise TppoError(f"column {name!r} must hold integers or monthly periods, not booleans")
    if pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_float_dtype(dtype):
        num = values.to_numpy(dtype=float, na_value=np.nan)
        missing = np.isnan(num)
        ok = num[~missing]
        if ok.size and not np.all(ok == np.round(ok)):
            raise TppoError(f"column {name!r} must hold whole numbers (years, period indices) or monthly periods")
        ordinal = np.where(missing, 0, num).astype(np.int64)
        return ordinal, missing, ("int", None)
    raise TppoError(
        f"column {name!r} has dtype {dtype}; use integers (e.g. years) or monthly periods (pandas Period 'M')"
    )


def _from_ordinal(ordinals: np.ndarray, kind: tuple) -> pd.Series | np.ndarray:
    if kind[0] == "period":
        return pd.Series(pd.PeriodIndex.from_ordinals(ordinals, freq=kind[1]))
    return pd.Series(np.asarray(ordinals, dtype=np.int64))


@dataclass
class _Panel:
    y: np.ndarray  # (N_units, T) float64, rows sorted by cohort code
    unit_cohort: np.ndarray  # (N_units,) cohort code, 0 = never treated
    times: np.ndarray  # (T,) ordinals, sorted
    cohorts: np.ndarray  # (G,) ordinals of treated cohorts, sorted (cohort code g -> cohorts[g-1])
    time_kind: tuple
    n_units: int


def _prepare(panel: pd.DataFrame, outcome: str, unit: str, time: str, cohort: str) -> _Panel:
    if not isinstance(panel, pd.DataFrame):
        raise TppoError("panel must be a pandas DataFrame")
    missing_cols = [c for c in (outcome, unit, time, cohort) if c not in panel.columns]
    if missing_cols:
        raise TppoError(f"panel has no column(s) {missing_cols}; columns are {list(panel.columns)}")
    n = len(panel)
    if n == 0:
        raise TppoError("panel is empty")

    y = panel[outcome].to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(y)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise TppoError(
            f"column {outcome!r}: {int(bad.sum())} missing or non-finite value(s) (first at row {row}); "
            "Poisson ETWFE needs a complete balanced panel"
        )
    if (y < 0).any():
        row = int(np.flatnonzero(y < 0)[0])
        raise TppoError(f"column {outcome!r}: negative count {y[row]!r} at row {row}; counts must be >= 0")

    t_ord, t_missing, t_kind = _as_ordinal(panel[time], time)
    if t_missing.any():
        raise TppoError(f"column {time!r}: {int(t_missing.sum())} missing period(s)")
    g_ord, g_missing, g_kind = _as_ordinal(panel[cohort], cohort)
    if g_kind[0] != t_kind[0] or (t_kind[0] == "period" and g_kind[1] != t_kind[1]):
        if not (g_kind[0] == "int" and g_missing.all()):
            raise TppoError(
                f"columns {time!r} and {cohort!r} must be of the same kind (both integers or both monthly periods)"
            )
    never = g_missing | ((g_ord == 0) if g_kind[0] == "int" else np.zeros(n, dtype=bool))

    unit_code, unit_uniques = pd.factorize(panel[unit], sort=False)
    if (unit_code < 0).any():
        raise TppoError(f"column {unit!r}: {int((unit_code < 0).sum())} missing unit identifier(s)")
    n_units = len(unit_uniques)
    times, time_code = np.unique(t_ord, return_inverse=True)
    n_t = len(times)
    if n != n_units * n_t:
        raise TppoError(
            f"panel is not balanced: {n:,} rows for {n_units:,} units x {n_t} periods "
            f"(expected {n_units * n_t:,}); Poisson ETWFE here needs every unit observed in every period"
        )
    cell = unit_code.astype(np.int64) * n_t + time_code
    counts = np.bincount(cell, minlength=n_units * n_t)
    if counts.max() > 1:
        raise TppoError(f"panel has duplicate ({unit}, {time}) rows; expected one row per unit and period")

    cohorts = np.unique(g_ord[~never])
    g_code_row = np.zeros(n, dtype=np.int64)
    if cohorts.size:
        g_code_row[~never] = np.searchsorted(cohorts, g_ord[~never]) + 1
    unit_cohort = np.full(n_units, -1, dtype=np.int64)
    unit_cohort[unit_code] = g_code_row  # last write wins; check consistency below
    if (unit_cohort[unit_code] != g_code_row).any():
        bad_row = int(np.flatnonzero(unit_cohort[unit_code] != g_code_row)[0])
        raise TppoError(
            f"column {cohort!r} varies within unit {unit_uniques[unit_code[bad_row]]!r} (row {bad_row}); "
            "the cohort (first treated period) must be constant within a unit"
        )

    order = np.argsort(unit_cohort, kind="stable")
    rank = np.empty(n_units, dtype=np.int64)
    rank[order] = np.arange(n_units)
    ymat = np.empty(n_units * n_t, dtype=float)
    ymat[rank[unit_code] * n_t + time_code] = y
    return _Panel(
        y=ymat.reshape(n_units, n_t),
        unit_cohort=unit_cohort[order],
        times=times,
        cohorts=cohorts,
        time_kind=t_kind,
        n_units=n_units,
    )


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
# result
# ----------------------------------------------------------------------------------------------------------
@dataclass
class PoissonETWFEFit:
    """Result of :func:`fit`.

    Attributes
    ----------
    group_time : DataFrame
        One row per treated cell: cohort, time, estimate (log rate ratio ``delta_gt``), se (cluster-robust by
        unit), n_obs (units in the cell). A cell with no events has estimate ``-inf`` and se NaN (its rate
        ratio is 0; the aggregates remain finite).
    vcov : ndarray
        Cluster-robust covariance of ``group_time.estimate`` (rows/columns aligned to ``group_time``).
    control, small_sample, alpha : settings used.
    n_units, n_periods, n_obs, n_clusters : sizes (after exclusions).
    excluded : cohorts left out (cohort, n_units, reason): treated cohorts without any event before adoption.
    """

    group_time: pd.DataFrame
    vcov: np.ndarray
    control: str
    small_sample: str
    alpha: float
    n_units: int
    n_periods: int
    n_obs: int
    n_clusters: int
    excluded: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["cohort", "n_units", "reason"]))
    _state: dict = field(repr=False, default_factory=dict)

    # --- aggregation -------------------------------------------------------------------------------------
    def aggregate(self, kind: str = "simple", *, alpha: float | None = None) -> pd.DataFrame:
        """Aggregate the treated cells.

        ``simple`` (one row), ``event`` (by event_time = time - cohort, in periods), ``group`` (by cohort),
        ``calendar`` (by time): rate ratio = observed treated count / counterfactual count, ``scale="ratio"``;
        ``estimate`` and CI bounds are ratios (CI = exp(log ratio +- z se_log)), ``se`` is the delta-method SE
        of the ratio; ``log_estimate``/``log_se`` give the log scale. ``count``: average treatment effect on
        the treated in events per unit-period over all treated cells (diff-diff's overall ATT),
        ``scale="count"``, symmetric normal CI.
        """
        if kind not in AGGREGATIONS:
            raise TppoError(f"unknown aggregation {kind!r}; choose one of {', '.join(AGGREGATIONS)}")
        a = self.alpha if alpha is None else alpha
        z = float(stats.norm.ppf(1 - a / 2))
        s = self._state
        g_codes, t_codes = s["cell_g"], s["cell_t"]
        w = s["cell_n"].astype(float)
        mu1, mu0 = s["mu1"], s["mu0"]
        G1, G0 = s["grad_mu1"], s["grad_mu0"]  # (cells x k_free): d mu / d theta (per unit)
        V = s["V"]
        if kind == "count":
            W = w.sum()
            est = float((w * (mu1 - mu0)).sum() / W)
            grad = (w[:, None] * (G1 - G0)).sum(axis=0) / W
            se = float(np.sqrt(max(grad @ V @ grad, 0.0)))
            return pd.DataFrame(
                {
                    "estimate": [est],
                    "se": [se],
                    "ci_lower": [est - z * se],
                    "ci_upper": [est + z * se],
                    "scale": ["count"],
                }
            )
        if kind == "simple":
            keys = np.zeros(len(w), dtype=np.int64)
            key_name, key_values = None, np.array([0])
        elif kind == "event":
            rel = s["times"][t_codes] - s["cohorts"][g_codes - 1]
            key_values, keys = np.unique(rel, return_inverse=True)
            key_name = "event_time"
        elif kind == "group":
            key_values, keys = np.unique(g_codes, return_inverse=True)
            key_name = "cohort"
            key_values = _from_ordinal(s["cohorts"][key_values - 1], s["kind"]).to_numpy()
        else:
            key_values, keys = np.unique(t_codes, return_inverse=True)
            key_name = "time"
            key_values = _from_ordinal(s["times"][key_values], s["kind"]).to_numpy()
        n_keys = len(key_values)
        S1 = np.bincount(keys, weights=w * mu1, minlength=n_keys)
        S0 = np.bincount(keys, weights=w * mu0, minlength=n_keys)
        # d log(S1/S0) / d theta per key
        D1 = np.zeros((n_keys, G1.shape[1]))
        D0 = np.zeros((n_keys, G1.shape[1]))
        np.add.at(D1, keys, w[:, None] * G1)
        np.add.at(D0, keys, w[:, None] * G0)
        with np.errstate(divide="ignore", invalid="ignore"):  # a key whose cells all had no event: ratio 0, se NaN
            J = D1 / S1[:, None] - D0 / S0[:, None]
            log_est = np.log(S1) - np.log(S0)
            log_se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", J, V, J), 0.0))
            log_se[S1 == 0] = np.nan
        est = np.exp(log_est)
        out = pd.DataFrame(
            {
                "estimate": est,
                "se": est * log_se,
                "ci_lower": np.exp(log_est - z * log_se),
                "ci_upper": np.exp(log_est + z * log_se),
                "scale": "ratio",
                "log_estimate": log_est,
                "log_se": log_se,
            }
        )
        if key_name is not None:
            out.insert(0, key_name, key_values)
        return out

    def summary(self) -> pd.DataFrame:
        """The overall rate ratio (``aggregate("simple")``)."""
        return self.aggregate("simple")


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
    alpha: float = 0.05,
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
    alpha : float
        1 - confidence level for the CIs of ``aggregate``.

    Returns
    -------
    PoissonETWFEFit
    """
    if control not in ("never_treated", "not_yet_treated"):
        raise TppoError(f"control must be 'never_treated' or 'not_yet_treated', got {control!r}")
    if small_sample not in ("fixest", "cohort_dummies", "none"):
        raise TppoError(f"small_sample must be 'fixest', 'cohort_dummies' or 'none', got {small_sample!r}")
    p = _prepare(panel, outcome, unit, time, cohort)
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
    for j, (g, t) in enumerate(zip(cg, ct)):
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
        alpha=alpha,
        n_units=p.n_units,
        n_periods=n_t,
        n_obs=n_obs,
        n_clusters=n_cl,
        excluded=excluded,
        _state=state,
    )
