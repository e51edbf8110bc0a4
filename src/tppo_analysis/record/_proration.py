"""How far the even-spread ("prorate by days") assumption can be wrong, measured on the record itself.

Used by :mod:`tppo_analysis.record.rates`. Wherever the public record reports a window *and* a sub-window of the same
measure and series (a year and one of its months, Jan–Oct and Jan–Jun), the sub-window's reported total divided by
its days-prorated share of the enclosing total is one check of the assumption. The smallest and largest ratios,
over the checks whose enclosing window lies within one trend regime (pre-closure, closure, post-reopening;
:func:`tppo_analysis.sources.events.regimes`), bound the daily rate of any stretch of a window relative to the
window's mean. A fragment covering a share ``s`` of a window's days then holds between
``max(s * r_lo, 1 - (1 - s) * r_hi)`` and ``min(s * r_hi, 1 - (1 - s) * r_lo)`` of its total: the fragment and the
rest of the window each obey the bound, and they add up to the total.

Written by hand: the nesting of irregular reported windows is specific to this record.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

__all__ = ["CHECK_COLUMNS", "days", "default_breaks", "regime_of", "proration_checks", "band", "fragment_share"]

CHECK_COLUMNS = [
    "series",
    "measure",
    "inner_id",
    "outer_id",
    "inner_start",
    "inner_end",
    "outer_start",
    "outer_end",
    "ratio",
    "regime",
    "reliability",
    "note",
]


def days(start, end) -> int:
    """Days from ``start`` to ``end``, both included."""
    return int((pd.Timestamp(end) - pd.Timestamp(start)).days) + 1


def default_breaks() -> list[pd.Timestamp]:
    """Regime boundaries: the starts of the closure and post-reopening regimes (``sources.events.regimes``)."""
    from ..sources.events import regimes

    r = regimes()
    return sorted(pd.Timestamp(s) for s in r["start"].dropna())


def regime_of(start, end, breaks: Sequence[pd.Timestamp]) -> int | None:
    """Index of the regime holding the whole window (0 = before the first break); ``None`` if it straddles one."""
    a = sum(pd.Timestamp(start) >= b for b in breaks)
    z = sum(pd.Timestamp(end) >= b for b in breaks)
    return a if a == z else None


def proration_checks(
    figures: pd.DataFrame, measure: str | Sequence[str], *, breaks: Sequence | None = None
) -> pd.DataFrame:
    """Every place where the record lets the even-spread assumption be checked for ``measure``.

    Parameters
    ----------
    figures : DataFrame
        The public record (:func:`tppo_analysis.load_public_record`): ``figure_id, measure, series, value,
        period_start, period_end`` and ``destination``.
    measure : str or sequence of str
        A denominator measure, e.g. ``"pmi_placements"`` (or several, rows in that order).
    breaks : sequence of dates, optional
        Regime boundaries (default :func:`default_breaks`).

    Returns
    -------
    DataFrame
        One row per (inner, outer) pair of figures of ``measure`` and the same series, the inner window strictly
        inside the outer one: ``series, measure, inner_id, outer_id, inner_start, inner_end, outer_start,
        outer_end, ratio`` (inner total / days-prorated share of the outer total), ``regime`` (index of the regime
        holding the outer window; missing when it straddles a break), ``reliability`` and ``note``. Figures broken down by destination are left
        out: a part of a total says nothing about how the total spreads over time.
    """
    if not isinstance(measure, str):
        parts = [proration_checks(figures, m, breaks=breaks) for m in measure]
        return pd.concat(parts, ignore_index=True)
    f = figures[figures["measure"] == measure].copy()
    f["period_start"] = pd.to_datetime(f["period_start"])
    f["period_end"] = pd.to_datetime(f["period_end"])
    f = f.dropna(subset=["period_start", "period_end", "value"])
    if "destination" in f.columns:
        f = f[f["destination"].fillna("").astype(str).str.strip() == ""]
    br = list(default_breaks() if breaks is None else map(pd.Timestamp, breaks))
    rows = []
    for series, g in f.groupby("series", sort=True):
        recs = g.to_dict("records")
        for inner in recs:
            for outer in recs:
                if inner is outer or outer["value"] <= 0:
                    continue
                if not (outer["period_start"] <= inner["period_start"] and inner["period_end"] <= outer["period_end"]):
                    continue
                d_in = days(inner["period_start"], inner["period_end"])
                d_out = days(outer["period_start"], outer["period_end"])
                if d_in >= d_out:
                    continue
                rows.append(
                    {
                        "series": series,
                        "measure": measure,
                        "inner_id": inner["figure_id"],
                        "outer_id": outer["figure_id"],
                        "inner_start": inner["period_start"],
                        "inner_end": inner["period_end"],
                        "outer_start": outer["period_start"],
                        "outer_end": outer["period_end"],
                        "ratio": float(inner["value"]) / (float(outer["value"]) * d_in / d_out),
                        "regime": regime_of(outer["period_start"], outer["period_end"], br),
                        "reliability": "two public figures of one measure and series, one window inside the other",
                        "note": ""
                        if regime_of(outer["period_start"], outer["period_end"], br) is not None
                        else "outer window spans a regime change: not used for the band",
                    }
                )
    out = pd.DataFrame(rows, columns=CHECK_COLUMNS)
    out["regime"] = out["regime"].astype("Int64")
    return out.sort_values(["series", "outer_start", "inner_start", "inner_id"], kind="stable").reset_index(drop=True)


def band(checks: pd.DataFrame | None, regime: int | None) -> tuple[float, float, str] | None:
    """``(r_lo, r_hi, which checks)`` for a window in ``regime``: the checks of that regime, else of every regime.

    Checks whose enclosing window straddles a regime change are never used. ``None`` when there are no checks.
    """
    if checks is None:
        return None
    within = checks[checks["regime"].notna()]
    if within.empty:
        return None
    same = within[within["regime"] == regime] if regime is not None else within.iloc[0:0]
    use, which = (
        (same, f"{len(same)} checks in the same regime")
        if not same.empty
        else (
            within,
            f"{len(within)} checks from other regimes (none in this one)",
        )
    )
    return float(use["ratio"].min()), float(use["ratio"].max()), which


def fragment_share(s: float, r_lo: float, r_hi: float) -> tuple[float, float]:
    """Bounds on the share of a window's total lying in a fragment of ``s`` of its days (see the module docstring)."""
    return max(s * r_lo, 1 - (1 - s) * r_hi, 0.0), min(s * r_hi, 1 - (1 - s) * r_lo, 1.0)
