"""Coverage and stress studies of the program-effect estimators on SYNTHETIC panels at realistic density.

Each replication draws a panel from :func:`tppo_analysis.design.synthetic.generate_panel` on the real geography at
the calibrated national level (1,200 deferrals a month in 2025), negative binomial counts (shape 2), a planted
rate ratio of 0.7 reached over a 6-month ramp and a 0.9 spillover to ring-1 villages (same kecamatan), which the
analysis panel leaves out as the pre-analysis plan does. The analysis window is the plan's main one: July 2022 on
(after the reopening). The designs:

* ``19`` — the 5 regencies of notebook 03 (Mojokerto, Madiun, Kendal, Lombok Barat, Lombok Timur), their 19 dated
  roster villages;
* ``19_sparse`` — the same at 30% of the calibrated national level (program villages about 0.1 deferrals a month
  before launch instead of about 0.3: the reviewer's reading of the calibration, a sensitivity);
* ``73`` and ``185`` — the regencies of the dated roster villages; the program villages are the first 73 (185) dated
  roster villages in launch order, topped up with synthetic additions among high-sending villages launched 2023-01
  to 2025-05 when the roster has fewer.

The committed study (``results/studies/effects_coverage*``) was run on the 132-village public roster (the version of
the layout commit); later roster rounds add villages and so change the draws of a seed, not the design.

The truth of a replication is the estimand on the estimation sample: expected over counterfactual count of the
treated village-months the estimator keeps (a cohort without any pre-launch event has no baseline and is left out).
Every row is labelled SYNTHETIC.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pandas as pd

from ..effects import _panel as effects_panel
from ..effects import _valid
from ..effects._wild import (
    conditional_score_interval,
    naive_interval,
    pooled_interval,
    score_bootstrap_interval,
)
from .synthetic import generate_panel, truth_on
from .synthetic.village import label

__all__ = ["DESIGNS", "MAIN_START", "analysis_panel", "design_panel", "coverage_replication", "summarise"]

MAIN_START = "2022-07"
FIVE_REGENCIES = ("35.16", "35.19", "33.24", "52.01", "52.03")
DESIGNS = {
    "19": dict(regencies="five", n_program=19),
    "19_sparse": dict(regencies="five", n_program=19, national_monthly_2025=360.0),
    "73": dict(regencies="roster", n_program=73),
    "185": dict(regencies="roster", n_program=185),
}
#: The inference methods compared, with their names in the result frames.
METHODS = ("conditional_score", "wild_score_bootstrap", "cluster_robust", "cluster_robust_saturated")


@functools.lru_cache(maxsize=1)
def roster_regencies() -> tuple[str, ...]:
    """Regencies of the dated roster villages (26 in the public roster)."""
    from ..sources.roster import load_desa_binaan
    from ._cohorts import cohort_table

    coh, _ = cohort_table(load_desa_binaan())
    return tuple(sorted(coh["village_code"].astype(str).str[:5].unique()))


def design_panel(design: str, seed: int, **options):
    """Return a SYNTHETIC panel of one coverage design (``options`` pass to :func:`generate_panel`).

    Parameters
    ----------
    design : str
        A key of :data:`DESIGNS` (e.g. ``"19"``, ``"73"``).
    seed : int
        Seed of the draw.
    **options
        Passed to :func:`tppo_analysis.design.synthetic.generate_panel` (override the design's parameters).

    Returns
    -------
    SyntheticPanel
        The panel and its truth.
    """
    spec = DESIGNS[design]
    regs = FIVE_REGENCIES if spec["regencies"] == "five" else roster_regencies()
    opts: dict[str, Any] = dict(
        spillover_rr=0.9,
        effect_rr=0.7,
        ramp=6,
        national_monthly_2025=spec.get("national_monthly_2025", 1200.0),
        n_program=spec["n_program"],
    )
    opts.update(options)
    return generate_panel(seed=seed, regency_codes=list(regs), **opts)


def analysis_panel(sp, start: str | None = MAIN_START) -> pd.DataFrame:
    """Return the plan's analysis panel.

    Ring-1 villages (same kecamatan as a program village) left out, months from ``start`` (None: the whole panel, the
    2020-22 sensitivity).

    Parameters
    ----------
    sp : SyntheticPanel
        A drawn design.
    start : str, optional
        First month of the window (None: the whole panel).

    Returns
    -------
    pandas.DataFrame
        The analysis panel.
    """
    exposed = sp.villages.loc[sp.villages["spillover_exposed_from"].notna(), "village_code"]
    d = sp.panel[~sp.panel["village_code"].isin(exposed)]
    if start is not None:
        d = d[d["month"] >= pd.Period(start, "M")]
    return d.reset_index(drop=True)


def _estimation_truth(sp, d: pd.DataFrame, fit) -> float:
    drop = {int(c) for _, c, _ in fit.dropped_cohorts}
    if drop:
        keep = ~np.isin(d["first_treated"].array.asi8, list(drop)) | d["first_treated"].isna().to_numpy()
        d = d[keep]
    return truth_on(sp, d)


def coverage_replication(
    design: str,
    seed: int,
    *,
    levels: bool = False,
    n_boot: int = 999,
    start: str | None = MAIN_START,
    bootstrap: bool = True,
) -> dict:
    """Run one replication of a coverage design.

    The Poisson ETWFE rate ratio with each inference method's 95% interval, the truth, and (``levels=True``) the
    Callaway-Sant'Anna and naive TWFE estimates in levels against the count truth.

    Parameters
    ----------
    design : str
        A key of :data:`DESIGNS`.
    seed : int
        Seed of the replication.
    levels : bool
        Also fit the levels estimators.
    n_boot : int
        Draws of the wild score bootstrap.
    start : str, optional
        First month of the analysis window (None: the whole panel).
    bootstrap : bool
        Compute the bootstrap interval (slow).

    Returns
    -------
    dict
        One row of the replications table.
    """
    sp = design_panel(design, seed)
    d = analysis_panel(sp, start)
    prep = effects_panel.prepare(d, "deferrals", "village_code", "month", "first_treated", ())
    vi = _valid.build(prep)
    p = vi.fit.pieces()
    row = dict(
        design=design,
        seed=seed,
        n_treated=int(p.treated.sum()),
        treated_events=p.n_treated_events,
        truth=_estimation_truth(sp, d, vi.fit),
        estimate=p.theta,
    )
    intervals = {
        "conditional_score": conditional_score_interval(p)[1:],
        "wild_score_bootstrap": score_bootstrap_interval(p, n_boot=n_boot, seed=seed) if bootstrap else (np.nan,) * 2,
        "cluster_robust": pooled_interval(p)[1:],
        "cluster_robust_saturated": naive_interval(p)[1:],
    }
    for m, (lo, hi) in intervals.items():
        row[f"{m}_lower"], row[f"{m}_upper"] = float(np.exp(lo)), float(np.exp(hi))
    if levels:
        from ..effects import fit

        on = d["first_treated"].notna() & (d["month"] >= d["first_treated"])
        ev = np.where(on, d["month"].array.asi8 - np.where(on, d["first_treated"].array.asi8, 0), 0)
        rr = 0.7 ** np.minimum(1.0, (ev + 1) / 6)
        row["truth_count"] = float((d["expected"].to_numpy() * (rr - 1))[on.to_numpy()].mean())
        for est in ("cs", "twfe"):
            o = fit(d, "deferrals", "village_code", "month", "first_treated", estimator=est).overall.iloc[0]
            row[f"{est}_estimate"], row[f"{est}_lower"], row[f"{est}_upper"] = (
                float(o["estimate"]),
                float(o["ci_lower"]),
                float(o["ci_upper"]),
            )
    return row


def summarise(reps: pd.DataFrame) -> pd.DataFrame:
    """Summarise the replications per design, estimator and inference method.

    Replications, coverage of the 95% interval with its Monte Carlo SE, bias (estimate - truth, with MC SE; relative
    bias), median interval width (log-ratio scale for the rate ratio, counts for levels) and its ratio to the naive
    village-clustered interval's, and the pass flag ``|coverage - 0.95| <= 2 MC SE``.

    Parameters
    ----------
    reps : pandas.DataFrame
        The replications (:func:`coverage_replication` rows).

    Returns
    -------
    pandas.DataFrame
        One row per design, estimator and method.
    """
    rows = []
    for design, g in reps.groupby("design", sort=False):
        naive_w = np.log(g["cluster_robust_saturated_upper"] / g["cluster_robust_saturated_lower"])
        for m in METHODS:
            h = g.dropna(subset=[f"{m}_lower"])  # the bootstrap runs on the first replications only
            lo, hi = h[f"{m}_lower"], h[f"{m}_upper"]
            rows.append(
                _cell(
                    design,
                    "poisson_etwfe",
                    m,
                    h["estimate"],
                    h["truth"],
                    lo,
                    hi,
                    np.log(hi / lo),
                    float(np.median(naive_w)),
                )
            )
        for est in ("cs", "twfe"):
            if f"{est}_estimate" in g.columns:
                h = g.dropna(subset=[f"{est}_estimate"])
                if len(h):
                    rows.append(
                        _cell(
                            design,
                            est,
                            "cluster_robust",
                            h[f"{est}_estimate"],
                            h["truth_count"],
                            h[f"{est}_lower"],
                            h[f"{est}_upper"],
                            h[f"{est}_upper"] - h[f"{est}_lower"],
                            np.nan,
                        )
                    )
    return label(pd.DataFrame(rows))


def _cell(design, estimator, method, est, truth, lo, hi, width, naive_width) -> dict:
    n = len(est)
    cover = ((lo <= truth) & (truth <= hi)).astype(float)
    cov = float(cover.mean())
    mc = float(np.sqrt(0.95 * 0.05 / n))
    err = est - truth
    return dict(
        design=design,
        estimator=estimator,
        method=method,
        n_reps=n,
        coverage=cov,
        coverage_mc_se=mc,
        within_2_mc_se=bool(abs(cov - 0.95) <= 2 * mc),
        mean_truth=float(truth.mean()),
        bias=float(err.mean()),
        bias_mc_se=float(err.std(ddof=1) / np.sqrt(n)),
        relative_bias=float(err.mean() / truth.mean()),
        median_width=float(np.median(width)),
        width_vs_naive=float(np.median(width) / naive_width) if np.isfinite(naive_width) else np.nan,
        below=float((hi < truth).mean()),
        above=float((lo > truth).mean()),
    )


def study_table(path=None) -> pd.DataFrame:
    """Return the committed coverage study as notebook 03 and the plan cite it.

    Poisson ETWFE rows, coverage with its MC SE, bias and median width (log rate ratio) beside the naive one's.

    Parameters
    ----------
    path : str or Path, optional
        The study file (default ``results/studies/effects_coverage.csv``).

    Returns
    -------
    pandas.DataFrame
        One row per design and inference method.
    """
    from ..paths import repo_root

    path = path or repo_root() / "results" / "studies" / "effects_coverage.csv"
    s = pd.read_csv(path, dtype={"design": str})
    s = s[s["estimator"] == "poisson_etwfe"]
    cols = [
        "design",
        "method",
        "n_reps",
        "coverage",
        "coverage_mc_se",
        "within_2_mc_se",
        "bias",
        "median_width",
        "width_vs_naive",
    ]
    return s[cols].rename(columns={"design": "treated villages"}).reset_index(drop=True)
