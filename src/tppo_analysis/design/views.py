"""Tables and figures of notebooks 03 and 04, computed in the package so the notebooks stay thin.

Tables and figures of notebooks 03 and 04, computed here so that the notebooks stay thin (re-exported by
:mod:`tppo_analysis.design.power`, reached from a notebook as ``tppo.power``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import TppoError
from ..paths import repo_root
from .synthetic.village import label

__all__ = [
    "calibration",
    "power_grid",
    "size_table",
    "power_pivot",
    "plot_power",
    "mde_headline",
    "stress_table",
    "coverage_table",
    "STUDY_RATES",
]

#: Baselines of the committed power study (deferrals per program village-month).
STUDY_RATES = (0.01, 0.03, 0.1)


def _studies():
    return repo_root() / "results" / "studies"


def calibration(pp) -> pd.DataFrame:
    """Return the rates the power grid should be read at.

    Program villages' deferrals per village-month before launch and the negative binomial shape estimated from their
    monthly counts (method of moments; inf = no over-dispersion), from the analysis panel itself (SYNTHETIC or the
    restricted extract).

    Parameters
    ----------
    pp : ProgramPanel
        The analysis panel (:func:`tppo_analysis.design.panel.program_panel`).

    Returns
    -------
    pandas.DataFrame
        One row: the baseline rate and the dispersion.
    """
    d = pp.panel
    pre = d[d["first_treated"].notna() & (d["month"] < d["first_treated"])]
    per_v = pre.groupby("village_code", observed=True)["deferrals"].agg(["mean", "var"])
    m, v = float(pre["deferrals"].mean()), float(pre["deferrals"].var())
    within = float(per_v["var"].mean())
    shape = m**2 / (within - m) if within > m else float("inf")
    rows = {
        "program villages": len(per_v),
        "pre-launch village-months": len(pre),
        "deferrals per program village-month": round(m, 4),
        "variance": round(v, 4),
        "negative binomial shape (within villages)": round(shape, 2) if np.isfinite(shape) else shape,
        "nearest baseline of the committed grid": min(STUDY_RATES, key=lambda r: abs(np.log(r / max(m, 1e-9)))),
    }
    return pd.DataFrame({pp.label: pd.Series(rows, dtype=object)})


def power_grid(pp, *, reps: int = 20) -> pd.DataFrame:
    """Return the power grid: the committed study, or a grid simulated for a restricted extract.

    On a restricted extract the grid is simulated at the extract's own baseline rate and dispersion (minutes of
    compute).

    Parameters
    ----------
    pp : ProgramPanel
        The analysis panel (:func:`tppo_analysis.design.panel.program_panel`).
    reps : int
        Replications per cell for a simulated grid.

    Returns
    -------
    pandas.DataFrame
        One row per program size, baseline rate and effect.
    """
    if pp.label == "SYNTHETIC":
        return pd.read_csv(_studies() / "power_simulation.csv")
    from .realistic import power_cell, realistic_replication

    cal = calibration(pp).iloc[:, 0]
    rate = float(cal["deferrals per program village-month"])
    shape = float(cal["negative binomial shape (within villages)"])
    rows = []
    for n in (73, 185, 500, 1000):
        for e in (1.0, 0.9, 0.8, 0.7, 0.6, 0.5):
            reps_ = [
                realistic_replication(
                    n_program=n, base_rate=rate, effect_rr=e, seed=s, dispersion=shape if np.isfinite(shape) else 1e6
                )
                for s in range(reps)
            ]
            rows.append(
                {
                    "effect_rr": e,
                    "effect_pct": round((e - 1) * 100),
                    "n_program": n,
                    "base_rate": rate,
                    **power_cell(reps_),
                }
            )
    return label(pd.DataFrame(rows))


def size_table(grid: pd.DataFrame) -> pd.DataFrame:
    """Return the rejection rate with no effect (the test's size, nominal 0.05) by program size and baseline, with MC SE.

    Parameters
    ----------
    grid : pandas.DataFrame
        The power grid (:func:`power_grid`).
    """
    s = grid[grid["effect_rr"] == 1.0]
    out = s.pivot(index="n_program", columns="base_rate", values="power").round(3)
    out.columns = [f"size at {c:g}/month" for c in out.columns]
    out["largest MC SE"] = s.groupby("n_program")["mc_se"].max().round(3)
    return out


def power_pivot(grid: pd.DataFrame) -> pd.DataFrame:
    """Return the power by baseline, program size (rows) and true reduction (columns), with the replications per cell.

    Parameters
    ----------
    grid : pandas.DataFrame
        The power grid (:func:`power_grid`).
    """
    e = grid[grid["effect_rr"] < 1.0]
    out = e.pivot_table(index=["base_rate", "n_program"], columns="effect_pct", values="power").round(2)
    out.columns = [f"{-c}% reduction" for c in out.columns]
    out["reps per cell"] = e.groupby(["base_rate", "n_program"])["n_reps"].min()
    return out


def plot_power(grid: pd.DataFrame, title: str, *, colours: Sequence[str] | None = None) -> tuple[Any, Any]:
    """Draw the power curves, one panel per baseline rate.

    Direct labels per program size (sequential colours, darkest = fewest villages), the 80% and 5% lines, MC error
    bars. :func:`tppo_analysis.output.plotting.power_curves` passes the project's sequential palette
    (``sequential_colours``), which the colour-vision check of a saved figure is held to.

    Parameters
    ----------
    grid : pandas.DataFrame
        The power grid (:func:`power_grid`).
    title : str
        The figure title.
    colours : sequence of str, optional
        One colour per program size, smallest first (default: viridis from dark to light, as ``sequential_colours``).

    Returns
    -------
    tuple
        ``(fig, axes)``.
    """
    import matplotlib.pyplot as plt

    e = grid[grid["effect_rr"] < 1.0]
    rates = sorted(e["base_rate"].unique())
    fig, axes = plt.subplots(1, len(rates), figsize=(4 * len(rates), 3.8), sharey=True, squeeze=False)
    sizes = sorted(e["n_program"].unique())
    if colours is None:
        colours = [plt.get_cmap("viridis")(x) for x in np.linspace(0.0, 0.85, len(sizes))]
    elif len(colours) != len(sizes):
        raise TppoError(f"plot_power: {len(colours)} colours for {len(sizes)} program sizes")
    for ax, rate in zip(axes[0], rates, strict=True):
        for n, col in zip(sizes, colours, strict=True):
            g = e[(e["base_rate"] == rate) & (e["n_program"] == n)].sort_values("effect_pct")
            if g.empty:
                continue
            x = -g["effect_pct"].to_numpy()
            label = f"{n} program villages"  # labelled, so the saved figure's colour check reads the series
            ax.errorbar(x, g["power"], yerr=2 * g["mc_se"], color=col, marker="o", ms=3, capsize=2, label=label)
            ax.annotate(
                f"{n}", (x.max(), g["power"].iloc[0]), color=col, fontsize=8, xytext=(3, 0), textcoords="offset points"
            )
        ax.axhline(0.8, color="grey", lw=0.8, ls="--")
        ax.axhline(0.05, color="grey", lw=0.8, ls=":")
        ax.set_title(f"baseline {rate:g} deferrals per program village-month", fontsize=9)
        ax.set_xlabel("true reduction (%)")
    axes[0][0].set_ylabel("power (share of panels rejecting 'no effect')")
    fig.suptitle(title, y=1.02)
    return fig, axes[0][0]


def mde_headline(mde: pd.DataFrame) -> pd.DataFrame:
    """Return the minimum detectable reduction (80% power) per program size (rows) and baseline (columns), as text.

    Parameters
    ----------
    mde : pandas.DataFrame
        The minimum detectable effects (:func:`tppo_analysis.design.realistic.realistic_mde`).
    """
    m = mde.assign(
        text=[
            ("<= " if b == "<=" else "> " if b == ">" else "") + f"{v:.0f}%"
            for b, v in zip(mde["mde_bound"], mde["mde_reduction_pct"], strict=True)
        ]
    )
    out = m.pivot(index="n_program", columns="base_rate", values="text")
    out.columns = [f"MDE at {c:g}/month" for c in out.columns]
    return out


def stress_table() -> pd.DataFrame:
    """Return the committed stress tests.

    Bias of each estimator per world (wide) and the flag rates of the diagnostics.
    """
    b = pd.read_csv(_studies() / "stress_tests_bias.csv")
    out = b.pivot_table(index="estimator", columns="world", values="relative_bias", sort=False).round(2)
    f = pd.read_csv(_studies() / "stress_tests_flags.csv")
    flags = f.pivot_table(index="diagnostic", columns="world", values="flag_rate", sort=False).round(2)
    flags.index = [f"flag rate: {i}" for i in flags.index]
    return pd.concat([out.add_prefix("").rename(index=lambda i: f"relative bias: {i}"), flags])


def coverage_table() -> pd.DataFrame:
    """Return the committed coverage study of the Poisson ETWFE intervals.

    See :func:`tppo_analysis.design.coverage.study_table`.
    """
    from .coverage import study_table

    return study_table().round(3)
