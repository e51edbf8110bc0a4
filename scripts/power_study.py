"""Realistic power of the Desa Binaan design (SYNTHETIC, issue 14): which reductions are detectable.

    python scripts/power_study.py                                   # full grid -> results/studies/ (resumes)
    python scripts/power_study.py --reps 3 --small --out /tmp/x     # small version (tests)

Design (``tppo_analysis.design.synthetic.realistic_design``): 73, 185, 500 or 1,000 program villages with four
comparison villages each; baselines of 0.01, 0.03 and 0.1 deferrals per program village-month; a 6-month ramp;
selection on level; 20% of comparison villages contaminated by spillover (30% of the effect); 30% of records
unmapped (the 20-40% the extract format expects); negative binomial noise (shape 2); 48 months from mid-2022 with
launches in 6 waves. The test is the pre-registered one (the conditional score p-value of ``effects.fit``'s default,
5% two-sided), so power and size include what the valid interval costs.

Compute budget: about 0.15 s of one core per replication; the full grid (6 effects x 4 sizes x 3 baselines x 100
replications) about 20 minutes. Finished cells are kept in ``power_simulation.csv`` (committed), so an interrupted
run resumes cell by cell, and ``--reps`` larger than a cell's count adds replications with new seeds.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from tppo_analysis.design import power
from tppo_analysis.output.tables import write_csv

REPO = Path(__file__).resolve().parents[1]
EFFECTS = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5)
SIZES = (73, 185, 500, 1000)
BASELINES = (0.01, 0.03, 0.1)
SEED = 20261203


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=100)
    ap.add_argument("--small", action="store_true", help="a 2 x 1 x 1 grid for tests")
    ap.add_argument("--sizes", type=int, nargs="+", default=None, help="program sizes to run (default: all)")
    ap.add_argument("--out", type=Path, default=REPO / "results" / "studies")
    args = ap.parse_args(argv)
    effects, sizes, rates = ((1.0, 0.5), (73,), (0.1,)) if args.small else (EFFECTS, SIZES, BASELINES)
    if args.sizes:
        sizes = tuple(args.sizes)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "power_simulation.csv"
    table = pd.read_csv(path) if path.exists() else pd.DataFrame()
    cells = [(e, n, r) for n in sizes for r in rates for e in effects]
    t0 = time.process_time()
    for e, n, r in tqdm(cells, desc="power cells", file=sys.stderr, disable=None):
        if (
            len(table)
            and (
                (table["effect_rr"] == e)
                & (table["n_program"] == n)
                & (table["base_rate"] == r)
                & (table["n_reps"] >= args.reps)
            ).any()
        ):
            continue
        seeds = [
            int(np.random.SeedSequence([SEED, int(e * 100), n, int(r * 1000), i]).generate_state(1)[0])
            for i in range(args.reps)
        ]
        reps = [power.realistic_replication(n_program=n, base_rate=r, effect_rr=e, seed=s) for s in seeds]
        row = {
            "effect_rr": e,
            "effect_pct": round((e - 1) * 100),
            "n_program": n,
            "base_rate": r,
            **power.power_cell(reps),
        }
        if len(table):
            table = table[~((table["effect_rr"] == e) & (table["n_program"] == n) & (table["base_rate"] == r))]
        table = pd.concat([table, power._label(pd.DataFrame([row]))], ignore_index=True)
        write_csv(table.sort_values(["n_program", "base_rate", "effect_rr"]), path)
    print(f"{time.process_time() - t0:.0f} s CPU", file=sys.stderr)
    table = pd.read_csv(path)
    mde = power.realistic_mde(table)
    write_csv(mde, args.out / "power_mde.csv")
    print(mde.to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
