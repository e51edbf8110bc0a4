"""Matching deferral windows to denominator windows: the exposure of :mod:`tppo_analysis.record.rates`.

Kept in its own module so that :mod:`tppo_analysis.record.rates` stays under the project's 500-line limit; the public
names (:func:`exposure`, :func:`daily_exposure`) are re-exported there and documented with the rule in its module
docstring.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from ..errors import TppoError
from ._proration import band, days, default_breaks, fragment_share, proration_checks, regime_of

__all__ = ["EXPOSURE_COLUMNS", "PRORATE_OPTIONS", "Prorate", "exposure", "daily_exposure", "prepare", "join_ids"]

Prorate = Literal["none", "days"]
PRORATE_OPTIONS: tuple[str, ...] = ("none", "days")


EXPOSURE_COLUMNS = [
    "series", "measure", "period_start", "period_end", "value", "exposure_measure", "exposure", "exposure_lower",
    "exposure_upper", "match", "prorated_share", "coverage", "band", "lower_bound_exposure", "figure_ids",
    "exposure_figure_ids", "obs_ids", "note",
]  # fmt: skip

_NO_SERIES = "no denominator reported for this series"


def prepare(obs) -> pd.DataFrame:
    frame = getattr(obs, "observations", obs)
    frame = frame() if callable(frame) else frame
    missing = [c for c in ("series", "measure", "period_start", "period_end", "value") if c not in frame.columns]
    if missing:
        raise TppoError(f"obs is missing columns {missing} (expected the output of tppo_analysis.reconcile)")
    o = frame.copy()
    o["period_start"] = pd.to_datetime(o["period_start"])
    o["period_end"] = pd.to_datetime(o["period_end"])
    o["figure_ids"] = o["figure_ids"].fillna("").astype(str) if "figure_ids" in o.columns else ""
    o["obs_id"] = o["obs_id"].astype(str) if "obs_id" in o.columns else [f"row{i}" for i in range(len(o))]
    return o


def join_ids(parts) -> str:
    seen: list[str] = []
    for p in parts:
        for fid in str(p).split(";"):
            if fid and fid not in seen:
                seen.append(fid)
    return ";".join(seen)


def _tiles(start, end, windows: pd.DataFrame) -> bool:
    """Tell whether ``windows`` (all inside ``[start, end]``) cover it with no gap and no overlap."""
    if windows.empty:
        return False
    w = windows.sort_values("period_start")
    if w["period_start"].iloc[0] != start or w["period_end"].iloc[-1] != end:
        return False
    gaps = w["period_start"].iloc[1:].to_numpy() - w["period_end"].iloc[:-1].to_numpy()
    return bool(np.all(gaps == np.timedelta64(1, "D")))


def _match(a, b, den: pd.DataFrame, prorate: str, checks, breaks) -> dict:
    """Match the numerator window ``[a, b]`` to its denominator (a row of :data:`EXPOSURE_COLUMNS` less the keys)."""
    over = den[(den["period_end"] >= a) & (den["period_start"] <= b)].sort_values("period_start")
    out = {
        "exposure": np.nan, "exposure_lower": np.nan, "exposure_upper": np.nan, "match": "none",
        "prorated_share": np.nan, "coverage": 0.0, "band": "", "lower_bound_exposure": np.nan,
        "exposure_figure_ids": "", "note": "",
    }  # fmt: skip
    if den.empty:
        return {**out, "note": _NO_SERIES}
    if over.empty:
        return {**out, "note": "no denominator window overlaps this window"}
    n_days = days(a, b)
    covered = sum(days(max(a, s), min(b, e)) for s, e in zip(over["period_start"], over["period_end"], strict=True))
    out.update(coverage=min(covered / n_days, 1.0), lower_bound_exposure=float(over["value"].sum()))
    if covered < n_days:
        return {**out, "note": f"denominator windows cover {covered} of the window's {n_days} days; not extrapolated"}
    inside = over[(over["period_start"] >= a) & (over["period_end"] <= b)]
    if len(inside) == len(over) and _tiles(a, b, inside):
        total = float(inside["value"].sum())
        kind = "exact" if len(inside) == 1 else "tiled"
        return {**out, "exposure": total, "exposure_lower": total, "exposure_upper": total, "match": kind,
                "prorated_share": 0.0, "exposure_figure_ids": join_ids(inside["figure_ids"])}  # fmt: skip
    if prorate == "none":
        return {**out, "note": "no denominator window matches this window exactly (prorate='days' would share out)"}
    exact = mid = lo = hi = 0.0
    used: list[str] = []
    for d in over.to_dict("records"):
        share_days, d_days = (
            days(max(a, d["period_start"]), min(b, d["period_end"])),
            days(d["period_start"], d["period_end"]),
        )
        value = float(d["value"])
        if share_days == d_days:
            exact += value
            continue
        regime = regime_of(d["period_start"], d["period_end"], breaks)
        if regime is None:
            when = f"{d['period_start']:%Y-%m-%d}..{d['period_end']:%Y-%m-%d}"
            return {**out, "note": f"denominator window {when} spans a regime change; no even spread is assumed"}
        s = share_days / d_days
        b_ = band(checks, regime)
        f_lo, f_hi = fragment_share(s, b_[0], b_[1]) if b_ else (s, s)
        mid, lo, hi = mid + s * value, lo + f_lo * value, hi + f_hi * value
        used.append(f"ratios {b_[0]:.3g}-{b_[1]:.3g} from {b_[2]}" if b_ else "no checks in the record: no band")
    total = exact + mid
    return {**out, "exposure": total, "exposure_lower": exact + lo, "exposure_upper": exact + hi,
            "match": "prorated", "prorated_share": mid / total if total > 0 else np.nan,
            "band": "; ".join(dict.fromkeys(used)), "exposure_figure_ids": join_ids(over["figure_ids"])}  # fmt: skip


def _group(row, num: pd.DataFrame, den: pd.DataFrame):
    """Consecutive numerator windows (with ``row``) tiling one denominator window that contains ``row``."""
    for d in den.to_dict("records"):
        if d["period_start"] <= row["period_start"] and row["period_end"] <= d["period_end"]:
            inner = num[(num["period_start"] >= d["period_start"]) & (num["period_end"] <= d["period_end"])]
            if _tiles(d["period_start"], d["period_end"], inner):
                return inner, d
    return None


def exposure(
    obs,
    numerator: str,
    denominator: str,
    *,
    prorate: Prorate = "none",
    series: Sequence[str] | None = None,
    figures: pd.DataFrame | None = None,
    breaks: Sequence | None = None,
) -> pd.DataFrame:
    """Match every numerator window of the reconciled observations to its denominator ("exposure").

    Parameters
    ----------
    obs : DataFrame or Reconciliation
        Reconciled observations: ``series, measure, period_start, period_end, value`` (``figure_ids``, ``obs_id``).
    numerator, denominator : str
        Measures, e.g. ``"dep_deferral_wni_pmi_suspected"`` and ``"pmi_placements"``.
    prorate : {"none", "days"}
        ``"none"``: exact matches only (merging consecutive numerator windows that tile a denominator window).
        ``"days"``: the stated assumption that a denominator window's total is spread evenly over its days; one row
        per numerator window.
    series : sequence of str, optional
        Restrict to these series keys.
    figures : DataFrame, optional
        The public record (:func:`tppo_analysis.load_public_record`). With ``prorate="days"`` it calibrates the band
        of prorated denominators (:func:`proration_checks`); without it the band is not available.
    breaks : sequence of dates, optional
        Regime boundaries (default: the closure and reopening dates of :func:`tppo_analysis.sources.events.regimes`).

    Returns
    -------
    DataFrame
        :data:`EXPOSURE_COLUMNS`: the numerator window and count (``value``), ``exposure`` (the denominator total over
        the window: persons, passports; blank where none), ``exposure_lower/upper`` (the proration band), ``match``
        (exact, tiled, grouped, prorated, none), ``prorated_share`` (share of the exposure that is prorated),
        ``coverage`` (share of the window's days inside some denominator window), ``band`` (which checks calibrated
        the band), ``lower_bound_exposure`` (whole totals of the overlapping denominator windows), ``figure_ids``,
        ``exposure_figure_ids``, ``obs_ids`` (``;``-joined, to merge back onto ``obs``) and ``note`` (why there is no
        exposure). No numerator window is dropped.
    """
    if prorate not in PRORATE_OPTIONS:
        raise TppoError(f"prorate={prorate!r}: use one of {PRORATE_OPTIONS} (an assumption is named, never implied)")
    o = prepare(obs)
    br = list(default_breaks() if breaks is None else map(pd.Timestamp, breaks))
    checks = proration_checks(figures, denominator, breaks=br) if figures is not None and prorate == "days" else None
    num_all = o[o["measure"] == numerator]
    if series is not None:
        num_all = num_all[num_all["series"].isin(list(series))]
    rows = []
    for s, num in num_all.groupby("series", sort=True):
        den = o[(o["measure"] == denominator) & (o["series"] == s)]
        s_checks = None if checks is None else checks[checks["series"] == s]
        num = num.sort_values("period_start")
        done: set[str] = set()
        for row in num.to_dict("records"):
            if row["obs_id"] in done:
                continue
            base = {"series": s, "measure": numerator, "period_start": row["period_start"],
                    "period_end": row["period_end"], "value": row["value"], "exposure_measure": denominator,
                    "figure_ids": row["figure_ids"], "obs_ids": row["obs_id"]}  # fmt: skip
            m = _match(row["period_start"], row["period_end"], den, prorate, s_checks, br)
            group = _group(row, num, den) if m["match"] == "none" and prorate == "none" and not den.empty else None
            if group is not None:
                members, d = group
                done.update(members["obs_id"])
                total = float(d["value"])
                base.update(period_start=d["period_start"], period_end=d["period_end"], value=members["value"].sum(),
                            figure_ids=join_ids(members["figure_ids"]), obs_ids=";".join(members["obs_id"]))  # fmt: skip
                m.update(exposure=total, exposure_lower=total, exposure_upper=total, match="grouped", coverage=1.0,
                         prorated_share=0.0, lower_bound_exposure=total, exposure_figure_ids=join_ids([d["figure_ids"]]),
                         note=f"{len(members)} consecutive windows merged to match one denominator window")  # fmt: skip
            rows.append({**base, **m})
    out = pd.DataFrame(rows, columns=EXPOSURE_COLUMNS)
    return out.sort_values(["series", "period_start"], kind="stable").reset_index(drop=True)


def daily_exposure(obs, denominator: str, series: str) -> pd.DataFrame:
    """Spread the denominator of one series evenly over the days of each of its windows (``date, exposure``).

    This is the ``prorate="days"`` assumption written out day by day, for models that take a daily exposure
    (:class:`tppo_analysis.IntervalCountModel`, ``daily_exposure=``). Days outside every denominator window are
    absent: a model must not be asked about them.

    Parameters
    ----------
    obs : pandas.DataFrame or Reconciliation
        Reconciled observations (:func:`tppo_analysis.reconcile`).
    denominator : str
        The denominator measure (e.g. issued passports).
    series : str
        The series key (e.g. ``"national"``).
    """
    o = prepare(obs)
    den = o[(o["measure"] == denominator) & (o["series"] == series)]
    if den.empty:
        raise TppoError(f"no {denominator!r} windows for series {series!r}")
    parts = []
    for d in den.itertuples():
        span = pd.date_range(d.period_start, d.period_end, freq="D")
        parts.append(pd.DataFrame({"date": span, "exposure": float(d.value) / len(span)}))
    out = pd.concat(parts).sort_values("date")
    if out["date"].duplicated().any():
        raise TppoError(f"{denominator!r} windows of {series!r} overlap; reconcile the record first")
    return out.reset_index(drop=True)
