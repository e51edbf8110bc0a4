"""National village x month panel (83,762 villages x 72 months): panel build, CS and Poisson ETWFE. SYNTHETIC outcomes.

    python bench/bench_national.py [--tiny] [--program-villages 1000] [--mem-cap-gb 12]

Inputs (seeded, SYNTHETIC): the real Kemendagri geography (``load_villages``), a synthetic roster of program villages
with launch months spread over 36 monthly cohorts (2021-01 .. 2023-12), and village x month deferral counts as
``tppo aggregate`` writes them (only non-zero village-months; heavy-tailed village rates, program villages drawn
among high senders, multiplicative trend, rate ratio 0.8 after launch). Timed, each in its own subprocess:

1. panel build: ``load_villages`` + ``tppo_analysis.design.panel.build_panel`` (zero-filled balanced panel);
2. CS through ``tppo_analysis.effects.fit(estimator="cs", control="never_treated")``;
3. diff-diff's own ``CallawaySantAnna`` on the same panel (integer columns, ``aggregate="simple"``);
4. Poisson ETWFE through ``effects.fit(estimator="poisson_etwfe")``.

Reported: each time and peak RSS, the overhead ratio (panel build + our CS) / diff-diff's own CS, and the total.
``--tiny`` uses one regency's villages and 24 months.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import fmt_mb, fmt_s, run_task  # noqa: E402


def synthetic_inputs(
    villages: pd.DataFrame,
    *,
    n_program: int,
    start: str,
    n_months: int,
    first_cohort: int,
    n_cohorts: int,
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """SYNTHETIC roster (village_code, launch_date, precision) and non-zero village x month counts."""
    rng = np.random.default_rng(seed)
    n = len(villages)
    codes = villages["village_code"].to_numpy()
    alpha = rng.gamma(0.5, 0.1, n)  # most villages send almost nobody
    program = rng.choice(n, size=min(n_program, n // 4), replace=False)
    alpha[program] = rng.gamma(2.0, 1.5, len(program))  # program villages are high senders
    months = pd.period_range(start, periods=n_months, freq="M")
    cohort = np.full(n, -1)
    cohort[program] = first_cohort + np.arange(len(program)) % n_cohorts
    t = np.arange(n_months)
    mu = alpha[:, None] * np.exp(0.005 * t + 0.15 * np.sin(2 * np.pi * t / 12))[None, :]
    mu = np.where((cohort[:, None] >= 0) & (t[None, :] >= cohort[:, None]), 0.8 * mu, mu)
    y = rng.poisson(mu)
    vi, ti = np.nonzero(y)
    counts = pd.DataFrame({"village_code": codes[vi], "month": months[ti].strftime("%Y-%m"), "deferrals": y[vi, ti]})
    launch = months[cohort[program]].to_timestamp() + pd.to_timedelta(rng.integers(0, 28, len(program)), unit="D")
    roster = pd.DataFrame(
        {"village_code": codes[program], "launch_date": launch.strftime("%Y-%m-%d"), "precision": "day"}
    )
    return roster, counts


def bench(*, tiny: bool, n_program: int, mem_cap_gb: float, timeout: float) -> dict:
    from tppo_analysis.sources.geography import load_villages

    villages = load_villages()
    if tiny:
        reg = villages["regency_code"].value_counts().index[0]
        villages = villages[villages["regency_code"] == reg]
        start, n_months, first, n_coh, n_program = "2022-01", 24, 8, 6, min(n_program, 60)
    else:
        start, n_months, first, n_coh = "2019-01", 72, 24, 36
    roster, counts = synthetic_inputs(
        villages, n_program=n_program, start=start, n_months=n_months, first_cohort=first, n_cohorts=n_coh
    )
    end = str(pd.Period(start, freq="M") + n_months - 1)
    res = {
        "villages": len(villages),
        "months": n_months,
        "cohorts": n_coh,
        "program_villages": len(roster),
        "nonzero_village_months": len(counts),
    }
    with tempfile.TemporaryDirectory(prefix="tppo-bench-nat-") as tmp:
        tmp = Path(tmp)
        roster.to_parquet(tmp / "roster.parquet")
        counts.to_parquet(tmp / "counts.parquet")
        if tiny:  # build_panel takes the geography from load_villages; the tiny run restricts it via a file
            villages.to_parquet(tmp / "villages.parquet")
        args = {
            "roster": str(tmp / "roster.parquet"),
            "counts": str(tmp / "counts.parquet"),
            "start": start,
            "end": end,
            "out": str(tmp / "panel.parquet"),
        }
        if tiny:
            args["villages"] = str(tmp / "villages.parquet")
        steps = [
            ("panel_build", args),
            ("effects_cs", {"panel": args["out"]}),
            ("diffdiff_cs", {"panel": args["out"]}),
            ("effects_poisson", {"panel": args["out"]}),
        ]
        for task, a in steps:
            print(f"bench_national: {task}", file=sys.stderr, flush=True)
            res[task] = run_task(task, a, mem_cap_gb=mem_cap_gb, timeout=timeout)
            if task == "panel_build" and res[task].get("status") != "ok":
                break
    return res


def markdown(res: dict) -> str:
    lines = [
        f"SYNTHETIC outcomes on the real geography: {res['villages']:,} villages x {res['months']} months, "
        f"{res['program_villages']:,} program villages in {res['cohorts']} monthly cohorts "
        f"({res['nonzero_village_months']:,} non-zero village-months as input).",
        "",
        "| step | status | time (s) | peak RSS (MB) | extra RSS (MB) | estimate |",
        "|---|---|---:|---:|---:|---|",
    ]
    labels = {
        "panel_build": "panel build (load_villages + build_panel)",
        "effects_cs": "CS via effects.fit",
        "diffdiff_cs": "diff-diff CallawaySantAnna (own)",
        "effects_poisson": "Poisson ETWFE via effects.fit",
    }
    for k, label in labels.items():
        r = res.get(k)
        if r is None:
            continue
        est = ""
        if r.get("status") == "ok" and "overall" in r:
            est = f"{r['overall']:.4f}" + (f" (se {r['overall_se']:.4f})" if "overall_se" in r else "")
        lines.append(
            f"| {label} | {r.get('status')} | {fmt_s(r.get('seconds'))} | {fmt_mb(r.get('peak_mb'))} | "
            f"{fmt_mb(r.get('extra_mb'))} | {est} |"
        )
    ok = all(res.get(k, {}).get("status") == "ok" for k in labels)
    if ok:
        pb, cs, dd, po = (res[k]["seconds"] for k in labels)
        lines += [
            "",
            f"Overhead ratio (panel build + our CS) / diff-diff's own CS = {(pb + cs) / dd:.2f} "
            f"(target <= 1.2); build + CS + Poisson ETWFE = {pb + cs + po:.1f} s, largest peak RSS "
            f"{max(res[k]['peak_mb'] for k in labels):,.0f} MB.",
        ]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tiny", action="store_true")
    ap.add_argument("--program-villages", type=int, default=1000)
    ap.add_argument("--mem-cap-gb", type=float, default=12.0)
    ap.add_argument("--timeout", type=float, default=1200.0)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    res = bench(
        tiny=args.tiny,
        n_program=args.program_villages,
        mem_cap_gb=args.mem_cap_gb,
        timeout=120 if args.tiny else args.timeout,
    )
    print(markdown(res))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(res, indent=1))
    return 0 if res.get("panel_build", {}).get("status") == "ok" else 1


if __name__ == "__main__":
    raise SystemExit(main())
