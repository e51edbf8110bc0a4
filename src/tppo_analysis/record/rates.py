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
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import TppoError
from ..protocol import check_level
from ._matching import (
    _NO_SERIES,
    PRORATE_OPTIONS,
    Prorate,
    daily_exposure,
    exposure,
    join_ids,
    prepare,
)
from ._proration import days, proration_checks

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


def _garwood(k: float, level: float) -> tuple[float, float]:
    a = 1 - level
    lo = 0.0 if k == 0 else stats.chi2.ppf(a / 2, 2 * k) / 2
    return float(lo), float(stats.chi2.ppf(1 - a / 2, 2 * k + 2) / 2)


RATE_COLUMNS = [
    "rate", "rate_label", "series", "period_start", "period_end", "numerator", "denominator", "per", "estimate", "ci_lower",
    "ci_upper", "level", "interval", "match", "prorated_share", "estimate_strict", "lower_bound_no_assumption",
    "figure_ids", "obs_ids", "reliability", "note",
]  # fmt: skip


def rate_table(
    obs,
    rate: str | None = None,
    *,
    prorate: Prorate = "none",
    level: float = 0.95,
    series: Sequence[str] | None = None,
    figures: pd.DataFrame | None = None,
    breaks: Sequence | None = None,
    only_rates: bool = False,
) -> pd.DataFrame:
    """Compute the rates of ``rate`` for every numerator window, with intervals.

    Exact matches come first; with ``prorate="days"`` the windows they leave without a denominator are prorated.
    Columns :data:`RATE_COLUMNS`: ``rate_label`` (plain words), ``estimate`` (numerator / denominator × ``per``),
    ``ci_lower/ci_upper`` at ``level`` (``interval`` names the method), ``match``, ``prorated_share``,
    ``estimate_strict``, ``lower_bound_no_assumption``, ``reliability`` (plain words) and ``note`` (why a window has
    no rate).

    Parameters
    ----------
    obs : pandas.DataFrame or Reconciliation
        Reconciled observations (:func:`tppo_analysis.reconcile`).
    rate : str, optional
        A key of :data:`RATE_DEFINITIONS`; all of them, one after the other, when omitted.
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
    only_rates : bool
        Keep only the windows that got a rate.
    """
    if rate is None:
        parts = [rate_table(obs, name, prorate=prorate, level=level, series=series, figures=figures, breaks=breaks,
                            only_rates=only_rates) for name in RATE_DEFINITIONS]  # fmt: skip
        return pd.concat(parts, ignore_index=True)
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
        row = {"rate": rate, "rate_label": d.label, "series": r["series"], "period_start": r["period_start"], "period_end": r["period_end"],
               "numerator": int(round(k)), "denominator": r["exposure"], "per": d.per, "level": level,
               "match": r["match"], "prorated_share": r["prorated_share"], "obs_ids": r["obs_ids"], "note": r["note"],
               "figure_ids": join_ids([r["figure_ids"], r["exposure_figure_ids"]]),
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
    if only_rates:
        out = out[out["estimate"].notna()]
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
    "interval", "figure_ids", "obs_ids", "reliability", "note",
]  # fmt: skip


def daily_rates(
    obs, measure: str | Sequence[str], *, series: Sequence[str] | None = None, level: float = 0.95
) -> pd.DataFrame:
    """Turn reported totals into counts per day over their windows, with exact (Garwood) Poisson intervals.

    The simplest rate the record allows and one that needs no model: the total officials reported for a window
    divided by the window's days (inclusive). The interval covers counting noise only, treating the reported total
    as a Poisson count; it says nothing about how the figure was compiled or rounded.

    Parameters
    ----------
    obs : pandas.DataFrame or Reconciliation
        Reconciled observations (:func:`tppo_analysis.reconcile`).
    measure : str or sequence of str
        The measure whose totals are turned into daily rates (or several, rows in that order).
    series : sequence of str, optional
        Restrict to these series (default: all).
    level : float
        Confidence level of the exact Poisson intervals (0.95 by default).
    """
    level = check_level(level)
    if not isinstance(measure, str):
        return pd.concat([daily_rates(obs, m, series=series, level=level) for m in measure], ignore_index=True)
    o = prepare(obs)
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
            "note": "",
        })  # fmt: skip
    return pd.DataFrame(rows, columns=DAILY_COLUMNS)
