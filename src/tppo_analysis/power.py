"""Power, minimum detectable effect and estimator checks for the Desa Binaan design — all on SYNTHETIC panels.

* :func:`simulate_design` — a SYNTHETIC program/comparison village panel with staggered launches, heavy-tailed
  village rates (negative binomial counts), a multiplicative trend and a planted rate-ratio effect;
* :func:`power_table` — simulated power of the Poisson ETWFE test of "no effect" (two-sided, 5%) over a grid of
  effects, program sizes and baseline rates, next to the analytic power of a two-sample negative binomial rate-ratio
  test (``statsmodels.stats.rates.power_negbin_ratio_2indep``) on the post-launch months;
* :func:`mde_table` — minimum detectable effect (80% power) interpolated from the power table;
* :func:`coverage_study` — bias and 95% CI coverage of the Poisson ETWFE rate ratio on panels with multiplicative
  trends and selection on sending level, next to the bias of the naive TWFE regression in levels.

Every frame returned carries ``data = "SYNTHETIC"`` (column and ``attrs``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import effects
from .errors import TppoError
from .synthetic import LABEL, small_panel

__all__ = ["simulate_design", "power_table", "mde_table", "coverage_study", "coverage_summary"]


def _label(df: pd.DataFrame) -> pd.DataFrame:
    if "data" not in df.columns:
        df.insert(0, "data", LABEL)
    df.attrs["data"] = LABEL
    return df


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
    multiplied by ``effect_rr`` from their launch month on. Columns: data, village, month, first_treated,
    deferrals.
    """
    rng = np.random.default_rng(seed)
    n_c = int(round(n_program * control_ratio))
    n = n_program + n_c
    waves = np.round(np.linspace(first_launch, last_launch, n_waves)).astype(np.int64)
    g = np.concatenate([rng.choice(waves, n_program), np.zeros(n_c, dtype=np.int64)])
    a = rng.normal(-village_sd**2 / 2, village_sd, n)
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
            rate1=base_rate * effect_rr, rate2=base_rate, nobs1=n_program, nobs_ratio=control_ratio,
            exposure=post_months, dispersion=disp, alpha=0.05, return_results=False,
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
    """Simulated power of Poisson ETWFE (reject rate ratio = 1 at 5%, two-sided) and the analytic NB comparison.

    Returns one row per (effect_rr, n_program, base_rate): power_simulated (at effect_rr = 1 the test's size),
    mc_se, power_negbin_2indep (cross-sectional comparison of post-launch totals, village heterogeneity included),
    power_negbin_2indep_within (the same without village heterogeneity: an optimistic bound for a design whose
    pre-period removes it), mean_estimate, n_reps, n_not_identified (replications in which some launch cohort had no
    events before launch, so its rate ratio is not identified; counted as "not detected"). Seeds are derived from ``seed`` and the grid position, so any row can be reproduced.
    """
    rows = []
    for i, rr in enumerate(effects_rr):
        for j, n_p in enumerate(n_programs):
            for k, rate in enumerate(base_rates):
                rej, ests, failed = [], [], 0
                for r in range(n_reps):
                    s = int(np.random.SeedSequence([seed, i, j, k, r]).generate_state(1)[0])
                    d = simulate_design(n_program=n_p, control_ratio=control_ratio, n_months=n_months,
                                        base_rate=rate, effect_rr=rr, village_sd=village_sd,
                                        dispersion=dispersion, seed=s)
                    try:
                        ov = effects.fit(d, "deferrals", "village", "month", "first_treated",
                                         estimator="poisson_etwfe").overall.iloc[0]
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
                        "power_negbin_2indep": _analytic_power(rate, rr, n_p, control_ratio, post, dispersion,
                                                               village_sd),
                        "power_negbin_2indep_within": _analytic_power(rate, rr, n_p, control_ratio, post,
                                                                      dispersion, 0.0),
                        "mean_estimate": float(np.mean(ests)) if ests else float("nan"),
                        "n_reps": n_reps,
                        "n_not_identified": failed,
                    }
                )
    return _label(pd.DataFrame(rows))


def mde_table(power: pd.DataFrame, *, column: str = "power_simulated", target: float = 0.8) -> pd.DataFrame:
    """Minimum detectable effect (as a % reduction) at ``target`` power, by program size and baseline rate.

    Linear interpolation of power in the effect size. ``mde_bound`` says how to read ``mde_reduction_pct``: "="
    interpolated; "<=" the smallest effect of the grid already reaches the target; ">" even the largest effect of
    the grid does not (the value is then that largest effect).
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
        rows.append({"n_program": n_p, "base_rate": rate, "mde_bound": bound, "mde_reduction_pct": mde,
                     "power_column": column})
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

    Each replication draws :func:`tppo_analysis.synthetic.small_panel` (seed = ``seed`` + replication) and records
    the Poisson ETWFE rate ratio with its 95% CI against the planted ratio, and the naive TWFE coefficient in levels
    against the true average effect in counts on the treated.
    """
    rows = []
    for r in range(n_reps):
        sp = small_panel(seed=seed + r, n_villages=n_villages, n_periods=n_periods, cohorts=tuple(cohorts),
                         effect_rr=effect_rr, selection=selection, trend_slope=trend_slope)
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
    """Bias (with Monte Carlo SE) and 95% CI coverage (with MC SE) per estimator, from :func:`coverage_study`.

    Poisson ETWFE bias is on the rate-ratio scale (estimate - truth); TWFE bias is in counts per village-period and
    also relative to the true effect. ``bias_within_2mcse`` / ``coverage_within_2mcse`` are the pass criteria.
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
