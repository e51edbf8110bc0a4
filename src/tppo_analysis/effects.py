"""Program-effect estimators for staggered adoption (Desa Binaan Imigrasi), built on ``diff-diff``.

One entry point, :func:`fit`, returns an :class:`EffectResult` with tidy frames:

* ``estimator="cs"`` — Callaway & Sant'Anna (2021) ATT(g,t) from ``diff_diff.CallawaySantAnna`` (doubly robust
  with covariates, varying base period as R ``did``), aggregated exactly as R ``did::aggte`` (simple, dynamic/event,
  group, calendar), including the influence function of the estimated aggregation weights. Analytic standard errors by
  default; ``n_boot > 0`` adds the R ``did`` multiplier bootstrap (Mammen weights, IQR-based standard errors) and
  uniform (sup-t) bands. Scale "count": effects are in outcome units (e.g. deferrals per village-month).
  Without covariates the cells (then a difference in means, the same cells, base periods, control sets and influence
  functions as diff-diff's) are computed here on the unit x period outcome matrix, and their influence functions are
  never stored as a units x cells matrix: each aggregation forms its weighted sums cohort by cohort
  (:class:`_CompactPsi`), so a national monthly panel (83,762 villages x 72 months) takes seconds and ~1 GB.
* ``estimator="poisson_etwfe"`` — Wooldridge (2023) Poisson extended TWFE. Cell coefficients are log rate ratios
  (treated vs counterfactual mean count), identified by parallel trends *on the ratio scale* (multiplicative common
  trends). Without covariates the fast national implementation in :mod:`tppo_analysis.models.poisson_etwfe` is used
  when it is importable; otherwise (and always with covariates) ``diff_diff.WooldridgeDiD(method="poisson")``.
  Scale "ratio"; ``aggregate("count")`` gives the average effect in counts per treated village-month. Cohorts the
  fast implementation leaves out (no event before adoption: baseline rate not identified) are listed, unit by unit,
  in ``EffectResult.excluded`` and named in ``notes``.
* ``estimator="twfe"`` — the naive static two-way fixed effects regression in levels (``diff_diff.TwoWayFixedEffects``),
  kept as the contrast that the staggered design literature warns about; :func:`bacon` decomposes it.

Diagnostics: :func:`bacon` (Goodman-Bacon decomposition, diff-diff), :func:`honest_bounds` and
``EffectResult.sensitivity`` (HonestDiD), :func:`ring_exposure` (same-kecamatan / same-regency spillover rings),
:func:`placebo_shift` (ratio-scale pre-trend placebo) and :func:`permutation_test` (placebo designations, for few
treated villages).

``time`` and ``cohort`` may be integers (years) or monthly periods (``pandas.Period``/datetime); a cohort of 0 or
missing means never treated. Units first treated at or before the first observed period are dropped (as R ``did``
does) and cohorts after the last period are treated as never treated; both are listed in ``EffectResult.notes``.
"""

from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass, field
from typing import Any, Literal, Sequence

import numpy as np
import pandas as pd
from scipy import stats
from scipy.optimize import linprog
from scipy.stats import truncnorm

from .errors import Problem, TppoError, DataValidationError

__all__ = [
    "EffectResult",
    "fit",
    "bacon",
    "honest_bounds",
    "ring_exposure",
    "permutation_test",
    "placebo_shift",
    "AGGREGATIONS",
]

AGGREGATIONS = ("simple", "event", "group", "calendar")
_KEY = {"simple": None, "event": "event_time", "group": "cohort", "calendar": "time"}
_Z = stats.norm.ppf(0.975)


# --------------------------------------------------------------------------------------------------------------------
# Input preparation
# --------------------------------------------------------------------------------------------------------------------


@dataclass
class _Prepared:
    data: pd.DataFrame  # columns _u, _t, _g, _y, covariates (ints for _t/_g; _g == 0 never treated)
    time_kind: str  # "int" or "month"
    freq: Any
    notes: list[str]
    excluded: pd.DataFrame
    unit: str = "unit"  # name of the unit column
    unit_labels: Any = None  # unit label of each code in data["_u"]


def _to_ordinal(values: pd.Series, name: str) -> tuple[np.ndarray, str]:
    """Integer codes for a time-like column: integers stay, months become Period ordinals. NaN -> 0."""
    s = values
    if isinstance(s.dtype, pd.PeriodDtype):
        if not s.dtype.freq.freqstr.startswith("M"):
            raise TppoError(f"column {name!r}: periods must be monthly, got frequency {s.dtype.freq.freqstr}")
        out = np.where(s.isna(), 0, s.array.asi8 if hasattr(s.array, "asi8") else s.map(lambda p: p.ordinal))
        return np.asarray(out, dtype=np.int64), "month"
    if pd.api.types.is_datetime64_any_dtype(s):
        per = s.dt.to_period("M")
        return _to_ordinal(per, name)
    if s.dtype == object:
        sample = s.dropna()
        if len(sample) and isinstance(sample.iloc[0], pd.Period):
            return _to_ordinal(pd.Series(pd.PeriodIndex(s, freq="M"), index=s.index), name)
    num = pd.to_numeric(s, errors="coerce")
    bad = s.notna() & num.isna()
    if bad.any():
        raise TppoError(f"column {name!r}: {s[bad].iloc[0]!r} is neither an integer period nor a month")
    if ((num.dropna() % 1) != 0).any():
        raise TppoError(f"column {name!r}: periods must be whole numbers (years) or months")
    return num.fillna(0).astype(np.int64).to_numpy(), "int"


def _prepare(
    panel: pd.DataFrame, outcome: str, unit: str, time: str, cohort: str, covariates: Sequence[str]
) -> _Prepared:
    if not isinstance(panel, pd.DataFrame):
        raise TppoError("panel must be a pandas DataFrame (one row per unit and period)")
    missing = [c for c in (outcome, unit, time, cohort, *covariates) if c not in panel.columns]
    if missing:
        raise TppoError(f"panel has no column(s) {missing}; it has {list(panel.columns)}")
    t, kind_t = _to_ordinal(panel[time], time)
    g, kind_g = _to_ordinal(panel[cohort], cohort)
    if kind_t == "month" and kind_g == "int" and (g > 0).any():
        raise TppoError(f"column {cohort!r} must be months like {time!r} (or 0/missing for never treated)")
    if kind_t == "month" and (t <= 0).any():
        raise TppoError(f"column {time!r}: months before 1970-02 are not supported")
    y = pd.to_numeric(panel[outcome], errors="coerce")
    problems = []
    for pos in np.flatnonzero(y.isna().to_numpy())[:50]:
        problems.append(Problem("panel", int(pos) + 2, outcome, str(panel[outcome].iloc[pos]), "outcome is missing or not a number"))
    for c in covariates:
        xc = pd.to_numeric(panel[c], errors="coerce")
        for pos in np.flatnonzero(xc.isna().to_numpy())[:20]:
            problems.append(Problem("panel", int(pos) + 2, c, str(panel[c].iloc[pos]), "covariate is missing or not a number"))
    if problems:
        raise DataValidationError(problems, file="panel")
    ucodes, ulabels = pd.factorize(panel[unit], sort=True)
    d = pd.DataFrame({"_u": ucodes, "_t": t, "_g": g, "_y": y.to_numpy(dtype=float)})
    for c in covariates:
        d[c] = pd.to_numeric(panel[c]).to_numpy(dtype=float)
    dup = d.duplicated(["_u", "_t"])
    if dup.any():
        pos = int(np.flatnonzero(dup.to_numpy())[0])
        raise TppoError(f"panel line {pos + 2}: unit {panel[unit].iloc[pos]!r} appears twice in period {panel[time].iloc[pos]!r}")
    ng = d.groupby("_u")["_g"].nunique()
    if (ng > 1).any():
        raise TppoError(f"column {cohort!r} must be constant within a unit; unit {ulabels[ng[ng > 1].index[0]]!r} has several")
    notes: list[str] = []
    tmin, tmax = int(d["_t"].min()), int(d["_t"].max())
    late = d["_g"] > tmax
    if late.any():
        n_late = d.loc[late, "_u"].nunique()
        notes.append(f"{n_late} unit(s) first treated after the last period are used as never treated (R did rule)")
        d.loc[late, "_g"] = 0
    early = (d["_g"] > 0) & (d["_g"] <= tmin)
    excluded = pd.DataFrame(columns=[unit, "reason"])
    if early.any():
        units = ulabels[pd.unique(d.loc[early, "_u"])]
        excluded = pd.DataFrame({unit: units, "reason": "treated at or before the first period (no pre-period)"})
        notes.append(f"{len(units)} unit(s) treated at or before the first period are dropped (R did rule)")
        d = d[~early].reset_index(drop=True)
    counts = d.groupby("_u")["_t"].size()
    if counts.nunique() > 1:
        raise TppoError(
            f"panel is unbalanced: unit {ulabels[counts.idxmin()]!r} has {counts.min()} periods, others up to {counts.max()}; "
            "build the panel with tppo_analysis.panel (zero-filled months) first"
        )
    freq = panel[time].dtype.freq if isinstance(panel[time].dtype, pd.PeriodDtype) else ("M" if kind_t == "month" else None)
    return _Prepared(d, kind_t, freq, notes, excluded, unit, ulabels)


def _from_ordinal(values: np.ndarray, prep: _Prepared):
    if prep.time_kind == "month":
        return pd.PeriodIndex.from_ordinals(np.asarray(values, dtype=np.int64), freq="M")
    return np.asarray(values, dtype=np.int64)


# --------------------------------------------------------------------------------------------------------------------
# R did::aggte on influence functions
# --------------------------------------------------------------------------------------------------------------------


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
        for h, lo, hi in zip(self.hs, self.bounds[:-1], self.bounds[1:]):
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
    """R did / diff-diff positional base period: the last observed period before g (post-treatment cells and the
    universal base) or before t (varying base, pre-treatment cells); None when there is none."""
    thr = g if (kind == "universal" or t >= g) else t
    i = int(np.searchsorted(periods, thr, side="left"))
    return int(periods[i - 1]) if i > 0 else None


def _cs_cells_fast(prep: _Prepared, control: str, base_period: str):
    """ATT(g,t) without covariates as diff-diff's CallawaySantAnna (doubly robust = difference in means; same cells,
    base periods, control sets and influence functions) on the wide outcome matrix, with compact influence
    functions. Returns None when the panel is not a full unit x period grid (then diff-diff is used)."""
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
    ctrl_cache: dict = {}
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
    a = [np.array(col) for col in zip(*rows)]
    g, t, b, tc, bc = (x.astype(np.int64) for x in a[:5])
    n_t, n_c, mu_t, mu_c, att, se = (x.astype(float) for x in a[5:])
    psi = _CompactPsi(Y, unit_g, g, t, b, tc, bc, n_t, n_c, mu_t, mu_c, se, not_yet)
    return g, t, att, psi, unit_g


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
        share = dict(zip(self.hvals.tolist(), (hcount / self.n).tolist()))
        self.pg = np.array([share[gg] for gg in g.tolist()])
        self.pgg = np.array([share[gg] for gg in self.glist.tolist()])

    def cell_se(self) -> np.ndarray:
        return self.psi.cell_se()

    def _wif_dot(self, keepers: np.ndarray, pg: np.ndarray, groups: np.ndarray, a: np.ndarray) -> np.ndarray:
        """R's ``wif(keepers, pg, ...) @ a`` (IF scale, n-vector) without forming the n x len(keepers) matrix:
        its row for a unit depends only on the unit's cohort."""
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


# --------------------------------------------------------------------------------------------------------------------
# Result object
# --------------------------------------------------------------------------------------------------------------------


@dataclass
class EffectResult:
    """Estimates of a staggered-adoption program effect. Frames are tidy; see :func:`fit` for the estimands.

    Attributes
    ----------
    estimator, control : the options used.
    overall : one row (estimate, se, ci_lower, ci_upper, scale); "count" scale for cs/twfe, "ratio" for poisson_etwfe.
    group_time : cohort, time, event_time, estimate, se, ci_lower, ci_upper (ATT(g,t) or log rate ratios).
    event_study : event_time, estimate, se, ci_lower, ci_upper, scale (the "event" aggregation without its overall row).
    notes : decisions taken on the input (units dropped or recoded), stated not silent.
    excluded : units dropped from estimation with the reason.
    warnings : warnings raised by the underlying library, kept out of notebook output.
    """

    estimator: str
    control: str
    overall: pd.DataFrame
    group_time: pd.DataFrame
    event_study: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    excluded: pd.DataFrame = field(default_factory=pd.DataFrame)
    warnings: list[str] = field(default_factory=list)
    _aggregate: Any = field(default=None, repr=False)
    _sensitivity: Any = field(default=None, repr=False)
    _cache: dict = field(default_factory=dict, repr=False)

    def aggregate(self, kind: str) -> pd.DataFrame:
        """Aggregate the group-time effects: "simple", "event", "group", "calendar" (as R ``did::aggte``), and for
        ``poisson_etwfe`` also "count" (average effect in outcome units per treated unit-period).

        Returns a frame with ``level`` ("overall" first, then one "element" row per event time / cohort / period),
        the key column (``event_time``, ``cohort`` or ``time``), estimate, se, ci_lower, ci_upper, scale; with
        ``n_boot > 0`` also band_lower, band_upper (uniform 95% band) and crit.
        """
        if kind == "dynamic":
            kind = "event"
        allowed = AGGREGATIONS + (("count",) if self.estimator == "poisson_etwfe" else ())
        if kind not in allowed:
            raise TppoError(f"aggregate kind must be one of {allowed}, got {kind!r}")
        if kind not in self._cache:
            self._cache[kind] = self._aggregate(kind)
        return self._cache[kind].copy()

    def sensitivity(
        self,
        method: Literal["smoothness", "relative_magnitude"] = "smoothness",
        m_values: Sequence[float] = (0.0, 0.01, 0.02, 0.03),
        target: Literal["first", "average"] = "first",
        alpha: float = 0.05,
        max_pre: int | None = 6,
        max_post: int | None = 6,
        rm_interval: Literal["clf", "naive"] = "clf",
    ) -> pd.DataFrame:
        """HonestDiD (Rambachan & Roth 2023) robust confidence sets for the post-treatment event-study effect.

        The event study is re-estimated with a *universal* base period (e = -1 normalised to 0), as HonestDiD
        requires. ``method="smoothness"`` (Delta^SD, FLCI; validated against the HonestDiD README) bounds the change
        in slope of the trend violation by M per period; ``"relative_magnitude"`` (Delta^RM) bounds post-period
        violations by Mbar times the largest pre-period one. Returns m, lb, ub (robust CI), method, target, and the
        original estimate/se. Only for estimators with pre-period estimates ("cs"). ``max_pre``/``max_post`` keep
        the event times closest to the launch (e = -1 - max_pre .. -2 and 0 .. max_post - 1): HonestDiD's
        optimisation grows quickly with the number of coefficients (monthly panels have dozens).
        """
        if self._sensitivity is None:
            raise TppoError(f"sensitivity needs pre-period event-study estimates; not available for {self.estimator}")
        if "sens" not in self._cache:
            self._cache["sens"] = self._sensitivity()
        e, beta, sigma = self._cache["sens"]
        keep = np.ones(len(e), dtype=bool)
        if max_pre is not None:
            keep &= e >= -1 - max_pre
        if max_post is not None:
            keep &= e < max_post
        beta, sigma = beta[keep], sigma[np.ix_(keep, keep)]
        num_pre, num_post = int((e[keep] < 0).sum()), int((e[keep] >= 0).sum())
        l_vec = np.zeros(num_post)
        if target == "first":
            l_vec[0] = 1.0
        elif target == "average":
            l_vec[:] = 1.0 / num_post
        else:
            raise TppoError(f"target must be 'first' or 'average', got {target!r}")
        return honest_bounds(beta, sigma, num_pre, num_post, method=method, m_values=m_values, l_vec=l_vec, alpha=alpha,
                             rm_interval=rm_interval)


# --------------------------------------------------------------------------------------------------------------------
# Estimators
# --------------------------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _quiet(store: list[str]):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for w in caught:
        msg = str(w.message).split("\n")[0]
        if msg not in store:
            store.append(msg)


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
    """Doubly robust DiD for panel data exactly as R ``DRDID::drdid_panel`` (Sant'Anna & Zhao 2020), which R ``did``
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


def _r_dr_cells(prep: _Prepared, covariates: Sequence[str], keys, kit, base_period: str):
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
        info = kit.influence[(g, t)]
        tr, co = np.asarray(info["treated_idx"], int), np.asarray(info["control_idx"], int)
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


def _cs_fit(prep: _Prepared, control: str, covariates: Sequence[str], base_period: str, warn: list[str],
            engine: str = "auto"):
    if not covariates and engine in ("auto", "fast"):
        fast = _cs_cells_fast(prep, control, base_period)
        if fast is not None:
            return _Aggregator(*fast)
        if engine == "fast":
            raise TppoError("engine='fast' needs a balanced unit x period panel without covariates")
    from diff_diff import CallawaySantAnna

    # pscore_trim: R DRDID does not trim below; a tiny symmetric clip only guards against 0/1 scores.
    est = CallawaySantAnna(
        control_group=control,
        estimation_method="dr",
        base_period=base_period,
        pscore_trim=1e-6,
        n_bootstrap=0,
        rank_deficient_action="silent",
    )
    with _quiet(warn):
        res = est.fit(
            prep.data, outcome="_y", unit="_u", time="_t", first_treat="_g", covariates=list(covariates) or None
        )
    kit = res._aggregation_kit
    keys = sorted(k for k, v in res.group_time_effects.items() if np.isfinite(v["effect"]))
    n = len(kit.bookkeeping["all_units"])
    psi = np.zeros((n, len(keys)))
    for j, k in enumerate(keys):
        info = kit.influence[k]
        np.add.at(psi[:, j], info["treated_idx"], info["treated_inf"])
        np.add.at(psi[:, j], info["control_idx"], info["control_inf"])
    g = np.array([k[0] for k in keys], dtype=np.int64)
    t = np.array([k[1] for k in keys], dtype=np.int64)
    att = np.array([res.group_time_effects[k]["effect"] for k in keys])
    unit_g = np.asarray(kit.bookkeeping["unit_cohorts"], dtype=np.int64)
    if covariates:
        # diff-diff 3.13 normalises the control IPW weights of its DR estimator by the number of treated units
        # (Horvitz-Thompson); R did/DRDID by their sum (Hajek). Same cells, R's estimator (differences <= 7e-6).
        att, psi = _r_dr_cells(prep, covariates, keys, kit, base_period)
    return _Aggregator(g, t, att, psi, unit_g)


def _gt_frame(g, t, est, se, prep: _Prepared) -> pd.DataFrame:
    out = pd.DataFrame({"cohort": _from_ordinal(g, prep), "time": _from_ordinal(t, prep)})
    out["event_time"] = (np.asarray(t) - np.asarray(g)).astype(np.int64)
    out["estimate"] = est
    out["se"] = se
    out["ci_lower"] = out["estimate"] - _Z * out["se"]
    out["ci_upper"] = out["estimate"] + _Z * out["se"]
    return out


def _event_from_agg(ev: pd.DataFrame) -> pd.DataFrame:
    es = ev[ev["level"] == "element"].drop(columns=["level"]).reset_index(drop=True)
    es["event_time"] = es["event_time"].astype(np.int64)
    return es


def _fit_cs(prep, control, covariates, n_boot, seed, warn, engine: str = "auto") -> EffectResult:
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

    res = EffectResult("cs", control, pd.DataFrame(), gt, pd.DataFrame(), list(prep.notes), prep.excluded, warn,
                       aggregate, sensitivity)
    simple = res.aggregate("simple")
    res.overall = simple.drop(columns=["level"]).reset_index(drop=True)
    res.event_study = _event_from_agg(res.aggregate("event"))
    return res


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
    cols = ["level", *([key] if key else []), "estimate", "se", "ci_lower", "ci_upper", "scale", "log_estimate", "log_se"]
    return out[cols]


class _RatioAggregator:
    """Rate ratios of sets of treated cells from cell log rate ratios ``delta`` (diff-diff path).

    Same definition as :mod:`tppo_analysis.models.poisson_etwfe`: ratio = sum of fitted treated means over the sum
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
        levels, keys, ests, ses = ["overall"], [None], *[[v] for v in self._ratio(every)]
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
        vals = pd.array([pd.NA if k is None else k for k in keys], dtype="Int64") if kind == "event" else \
            _key_values(keys, self.prep)
        return _ratio_frame(levels, name, vals, ests, ses)


def _key_values(keys, prep):
    if prep.time_kind == "month":
        return [pd.NaT if k is None else pd.Period(ordinal=k, freq="M") for k in keys]
    return pd.array([pd.NA if k is None else k for k in keys], dtype="Int64")


def _poisson_diffdiff(prep: _Prepared, control: str, covariates: Sequence[str], warn: list[str]):
    """diff-diff's WooldridgeDiD(method='poisson'); captures the cell coefficients (log rate ratios) and their
    cluster-robust covariance, which the library computes but does not return."""
    import diff_diff.wooldridge as wd

    captured: dict[str, Any] = {}
    orig_solve, orig_vcov = wd.solve_poisson, wd.compute_robust_vcov

    def solve(*a, **k):
        beta, mu = orig_solve(*a, **k)
        captured["beta"] = np.asarray(beta).copy()
        return beta, mu

    def vcov(*a, **k):
        v = orig_vcov(*a, **k)
        captured["vcov"] = np.asarray(v).copy()
        return v

    est = wd.WooldridgeDiD(method="poisson", control_group=control, rank_deficient_action="silent")
    data = prep.data
    try:
        wd.solve_poisson, wd.compute_robust_vcov = solve, vcov
        with _quiet(warn):
            res = est.fit(data, outcome="_y", unit="_u", time="_t", cohort="_g", exovar=list(covariates) or None)
    finally:
        wd.solve_poisson, wd.compute_robust_vcov = orig_solve, orig_vcov
    keys = list(res._gt_keys)
    beta, V = captured["beta"], captured["vcov"]
    k = len(keys)
    if V.shape[0] != beta.shape[0] or np.isnan(beta[1 : 1 + k]).any():
        raise TppoError("Poisson ETWFE: some cohort x period cells are not identified (rank deficient design)")
    delta = beta[1 : 1 + k]
    Vd = V[1 : 1 + k, 1 : 1 + k]
    g = np.array([kk[0] for kk in keys], dtype=np.int64)
    t = np.array([kk[1] for kk in keys], dtype=np.int64)
    ysum = data.groupby(["_g", "_t"])["_y"].sum()
    ysum = ysum.reindex(pd.MultiIndex.from_arrays([g, t])).to_numpy(dtype=float)
    count = pd.DataFrame({"level": ["overall"], "estimate": [res.overall_att], "se": [res.overall_se]})
    return g, t, delta, Vd, ysum, count


def _poisson_fast(prep: _Prepared, control: str):
    from .models import poisson_etwfe as pe  # helper module (national-scale implementation)

    return pe.fit(prep.data, outcome="_y", unit="_u", time="_t", cohort="_g", control=control)


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


def _fit_poisson(prep, control, covariates, warn, engine: str) -> EffectResult:
    if (prep.data["_y"] < 0).any():
        raise TppoError("poisson_etwfe needs non-negative counts in the outcome column")
    fast = None
    if engine in ("auto", "fast") and not covariates:
        try:
            fast = _poisson_fast(prep, control)
        except ImportError:
            if engine == "fast":
                raise TppoError("tppo_analysis.models.poisson_etwfe is not available")
    if fast is not None:
        gtf = fast.group_time
        g = gtf["cohort"].to_numpy(dtype=np.int64)
        t = gtf["time"].to_numpy(dtype=np.int64)
        gt = _gt_frame(g, t, gtf["estimate"].to_numpy(float), gtf["se"].to_numpy(float), prep)
        with np.errstate(divide="ignore", invalid="ignore"):
            simple = fast.aggregate("simple")

        def aggregate(kind):
            with np.errstate(divide="ignore", invalid="ignore"):  # empty cells give rate ratio 0 (log -inf)
                if kind == "count":
                    return _with_level(fast.aggregate("count"), None, None, prep)
                return _with_level(fast.aggregate(kind), simple, _KEY[kind], prep)

        engine_used = "tppo_analysis.models.poisson_etwfe"
        excluded, more_notes = _fast_poisson_excluded(fast, prep)
    else:
        g, t, delta, Vd, ysum, count_df = _poisson_diffdiff(prep, control, covariates, warn)
        agg = _RatioAggregator(g, t, delta, Vd, ysum, prep)
        gt = _gt_frame(g, t, delta, np.sqrt(np.diag(Vd)), prep)

        def aggregate(kind):
            return _count_frame(count_df) if kind == "count" else agg.frame(kind)

        engine_used = "diff_diff.WooldridgeDiD(method='poisson')"
        excluded, more_notes = prep.excluded, []
    gt["scale"] = "log_ratio"
    res = EffectResult("poisson_etwfe", control, pd.DataFrame(), gt, pd.DataFrame(),
                       [*prep.notes, *more_notes, f"engine: {engine_used}"], excluded, warn, aggregate, None)
    res.overall = res.aggregate("simple").drop(columns=["level"]).reset_index(drop=True)
    res.event_study = _event_from_agg(res.aggregate("event"))
    return res


def _fast_poisson_excluded(fast, prep: _Prepared) -> tuple[pd.DataFrame, list[str]]:
    """Units of the cohorts the fast Poisson ETWFE left out (``fast.excluded``: cohort, n_units, reason), added to
    the units ``_prepare`` dropped, with one note naming the cohorts."""
    fx = getattr(fast, "excluded", None)
    if fx is None or not len(fx):
        return prep.excluded, []
    d = prep.data
    cohorts = np.asarray(fx["cohort"], dtype=np.int64)  # the fast fit ran on prep.data: cohorts are ordinals
    labels = {int(c): str(v) for c, v in zip(cohorts, _from_ordinal(cohorts, prep))}
    reasons = dict(zip(cohorts.tolist(), fx["reason"].astype(str)))
    units = d.loc[d["_g"].isin(cohorts), ["_u", "_g"]].drop_duplicates("_u")
    unit_ids = prep.unit_labels[units["_u"].to_numpy()] if prep.unit_labels is not None else units["_u"].to_numpy()
    new = pd.DataFrame({
        prep.unit: np.asarray(unit_ids),
        "reason": [f"cohort {labels[int(g)]}: {reasons[int(g)]} (left out of the Poisson ETWFE)"
                   for g in units["_g"]],
    })
    parts = [x for x in (prep.excluded, new) if len(x)]
    excluded = pd.concat(parts, ignore_index=True) if len(parts) > 1 else new
    listed = ", ".join(f"{labels[int(c)]} ({int(n)} unit(s))" for c, n in zip(cohorts, fx["n_units"]))
    note = (f"{len(new)} unit(s) of {len(cohorts)} cohort(s) without any event before adoption are left out of the "
            f"Poisson ETWFE (baseline rate not identified): {listed}")
    return excluded, [note]


def _count_frame(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["ci_lower"] = out["estimate"] - _Z * out["se"]
    out["ci_upper"] = out["estimate"] + _Z * out["se"]
    out["scale"] = "count"
    return out[["level", "estimate", "se", "ci_lower", "ci_upper", "scale"]]


def _twfe_static(prep: _Prepared) -> tuple[float, float]:
    """Static TWFE coefficient of D_it = 1{t >= g} with unit and period fixed effects, cluster-robust (CR1, by unit)
    standard error with fixest's small-sample factor. The panel is balanced, so two-way demeaning is exact.

    (diff-diff's ``TwoWayFixedEffects`` static mode is a 2x2 treatment x post design, not the staggered TWFE; its
    ``bacon_decompose`` reports this same coefficient, which the tests check.)
    """
    d = prep.data
    u, t = d["_u"].to_numpy(), d["_t"].to_numpy()
    _, t_idx = np.unique(t, return_inverse=True)
    n_u, n_t = int(u.max()) + 1, int(t_idx.max()) + 1
    y = np.zeros((n_u, n_t))
    D = np.zeros((n_u, n_t))
    y[u, t_idx] = d["_y"].to_numpy()
    D[u, t_idx] = ((d["_g"] > 0) & (d["_t"] >= d["_g"])).to_numpy(float)

    def dm(x):
        return x - x.mean(axis=1, keepdims=True) - x.mean(axis=0, keepdims=True) + x.mean()

    yd, Dd = dm(y), dm(D)
    sxx = float((Dd**2).sum())
    if sxx <= 0:
        raise TppoError("TWFE: the treatment indicator has no variation after removing unit and period effects")
    beta = float((yd * Dd).sum() / sxx)
    e = yd - beta * Dd
    score = (Dd * e).sum(axis=1)
    n, k = n_u * n_t, n_t + 1  # D, period effects and the constant; unit effects nested in clusters (fixest)
    adj = n_u / (n_u - 1) * (n - 1) / (n - k)
    se = float(np.sqrt(adj * (score**2).sum()) / sxx)
    return beta, se


def _fit_twfe(prep, covariates, warn) -> EffectResult:
    if covariates:
        warn.append("twfe: time-invariant covariates are absorbed by the unit fixed effects and were ignored")
    att, se = _twfe_static(prep)
    overall = pd.DataFrame({"estimate": [att], "se": [se]})
    overall["ci_lower"] = overall["estimate"] - _Z * overall["se"]
    overall["ci_upper"] = overall["estimate"] + _Z * overall["se"]
    overall["scale"] = "count"
    empty = pd.DataFrame(columns=["event_time", "estimate", "se", "ci_lower", "ci_upper", "scale"])
    gt = pd.DataFrame(columns=["cohort", "time", "event_time", "estimate", "se", "ci_lower", "ci_upper"])

    def aggregate(kind):
        if kind == "simple":
            return pd.concat([pd.DataFrame({"level": ["overall"]}), overall], axis=1)
        raise TppoError("the static TWFE regression has a single coefficient: only aggregate('simple') exists")

    return EffectResult("twfe", "all_untreated", overall, gt, empty,
                        [*prep.notes, "static TWFE in levels: a variance-weighted average using already-treated "
                         "units as controls (see effects.bacon)"], prep.excluded, warn, aggregate, None)


def fit(
    panel: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    estimator: Literal["poisson_etwfe", "cs", "twfe"] = "poisson_etwfe",
    control: Literal["never_treated", "not_yet_treated"] = "never_treated",
    covariates: Sequence[str] = (),
    n_boot: int = 0,
    seed: int = 0,
    engine: Literal["auto", "fast", "diff_diff"] = "auto",
) -> EffectResult:
    """Estimate the program effect on a balanced unit x period panel with staggered adoption.

    Parameters
    ----------
    panel : one row per unit and period (balanced; zero counts present, not missing).
    outcome : outcome column (counts per unit-period for ``poisson_etwfe``).
    unit, time : unit id and period columns; ``time`` holds integers (years) or months (Period/datetime).
    cohort : first treated period of the unit (same type as ``time``); 0 or missing = never treated.
    estimator : "poisson_etwfe" (rate ratio, parallel trends on the ratio scale), "cs" (Callaway-Sant'Anna ATT in
        levels, parallel trends in levels), "twfe" (naive static TWFE in levels; for contrast only).
    control : "never_treated" or "not_yet_treated" comparison units.
    covariates : time-invariant covariates (e.g. baseline sending level). For "cs" they enter the doubly robust
        outcome and propensity models; for "poisson_etwfe" they enter as regressors (diff-diff path).
    n_boot : "cs" only: number of multiplier-bootstrap draws (R did mboot, Mammen weights) for SEs and uniform bands.
    seed : seed of the bootstrap draws.
    engine : "auto" (default) uses the project's compact implementations when there are no covariates and the panel is
        a full unit x period grid — for "cs" the ATT(g,t) cells and influence functions computed directly (equal to
        diff-diff's to 1e-12, tested), for "poisson_etwfe" :mod:`tppo_analysis.models.poisson_etwfe` — and diff-diff
        otherwise. "diff_diff" forces diff-diff's estimators; "fast" requires the compact path.
    """
    if estimator not in ("poisson_etwfe", "cs", "twfe"):
        raise TppoError(f"estimator must be 'poisson_etwfe', 'cs' or 'twfe', got {estimator!r}")
    if control not in ("never_treated", "not_yet_treated"):
        raise TppoError(f"control must be 'never_treated' or 'not_yet_treated', got {control!r}")
    if isinstance(covariates, str):
        covariates = (covariates,)
    covariates = tuple(covariates)
    if n_boot < 0:
        raise TppoError("n_boot must be >= 0")
    prep = _prepare(panel, outcome, unit, time, cohort, covariates)
    if not (prep.data["_g"] > 0).any():
        raise TppoError("no treated units: every cohort is 0/missing or outside the panel's periods")
    warn: list[str] = []
    if estimator == "cs":
        if control == "never_treated" and not (prep.data["_g"] == 0).any():
            raise TppoError("control='never_treated' but the panel has no never-treated units; use 'not_yet_treated'")
        return _fit_cs(prep, control, covariates, n_boot, seed, warn, engine)
    if n_boot:
        raise TppoError("n_boot (multiplier bootstrap) is implemented for estimator='cs' only")
    if estimator == "poisson_etwfe":
        return _fit_poisson(prep, control, covariates, warn, engine)
    return _fit_twfe(prep, covariates, warn)


# --------------------------------------------------------------------------------------------------------------------
# Diagnostics: Bacon decomposition, HonestDiD, ring exposure for spillovers
# --------------------------------------------------------------------------------------------------------------------


def bacon(panel: pd.DataFrame, outcome: str, unit: str, time: str, cohort: str) -> pd.DataFrame:
    """Goodman-Bacon (2021) decomposition of the static TWFE estimate (``diff_diff.bacon_decompose``).

    Returns one row per 2x2 comparison: treated, control, comparison ("treated_vs_never", "earlier_vs_later",
    "later_vs_earlier" — the last uses already-treated units as controls, the source of TWFE bias under dynamic
    effects), estimate, weight. ``frame.attrs["twfe_estimate"]`` holds the TWFE coefficient they average to.
    """
    from diff_diff import bacon_decompose

    prep = _prepare(panel, outcome, unit, time, cohort, ())
    warn: list[str] = []
    with _quiet(warn):
        r = bacon_decompose(prep.data, outcome="_y", unit="_u", time="_t", first_treat="_g")
    rows = [
        (c.treated_group, c.control_group, c.comparison_type, c.estimate, c.weight) for c in r.comparisons
    ]
    out = pd.DataFrame(rows, columns=["treated", "control", "comparison", "estimate", "weight"])
    out.attrs["twfe_estimate"] = float(r.twfe_estimate)
    return out


# ---- HonestDiD Delta^RM, C-LF (ARP hybrid) as R HonestDiD -------------------------------------------------


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
    xi = rng.multivariate_normal(np.zeros(len(sd)), sigma, size=sims, method="eigh") / sd
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
    v_B = (e1 @ inv @ S_B)
    s2 = v_B @ sigma @ v_B
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
    gsg = g @ sigma @ g
    s_T = y - sigma @ g * (g @ y) / gsg
    sB = np.sqrt(gsg)
    if sB < 1e-10:
        return bool(eta > 0)
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
    """Delta^RM conditional-least-favourable (C-LF) hybrid confidence interval of R HonestDiD
    (``createSensitivityResults_relativeMagnitudes``, method "C-LF"): the union over the location and sign of the
    largest pre-period first difference of ARP (Andrews, Roth & Pakes) hybrid test inversions, with moments on
    post-period rows only. Bounds found by bisection (R uses a 1,000-point grid)."""
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


def honest_bounds(
    betahat: np.ndarray,
    sigma: np.ndarray,
    num_pre: int,
    num_post: int,
    *,
    method: Literal["smoothness", "relative_magnitude"] = "smoothness",
    m_values: Sequence[float] = (0.0,),
    l_vec: np.ndarray | None = None,
    alpha: float = 0.05,
    rm_interval: Literal["clf", "naive"] = "clf",
) -> pd.DataFrame:
    """HonestDiD robust confidence intervals from an event study (``diff_diff.HonestDiD``).

    ``betahat`` stacks the pre-period (reference period excluded) then post-period coefficients; ``sigma`` is their
    covariance. ``method="smoothness"`` is the Delta^SD FLCI of Rambachan & Roth (2023), which reproduces the
    HonestDiD README within 1e-3. For ``method="relative_magnitude"`` (Delta^RM) the identified set comes from
    diff-diff, but the confidence interval is computed here with R HonestDiD's C-LF procedure (diff-diff 3.13 only
    offers a naive FLCI for Delta^RM, which differs from R's by up to ~0.01 on the README example); it reproduces the
    README within 1e-3 but takes tens of seconds per value of Mbar (one linear program per simulated draw and test);
    ``rm_interval="naive"`` returns diff-diff's quick naive FLCI instead (wider or narrower; not R's).
    """
    from diff_diff.honest_did import HonestDiD

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
        h = HonestDiD(method=method, M=float(m), alpha=alpha, l_vec=l_vec)
        if method == "smoothness":
            lb, ub, ci_lb, ci_ub = h._compute_smoothness_bounds(
                pre, post, sigma, sigma[num_pre:, num_pre:], l_vec, num_pre, num_post, float(m)
            )
        elif method == "relative_magnitude":
            lb, ub, ci_lb, ci_ub = h._compute_rm_bounds(
                pre, post, sigma, sigma[num_pre:, num_pre:], l_vec, num_pre, num_post, float(m),
                list(range(-num_pre - 1, -1)), None,
            )
            if rm_interval == "clf":
                ci_lb, ci_ub = _rm_clf(betahat, sigma, num_pre, num_post, l_vec, float(m), alpha=alpha)
        else:
            raise TppoError(f"method must be 'smoothness' or 'relative_magnitude', got {method!r}")
        rows.append((float(m), float(ci_lb), float(ci_ub), float(lb), float(ub)))
    out = pd.DataFrame(rows, columns=["m", "lb", "ub", "set_lb", "set_ub"])
    out["method"] = method
    out["original_estimate"] = float(l_vec @ post)
    out["original_se"] = float(np.sqrt(l_vec @ sigma[num_pre:, num_pre:] @ l_vec))
    return out


def ring_exposure(
    panel: pd.DataFrame,
    *,
    unit: str,
    cohort: str,
    ring: str,
    exclude_treated: bool = True,
) -> pd.DataFrame:
    """Exposure cohorts for a ring spillover analysis (Butts 2023 rings, defined by administrative area).

    For every unit, ``exposure_cohort`` is the first period in which any *other* unit of the same area (``ring``,
    e.g. "district_code" for the same kecamatan or "regency_code" for the same kabupaten) was enrolled; 0 when none
    ever was. Directly treated units are dropped (``exclude_treated``) so that the returned panel estimates, with
    :func:`fit` and ``cohort="exposure_cohort"``, the effect of having a program village nearby on untreated
    villages, compared with villages in areas without one. For the ring beyond the first (same regency, other
    kecamatan) pass the unit-level frame with the inner ring's exposed units removed.
    """
    for c in (unit, cohort, ring):
        if c not in panel.columns:
            raise TppoError(f"panel has no column {c!r}")
    units = panel.drop_duplicates(unit)[[unit, cohort, ring]]
    g = units[cohort]
    treated = units[g.notna() & (g.astype(str) != "0")]
    first = treated.groupby(ring)[cohort].min()
    out = panel.copy()
    exp = out[ring].map(first)
    if isinstance(panel[cohort].dtype, pd.PeriodDtype):
        out["exposure_cohort"] = exp
    else:
        out["exposure_cohort"] = exp.fillna(0)
    if exclude_treated:
        is_t = out[cohort].notna() & (out[cohort].astype(str) != "0")
        out = out[~is_t]
    return out.reset_index(drop=True)


def permutation_test(
    panel: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    *,
    n_perm: int = 999,
    seed: int = 0,
    eligible: str | None = None,
) -> pd.DataFrame:
    """Permutation (placebo-designation) test of "no effect" for the Poisson ETWFE rate ratio.

    The units' cohorts (launch months, never-treated included) are shuffled at random among the eligible units
    (``eligible``: a boolean column, e.g. high-sending villages; default all units), keeping the number of units per
    cohort, and the model is refitted ``n_perm`` times. The p-value is the share of permutations (counting the
    observed one) whose log rate ratio is at least as far from 0 as the observed. Valid with few treated units, where
    clustered intervals are too narrow. Returns one row: estimate, p_value, n_perm, n_failed.
    """
    obs = fit(panel, outcome, unit, time, cohort, estimator="poisson_etwfe").overall.iloc[0]
    rng = np.random.default_rng(seed)
    units = panel.drop_duplicates(unit)[[unit, cohort] + ([eligible] if eligible else [])].reset_index(drop=True)
    pool = units.index[units[eligible].astype(bool)] if eligible else units.index
    stat, failed = [], 0
    for _ in range(n_perm):
        perm = units[cohort].copy()
        perm.iloc[pool] = units[cohort].iloc[rng.permutation(pool)].to_numpy()
        mapped = panel[unit].map(pd.Series(perm.to_numpy(), index=units[unit]))
        try:
            r = fit(panel.assign(**{cohort: mapped}), outcome, unit, time, cohort, estimator="poisson_etwfe")
            stat.append(abs(float(np.log(r.overall["estimate"].iloc[0]))))
        except TppoError:
            failed += 1
    stat = np.asarray(stat)
    t_obs = abs(float(np.log(obs["estimate"])))
    p = (1 + int((stat >= t_obs - 1e-12).sum())) / (1 + len(stat))
    return pd.DataFrame({"estimate": [float(obs["estimate"])], "p_value": [p], "n_perm": [len(stat)],
                         "n_failed": [failed]})


def placebo_shift(panel: pd.DataFrame, time: str, cohort: str, shift: int) -> pd.DataFrame:
    """Placebo panel for a ratio-scale pre-trend check (balanced): keep only the periods before the first real
    launch, and give every ever-treated unit a fake launch ``shift`` periods before that first launch.

    Fitting ``poisson_etwfe`` on the result estimates a "program effect" where there was none: the rate ratio of
    future program units vs never-treated units over the last ``shift`` pre-launch periods, relative to the earlier
    ones. A ratio far from 1 signals diverging pre-launch trends on the ratio scale.
    """
    g = panel[cohort]
    treated = g.notna() & (g.astype(str) != "0")
    if not treated.any():
        raise TppoError("placebo_shift: no treated units")
    first = g[treated].min()
    out = panel[panel[time] < first].copy()
    if out[time].nunique() <= shift:
        raise TppoError(f"placebo_shift: only {out[time].nunique()} periods before the first launch; shift {shift} "
                        "leaves no placebo pre-period")
    fake = first - shift
    out[cohort] = np.where(treated[out.index], fake, out[cohort]) if not isinstance(g.dtype, pd.PeriodDtype) else \
        pd.PeriodIndex(np.where(treated[out.index], fake, out[cohort]), freq="M")
    return out.reset_index(drop=True)
