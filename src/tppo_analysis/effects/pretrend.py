"""Ratio-scale pre-trend checks of the Poisson ETWFE: leads, the event study with its covariance, and HonestDiD.

The Poisson ETWFE estimates post-launch cells only. To look before the launch, every program village's launch is
moved ``leads`` months earlier and the same model is fitted: the ``leads`` months before the real launch become
"treated" cells whose rate ratios compare them with the earlier pre-launch months (the post-launch cells are
saturated and do not affect them). Under ratio-scale parallel trends and no anticipation the lead ratios are 1.

* :func:`pretrend` — the rate ratio of the ``leads`` pre-launch months (and per lead), with the valid interval and
  p-value of "ratio = 1" (:mod:`._wild`); a selection on a transitory pre-launch spike shows here.
* :func:`ratio_event_study` — log rate ratios for e = -leads .. lags - 1 relative to e = -1, with their
  covariance (event-pooled cluster-robust contributions), the input HonestDiD needs.
* :func:`honest_ratio` — HonestDiD (smoothness restriction Delta^SD, Rambachan & Roth 2023) on that ratio-scale
  event study: robust intervals of the average of the first ``lags`` post-launch log ratios for each M (change in
  the slope of the log-ratio trend per month), and the breakdown M at which the interval first includes a ratio of 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import TppoError
from ..protocol import Result, check_level
from . import _valid
from ._panel import prepare
from .honestdid import honest_bounds

__all__ = ["pretrend", "ratio_event_study", "honest_ratio", "PretrendResult"]


def _shifted(panel: pd.DataFrame, cohort: str, leads: int) -> pd.DataFrame:
    g = panel[cohort]
    if isinstance(g.dtype, pd.PeriodDtype):
        return panel.assign(**{cohort: g - leads})
    num = pd.to_numeric(g, errors="coerce")
    return panel.assign(**{cohort: np.where(num.fillna(0) > 0, num - leads, num)})


def _build(panel, outcome, unit, time, cohort, leads, time_fe_by, cluster, inference):
    from .api import _unit_values

    if leads < 1:
        raise TppoError("leads must be at least 1")
    sh = _shifted(panel, cohort, leads)
    prep = prepare(sh, outcome, unit, time, cohort, ())
    strata = _unit_values(sh, unit, time_fe_by, prep) if time_fe_by else None
    cl = _unit_values(sh, unit, cluster, prep) if cluster else None
    return prep, _valid.build(prep, strata=strata, cluster=cl, inference=inference)


@dataclass
class PretrendResult(Result):
    """Lead rate ratios: term ``leads`` (all ``leads`` months before launch together) and ``e=-k`` per month."""

    table: pd.DataFrame
    p_value: float
    leads: int
    level: float
    _vi: Any = None

    title = "Ratio-scale pre-trend check: pre-launch months vs earlier months (1 = parallel trends)"

    def tidy(self, level: float | None = None) -> pd.DataFrame:
        """Return the lead ratios (term ``leads`` and ``e=-k``) with the protocol columns and ``method``.

        Parameters
        ----------
        level : float, optional
            Confidence level (default: the one of the fit).

        Returns
        -------
        pandas.DataFrame
            term, estimate, se, ci_lower, ci_upper, scale, method, level.
        """
        lv = self.level if level is None else check_level(level)
        t = self.table if level is None or abs(lv - self.level) < 1e-12 else _lead_table(self._vi, self.leads, lv)
        return t.assign(level=lv)

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Return the intervals at ``level`` indexed by term.

        Parameters
        ----------
        level : float
            Confidence level.

        Returns
        -------
        pandas.DataFrame
            ci_lower, ci_upper.
        """
        return self.tidy(level).set_index("term")[["ci_lower", "ci_upper"]]

    def notes(self) -> tuple[str, ...]:
        """Return the p-value of "lead ratio = 1" and its method, for the summary.

        Returns
        -------
        tuple of str
            One note.
        """
        return (f"p-value of 'lead ratio = 1': {self.p_value:.3f} ({self.table['method'].iloc[0]})",)

    def plot(self, ax: Any = None) -> tuple[Any, Any]:
        """Draw the lead ratios by month before launch with their intervals (log axis).

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on (a new figure when None).

        Returns
        -------
        tuple
            (figure, axes).
        """
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(figsize=(6, 3.5))
        else:
            fig = ax.figure
        t = self.table[self.table["term"] != "leads"]
        x = [int(s[2:]) for s in t["term"]]
        ax.errorbar(x, t["estimate"], yerr=[t["estimate"] - t["ci_lower"], t["ci_upper"] - t["estimate"]], fmt="o")
        ax.axhline(1.0, color="grey", lw=0.8)
        ax.set_yscale("log")
        ax.set_xlabel("months before launch")
        ax.set_ylabel("rate ratio vs earlier months")
        return fig, ax


def _lead_table(vi, leads: int, level: float) -> pd.DataFrame:
    rows = []
    for term, sel in [("leads", lambda tab: tab < leads)] + [
        (f"e={e - leads}", (lambda tab, e=e: tab == e)) for e in range(leads)
    ]:
        p = vi.fit.pieces(sel)
        se, lo, hi = vi.interval(p, level)
        ok = bool(np.isfinite(lo) and np.isfinite(hi) and p.theta > 0)
        nan = float("nan")
        rows.append(
            {
                "term": term,
                "estimate": p.theta if ok else nan,
                "se": p.theta * se if ok else nan,
                "ci_lower": np.exp(lo) if ok else nan,
                "ci_upper": np.exp(hi) if ok else nan,
                "scale": "ratio",
                "method": vi.method,
            }
        )
    return pd.DataFrame(rows)


def pretrend(
    panel: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    *,
    leads: int = 6,
    time_fe_by: str | None = None,
    cluster: str | None = None,
    inference: str = "auto",
    level: float = 0.95,
) -> PretrendResult:
    """Return the rate ratio of the ``leads`` months before launch against the earlier months.

    Parameters
    ----------
    panel : pandas.DataFrame
        Balanced unit x period panel.
    outcome, unit, time, cohort : str
        Columns as in :func:`tppo_analysis.effects.fit`.
    leads : int
        Months before launch examined.
    time_fe_by, cluster : str, optional
        As in :func:`tppo_analysis.effects.fit`.
    inference : str
        As in :func:`tppo_analysis.effects.fit`.
    level : float
        Confidence level.

    Returns
    -------
    PretrendResult
        Lead ratios with the valid interval and the p-value of "ratio = 1".
    """
    level = check_level(level)
    _, vi = _build(panel, outcome, unit, time, cohort, leads, time_fe_by, cluster, inference)
    table = _lead_table(vi, leads, level)
    p = vi.pvalue(vi.fit.pieces(lambda tab: tab < leads), 1.0)
    return PretrendResult(table, float(p), leads, level, vi)


def ratio_event_study(
    panel: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    *,
    leads: int = 6,
    lags: int = 6,
    time_fe_by: str | None = None,
    cluster: str | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the ratio-scale event study relative to e = -1, with its covariance.

    Parameters
    ----------
    panel : pandas.DataFrame
        Balanced unit x period panel.
    outcome, unit, time, cohort : str
        Columns as in :func:`tppo_analysis.effects.fit`.
    leads : int
        Months before launch examined.
    lags : int
        Months from launch kept (e = 0 .. lags - 1).
    time_fe_by, cluster : str, optional
        As in :func:`tppo_analysis.effects.fit`.

    Returns
    -------
    tuple
        (event times, log rate ratios, covariance) for e = -leads .. lags - 1 except e = -1.
    """
    _, vi = _build(panel, outcome, unit, time, cohort, leads, time_fe_by, cluster, "cluster_robust")
    es = np.arange(-leads, lags)
    betas, vecs = [], []
    for e in es:
        p = vi.fit.pieces(lambda tab, e=e: tab == e + leads)
        if not (p.theta > 0 and np.isfinite(p.theta)):
            raise TppoError(f"event time {e}: no treated events, the ratio-scale event study is not identified")
        betas.append(np.log(p.theta))
        inv = np.arange(len(p.treated)) if vi.cluster is None else np.unique(vi.cluster, return_inverse=True)[1]
        vecs.append(np.bincount(inv, weights=p.l + p.d) * np.sqrt(p.factor))
    beta = np.array(betas)
    V = np.vstack(vecs)
    cov = V @ V.T
    ref = int(np.flatnonzero(es == -1)[0])
    A = np.eye(len(es)) - np.eye(len(es))[ref][None, :]
    keep = es != -1
    A = A[keep]
    return es[keep], A @ beta, A @ cov @ A.T


def honest_ratio(
    panel: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    *,
    leads: int = 6,
    lags: int = 6,
    m_values=(0.0, 0.005, 0.01, 0.02, 0.04),
    level: float = 0.95,
    time_fe_by: str | None = None,
    cluster: str | None = None,
) -> pd.DataFrame:
    """Run HonestDiD (Delta^SD) on the ratio-scale event study and find the breakdown M.

    Parameters
    ----------
    panel : pandas.DataFrame
        Balanced unit x period panel.
    outcome, unit, time, cohort : str
        Columns as in :func:`tppo_analysis.effects.fit`.
    leads : int
        Months before launch examined.
    lags : int
        Post-launch months averaged (the target is their mean log ratio).
    m_values : sequence of float
        Bounds M on the change in the slope of the relative trend (log scale, per month).
    level : float
        Confidence level.
    time_fe_by, cluster : str, optional
        As in :func:`tppo_analysis.effects.fit`.

    Returns
    -------
    pandas.DataFrame
        m, ratio_lower, ratio_upper, includes_1; ``attrs["breakdown_m"]`` is the smallest M at which the interval
        includes a ratio of 1 (0 if it already does at M = 0, inf if not even at 0.5), ``attrs["estimate"]`` the
        original estimate; when a month has no treated event the frame says "not identified" instead.
    """
    try:
        e, beta, sigma = ratio_event_study(
            panel, outcome, unit, time, cohort, leads=leads, lags=lags, time_fe_by=time_fe_by, cluster=cluster
        )
    except TppoError as exc:  # a month without treated events: reported as not identified, not raised
        out = pd.DataFrame(
            {
                "m": list(m_values),
                "ratio_lower": np.nan,
                "ratio_upper": np.nan,
                "includes_1": pd.NA,
                "identified": "no",
                "note": str(exc),
            }
        )
        out.attrs["breakdown_m"] = float("nan")
        out.attrs["estimate"] = float("nan")
        return out
    num_pre, num_post = int((e < 0).sum()), int((e >= 0).sum())
    hb = honest_bounds(beta, sigma, num_pre, num_post, method="smoothness", m_values=tuple(m_values), level=level)
    out = pd.DataFrame({"m": hb["m"], "ratio_lower": np.exp(hb["lb"]), "ratio_upper": np.exp(hb["ub"])})
    out["includes_1"] = (out["ratio_lower"] <= 1.0) & (out["ratio_upper"] >= 1.0)
    out.attrs["breakdown_m"] = _breakdown(beta, sigma, num_pre, num_post, level, bool(out["includes_1"].iloc[0]))
    out.attrs["estimate"] = float(np.exp(hb["original_estimate"].iloc[0]))
    return out


def _breakdown(beta, sigma, num_pre, num_post, level, at_zero: bool, hi: float = 0.5, iters: int = 10) -> float:
    """Smallest M (bisection on a log scale, 10 steps) at which the Delta^SD interval includes a log ratio of 0."""
    if at_zero:
        return 0.0

    def includes(m):
        r = honest_bounds(beta, sigma, num_pre, num_post, method="smoothness", m_values=(m,), level=level)
        return bool(r["lb"].iloc[0] <= 0 <= r["ub"].iloc[0])

    if not includes(hi):
        return float("inf")
    lo = 1e-5
    for _ in range(iters):
        mid = float(np.sqrt(lo * hi))
        if includes(mid):
            hi = mid
        else:
            lo = mid
    return hi
