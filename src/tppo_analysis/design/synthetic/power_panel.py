"""SYNTHETIC program/comparison village panels for power calculations: staggered waves, heavy-tailed rates."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._common import _label

__all__ = ["simulate_design", "realistic_design", "REALISTIC_DEFAULTS"]

#: The realistic power design (issue 14): see :func:`realistic_design`.
REALISTIC_DEFAULTS = dict(
    control_ratio=4.0,
    n_months=48,
    launch_window=(19, 36),
    n_waves=6,
    village_sd=1.0,
    control_level=0.5,
    dispersion=2.0,
    trend_per_year=0.05,
    ramp=6,
    spillover_share=0.2,
    spillover_fraction=0.3,
    unmapped_share=0.3,
)


def realistic_arrays(rng: np.random.Generator, *, n_program: int, base_rate: float, effect_rr: float, **options):
    """Draw the arrays of :func:`realistic_design`.

    Parameters
    ----------
    rng : numpy.random.Generator
        The only source of randomness.
    n_program : int
        Program villages.
    base_rate : float
        Deferrals per program village-month before launch.
    effect_rr : float
        The planted rate ratio, phased in over ``ramp`` months.
    **options
        Override :data:`REALISTIC_DEFAULTS` (``control_ratio``, ``n_months``, ``n_waves``, ``launch_window``,
        ``trend_per_year``, ``village_sd``, ``control_level``, ``dispersion``, ``ramp``, ``spillover_share``,
        ``spillover_fraction``, ``unmapped_share``).

    Returns
    -------
    tuple
        ``(counts units x months, cohort per unit (0 never), months 1..T, spillover-exposed flag)``.
    """
    o = {**REALISTIC_DEFAULTS, **options}
    n_c = int(round(n_program * o["control_ratio"]))
    n = n_program + n_c
    lw = o["launch_window"]
    waves = np.unique(np.round(np.linspace(lw[0], lw[1], o["n_waves"])).astype(np.int64))
    g = np.concatenate([rng.choice(waves, n_program), np.zeros(n_c, dtype=np.int64)])
    level = np.concatenate([np.full(n_program, base_rate), np.full(n_c, base_rate * o["control_level"])])
    sd = o["village_sd"]
    a = level * np.exp(rng.normal(-(sd**2) / 2, sd, n))
    t = np.arange(1, o["n_months"] + 1)
    mu = a[:, None] * np.exp(o["trend_per_year"] / 12 * (t - 1))[None, :]
    e = t[None, :] - g[:, None]
    on = (g[:, None] > 0) & (e >= 0)
    log_rr = np.where(on, np.log(effect_rr) * np.minimum(1.0, (e + 1) / o["ramp"]), 0.0)
    spill = np.zeros(n, dtype=bool)
    spill[n_program:] = rng.random(n_c) < o["spillover_share"]
    log_rr[spill] = np.where(t[None, :] >= waves[0], o["spillover_fraction"] * np.log(effect_rr), 0.0)
    y = rng.poisson(rng.gamma(o["dispersion"], mu * np.exp(log_rr) / o["dispersion"]))
    if o["unmapped_share"] > 0:
        y = rng.binomial(y, 1.0 - o["unmapped_share"])
    return y.astype(float), g, t, spill


def realistic_design(
    *, n_program: int, base_rate: float, effect_rr: float = 0.8, seed: int = 0, **options
) -> pd.DataFrame:
    """SYNTHETIC panel of the realistic power design (issue 14).

    ``n_program`` program villages and ``control_ratio`` comparison villages each; ``n_months`` months (48: the
    post-reopening window from mid-2022); launches in ``n_waves`` waves over ``launch_window`` (months 19-36: at
    least 18 pre-launch months); ``base_rate`` deferrals per program village-month (0.01-0.1; the calibration gives
    about 0.08 for roster villages), village heterogeneity log-sd ``village_sd``; comparison villages selected on a
    lower level (``control_level`` x, selection on level); a common trend; negative binomial noise (shape
    ``dispersion``); the effect ``effect_rr`` phased in over ``ramp`` months; ``spillover_share`` of comparison
    villages are ring-1 neighbours that get ``spillover_fraction`` of the effect from the first wave (contaminated
    controls); every count thinned by ``unmapped_share`` (addresses that cannot be mapped to a village).
    Columns: data, village, month, first_treated (0 never), deferrals, spillover_exposed.

    Parameters
    ----------
    n_program : int
        Program villages.
    base_rate : float
        Deferrals per program village-month before launch.
    effect_rr : float
        The planted rate ratio, phased in over ``ramp`` months.
    seed : int
        Seed of the draw.
    **options
        Override :data:`REALISTIC_DEFAULTS` (``control_ratio``, ``n_months``, ``n_waves``, ``launch_window``,
        ``trend_per_year``, ``village_sd``, ``control_level``, ``dispersion``, ``ramp``, ``spillover_share``,
        ``spillover_fraction``, ``unmapped_share``).

    Returns
    -------
    pandas.DataFrame
        Columns data, village, month, first_treated (0 never), deferrals, spillover_exposed.
    """
    y, g, t, spill = realistic_arrays(
        np.random.default_rng(seed), n_program=n_program, base_rate=base_rate, effect_rr=effect_rr, **options
    )
    n, T = y.shape
    return _label(
        pd.DataFrame(
            {
                "village": np.repeat(np.arange(n), T),
                "month": np.tile(t, n),
                "first_treated": np.repeat(g, T),
                "deferrals": y.reshape(-1).astype(np.int64),
                "spillover_exposed": np.repeat(spill, T),
            }
        )
    )


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
