"""Power and minimum detectable effect of the Desa Binaan design (SYNTHETIC simulations).

    python scripts/power_study.py                 # full grid, 60 replications per cell -> results/studies/
    python scripts/power_study.py --reps 3 --small --out /tmp/x   # small version (used by the tests)

Writes ``power_simulation.csv`` (simulated power of Poisson ETWFE and the analytic power of
``statsmodels.stats.rates.power_negbin_ratio_2indep`` per effect x program size x baseline rate) and
``power_mde.csv`` (minimum detectable reduction at 80% power). Every row is labelled SYNTHETIC.
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import pandas as pd

from tppo_analysis.design import power

REPO = Path(__file__).resolve().parents[1]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=60)
    ap.add_argument("--seed", type=int, default=20260402)
    ap.add_argument("--small", action="store_true", help="a 2 x 2 x 1 grid for tests")
    ap.add_argument("--out", type=Path, default=REPO / "results" / "studies")
    ap.add_argument("--mde-only", action="store_true", help="recompute power_mde.csv from power_simulation.csv")
    args = ap.parse_args(argv)
    if args.mde_only:
        table = pd.read_csv(args.out / "power_simulation.csv")
        _write_mde(table, args.out)
        return 0
    grid = {}
    if args.small:
        grid = dict(effects_rr=(1.0, 0.5), n_programs=(73, 185), base_rates=(0.5,))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        table = power.power_table(n_reps=args.reps, seed=args.seed, **grid)
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "power_simulation.csv", index=False, float_format="%.6g", lineterminator="\n")
    _write_mde(table, args.out)
    return 0


def _write_mde(table: pd.DataFrame, out: Path) -> None:
    mde = pd.concat(
        [
            power.mde_table(table, column=c)
            for c in ("power_simulated", "power_negbin_2indep", "power_negbin_2indep_within")
        ],
        ignore_index=True,
    )
    mde.to_csv(out / "power_mde.csv", index=False, float_format="%.6g", lineterminator="\n")
    print(mde.to_string(index=False))


if __name__ == "__main__":
    raise SystemExit(main())
