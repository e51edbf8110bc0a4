"""SYNTHETIC counts observed only as totals over windows: the planted truth of the interval-model studies.

A daily mean with a linear trend and moving-holiday effects (:func:`true_daily_mean`) is summed over each window and
a total drawn per window, Poisson or window-level gamma-Poisson (NB2) (:func:`simulate_totals`,
:func:`draw_window_totals`). The coverage study ``scripts/interval_coverage_study.py`` and the detection-power study
(:func:`tppo_analysis.design.power.detection_power`) draw their data here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...sources.calendar import daily_holiday_indicators

__all__ = ["TRUTH", "ORIGIN", "ALPHA", "SPAN", "true_daily_mean", "simulate_totals", "draw_window_totals"]

#: Planted coefficients (log scale; trend per year; intercept = log daily mean at ORIGIN outside holidays).
TRUTH = {"intercept": np.log(12.0), "trend": 0.15, "pre_idul_fitri": 0.5, "post_idul_fitri": -0.4}
ORIGIN = pd.Timestamp("2023-07-02")
ALPHA = 0.02  # window-level NB2 overdispersion in the negbin scenario
SPAN = (pd.Timestamp("2022-01-01"), pd.Timestamp("2025-09-30"))


def true_daily_mean(truth: dict = TRUTH) -> pd.Series:
    """Return the planted daily mean over :data:`SPAN`.

    Parameters
    ----------
    truth : dict
        Log-scale coefficients: ``intercept`` (log daily mean at :data:`ORIGIN` outside holidays), ``trend`` (per
        year of 365.25 days) and any of ``ramadan``, ``pre_idul_fitri``, ``post_idul_fitri``, ``pre_idul_adha``
        (log rate ratios of the daily indicators of :func:`tppo_analysis.sources.calendar.daily_holiday_indicators`).

    Returns
    -------
    Series
        Expected persons per day, indexed by date.
    """
    cal = daily_holiday_indicators(*SPAN).set_index("date")
    years = (cal.index - ORIGIN).days.to_numpy() / 365.25
    eta = truth["intercept"] + truth["trend"] * years
    for term in ("ramadan", "pre_idul_fitri", "post_idul_fitri", "pre_idul_adha"):
        eta = eta + truth.get(term, 0.0) * cal[term].to_numpy()
    return pd.Series(np.exp(eta), index=cal.index)


def draw_window_totals(means: np.ndarray, rng: np.random.Generator, *, family: str, alpha: float) -> np.ndarray:
    """One realisation of window totals with the given expected totals.

    Parameters
    ----------
    means : ndarray
        Expected total of each window.
    rng : numpy.random.Generator
        The source of randomness: a gamma draw per window (``negbin`` only), then a Poisson draw per window.
    family : {"poisson", "negbin"}
        Poisson totals, or gamma-Poisson totals with window-level NB2 dispersion ``alpha``
        (``Var = m + alpha m**2``).
    alpha : float
        NB2 dispersion (``negbin`` only).

    Returns
    -------
    ndarray
        Integer totals, one per window.
    """
    if family == "negbin":
        means = means * rng.gamma(1.0 / alpha, alpha, size=len(means))
    return rng.poisson(means)


def simulate_totals(mu: pd.Series, windows: pd.DataFrame, family: str, rng: np.random.Generator) -> np.ndarray:
    """Draw one realisation of the totals over ``windows``.

    One realisation of the totals over ``windows`` (Poisson: daily Poisson counts summed; negbin: window-level
    gamma-Poisson with :data:`ALPHA`).

    Parameters
    ----------
    mu : Series
        Expected persons per day, indexed by consecutive dates covering every window (:func:`true_daily_mean`).
    windows : DataFrame
        ``period_start`` and ``period_end`` (inclusive dates).
    family : {"poisson", "negbin"}
        Count distribution of a window total.
    rng : numpy.random.Generator
        The source of randomness.

    Returns
    -------
    ndarray
        Integer totals, one per window.
    """
    cum = np.concatenate([[0.0], np.cumsum(mu.to_numpy())])
    day0 = mu.index[0]
    i0 = (windows["period_start"] - day0).dt.days.to_numpy()
    i1 = (windows["period_end"] - day0).dt.days.to_numpy() + 1
    m = cum[i1] - cum[i0]
    return draw_window_totals(m, rng, family=family, alpha=ALPHA)
