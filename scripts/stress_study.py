"""Stress tests (SYNTHETIC, issue 14).

Bias of every estimator in worlds that violate ratio-scale parallel trends, and which diagnostic of the pre-analysis
plan flags each violation.

    python scripts/stress_study.py                          # full study -> results/studies/ (resumes)
    python scripts/stress_study.py --reps 2 --worlds none spike --out /tmp/x     # small version (tests)

Worlds (``tppo_analysis.design.synthetic.stress``): none (assumptions hold), spike (designation after a transitory
spike), destinations (destination-specific closures and reopenings from data/reference/events.csv, the 2022-23
scam wave), covid (dip with province-specific recovery), cotreatment (a co-located programme). Design: 73 program
villages in the 26 roster regencies at the calibrated density (``tppo_analysis.design.stress_tests``).

Compute budget: about 4 s of one core per replication; 30 replications per world (150 in all) take about 10
minutes. Replications are appended ``--chunk`` at a time to ``stress_tests_reps.csv`` (committed), so an
interrupted run resumes; ``stress_tests_bias.csv``, ``stress_tests_flags.csv`` and ``stress_tests.md`` are
rewritten from all replications.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from tppo_analysis.design import stress_tests
from tppo_analysis.output.tables import write_csv

REPO = Path(__file__).resolve().parents[1]
SEED = 20261202


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worlds", nargs="+", default=list(stress_tests.WORLDS))
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--chunk", type=int, default=10)
    ap.add_argument("--design", default="73")
    ap.add_argument("--out", type=Path, default=REPO / "results" / "studies")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "stress_tests_reps.csv"
    warnings.simplefilter("ignore")
    for world in args.worlds:
        done = pd.read_csv(path) if path.exists() else pd.DataFrame(columns=["world", "seed"])
        have = set(done.loc[done["world"] == world, "seed"])
        todo = [SEED + i for i in range(args.reps) if SEED + i not in have]
        t0, buf = time.process_time(), []
        for k, seed in enumerate(tqdm(todo, desc=world, file=sys.stderr, disable=None)):
            buf += stress_tests.stress_replication(world, seed, design=args.design)
            if (k + 1) % args.chunk == 0 or k == len(todo) - 1:
                old = pd.read_csv(path) if path.exists() else None
                new = pd.DataFrame(buf)
                both = new if old is None else pd.concat([old, new], ignore_index=True)
                write_csv(stress_tests.label(both), path)
                buf = []
        if todo:
            print(f"{world}: {len(todo)} replications, {time.process_time() - t0:.0f} s CPU", file=sys.stderr)
    reps = pd.read_csv(path)
    reps = reps[reps["world"].isin(args.worlds)]
    bias, flags = stress_tests.summarise_stress(reps)
    write_csv(bias, args.out / "stress_tests_bias.csv")
    write_csv(flags, args.out / "stress_tests_flags.csv")
    (args.out / "stress_tests.md").write_text(_markdown(bias, flags), encoding="utf-8")
    print(bias.to_string(index=False))
    print(flags.to_string(index=False))
    return 0


def _markdown(bias: pd.DataFrame, flags: pd.DataFrame) -> str:
    out = [
        "# Stress tests (SYNTHETIC)",
        "",
        "Written by `scripts/stress_study.py`. Bias = mean(estimate - truth) "
        "(rate ratio for the Poisson ETWFE rows, deferrals per treated village-month for cs/twfe), with its Monte "
        "Carlo SE; flag rate = share of replications in which the diagnostic rejects at 5%.",
        "",
        "| world | estimator | reps | truth | bias | MC SE | relative bias | coverage |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in bias.itertuples():
        out.append(
            f"| {r.world} | {r.estimator} | {r.n_reps} | {r.mean_truth:.3g} | {r.bias:+.3g} | {r.bias_mc_se:.2g} "
            f"| {r.relative_bias:+.0%} | {r.coverage:.2f} |"
        )
    out += ["", "| world | diagnostic | reps | flag rate | MC SE |", "|---|---|---:|---:|---:|"]
    for r in flags.itertuples():
        out.append(f"| {r.world} | {r.diagnostic} | {r.n_reps} | {r.flag_rate:.2f} | {r.mc_se:.2f} |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
