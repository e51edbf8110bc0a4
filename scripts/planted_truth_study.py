"""Planted-truth study of the smooth interval model on windows shaped like the record (SYNTHETIC data).

The windows are Soekarno-Hatta's reconciled windows of the public record (as they are, with their gaps); the truth
is a daily rate that rises from about 1 a day (2017-2019) to about 19 a day in mid-2023 and falls back to about 10
by the end of 2024, with a Ramadan factor of 0.85 and a post-Idul-Fitri factor (days 0-20) of 0.6, and month-level
NB noise (alpha 0.05). Each replication draws window totals, fits
``IntervalCountModel("negbin", trend="smooth", holidays=["ramadan", "post_idul_fitri"], dispersion="month",
smoothing=...)`` (the screen) or the chosen model with those holiday terms, and compares the fitted monthly means with the true ones over the months the windows cover
completely: mean absolute relative error, and coverage of the 90% intervals of the monthly means.

Two uses (``docs/model_choice.md``): ``--screen`` runs 100 replications per smoothing criterion (step 0 of the rule:
a criterion is eligible when the error is at most 10% and the coverage 0.85-0.95); the default run checks the chosen
model at 200 replications. Resumable: replications already in ``planted_truth_reps.csv`` are not rerun. Progress
with tqdm on the terminal.

Usage::

    python scripts/planted_truth_study.py --screen            # step 0 of the rule
    python scripts/planted_truth_study.py --reps 200          # the chosen model (RECOMMENDED)
    python scripts/planted_truth_study.py --reps 200 --no-break   # the same without its breaks
    python scripts/planted_truth_study.py --reps 200 --pooled     # the chosen options, pooled over the key series
    python scripts/planted_truth_study.py --reps 200 --pooled --per-series-dispersion   # pooled, one alpha a series
    python scripts/planted_truth_study.py --reps 5 --out /tmp/x
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from tppo_analysis.models import IntervalCountModel
from tppo_analysis.output.tables import write_csv
from tppo_analysis.sources.calendar import daily_holiday_indicators

ALPHA = 0.05
HOLIDAYS = {"ramadan": 0.85, "post_idul_fitri": 0.6}
MAX_ERROR, COVERAGE = 0.10, (0.85, 0.95)
SEED = 20261201


def record_windows(series: str = "tpi:soekarno-hatta") -> pd.DataFrame:
    """Return a key series' reconciled windows (dates only) from the current public record (default Soekarno-Hatta)."""
    import tppo_analysis as tppo
    from tppo_analysis.models.trends import series_obs

    obs, _ = tppo.reconcile(tppo.load_public_record())
    return series_obs(obs, series)[["period_start", "period_end"]].reset_index(drop=True)


def true_daily_rate(first: pd.Timestamp, last: pd.Timestamp) -> pd.Series:
    """Return the planted daily mean from ``first`` to ``last`` (rise and fall, holiday factors)."""
    days = pd.date_range(first, last)
    t = (days - pd.Timestamp("2017-01-01")).days.to_numpy() / 365.25
    log_rate = np.log(18.0) * np.exp(-0.5 * ((t - 6.5) / 1.6) ** 2)
    cal = daily_holiday_indicators(first, last).set_index("date")
    for term, factor in HOLIDAYS.items():
        log_rate = log_rate + np.log(factor) * cal[term].to_numpy()
    return pd.Series(np.exp(log_rate), index=days)


def full_months(windows: pd.DataFrame) -> pd.PeriodIndex:
    """Calendar months every day of which lies in some window."""
    covered = set()
    for a, b in zip(windows["period_start"], windows["period_end"], strict=True):
        covered.update(pd.date_range(a, b))
    months = pd.period_range(windows["period_start"].min(), windows["period_end"].max(), freq="M")
    keep = [m for m in months if all(d in covered for d in pd.date_range(m.start_time, m.end_time.normalize()))]
    return pd.PeriodIndex(keep, freq="M")


def one_replication(
    rep: int,
    smoothing: str,
    windows: pd.DataFrame,
    mu: pd.Series,
    months: pd.PeriodIndex,
    *,
    seed: int = SEED,
    n_draws: int = 1000,
    model_options: dict | None = None,
    by_year: list | None = None,
) -> dict:
    rng = np.random.default_rng([seed, rep])
    month_of_day = mu.index.to_period("M")
    noise = pd.Series(rng.gamma(1 / ALPHA, ALPHA, size=len(month_of_day.unique())), index=month_of_day.unique())
    daily = pd.Series(rng.poisson(mu.to_numpy() * noise.reindex(month_of_day).to_numpy()), index=mu.index)
    obs = windows.assign(value=_window_totals(windows, daily))
    options = {"dispersion": "month", **(model_options or {}), "smoothing": smoothing}
    res = IntervalCountModel("negbin", trend="smooth", holidays=list(HOLIDAYS), **options).fit(obs)
    mon = res.monthly(level=0.9, seed=rep, n_draws=n_draws)
    return _score(res, mon, mu, months, smoothing, rep, edf=res.edf, alpha=res.alpha, by_year=by_year)


def _window_totals(windows: pd.DataFrame, daily: pd.Series) -> list[int]:
    """Sum the simulated daily counts over each window (inclusive dates)."""
    return [int(daily[a:b].sum()) for a, b in zip(windows["period_start"], windows["period_end"], strict=True)]


def _score(
    res, mon: pd.DataFrame, mu: pd.Series, months, smoothing: str, rep: int, *, edf, alpha, by_year: list | None = None
) -> dict:
    """Score one fit: monthly error and band coverage over ``months``, and the error of each holiday term.

    With ``by_year`` (a list), one row per calendar year of the scored months is appended to it (see
    :func:`year_rows`).
    """
    mon = mon.set_index("month")
    mon.index = mon.index.to_period("M")
    truth = mu.groupby(mu.index.to_period("M")).sum().reindex(months)
    got = mon.reindex(months)
    covered = (got["ci_lower"] <= truth) & (truth <= got["ci_upper"])
    if by_year is not None:
        by_year.extend(year_rows(got, truth, covered, smoothing, rep))
    ident = res.identification().set_index("term")
    row = {
        "smoothing": smoothing,
        "rep": rep,
        "monthly_rel_error": float((got["mean"] / truth - 1).abs().mean()),
        "band_coverage_90": float(covered.mean()),
        "edf": edf,
        "alpha": alpha,
        "converged": bool(res.converged),
    }
    for term, factor in HOLIDAYS.items():
        row[f"error_{term}"] = float(ident.loc[term, "estimate"] - np.log(factor))
    return row


def year_rows(got: pd.DataFrame, truth: pd.Series, covered: pd.Series, smoothing: str, rep: int) -> list[dict]:
    """One replication's scored months summed by calendar year: where in time the bands miss.

    Columns: ``year``, ``months`` (scored months of that year), ``covered`` (how many of them the 90% band covers),
    ``sum_rel_error`` and ``sum_rel_bias`` (sums over those months of |fitted / true - 1| and fitted / true - 1).
    Sums rather than means so that years pool over replications by adding.
    """
    rel = got["mean"] / truth - 1
    year = truth.index.year
    return [
        {
            "smoothing": smoothing,
            "rep": rep,
            "year": int(y),
            "months": int((year == y).sum()),
            "covered": int(covered[year == y].sum()),
            "sum_rel_error": float(rel[year == y].abs().sum()),
            "sum_rel_bias": float(rel[year == y].sum()),
        }
        for y in sorted(set(year))
    ]


#: Planted levels of the other key series relative to Soekarno-Hatta (roughly the record's ratios): one shared
#: shape, so the pooled model's series deviations are truly zero -- a favourable case for pooling, stated as such.
POOLED_SCALE = {"tpi:soekarno-hatta": 1.0, "national": 4.0, "tpi:juanda": 0.35, "tpi:batam-seaports": 1.5}
POOLED_TARGET = "tpi:soekarno-hatta"


def one_pooled_replication(
    rep: int,
    smoothing: str,
    windows: dict[str, pd.DataFrame],
    mu: pd.Series,
    months: pd.PeriodIndex,
    *,
    seed: int = SEED,
    n_draws: int = 1000,
    model_options: dict | None = None,
    by_year: list | None = None,
) -> dict:
    """One replication of the pooled check: the four key series' own windows, scaled copies of one truth.

    Counts are drawn as in :func:`one_replication` for each series (its own month-level NB noise); the pooled model
    with the chosen options is fitted to all four, and Soekarno-Hatta's fitted monthly means are scored.
    """
    from tppo_analysis.models.interval.pooled import fit_pooled

    rng = np.random.default_rng([seed, rep, 1])
    month_of_day = mu.index.to_period("M")
    frames = []
    for key, win in windows.items():
        noise = pd.Series(rng.gamma(1 / ALPHA, ALPHA, size=len(month_of_day.unique())), index=month_of_day.unique())
        lam = POOLED_SCALE[key] * mu.to_numpy() * noise.reindex(month_of_day).to_numpy()
        daily = pd.Series(rng.poisson(lam), index=mu.index)
        frames.append(
            win.assign(
                series=key,
                measure="dep_deferral_wni_pmi_suspected",
                value=_window_totals(win, daily),
            )
        )
    obs = pd.concat(frames, ignore_index=True)
    options = {**(model_options or {}), "smoothing": smoothing}
    res = fit_pooled(obs, list(windows), family="negbin", holidays=list(HOLIDAYS), **options)
    mon = res.monthly(level=0.9, seed=rep, n_draws=n_draws, series=POOLED_TARGET)
    return _score(
        res,
        mon,
        mu,
        months,
        smoothing,
        rep,
        edf=float(getattr(res, "edf", np.nan)),
        alpha=float(np.nan),
        by_year=by_year,
    )


def summarise(reps: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for crit, g in reps.groupby("smoothing", sort=False):
        n = len(g)
        err, cov = g["monthly_rel_error"], g["band_coverage_90"]
        rows.append(
            {
                "smoothing": crit,
                "reps": n,
                "monthly_rel_error": err.mean(),
                "mc_se_error": err.std(ddof=1) / np.sqrt(n),
                "band_coverage_90": cov.mean(),
                "mc_se_coverage": cov.std(ddof=1) / np.sqrt(n),
                **{f"bias_{t}": g[f"error_{t}"].mean() for t in HOLIDAYS},
                "converged": int(g["converged"].sum()),
                "passes": bool(err.mean() <= MAX_ERROR and COVERAGE[0] <= cov.mean() <= COVERAGE[1]),
            }
        )
    return pd.DataFrame(rows)


def run(
    criteria,
    reps: int,
    out: Path,
    study: str,
    *,
    seed: int = SEED,
    model_options: dict | None = None,
    progress: bool = True,
    pooled: bool = False,
) -> pd.DataFrame:
    """Run (or resume) the replications of ``criteria`` into ``<out>/planted_truth_reps.csv``; return them.

    Each replication's scored months are also summed by calendar year (:func:`year_rows`) into
    ``<out>/planted_truth_by_year.csv``, written at the same checkpoints: where in time the bands miss.
    """
    path, path_years = out / "planted_truth_reps.csv", out / "planted_truth_by_year.csv"
    done = pd.read_csv(path) if path.exists() else pd.DataFrame(columns=["study", "smoothing", "rep"])
    done_years = pd.read_csv(path_years) if path_years.exists() else pd.DataFrame()
    windows = record_windows()
    if pooled:
        per_series = {k: record_windows(k) for k in POOLED_SCALE}
        first = min(w["period_start"].min() for w in per_series.values())
        last = max(w["period_end"].max() for w in per_series.values())
        mu = true_daily_rate(first, last)
    else:
        mu = true_daily_rate(windows["period_start"].min(), windows["period_end"].max())
    months = full_months(windows)
    todo = [
        (c, r)
        for c in criteria
        for r in range(reps)
        if not ((done["study"] == study) & (done["smoothing"] == c) & (done["rep"] == r)).any()
    ]
    bar = None
    if progress and todo:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), desc=f"planted truth ({study})", file=sys.stderr)
    rows: list[dict] = []
    years: list[dict] = []
    for k, (crit, rep) in enumerate(todo):
        row = (
            one_pooled_replication(
                rep, crit, per_series, mu, months, seed=seed, model_options=model_options, by_year=years
            )
            if pooled
            else one_replication(rep, crit, windows, mu, months, seed=seed, model_options=model_options, by_year=years)
        )
        rows.append(row)
        if bar:
            bar.update(1)
        if len(rows) == 20 or k == len(todo) - 1:  # checkpoint
            done = _append(done, rows, study)
            write_csv(done, path)
            done_years = _append(done_years, years, study)
            write_csv(done_years, path_years)
            rows, years = [], []
    if bar:
        bar.close()
    return done[(done["study"] == study) & done["smoothing"].isin(criteria) & (done["rep"] < reps)]


def _append(done: pd.DataFrame, rows: list[dict], study: str) -> pd.DataFrame:
    """``done`` with ``rows`` of ``study`` appended, labelled SYNTHETIC (``data`` first)."""
    new = pd.DataFrame([{"data": "SYNTHETIC", "study": study, **r} for r in rows])
    out = new if done.empty else pd.concat([done, new], ignore_index=True)
    return out[["data", *(c for c in out.columns if c != "data")]]


def write_outputs(out: Path) -> pd.DataFrame:
    reps = pd.read_csv(out / "planted_truth_reps.csv")
    table = pd.concat([summarise(g).assign(study=s) for s, g in reps.groupby("study", sort=False)], ignore_index=True)
    table.insert(0, "data", "SYNTHETIC")
    write_csv(table, out / "planted_truth.csv")
    lines = [
        "# Planted-truth study of the smooth interval model (SYNTHETIC data)",
        "",
        "Script: `scripts/planted_truth_study.py` (see its docstring for the design). Windows: Soekarno-Hatta's "
        "reconciled windows; truth: a rise and a fall, Ramadan x0.85, post-Idul-Fitri x0.6, month-level NB noise "
        f"(alpha {ALPHA}). Targets: monthly means within {MAX_ERROR:.0%} on average, 90% bands of the monthly "
        f"means covering the truth in {COVERAGE[0]:.2f}-{COVERAGE[1]:.2f} of the fully covered months.",
        "",
        "Studies: `screen` = step 0 of `docs/model_choice.md` (month-level dispersion, no break, each smoothing "
        "criterion); `chosen` = the single-series model the rule chose (`tppo.recommended_interval_model`: "
        + _describe(chosen_options())
        + ") with the planted holiday terms; `chosen_no_break` = the same without its breaks (`--no-break`); "
        "`chosen_pooled` = the chosen options fitted pooled over the four key series (`--pooled`: each series' own "
        "windows, counts from one shared truth scaled by "
        + ", ".join(f"{k} x{v:g}" for k, v in POOLED_SCALE.items())
        + ", so the series deviations are truly zero, a case favourable to pooling) with one NB2 dispersion per "
        "series; `chosen_pooled_shared` = the same with one dispersion shared by all series (amendment 2 of "
        "`docs/model_choice.md`; every series has the same planted dispersion, which also favours it); `_no_break` "
        "= without the breaks. Soekarno-Hatta's months scored. The pooled studies were run with the pooled smoothing "
        "search at half powers of ten (`docs/model_choice.md`, note of 2026-12-02).",
        "",
        "| study | smoothing | reps | monthly error | MC SE | 90% band coverage | MC SE | bias ramadan (log) | "
        "bias post-Idul-Fitri (log) | passes |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in table.itertuples(index=False):
        lines.append(
            f"| {r.study} | {r.smoothing} | {r.reps} | {r.monthly_rel_error:.3f} | {r.mc_se_error:.3f} | "
            f"{r.band_coverage_90:.3f} | {r.mc_se_coverage:.3f} | {r.bias_ramadan:.3f} | "
            f"{r.bias_post_idul_fitri:.3f} | {'yes' if r.passes else 'no'} |"
        )
    by_year = out / "planted_truth_by_year.csv"
    if by_year.exists():
        lines += _by_year_lines(summarise_by_year(pd.read_csv(by_year)))
    (out / "planted_truth.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return table


def summarise_by_year(rows: pd.DataFrame) -> pd.DataFrame:
    """Pool the by-year rows over replications: coverage, mean error and mean bias of each year's scored months."""
    g = rows.groupby(["study", "smoothing", "year"], sort=False)
    out = g[["months", "covered", "sum_rel_error", "sum_rel_bias"]].sum()
    out["reps"] = g["rep"].nunique()
    out["months_per_rep"] = out["months"] / out["reps"]
    out["band_coverage_90"] = out["covered"] / out["months"]
    out["monthly_rel_error"] = out["sum_rel_error"] / out["months"]
    out["monthly_rel_bias"] = out["sum_rel_bias"] / out["months"]
    cols = ["reps", "months_per_rep", "band_coverage_90", "monthly_rel_error", "monthly_rel_bias"]
    return out[cols].reset_index()


def _by_year_lines(t: pd.DataFrame) -> list[str]:
    lines = [
        "",
        "## Where in time the bands miss",
        "",
        "The same replications (same seeds and fits) scored by calendar year of Soekarno-Hatta's scored months "
        "(`planted_truth_by_year.csv`). Bias is the mean of fitted / true - 1 (negative: the fit is too low).",
        "",
        "| study | smoothing | year | reps | months a rep | 90% band coverage | monthly error | monthly bias |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in t.itertuples(index=False):
        lines.append(
            f"| {r.study} | {r.smoothing} | {r.year} | {r.reps} | {r.months_per_rep:g} | {r.band_coverage_90:.3f} | "
            f"{r.monthly_rel_error:.3f} | {r.monthly_rel_bias:+.3f} |"
        )
    return lines


def _describe(opts: dict) -> str:
    breaks = opts.get("breaks") or {}
    where = ", ".join(f"{k} {pd.Timestamp(v).date()}" for k, v in breaks.items()) or "none"
    return (
        f"{opts['dispersion']}-level dispersion, level breaks: {where}, {opts['forecast']} forecast, "
        f"drift sd {opts['drift_sd']:g}"
    )


def chosen_options() -> dict:
    """Options of the chosen single-series model (``recommended_interval_model``), smoothing and holidays aside.

    Its breaks are kept although the planted truth has none: the check is of the model as chosen.
    """
    from tppo_analysis.models.choice import recommended_interval_model

    m = recommended_interval_model("negbin")
    return {"forecast": m.forecast, "drift_sd": m.drift_sd, "dispersion": m.dispersion, "breaks": m.breaks}


def pooled_study(*, no_break: bool = False, shared: bool = False) -> str:
    """Name of a pooled study: ``chosen_pooled[_shared][_no_break]`` (``_shared``: one dispersion for all series)."""
    return "chosen_pooled" + ("_shared" if shared else "") + ("_no_break" if no_break else "")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--screen", action="store_true", help="step 0 of the model-choice rule (all criteria)")
    ap.add_argument("--no-break", action="store_true", help="the chosen model without its breaks")
    ap.add_argument(
        "--pooled", action="store_true", help="the chosen options fitted pooled over the four key series (SH scored)"
    )
    ap.add_argument(
        "--per-series-dispersion",
        action="store_true",
        help="with --pooled: one NB2 dispersion per series (before amendment 2), whatever the rule chose",
    )
    ap.add_argument("--reps", type=int, default=None)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    from tppo_analysis import paths
    from tppo_analysis.models.choice import OPTIONS, RECOMMENDED

    out = args.out or paths.results_dir() / "studies"
    out.mkdir(parents=True, exist_ok=True)
    if args.screen:
        run(list(OPTIONS["smoothing"]), args.reps or 100, out, "screen", seed=args.seed)
    else:
        opts, study = chosen_options(), "chosen"
        if args.no_break:
            opts, study = {**opts, "breaks": None}, "chosen_no_break"
        if args.pooled:
            shared = bool(RECOMMENDED.get("shared_dispersion")) and not args.per_series_dispersion
            opts = {**opts, "shared_dispersion": shared}
            study = pooled_study(no_break=args.no_break, shared=shared)
        run(
            [RECOMMENDED["smoothing"]],
            args.reps or 200,
            out,
            study,
            seed=args.seed,
            model_options=opts,
            pooled=args.pooled,
        )
    table = write_outputs(out)
    print(table.to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
