"""Stress tests (SYNTHETIC).

The bias of every estimator when ratio-scale parallel trends fail, and which diagnostic of the pre-analysis plan flags
it.

Each replication draws the 73-village design of :mod:`.coverage` in one of the worlds of
:mod:`.synthetic.stress` (``none`` = the assumptions hold), then fits

* ``poisson_etwfe_2020`` — Poisson ETWFE on January 2020 onwards (the 2020-22 sensitivity window);
* ``poisson_etwfe`` — the plan's main specification, July 2022 onwards;
* ``poisson_etwfe_regency_month`` — the same with regency x month fixed effects;
* ``poisson_etwfe_destination_month`` — with main-destination x month fixed effects (worlds that record a main
  destination, as the extract format asks);
* ``cs`` and ``twfe`` — Callaway-Sant'Anna and the naive TWFE in levels (main window), scored against the effect in
  deferrals per treated village-month;

and the diagnostics of the plan on the main specification: the ratio-scale pre-trend test (6 leads, p < 0.05), the
placebo (launch moved 12 months before the first launch, on the pre-launch months of the whole panel, p < 0.05)
and the co-programme split (the rate ratio of program villages with and without a co-located programme differ,
p < 0.05; worlds that record one). Bias is estimate minus the truth on each estimator's estimation sample.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..effects import _panel as effects_panel
from ..effects import _valid, fit, placebo_shift
from ..effects._wild import pooled_interval
from ..effects.pretrend import pretrend
from ..errors import TppoError
from .coverage import MAIN_START, _estimation_truth, analysis_panel, design_panel
from .synthetic import SCENARIOS
from .synthetic.village import label

__all__ = ["WORLDS", "stress_replication", "summarise_stress"]

WORLDS = ("none", "spike", "destinations", "covid", "cotreatment")
RATIO_ESTIMATORS = (
    "poisson_etwfe_2020",
    "poisson_etwfe",
    "poisson_etwfe_regency_month",
    "poisson_etwfe_destination_month",
)


def _ratio(d: pd.DataFrame, sp, strata_col: str | None):
    prep = effects_panel.prepare(d, "deferrals", "village_code", "month", "first_treated", ())
    strata = None
    if strata_col:
        from ..effects.api import _unit_values

        strata = _unit_values(d, "village_code", strata_col, prep)
    vi = _valid.build(prep, strata=strata)
    p = vi.fit.pieces()
    return p, vi, _estimation_truth(sp, d, vi.fit)


def stress_replication(world: str, seed: int, *, design: str = "73", levels: bool = True) -> list[dict]:
    """Run one replication of a stress world: every estimator and the diagnostics.

    Parameters
    ----------
    world : str
        One of :data:`WORLDS`.
    seed : int
        Seed of the replication.
    design : str
        The coverage design drawn (:data:`tppo_analysis.design.coverage.DESIGNS`).
    levels : bool
        Also fit the levels estimators.

    Returns
    -------
    list of dict
        Rows (world, seed, estimator, estimate, truth, ...) and one row ``estimator="diagnostics"`` with the p-values
        and flags.
    """
    scenario = None if world == "none" else SCENARIOS[world]()
    sp = design_panel(design, seed, scenario=scenario)
    main = analysis_panel(sp, MAIN_START)
    full = analysis_panel(sp, None)
    rows = []
    specs = [
        ("poisson_etwfe_2020", full, None),
        ("poisson_etwfe", main, None),
        ("poisson_etwfe_regency_month", main, "regency_code"),
    ]
    if "main_destination" in main.columns:
        specs.append(("poisson_etwfe_destination_month", main, "main_destination"))
    main_p: Any = None  # the main specification's pieces and valid interval, set in the loop
    main_vi: Any = None
    for name, d, strata in specs:
        try:
            p, vi, truth = _ratio(d, sp, strata)
        except TppoError as exc:  # not estimable in this draw: recorded, not dropped
            rows.append(
                dict(
                    world=world,
                    seed=seed,
                    estimator=name,
                    estimate=np.nan,
                    truth=np.nan,
                    ci_lower=np.nan,
                    ci_upper=np.nan,
                    scale="ratio",
                    note=str(exc)[:120],
                )
            )
            continue
        se, lo, hi = vi.interval(p, 0.95)
        rows.append(
            dict(
                world=world,
                seed=seed,
                estimator=name,
                estimate=p.theta,
                truth=truth,
                ci_lower=float(np.exp(lo)),
                ci_upper=float(np.exp(hi)),
                scale="ratio",
            )
        )
        if name == "poisson_etwfe":
            main_p, main_vi = p, vi
    if levels:
        on = main["first_treated"].notna() & (main["month"] >= main["first_treated"])
        ev = np.where(on, main["month"].array.asi8 - np.where(on, main["first_treated"].array.asi8, 0), 0)
        rr = sp.params["effect_rr"] ** np.minimum(1.0, (ev + 1) / sp.params["ramp"])
        truth_count = float((main["expected"].to_numpy() * (rr - 1))[on.to_numpy()].mean())
        for est in ("cs", "twfe"):
            o = fit(main, "deferrals", "village_code", "month", "first_treated", estimator=est).overall.iloc[0]
            rows.append(
                dict(
                    world=world,
                    seed=seed,
                    estimator=est,
                    estimate=float(o["estimate"]),
                    truth=truth_count,
                    ci_lower=float(o["ci_lower"]),
                    ci_upper=float(o["ci_upper"]),
                    scale="count",
                )
            )
    diag = dict(world=world, seed=seed, estimator="diagnostics")
    pre = pretrend(main, "deferrals", "village_code", "month", "first_treated", leads=6)
    diag["pretrend_ratio"], diag["pretrend_p"] = float(pre.table["estimate"].iloc[0]), pre.p_value
    try:
        pl = fit(
            placebo_shift(full, time="month", cohort="first_treated", shift=12),
            "deferrals",
            "village_code",
            "month",
            "first_treated",
        )
        diag["placebo_ratio"] = float(pl.overall["estimate"].iloc[0])
        valid = pl._valid
        assert valid is not None  # (caught below: no valid interval = not computed)
        diag["placebo_p"] = float(valid.pvalue(valid.fit.pieces(), 1.0))
    except Exception:  # noqa: BLE001 - a placebo without events is "not computed", not a failure of the study
        diag["placebo_ratio"], diag["placebo_p"] = np.nan, np.nan
    if "co_programme" in main.columns:
        diag["coprogramme_p"] = _split_p(main, sp)
    diag["effect_p"] = float(main_vi.pvalue(main_p, 1.0))
    rows.append(diag)
    return rows


def _split_p(d: pd.DataFrame, sp) -> float:
    """Test whether program villages with and without a co-located programme share one rate ratio.

    p-value of "same rate ratio with and without a co-located programme" (program villages split, same
    comparison villages; z-test on the difference of log ratios with the event-pooled standard errors).
    """
    est = []
    for flag in (0, 1):
        keep = d["first_treated"].isna() | (d["co_programme"] == flag)
        p, vi, _ = _ratio(d[keep], sp, None)
        est.append((np.log(p.theta), pooled_interval(p)[0]))
    (a, sa), (b, sb) = est
    z = (a - b) / np.sqrt(sa**2 + sb**2)
    return float(2 * stats.norm.sf(abs(z)))


def summarise_stress(reps: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Summarise the stress replications into a bias table and a flag table.

    Bias: per world and estimator, mean estimate - truth with its MC SE, relative bias and coverage of the 95%
    interval. Flags: per world, the share of replications in which each diagnostic rejects at 5% (pre-trend, placebo,
    co-programme split), with MC SEs.

    Parameters
    ----------
    reps : pandas.DataFrame
        The replications (:func:`stress_replication` rows).

    Returns
    -------
    tuple of pandas.DataFrame
        ``(bias, flags)``.
    """
    est = reps[(reps["estimator"] != "diagnostics")].dropna(subset=["estimate", "truth"])
    rows = []
    for (w, e), g in est.groupby(["world", "estimator"], sort=False):
        err = g["estimate"] - g["truth"]
        cov = ((g["ci_lower"] <= g["truth"]) & (g["truth"] <= g["ci_upper"])).mean()
        rows.append(
            dict(
                world=w,
                estimator=e,
                scale=g["scale"].iloc[0],
                n_reps=len(g),
                mean_truth=float(g["truth"].mean()),
                mean_estimate=float(g["estimate"].mean()),
                bias=float(err.mean()),
                bias_mc_se=float(err.std(ddof=1) / np.sqrt(len(g))),
                relative_bias=float(err.mean() / g["truth"].mean()),
                coverage=float(cov),
            )
        )
    diag = reps[reps["estimator"] == "diagnostics"]
    flags = []
    for w, g in diag.groupby("world", sort=False):
        for name in ("pretrend_p", "placebo_p", "coprogramme_p"):
            if name in g.columns and g[name].notna().any():
                x = (g[name].dropna() < 0.05).astype(float)
                flags.append(
                    dict(
                        world=w,
                        diagnostic=name[:-2],
                        n_reps=len(x),
                        flag_rate=float(x.mean()),
                        mc_se=float(np.sqrt(max(x.mean() * (1 - x.mean()), 0.0025) / len(x))),
                    )
                )
    return label(pd.DataFrame(rows)), label(pd.DataFrame(flags))
