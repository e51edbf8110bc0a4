"""SYNTHETIC program/comparison village panels for power calculations: staggered waves, heavy-tailed rates."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._common import _label

__all__ = ["simulate_design"]


def simulate_design(
    *,
    n_program: int,
    control_ratio: float = 4.0,
    n_months: int = 36,
    first_launch: int = 13,
    last_launch: int = 22,
    n_waves: int = 4,
    base_rate: float = 1.0,
    effect_rr: float = 0.8,
    village_sd: float = 1.0,
    dispersion: float = 2.0,
    trend_per_year: float = 0.1,
    seed: int = 0,
) -> pd.DataFrame:
    """SYNTHETIC village x month panel for a power calculation.

    ``n_program`` program villages launch in ``n_waves`` equally spaced waves from ``first_launch`` to ``last_launch``
    (villages assigned to waves at random); ``control_ratio``
    comparison villages per program village never launch. Village mean rates are log-normal (sd ``village_sd``)
    with mean ``base_rate`` deferrals per village-month at month 1; counts are negative binomial with shape
    ``dispersion``; a common multiplicative trend of ``trend_per_year`` (log scale); program villages' rate is
    multiplied by ``effect_rr`` from their launch month on.

    Parameters
    ----------
    n_program : int
        Program villages.
    control_ratio : float
        Comparison villages per program village.
    n_months : int
        Months 1..``n_months``.
    first_launch, last_launch, n_waves : int
        Launch months of the waves (equally spaced, rounded).
    base_rate : float
        Mean deferrals per village-month at month 1.
    effect_rr : float
        Rate ratio of the program from the launch month on.
    village_sd : float
        Standard deviation of the log-normal village rates.
    dispersion : float
        Negative-binomial (gamma-Poisson) shape.
    trend_per_year : float
        Common log-linear trend per year.
    seed : int
        Seed of the numpy Generator (the only source of randomness).

    Returns
    -------
    DataFrame
        Columns data (``"SYNTHETIC"``), village, month, first_treated (0 = never), deferrals.
    """
    rng = np.random.default_rng(seed)
    n_c = int(round(n_program * control_ratio))
    n = n_program + n_c
    waves = np.round(np.linspace(first_launch, last_launch, n_waves)).astype(np.int64)
    g = np.concatenate([rng.choice(waves, n_program), np.zeros(n_c, dtype=np.int64)])
    a = rng.normal(-(village_sd**2) / 2, village_sd, n)
    t = np.arange(1, n_months + 1)
    mu = base_rate * np.exp(a)[:, None] * np.exp(trend_per_year / 12 * (t - 1))[None, :]
    on = (g[:, None] > 0) & (t[None, :] >= g[:, None])
    mu = np.where(on, mu * effect_rr, mu)
    y = rng.poisson(rng.gamma(dispersion, mu / dispersion))
    df = pd.DataFrame(
        {
            "village": np.repeat(np.arange(n), n_months),
            "month": np.tile(t, n),
            "first_treated": np.repeat(g, n_months),
            "deferrals": y.reshape(-1),
        }
    )
    return _label(df)
