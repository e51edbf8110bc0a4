"""Rates, not only counts: deferrals per unit of the activity they are drawn from.

A count of deferrals rises when more people travel. Where the reconciled public record also reports the
denominator for the *same series and the same window*, this module turns counts into rates:

* passport deferrals (suspected PMI nonprosedural) per 10,000 passports issued — numerator
  ``passport_deferral_pmi_suspected``, denominator ``passports_issued``;
* departure deferrals (suspected PMI nonprosedural) per 100,000 WNI departures — numerator
  ``dep_deferral_wni_pmi_suspected``, denominator ``wni_departures``.

Windows must agree exactly: a numerator window equal to a denominator window, or one side exactly tiled by
consecutive windows of the other (e.g. a year of deferrals against twelve reported months of passports). Nothing is
prorated or interpolated; every numerator observation without such a match is listed with the reason, so the table
says explicitly where no denominator exists.

The interval for a rate is the exact (Garwood) Poisson interval for the numerator divided by the denominator,
treating the denominator as known (it is an administrative total).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import TppoError

__all__ = ["RATE_DEFINITIONS", "rates", "rate_availability"]

#: name -> (numerator measure, denominator measure, per)
RATE_DEFINITIONS: dict[str, tuple[str, str, int]] = {
    "passport_deferrals_per_10k_issued": ("passport_deferral_pmi_suspected", "passports_issued", 10_000),
    "departure_deferrals_per_100k_departures": ("dep_deferral_wni_pmi_suspected", "wni_departures", 100_000),
}

RATE_COLUMNS = [
    "rate_name",
    "series",
    "period_start",
    "period_end",
    "numerator",
    "denominator",
    "per",
    "estimate",
    "ci_lower",
    "ci_upper",
    "status",
    "figure_ids",
]


def _garwood(k: int, level: float) -> tuple[float, float]:
    a = 1 - level
    lo = 0.0 if k == 0 else stats.chi2.ppf(a / 2, 2 * k) / 2
    hi = stats.chi2.ppf(1 - a / 2, 2 * k + 2) / 2
    return float(lo), float(hi)


def _tiles(outer: pd.Series, inner: pd.DataFrame) -> pd.DataFrame | None:
    """Return the rows of ``inner`` lying inside ``outer``'s window, if they tile it exactly (no gap, no overlap)."""
    inside = inner[(inner["period_start"] >= outer["period_start"]) & (inner["period_end"] <= outer["period_end"])]
    if inside.empty:
        return None
    inside = inside.sort_values("period_start")
    if inside["period_start"].iloc[0] != outer["period_start"] or inside["period_end"].iloc[-1] != outer["period_end"]:
        return None
    gaps = inside["period_start"].iloc[1:].to_numpy() - inside["period_end"].iloc[:-1].to_numpy()
    if len(gaps) and not np.all(gaps == np.timedelta64(1, "D")):
        return None
    return inside


def rates(
    obs: pd.DataFrame,
    rate_name: str = "passport_deferrals_per_10k_issued",
    *,
    level: float = 0.95,
    series: list[str] | None = None,
) -> pd.DataFrame:
    """Compute ``rate_name`` for every numerator observation in the reconciled ``obs``.

    Rates for every numerator observation of ``rate_name`` in the reconciled ``obs`` (see
    :data:`RATE_DEFINITIONS`), one row per numerator window (or per tiled group of numerator windows).

    Columns: rate_name, series, period_start, period_end, numerator, denominator, per, estimate (numerator /
    denominator × per), ci_lower, ci_upper (exact Poisson on the numerator, at ``level``), status (``"rate"``,
    ``"no denominator reported for this series"``, ``"no denominator window matching this window"``,
    ``"zero denominator"``), figure_ids. Rows without a rate keep their numerator so nothing is dropped.
    """
    if rate_name not in RATE_DEFINITIONS:
        raise TppoError(f"unknown rate {rate_name!r}; known: {sorted(RATE_DEFINITIONS)}")
    missing = [c for c in ("series", "measure", "period_start", "period_end", "value") if c not in obs.columns]
    if missing:
        raise TppoError(f"obs is missing columns {missing} (expected the output of tppo_analysis.reconcile)")
    num_m, den_m, per = RATE_DEFINITIONS[rate_name]
    o = obs.copy()
    o["period_start"] = pd.to_datetime(o["period_start"])
    o["period_end"] = pd.to_datetime(o["period_end"])
    if "figure_ids" not in o.columns:
        o["figure_ids"] = ""
    rows = []
    num_all = o[o["measure"] == num_m]
    if series is not None:
        num_all = num_all[num_all["series"].isin(series)]
    for s, num in num_all.groupby("series", sort=True):
        den = o[(o["measure"] == den_m) & (o["series"] == s)]
        used: set[int] = set()
        for idx, row in num.sort_values("period_start").iterrows():
            if idx in used:
                continue
            base = {"rate_name": rate_name, "series": s, "per": per}
            if den.empty:
                rows.append(
                    {
                        **base,
                        "period_start": row["period_start"],
                        "period_end": row["period_end"],
                        "numerator": int(row["value"]),
                        "denominator": np.nan,
                        "status": "no denominator reported for this series",
                        "figure_ids": row["figure_ids"],
                    }
                )
                continue
            match = None
            # 1. a denominator window equal to, or tiling, this numerator window
            tiled_den = _tiles(row, den)
            if tiled_den is not None:
                match = (
                    [idx],
                    row["period_start"],
                    row["period_end"],
                    int(row["value"]),
                    int(tiled_den["value"].sum()),
                    [row["figure_ids"], *tiled_den["figure_ids"]],
                )
            else:
                # 2. numerator windows tiling a denominator window that contains this one
                for _, d in den.iterrows():
                    if d["period_start"] <= row["period_start"] and row["period_end"] <= d["period_end"]:
                        tiled_num = _tiles(d, num)
                        if tiled_num is not None:
                            match = (
                                list(tiled_num.index),
                                d["period_start"],
                                d["period_end"],
                                int(tiled_num["value"].sum()),
                                int(d["value"]),
                                [*tiled_num["figure_ids"], d["figure_ids"]],
                            )
                        break
            if match is None:
                rows.append(
                    {
                        **base,
                        "period_start": row["period_start"],
                        "period_end": row["period_end"],
                        "numerator": int(row["value"]),
                        "denominator": np.nan,
                        "status": "no denominator window matching this window",
                        "figure_ids": row["figure_ids"],
                    }
                )
                continue
            ids, a, b, k, n, fig = match
            used.update(ids)
            if n <= 0:
                rows.append(
                    {
                        **base,
                        "period_start": a,
                        "period_end": b,
                        "numerator": k,
                        "denominator": n,
                        "status": "zero denominator",
                        "figure_ids": ";".join(map(str, fig)),
                    }
                )
                continue
            lo, hi = _garwood(k, level)
            rows.append(
                {
                    **base,
                    "period_start": a,
                    "period_end": b,
                    "numerator": k,
                    "denominator": n,
                    "estimate": k / n * per,
                    "ci_lower": lo / n * per,
                    "ci_upper": hi / n * per,
                    "status": "rate",
                    "figure_ids": ";".join(_unique_ids(fig)),
                }
            )
    out = pd.DataFrame(rows, columns=RATE_COLUMNS)
    return out.sort_values(["series", "period_start"], kind="stable").reset_index(drop=True)


def _unique_ids(parts) -> list[str]:
    seen: list[str] = []
    for p in parts:
        for fid in str(p).split(";"):
            if fid and fid not in seen:
                seen.append(fid)
    return seen


def rate_availability(obs: pd.DataFrame) -> pd.DataFrame:
    """Count, for each rate, the numerator windows with and without a matching denominator.

    For each rate in :data:`RATE_DEFINITIONS`: how many numerator windows (and series) have a matching
    denominator, and how many do not — the explicit statement of where no denominator exists.

    Columns: rate_name, numerator_windows, with_rate, without_denominator_series, without_matching_window,
    series_with_rate (";"-joined).
    """
    rows = []
    for name in RATE_DEFINITIONS:
        r = rates(obs, name)
        rows.append(
            {
                "rate_name": name,
                "numerator_windows": int(len(r)),
                "with_rate": int((r["status"] == "rate").sum()),
                "without_denominator_series": int((r["status"] == "no denominator reported for this series").sum()),
                "without_matching_window": int((r["status"] == "no denominator window matching this window").sum()),
                "series_with_rate": ";".join(sorted(r.loc[r["status"] == "rate", "series"].unique())),
            }
        )
    return pd.DataFrame(rows)
