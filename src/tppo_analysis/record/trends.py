"""Trend tables and figures of the public record for notebook 01, built on the interval models.

The record is windows, not months, so trends are stated as **changes between periods the record covers** (2024 vs
2023 over the days both report, Jan-Apr 2025 vs Jan-Apr 2023, ...) from the model the backtest chose
(``docs/model_choice.md``), each with an interval, an ``identified`` label, a plain-language ``reliability`` and a
``note``. Every table is rounded here, in one place, with :func:`tppo_analysis.protocol.round_frame`, and a term that
is not identified is never shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import TppoError
from ..models.backtest import plot_backtest, score_rows, summarise
from ..models.choice import RECOMMENDED, candidate_name, fit_recommended, recommended_interval_model
from ..models.interval import KEY_MEASURE, KEY_SERIES
from ..models.interval._predict import NOT_BOUNDED, covered_days
from ..protocol import round_frame

__all__ = [
    "KEY_SERIES",
    "KEY_MEASURE",
    "series_obs",
    "series_label",
    "series_table",
    "fit_key_series",
    "covered_periods",
    "period_changes",
    "window_check",
    "robustness_table",
    "forecast_table",
    "break_table",
    "backtest_summary",
    "trend_figure",
    "backtest_figure",
]

_LABELS = {
    "national": "Indonesia, all checkpoints",
    "tpi:soekarno-hatta": "Soekarno-Hatta airport",
    "tpi:juanda": "Juanda airport (Surabaya)",
    "tpi:batam-seaports": "Batam seaports",
}


def series_label(key: str) -> str:
    """Plain label of a series key (``record.summary.series_label`` when it exists, else a short built-in one)."""
    from . import summary

    lookup = getattr(summary, "series_label", None)
    if lookup is not None:
        return str(lookup(key))
    return _LABELS.get(key, key)


def series_obs(obs: pd.DataFrame, series: str, measure: str = KEY_MEASURE) -> pd.DataFrame:
    """The reconciled windows of one (series, measure), sorted by start; raises when there are none."""
    o = obs[(obs["series"] == series) & (obs["measure"] == measure)].sort_values("period_start")
    if o.empty:
        raise TppoError(f"no observations for series {series!r}, measure {measure!r}")
    return o.reset_index(drop=True)


def series_table(obs: pd.DataFrame, specs: Sequence[tuple[str, str]]) -> pd.DataFrame:
    """What each modelled series rests on: windows, first and last day, days reported, total reported."""
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


def fit_key_series(obs: pd.DataFrame, series: Sequence[str] = KEY_SERIES, *, holidays=False, reopening=None):
    """The key series fitted with the model the backtest chose (pooled or one fit per series)."""
    return fit_recommended(obs, series, holidays=holidays, reopening=reopening)


def covered_periods(o: pd.DataFrame) -> list[tuple[int, pd.Timestamp, pd.Timestamp]]:
    """Per calendar year with reported days: (year, first, last) of the longest run of reported days that starts on
    the year's first reported day."""
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
    return f"{a:%d %b} - {b:%d %b %Y}".lstrip("0")


def period_changes(
    fits, obs: pd.DataFrame, series: Sequence[str] = KEY_SERIES, *, level: float = 0.9, measure: str = KEY_MEASURE
) -> pd.DataFrame:
    """Change in the expected mean daily rate between consecutive reported years of each series, over the calendar
    days both years report (their common within-year span), with a ``level`` interval (parameter uncertainty).

    Columns: series, earlier, later, rate_earlier, rate_later (deferrals per day), ratio, ci_lower, ci_upper, level,
    identified, reliability, note."""
    rows = []
    for s in series:
        o = series_obs(obs, s, measure)
        periods = covered_periods(o)
        for (y0, a0, b0), (y1, a1, b1) in zip(periods[:-1], periods[1:]):
            start = max((a0.month, a0.day), (a1.month, a1.day))
            end = min((b0.month, b0.day), (b1.month, b1.day))
            if start > end:
                continue
            p0 = (pd.Timestamp(y0, *start), pd.Timestamp(y0, *end))
            p1 = (pd.Timestamp(y1, *start), pd.Timestamp(y1, *end))
            ch = fits.period_change(p0, p1, level=level, series=s)
            r0 = fits.period_rate(*p0, level=level, series=s)["estimate"]
            r1 = fits.period_rate(*p1, level=level, series=s)["estimate"]
            n0 = int(((o["period_end"] >= p0[0]) & (o["period_start"] <= p0[1])).sum())
            n1 = int(((o["period_end"] >= p1[0]) & (o["period_start"] <= p1[1])).sum())
            gap = y1 - y0 > 1
            rows.append(
                {
                    "series": series_label(s),
                    "earlier": _span_label(*p0),
                    "later": _span_label(*p1),
                    "rate_earlier": r0,
                    "rate_later": r1,
                    "ratio": ch["estimate"],
                    "ci_lower": ch["ci_lower"],
                    "ci_upper": ch["ci_upper"],
                    "level": level,
                    "identified": ch["identified"],
                    "reliability": f"{len(o)} windows in the series ({n0} and {n1} in these periods); trend model chosen "
                    "by backtest",
                    "note": f"no reported days {y0 + 1}-{y1 - 1}" if gap else "",
                }
            )
    out = pd.DataFrame(rows)
    if len(out):
        no = out["identified"] == "no"
        out.loc[no, ["ratio", "ci_lower", "ci_upper"]] = np.nan
        out.loc[no, "note"] = NOT_BOUNDED
    return round_frame(out)


def window_check(
    fits, obs: pd.DataFrame, series: str, *, level: float = 0.9, measure: str = KEY_MEASURE, seed: int = 0
) -> pd.DataFrame:
    """Every reported window of ``series`` with the fitted total and its ``level`` prediction interval."""
    o = series_obs(obs, series, measure)
    rows = []
    for w in o.itertuples(index=False):
        p = fits.predict_window(w.period_start, w.period_end, level=level, seed=seed, series=series)
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


def robustness_table(
    figures: pd.DataFrame, specs: Sequence[tuple[str, str]], *, reopening=None, level: float = 0.9
) -> pd.DataFrame:
    """The latest period change of each (series, measure) under the other reconciliation rules.

    Rules: vintage in {latest (headline), earliest} x conflicts in {set_aside (headline), prefer_longer (ignores the
    override table, so uses figures the headline sets aside)}. Columns: series, measure, rule, windows, earlier,
    later, ratio, ci_lower, ci_upper, identified, note (why a row has no estimate)."""
    from .reconciliation import reconcile

    variants = [
        ("latest", "set_aside"),
        ("earliest", "set_aside"),
        ("latest", "prefer_longer"),
        ("earliest", "prefer_longer"),
    ]
    rows = []
    for vintage, conflicts in variants:
        obs = reconcile(figures, vintage=vintage, conflicts=conflicts, overrides=conflicts == "set_aside")[0]
        rule = f"vintage={vintage}, conflicts={conflicts}" + (
            " (headline)" if vintage == "latest" and conflicts == "set_aside" else ""
        )
        for s, m in specs:
            base = {"series": series_label(s), "measure": m, "rule": rule}
            o = obs[(obs["series"] == s) & (obs["measure"] == m)]
            if len(o) < 2:
                rows.append({**base, "windows": len(o), "note": "fewer than 2 windows"})
                continue
            fit = recommended_interval_model(reopening=reopening).fit(o)
            periods = covered_periods(
                o.assign(period_start=pd.to_datetime(o["period_start"]), period_end=pd.to_datetime(o["period_end"]))
            )
            if len(periods) < 2:
                rows.append({**base, "windows": len(o), "note": "one reported year only"})
                continue
            (y0, a0, b0), (y1, a1, b1) = periods[-2], periods[-1]
            start, end = max((a0.month, a0.day), (a1.month, a1.day)), min((b0.month, b0.day), (b1.month, b1.day))
            if start > end:
                rows.append({**base, "windows": len(o), "note": "the last two years share no reported days"})
                continue
            p0 = (pd.Timestamp(y0, *start), pd.Timestamp(y0, *end))
            p1 = (pd.Timestamp(y1, *start), pd.Timestamp(y1, *end))
            ch = fit.period_change(p0, p1, level=level)
            ok = ch["identified"] != "no"
            rows.append(
                {
                    **base,
                    "windows": len(o),
                    "earlier": _span_label(*p0),
                    "later": _span_label(*p1),
                    "ratio": ch["estimate"] if ok else np.nan,
                    "ci_lower": ch["ci_lower"] if ok else np.nan,
                    "ci_upper": ch["ci_upper"] if ok else np.nan,
                    "identified": ch["identified"],
                    "note": "" if ok else NOT_BOUNDED,
                }
            )
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
        "note",
    ]
    return round_frame(pd.DataFrame(rows).reindex(columns=cols))


def forecast_table(
    fits, series: str, windows: Sequence[tuple[str, str]], *, level: float = 0.9, seed: int = 0
) -> pd.DataFrame:
    """Predicted totals of ``series`` for future ``windows`` ((start, end) pairs): mean and ``level`` interval."""
    rows = []
    for a, b in windows:
        p = fits.predict_window(a, b, level=level, seed=seed, series=series)
        rows.append(
            {
                "series": series_label(series),
                "period_start": pd.Timestamp(a).date(),
                "period_end": pd.Timestamp(b).date(),
                "mean": p["mean"],
                "lower": int(p["lower"]),
                "upper": int(p["upper"]),
                "level": level,
                "width": (p["upper"] + 1) / (p["lower"] + 1),
            }
        )
    return round_frame(pd.DataFrame(rows))


def break_table(o: pd.DataFrame, breaks: Mapping[str, object], *, reopening=None, level: float = 0.95) -> pd.DataFrame:
    """Level shifts at known dates added to the recommended model: estimate as a rate ratio with its interval and
    ``identified`` (a shift the windows cannot bound is shown as "not bounded")."""
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


def backtest_summary(
    bt: pd.DataFrame, *, by: Sequence[str] = ("model",), models: Sequence[str] | None = None, across: bool = False
) -> pd.DataFrame:
    """Backtest metrics (docs/model_choice.md) per model (and ``by``), over the scored windows or, with ``across``,
    over the windows predicted across the closures."""
    sc = score_rows(bt)
    if across:
        sc = sc[sc["across_regime"].astype(bool)].assign(across_regime=False)
    else:
        sc = sc[~sc["across_regime"].astype(bool)]
    out = summarise(sc, by)
    if models is not None:
        out = out[out["model"].isin(models)]
    out["windows"] = out["windows"].astype(int)
    return round_frame(out.sort_values("interval_score_log").reset_index(drop=True))


def chosen_model_name() -> str:
    """The backtest row label of the model the rule chose."""
    opts = {k: v for k, v in RECOMMENDED.items() if k != "pooled"}
    return ("pooled " if RECOMMENDED.get("pooled") else "") + candidate_name(opts)


def trend_figure(
    fits,
    series: Sequence[str] = KEY_SERIES,
    *,
    events: Mapping[str, object] | None = None,
    level: float = 0.9,
    seed: int = 0,
):
    """One panel per series: reported windows under the reconstructed monthly series and its band (log scale,
    months without reported days hatched, ``events`` as dashed lines). Returns the figure."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(series), 1, figsize=(8.5, 2.5 * len(series)), sharex=True, squeeze=False)
    for ax, s in zip(axes[:, 0], series):
        fits.plot(ax=ax, series=s, level=level, seed=seed, events=events)
        ax.set_title(series_label(s), loc="left", fontsize=9)
    axes[0, 0].legend(loc="upper left", fontsize=7, ncol=2)
    axes[-1, 0].set_xlabel("date")
    fig.suptitle(
        "Departure deferrals (suspected non-procedural migrant workers) per day: reported windows and the "
        f"reconstructed monthly series ({int(round(level * 100))}% band)",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


def backtest_figure(bt: pd.DataFrame, models: Sequence[str], labels: Mapping[str, str] | None = None):
    """Predicted against reported held-out windows (log scale, by origin) for ``models``. Returns the figure."""
    fig, ax = plot_backtest(bt, models, labels=labels)
    ax.set_title("Backtest on the record: predicted vs reported held-out windows", fontsize=10)
    fig.tight_layout()
    return fig
