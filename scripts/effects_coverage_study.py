"""Coverage study (SYNTHETIC) of the Poisson ETWFE rate ratio's intervals on the realistic designs (issue 14).

    python scripts/effects_coverage_study.py                      # full study -> results/studies/ (resumes)
    python scripts/effects_coverage_study.py --designs 19 --reps 20 --out /tmp/x   # small version (tests)

Designs (``tppo_analysis.design.coverage``): 19, 73 and 185 treated villages at the calibrated density (1,200
deferrals a month nationally in 2025; program villages about 0.1 a month), negative binomial counts (shape 2), a
6-month ramp to a rate ratio of 0.7, spillovers to ring-1 villages, analysis window from July 2022. For every
replication: the rate ratio and the 95% interval of each inference method (conditional score = the default of
``effects.fit``, wild score bootstrap, event-pooled cluster-robust, and the naive village-clustered sandwich); the
first ``--levels-reps`` replications also fit Callaway-Sant'Anna and the naive TWFE in levels, and the first
``--boot-reps`` run the wild score bootstrap (999 draws; the costliest part on the 73- and 185-village designs).

Compute budget: the two acceptance cells (19 and 73 treated, 1,000 replications each) take about 25 minutes of
one core (0.35 s and 1.0 s a replication); the 185 cell (300 replications) about 10 minutes. The script appends
``--chunk`` replications at a time to ``effects_coverage_reps.csv`` (committed), so an interrupted run resumes
where it stopped; ``effects_coverage.csv`` and ``effects_coverage.md`` are rewritten from all replications.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from tppo_analysis.design import coverage
from tppo_analysis.output.tables import write_csv

REPO = Path(__file__).resolve().parents[1]
PLAN = {"19": 1000, "73": 1000, "185": 300, "19_sparse": 300}
SEED = 20261201


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--designs", nargs="+", default=list(PLAN))
    ap.add_argument("--reps", type=int, default=None, help="replications per design (default: 1000, 1000, 300)")
    ap.add_argument("--levels-reps", type=int, default=200, help="replications that also fit CS and TWFE")
    ap.add_argument("--boot-reps", type=int, default=300, help="replications that also run the wild score bootstrap")
    ap.add_argument("--chunk", type=int, default=50)
    ap.add_argument("--first", type=int, default=0, help="first replication index (to split a design across processes)")
    ap.add_argument("--n-boot", type=int, default=999)
    ap.add_argument("--out", type=Path, default=REPO / "results" / "studies")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    reps_path = args.out / "effects_coverage_reps.csv"
    done = pd.read_csv(reps_path, dtype={"design": str}) if reps_path.exists() else pd.DataFrame()
    warnings.simplefilter("ignore", RuntimeWarning)
    for design in args.designs:
        n = args.reps if args.reps is not None else PLAN[design]
        have = set(done.loc[done["design"] == design, "seed"]) if len(done) else set()
        todo = [SEED + i for i in range(args.first, n) if SEED + i not in have]
        t0 = time.process_time()
        buf = []
        for k, seed in enumerate(tqdm(todo, desc=f"design {design}", file=sys.stderr, disable=None)):
            buf.append(
                coverage.coverage_replication(
                    design,
                    seed,
                    levels=(seed - SEED) < args.levels_reps,
                    n_boot=args.n_boot,
                    bootstrap=(seed - SEED) < args.boot_reps,
                )
            )
            if len(buf) == args.chunk or k == len(todo) - 1:
                chunk = coverage.label(pd.DataFrame(buf))
                write_csv(chunk, reps_path, mode="a", header=not reps_path.exists())
                buf = []
        if todo:
            print(f"design {design}: {len(todo)} replications, {time.process_time() - t0:.0f} s CPU", file=sys.stderr)
        done = pd.read_csv(reps_path, dtype={"design": str}) if reps_path.exists() else done
    reps = done[done["design"].isin(args.designs)] if len(done) else done
    summary = coverage.summarise(reps)
    write_csv(summary, args.out / "effects_coverage.csv")
    (args.out / "effects_coverage.md").write_text(_markdown(summary), encoding="utf-8")
    print(summary.to_string(index=False))
    return 0


def _markdown(s: pd.DataFrame) -> str:
    lines = [
        "# Coverage of the program-effect intervals (SYNTHETIC)",
        "",
        "Written by `scripts/effects_coverage_study.py` (see its docstring for the designs). Coverage of the "
        "nominal 95% interval with its Monte Carlo SE; width = median interval width (log rate ratio for the "
        "Poisson ETWFE, deferrals per village-month for levels), and its ratio to the naive village-clustered "
        "interval's. `conditional_score` is the default of `effects.fit`.",
        "",
        "| design | estimator | method | reps | coverage | MC SE | within 2 MC SE | bias | median width | "
        "width / naive |",
        "|---|---|---|---:|---:|---:|---|---:|---:|---:|",
    ]
    for r in s.itertuples():
        lines.append(
            f"| {r.design} treated | {r.estimator} | {r.method} | {r.n_reps} | {r.coverage:.3f} | "
            f"{r.coverage_mc_se:.3f} | {'yes' if r.within_2_mc_se else 'no'} | {r.bias:+.3g} | "
            f"{r.median_width:.3g} | {'' if pd.isna(r.width_vs_naive) else f'{r.width_vs_naive:.2f}'} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
