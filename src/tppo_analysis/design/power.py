"""Power, minimum detectable effect and estimator checks for the Desa Binaan design — all on SYNTHETIC panels.

* :func:`simulate_design` — a SYNTHETIC program/comparison village panel with staggered launches, heavy-tailed
  village rates (negative binomial counts), a multiplicative trend and a planted rate-ratio effect;
* :func:`power_table` — simulated power of the Poisson ETWFE test of "no effect" (two-sided, 5%) over a grid of
  effects, program sizes and baseline rates, next to the analytic power of a two-sample negative binomial rate-ratio
  test (``statsmodels.stats.rates.power_negbin_ratio_2indep``) on the post-launch months;
* :func:`mde_table` — minimum detectable effect (80% power) interpolated from the power table;
* :func:`coverage_study` — bias and 95% CI coverage of the Poisson ETWFE rate ratio on panels with multiplicative
  trends and selection on sending level, next to the bias of the naive TWFE regression in levels;
* :func:`realistic_replication`, :func:`power_cell`, :func:`realistic_mde` — the realistic power study of
  issue 14 (``scripts/power_study.py``): :func:`~tppo_analysis.design.synthetic.realistic_design` (baselines
  0.01-0.1 per program village-month, a 6-month ramp, selection on level, contaminated ring-1 controls, 30% of
  addresses unmapped, negative binomial noise) tested with the pre-registered inference (the conditional score
  p-value of ``effects.fit``'s default, 5% two-sided). :func:`power_table` and :func:`coverage_study` are the
  earlier, easier studies (immediate effects, no losses), kept for one release;
* :func:`detection_power` — how often the interval count model detects a planted holiday effect, given the window
  pattern of a series of the public record.

The data come from :mod:`tppo_analysis.design.synthetic` (:func:`~tppo_analysis.design.synthetic.simulate_design`,
:func:`~tppo_analysis.design.synthetic.small_panel`, :func:`~tppo_analysis.design.synthetic.draw_window_totals`).

Every frame returned carries ``data = "SYNTHETIC"`` (column and ``attrs``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .. import effects
from ..errors import NoOverdispersionError, TppoError
from ..models.interval._likelihood import incidence
from ..models.interval.model import DAYS_PER_YEAR, HOLIDAY_TERMS, IntervalCountModel
from ..sources.calendar import daily_holiday_indicators
from .synthetic import LABEL, draw_window_totals, simulate_design, small_panel

__all__ = [
    "simulate_design",
    "power_table",
    "mde_table",
    "coverage_study",
    "coverage_summary",
    "detection_power",
    "realistic_replication",
    "power_cell",
    "realistic_mde",
]


def _label(df: pd.DataFrame) -> pd.DataFrame:
    if "data" not in df.columns:
        df.insert(0, "data", LABEL)
    df.attrs["data"] = LABEL
    return df


def _analytic_power(base_rate, effect_rr, n_program, control_ratio, post_months, dispersion, village_sd):
    """Two-sample NB rate-ratio test on village totals over the post-launch months (statsmodels).

    Village totals are NB with mean rate * exposure; between-village heterogeneity (log-normal sd) adds dispersion
    exp(sd^2) - 1 on top of the month-level NB shape, which averages out over the months. With ``village_sd=0``
    this is the power a design would have if the pre-period removed the village differences entirely.
    """
    from statsmodels.stats.rates import power_negbin_ratio_2indep

    disp = (np.exp(village_sd**2) - 1) + 1.0 / (dispersion * post_months)
    return float(
        power_negbin_ratio_2indep(
            rate1=base_rate * effect_rr,
            rate2=base_rate,
            nobs1=n_program,
            nobs_ratio=control_ratio,
            exposure=post_months,
            dispersion=disp,
            alpha=0.05,
            return_results=False,
        )
    )


def power_table(
    *,
    effects_rr=(1.0, 0.9, 0.8, 0.7, 0.6, 0.5),
    n_programs=(73, 185, 500, 1000),
    base_rates=(0.1, 0.5, 2.0),
    n_reps: int = 50,
    seed: int = 0,
    control_ratio: float = 4.0,
    n_months: int = 36,
    dispersion: float = 2.0,
    village_sd: float = 1.0,
) -> pd.DataFrame:
    """Simulate the power of Poisson ETWFE (reject rate ratio = 1 at 5%, two-sided) and the analytic NB comparison.

    Returns one row per (effect_rr, n_program, base_rate): power_simulated (at effect_rr = 1 the test's size),
    mc_se, power_negbin_2indep (cross-sectional comparison of post-launch totals, village heterogeneity included),
    power_negbin_2indep_within (the same without village heterogeneity: an optimistic bound for a design whose
    pre-period removes it), mean_estimate, n_reps, n_not_identified (replications in which some launch cohort had no
    events before launch, so its rate ratio is not identified; counted as "not detected"). Seeds are derived from ``seed`` and the grid position, so any row can be reproduced.

    Parameters
    ----------
    effects_rr : sequence of float
        True rate ratios of the grid (1 gives the size).
    n_programs : sequence of int
        Program sizes.
    base_rates : sequence of float
        Deferrals per program village-month before launch.
    n_reps : int
        Replications per cell.
    seed : int
        Base seed (each cell's seed derives from it and its position).
    control_ratio : float
        Comparison villages per program village.
    n_months : int
        Panel length.
    dispersion : float
        Negative binomial shape.
    village_sd : float
        Log-sd of village heterogeneity.
    """
    rows = []
    for i, rr in enumerate(effects_rr):
        for j, n_p in enumerate(n_programs):
            for k, rate in enumerate(base_rates):
                rej, ests, failed = [], [], 0
                for r in range(n_reps):
                    s = int(np.random.SeedSequence([seed, i, j, k, r]).generate_state(1)[0])
                    d = simulate_design(
                        n_program=n_p,
                        control_ratio=control_ratio,
                        n_months=n_months,
                        base_rate=rate,
                        effect_rr=rr,
                        village_sd=village_sd,
                        dispersion=dispersion,
                        seed=s,
                    )
                    try:
                        ov = effects.fit(
                            d, "deferrals", "village", "month", "first_treated", estimator="poisson_etwfe"
                        ).overall.iloc[0]
                    except TppoError:  # e.g. a launch cohort with no events before launch: not identified
                        failed += 1
                        rej.append(False)
                        continue
                    rej.append(bool(ov["ci_upper"] < 1.0 or ov["ci_lower"] > 1.0))
                    ests.append(ov["estimate"])
                p = float(np.mean(rej))
                post = n_months - (13 + 22) / 2 + 1
                rows.append(
                    {
                        "effect_rr": rr,
                        "effect_pct": round((rr - 1) * 100),
                        "n_program": n_p,
                        "base_rate": rate,
                        "power_simulated": p,
                        "mc_se": float(np.sqrt(p * (1 - p) / n_reps)),
                        "power_negbin_2indep": _analytic_power(
                            rate, rr, n_p, control_ratio, post, dispersion, village_sd
                        ),
                        "power_negbin_2indep_within": _analytic_power(
                            rate, rr, n_p, control_ratio, post, dispersion, 0.0
                        ),
                        "mean_estimate": float(np.mean(ests)) if ests else float("nan"),
                        "n_reps": n_reps,
                        "n_not_identified": failed,
                    }
                )
    return _label(pd.DataFrame(rows))


def mde_table(power: pd.DataFrame, *, column: str = "power_simulated", target: float = 0.8) -> pd.DataFrame:
    """Return the minimum detectable effect (as a % reduction) at ``target`` power, by program size and baseline rate.

    Linear interpolation of power in the effect size. ``mde_bound`` says how to read ``mde_reduction_pct``: "="
    interpolated; "<=" the smallest effect of the grid already reaches the target; ">" even the largest effect of
    the grid does not (the value is then that largest effect).

    Parameters
    ----------
    power : pandas.DataFrame
        A power table (:func:`power_table`).
    column : str
        The power column used.
    target : float
        The power to reach.
    """
    rows = []
    for (n_p, rate), grp in power.groupby(["n_program", "base_rate"]):
        grp = grp[grp["effect_rr"] < 1].assign(reduction=(1 - grp["effect_rr"]) * 100).sort_values("reduction")
        x, y = grp["reduction"].to_numpy(), grp[column].to_numpy()
        mde, bound = np.nan, ">"
        if (y >= target).any():
            i = int(np.argmax(y >= target))
            if i == 0:
                mde, bound = x[0], "<="
            else:
                mde, bound = x[i - 1] + (target - y[i - 1]) * (x[i] - x[i - 1]) / (y[i] - y[i - 1]), "="
        elif len(x):
            mde = x[-1]
        rows.append(
            {"n_program": n_p, "base_rate": rate, "mde_bound": bound, "mde_reduction_pct": mde, "power_column": column}
        )
    return _label(pd.DataFrame(rows))


def coverage_study(
    n_reps: int = 200,
    *,
    seed: int = 0,
    n_villages: int = 300,
    n_periods: int = 16,
    cohorts=(7, 10, 13),
    effect_rr: float = 0.7,
    selection: float = 1.0,
    trend_slope: float = 0.05,
) -> pd.DataFrame:
    """Replicate Poisson ETWFE and naive TWFE on SYNTHETIC panels with multiplicative trends and selection on level.

    Each replication draws :func:`tppo_analysis.design.synthetic.small_panel` (seed = ``seed`` + replication) and records
    the Poisson ETWFE rate ratio with its 95% CI against the planted ratio, and the naive TWFE coefficient in levels
    against the true average effect in counts on the treated.

    Parameters
    ----------
    n_reps : int
        Replications.
    seed : int
        Base seed.
    n_villages : int
        Villages per panel.
    n_periods : int
        Periods per panel.
    cohorts : tuple of int
        Launch periods.
    effect_rr : float
        The planted rate ratio.
    selection : float
        Log-odds of treatment per SD of the village effect.
    trend_slope : float
        Common trend per period (log scale).

    Returns
    -------
    pandas.DataFrame
        One row per replication and estimator.
    """
    rows = []
    for r in range(n_reps):
        sp = small_panel(
            seed=seed + r,
            n_villages=n_villages,
            n_periods=n_periods,
            cohorts=tuple(cohorts),
            effect_rr=effect_rr,
            selection=selection,
            trend_slope=trend_slope,
        )
        p = effects.fit(sp.panel, "y", "unit", "period", "cohort", estimator="poisson_etwfe").overall.iloc[0]
        tw = effects.fit(sp.panel, "y", "unit", "period", "cohort", estimator="twfe").overall.iloc[0]
        rows.append(
            {
                "rep": r,
                "true_rr": sp.true_overall,
                "rr_estimate": p["estimate"],
                "rr_ci_lower": p["ci_lower"],
                "rr_ci_upper": p["ci_upper"],
                "true_att": sp.params["true_att"],
                "twfe_estimate": tw["estimate"],
                "twfe_ci_lower": tw["ci_lower"],
                "twfe_ci_upper": tw["ci_upper"],
            }
        )
    return _label(pd.DataFrame(rows))


def coverage_summary(reps: pd.DataFrame) -> pd.DataFrame:
    """Return bias (with Monte Carlo SE) and 95% CI coverage (with MC SE) per estimator, from :func:`coverage_study`.

    Poisson ETWFE bias is on the rate-ratio scale (estimate - truth); TWFE bias is in counts per village-period and
    also relative to the true effect. ``bias_within_2mcse`` / ``coverage_within_2mcse`` are the pass criteria.

    Parameters
    ----------
    reps : pandas.DataFrame
        The replications (:func:`coverage_study`).
    """
    n = len(reps)
    out = []
    for name, est, lo, hi, truth in [
        ("poisson_etwfe_rate_ratio", "rr_estimate", "rr_ci_lower", "rr_ci_upper", "true_rr"),
        ("naive_twfe_levels", "twfe_estimate", "twfe_ci_lower", "twfe_ci_upper", "true_att"),
    ]:
        err = reps[est] - reps[truth]
        cover = ((reps[lo] <= reps[truth]) & (reps[truth] <= reps[hi])).astype(float)
        bias, bias_se = float(err.mean()), float(err.std(ddof=1) / np.sqrt(n))
        cov, cov_se = float(cover.mean()), float(np.sqrt(0.95 * 0.05 / n))
        out.append(
            {
                "estimator": name,
                "n_reps": n,
                "mean_truth": float(reps[truth].mean()),
                "mean_estimate": float(reps[est].mean()),
                "bias": bias,
                "bias_mc_se": bias_se,
                "relative_bias": bias / float(reps[truth].mean()),
                "bias_within_2mcse": bool(abs(bias) <= 2 * bias_se),
                "coverage_95": cov,
                "coverage_mc_se": cov_se,
                "coverage_within_2mcse": bool(abs(cov - 0.95) <= 2 * cov_se),
            }
        )
    return _label(pd.DataFrame(out))


def detection_power(
    windows: pd.DataFrame,
    *,
    term: str,
    rate_ratios: Sequence[float],
    base_params: Mapping[str, float],
    origin,
    family: str = "negbin",
    alpha: float = 0.1,
    holidays: Sequence[str] | None = None,
    reps: int = 200,
    seed: int = 0,
    test_level: float = 0.05,
) -> pd.DataFrame:
    """Estimate how often the interval model detects a planted holiday effect, given a window pattern (SYNTHETIC study).

    For each rate ratio ``rr`` of ``term``, simulate ``reps`` record-like data sets: daily mean from ``base_params``
    with ``term`` set to ``log(rr)``; window totals Poisson or gamma-Poisson with window-level ``alpha``. Refit with the
    same trend and ``holidays`` and test ``term`` = 0 two ways:

    * ``power_wald`` — Wald test from :meth:`IntervalCountModel.fit`; fits that run to the boundary (or whose
      information matrix is singular) cannot be tested and count as not detected (``n_failed``); a negbin fit whose
      dispersion goes to 0 is the Poisson fit;
    * ``power_lr`` — likelihood-ratio test (:meth:`IntervalCountModel.max_loglike` with and without ``term``,
      chi-squared with 1 df), which stays valid at the boundary.

    A rate ratio of 1 gives the false-positive rate (should be near ``test_level``).

    Parameters
    ----------
    windows : pandas.DataFrame
        The window pattern (``period_start``, ``period_end``, inclusive).
    term : str
        The holiday term whose effect is planted and tested.
    rate_ratios : sequence of float
        Planted rate ratios.
    base_params : mapping of str to float
        ``intercept``, ``trend`` (per year from ``origin``) and any holiday terms, log scale.
    origin : date-like
        Origin of the trend.
    family : {"negbin", "poisson"}
        Noise of the window totals and the refitted family.
    alpha : float
        NB2 dispersion of the window totals (negbin).
    holidays : sequence of str, optional
        Holiday terms of the refit (default: just ``term``).
    reps : int
        Replications per rate ratio.
    seed : int
        Seed.
    test_level : float
        Significance level of the tests.

    Returns
    -------
    pandas.DataFrame
        One row per rate ratio: rate_ratio, power_wald, mc_se_wald, power_lr, mc_se_lr, n_failed, reps.
    """
    hol = list(holidays) if holidays is not None else [term]
    if term not in hol:
        raise TppoError(f"term {term!r} must be among the fitted holiday terms {hol}")
    w = windows[["period_start", "period_end"]].copy().reset_index(drop=True)
    w["period_start"] = pd.to_datetime(w["period_start"])
    w["period_end"] = pd.to_datetime(w["period_end"])
    origin = pd.Timestamp(origin).normalize()
    first, last = w["period_start"].min(), w["period_end"].max()
    cal = daily_holiday_indicators(first, last).set_index("date")
    years = (cal.index - origin).days.to_numpy() / DAYS_PER_YEAR
    base_eta = base_params.get("intercept", 0.0) + base_params.get("trend", 0.0) * years
    for h in HOLIDAY_TERMS + ["holiday", "working_day"]:
        if h != term and h in base_params:
            base_eta = base_eta + base_params[h] * cal[h].to_numpy()
    A = incidence(w, cal.index)
    full = IntervalCountModel(family, trend="linear", holidays=hol, origin=origin)
    reduced = IntervalCountModel(family, trend="linear", holidays=[h for h in hol if h != term] or False, origin=origin)
    crit = stats.chi2.ppf(1 - test_level, 1)
    rows = []
    for k, rr in enumerate(rate_ratios):
        rng = np.random.default_rng([seed, k])
        m = A @ np.exp(base_eta + np.log(rr) * cal[term].to_numpy())
        wald = lr = failed = 0
        for _ in range(reps):
            data = w.assign(value=draw_window_totals(m, rng, family=family, alpha=alpha))
            if 2.0 * (full.max_loglike(data) - reduced.max_loglike(data)) > crit:
                lr += 1
            try:
                res = full.fit(data)
            except NoOverdispersionError:
                # no overdispersion in this replicate: the Poisson fit is the NB fit at alpha = 0
                try:
                    res = IntervalCountModel("poisson", trend="linear", holidays=hol, origin=origin).fit(data)
                except TppoError:
                    failed += 1
                    continue
            except TppoError:
                failed += 1
                continue
            z = res.params[term] / res.bse[term]
            if 2 * stats.norm.sf(abs(z)) < test_level:
                wald += 1
        pw, pl = wald / reps, lr / reps
        rows.append(
            {
                "rate_ratio": float(rr),
                "power_wald": pw,
                "mc_se_wald": float(np.sqrt(pw * (1 - pw) / reps)),
                "power_lr": pl,
                "mc_se_lr": float(np.sqrt(pl * (1 - pl) / reps)),
                "n_failed": failed,
                "reps": reps,
            }
        )
    return pd.DataFrame(rows)


from .realistic import power_cell, realistic_mde, realistic_replication  # noqa: E402

# Notebook views, re-exported so that notebooks reach them as ``tppo.power.<name>``.
from .views import (  # noqa: E402
    calibration,
    coverage_table,
    mde_headline,
    plot_power,
    power_grid,
    power_pivot,
    size_table,
    stress_table,
)

__all__ += [
    "calibration",
    "coverage_table",
    "mde_headline",
    "plot_power",
    "power_grid",
    "power_pivot",
    "size_table",
    "stress_table",
]
