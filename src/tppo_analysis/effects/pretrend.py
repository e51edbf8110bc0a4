"""Ratio-scale pre-trend checks of the Poisson ETWFE: leads, the event study with its covariance, and HonestDiD.

The Poisson ETWFE estimates post-launch cells only. To look before the launch, every program village's launch is
moved ``leads`` months earlier and the same model is fitted: the ``leads`` months before the real launch become
"treated" cells whose rate ratios compare them with the earlier pre-launch months (the post-launch cells are
saturated and do not affect them). Under ratio-scale parallel trends and no anticipation the lead ratios are 1.

* :func:`pretrend` — the rate ratio of the ``leads`` pre-launch months (and per lead), with the valid interval and
  p-value of "ratio = 1" (:mod:`._wild`); a selection on a transitory pre-launch spike shows here.
* :func:`ratio_event_study` — log rate ratios for e = -leads .. lags - 1 relative to the last pre-launch bin (event
  times binned by ``bin_width`` months), with their covariance (event-pooled cluster-robust contributions), the
  input HonestDiD needs.
* :func:`honest_ratio` — HonestDiD (Rambachan & Roth 2023; smoothness Delta^SD or relative magnitudes Delta^RM) on
  that ratio-scale event study: robust intervals of the average post-launch log ratio for each M (or Mbar), and the
  breakdown value at which the interval first includes a ratio of 1; :func:`breakdown_table` puts runs side by
  side with ``identified``, ``reliability`` and ``note``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..errors import TppoError
from ..protocol import Result, check_level, round_frame
from . import _valid
from ._panel import prepare
from .honestdid import breakdown_m, honest_bounds

__all__ = ["pretrend", "ratio_event_study", "honest_ratio", "breakdown_table", "PretrendResult", "M_VALUES"]


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


def _bins(leads: int, lags: int, bin_width: int) -> np.ndarray:
    """Return the first event time of each bin: -leads, -leads + w, ..., lags - w (w = ``bin_width`` months)."""
    if bin_width < 1 or leads % bin_width or lags % bin_width:
        raise TppoError(
            f"leads ({leads}) and lags ({lags}) must be multiples of bin_width ({bin_width}), which is >= 1"
        )
    if leads < 2 * bin_width:
        raise TppoError("leads must cover at least two bins: the reference bin and one pre-launch bin")
    return np.arange(-leads, lags, bin_width)


def ratio_event_study(
    panel: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    *,
    leads: int = 6,
    lags: int = 6,
    bin_width: int = 1,
    time_fe_by: str | None = None,
    cluster: str | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the ratio-scale event study relative to the last pre-launch bin, with its covariance.

    Event times are grouped into bins of ``bin_width`` months (1 = one coefficient per month). A bin's rate ratio is
    observed over counterfactual deferrals summed over its cells (the same aggregate as the overall effect), so a
    month without treated events no longer makes the study unidentified as long as its bin has events: at 19
    program villages and about 0.25 deferrals per village-month a single month often has none, a quarter rarely.
    The reference is the bin ending at e = -1 (e = -bin_width .. -1).

    Parameters
    ----------
    panel : pandas.DataFrame
        Balanced unit x period panel.
    outcome, unit, time, cohort : str
        Columns as in :func:`tppo_analysis.effects.fit`.
    leads : int
        Months before launch examined (a multiple of ``bin_width``, at least two bins).
    lags : int
        Months from launch kept (e = 0 .. lags - 1; a multiple of ``bin_width``).
    bin_width : int
        Months per event-time bin.
    time_fe_by, cluster : str, optional
        As in :func:`tppo_analysis.effects.fit`.

    Returns
    -------
    tuple
        (first event time of each bin, log rate ratios, covariance) for every bin except the reference.
    """
    es = _bins(leads, lags, bin_width)
    _, vi = _build(panel, outcome, unit, time, cohort, leads, time_fe_by, cluster, "cluster_robust")
    betas, vecs = [], []
    inv = None if vi.cluster is None else np.unique(vi.cluster, return_inverse=True)[1]
    for e in es:
        p = vi.fit.pieces(lambda tab, e=e: (tab >= e + leads) & (tab < e + leads + bin_width))
        if not (p.theta > 0 and np.isfinite(p.theta)):
            span = f"event time {e}" if bin_width == 1 else f"event times {e}..{e + bin_width - 1}"
            raise TppoError(f"{span}: no treated events, the ratio-scale event study is not identified")
        betas.append(np.log(p.theta))
        idx = np.arange(len(p.treated)) if inv is None else inv
        vecs.append(np.bincount(idx, weights=p.l + p.d) * np.sqrt(p.factor))
    beta = np.array(betas)
    V = np.vstack(vecs)
    cov = V @ V.T
    ref = int(np.flatnonzero(es == -bin_width)[0])
    A = np.eye(len(es)) - np.eye(len(es))[ref][None, :]
    keep = es != -bin_width
    A = A[keep]
    return es[keep], A @ beta, A @ cov @ A.T


#: Default values of M (Delta^SD, change of slope per bin, log scale) and Mbar (Delta^RM, unitless) shown.
M_VALUES = {"smoothness": (0.0, 0.005, 0.01, 0.02, 0.04), "relative_magnitude": (0.0, 0.5, 1.0, 2.0)}


def honest_ratio(
    panel: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    *,
    leads: int = 6,
    lags: int = 6,
    bin_width: int = 1,
    method: Literal["smoothness", "relative_magnitude"] = "smoothness",
    m_values=None,
    level: float = 0.95,
    step: float | None = None,
    m_max: float | None = None,
    time_fe_by: str | None = None,
    cluster: str | None = None,
) -> pd.DataFrame:
    """Run HonestDiD on the ratio-scale event study and find the breakdown value of M (or Mbar).

    ``method="smoothness"`` is Delta^SD (M bounds the change in the slope of the relative log trend from one bin to
    the next); ``method="relative_magnitude"`` is Delta^RM (Mbar bounds each post-launch violation by Mbar times the
    largest change between adjacent pre-launch bins; R HonestDiD's C-LF interval, seconds per value). With
    ``bin_width`` > 1 the event study is binned (:func:`ratio_event_study`), which keeps it identified when single
    months have no treated event. The target is the average log ratio of the post-launch bins (the first ``lags``
    months). The event-study covariance is the event-pooled cluster-robust one (normal critical values, as HonestDiD
    assumes), which the coverage study found slightly liberal at 19 program villages.

    Parameters
    ----------
    panel : pandas.DataFrame
        Balanced unit x period panel.
    outcome, unit, time, cohort : str
        Columns as in :func:`tppo_analysis.effects.fit`.
    leads : int
        Months before launch examined (a multiple of ``bin_width``).
    lags : int
        Post-launch months averaged (a multiple of ``bin_width``).
    bin_width : int
        Months per event-time bin (1 = monthly event study).
    method : {"smoothness", "relative_magnitude"}
        The HonestDiD restriction.
    m_values : sequence of float, optional
        Values of M (or Mbar) shown (default :data:`M_VALUES`).
    level : float
        Confidence level.
    step : float, optional
        Resolution of the breakdown value (default 0.05 for Mbar, 0.001 for M).
    m_max : float, optional
        Largest value of the breakdown search (default 4 for Mbar, 0.5 for M).
    time_fe_by, cluster : str, optional
        As in :func:`tppo_analysis.effects.fit`.

    Returns
    -------
    pandas.DataFrame
        method, bin_width, m, ratio_lower, ratio_upper, includes_1, identified, note; ``attrs`` carry
        ``breakdown_m`` (smallest grid value of M at which the interval includes a ratio of 1: 0 if it already does
        at 0, inf if not even at the largest value searched; NaN when not identified), ``estimate`` (the target's
        ratio), ``step``, ``m_max``, ``num_pre``, ``num_post``, ``method``, ``bin_width``. When a bin has no treated
        event the rows say "not identified" (``identified`` = "no", empty intervals) and nothing is estimated.
    """
    if method not in M_VALUES:
        raise TppoError(f"method must be one of {tuple(M_VALUES)}, got {method!r}")
    m_values = tuple(M_VALUES[method] if m_values is None else m_values)
    step = (0.05 if method == "relative_magnitude" else 0.001) if step is None else float(step)
    m_max = (4.0 if method == "relative_magnitude" else 0.5) if m_max is None else float(m_max)
    level = check_level(level)
    attrs: dict[str, Any] = {"method": method, "bin_width": bin_width, "step": step, "m_max": m_max, "level": level}
    frame = pd.DataFrame({"method": method, "bin_width": bin_width, "m": m_values})
    try:
        e, beta, sigma = ratio_event_study(
            panel,
            outcome,
            unit,
            time,
            cohort,
            leads=leads,
            lags=lags,
            bin_width=bin_width,
            time_fe_by=time_fe_by,
            cluster=cluster,
        )
    except TppoError as exc:
        if "not identified" not in str(exc):
            raise
        out = frame.assign(ratio_lower=np.nan, ratio_upper=np.nan, includes_1=pd.NA, identified="no", note=str(exc))
        out.attrs.update(attrs, breakdown_m=float("nan"), estimate=float("nan"), num_pre=0, num_post=0)
        return out
    num_pre, num_post = int((e < 0).sum()), int((e >= 0).sum())
    hb = honest_bounds(beta, sigma, num_pre, num_post, method=method, m_values=m_values, level=level)
    out = frame.assign(ratio_lower=np.exp(hb["lb"].to_numpy()), ratio_upper=np.exp(hb["ub"].to_numpy()))
    out["includes_1"] = (out["ratio_lower"] <= 1.0) & (out["ratio_upper"] >= 1.0)
    out["identified"] = "yes"
    out["note"] = ""
    at0 = bool(out.loc[out["m"] == 0, "includes_1"].iloc[0]) if (out["m"] == 0).any() else None
    bd = breakdown_m(
        beta, sigma, num_pre, num_post, method=method, step=step, m_max=m_max, level=level, includes_at_zero=at0
    )
    out.attrs.update(attrs, breakdown_m=bd, estimate=float(np.exp(hb["original_estimate"].iloc[0])))
    out.attrs.update(num_pre=num_pre, num_post=num_post)
    return out


def breakdown_table(*runs: pd.DataFrame) -> pd.DataFrame:
    """Return one row per :func:`honest_ratio` run: restriction, bin width, target, breakdown value, reliability.

    Numbers are rounded to 3 significant digits (:func:`tppo_analysis.protocol.round_frame`; the breakdown is a
    multiple of ``step``). The breakdown column is empty when the event study is not identified (``identified`` = "no", the note says
    why), and a lower bound when it exceeds the largest value searched (the note says so): an unidentified number is
    never shown.

    Parameters
    ----------
    *runs : pandas.DataFrame
        Frames returned by :func:`honest_ratio`.

    Returns
    -------
    pandas.DataFrame
        restriction, bin_width_months, pre_bins, post_bins, estimate (ratio of the post-launch average against the
        reference bin), ci_lower, ci_upper (its robust interval with no violation allowed, M = 0; empty when the run
        does not start at M = 0), scale, level, breakdown, step, identified, reliability, note.
    """
    rows = []
    for r in runs:
        a = r.attrs
        name = "relative magnitudes (Mbar)" if a["method"] == "relative_magnitude" else "smoothness (M per bin)"
        ok = bool((r["identified"] == "yes").all())
        bd = a["breakdown_m"]
        if not ok:
            note = f"not bounded: {r['note'].iloc[0]}"
        elif bd == 0:
            note = "the interval includes a ratio of 1 with no violation of parallel trends allowed"
        elif np.isinf(bd):
            note = f"breakdown above {a['m_max']:g}, the largest value searched"
        else:
            note = f"the interval first includes a ratio of 1 at this value (grid step {a['step']:g})"
        rows.append(
            {
                "restriction": name,
                "bin_width_months": int(a["bin_width"]),
                "pre_bins": int(a["num_pre"]),
                "post_bins": int(a["num_post"]),
                "estimate": a["estimate"] if ok else np.nan,
                "ci_lower": float(r["ratio_lower"].iloc[0]) if ok and r["m"].iloc[0] == 0 else np.nan,
                "ci_upper": float(r["ratio_upper"].iloc[0]) if ok and r["m"].iloc[0] == 0 else np.nan,
                "scale": "ratio",
                "level": a["level"],
                "breakdown": (a["m_max"] if np.isinf(bd) else bd) if ok else np.nan,
                "step": a["step"],
                "identified": "yes" if ok else "no",
                "reliability": (
                    f"{a['num_pre']} pre-launch bin(s) of {a['bin_width']} months beside the reference; "
                    "event-pooled cluster-robust covariance, normal critical values"
                )
                if ok
                else "",
                "note": note,
            }
        )
    return round_frame(pd.DataFrame(rows), exclude=("step",))
