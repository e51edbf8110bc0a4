"""Trend and seasonality summaries of the public record, built on the interval count model.

Tidy tables and one plot helper that notebooks 01 (trends) and 02 (seasonality) call: the observations of one
series, trend rate ratios per year, the robustness of those trends to the reconciliation rules, the month-by-month
seasonal profile, holiday-effect estimates, and the observed-vs-baseline comparison for complete months.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from ..errors import TppoError
from ..models.interval import IntervalCountModel, IntervalCountResults

__all__ = [
    "series_obs",
    "trend_table",
    "robustness_table",
    "seasonal_profile",
    "plot_windows_fit",
    "holiday_effects_table",
    "observed_vs_baseline",
]


def series_obs(obs: pd.DataFrame, series: str, measure: str) -> pd.DataFrame:
    """Return the reconciled observations of one (series, measure), sorted by start; raises when there are none."""
    o = obs[(obs["series"] == series) & (obs["measure"] == measure)].sort_values("period_start")
    if o.empty:
        raise TppoError(f"no observations for series {series!r}, measure {measure!r}")
    return o.reset_index(drop=True)


def trend_table(fits: Mapping[str, IntervalCountResults], *, level: float = 0.95) -> pd.DataFrame:
    """One row per fitted series: the trend as a rate ratio per year with its interval, plus alpha and the data span.

    ``fits`` maps a label (e.g. "tpi:soekarno-hatta / dep_deferral_wni_pmi_suspected") to results.
    """
    rows = []
    for label, res in fits.items():
        t = res.conf_table(level).set_index("term")
        row = {
            "series": label,
            "family": res.family,
            "windows": int(len(res.obs)),
            "first_day": res.obs["period_start"].min(),
            "last_day": res.obs["period_end"].max(),
            "days_observed": int(((res.obs["period_end"] - res.obs["period_start"]).dt.days + 1).sum()),
            "total_reported": int(res.obs["value"].sum()),
        }
        if "trend" in t.index:
            row.update(
                {
                    "trend_log_per_year": float(t.loc["trend", "estimate"]),
                    "trend_se": float(t.loc["trend", "se"]),
                    "rate_ratio_per_year": float(np.exp(t.loc["trend", "estimate"])),
                    "ci_lower": float(np.exp(t.loc["trend", "ci_lower"])),
                    "ci_upper": float(np.exp(t.loc["trend", "ci_upper"])),
                }
            )
        row["alpha"] = float(res.params["alpha"]) if res.family == "negbin" else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def robustness_table(
    figures: pd.DataFrame,
    specs: Sequence[tuple[str, str]],
    *,
    broader: Mapping[str, str] | None = None,
    family: str = "negbin",
    holidays: bool | Sequence[str] = False,
) -> pd.DataFrame:
    """How the headline trend moves under the other reconciliation rules and the broader measure.

    For each (series, measure) in ``specs`` the trend model is refitted on observations reconciled with
    ``vintage`` in {latest (headline), earliest} × ``conflicts`` in {set_aside (headline), prefer_longer} (the
    latter keeps the longer of two partly overlapping windows and ignores the override table, i.e. uses figures
    the headline sets aside), and —
    where ``broader`` maps the measure to a broader one (e.g. all deferral reasons) — on the broader measure.
    Returns series, measure, rule, windows, rate_ratio_per_year, ci_lower, ci_upper, note (why a fit failed).
    """
    from .reconciliation import reconcile

    variants: list[tuple[Literal["latest", "earliest"], Literal["set_aside", "prefer_longer"]]] = [
        ("latest", "set_aside"),
        ("earliest", "set_aside"),
        ("latest", "prefer_longer"),
        ("earliest", "prefer_longer"),
    ]
    recon = {v: reconcile(figures, vintage=v[0], conflicts=v[1], overrides=v[1] == "set_aside")[0] for v in variants}
    rows = []

    def one(series, measure, rule, obs_all):
        base = {"series": series, "measure": measure, "rule": rule}
        o = obs_all[(obs_all["series"] == series) & (obs_all["measure"] == measure)]
        if o.empty:
            return {**base, "windows": 0, "note": "no observations"}
        try:
            r = IntervalCountModel(family, trend="linear", holidays=holidays).fit(o)
        except TppoError as exc:
            return {**base, "windows": len(o), "note": str(exc).splitlines()[0]}
        t = r.table.set_index("term").loc["trend"]
        return {
            **base,
            "windows": len(o),
            "rate_ratio_per_year": float(np.exp(t["estimate"])),
            "ci_lower": float(np.exp(t["ci_lower"])),
            "ci_upper": float(np.exp(t["ci_upper"])),
            "note": "",
        }

    for series, measure in specs:
        for v in variants:
            label = f"vintage={v[0]}, conflicts={v[1]}" + (" (headline)" if v == variants[0] else "")
            rows.append(one(series, measure, label, recon[v]))
        if broader and measure in broader:
            rows.append(one(series, broader[measure], "broader measure, headline rules", recon[variants[0]]))
    cols = ["series", "measure", "rule", "windows", "rate_ratio_per_year", "ci_lower", "ci_upper", "note"]
    return pd.DataFrame(rows).reindex(columns=cols)


def seasonal_profile(res: IntervalCountResults, year: int) -> pd.DataFrame:
    """Compute the month-by-month holiday factor in ``year``.

    Month-by-month holiday factor in ``year``: the model's expected monthly total divided by the same total with
    every holiday coefficient set to zero (trend and level kept). 1 = no holiday effect that month.

    Columns: month, factor, ci_lower, ci_upper (95%, from 2,000 parameter draws, seed 0).
    """
    hol = [h for h in res.model.holiday_terms]
    if not hol:
        raise TppoError("the model has no holiday terms")
    X = res.model.design(f"{year}-01-01", f"{year}-12-31", res.origin)
    names = list(res.model.term_names)
    k = len(names)
    p = res.params.to_numpy()[:k]
    p0 = p.copy()
    idx = [names.index(h) for h in hol]
    p0[idx] = 0.0
    Xv = X.to_numpy(dtype=float)
    month = X.index.to_period("M")
    rng = np.random.default_rng(0)
    draws = res._param_draws(2000, rng)[:, :k]
    draws0 = draws.copy()
    draws0[:, idx] = 0.0
    with_h, without = np.exp(Xv @ draws.T), np.exp(Xv @ draws0.T)
    rows = []
    for mth in pd.period_range(f"{year}-01", f"{year}-12", freq="M"):
        sel = np.asarray(month == mth)
        point = np.exp(Xv[sel] @ p).sum() / np.exp(Xv[sel] @ p0).sum()
        ratio = with_h[sel].sum(axis=0) / without[sel].sum(axis=0)
        rows.append(
            (
                mth.start_time.normalize(),
                float(point),
                float(np.quantile(ratio, 0.025)),
                float(np.quantile(ratio, 0.975)),
            )
        )
    return pd.DataFrame(rows, columns=["month", "factor", "ci_lower", "ci_upper"])


def plot_windows_fit(ax, res: IntervalCountResults, *, level: float = 0.9, seed: int = 0, color: str = "#0072B2"):
    """Draw the reported windows as bars under the fitted monthly curve and its prediction band.

    Draw the reported windows as bars (height = reported daily average over the window, width = the window)
    under the fitted monthly curve (daily average per month) and its prediction band, on a daily-rate axis.
    """
    obs = res.obs
    for row in obs.itertuples(index=False):
        days = (row.period_end - row.period_start).days + 1
        ax.bar(
            row.period_start,
            row.value / days,
            width=days,
            align="edge",
            color="#BBBBBB",
            edgecolor="#777777",
            linewidth=0.5,
            zorder=1,
        )
    mon = res.monthly(level=level, seed=seed)
    dim = mon["month"].dt.days_in_month.to_numpy()
    mid = mon["month"] + pd.to_timedelta(dim / 2, unit="D")
    ax.fill_between(
        mid,
        mon["lower"] / dim,
        mon["upper"] / dim,
        color=color,
        alpha=0.2,
        linewidth=0,
        zorder=2,
        label=f"{int(level * 100)}% prediction band",
    )
    ax.plot(mid, mon["mean"] / dim, color=color, linewidth=1.5, zorder=3, label="fitted mean")
    ax.set_ylabel("per day")
    return ax


def holiday_effects_table(
    obs: pd.DataFrame,
    specs: Sequence[tuple[str, str]],
    holiday_sets: Sequence[Sequence[str]],
    *,
    family: str = "negbin",
    level: float = 0.95,
) -> pd.DataFrame:
    """Tabulate holiday effects per series and holiday specification.

    Holiday effects (rate ratio for a day in the period) per series and holiday specification, with the fits
    the windows cannot support reported as such instead of dropped.

    Columns: series, measure, holidays (";"-joined spec), term, rate_ratio, ci_lower, ci_upper, status
    (``"estimated"`` or the reason the fit failed, e.g. a coefficient at the boundary).
    """
    rows: list[dict[str, object]] = []
    for series, measure in specs:
        o = series_obs(obs, series, measure)
        for hol in holiday_sets:
            spec = ";".join(hol)
            try:
                res = IntervalCountModel(family, trend="linear", holidays=list(hol)).fit(o)
            except TppoError as exc:
                for term in hol:
                    rows.append(
                        {
                            "series": series,
                            "measure": measure,
                            "holidays": spec,
                            "term": term,
                            "status": str(exc).splitlines()[0],
                        }
                    )
                continue
            t = res.conf_table(level).set_index("term")
            for term in hol:
                rows.append(
                    {
                        "series": series,
                        "measure": measure,
                        "holidays": spec,
                        "term": term,
                        "rate_ratio": float(np.exp(t.loc[term, "estimate"])),
                        "ci_lower": float(np.exp(t.loc[term, "ci_lower"])),
                        "ci_upper": float(np.exp(t.loc[term, "ci_upper"])),
                        "status": "estimated",
                    }
                )
    cols = ["series", "measure", "holidays", "term", "rate_ratio", "ci_lower", "ci_upper", "status"]
    return pd.DataFrame(rows).reindex(columns=cols)


def observed_vs_baseline(res: IntervalCountResults, monthly: pd.DataFrame) -> pd.DataFrame:
    """Compare observed complete-month totals with the model's holiday-free baseline.

    Observed complete-month totals (``month``, ``value``) against the model's expectation for the month with every
    holiday coefficient set to zero: ``ratio`` = observed / baseline is the raw month-by-month seasonal signal.

    Columns: month, observed, baseline, ratio.
    """
    names = list(res.model.term_names)
    k = len(names)
    p0 = res.params.to_numpy()[:k].copy()
    for h in res.model.holiday_terms:
        p0[names.index(h)] = 0.0
    rows = []
    for row in monthly.sort_values("month").itertuples(index=False):
        m0 = pd.Timestamp(row.month)
        base = res._window_means(m0, m0 + pd.offsets.MonthEnd(0), p0[None, :], None)[0]
        rows.append((m0, int(row.value), float(base), float(row.value / base)))
    return pd.DataFrame(rows, columns=["month", "observed", "baseline", "ratio"])
