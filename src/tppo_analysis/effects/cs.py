"""Callaway & Sant'Anna (2021) ATT(g,t), aggregated exactly as R ``did::aggte`` on influence functions.

Without covariates the cells (a difference in means: the same cells, base periods, control sets and influence
functions as diff-diff's) are computed here on the unit x period outcome matrix, and their influence functions are
never stored as a units x cells matrix (:class:`_CompactPsi`); with covariates diff-diff forms the cells and R's
DRDID estimator (:func:`_drdid_panel`) recomputes them. ``n_boot > 0`` adds the R ``did`` multiplier bootstrap.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import TppoError
from . import _diffdiff
from ._panel import _Prepared
from .result import _KEY, _Z, EffectResult, _event_from_agg, _gt_frame

__all__ = ["fit_cs"]


class _DensePsi:
    """Influence functions held as a dense n_units x K matrix (the covariate path; R scale: Var = psi' psi)."""

    def __init__(self, psi: np.ndarray):
        self.psi = psi
        self.n = psi.shape[0]

    def matmul(self, W: np.ndarray) -> np.ndarray:
        return self.psi @ W

    def cell_se(self) -> np.ndarray:
        return np.sqrt((self.psi**2).sum(axis=0))


class _CompactPsi:
    """Influence functions of difference-in-means ATT(g,t) cells (no covariates), never materialised.

    Cell k compares the change ``Y[:, t_k] - Y[:, b_k]`` of cohort ``g_k`` (n_t units, mean change mu_t) with its
    control units (n_c units, mean change mu_c); its influence function (R scale) is ``(dy_i - mu_t) / n_t`` on
    treated units, ``-(dy_j - mu_c) / n_c`` on control units and 0 elsewhere. A weighted sum of cells is therefore,
    for the units of one cohort h, a linear function of their outcome rows: ``Y_h @ A_h + c_h``. :meth:`matmul`
    forms the n_units x m matrix ``psi @ W`` cohort by cohort from the n_units x T outcome matrix, instead of the
    n_units x K matrix (K = number of cells, thousands on a monthly national panel).
    """

    def __init__(self, Y, unit_g, g, t_val, b_val, tcol, bcol, n_t, n_c, mu_t, mu_c, se, not_yet: bool):
        self.n = Y.shape[0]
        self.unit_g = unit_g
        self.g, self.thr = g, np.maximum(t_val, b_val)
        self.n_t, self.n_c, self.mu_t, self.mu_c, self._se = n_t, n_c, mu_t, mu_c, se
        self.not_yet = not_yet
        K, T = len(g), Y.shape[1]
        self.E = np.zeros((K, T))  # dy_k = Y @ E[k]
        self.E[np.arange(K), tcol] += 1.0
        self.E[np.arange(K), bcol] -= 1.0
        self.order = np.argsort(unit_g, kind="stable")
        self.Ys = np.ascontiguousarray(Y[self.order])
        self.hs, starts = np.unique(unit_g[self.order], return_index=True)
        self.bounds = np.append(starts, self.n)

    def cell_se(self) -> np.ndarray:
        return self._se

    def matmul(self, W: np.ndarray) -> np.ndarray:
        W = np.asarray(W, dtype=float)
        out = np.empty((self.n, W.shape[1]))
        for h, lo, hi in zip(self.hs, self.bounds[:-1], self.bounds[1:], strict=True):
            treated = self.g == h
            control = np.full(len(self.g), h == 0)
            if self.not_yet:
                control |= (h > self.thr) & (self.g != h)
            nz = np.flatnonzero(treated | control)  # cells touching cohort h (all of them for the controls)
            if not len(nz):
                out[lo:hi] = 0.0
                continue
            tr = treated[nz]
            s = np.where(tr, 1.0 / self.n_t[nz], -1.0 / self.n_c[nz])
            mu = np.where(tr, self.mu_t[nz], self.mu_c[nz])
            sw = s[:, None] * W[nz]
            out[lo:hi] = self.Ys[lo:hi] @ (self.E[nz].T @ sw) - (mu @ sw)[None, :]
        res = np.empty_like(out)
        res[self.order] = out
        return res


def _base_period(kind: str, g: int, t: int, periods: np.ndarray):
    """Return the positional base period of a cell, as R did and diff-diff choose it.

    R did / diff-diff positional base period: the last observed period before g (post-treatment cells and the
    universal base) or before t (varying base, pre-treatment cells); None when there is none.
    """
    thr = g if (kind == "universal" or t >= g) else t
    i = int(np.searchsorted(periods, thr, side="left"))
    return int(periods[i - 1]) if i > 0 else None


def _cs_cells_fast(prep: _Prepared, control: str, base_period: str):
    """Compute ATT(g,t) without covariates on the wide outcome matrix, with compact influence functions.

    ATT(g,t) without covariates as diff-diff's CallawaySantAnna (doubly robust = difference in means; same cells,
    base periods, control sets and influence functions) on the wide outcome matrix, with compact influence
    functions. Returns None when the panel is not a full unit x period grid (then diff-diff is used).
    """
    d = prep.data
    units, uidx = np.unique(d["_u"].to_numpy(), return_inverse=True)
    periods, tidx = np.unique(d["_t"].to_numpy(), return_inverse=True)
    n, T = len(units), len(periods)
    if len(d) != n * T:
        return None
    Yt = np.empty((T, n))
    Yt[tidx, uidx] = d["_y"].to_numpy(dtype=float)
    Y = Yt.T  # n x T, columns contiguous
    unit_g = np.zeros(n, dtype=np.int64)
    unit_g[uidx] = d["_g"].to_numpy(dtype=np.int64)
    groups = np.unique(unit_g[unit_g > 0])
    never = unit_g == 0
    not_yet = control == "not_yet_treated"
    rows = []
    ctrl_cache: dict[tuple, tuple[int, float, float]] = {}
    for g in groups:
        tr_mask = unit_g == g
        n_t = int(tr_mask.sum())
        if base_period == "universal":
            ub = _base_period("universal", g, g, periods)
            tlist = [t for t in periods if t != ub]
        else:
            tlist = [t for t in periods if t >= g or t > periods[0]]
        for t in tlist:
            t = int(t)
            b = _base_period(base_period, g, t, periods)
            if b is None:
                continue
            tc, bc = int(np.searchsorted(periods, t)), int(np.searchsorted(periods, b))
            thr = max(t, b)
            ckey: tuple
            if not_yet:
                ckey = (tc, bc, thr, g if g > thr else None)
            else:
                ckey = (tc, bc)
            dy = None
            if ckey not in ctrl_cache:
                c_mask = never | ((unit_g > thr) & (unit_g != g)) if not_yet else never
                n_c = int(c_mask.sum())
                if n_c == 0:
                    ctrl_cache[ckey] = (0, np.nan, np.nan)
                else:
                    dy = Y[:, tc] - Y[:, bc]
                    co = dy[c_mask]
                    mu_c = float(np.mean(co))
                    ctrl_cache[ckey] = (n_c, mu_c, float(np.sum((-(co - mu_c) / n_c) ** 2)))
            n_c, mu_c, ss_c = ctrl_cache[ckey]
            if n_t == 0 or n_c == 0:
                continue
            if dy is None:
                dy = Y[:, tc] - Y[:, bc]
            tr = dy[tr_mask]
            mu_t = float(np.mean(tr))
            att = mu_t - mu_c
            if not np.isfinite(att):
                continue
            se = float(np.sqrt(np.sum(((tr - mu_t) / n_t) ** 2) + ss_c))
            rows.append((g, t, b, tc, bc, n_t, n_c, mu_t, mu_c, att, se))
    if not rows:
        raise TppoError("Callaway-Sant'Anna: no estimable cohort x period cell (no treated or no control units)")
    a = [np.array(col) for col in zip(*rows, strict=True)]
    gs, ts, bs, tcs, bcs = (x.astype(np.int64) for x in a[:5])
    n_ts, n_cs, mu_ts, mu_cs, atts, ses = (x.astype(float) for x in a[5:])
    psi = _CompactPsi(Y, unit_g, gs, ts, bs, tcs, bcs, n_ts, n_cs, mu_ts, mu_cs, ses, not_yet)
    return gs, ts, atts, psi, unit_g


class _Aggregator:
    """Aggregations of ATT(g,t) exactly as R ``did::aggte`` (compute.aggte.R), on influence functions.

    ``psi`` holds the influence functions of the K cells, scaled so that Var(ATT) = psi' psi (i.e. R's IF / n): a
    :class:`_CompactPsi` (no covariates; never materialised) or a :class:`_DensePsi` (n_units x K matrix).
    ``unit_g`` is each unit's cohort (0 never treated). ``pg`` are cohort shares P(G = g) over all units. Each
    aggregation forms all its weight vectors first and asks ``psi`` for the weighted sums in one call; the
    influence function of the estimated weights (R's ``wif``) is applied per cohort, never as an n x K matrix.
    """

    def __init__(self, g: np.ndarray, t: np.ndarray, att: np.ndarray, psi, unit_g: np.ndarray):
        self.g, self.t, self.att = g.astype(np.int64), t.astype(np.int64), att
        self.psi = psi if hasattr(psi, "matmul") else _DensePsi(np.asarray(psi))
        self.unit_g = unit_g.astype(np.int64)
        self.n = len(unit_g)
        self.glist = np.unique(g)
        self.hvals, self.hinv, hcount = np.unique(self.unit_g, return_inverse=True, return_counts=True)
        share = dict(zip(self.hvals.tolist(), (hcount / self.n).tolist(), strict=True))
        self.pg = np.array([share[gg] for gg in g.tolist()])
        self.pgg = np.array([share[gg] for gg in self.glist.tolist()])

    def cell_se(self) -> np.ndarray:
        return self.psi.cell_se()

    def _wif_dot(self, keepers: np.ndarray, pg: np.ndarray, groups: np.ndarray, a: np.ndarray) -> np.ndarray:
        """Multiply R's weight influence function by ``a`` without forming the n x len(keepers) matrix.

        R's ``wif(keepers, pg, ...) @ a`` (IF scale, n-vector) without forming the n x len(keepers) matrix:
        its row for a unit depends only on the unit's cohort.
        """
        p = pg[keepers]
        s = p.sum()
        pos = np.searchsorted(self.hvals, groups[keepers])
        B = np.zeros(len(self.hvals))
        cnt = np.zeros(len(self.hvals))
        np.add.at(B, pos, a)
        np.add.at(cnt, pos, 1.0)
        pa = float(p @ a)
        per_h = (B - pa) / s - (cnt - s) * (pa / s**2)
        return per_h[self.hinv]

    def _weighted(self, specs, psi=None, att=None):
        """specs: list of (cols, w, wif-or-None); returns ests (m,) and inf (n x m), inf = psi W + wif att / n."""
        psi = self.psi if psi is None else psi
        att = self.att if att is None else att
        K = len(att)
        W = np.zeros((K, len(specs)))
        ests = np.empty(len(specs))
        for j, (cols, w, _) in enumerate(specs):
            W[cols, j] = w
            ests[j] = float(np.dot(w, att[cols]))
        inf = psi.matmul(W)
        for j, (cols, _, wif) in enumerate(specs):
            if wif is not None:
                keepers, pg, groups = wif
                inf[:, j] += self._wif_dot(keepers, pg, groups, att[cols]) / self.n
        return ests, inf

    def simple(self):
        keep = np.flatnonzero(self.g <= self.t)
        w = self.pg[keep] / self.pg[keep].sum()
        ests, inf = self._weighted([(keep, w, (keep, self.pg, self.g))])
        return [("overall", None, float(ests[0]), inf[:, 0])]

    def event(self):
        e = self.t - self.g
        eseq = np.unique(e)
        specs = []
        for ee in eseq:
            idx = np.flatnonzero(e == ee)
            w = self.pg[idx] / self.pg[idx].sum()
            specs.append((idx, w, (idx, self.pg, self.g)))
        ests, infs = self._weighted(specs)
        rows = [("element", int(ee), float(ests[j]), infs[:, j]) for j, ee in enumerate(eseq)]
        pos = eseq >= 0
        overall = ("overall", None, float(ests[pos].mean()), infs[:, pos].mean(axis=1))
        return [overall, *rows]

    def group(self):
        specs = []
        for gg in self.glist:
            idx = np.flatnonzero((self.g == gg) & (self.g <= self.t))
            specs.append((idx, np.full(len(idx), 1.0 / len(idx)), None))
        ests, infs = self._weighted(specs)
        rows = [("element", int(gg), float(ests[j]), infs[:, j]) for j, gg in enumerate(self.glist)]
        keep = np.arange(len(self.glist))
        w = self.pgg / self.pgg.sum()
        est, inf = self._weighted([(keep, w, (keep, self.pgg, self.glist))], psi=_DensePsi(infs), att=ests)
        return [("overall", None, float(est[0]), inf[:, 0]), *rows]

    def calendar(self):
        tlist = np.unique(self.t)
        tlist = tlist[tlist >= self.glist.min()]
        specs = []
        for tt in tlist:
            idx = np.flatnonzero((self.t == tt) & (self.g <= self.t))
            w = self.pg[idx] / self.pg[idx].sum()
            specs.append((idx, w, (idx, self.pg, self.g)))
        ests, infs = self._weighted(specs)
        rows = [("element", int(tt), float(ests[j]), infs[:, j]) for j, tt in enumerate(tlist)]
        overall = ("overall", None, float(np.mean(ests)), infs.mean(axis=1))
        return [overall, *rows]


def _multiplier_bootstrap(inf: np.ndarray, n_boot: int, seed: int, chunk: int = 100) -> tuple[np.ndarray, float]:
    """R did's mboot: Mammen multiplier draws of sum_i v_i psi_i; IQR-based SEs and the sup-t 95% critical value."""
    rng = np.random.default_rng(seed)
    n, k = inf.shape
    s5 = np.sqrt(5.0)
    p = (s5 + 1) / (2 * s5)
    lo, hi = -(s5 - 1) / 2, (s5 + 1) / 2
    draws = np.empty((n_boot, k))
    for start in range(0, n_boot, chunk):
        b = min(chunk, n_boot - start)
        v = np.where(rng.random((b, n)) < p, lo, hi)
        draws[start : start + b] = v @ inf
    q75, q25 = np.quantile(draws, [0.75, 0.25], axis=0)
    se = (q75 - q25) / (stats.norm.ppf(0.75) - stats.norm.ppf(0.25))
    ok = se > np.sqrt(np.finfo(float).eps) * 10
    se = np.where(ok, se, np.nan)
    if ok.any():
        tmax = np.nanmax(np.abs(draws[:, ok] / se[ok]), axis=1)
        crit = float(np.quantile(tmax, 0.95))
    else:
        crit = float("nan")
    return se, crit


def _rows_to_frame(kind: str, rows, n_boot: int, seed: int, scale: str, prep: _Prepared) -> pd.DataFrame:
    key = _KEY[kind]
    est = np.array([r[2] for r in rows])
    inf = np.column_stack([r[3] for r in rows])
    se = np.sqrt((inf**2).sum(axis=0))
    out = pd.DataFrame({"level": [r[0] for r in rows]})
    if key is not None:
        keys = [r[1] for r in rows]
        if key in ("cohort", "time"):
            vals = [None if k is None else k for k in keys]
            if prep.time_kind == "month":
                out[key] = [pd.NaT if v is None else pd.Period(ordinal=v, freq="M") for v in vals]
            else:
                out[key] = pd.array([pd.NA if v is None else v for v in vals], dtype="Int64")
        else:
            out[key] = pd.array([pd.NA if k is None else k for k in keys], dtype="Int64")
    out["estimate"] = est
    out["se"] = se
    if n_boot > 0:
        bse, crit = _multiplier_bootstrap(inf, n_boot, seed)
        out["se"] = bse
        elem = out["level"] == "element"
        out["band_lower"] = np.where(elem, est - crit * bse, np.nan)
        out["band_upper"] = np.where(elem, est + crit * bse, np.nan)
        out["crit"] = crit
    out["ci_lower"] = out["estimate"] - _Z * out["se"]
    out["ci_upper"] = out["estimate"] + _Z * out["se"]
    out["scale"] = scale
    cols = ["level", *([key] if key else []), "estimate", "se", "ci_lower", "ci_upper", "scale"]
    extra = [c for c in ("band_lower", "band_upper", "crit") if c in out.columns]
    return out[cols + extra]


def _logit(X: np.ndarray, D: np.ndarray, tol: float = 1e-13, max_iter: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Logistic regression by Newton-Raphson (the MLE R's glm converges to); returns (coefficients, fitted)."""
    beta = np.zeros(X.shape[1])
    for _ in range(max_iter):
        p = 1.0 / (1.0 + np.exp(-(X @ beta)))
        W = p * (1 - p)
        step = np.linalg.solve((X * W[:, None]).T @ X, X.T @ (D - p))
        beta = beta + step
        if np.max(np.abs(step)) < tol:
            break
    return beta, 1.0 / (1.0 + np.exp(-(X @ beta)))


def _drdid_panel(dy: np.ndarray, D: np.ndarray, X: np.ndarray, trim_level: float = 0.995) -> tuple[float, np.ndarray]:
    """Estimate a doubly robust DiD for panel data exactly as R ``DRDID::drdid_panel``.

    Doubly robust DiD for panel data exactly as R ``DRDID::drdid_panel`` (Sant'Anna & Zhao 2020), which R ``did``
    uses for ``est_method = "dr"``: logit propensity score, OLS outcome regression of the change among controls,
    Hajek-normalised weights, and the influence function including both first-step estimations.

    ``X`` includes the intercept column. Returns (ATT, influence function per unit, R scale: Var = mean(IF^2)/n).
    """
    n = len(D)
    _, ps = _logit(X, D)
    ps = np.minimum(ps, 1 - 1e-6)
    trim = np.where(D == 0, ps < trim_level, ps < 1.01).astype(float)
    ctrl = D == 0
    coef = np.linalg.lstsq(X[ctrl], dy[ctrl], rcond=None)[0]
    out = X @ coef
    w_t = trim * D
    w_c = trim * ps * (1 - D) / (1 - ps)
    att_t, att_c = w_t * (dy - out), w_c * (dy - out)
    eta_t, eta_c = att_t.mean() / w_t.mean(), att_c.mean() / w_c.mean()
    w_ols = 1.0 - D
    xpx_inv = np.linalg.inv((w_ols[:, None] * X).T @ X / n)
    lin_ols = (w_ols * (dy - out))[:, None] * X @ xpx_inv
    W = ps * (1 - ps)
    hess = np.linalg.inv((X * W[:, None]).T @ X) * n
    lin_ps = ((D - ps)[:, None] * X) @ hess
    inf_t = (att_t - w_t * eta_t - lin_ols @ (w_t[:, None] * X).mean(axis=0)) / w_t.mean()
    m2 = (w_c * (dy - out - eta_c))[:, None] * X
    inf_c = (att_c - w_c * eta_c + lin_ps @ m2.mean(axis=0) - lin_ols @ (w_c[:, None] * X).mean(axis=0)) / w_c.mean()
    return float(eta_t - eta_c), inf_t - inf_c


def _r_dr_cells(prep: _Prepared, covariates: Sequence[str], keys, cells, base_period: str):
    """Recompute ATT(g,t) and influence functions of the cells diff-diff formed, with R's DRDID estimator."""
    d = prep.data.sort_values(["_u", "_t"])
    periods = np.sort(d["_t"].unique())
    n_u = int(d["_u"].max()) + 1
    Y = d["_y"].to_numpy().reshape(n_u, len(periods))
    Xs = [d[c].to_numpy().reshape(n_u, len(periods)) for c in covariates]
    pos = {p: i for i, p in enumerate(periods)}
    att = np.empty(len(keys))
    psi = np.zeros((n_u, len(keys)))
    for j, (g, t) in enumerate(keys):
        tr, co = cells[(g, t)]
        idx = np.concatenate([tr, co])
        if t >= g or base_period == "universal":
            b = max(i for p, i in pos.items() if p < g)
        else:
            b = pos[t] - 1
        dy = Y[idx, pos[t]] - Y[idx, b]
        X = np.column_stack([np.ones(len(idx))] + [x[idx, b] for x in Xs])
        Dv = np.concatenate([np.ones(len(tr)), np.zeros(len(co))])
        att[j], inf = _drdid_panel(dy, Dv, X)
        psi[idx, j] = inf / len(idx)
    return att, psi


def _cs_fit(
    prep: _Prepared, control: str, covariates: Sequence[str], base_period: str, warn: list[str], engine: str = "auto"
):
    if not covariates and engine in ("auto", "fast"):
        fast = _cs_cells_fast(prep, control, base_period)
        if fast is not None:
            return _Aggregator(*fast)
        if engine == "fast":
            raise TppoError("engine='fast' needs a balanced unit x period panel without covariates")
    keys, g, t, att, psi, unit_g, cells = _diffdiff.cs_group_time(prep.data, control, covariates, base_period, warn)
    if covariates:
        # diff-diff 3.13 normalises the control IPW weights of its DR estimator by the number of treated units
        # (Horvitz-Thompson); R did/DRDID by their sum (Hajek). Same cells, R's estimator (differences <= 7e-6).
        att, psi = _r_dr_cells(prep, covariates, keys, cells, base_period)
    return _Aggregator(g, t, att, psi, unit_g)


def fit_cs(prep, control, covariates, n_boot, seed, warn, engine: str = "auto") -> EffectResult:
    """Run the ``estimator="cs"`` branch of :func:`tppo_analysis.effects.fit` on a prepared panel.

    Parameters
    ----------
    prep : _Prepared
        The panel as checked and coded by :func:`tppo_analysis.effects._panel.prepare`.
    control : {"never_treated", "not_yet_treated"}
        The comparison units.
    covariates : sequence of str
        Time-invariant covariates of the doubly robust models.
    n_boot : int
        Multiplier-bootstrap draws (0: analytic standard errors only).
    seed : int
        Seed of the bootstrap draws.
    warn : list of str
        Notes collected so far; the branch appends its own.
    engine : {"auto", "fast", "diff_diff"}
        Which implementation computes the cells (see :func:`tppo_analysis.effects.fit`).

    Returns
    -------
    EffectResult
        The fitted effects.
    """
    agg = _cs_fit(prep, control, covariates, "varying", warn, engine)
    se = agg.cell_se()
    gt = _gt_frame(agg.g, agg.t, agg.att, se, prep)

    def aggregate(kind):
        return _rows_to_frame(kind, getattr(agg, kind)(), n_boot, seed, "count", prep)

    def sensitivity():
        uni = _cs_fit(prep, control, covariates, "universal", [], engine)
        rows = uni.event()[1:]
        e = np.array([r[1] for r in rows])
        inf = np.column_stack([r[3] for r in rows])
        est = np.array([r[2] for r in rows])
        keep = e != -1
        e, inf, est = e[keep], inf[:, keep], est[keep]
        return e, est, inf.T @ inf

    res = EffectResult(
        "cs", control, pd.DataFrame(), gt, pd.DataFrame(), list(prep.notes), prep.excluded, warn, aggregate, sensitivity
    )
    simple = res.aggregate("simple")
    res.overall = simple.drop(columns=["level"]).reset_index(drop=True)
    res.event_study = _event_from_agg(res.aggregate("event"))
    return res
