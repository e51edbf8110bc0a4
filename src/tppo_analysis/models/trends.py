"""Trend tables and figures of the public record for notebook 01, built on the interval models.

The record is windows, not months, so trends are stated as **changes between periods the record covers** (2024 vs
2023 over the days both report, Jan-Apr 2025 vs Jan-Apr 2023, ...) from the model the backtest chose
(``docs/model_choice.md``), each with an interval, an ``identified`` label, a plain-language ``reliability`` and a
``note``. Every table is rounded here, in one place, with :func:`tppo_analysis.protocol.round_frame`, and a term that
is not identified is never shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from ..protocol import round_frame
from ..record.trend_context import DEFAULT_EVENTS, event_lines, passport_rate_table
from ..sources.labels import series_label
from .backtest import width_check
from .changes import _span_label, covered_periods, model_sensitivity, period_changes, series_obs
from .choice import recommended_interval_model
from .fits import (
    BoundFit,
    backtest_figure,
    backtest_summary,
    chosen_model_name,
    figure_fields,
    fit_pooled_recommended,
    fit_specs,
    trend_figure,
)
from .interval import KEY_MEASURE, KEY_SERIES
from .interval._predict import NOT_BOUNDED
from .monthly import MINISTRY_SPLIT, complete_months, fit_monthly_nb, full_year_coverage

__all__ = [
    "SOURCE",
    "MINISTRY_SPLIT",
    "complete_months",
    "fit_monthly_nb",
    "full_year_coverage",
    "chosen_model_name",
    "passport_rate_table",
    "figure_fields",
    "KEY_SERIES",
    "KEY_MEASURE",
    "series_obs",
    "series_label",
    "series_table",
    "TREND_SPECS",
    "BROADER",
    "FORECAST_WINDOWS",
    "BoundFit",
    "fit_pooled_recommended",
    "recommended_interval_model",
    "trend_fits",
    "event_lines",
    "DEFAULT_EVENTS",
    "covered_periods",
    "period_changes",
    "model_sensitivity",
    "window_check",
    "robustness_table",
    "forecast_table",
    "break_table",
    "backtest_summary",
    "width_check",
    "trend_figure",
    "backtest_figure",
]

#: Source line of the tables and figures built on the public record.
SOURCE = "public statements compiled in data/public; reconciled by tppo.reconcile"


def series_table(obs: pd.DataFrame, specs: Sequence[tuple[str, str]]) -> pd.DataFrame:
    """Tabulate what each modelled series rests on: windows, first and last day, days reported, total reported.

    Parameters
    ----------
    obs : DataFrame
        Reconciled windows: ``period_start``, ``period_end`` (inclusive dates), ``value`` and, for several series, ``series`` and ``measure``.
    specs : sequence of (str, str)
        (series, measure) pairs.
    """
    rows = []
    for s, m in specs:
        o = series_obs(obs, s, m)
        rows.append(
            {
                "series": series_label(s),
                "measure": m,
                "windows": len(o),
                "first_day": o["period_start"].min().date(),
                "last_day": o["period_end"].max().date(),
                "days_reported": int(((o["period_end"] - o["period_start"]).dt.days + 1).sum()),
                "total_reported": int(o["value"].sum()),
            }
        )
    return pd.DataFrame(rows)


#: Notebook 01's series: the key departure series and national passport deferrals.
TREND_SPECS: tuple[tuple[str, str], ...] = (
    *((k, KEY_MEASURE) for k in KEY_SERIES),
    ("national", "passport_deferral_pmi_suspected"),
)
#: The broader measure of each measure (all deferral or refusal reasons), for the robustness table.
BROADER = {
    "dep_deferral_wni_pmi_suspected": "dep_deferral_wni_all_reasons",
    "passport_deferral_pmi_suspected": "passport_refusal_all_reasons",
}
#: Soekarno-Hatta's windows of 2025 the notebook predicts (its 2025 figures are held out of data/public).
FORECAST_WINDOWS = tuple(
    (f"2025-{m:02d}-01", str((pd.Timestamp(f"2025-{m:02d}-01") + pd.offsets.MonthEnd(0)).date())) for m in range(1, 7)
)


def trend_fits(
    obs: pd.DataFrame, specs: Sequence[tuple[str, str]] = TREND_SPECS, *, holidays=False, reopening=None
) -> dict[tuple[str, str], BoundFit]:
    """Fit each (series, measure) with the model the backtest chose (:func:`tppo_analysis.models.fits.fit_specs`).

    Parameters
    ----------
    obs : DataFrame
        Reconciled windows of several series (columns ``series``, ``measure``, ``period_start``, ``period_end``,
        ``value``).
    specs : sequence of (str, str)
        (series, measure) pairs; the key departure series are fitted together when the rule pools them.
    holidays : bool or sequence of str
        Holiday terms, as for :class:`~tppo_analysis.models.interval.model.IntervalCountModel`.
    reopening : date-like, optional
        Start of the post-reopening regime (default: the event table, else 1 April 2022).

    Returns
    -------
    dict
        (series, measure) -> :class:`~tppo_analysis.models.fits.BoundFit`.
    """
    return fit_specs(obs, specs, holidays=holidays, reopening=reopening)


def window_check(fit: BoundFit, o: pd.DataFrame, *, level: float = 0.9, seed: int = 0) -> pd.DataFrame:
    """Every reported window ``o`` of one series with the fitted total and its ``level`` prediction interval.

    Parameters
    ----------
    fit : BoundFit
        One series of a fit.
    o : DataFrame
        The windows of one series.
    level : float
        Confidence or prediction level, between 0 and 1.
    seed : int
        Seed of the random draws (results are reproducible).
    """
    rows = []
    for w in o.itertuples(index=False):
        p = fit.predict_window(w.period_start, w.period_end, level=level, seed=seed)
        rows.append(
            {
                "period_start": w.period_start.date(),
                "period_end": w.period_end.date(),
                "reported": w.value,
                "fitted": p["mean"],
                "lower": int(p["lower"]),
                "upper": int(p["upper"]),
                "inside": bool(p["lower"] <= w.value <= p["upper"]),
            }
        )
    return round_frame(pd.DataFrame(rows))


def _latest_change(o: pd.DataFrame, fit: BoundFit | None, level: float) -> dict:
    """Return the change between the last two reported years of one series (over their common days) under ``fit``."""
    if len(o) < 2 or fit is None:
        return {"windows": len(o), "note": "no windows" if len(o) == 0 else "one window only"}
    o = o.assign(period_start=pd.to_datetime(o["period_start"]), period_end=pd.to_datetime(o["period_end"]))
    periods = covered_periods(o)
    if len(periods) < 2:
        return {"windows": len(o), "note": "one reported year only"}
    (y0, a0, b0), (y1, a1, b1) = periods[-2], periods[-1]
    start, end = max((a0.month, a0.day), (a1.month, a1.day)), min((b0.month, b0.day), (b1.month, b1.day))
    if start > end:
        return {"windows": len(o), "note": "the last two reported years share no reported days"}
    p0 = (pd.Timestamp(y0, *start), pd.Timestamp(y0, *end))
    p1 = (pd.Timestamp(y1, *start), pd.Timestamp(y1, *end))
    ch = fit.period_change(p0, p1, level=level)
    ok = ch["identified"] != "no"
    return {
        "windows": len(o),
        "earlier": _span_label(*p0),
        "later": _span_label(*p1),
        "ratio": ch["estimate"] if ok else np.nan,
        "ci_lower": ch["ci_lower"] if ok else np.nan,
        "ci_upper": ch["ci_upper"] if ok else np.nan,
        "identified": ch["identified"],
        "note": "" if ok else NOT_BOUNDED,
    }


def robustness_table(
    figures: pd.DataFrame,
    specs: Sequence[tuple[str, str]] = TREND_SPECS,
    *,
    broader: Mapping[str, str] | None = None,
    reopening=None,
    level: float = 0.9,
) -> pd.DataFrame:
    """Tabulate the latest change of each series under the other reconciliation rules.

    The latest period change of each (series, measure) under the other reconciliation rules and, where
    ``broader`` names one, on the broader measure (all reasons), fitted as the headline table is (the key series
    pooled when the rule pools them).

    Rules: vintage in {latest (headline), earliest} x conflicts in {set_aside (headline), prefer_longer (ignores the
    override table, so uses figures the headline sets aside)}. Columns: series, measure, rule, windows, earlier,
    later, ratio, ci_lower, ci_upper, identified, note (why a row has no estimate).

    Parameters
    ----------
    figures : DataFrame
        The public record as loaded by :func:`tppo_analysis.load_public_record`.
    specs : sequence of (str, str)
        (series, measure) pairs.
    broader : mapping of str to str, optional
        Measure -> its broader measure.
    reopening : date-like, optional
        Start of the post-reopening regime (default: the event table, else 1 April 2022).
    level : float
        Confidence or prediction level, between 0 and 1.
    """
    from ..record.reconciliation import reconcile

    variants: list[tuple[Literal["latest", "earliest"], Literal["set_aside", "prefer_longer"]]] = [
        ("latest", "set_aside"),
        ("earliest", "set_aside"),
        ("latest", "prefer_longer"),
        ("earliest", "prefer_longer"),
    ]
    rows = []
    for vintage, conflicts in variants:
        obs = reconcile(figures, vintage=vintage, conflicts=conflicts, overrides=conflicts == "set_aside")[0]
        headline = vintage == "latest" and conflicts == "set_aside"
        rule = f"vintage={vintage}, conflicts={conflicts}" + (" (headline)" if headline else "")
        todo = [(s, m, rule) for s, m in specs]
        if headline and broader:
            todo = [
                row
                for s, m in specs
                for row in [(s, m, rule)]
                + ([(s, broader[m], "broader measure, headline rules")] if m in broader else [])
            ]
        sel = {(s, m): obs[(obs["series"] == s) & (obs["measure"] == m)] for s, m, _ in todo}
        # the same fits as the headline table: the key series pooled when the rule pools them
        fits = fit_specs(obs, [k for k, o in sel.items() if len(o) >= 2], reopening=reopening)
        for s, m, r in todo:
            change = _latest_change(sel[(s, m)], fits.get((s, m)), level)
            rows.append({"series": series_label(s), "measure": m, "rule": r, **change})
    cols = [
        "series",
        "measure",
        "rule",
        "windows",
        "earlier",
        "later",
        "ratio",
        "ci_lower",
        "ci_upper",
        "identified",
        "reliability",
        "note",
    ]
    out = pd.DataFrame(rows)
    n = pd.to_numeric(out["windows"], errors="coerce")
    out["reliability"] = [
        f"{int(k)} windows under this rule; trend model chosen by backtest" if k > 0 else "no windows under this rule"
        for k in n
    ]
    return round_frame(out.reindex(columns=cols))


def forecast_table(
    fit: BoundFit,
    label: str,
    windows: Sequence[tuple[str, str]] = FORECAST_WINDOWS,
    *,
    level: float = 0.9,
    seed: int = 0,
) -> pd.DataFrame:
    """Predicted totals for future ``windows`` ((start, end) pairs): mean and ``level`` interval.

    Parameters
    ----------
    fit : BoundFit
        One series of a fit.
    label : str
        Plain label of the series.
    windows : sequence of (str, str)
        (first, last) day of each future window.
    level : float
        Confidence or prediction level, between 0 and 1.
    seed : int
        Seed of the random draws (results are reproducible).
    """
    rows = []
    for a, b in windows:
        p = fit.predict_window(a, b, level=level, seed=seed)
        rows.append(
            {
                "series": label,
                "period_start": pd.Timestamp(a).date(),
                "period_end": pd.Timestamp(b).date(),
                "mean": p["mean"],
                "lower": int(p["lower"]),
                "upper": int(p["upper"]),
                "level": level,
                "width": (p["upper"] + 1) / (p["lower"] + 1),
                "reliability": "trend model chosen by backtest, fitted to every reported window; "
                f"{level:.0%} prediction interval from parameter uncertainty and count noise",
                "note": "stated before any comparison with the figures kept out of data/public/",
            }
        )
    return round_frame(pd.DataFrame(rows))


def break_table(o: pd.DataFrame, breaks: Mapping[str, object], *, reopening=None, level: float = 0.95) -> pd.DataFrame:
    """Tabulate level shifts at known dates added to the recommended model.

    Level shifts at known dates added to the recommended model: estimate as a rate ratio with its interval and
    ``identified`` (a shift the windows cannot bound is shown as "not bounded").

    Parameters
    ----------
    o : DataFrame
        The windows of one series.
    breaks : mapping of str to date
        Level shifts (name -> first day of the new level).
    reopening : date-like, optional
        Start of the post-reopening regime (default: the event table, else 1 April 2022).
    level : float
        Confidence or prediction level, between 0 and 1.
    """
    base = recommended_interval_model(reopening=reopening)
    model = type(base)(
        base.family,
        trend=base.trend,
        holidays=False,
        breaks={**base.breaks, **{k: pd.Timestamp(v) for k, v in breaks.items()}},
        smoothing=base.smoothing,
        dispersion=base.dispersion,
        forecast=base.forecast,
        drift_sd=base.drift_sd,
    )
    res = model.fit(o)
    tab = res.tidy(level).set_index("term").loc[list(breaks)].reset_index()
    for c in ("estimate", "ci_lower", "ci_upper"):
        tab[c] = np.exp(tab[c])
    tab["scale"] = "ratio"
    return round_frame(tab[["term", "estimate", "ci_lower", "ci_upper", "scale", "level", "identified", "note"]])
