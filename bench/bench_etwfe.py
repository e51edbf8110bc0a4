"""Poisson extended TWFE: ours (cohort x period sufficient statistics) vs diff-diff and pyfixest. SYNTHETIC panels.

    python bench/bench_etwfe.py [--tiny] [--sizes 500 2000 10000] [--national] [--mem-cap-gb 12] [--timeout 900]

Sizes: 500 villages (small enough for every peer, to compare estimates), 2,000 and 10,000 villages; ours alone at
national scale (83,762). Design: village x month panels, 72 months, 36 monthly adoption cohorts (months 25..60),
20% of villages treated (at least 10 per cohort, so 360 of 500; 1,000 at national scale), gamma village rates,
constant rate ratio 0.8. Each estimator runs in its own subprocess under an address-space cap; a blow-up is reported
as such. Peers get integer unit/period/cohort columns (their preferred input); pyfixest gets one categorical
treated-cell column and expands the dummies itself (``i(cell, ref="untreated")``). Ours: time is the best of 3 runs,
memory from the first. Estimates are compared: cell log rate ratios and SEs with pyfixest (same small-sample factor),
the count-scale overall ATT and its SE with diff-diff (ours with diff-diff's small-sample factor).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import fmt_mb, fmt_s, ratio, run_task, to_int_panel  # noqa: E402

from tppo_analysis.design.synthetic import benchmark_panel  # noqa: E402

NATIONAL = 83_762


def bench(
    sizes,
    *,
    national: bool,
    mem_cap_gb: float,
    timeout: float,
    n_months: int = 72,
    n_cohorts: int = 36,
    peers=("diffdiff", "pyfixest"),
) -> dict:
    rows = []
    with tempfile.TemporaryDirectory(prefix="tppo-bench-etwfe-") as tmp:
        for n in list(sizes) + ([NATIONAL] if national else []):
            is_nat = n == NATIONAL
            panel = benchmark_panel(n, n_months, n_cohorts, n_treated=1000 if is_nat else None, seed=n)
            p1, p2 = Path(tmp) / f"panel_{n}.parquet", Path(tmp) / f"int_{n}.parquet"
            panel.assign(month=panel["month"].astype(str), first_treated=panel["first_treated"].astype(str)).to_parquet(
                p1
            )
            to_int_panel(panel).to_parquet(p2)
            del panel
            entry = {"villages": n, "months": n_months, "cohorts": n_cohorts}
            print(f"bench_etwfe: {n:,} villages x {n_months} months: ours", file=sys.stderr, flush=True)
            entry["ours"] = run_task(
                "ours_etwfe", {"panel": str(p1), "repeat": 3}, mem_cap_gb=mem_cap_gb, timeout=timeout
            )
            entry["ours_dd"] = None
            if not is_nat:
                for peer in peers:
                    print(f"bench_etwfe: {n:,} villages: {peer}", file=sys.stderr, flush=True)
                    entry[peer] = run_task(
                        f"{peer}_etwfe", {"int_panel": str(p2)}, mem_cap_gb=mem_cap_gb, timeout=timeout
                    )
                if "diffdiff" in peers and entry["diffdiff"]["status"] == "ok":
                    entry["ours_dd"] = run_task(
                        "ours_etwfe",
                        {"panel": str(p1), "small_sample": "cohort_dummies"},
                        mem_cap_gb=mem_cap_gb,
                        timeout=timeout,
                    )
            rows.append(entry)
    return {"rows": rows, "mem_cap_gb": mem_cap_gb, "timeout": timeout}


def compare(entry) -> dict:
    """Largest differences of estimates between ours and each peer that finished."""
    out = {}
    ours = entry["ours"]
    pf = entry.get("pyfixest")
    if ours.get("status") == "ok" and pf and pf.get("status") == "ok":
        a, b = np.array(ours["coef"]), np.array(pf["coef"])
        sa, sb = np.array(ours["se"]), np.array(pf["se"])
        out["pyfixest_max_abs_coef_diff"] = float(np.max(np.abs(a - b)))
        out["pyfixest_max_rel_se_diff"] = float(np.max(np.abs(sa / sb - 1)))
    dd, odd = entry.get("diffdiff"), entry.get("ours_dd")
    if dd and dd.get("status") == "ok" and odd and odd.get("status") == "ok":
        out["diffdiff_abs_att_diff"] = abs(odd["att_count"] - dd["att_count"])
        out["diffdiff_rel_se_diff"] = abs(odd["att_count_se"] / dd["att_count_se"] - 1)
    return out


def markdown(res: dict) -> str:
    lines = [
        "| villages x months | estimator | status | time (s) | peak RSS (MB) | extra RSS (MB) | time ratio peer/ours | "
        "memory ratio peer/ours (extra) |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    notes = []
    for e in res["rows"]:
        size = f"{e['villages']:,} x {e['months']}"
        ours = e["ours"]
        for name in ("ours", "diffdiff", "pyfixest"):
            r = e.get(name)
            if r is None:
                continue
            ok = r.get("status") == "ok"
            label = {
                "ours": "ours (tppo_analysis.effects._etwfe_fast)",
                "diffdiff": "diff-diff WooldridgeDiD(poisson)",
                "pyfixest": "pyfixest fepois",
            }[name]
            tr = ratio(ours.get("seconds"), r.get("seconds")) if name != "ours" and ok else ""
            mr = ratio(max(ours.get("extra_mb") or 0, 1), r.get("extra_mb")) if name != "ours" and ok else ""
            if name != "ours" and not ok and ours.get("status") == "ok":
                wall = r.get("wall_s", 0)
                tr = f"> {wall / ours['seconds']:,.0f}x (gave up after {wall:,.0f} s)"
                mr = "blew up" if "memory" in r["status"] else "—"
                err = r.get("error", "").split(" | ")[-1]
                notes.append(f"- {size}: {label} {r['status']}: `{err[-160:]}`")
            lines.append(
                f"| {size} | {label} | {r.get('status')} | {fmt_s(r.get('seconds'))} | "
                f"{fmt_mb(r.get('peak_mb'))} | {fmt_mb(r.get('extra_mb'))} | {tr} | {mr} |"
            )
        c = compare(e)
        if c:
            notes.append(f"- {size}: " + ", ".join(f"{k} = {v:.2e}" for k, v in c.items()))
        if ours.get("status") == "ok":
            notes.append(
                f"- {size}: {ours['n_cells']} treated cells; overall rate ratio {ours['rate_ratio']:.4f} "
                f"(planted 0.8), ATT {ours['att_count']:.4f} events per treated village-month"
            )
    lines.insert(
        0,
        f"Memory cap per estimator: {res['mem_cap_gb']:g} GB of address space (RLIMIT_AS); timeout "
        f"{res['timeout']:,.0f} s. A peer that failed gets a lower bound: wall time until it failed "
        "(including its start-up) over our time.\n",
    )
    return "\n".join(lines + [""] + notes) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tiny", action="store_true", help="one tiny size (CI smoke test)")
    ap.add_argument("--sizes", type=int, nargs="*", default=[500, 2000, 10000])
    ap.add_argument("--national", action="store_true", help=f"also ours alone at {NATIONAL:,} villages")
    ap.add_argument("--mem-cap-gb", type=float, default=12.0)
    ap.add_argument("--timeout", type=float, default=900.0)
    ap.add_argument("--json", type=Path, default=None, help="also write the raw results here")
    args = ap.parse_args(argv)
    if args.tiny:
        res = bench([60], national=False, mem_cap_gb=args.mem_cap_gb, timeout=120, n_months=12, n_cohorts=4)
    else:
        res = bench(args.sizes, national=args.national, mem_cap_gb=args.mem_cap_gb, timeout=args.timeout)
    print(markdown(res))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(res, indent=1))
    bad = [e for e in res["rows"] if e["ours"].get("status") != "ok"]
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
