"""The realistic power study's replication, cell summary and MDE table (issue 14; see :mod:`.power`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..effects._ratio import fit_ratio
from ..effects._wild import conditional_score_pvalue
from ..errors import TppoError
from .synthetic.power_panel import realistic_arrays
from .synthetic.village import label as _label

__all__ = ["realistic_replication", "power_cell", "realistic_mde"]


def realistic_replication(*, n_program: int, base_rate: float, effect_rr: float, seed: int, **options) -> dict:
    """Run one replication of the realistic power design.

    The rate ratio and the pre-registered p-value of "no effect" (conditional score, t(G1 - 1)); ``identified`` is
    False when no rate ratio can be formed (no treated event).

    Parameters
    ----------
    n_program : int
        Program villages.
    base_rate : float
        Deferrals per program village-month before launch.
    effect_rr : float
        The planted rate ratio.
    seed : int
        Seed of the draw.
    **options
        Passed to :func:`tppo_analysis.design.synthetic.power_panel.realistic_arrays`.

    Returns
    -------
    dict
        estimate, p_value, identified.
    """
    y, g, t, _ = realistic_arrays(
        np.random.default_rng(seed), n_program=n_program, base_rate=base_rate, effect_rr=effect_rr, **options
    )
    cohorts = np.unique(g[g > 0])
    uc = np.where(g > 0, np.searchsorted(cohorts, g) + 1, 0)
    try:
        p = fit_ratio(y, uc, t, cohorts).pieces()
    except (TppoError, np.linalg.LinAlgError, ValueError, ZeroDivisionError):
        return dict(estimate=np.nan, p_value=np.nan, identified=False)
    if not (np.isfinite(p.theta) and p.theta > 0) or p.n_treated_events == 0:
        return dict(estimate=np.nan, p_value=np.nan, identified=False)
    return dict(estimate=float(p.theta), p_value=float(conditional_score_pvalue(p, 1.0)), identified=True)


def power_cell(reps: Sequence[Mapping]) -> dict:
    """Summarise the replications of one cell of the realistic power design.

    Power (share rejecting at 5%; an unidentified replication counts as not rejecting), its Monte Carlo SE, the
    median estimate and the number of unidentified replications.

    Parameters
    ----------
    reps : sequence of mapping
        Replications (:func:`realistic_replication` results).

    Returns
    -------
    dict
        One row of the power grid.
    """
    rej = np.array([bool(r["identified"]) and float(r["p_value"]) < 0.05 for r in reps], dtype=float)
    est = np.array([r["estimate"] for r in reps if r["identified"]], dtype=float)
    p = float(rej.mean()) if len(rej) else np.nan
    return dict(
        power=p,
        mc_se=float(np.sqrt(max(p * (1 - p), 0.0) / max(len(rej), 1))),
        n_reps=len(rej),
        median_estimate=float(np.median(est)) if len(est) else np.nan,
        n_not_identified=int(sum(not r["identified"] for r in reps)),
    )


def realistic_mde(power: pd.DataFrame, *, target: float = 0.8) -> pd.DataFrame:
    """Interpolate the minimum detectable reduction at ``target`` power.

    Per program size and baseline rate, along the effect grid, with the size (rejection rate at no effect).
    ``mde_bound``: "interpolated", "<=" the smallest effect of the grid already reaches the target, ">" even the
    largest does not (``note`` says so in words); ``reliability`` gives the replications per cell and the largest
    Monte Carlo SE of the power estimates the interpolation rests on.

    Parameters
    ----------
    power : pandas.DataFrame
        The power grid.
    target : float
        The power to reach.

    Returns
    -------
    pandas.DataFrame
        One row per program size and baseline rate.
    """
    rows = []
    for (n_p, rate), grp in power.groupby(["n_program", "base_rate"]):
        eff = grp[grp["effect_rr"] < 1].assign(reduction=lambda x: (1 - x["effect_rr"]) * 100)
        eff = eff.sort_values("reduction")
        x, y = eff["reduction"].to_numpy(), eff["power"].to_numpy()
        mde, bound = (float(x[-1]) if len(x) else np.nan), ">"
        if (y >= target).any():
            i = int(np.argmax(y >= target))
            mde, bound = (
                (float(x[0]), "<=")
                if i == 0
                else (float(x[i - 1] + (target - y[i - 1]) * (x[i] - x[i - 1]) / (y[i] - y[i - 1])), "interpolated")
            )
        size = grp.loc[grp["effect_rr"] == 1.0, "power"]
        reps = int(grp["n_reps"].min()) if "n_reps" in grp else 0
        mc = float(grp["mc_se"].max()) if "mc_se" in grp else np.nan
        top = float(x[-1]) if len(x) else np.nan
        rows.append(
            {
                "n_program": int(n_p),
                "base_rate": float(rate),
                "mde_bound": bound,
                "mde_reduction_pct": mde,
                "size": float(size.iloc[0]) if len(size) else np.nan,
                "reliability": f"{reps} simulated panels a cell, power MC SE up to {mc:.2f}; linear interpolation "
                "between the simulated reductions",
                "note": {
                    ">": f"not reached at the largest reduction simulated ({top:.0f}%): the MDE is above it",
                    "<=": f"reached at the smallest reduction simulated ({float(x[0]):.0f}%): the MDE is at most that"
                    if len(x)
                    else "",
                }.get(bound, ""),
            }
        )
    return _label(pd.DataFrame(rows))
