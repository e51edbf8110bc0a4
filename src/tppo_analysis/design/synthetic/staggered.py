"""SYNTHETIC balanced staggered-adoption count panels for checking and benchmarking the Poisson ETWFE.

Bare estimator inputs (no geography, no ``data`` column): :func:`staggered_panel` is the small integer-period panel
the Poisson ETWFE is checked on against pyfixest, diff-diff and its planted truth; :func:`benchmark_panel` is the
village x month panel of any size the benchmarks (``bench/``) time the estimators on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["staggered_panel", "benchmark_panel"]


def staggered_panel(n=240, T=8, seed=0, cohorts=(0, 4, 6, 7), probs=(0.4, 0.2, 0.2, 0.2), effect=-0.3, base=1.0):
    """Synthetic balanced panel: unit heterogeneity, common log-linear trend, dynamic rate-ratio effect.

    Parameters
    ----------
    n, T : int
        Units and periods 1..``T``.
    seed : int
        Seed of the numpy Generator (cohorts, unit effects, counts).
    cohorts, probs : tuple
        Start periods (0 = never treated) and the probability of each.
    effect : float
        Log rate ratio at adoption; it grows by 0.05 per period after.
    base : float
        Log mean count at unit effect 0 in period 1.

    Returns
    -------
    DataFrame
        Columns unit, t, g (cohort, 0 = never), y (Poisson counts with mean
        ``exp(base + a_unit + lambda_t + effect_gt)``, ``a`` normal with sd 0.7, ``lambda`` from 0 to 0.5).
    """
    rng = np.random.default_rng(seed)
    coh = rng.choice(np.array(cohorts), size=n, p=np.array(probs))
    a = rng.normal(0, 0.7, n)
    lam = np.linspace(0, 0.5, T)
    u = np.repeat(np.arange(n), T)
    t = np.tile(np.arange(1, T + 1), n)
    g = coh[u]
    eff = np.where((g > 0) & (t >= g), effect + 0.05 * (t - g), 0.0)
    y = rng.poisson(np.exp(base + a[u] + lam[t - 1] + eff))
    return pd.DataFrame({"unit": u, "t": t, "g": g, "y": y})


def benchmark_panel(
    n_villages: int,
    n_months: int = 72,
    n_cohorts: int = 36,
    n_treated: int | None = None,
    seed: int = 0,
    rate: float = 2.0,
    effect: float = 0.8,
) -> pd.DataFrame:
    """SYNTHETIC balanced village x month count panel with monthly staggered cohorts.

    Cohorts are months ``n_months//3 .. n_months//3 + n_cohorts - 1`` (24..59 for 72 months), equally filled;
    ``n_treated`` defaults to 20% of villages but at least 10 per cohort (at most 75%). Village rates are gamma
    (heavy tailed) with mean ``rate`` per month, a multiplicative trend and seasonality, and a constant rate ratio
    ``effect`` after adoption.

    Parameters
    ----------
    n_villages, n_months, n_cohorts : int
        Panel size (months from 2019-01) and number of monthly launch cohorts.
    n_treated : int, optional
        Program villages (default as above).
    seed : int
        Seed of the numpy Generator (program villages, village rates, counts).
    rate : float
        Mean deferrals per village-month before the trend.
    effect : float
        Rate ratio of the program after adoption.

    Returns
    -------
    DataFrame
        Columns village_code (made-up dotted codes), month (Period[M]), first_treated (Period[M], NaT = never),
        deferrals (int32).
    """
    rng = np.random.default_rng(seed)
    if n_treated is None:  # 20% of villages, but at least 10 per cohort (no empty treated cells), at most 75%
        n_treated = min(max(round(0.2 * n_villages), 10 * n_cohorts), round(0.75 * n_villages))
    n_treated = int(n_treated)
    months = pd.period_range("2019-01", periods=n_months, freq="M")
    first = n_months // 3
    cohort_idx = np.full(n_villages, -1)
    treated = rng.choice(n_villages, size=n_treated, replace=False)
    cohort_idx[treated] = first + (np.arange(n_treated) % n_cohorts)
    alpha = rng.gamma(2.0, rate / 2.0, n_villages)
    t = np.arange(n_months)
    trend = np.exp(0.004 * t + 0.1 * np.sin(2 * np.pi * t / 12))
    mu = alpha[:, None] * trend[None, :]
    post = (cohort_idx[:, None] >= 0) & (t[None, :] >= cohort_idx[:, None])
    mu = np.where(post, mu * effect, mu)
    y = rng.poisson(mu).astype(np.int32)
    cohort = pd.PeriodIndex.from_ordinals(months.asi8[0] + np.maximum(cohort_idx, 0), freq="M")
    cohort_arr = np.where(cohort_idx >= 0, cohort.asi8, np.iinfo(np.int64).min)
    codes = np.array(
        [
            f"{11 + i // 100000:02d}.{(i // 1000) % 100:02d}.{(i // 10) % 100:02d}.{2001 + i % 10000:04d}"
            for i in range(n_villages)
        ]
    )
    return pd.DataFrame(
        {
            "village_code": np.repeat(codes, n_months),
            "month": pd.PeriodIndex.from_ordinals(np.tile(months.asi8, n_villages), freq="M"),
            "first_treated": pd.PeriodIndex.from_ordinals(np.repeat(cohort_arr, n_months), freq="M"),
            "deferrals": y.reshape(-1),
        }
    )
