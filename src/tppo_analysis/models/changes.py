"""Changes between the periods a series' record covers, and how they depend on the model that estimates them.

Trends are stated as changes in the expected mean daily rate between consecutive reported years, over the calendar
days both report (:func:`period_changes`). :func:`model_sensitivity` gives the same changes for the key departure
series under the model the rule chose and under its two closest alternatives (the other pooled dispersion variant,
each series alone), so a reader sees which statements the choice of model carries. Moved here from ``trends`` (which
re-exports every public name) to keep modules under 500 lines.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import TppoError
from ..protocol import round_frame
from ..sources.labels import series_label
from .choice import (
    RECOMMENDED,
    _regime_starts_from_events,
    alone_name,
    pooled_name,
    recommended_interval_model,
    single_options,
)
from .fits import BoundFit, chosen_model_name, fit_pooled_recommended, fit_specs
from .interval import KEY_MEASURE, KEY_SERIES
from .interval._predict import NOT_BOUNDED, covered_days

__all__ = ["series_obs", "covered_periods", "period_changes", "model_sensitivity"]


def series_obs(obs: pd.DataFrame, series: str, measure: str = KEY_MEASURE) -> pd.DataFrame:
    """Return the reconciled windows of one (series, measure), sorted by start; raises when there are none.

    Parameters
    ----------
    obs : DataFrame
        Reconciled windows: ``period_start``, ``period_end`` (inclusive dates), ``value`` and, for several series, ``series`` and ``measure``.
    series : str
        Series key.
    measure : str
        Measure of the windows (default: suspected non-procedural departure deferrals).
    """
    o = obs[(obs["series"] == series) & (obs["measure"] == measure)].sort_values("period_start")
    if o.empty:
        raise TppoError(f"no observations for series {series!r}, measure {measure!r}")
    return o.reset_index(drop=True)


def covered_periods(o: pd.DataFrame) -> list[tuple[int, pd.Timestamp, pd.Timestamp]]:
    """Return, per calendar year, the first run of reported days.

    Per calendar year with reported days: (year, first, last) of the longest run of reported days that starts on
    the year's first reported day.

    Parameters
    ----------
    o : DataFrame
        The windows of one series.
    """
    days = covered_days(o)
    out = []
    for year in sorted(set(days.year)):
        d = days[days.year == year]
        breaks = np.flatnonzero(np.diff(d.asi8) > 86_400 * 10**9)
        end = d[breaks[0]] if len(breaks) else d[-1]
        out.append((int(year), d[0], end))
    return out


def _span_label(a: pd.Timestamp, b: pd.Timestamp) -> str:
    if a.month == 1 and a.day == 1 and b.month == 12 and b.day == 31:
        return str(a.year)
    return f"{a.day} {a:%b} - {b.day} {b:%b %Y}"


def _poisson_caveat(fit) -> str:
    """Say so when a negative-binomial fit estimated a series' over-dispersion at 0 (its interval is Poisson)."""
    res = getattr(fit, "res", fit)
    alpha = getattr(res, "alpha", None)
    if isinstance(alpha, Mapping):
        alpha = alpha.get(getattr(fit, "series", None))
    if getattr(res, "family", "negbin") == "negbin" and alpha is not None and float(alpha) == 0.0:
        return "; over-dispersion estimated at 0 from these windows: the interval shows counting noise only"
    return ""


def period_changes(
    fits: Mapping[tuple[str, str], BoundFit],
    obs: pd.DataFrame,
    *,
    level: float = 0.9,
    model: str = "trend model chosen by backtest",
) -> pd.DataFrame:
    """Tabulate changes between consecutive reported years of each series.

    Change in the expected mean daily rate between consecutive reported years of each series, over the calendar
    days both years report (their common within-year span), with a ``level`` interval (parameter uncertainty).

    Columns: series, measure, earlier, later, rate_earlier, rate_later (per day), ratio, ci_lower, ci_upper, level,
    identified, reliability, note.

    Parameters
    ----------
    fits : mapping of (str, str) to BoundFit
        Fits by (series, measure), as from :func:`trend_fits`.
    obs : DataFrame
        Reconciled windows: ``period_start``, ``period_end`` (inclusive dates), ``value`` and, for several series, ``series`` and ``measure``.
    level : float
        Confidence or prediction level, between 0 and 1.
    model : str
        How the fits were made, for the ``reliability`` column.
    """
    rows = []
    for (s, measure), fit in fits.items():
        o = series_obs(obs, s, measure)
        periods = covered_periods(o)
        for (y0, a0, b0), (y1, a1, b1) in zip(periods[:-1], periods[1:], strict=True):
            start = max((a0.month, a0.day), (a1.month, a1.day))
            end = min((b0.month, b0.day), (b1.month, b1.day))
            if start > end:
                continue
            p0 = (pd.Timestamp(y0, *start), pd.Timestamp(y0, *end))
            p1 = (pd.Timestamp(y1, *start), pd.Timestamp(y1, *end))
            ch = fit.period_change(p0, p1, level=level)
            r0 = fit.period_rate(*p0, level=level)["estimate"]
            r1 = fit.period_rate(*p1, level=level)["estimate"]
            n0 = int(((o["period_end"] >= p0[0]) & (o["period_start"] <= p0[1])).sum())
            n1 = int(((o["period_end"] >= p1[0]) & (o["period_start"] <= p1[1])).sum())
            gap = y1 - y0 > 1
            rows.append(
                {
                    "series": series_label(s),
                    "measure": measure,
                    "earlier": _span_label(*p0),
                    "later": _span_label(*p1),
                    "rate_earlier": r0,
                    "rate_later": r1,
                    "ratio": ch["estimate"],
                    "ci_lower": ch["ci_lower"],
                    "ci_upper": ch["ci_upper"],
                    "level": level,
                    "identified": ch["identified"],
                    "reliability": f"{len(o)} windows in the series ({n0} and {n1} in these periods); {model}"
                    + _poisson_caveat(fit),
                    "note": (f"no reported days in {y0 + 1}" if y1 - y0 == 2 else f"no reported days {y0 + 1}-{y1 - 1}")
                    if gap
                    else "",
                }
            )
    out = pd.DataFrame(rows)
    if len(out):
        no = out["identified"] == "no"
        out.loc[no, ["ratio", "ci_lower", "ci_upper"]] = np.nan
        out.loc[no, "note"] = NOT_BOUNDED
    return round_frame(out)


def model_sensitivity(obs: pd.DataFrame, *, level: float = 0.9, reopening=None) -> pd.DataFrame:
    """Tabulate the key series' period changes under the chosen model and its two closest alternatives.

    The rule of ``docs/model_choice.md`` picks the model that predicts held-out windows best; the period changes
    are then read off that model. Whether a change is a property of the record or of the model shows when the
    same changes are estimated by the alternatives the rule compared last: the pooled fit with the other NB2
    dispersion variant (one per series vs one for all series, amendment 2) and each series fitted alone (the model
    of step 5). Rows of :func:`period_changes` for each, with a ``model`` column; rounded here.

    Parameters
    ----------
    obs : DataFrame
        Reconciled windows of several series (columns ``series``, ``measure``, ``period_start``, ``period_end``,
        ``value``).
    level : float
        Confidence level of the ratios, between 0 and 1.
    reopening : date-like, optional
        Start of the post-reopening regime (default: the event table, else 1 April 2022).

    Returns
    -------
    DataFrame
        ``model`` then the columns of :func:`period_changes`, one block per model (chosen first).
    """
    if reopening is None:
        reopening = _regime_starts_from_events()[1]
    specs = [(s, KEY_MEASURE) for s in KEY_SERIES]
    opts = single_options()
    other = not RECOMMENDED.get("shared_dispersion")
    blocks: list[tuple[str, dict]] = [(chosen_model_name(), fit_specs(obs, specs, reopening=reopening))]
    if RECOMMENDED.get("pooled"):
        res = fit_pooled_recommended(obs, KEY_SERIES, reopening=reopening, shared_dispersion=other)
        blocks.append((pooled_name(opts, shared_dispersion=other), {k: BoundFit(res, k[0]) for k in specs}))
    alone = recommended_interval_model(reopening=reopening)
    blocks.append(
        (
            alone_name(opts),
            {(s, m): BoundFit(alone.fit(series_obs(obs, s, m))) for s, m in specs},
        )
    )
    out = [
        period_changes(
            f, obs, level=level, model="trend model chosen by backtest" if i == 0 else f"alternative model: {name}"
        ).assign(model=name)
        for i, (name, f) in enumerate(blocks)
    ]
    table = pd.concat(out, ignore_index=True)
    return table[["model", *[c for c in table.columns if c != "model"]]]
