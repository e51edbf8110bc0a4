"""A small SYNTHETIC panel with integer periods: the planted truth of the effect-estimator tests and studies."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._common import SyntheticPanel, _label

__all__ = ["small_panel"]


def small_panel(
    *,
    seed: int = 0,
    n_villages: int = 400,
    n_periods: int = 24,
    cohorts: tuple[int, ...] = (9, 13, 17),
    share_treated: float = 0.3,
    effect_rr: float = 0.7,
    ramp: int = 1,
    trend_slope: float = 0.04,
    village_sd: float = 1.0,
    selection: float = 1.0,
    base_rate: float = 2.0,
    dispersion: float | None = None,
) -> SyntheticPanel:
    """Return a small SYNTHETIC panel with integer periods 1..n_periods, for tests and coverage studies.

    Multiplicative structure: mean = base_rate * exp(village effect) * exp(trend_slope * t) * RR; treatment is more
    likely for high-propensity villages (``selection`` = log-odds per SD of the village effect), so levels-based
    parallel trends fail while ratio-scale parallel trends hold. Cohorts are integer start periods.

    Parameters
    ----------
    seed : int
        Seed of the numpy Generator (the only source of randomness).
    n_villages, n_periods : int
        Panel size: villages and periods 1..``n_periods``.
    cohorts : tuple of int
        Start periods a treated village is assigned to (uniformly).
    share_treated : float
        Share of villages treated at average propensity.
    effect_rr, ramp : float, int
        Rate ratio of the program, reached ``ramp`` periods after the start.
    trend_slope : float
        Common log-linear trend per period.
    village_sd : float
        Standard deviation of the normal log village effect.
    selection : float
        Log-odds of treatment per standard deviation of the village effect (selection on sending level).
    base_rate : float
        Mean count per village-period at village effect 0, period 0.
    dispersion : float or None
        Gamma-Poisson shape (None = Poisson).

    Returns
    -------
    SyntheticPanel
        ``panel`` (data, unit, period, cohort, y, baseline_sending), ``villages`` (unit, cohort, propensity),
        ``true_effects``, ``true_overall`` (the Poisson ETWFE "simple" estimand) and ``params`` (with ``true_att``,
        the level ATT on the treated).
    """
    rng = np.random.default_rng(seed)
    a = rng.normal(0, village_sd, n_villages)
    z = (a - a.mean()) / a.std()
    p = 1 / (1 + np.exp(-(np.log(share_treated / (1 - share_treated)) + selection * z)))
    treated = rng.random(n_villages) < p
    g = np.where(treated, rng.choice(np.asarray(cohorts), n_villages), 0)
    t = np.arange(1, n_periods + 1)
    e = t[None, :] - g[:, None]
    on = (g[:, None] > 0) & (e >= 0)
    log_rr = np.where(on, np.log(effect_rr) * np.minimum(1.0, (e + 1) / ramp), 0.0)
    mu0 = base_rate * np.exp(a)[:, None] * np.exp(trend_slope * t)[None, :]
    mu = mu0 * np.exp(log_rr)
    y = rng.poisson(mu if dispersion is None else rng.gamma(dispersion, mu / dispersion))
    panel = pd.DataFrame(
        {
            "unit": np.repeat(np.arange(n_villages), n_periods),
            "period": np.tile(t, n_villages),
            "cohort": np.repeat(g, n_periods),
            "y": y.reshape(-1),
            "baseline_sending": np.repeat(mu0[:, : min(cohorts) - 1].mean(axis=1), n_periods),
        }
    )
    true_overall = float(mu[on].sum() / mu0[on].sum()) if on.any() else 1.0
    # level ATT truth: mean over treated post cells of mu0 * (RR - 1)
    true_att = float((mu - mu0)[on].mean()) if on.any() else 0.0
    ev = np.arange(0, n_periods - min(cohorts) + 1)
    true = pd.DataFrame({"event_time": ev, "rate_ratio": np.exp(np.log(effect_rr) * np.minimum(1.0, (ev + 1) / ramp))})
    params = dict(
        seed=seed,
        n_villages=n_villages,
        n_periods=n_periods,
        effect_rr=effect_rr,
        true_att=true_att,
        selection=selection,
        trend_slope=trend_slope,
    )
    vill = pd.DataFrame({"unit": np.arange(n_villages), "cohort": g, "propensity": base_rate * np.exp(a)})
    return SyntheticPanel(_label(panel), _label(vill), _label(true), true_overall, params)
