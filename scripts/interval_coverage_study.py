"""Coverage study for the interval count model (SYNTHETIC data; writes results/studies/interval_coverage.csv + .md).

Planted truth: a daily Poisson (or window-level NB2) process with a linear trend and pre/post-Idul-Fitri effects,
observed only through irregular windows that copy the shape of the real record (monthly runs, "1 January to date"
snapshots turned into disjoint intervals, long annual windows, gaps). Each replication fits the model and predicts
two held-out windows that the record never observed: a gap containing Idul Fitri 2025 (Mar–Apr 2025) and a forecast
window (Jul–Sep 2025). Reported: mean error of each planted coefficient with its Monte Carlo SE, and the coverage of
the 90% window prediction intervals with its Monte Carlo SE.

Usage::

    python scripts/interval_coverage_study.py --reps 200            # the committed study
    python scripts/interval_coverage_study.py --reps 10 --out /tmp/x  # quick check
    python scripts/interval_coverage_study.py --power --reps 200    # seasonality detection power (02 notebook)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from tppo_analysis.design.power import detection_power
from tppo_analysis.design.synthetic.windows import ALPHA, ORIGIN, TRUTH, simulate_totals, true_daily_mean
from tppo_analysis.errors import TppoError
from tppo_analysis.models import IntervalCountModel
from tppo_analysis.output.tables import write_csv

# The planted truth (TRUTH, ORIGIN, ALPHA) and its simulation (true_daily_mean, simulate_totals) are the documented
# DGP of tppo_analysis.design.synthetic.windows; the observed and held-out windows below are this study's design.

#: Observed windows, shaped like the reconciled Soekarno-Hatta record (irregular, disjoint, with gaps).
WINDOWS = [
    ("2022-01-01", "2022-01-19"),
    ("2022-01-20", "2022-08-13"),
    ("2022-08-14", "2022-12-29"),
    ("2023-01-01", "2023-01-31"),
    ("2023-02-01", "2023-02-28"),
    ("2023-03-01", "2023-03-31"),
    ("2023-04-01", "2023-04-30"),
    ("2023-05-01", "2023-05-31"),
    ("2023-06-01", "2023-06-30"),
    ("2023-07-01", "2023-07-23"),
    ("2023-07-24", "2023-12-31"),
    ("2024-01-01", "2024-01-31"),
    ("2024-02-01", "2024-02-29"),
    ("2024-03-01", "2024-03-31"),
    ("2024-04-01", "2024-04-30"),
    ("2024-05-01", "2024-05-31"),
    ("2024-06-01", "2024-06-30"),
    ("2024-07-01", "2024-07-31"),
    ("2024-08-01", "2024-08-31"),
    ("2024-09-01", "2024-09-16"),
    ("2024-09-17", "2024-12-15"),
    ("2025-01-01", "2025-02-28"),
    ("2025-05-01", "2025-06-30"),
]
#: Held-out windows whose realised totals the 90% prediction intervals must cover.
TARGETS = {"gap_idul_fitri_2025": ("2025-03-01", "2025-04-30"), "forecast_q3_2025": ("2025-07-01", "2025-09-30")}


def windows_frame(windows=WINDOWS) -> pd.DataFrame:
    return pd.DataFrame(
        {"period_start": pd.to_datetime([w[0] for w in windows]), "period_end": pd.to_datetime([w[1] for w in windows])}
    )


def one_replication(rep: int, family: str, seed: int = 20250601, n_draws: int = 400) -> dict:
    rng = np.random.default_rng([seed, rep, 0 if family == "poisson" else 1])
    mu = true_daily_mean()
    obs = windows_frame()
    targets = pd.DataFrame(
        {
            "period_start": pd.to_datetime([t[0] for t in TARGETS.values()]),
            "period_end": pd.to_datetime([t[1] for t in TARGETS.values()]),
        }
    )
    both = pd.concat([obs, targets], ignore_index=True)
    totals = simulate_totals(mu, both, family, rng)
    obs["value"] = totals[: len(obs)]
    realised = totals[len(obs) :]
    # the ridge on holiday terms (prior sd 1) is made negligible here: this study checks the likelihood and the
    # prediction intervals, so its estimates must be unbiased (the ridge's shrinkage is studied in planted_truth)
    model = IntervalCountModel(
        family,
        trend="linear",
        holidays=["pre_idul_fitri", "post_idul_fitri"],
        origin=ORIGIN,
        prior_sd={"holidays": 1e3},
    )
    row = {"family": family, "rep": rep}
    try:
        res = model.fit(obs)
    except TppoError as exc:  # a failed fit is recorded, never dropped silently
        row["failed"] = str(exc).splitlines()[0]
        return row
    row["failed"] = ""
    for term in TRUTH:
        row[f"est_{term}"] = float(res.params[term])
        row[f"se_{term}"] = float(res.bse[term])
    for (name, (a, b)), y in zip(TARGETS.items(), realised, strict=True):
        p = res.predict_window(a, b, level=0.9, seed=rep, n_draws=n_draws)
        row[f"y_{name}"] = int(y)
        row[f"lower_{name}"] = p["lower"]
        row[f"upper_{name}"] = p["upper"]
        row[f"covered_{name}"] = bool(p["lower"] <= y <= p["upper"])
    return row


def summarise(reps: pd.DataFrame) -> pd.DataFrame:
    """One row per (family, quantity): bias / coverage with Monte Carlo SE and the pass check."""
    rows = []
    for family, g_all in reps.groupby("family", sort=True):
        g = g_all[g_all["failed"] == ""]
        n = len(g)
        rows.append(
            {
                "family": family,
                "quantity": "failed_fits",
                "truth": np.nan,
                "estimate": float(len(g_all) - n),
                "mc_se": np.nan,
                "target": 0.0,
                "within_2_mc_se": bool(len(g_all) == n),
                "reps": len(g_all),
            }
        )
        for term, true in TRUTH.items():
            err = g[f"est_{term}"] - true
            mc_se = float(err.std(ddof=1) / np.sqrt(n))
            rows.append(
                {
                    "family": family,
                    "quantity": f"bias:{term}",
                    "truth": true,
                    "estimate": float(err.mean()),
                    "mc_se": mc_se,
                    "target": 0.0,
                    "within_2_mc_se": bool(abs(err.mean()) <= 2 * mc_se),
                    "reps": n,
                }
            )
            cover = (
                (g[f"est_{term}"] - 1.6449 * g[f"se_{term}"] <= true)
                & (true <= g[f"est_{term}"] + 1.6449 * g[f"se_{term}"])
            ).mean()
            se_c = float(np.sqrt(0.9 * 0.1 / n))
            rows.append(
                {
                    "family": family,
                    "quantity": f"ci90_coverage:{term}",
                    "truth": true,
                    "estimate": float(cover),
                    "mc_se": se_c,
                    "target": 0.9,
                    "within_2_mc_se": bool(abs(cover - 0.9) <= 2 * se_c),
                    "reps": n,
                }
            )
        for name in TARGETS:
            cover = float(g[f"covered_{name}"].mean())
            se_c = float(np.sqrt(0.9 * 0.1 / n))
            rows.append(
                {
                    "family": family,
                    "quantity": f"pi90_coverage:{name}",
                    "truth": np.nan,
                    "estimate": cover,
                    "mc_se": se_c,
                    "target": 0.9,
                    "within_2_mc_se": bool(abs(cover - 0.9) <= 2 * se_c),
                    "reps": n,
                }
            )
    out = pd.DataFrame(rows)
    # The acceptance criteria of the study: no failed fits, unbiased estimates, 90% window prediction intervals
    # covering 90%. Wald-interval coverage of the coefficients is reported as information (with 8 such rows some
    # fall outside 2 MC SE by chance alone).
    out["required"] = ~out["quantity"].str.startswith("ci90_coverage:")
    return out


def run_coverage(reps: int, families=("poisson", "negbin"), seed: int = 20250601, n_draws: int = 400) -> pd.DataFrame:
    out = [one_replication(r, fam, seed=seed, n_draws=n_draws) for fam in families for r in range(reps)]
    return pd.DataFrame(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--seed", type=int, default=20250601)
    ap.add_argument("--out", type=Path, default=None, help="output folder (default results/studies)")
    ap.add_argument("--power", action="store_true", help="run the seasonality detection-power study instead")
    args = ap.parse_args(argv)
    from tppo_analysis import paths

    out = args.out if args.out is not None else paths.results_dir() / "studies"
    out.mkdir(parents=True, exist_ok=True)
    if args.power:
        table = run_power(args.reps, seed=args.seed)
        table.insert(0, "data", "SYNTHETIC")
        write_csv(table, out / "seasonality_power.csv")
        write_power_markdown(table, out / "seasonality_power.md", args.reps, args.seed)
        return 0
    reps = run_coverage(args.reps, seed=args.seed)
    summary = summarise(reps)
    summary.insert(0, "data", "SYNTHETIC")
    write_csv(summary, out / "interval_coverage.csv")
    write_markdown(summary, out / "interval_coverage.md", args.reps, args.seed)
    primary = summary[(summary["family"] == "poisson") & summary["required"]]
    return 0 if bool(primary["within_2_mc_se"].all()) else 1


#: Series whose reported window pattern the power study copies (series, measure).
POWER_SERIES = [
    ("tpi:soekarno-hatta", "dep_deferral_wni_pmi_suspected"),
    ("tpi:juanda", "dep_deferral_wni_pmi_suspected"),
    ("national", "passport_deferral_pmi_suspected"),
]
POWER_RATE_RATIOS = (0.33, 0.5, 0.67, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0)
POWER_TERM = "post_idul_fitri"


def power_baseline(obs: pd.DataFrame, series: str, measure: str) -> dict:
    """Return the baseline a power replication simulates from.

    The baseline a power replication simulates from: a negbin fit with a linear trend and no holiday terms to the
    real series (intercept, trend, window-level alpha, origin, windows). ``tests/test_studies_issue12.py`` checks
    that the committed study used the current record's fit.
    """
    o = obs[(obs["series"] == series) & (obs["measure"] == measure)]
    origin = o["period_start"].min() + (o["period_end"].max() - o["period_start"].min()) / 2
    base = IntervalCountModel("negbin", trend="linear", holidays=False, origin=origin).fit(o)
    p = base.params
    return {
        "windows": o,
        "origin": origin,
        "intercept": float(p["intercept"]),
        "trend": float(p["trend"]),
        "alpha": float(p["alpha"]),
        "n_windows": len(o),
    }


def run_power(reps: int, seed: int = 20250601) -> pd.DataFrame:
    """Estimate the detection power of a planted post-Idul-Fitri effect on each series' own reconciled window pattern.

    Baseline (intercept, trend, window-level alpha) comes from a negbin fit without holiday terms to the real
    series, so the simulated record is as noisy as the real one looks; the planted effect is then varied.
    """
    import tppo_analysis as tppo

    obs, _ = tppo.reconcile(tppo.load_public_record())
    out = []
    for i, (series, measure) in enumerate(POWER_SERIES):
        b = power_baseline(obs, series, measure)
        print(f"power: {series} / {measure}", file=sys.stderr, flush=True)
        table = detection_power(
            b["windows"],
            term=POWER_TERM,
            rate_ratios=POWER_RATE_RATIOS,
            base_params={"intercept": b["intercept"], "trend": b["trend"]},
            origin=b["origin"],
            family="negbin",
            alpha=b["alpha"],
            reps=reps,
            seed=seed + i,
        )
        table.insert(0, "measure", measure)
        table.insert(0, "series", series)
        table.insert(2, "n_windows", b["n_windows"])
        table.insert(3, "alpha", b["alpha"])
        out.append(table)
    return pd.concat(out, ignore_index=True)


def write_power_markdown(table: pd.DataFrame, path: Path, reps: int, seed: int) -> None:
    lines = [
        "# Seasonality detection power on the record's own window pattern (SYNTHETIC data)",
        "",
        f"Script: `scripts/interval_coverage_study.py --power --reps {reps} --seed {seed}`. For each series, the "
        "reconciled windows of the public record are kept as they are; counts are simulated from a negbin fit to the "
        f"series (trend + window-level alpha) with a planted `{POWER_TERM}` rate ratio, and the interval model "
        "(negbin, linear trend, that one holiday term with the model's default ridge prior, log-effect sd 1, as the "
        "holiday effects of notebook 02 are fitted) is refitted by `design.power.detection_power`. Power = share of "
        "replications with p < 0.05, by the Wald test on the penalized estimate and its standard error (a fit that "
        "raises counts as not detected: failed fits) and by the likelihood-ratio test (log-likelihoods at the "
        "penalized optima, chi-squared with 1 df). Both are conservative under the prior's shrinkage; rate ratio 1 "
        "gives the false-positive rate.",
        "",
        "| series | measure | windows | alpha | rate ratio | power (Wald) | MC SE | power (LR) | MC SE | failed fits |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in table.itertuples(index=False):
        lines.append(
            f"| {r.series} | {r.measure} | {r.n_windows} | {r.alpha:.3f} | {r.rate_ratio:.2f} | "
            f"{r.power_wald:.3f} | {r.mc_se_wald:.3f} | {r.power_lr:.3f} | {r.mc_se_lr:.3f} | "
            f"{r.n_failed} |"
        )
    lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


def write_markdown(summary: pd.DataFrame, path: Path, reps: int, seed: int) -> None:
    lines = [
        "# Interval count model: coverage study (SYNTHETIC data)",
        "",
        f"Script: `scripts/interval_coverage_study.py --reps {reps} --seed {seed}`. {reps} seeded replications per "
        "family. Planted truth: "
        + ", ".join(f"{k} = {v:.4g}" for k, v in TRUTH.items())
        + f" (log scale; trend per year from {ORIGIN.date()}); negbin scenario window-level alpha = {ALPHA}.",
        f"Observed windows: {len(WINDOWS)} irregular, disjoint windows shaped like the reconciled Soekarno-Hatta "
        "record (2022–2025, with gaps). Held-out windows: "
        + "; ".join(f"{k} {a}..{b}" for k, (a, b) in TARGETS.items())
        + ".",
        "",
        "The primary scenario is `poisson` (daily Poisson counts, the model's own assumption): its rows are the "
        "acceptance check (script exit status): no failed fits, bias within 2 MC SE and 90% prediction-interval "
        "coverage within 2 MC SE (`required` rows; Wald-interval coverage rows are information). The `negbin` scenario is a stress test (window-level NB2 noise, "
        "alpha estimated from 23 windows; predictions use the small-sample corrected alpha x n/(n-k)). Rows marked "
        "NO are reported, not hidden: under overdispersion the Idul Fitri effects are weakly identified by this "
        "window pattern, so their ML estimates are skewed (mean error outside 2 MC SE), a few fits run to the "
        "boundary (failed_fits; excluded from the other rows) and Wald intervals can under-cover.",
        "",
        "| family | quantity | estimate | MC SE | target | within 2 MC SE | required |",
        "| --- | --- | ---: | ---: | ---: | --- | --- |",
    ]
    for r in summary.itertuples(index=False):
        lines.append(
            f"| {r.family} | {r.quantity} | {r.estimate:.4f} | {r.mc_se:.4f} | {r.target:.2f} | "
            f"{'yes' if r.within_2_mc_se else 'NO'} | {'yes' if r.required else ''} |"
        )
    lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
