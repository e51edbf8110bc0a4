"""Seasonality of the record from the interval models, for notebook 02.

Seasonality of the record from the interval models, for notebook 02: holiday effects with their identification,
the month-by-month holiday factor, the observed complete months against the holiday-free expectation, and the
figures of the seasonality power study (SYNTHETIC).

Holiday effects come from fits with ridge-penalised holiday terms (prior sd 1 on the log scale): a term the windows
cannot separate shrinks towards 0 and is reported as not identified, never as a number. Tables are rounded here with
:func:`tppo_analysis.protocol.round_frame`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import TppoError
from ..protocol import round_frame
from .interval._predict import NOT_BOUNDED

__all__ = [
    "holiday_effects_table",
    "seasonal_profile",
    "observed_vs_baseline",
    "seasonal_profile_figure",
    "power_table",
    "power_figure",
    "figure_fields",
]


def holiday_effects_table(fits: Mapping[str, Any], *, level: float = 0.95) -> pd.DataFrame:
    """Holiday effects as rate ratios for a day in the period, one row per (fit, term).

    ``fits`` maps a label (e.g. "4 key series, pooled" or a series label) to a fitted interval model (single or
    pooled). Columns: fit, term, rate_ratio, ci_lower, ci_upper, level, identified, reliability, note; a term that
    is not identified has no numbers and the note "not bounded".

    Parameters
    ----------
    fits : mapping of str to fit
        Label -> a fitted interval model (single or pooled) with holiday terms.
    level : float
        Confidence or prediction level, between 0 and 1.
    """
    rows = []
    for label, res in fits.items():
        ident = res.identification().set_index("term")
        tab = res.tidy(level)
        tab = tab[tab["term"].isin(res.model.holiday_terms)].set_index("term")
        n = sum(len(o) for o in res.data.values()) if hasattr(res, "data") else len(res.obs)
        for term in res.model.holiday_terms:
            r = tab.loc[term]
            rows.append(
                {
                    "fit": label,
                    "term": term,
                    "rate_ratio": np.exp(r["estimate"]),
                    "ci_lower": np.exp(r["ci_lower"]),
                    "ci_upper": np.exp(r["ci_upper"]),
                    "level": level,
                    "identified": r["identified"],
                    "reliability": f"{n} windows; ridge prior sd {res.model.prior_sd['holidays']:g} (log scale); "
                    f"data-only 95% interval {np.exp(3.92 * ident.loc[term, 'se_data']):.3g}-fold wide",
                    "note": r["note"] if r["identified"] == "no" else "",
                }
            )
    out = pd.DataFrame(rows)
    out.loc[out["identified"] == "no", ["rate_ratio", "ci_lower", "ci_upper"]] = np.nan
    out.loc[out["identified"] == "no", "note"] = NOT_BOUNDED
    return round_frame(out)


def _holiday_index(res) -> list[int]:
    names = list(res.layout.names)
    return [names.index(h) for h in res.model.holiday_terms]


def _eta(res, days: pd.DatetimeIndex, betas: np.ndarray, series: str | None) -> np.ndarray:
    if series is None:
        return res.layout.eta(days, betas)
    return res.layout.eta(series, days, betas)


def seasonal_profile(
    res,
    year: int | Sequence[int],
    *,
    series: str | None = None,
    n_draws: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> pd.DataFrame:
    """Return the month-by-month holiday factor in ``year`` (or in each of several years, one after the other).

    Month-by-month holiday factor in ``year``: the expected monthly total divided by the same total with every
    holiday coefficient at 0 (trend kept); 1 = no holiday effect that month. Columns: month, factor, ci_lower,
    ci_upper (``level``, from ``n_draws`` posterior draws, seeded), identified ("no" when any holiday term of the
    fit is not identified: the factor is then not shown).

    Parameters
    ----------
    res : IntervalCountResults or PooledIntervalResults
        A fit with holiday terms.
    year : int or sequence of int
        Calendar year, or years (the tables of each year concatenated; the same ``seed`` for each).
    series : str, optional
        Series key for a pooled fit.
    n_draws : int
        Number of parameter and count draws.
    seed : int
        Seed of the random draws (results are reproducible).
    level : float
        Confidence or prediction level, between 0 and 1.
    """
    if not isinstance(year, int | np.integer):
        parts = [seasonal_profile(res, int(y), series=series, n_draws=n_draws, seed=seed, level=level) for y in year]
        return pd.concat(parts, ignore_index=True)
    idx = _holiday_index(res)
    if not idx:
        raise TppoError("the model has no holiday terms")
    days = pd.date_range(f"{year}-01-01", f"{year}-12-31")
    draws = res._draws(n_draws, np.random.default_rng(seed))
    zero = lambda b: np.where(np.isin(np.arange(b.shape[1]), idx)[None, :], 0.0, b)  # noqa: E731
    point = np.exp(_eta(res, days, res.beta[None, :], series))[:, 0]
    point0 = np.exp(_eta(res, days, zero(res.beta[None, :]), series))[:, 0]
    with_h, without = np.exp(_eta(res, days, draws, series)), np.exp(_eta(res, days, zero(draws), series))
    bad = (res.identification().set_index("term").loc[list(res.model.holiday_terms), "identified"] == "no").any()
    month = np.asarray(days.month)
    lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
    rows = []
    for m in range(1, 13):
        sel = month == m
        ratio = with_h[sel].sum(axis=0) / without[sel].sum(axis=0)
        rows.append(
            {
                "month": pd.Timestamp(year, m, 1),
                "factor": point[sel].sum() / point0[sel].sum(),
                "ci_lower": np.quantile(ratio, lo),
                "ci_upper": np.quantile(ratio, hi),
                "identified": "no" if bad else "yes",
                "reliability": f"holiday terms with a ridge prior (sd {res.model.prior_sd['holidays']:g}, log scale); "
                f"{level:.0%} interval from "
                f"{n_draws} parameter draws",
                "note": "not bounded" if bad else "",
            }
        )
    out = pd.DataFrame(rows)
    if bad:
        out[["factor", "ci_lower", "ci_upper"]] = np.nan
    return round_frame(out)


def observed_vs_baseline(res, monthly: pd.DataFrame, *, series: str | None = None) -> pd.DataFrame:
    """Compare observed complete months with the holiday-free expectation.

    Observed complete-month totals (``month``, ``value``) against the fit's expectation for the month with every
    holiday coefficient at 0: ``ratio`` = observed / baseline is the raw month-by-month seasonal signal.

    Parameters
    ----------
    res : IntervalCountResults or PooledIntervalResults
        A fit with holiday terms.
    monthly : DataFrame
        Complete months: ``month`` (first day) and ``value``.
    series : str, optional
        Series key for a pooled fit.
    """
    idx = _holiday_index(res)
    b0 = res.beta.copy()
    b0[idx] = 0.0
    rows = []
    for row in monthly.sort_values("month").itertuples(index=False):
        m0 = pd.Timestamp(row.month)
        days = pd.date_range(m0, m0 + pd.offsets.MonthEnd(0))
        base = float(np.exp(_eta(res, days, b0[None, :], series)).sum())
        rows.append({"month": m0, "observed": int(row.value), "baseline": base, "ratio": row.value / base})
    return round_frame(pd.DataFrame(rows))


def seasonal_profile_figure(profile: pd.DataFrame, raw: pd.DataFrame, *, title: str):
    """Plot the holiday factor by month with the observed months' ratios.

    Holiday factor by month (line and band) per year with the observed months' ratios (dots). Returns the
    figure.

    Parameters
    ----------
    profile : DataFrame
        Rows of :func:`seasonal_profile` for one or more years.
    raw : DataFrame
        Rows of :func:`observed_vs_baseline`.
    title : str
        Figure title.
    """
    import matplotlib.pyplot as plt

    years = sorted(profile["month"].dt.year.unique())
    fig, axes = plt.subplots(1, len(years), figsize=(4.5 * len(years), 3.6), sharey=True, squeeze=False)
    names = [pd.Timestamp(2000, m, 1).strftime("%b") for m in range(1, 13)]
    for ax, year in zip(axes[0], years, strict=True):
        p = profile[profile["month"].dt.year == year]
        r = raw[raw["month"].dt.year == year]
        ax.fill_between(
            p["month"].dt.month,
            p["ci_lower"],
            p["ci_upper"],
            color="#0072B2",
            alpha=0.2,
            linewidth=0,
            label="95% interval",
        )
        ax.plot(p["month"].dt.month, p["factor"], color="#0072B2", marker="o", markersize=3, label="model factor")
        ax.scatter(r["month"].dt.month, r["ratio"], color="#D55E00", zorder=3, s=18, label="observed / baseline")
        ax.axhline(1.0, color="#444444", linewidth=0.8)
        ax.set_xticks(range(1, 13), names, fontsize=8)
        ax.set_title(str(year), loc="left", fontsize=9)
    axes[0, 0].set_ylabel("ratio to the holiday-free expectation")
    axes[0, 0].legend(fontsize=8, loc="lower left")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def power_table(path) -> pd.DataFrame:
    """Return the committed seasonality power study (SYNTHETIC), rounded for display.

    Parameters
    ----------
    path : path-like
        The study's CSV file.
    """
    cols = ["data", "series", "n_windows", "alpha", "rate_ratio", "power_lr", "mc_se_lr", "power_wald", "mc_se_wald"]
    return round_frame(pd.read_csv(path)[cols])


def power_figure(power: pd.DataFrame):
    """Plot detection power by planted rate ratio and series.

    Detection power by planted rate ratio and series (LR test solid with 2 MC SE bars, Wald dashed). Returns the
    figure (the caller saves it with ``synthetic=True``).

    Parameters
    ----------
    power : DataFrame
        Rows of the seasonality power study.
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    colours = ["#0072B2", "#E69F00", "#000000", "#56B4E9"]
    groups = list(power.groupby("series", sort=False))
    if len(groups) > len(colours):
        raise TppoError(f"power_figure draws at most {len(colours)} series, got {len(groups)}")
    for (series, g), colour in zip(groups, colours[: len(groups)], strict=True):
        ax.errorbar(
            g["rate_ratio"],
            g["power_lr"],
            yerr=2 * g["mc_se_lr"],
            color=colour,
            linestyle="-",
            marker="o",
            markersize=4,
            capsize=2,
            label=f"{series} (LR test)",
        )
        ax.plot(g["rate_ratio"], g["power_wald"], color=colour, linestyle="--", linewidth=1, label=f"{series} (Wald)")
    ax.axhline(0.8, color="#444444", linewidth=0.8, linestyle=":")
    ax.axhline(0.05, color="#444444", linewidth=0.8, linestyle=":")
    ax.set_xscale("log")
    ticks = sorted(power["rate_ratio"].unique())
    ax.set_xticks(ticks, [f"{v:g}" for v in ticks])
    ax.minorticks_off()
    ax.set_xlabel("planted rate ratio, days 0..20 from Idul Fitri (log scale)")
    ax.set_ylabel("share of replications detected (p < 0.05)")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7, loc="upper center", ncol=2)
    ax.set_title("SYNTHETIC: power to detect a post-Idul-Fitri effect on the record's windows", fontsize=10)
    fig.tight_layout()
    return fig


def figure_fields(name: str, n_windows: int | None = None) -> dict:
    """Return the structured sidecar fields of notebook 02's figures (``tppo.save_figure(fig, name, **fields)``).

    Parameters
    ----------
    name : str
        ``"02_seasonal_profile"`` or ``"02_seasonality_power"``.
    n_windows : int, optional
        Number of Soekarno-Hatta windows, for ``"02_seasonal_profile"``.

    Returns
    -------
    dict
        ``source``, ``what``, ``series``, ``period``, ``n``, ``interval``, ``model`` (and ``synthetic``).
    """
    if name == "02_seasonal_profile":
        return {
            "source": "public statements compiled in data/public, reconciled by tppo.reconcile",
            "what": "Holiday factor by month (expected total over the holiday-free expectation) with the observed "
            "complete months relative to that expectation (dots)",
            "series": ["Soekarno-Hatta airport (Tangerang, Banten)"],
            "period": "2023 and 2024",
            "n": f"{n_windows} reconciled windows",
            "interval": "95% intervals from 2,000 parameter draws",
            "model": "interval count model chosen by backtest, with Ramadan and post-Idul-Fitri terms",
        }
    if name == "02_seasonality_power":
        return {
            "source": "results/studies/seasonality_power.csv (scripts/interval_coverage_study.py --power)",
            "what": "Share of simulated records in which a planted post-Idul-Fitri effect is detected (p < 0.05), "
            "by planted rate ratio; likelihood-ratio test solid, Wald test dashed",
            "series": ["each series' own reconciled windows and noise level"],
            "period": "the record's windows, 2017-2025",
            "n": "200 replications per rate ratio",
            "interval": "bars: 2 Monte Carlo standard errors",
            "model": "interval count model, NB2, linear trend",
            "synthetic": True,
        }
    raise TppoError(f"no figure fields for {name!r}")
