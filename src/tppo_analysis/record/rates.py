"""Rates, not only counts: deferrals per unit of the activity they are drawn from.

A count of deferrals rises when more people travel or apply. Where the public record also reports the activity
(the *denominator*: procedural migrant-worker placements, passports issued, departures of Indonesians) for the same
series, this module matches deferral windows with denominator windows and turns counts into rates. It owns that
definition: the trend models take their exposure from :func:`exposure` or :func:`daily_exposure`.

Matching (:func:`exposure`), for each numerator window (inclusive days)
    Every denominator window of the same series that overlaps it is found. A denominator window lying wholly inside
    contributes its whole total. With ``prorate="none"`` (the default) a numerator window gets a denominator only
    when denominator windows tile it exactly; consecutive numerator windows that together tile one denominator window
    are merged into one row (``match="grouped"``). With ``prorate="days"`` — an explicit assumption — a denominator
    window reaching outside the numerator window is taken as spread evenly over its days and contributes the share
    of its days inside. Days not covered by any denominator window leave the numerator window without a denominator
    (nothing is extrapolated), and a prorated denominator window that straddles a regime change (border closure,
    reopening; :func:`tppo_analysis.sources.events.regimes`) is not used: an even spread across a closure is exactly
    the assumption that fails there.

Intervals (:func:`rate_table`, level 95% by default)
    * the count: the exact (Garwood 1936) Poisson interval of the numerator;
    * the denominator: a reported total is taken as exact; a prorated part carries a band calibrated on the record's
      own nested figures (:mod:`tppo_analysis.record._proration`);
    * the rate: the count interval's ends divided by the denominator band's upper and lower ends (the two combined
      at their extremes, so conservative).

Two sensitivities come with every rate: ``estimate_strict`` (the rate where windows match without proration, else
blank) and ``lower_bound_no_assumption`` (the count over the *whole* totals of every denominator window it overlaps:
true whatever the spread within those windows).

Written by hand: matching irregular reported windows is specific to this record; intervals use scipy's chi-square.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import TppoError
from ..protocol import check_level
from ._proration import band, days, default_breaks, fragment_share, proration_checks, regime_of

__all__ = [
    "RATE_DEFINITIONS",
    "RateDefinition",
    "PRORATE_OPTIONS",
    "exposure",
    "daily_exposure",
    "proration_checks",
    "rate_table",
    "rates",
    "rate_availability",
    "daily_rates",
]

Prorate = Literal["none", "days"]
PRORATE_OPTIONS: tuple[str, ...] = ("none", "days")


class RateDefinition(NamedTuple):
    """A rate: numerator and denominator measures, the multiplier and a plain label."""

    numerator: str
    denominator: str
    per: int
    label: str


#: The rates the record allows; keys are the ``rate`` (``rate_name``) column of rate tables.
RATE_DEFINITIONS: dict[str, RateDefinition] = {
    "passport_deferrals_per_10k_issued": RateDefinition(
        "passport_deferral_pmi_suspected", "passports_issued", 10_000, "passport deferrals per 10,000 passports issued"
    ),
    "departure_deferrals_per_100k_departures": RateDefinition(
        "dep_deferral_wni_pmi_suspected",
        "wni_departures",
        100_000,
        "departure deferrals per 100,000 departures of Indonesians",
    ),
    "departure_deferrals_per_100_placements": RateDefinition(
        "dep_deferral_wni_pmi_suspected",
        "pmi_placements",
        100,
        "departure deferrals per 100 procedural migrant-worker placements",
    ),
}

EXPOSURE_COLUMNS = [
    "series", "measure", "period_start", "period_end", "value", "exposure_measure", "exposure", "exposure_lower",
    "exposure_upper", "match", "prorated_share", "coverage", "band", "lower_bound_exposure", "figure_ids",
    "exposure_figure_ids", "obs_ids", "note",
]  # fmt: skip

_NO_SERIES = "no denominator reported for this series"


def _prepare(obs) -> pd.DataFrame:
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


def _join_ids(parts) -> str:
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
                "prorated_share": 0.0, "exposure_figure_ids": _join_ids(inside["figure_ids"])}  # fmt: skip
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
            "band": "; ".join(dict.fromkeys(used)), "exposure_figure_ids": _join_ids(over["figure_ids"])}  # fmt: skip


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
    o = _prepare(obs)
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
                            figure_ids=_join_ids(members["figure_ids"]), obs_ids=";".join(members["obs_id"]))  # fmt: skip
                m.update(exposure=total, exposure_lower=total, exposure_upper=total, match="grouped", coverage=1.0,
                         prorated_share=0.0, lower_bound_exposure=total, exposure_figure_ids=_join_ids([d["figure_ids"]]),
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
    o = _prepare(obs)
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


def _garwood(k: float, level: float) -> tuple[float, float]:
    a = 1 - level
    lo = 0.0 if k == 0 else stats.chi2.ppf(a / 2, 2 * k) / 2
    return float(lo), float(stats.chi2.ppf(1 - a / 2, 2 * k + 2) / 2)


RATE_COLUMNS = [
    "rate", "series", "period_start", "period_end", "numerator", "denominator", "per", "estimate", "ci_lower",
    "ci_upper", "level", "interval", "match", "prorated_share", "estimate_strict", "lower_bound_no_assumption",
    "figure_ids", "obs_ids", "reliability", "note",
]  # fmt: skip


def rate_table(
    obs,
    rate: str,
    *,
    prorate: Prorate = "none",
    level: float = 0.95,
    series: Sequence[str] | None = None,
    figures: pd.DataFrame | None = None,
    breaks: Sequence | None = None,
) -> pd.DataFrame:
    """Rates of ``rate`` (a key of :data:`RATE_DEFINITIONS`) for every numerator window, with intervals.

    Exact matches come first; with ``prorate="days"`` the windows they leave without a denominator are prorated.
    Columns :data:`RATE_COLUMNS`: ``estimate`` (numerator / denominator × ``per``), ``ci_lower/ci_upper`` at
    ``level`` (``interval`` names the method), ``match``, ``prorated_share``, ``estimate_strict``,
    ``lower_bound_no_assumption``, ``reliability`` (plain words) and ``note`` (why a window has no rate).

    Parameters
    ----------
    obs : pandas.DataFrame or Reconciliation
        Reconciled observations (:func:`tppo_analysis.reconcile`).
    rate : str
        A key of :data:`RATE_DEFINITIONS`.
    prorate : {"none", "days"}
        ``"none"``: exact window matches only; ``"days"``: also prorate denominators by days, as a named assumption.
    level : float
        Confidence level of the intervals (0.95 by default).
    series : sequence of str, optional
        Restrict to these series (default: all).
    figures : pandas.DataFrame, optional
        The public record, used to calibrate the prorating band on nested figures.
    breaks : sequence, optional
        Dates of regime changes across which no denominator is prorated (default: the regimes of
        :func:`tppo_analysis.sources.events.regimes`).
    """
    if rate not in RATE_DEFINITIONS:
        raise TppoError(f"unknown rate {rate!r}; known: {sorted(RATE_DEFINITIONS)}")
    level = check_level(level)
    d = RATE_DEFINITIONS[rate]
    ex = exposure(obs, d.numerator, d.denominator, series=series, breaks=breaks)
    if prorate == "days":
        exact = ex[ex["exposure"].notna()]
        done = {i for ids in exact["obs_ids"] for i in ids.split(";")}
        pro = exposure(obs, d.numerator, d.denominator, prorate="days", series=series, figures=figures, breaks=breaks)
        ex = pd.concat([exact, pro[~pro["obs_ids"].isin(done)]], ignore_index=True)
    rows = []
    for r in ex.to_dict("records"):
        k = float(r["value"])
        lb = r["lower_bound_exposure"]
        row = {"rate": rate, "series": r["series"], "period_start": r["period_start"], "period_end": r["period_end"],
               "numerator": int(round(k)), "denominator": r["exposure"], "per": d.per, "level": level,
               "match": r["match"], "prorated_share": r["prorated_share"], "obs_ids": r["obs_ids"], "note": r["note"],
               "figure_ids": _join_ids([r["figure_ids"], r["exposure_figure_ids"]]),
               "lower_bound_no_assumption": k / lb * d.per if lb > 0 else np.nan}  # fmt: skip
        if not r["exposure"] > 0:
            reason = r["note"] or "zero denominator"
            rows.append({**row, "reliability": f"no rate: {reason}", "interval": ""})
            continue
        g_lo, g_hi = _garwood(k, level)
        est = k / r["exposure"] * d.per
        row.update(
            estimate=est, ci_lower=g_lo / r["exposure_upper"] * d.per, ci_upper=g_hi / r["exposure_lower"] * d.per
        )
        if r["match"] == "prorated":
            row["interval"] = "Garwood exact Poisson (count) with the proration band (denominator), at their extremes"
            row["reliability"] = (
                f"denominator {r['prorated_share']:.0%} prorated by days (assumption); band: {r['band']}"
            )
        else:
            row.update(
                interval="Garwood exact Poisson (count); reported denominator taken as exact", estimate_strict=est
            )
            row["reliability"] = f"windows match exactly ({r['match']}); no proration"
        rows.append(row)
    out = pd.DataFrame(rows, columns=RATE_COLUMNS)
    return out.sort_values(["series", "period_start"], kind="stable").reset_index(drop=True)


_LEGACY = ["rate_name", "series", "period_start", "period_end", "numerator", "denominator", "per", "estimate",
           "ci_lower", "ci_upper", "status", "figure_ids"]  # fmt: skip


def rates(obs, rate_name: str = "passport_deferrals_per_10k_issued", *, level: float = 0.95, series=None):
    """Return the strict, assumption-free rates (exact matches only) in the table shape of 0.1.

    Columns: rate_name, series, period_start, period_end, numerator, denominator, per, estimate, ci_lower,
    ci_upper, status (``"rate"`` or why not), figure_ids. :func:`rate_table` is the full table.

    Parameters
    ----------
    obs : pandas.DataFrame or Reconciliation
        Reconciled observations (:func:`tppo_analysis.reconcile`).
    rate_name : str
        A key of :data:`RATE_DEFINITIONS`.
    level : float
        Confidence level of the intervals (0.95 by default).
    series : sequence of str, optional
        Restrict to these series (default: all).
    """
    t = rate_table(obs, rate_name, level=level, series=series)
    no_window = t["note"].ne(_NO_SERIES) & t["note"].ne("")
    status = np.where(
        t["estimate"].notna(), "rate", np.where(no_window, "no denominator window matching this window", t["note"])
    )
    out = t.rename(columns={"rate": "rate_name"}).assign(status=status)
    out.loc[out["denominator"].eq(0), "status"] = "zero denominator"
    return out[_LEGACY]


def rate_availability(obs, *, prorate: Prorate = "none", figures: pd.DataFrame | None = None) -> pd.DataFrame:
    """For each rate: numerator windows, how many get a rate and why the others do not.

    Columns: rate_name, numerator_windows, with_rate, without_denominator_series, without_matching_window,
    prorated (with ``prorate="days"``), series_with_rate (``;``-joined).

    Parameters
    ----------
    obs : pandas.DataFrame or Reconciliation
        Reconciled observations (:func:`tppo_analysis.reconcile`).
    prorate : {"none", "days"}
        Count prorated windows too (``"days"``) or exact matches only.
    figures : pandas.DataFrame, optional
        The public record, passed on to :func:`rate_table`.
    """
    rows = []
    for name in RATE_DEFINITIONS:
        r = rate_table(obs, name, prorate=prorate, figures=figures)
        has = r["estimate"].notna()
        no_series = r["note"] == _NO_SERIES
        rows.append({
            "rate_name": name, "numerator_windows": int(len(r)), "with_rate": int(has.sum()),
            "without_denominator_series": int(no_series.sum()), "without_matching_window": int((~has & ~no_series).sum()),
            "prorated": int((has & (r["match"] == "prorated")).sum()),
            "series_with_rate": ";".join(sorted(r.loc[has, "series"].unique())),
        })  # fmt: skip
    return pd.DataFrame(rows)


DAILY_COLUMNS = [
    "series", "measure", "period_start", "period_end", "days", "value", "estimate", "ci_lower", "ci_upper", "level",
    "interval", "figure_ids", "obs_ids", "reliability",
]  # fmt: skip


def daily_rates(obs, measure: str, *, series: Sequence[str] | None = None, level: float = 0.95) -> pd.DataFrame:
    """Turn reported totals into counts per day over their windows, with exact (Garwood) Poisson intervals.

    The simplest rate the record allows and one that needs no model: the total officials reported for a window
    divided by the window's days (inclusive). The interval covers counting noise only, treating the reported total
    as a Poisson count; it says nothing about how the figure was compiled or rounded.

    Parameters
    ----------
    obs : pandas.DataFrame or Reconciliation
        Reconciled observations (:func:`tppo_analysis.reconcile`).
    measure : str
        The measure whose totals are turned into daily rates.
    series : sequence of str, optional
        Restrict to these series (default: all).
    level : float
        Confidence level of the exact Poisson intervals (0.95 by default).
    """
    level = check_level(level)
    o = _prepare(obs)
    o = o[o["measure"] == measure]
    if series is not None:
        o = o[o["series"].isin(list(series))]
    rows = []
    for r in o.sort_values(["series", "period_start"]).to_dict("records"):
        n_days = days(r["period_start"], r["period_end"])
        lo, hi = _garwood(float(r["value"]), level)
        n_fig = int(r.get("n_figures", 1) or 1)
        rows.append({
            "series": r["series"], "measure": measure, "period_start": r["period_start"], "period_end": r["period_end"],
            "days": n_days, "value": int(round(float(r["value"]))), "estimate": float(r["value"]) / n_days,
            "ci_lower": lo / n_days, "ci_upper": hi / n_days, "level": level,
            "interval": "Garwood exact Poisson on the reported total (counting noise only)",
            "figure_ids": r["figure_ids"], "obs_ids": r["obs_id"],
            "reliability": ("one reported figure" if n_fig == 1 else f"{n_fig} reported figures (reconciled)")
            + f"; window of {n_days} days",
        })  # fmt: skip
    return pd.DataFrame(rows, columns=DAILY_COLUMNS)
