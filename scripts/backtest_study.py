"""Rolling-origin backtest on the public record and the model choice of ``docs/model_choice.md``.

Runs the rule step by step (``tppo_analysis.models.choice.run_choice``): the benchmarks (linear, naive persistence,
linear + post-reopening level, monthly NB), then each step's smooth candidates, then the pooled model; writes every
backtest row to ``results/studies/backtest.csv`` and the scores, the decisions and the check against issue 12's
targets to ``results/studies/backtest.md``. The eligible smoothing criteria come from step 0, the planted-truth
screen (``results/studies/planted_truth.csv``, study ``screen``; run ``scripts/planted_truth_study.py --screen``
first). Regimes come from ``data/reference/events.csv`` when ``sources.events`` is there. Progress on the terminal.

Usage::

    python scripts/backtest_study.py
    python scripts/backtest_study.py --out /tmp/x
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from tppo_analysis.output.tables import write_csv

ORIGINS = [f"{y}-12-31" for y in range(2019, 2025)]


def regime_dates() -> tuple[pd.Timestamp, pd.Timestamp, str]:
    """(closure start, reopening start, where they came from)."""
    try:
        from tppo_analysis.sources.events import regimes
    except ImportError:
        return pd.Timestamp("2020-03-20"), pd.Timestamp("2022-04-01"), "defaults of models.backtest (no event table)"
    r = regimes().set_index("regime")
    return (
        pd.Timestamp(r.loc["closure", "start"]),
        pd.Timestamp(r.loc["post_reopening", "start"]),
        "data/reference/events.csv (sources.events.regimes)",
    )


def eligible_criteria(studies: Path) -> list[str]:
    from tppo_analysis.models.choice import OPTIONS

    path = studies / "planted_truth.csv"
    if not path.exists():
        raise SystemExit("run scripts/planted_truth_study.py --screen first (step 0 of the rule)")
    t = pd.read_csv(path)
    t = t[t["study"] == "screen"].set_index("smoothing")
    ok = [c for c in OPTIONS["smoothing"] if c in t.index and bool(t.loc[c, "passes"])]
    if not ok:  # the rule: none eligible -> the smallest error, reported
        ok = [str(t["monthly_rel_error"].idxmin())]
    return ok


def markdown(bt: pd.DataFrame, decisions: pd.DataFrame, chosen: dict, eligible, source: str) -> str:
    from tppo_analysis.models.backtest import width_check
    from tppo_analysis.models.choice import chosen_name
    from tppo_analysis.models.trends import backtest_summary

    name = chosen_name(chosen)
    pooled = backtest_summary(bt)
    per_series = backtest_summary(bt, by=("model", "series"))
    across = backtest_summary(bt, across=True)
    oracle = width_check(bt)
    o = oracle.set_index("model")
    same = o[o["windows"] == o.loc[name, "windows"]]["calibrated_width"]  # models scored on the same windows
    s = pooled.set_index("model")
    row = s.loc[name]
    beats = {
        b: bool(row["interval_score_log"] < s.loc[b, "interval_score_log"]) for b in ("linear", "naive persistence")
    }
    cov_ok = 0.80 <= row["coverage_90"] <= 0.97
    width_ok = row["median_width_30d"] <= 4
    lines = [
        "# Backtest of trend models on the public record",
        "",
        "Rule: `docs/model_choice.md` (committed before this file). Script: `scripts/backtest_study.py`. Rows: "
        "`backtest.csv` (one per model x series x origin x held-out window). Regimes: " + source + ".",
        f"Eligible smoothing criteria (planted-truth screen, `planted_truth.md`): {', '.join(eligible)}.",
        "",
        f"**Chosen model:** `{name}`.",
        "",
        "## Decisions",
        "",
        decisions.to_markdown(index=False),
        "",
        "## Scores over the scored windows (pooled over series with at least 3)",
        "",
        pooled.to_markdown(index=False),
        "",
        "## Per series",
        "",
        per_series.to_markdown(index=False),
        "",
        "## Windows predicted across the closures (not used for the choice)",
        "",
        across.to_markdown(index=False) if len(across) else "(none)",
        "",
        "## Issue 12 targets (chosen model, pooled scored windows)",
        "",
        f"* beats linear on interval score: {'yes' if beats['linear'] else 'no'} "
        f"({row['interval_score_log']:.3g} vs {s.loc['linear', 'interval_score_log']:.3g})",
        f"* beats naive persistence: {'yes' if beats['naive persistence'] else 'no'} "
        f"({row['interval_score_log']:.3g} vs {s.loc['naive persistence', 'interval_score_log']:.3g})",
        f"* 90% coverage in 0.80-0.97: {'yes' if cov_ok else 'no'} ({row['coverage_90']:.3g})",
        f"* median width (upper/lower) at most 4 for windows of 30 days or more: {'yes' if width_ok else 'no'} "
        f"({row['median_width_30d']:.3g})",
        "",
        "## What width the point forecasts allow (windows of 30 days or more; a diagnostic, not part of the rule)",
        "",
        "`calibrated_width`: the narrowest interval of one fixed width (upper/lower), shifted after the fact to the "
        "best place, that would cover 90% of a model's scored windows given how far its point forecasts miss "
        "(`tppo_analysis.models.backtest.calibrated_width`; an in-sample oracle, not a bound). "
        f"Chosen model: {o.loc[name, 'calibrated_width']:.3g}; the smallest of the models scored on the same "
        f"{o.loc[name, 'windows']} windows: {same.min():.3g}. A width of at most 4 with 90% coverage on these "
        "windows would need point forecasts that miss by less than any candidate's do. (Models scored on fewer "
        "windows, where they apply, are not comparable.)",
        "",
        oracle.to_markdown(index=False),
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    import tppo_analysis as tppo
    from tppo_analysis import paths
    from tppo_analysis.models.choice import run_choice
    from tppo_analysis.models.monthly import MonthlyNB

    studies = paths.results_dir() / "studies"
    out = args.out or studies
    out.mkdir(parents=True, exist_ok=True)
    eligible = eligible_criteria(studies)
    closure, reopening, source = regime_dates()
    obs, _ = tppo.reconcile(tppo.load_public_record())

    def progress(name: str) -> None:
        print(f"backtest: {name}", file=sys.stderr, flush=True)

    bt, decisions, chosen = run_choice(
        obs,
        ORIGINS,
        eligible,
        reopening=reopening,
        regime_starts=(closure, reopening),
        extra={"monthly NB": MonthlyNB()},
        progress=progress,
    )
    write_csv(bt, out / "backtest.csv")
    (out / "backtest.md").write_text(markdown(bt, decisions, chosen, eligible, source), encoding="utf-8")
    print(decisions.to_string(index=False))
    print("RECOMMENDED =", chosen)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
