"""Rate ratios of the Poisson ETWFE from cohort x period sufficient statistics.

Rate ratios of the Poisson ETWFE from cohort x period sufficient statistics, optionally with period effects by
stratum (regency x month or destination x month fixed effects), and the per-village pieces the valid inference of
:mod:`._wild` needs.

Model, per stratum s (one stratum unless ``strata`` is given), cohort g and period t: untreated village-months
follow ``E[y_it] = exp(alpha_i + lambda_st)``; every treated cohort x period cell is saturated (its own
coefficient). As in :mod:`._etwfe_fast` the unit effects are profiled out: the point estimates need only the
stratum x cohort x period totals, and the untreated fit separates by stratum, so period effects by stratum cost no
more than one national set. The counterfactual of a treated cell is ``N_sg exp(a_s + c_sg + lambda_st)``; an
aggregate over a set K of treated cells is ``theta_K = sum_K Y / sum_K counterfactual`` (observed over
counterfactual count, the ATT on the ratio scale weighted by counterfactual counts).

Cells that cannot be estimated are left out and reported, never silently: a stratum x cohort with no event before
adoption (baseline not identified), and a stratum x period without any untreated event (period effect not
identified; fixest drops such observations in the same way).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import TppoError
from ._etwfe_fast import _dense_rows, _design, _fit_table
from ._wild import RatioPieces

__all__ = ["RatioFit", "fit_ratio"]


@dataclass
class _Stratum:
    units: np.ndarray  # row indices (into the fit's unit arrays) of the units kept in this stratum
    uc: np.ndarray  # cohort code of those units
    N: np.ndarray  # units per cohort code
    cells: np.ndarray  # (G+1, T) estimated treated cells
    mu0: np.ndarray  # (G+1, T) counterfactual mean per unit (0 where not estimated)
    mu: np.ndarray  # (G+1, T) fitted mean per unit
    premass: np.ndarray  # (G+1,) sum of mu0 over the cohort's untreated, estimated periods
    Y: np.ndarray  # (G+1, T) totals
    Ypre: np.ndarray  # (G+1,) untreated totals
    design: object
    free: np.ndarray
    Hinv: object  # callable J -> H^-1 J on the free parameters (block elimination of the diagonal cell block)
    blocks: dict
    n_cells: int


@dataclass
class RatioFit:
    """Result of :func:`fit_ratio`: strata fits and the unit x period outcome matrix they came from."""

    y: np.ndarray
    unit_cohort: np.ndarray
    times: np.ndarray
    cohorts: np.ndarray
    strata: list
    kept: np.ndarray  # bool per unit: used in estimation
    dropped_cohorts: list = field(default_factory=list)  # (stratum label, cohort ordinal, n units)
    dropped_periods: list = field(default_factory=list)  # (stratum label, period ordinal)
    dropped_strata: list = field(default_factory=list)  # (stratum label, n units): untreated fit did not converge
    factor: float = 1.0

    def theta(self) -> float:
        """Return the overall rate ratio (observed over counterfactual count of every estimated treated cell)."""
        s1 = sum(float((st.Y * st.cells).sum()) for st in self.strata)
        s0 = sum(float((st.N[:, None] * st.mu0 * st.cells).sum()) for st in self.strata)
        return s1 / s0 if s0 > 0 else float("nan")

    def event_times(self) -> np.ndarray:
        e = self.times[None, :] - np.concatenate([[0], self.cohorts])[:, None]
        return e

    def _eprofile(self) -> dict:
        """Event-time rate ratios over all estimated treated cells (the event-pooled profile)."""
        e_tab = self.event_times()
        num: dict = {}
        den: dict = {}
        for st in self.strata:
            gi, ti = np.nonzero(st.cells)
            for e, yv, mv in zip(e_tab[gi, ti], st.Y[gi, ti], st.N[gi] * st.mu0[gi, ti], strict=True):
                num[e] = num.get(e, 0.0) + yv
                den[e] = den.get(e, 0.0) + mv
        return {e: num[e] / den[e] for e in num if den[e] > 0}

    def pieces(self, select=None) -> RatioPieces:
        """Return the pieces of the aggregate over the selected treated cells.

        Pieces of the aggregate over the treated cells where ``select(event_time_table)`` is True (default all);
        an aggregate without treated events gives theta 0 (reported as not bounded by the callers).
        """
        with np.errstate(divide="ignore", invalid="ignore"):
            return self._pieces(select)

    def _pieces(self, select=None) -> RatioPieces:
        """Pieces of the aggregate over the treated cells where ``select(event_time_table)`` is True (default all)."""
        e_tab = self.event_times()
        n = len(self.unit_cohort)
        S1 = S0 = 0.0
        for st in self.strata:
            K = st.cells & (select(e_tab) if select is not None else True)
            S1 += float((st.Y * K).sum())
            S0 += float((st.N[:, None] * st.mu0 * K).sum())
        prof = self._eprofile()
        th_tab = np.vectorize(lambda e: prof.get(e, 0.0), otypes=[float])(e_tab)
        c = np.zeros(n)
        dsat = np.zeros(n)
        d = np.zeros(n)
        ypost = np.zeros(n)
        m = np.zeros(n)
        r = np.zeros(n)
        ytot = np.zeros(n)
        for st in self.strata:
            K = st.cells & (select(e_tab) if select is not None else True)
            if not st.cells.any() and not len(st.units):
                continue
            dz = st.design
            J = np.zeros(dz.k)
            gi, ti = np.nonzero(K)
            for g, t in zip(gi, ti, strict=True):
                w = st.N[g]
                mu1, mu0 = st.mu[g, t], st.mu0[g, t]
                pt = int(dz._pos[t])
                cols0 = (
                    [0]
                    + ([int(dz.cohort_col[g])] if dz.cohort_col[g] >= 0 else [])
                    + ([dz.first_time_col + pt - 1] if pt >= 1 else [])
                )
                J[cols0] += w * (mu1 / S1 - mu0 / S0)
                cc = int(dz.cell_col[g, t])
                if cc >= 0 and st.free[cc]:
                    J[cc] += w * mu1 / S1
            b = st.Hinv(J)
            A = np.zeros_like(st.mu)
            for g, (X, cols) in st.blocks.items():
                A[g] = X @ b[cols]
            yy = self.y[st.units]
            R = (yy - st.mu[st.uc]) * (st.mu[st.uc] > 0)
            c[st.units] = (R * A[st.uc]).sum(axis=1)
            Kt = K[st.uc]
            yp = np.where(Kt, yy, 0.0).sum(axis=1)
            tr = st.uc > 0
            untreated = ~self._treated()[st.uc] & (st.mu0[st.uc] > 0)
            ypre_i = np.where(untreated, yy, 0.0).sum(axis=1)
            YK = (st.Y * K).sum(axis=1)
            share = np.divide(ypre_i, st.Ypre[st.uc], out=np.zeros(len(st.uc)), where=st.Ypre[st.uc] > 0)
            dsat[st.units] = np.where(tr, (yp - YK[st.uc] * share) / S1, 0.0)
            mu0_i = np.divide(
                ypre_i[:, None] * st.mu0[st.uc],
                st.premass[st.uc][:, None],
                out=np.zeros_like(yy),
                where=st.premass[st.uc][:, None] > 0,
            )
            mi = np.where(Kt, th_tab[st.uc] * mu0_i, 0.0).sum(axis=1)
            d[st.units] = np.where(tr, (yp - mi) / S1, 0.0)
            ypost[st.units] = np.where(tr, yp, 0.0)
            m[st.units] = np.where(tr, mi, 0.0)
            prof_mass = np.where(K, th_tab * st.mu0, 0.0).sum(axis=1)
            rg = np.divide(prof_mass, st.premass, out=np.zeros(len(prof_mass)), where=st.premass > 0)
            r[st.units] = np.where(tr, rg[st.uc], 0.0)
            ytot[st.units] = np.where(tr, yp + ypre_i, 0.0)
        theta = S1 / S0 if S0 > 0 else np.nan
        treated = self.kept & (self.unit_cohort > 0)
        l = np.where(self.kept, c - dsat, 0.0)
        return RatioPieces(
            theta=theta,
            S0=S0,
            l=l,
            d=d,
            ypost=ypost,
            m=m,
            treated=treated,
            factor=self.factor,
            c=np.where(self.kept, c, 0.0),
            r=r,
            ytot=ytot,
        )

    def _treated(self) -> np.ndarray:
        T = len(self.times)
        tr = np.zeros((len(self.cohorts) + 1, T), dtype=bool)
        tr[1:] = self.times[None, :] >= self.cohorts[:, None]
        return tr


def _fit_stratum(y, uc, n_codes, treated, label, dropped_cohorts, dropped_periods, cohorts, times):
    N = np.bincount(uc, minlength=n_codes)
    Y = np.zeros((n_codes, y.shape[1]))
    np.add.at(Y, uc, y)
    untreated = (~treated) & (N[:, None] > 0)
    # periods without any untreated event in this stratum: period effect not identified, cells dropped
    per_ok = np.where(untreated, Y, 0.0).sum(axis=0) > 0
    for t in np.flatnonzero(~per_ok):
        dropped_periods.append((label, int(times[t])))
    keep_g = np.ones(n_codes, dtype=bool)
    for g in range(1, n_codes):
        if N[g] and np.where(untreated[g] & per_ok, Y[g], 0.0).sum() == 0:
            keep_g[g] = False
            dropped_cohorts.append((label, int(cohorts[g - 1]), int(N[g])))
    # never-treated units of a stratum without any event carry no information (and would make the fit diverge)
    keep_g[0] = bool(N[0]) and np.where(untreated[0] & per_ok, Y[0], 0.0).sum() > 0
    base_candidates = [g for g in range(n_codes) if keep_g[g] and N[g]]
    return N, Y, per_ok, keep_g, base_candidates


def fit_ratio(
    y: np.ndarray,
    unit_cohort: np.ndarray,
    times: np.ndarray,
    cohorts: np.ndarray,
    strata: np.ndarray | None = None,
    strata_labels=None,
    *,
    variance: bool = True,
) -> RatioFit:
    """Fit the saturated Poisson ETWFE (untreated cells by stratum) on a unit x period matrix.

    ``y`` (units x T, counts), ``unit_cohort`` (0 never treated, g = 1..G the position in ``cohorts`` + 1),
    ``times`` (T period ordinals), ``cohorts`` (G cohort ordinals), ``strata`` (stratum code per unit or None).
    """
    n, T = y.shape
    n_codes = len(cohorts) + 1
    treated = np.zeros((n_codes, T), dtype=bool)
    treated[1:] = times[None, :] >= cohorts[:, None]
    s_codes = np.zeros(n, dtype=np.int64) if strata is None else np.asarray(strata)
    labels = strata_labels if strata_labels is not None else np.unique(s_codes)
    kept = np.zeros(n, dtype=bool)
    fits: list[Any] = []
    dc: list[Any] = []
    dp: list[Any] = []
    dropped_strata: list[Any] = []
    n_cells_total = 0
    n_periods_total = 0
    for s in np.unique(s_codes):
        units = np.flatnonzero(s_codes == s)
        lab = labels[s] if strata is not None else "all"
        N, Y, per_ok, keep_g, base = _fit_stratum(
            y[units], unit_cohort[units], n_codes, treated, lab, dc, dp, cohorts, times
        )
        if not base:
            continue
        units = units[keep_g[unit_cohort[units]]]
        uc = unit_cohort[units]
        N = np.bincount(uc, minlength=n_codes)
        Y = np.zeros((n_codes, T))
        np.add.at(Y, uc, y[units])
        tcols = np.flatnonzero(per_ok)
        Ys, tr_s = Y[:, tcols], treated[:, tcols]
        b0 = base[0]
        try:
            eta = _fit_table(Ys, N.astype(float), tr_s, b0)
        except TppoError:
            if strata is None:
                raise
            dropped_strata.append((lab, len(units)))  # too sparse to fit: left out, listed
            continue
        mu0 = np.zeros((n_codes, T))
        mu0[:, tcols] = np.nan_to_num(np.exp(eta))
        cells = treated & (N[:, None] > 0) & per_ok[None, :]
        mu = np.where(cells, Y / np.maximum(N[:, None], 1), mu0)
        mu[N == 0] = 0.0
        mu[:, ~per_ok] = 0.0
        # design on the kept periods (parameters: intercept, cohort dummies, period dummies, cells)
        dz = _design(n_codes, len(tcols), cells[:, tcols], b0, N)
        free = np.ones(dz.k, dtype=bool)
        gi, ti = np.nonzero(cells[:, tcols])
        free[dz.cell_col[gi[Ys[gi, ti] == 0], ti[Ys[gi, ti] == 0]]] = False
        H = np.zeros((dz.k, dz.k))
        blocks = {}
        for g in range(n_codes if variance else 0):  # variance=False: point estimates only (permutations)
            if N[g] == 0:
                continue
            X, cols = _dense_rows(dz, g)
            Xf = np.zeros((T, X.shape[1]))
            Xf[tcols] = X
            blocks[g] = (Xf, cols)
            H[np.ix_(cols, cols)] += X.T @ (X * (N[g] * mu[g, tcols])[:, None])
        Hinv = _schur_solver(H, free, dz.cell_col) if variance else None
        # cell-column lookup on the full period axis
        cell_full = np.full((n_codes, T), -1, dtype=np.int64)
        cell_full[:, tcols] = dz.cell_col
        dz.cell_col = cell_full
        # period dummy of full period t -> column first_time_col + position(t) - 1 among the kept periods
        pos = np.full(T, -1, dtype=np.int64)
        pos[tcols] = np.arange(len(tcols))
        dz._pos = pos
        untr = (~treated) & per_ok[None, :]
        premass = np.where(untr, mu0, 0.0).sum(axis=1)
        Ypre = np.where(untr, Y, 0.0).sum(axis=1)
        fits.append(_Stratum(units, uc, N, cells, mu0, mu, premass, Y, Ypre, dz, free, Hinv, blocks, int(cells.sum())))
        kept[units] = True
        n_cells_total += int(cells.sum())
        n_periods_total += len(tcols)
    n_k = int(kept.sum())
    n_obs = n_k * T
    k_df = n_cells_total + n_periods_total
    factor = n_k / max(n_k - 1, 1) * (n_obs - 1) / max(n_obs - k_df, 1)
    out = RatioFit(y, unit_cohort, times, cohorts, fits, kept, dc, dp, factor)
    out.dropped_strata = dropped_strata
    return out


def _schur_solver(H: np.ndarray, free: np.ndarray, cell_col: np.ndarray):
    """``J -> H^-1 J`` on the free parameters.

    The treated-cell block of the Hessian is diagonal (each cell dummy covers its own cohort x period observations), so
    it is eliminated first and only the small Schur complement of the intercept, cohort and period effects is inverted
    (pseudo-inverse, for safety).
    """
    k = H.shape[0]
    is_cell = np.zeros(k, dtype=bool)
    is_cell[cell_col[cell_col >= 0]] = True
    a = np.flatnonzero(free & ~is_cell)
    c = np.flatnonzero(free & is_cell)
    d = np.diag(H)[c]
    B = H[np.ix_(a, c)]
    S = H[np.ix_(a, a)] - (B / d) @ B.T
    Sinv = np.linalg.pinv(S)

    def solve(J: np.ndarray) -> np.ndarray:
        ja, jc = J[a], J[c]
        ba = Sinv @ (ja - B @ (jc / d))
        out = np.zeros(k)
        out[a] = ba
        out[c] = (jc - B.T @ ba) / d
        return out

    return solve
