"""Spillover rings and placebo checks of the program effect.

Spillover rings and placebo checks of the program effect: :func:`ring_exposure`, :func:`permutation_test`
(placebo designations, for few treated villages) and :func:`placebo_shift` (ratio-scale pre-trend placebo).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import TppoError

__all__ = ["ring_exposure", "permutation_test", "placebo_shift"]


def ring_exposure(
    panel: pd.DataFrame,
    *,
    unit: str,
    cohort: str,
    ring: str,
    exclude_treated: bool = True,
) -> pd.DataFrame:
    """Return the exposure cohorts for a ring spillover analysis (Butts 2023 rings, defined by administrative area).

    For every unit, ``exposure_cohort`` is the first period in which any *other* unit of the same area was enrolled; 0
    when none ever was. Directly treated units are dropped (``exclude_treated``) so that the returned panel estimates,
    with :func:`fit` and ``cohort="exposure_cohort"``, the effect of having a program village nearby on untreated
    villages, compared with villages in areas without one. For the ring beyond the first (same regency, other
    kecamatan) pass the unit-level frame with the inner ring's exposed units removed.

    Parameters
    ----------
    panel : pandas.DataFrame
        One row per unit and period (balanced).
    unit : str
        The unit id column.
    cohort : str
        First treated period of the unit; 0 or missing = never treated.
    ring : str
        The area column (e.g. "district_code" for the same kecamatan, "regency_code" for the same kabupaten).
    exclude_treated : bool
        Drop the directly treated units.

    Returns
    -------
    pandas.DataFrame
        The panel with ``exposure_cohort``.
    """
    for c in (unit, cohort, ring):
        if c not in panel.columns:
            raise TppoError(f"panel has no column {c!r}")
    units = panel.drop_duplicates(unit)[[unit, cohort, ring]]
    g = units[cohort]
    treated = units[g.notna() & (g.astype(str) != "0")]
    first = treated.groupby(ring)[cohort].min()
    out = panel.copy()
    exp = out[ring].map(first)
    if isinstance(panel[cohort].dtype, pd.PeriodDtype):
        out["exposure_cohort"] = exp
    else:
        out["exposure_cohort"] = exp.fillna(0)
    if exclude_treated:
        is_t = out[cohort].notna() & (out[cohort].astype(str) != "0")
        out = out[~is_t]
    return out.reset_index(drop=True)


def permutation_test(
    panel: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    *,
    n_perm: int = 999,
    seed: int = 0,
    eligible: str | None = None,
) -> pd.DataFrame:
    """Test "no effect" for the Poisson ETWFE rate ratio by permutation (placebo designations).

    The units' cohorts (launch months, never-treated included) are shuffled at random among the eligible units,
    keeping the number of units per cohort, and the rate ratio is recomputed ``n_perm`` times from the cohort x period
    sufficient statistics (:mod:`._ratio`; a few milliseconds each, so 999 permutations take seconds). The p-value is
    the share of permutations (counting the observed one) whose log rate ratio is at least as far from 0 as the
    observed. Valid with few treated units, where clustered intervals are too narrow.

    Parameters
    ----------
    panel : pandas.DataFrame
        One row per unit and period (balanced).
    outcome : str
        The outcome column (counts).
    unit : str
        The unit id column.
    time : str
        The period column.
    cohort : str
        First treated period of the unit; 0 or missing = never treated.
    n_perm : int
        Number of permutations.
    seed : int
        Seed of the permutations.
    eligible : str, optional
        Boolean column of the units a designation may fall on (e.g. high-sending villages; default all units).

    Returns
    -------
    pandas.DataFrame
        One row: estimate, p_value, n_perm, n_failed.
    """
    from . import _valid
    from ._panel import prepare
    from ._ratio import fit_ratio

    prep = prepare(panel, outcome, unit, time, cohort, ())
    vi = _valid.build(prep)
    y, g_obs = vi.fit.y, vi.fit.unit_cohort
    times, cohorts = vi.fit.times, vi.fit.cohorts
    theta_obs = float(vi.fit.pieces().theta)
    labels = prep.unit_labels[vi.unit_codes]
    if eligible:
        flag = panel.drop_duplicates(unit).set_index(unit)[eligible].astype(bool)
        pool = np.flatnonzero(flag.reindex(labels).fillna(False).to_numpy())
    else:
        pool = np.arange(len(g_obs))
    rng = np.random.default_rng(seed)
    stats: list[float] = []
    failed = 0
    for _ in range(n_perm):
        g = g_obs.copy()
        g[pool] = g_obs[rng.permutation(pool)]
        try:
            f = fit_ratio(y, g, times, cohorts, variance=False)
            th = f.theta()
            if not (np.isfinite(th) and th > 0):
                raise TppoError("no treated events")
            stats.append(abs(float(np.log(th))))
        except TppoError:
            failed += 1
    stat = np.asarray(stats)
    t_obs = abs(float(np.log(theta_obs)))
    p = (1 + int((stat >= t_obs - 1e-12).sum())) / (1 + len(stat))
    return pd.DataFrame({"estimate": [theta_obs], "p_value": [p], "n_perm": [len(stat)], "n_failed": [failed]})


def placebo_shift(panel: pd.DataFrame, time: str, cohort: str, shift: int) -> pd.DataFrame:
    """Build the placebo panel for a ratio-scale pre-trend check (balanced).

    Keep only the periods before the first real launch, and give every ever-treated unit a fake launch ``shift``
    periods before that first launch. Fitting ``poisson_etwfe`` on the result estimates a "program effect" where there
    was none: the rate ratio of future program units vs never-treated units over the last ``shift`` pre-launch
    periods, relative to the earlier ones. A ratio far from 1 signals diverging pre-launch trends on the ratio scale.

    Parameters
    ----------
    panel : pandas.DataFrame
        One row per unit and period (balanced).
    time : str
        The period column.
    cohort : str
        First treated period of the unit; 0 or missing = never treated.
    shift : int
        Periods before the first real launch at which the fake launch is placed.

    Returns
    -------
    pandas.DataFrame
        The placebo panel.
    """
    g = panel[cohort]
    treated = g.notna() & (g.astype(str) != "0")
    if not treated.any():
        raise TppoError("placebo_shift: no treated units")
    first = g[treated].min()
    out = panel[panel[time] < first].copy()
    if out[time].nunique() <= shift:
        raise TppoError(
            f"placebo_shift: only {out[time].nunique()} periods before the first launch; shift {shift} "
            "leaves no placebo pre-period"
        )
    fake = first - shift
    out[cohort] = (
        np.where(treated[out.index], fake, out[cohort])
        if not isinstance(g.dtype, pd.PeriodDtype)
        else pd.PeriodIndex(np.where(treated[out.index], fake, out[cohort]), freq="M")
    )
    return out.reset_index(drop=True)
