"""Run the benchmarks and write ``bench/RESULTS.md`` (with the machine description).

    python bench/run_all.py            # full sizes (minutes; run on an otherwise idle machine), writes RESULTS.md
    python bench/run_all.py --tiny     # every benchmark on a tiny size (< 60 s; CI smoke test), prints only
    python bench/run_all.py --only etwfe aggregate   # some benchmarks, then RESULTS.md from all saved results
    python bench/run_all.py --compose  # rewrite RESULTS.md from bench/results/*.json without running anything

Speed claims of the project come only from here: ratios are measured in one run on one machine. All inputs are
SYNTHETIC (seeded); the numbers say how fast the code is, nothing about Indonesia.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import bench_aggregate  # noqa: E402
import bench_etwfe  # noqa: E402
import bench_national  # noqa: E402
import bench_report  # noqa: E402
import bench_trends  # noqa: E402
from _util import machine  # noqa: E402

RESULTS = BENCH / "results"
NAMES = ("etwfe", "national", "aggregate", "report", "trends")
TITLES = {
    "etwfe": "Poisson ETWFE: ours vs diff-diff and pyfixest (SYNTHETIC panels)",
    "national": "National panel 83,762 x 72: build, CS, Poisson ETWFE (SYNTHETIC outcomes)",
    "aggregate": "22 million records -> panels: DuckDB vs pandas (SYNTHETIC records)",
    "report": "End-to-end: report and nbval",
    "trends": "Trend models: pooled fit of the key series and the whole backtest (public record)",
}
TARGETS = {
    "etwfe": "national Poisson ETWFE <= 10 s and <= 2 GB; >= 10x faster and >= 10x less memory than the best peer at "
    "10,000 villages, identical estimates",
    "national": "build + CS + Poisson ETWFE <= 60 s and <= 6 GB; (panel build + our CS) <= 1.2 x diff-diff's own CS",
    "aggregate": "guarded (identifier check over every cell) <= 5 s, <= 1 GB, >= 5x faster than pandas",
    "report": "make report <= 60 s; nbval <= 120 s",
    "trends": "pooled fit of all key series <= 5 s; whole backtest <= 60 s (ratios to the linear fits of the same run)",
}


def _run_one(name: str, tiny: bool) -> dict:
    if name == "etwfe":
        if tiny:
            return bench_etwfe.bench([60], national=False, mem_cap_gb=12, timeout=120, n_months=12, n_cohorts=4)
        return bench_etwfe.bench([500, 2000, 10000], national=True, mem_cap_gb=12, timeout=900)
    if name == "national":
        return bench_national.bench(tiny=tiny, n_program=1000, mem_cap_gb=12, timeout=120 if tiny else 1200)
    if name == "aggregate":
        return bench_aggregate.bench(20_000 if tiny else 22_000_000, memory_limit="1GB", timeout=120 if tiny else 900)
    if name == "trends":
        return bench_trends.bench(tiny)
    return bench_report.bench(tiny)


def _markdown(name: str, res: dict) -> str:
    return {
        "etwfe": bench_etwfe.markdown,
        "national": bench_national.markdown,
        "aggregate": bench_aggregate.markdown,
        "report": bench_report.markdown,
        "trends": bench_trends.markdown,
    }[name](res)


def compose() -> str:
    m = machine()
    lines = [
        "# Benchmarks",
        "",
        "Written by `bench/run_all.py` (re-run: `make bench`; a section is refreshed by `python bench/run_all.py --only "
        "NAME`). Every input is **SYNTHETIC** (seeded): these numbers measure code, not Indonesia. Each measured call "
        "ran in its own subprocess (nice 10) under an address-space cap; *peak RSS* is the process's peak resident "
        "memory during the call (reset just before it), *extra RSS* the growth over the memory held before the call "
        "(inputs already loaded). Ratios compare runs of the same session on the same machine. The machine is "
        "shared with other jobs, so absolute times are upper bounds.",
        "",
        "## Machine",
        "",
        f"- CPU: {m['cpu']} ({m['nproc']} logical CPUs), RAM {m['ram_gb']} GB",
        f"- OS: {m['os']}; Python {m['python']}",
        "- Libraries: " + ", ".join(f"{k} {v}" for k, v in m["libraries"].items()),
        "",
    ]
    lines += _summary()
    for name in NAMES:
        path = RESULTS / f"{name}.json"
        lines += [f"## {TITLES[name]}", "", f"Target: {TARGETS[name]}.", ""]
        if not path.exists():
            lines += ["Not run yet.", ""]
            continue
        res = json.loads(path.read_text())
        when = res.pop("_run", {})
        if when:
            load = when.get("load")
            load_txt = f"; 1-minute load average {load[0]} at start, {load[1]} at end" if load else ""
            lines += [f"Run: {when.get('date', '?')} UTC, {when.get('seconds', 0):,.0f} s wall clock{load_txt}.", ""]
        lines += [_markdown(name, res).rstrip(), ""]
    return "\n".join(lines).rstrip() + "\n"


def _load(name: str) -> dict | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _summary() -> list[str]:
    """Targets of the issue against the measured numbers (computed from the saved results, not typed in)."""
    rows = []

    def add(target, measured, met):
        rows.append(f"| {target} | {measured} | {'yes' if met else 'no' if met is not None else '— (see text)'} |")

    e = _load("etwfe")
    if e:
        nat = next((r for r in e["rows"] if r["villages"] == 83_762), None)
        if nat and nat["ours"].get("status") == "ok":
            o = nat["ours"]
            add("Poisson ETWFE national <= 10 s", f"{o['seconds']:.2f} s", o["seconds"] <= 10)
            add(
                "Poisson ETWFE national <= 2 GB",
                f"{o['peak_mb']:,.0f} MB peak RSS (process, inputs included)",
                o["peak_mb"] <= 2048,
            )
        big = next((r for r in e["rows"] if r["villages"] == 10_000), None)
        if big and big["ours"].get("status") == "ok":
            o = big["ours"]
            peers = [(k, big[k]) for k in ("diffdiff", "pyfixest") if big.get(k)]
            okp = [(k, r) for k, r in peers if r.get("status") == "ok"]
            if okp:
                best_t = min(r["seconds"] for _, r in okp)
                best_m = min(r["peak_mb"] for _, r in okp)
                add(
                    ">= 10x faster than the best peer at 10,000",
                    f"{best_t / o['seconds']:.0f}x",
                    best_t >= 10 * o["seconds"],
                )
                add(
                    ">= 10x less memory than the best peer at 10,000",
                    f"{best_m / o['peak_mb']:.0f}x (peak RSS)",
                    best_m >= 10 * o["peak_mb"],
                )
            else:
                cap = e["mem_cap_gb"]
                fastest_fail = min(r.get("wall_s", 0) for _, r in peers)
                failures = "; ".join(f"{k}: {r.get('status')}" for k, r in peers)
                mid = next((r for r in e["rows"] if r["villages"] == 2_000), None)
                at2k = ""
                if mid:
                    ok2 = [mid[k] for k in ("diffdiff", "pyfixest") if mid.get(k, {}).get("status") == "ok"]
                    if ok2 and mid["ours"].get("status") == "ok":
                        at2k = (
                            f"; at 2,000 villages the best peer was {min(r['seconds'] for r in ok2) / mid['ours']['seconds']:.0f}x "
                            f"slower and used {min(r['peak_mb'] for r in ok2) / mid['ours']['peak_mb']:.0f}x the peak RSS"
                        )
                add(
                    ">= 10x faster than the best peer at 10,000",
                    f"not measurable: every peer failed ({failures}), after {fastest_fail:.0f} s or more "
                    f"(> {fastest_fail / o['seconds']:.0f}x our time){at2k}",
                    None,
                )
                allocs = "; ".join(f"{k}: `{r.get('error', '').split(' | ')[-1][-90:]}`" for k, r in peers)
                add(
                    ">= 10x less memory than the best peer at 10,000",
                    f"no peer ran within the {cap:g} GB address-space cap ({allocs}); ours {o['peak_mb']:,.0f} MB "
                    "peak RSS",
                    None,
                )
        cmp_rows = [bench_etwfe.compare(r) for r in e["rows"]]
        pf = [c["pyfixest_max_abs_coef_diff"] for c in cmp_rows if "pyfixest_max_abs_coef_diff" in c]
        dd = [c["diffdiff_abs_att_diff"] for c in cmp_rows if "diffdiff_abs_att_diff" in c]
        if pf or dd:
            add(
                "identical estimates",
                "largest absolute difference: "
                + "; ".join(
                    ([f"cell log rate ratios vs pyfixest {max(pf):.1e}"] if pf else [])
                    + ([f"overall ATT vs diff-diff {max(dd):.1e}"] if dd else [])
                ),
                max(pf + dd) < 1e-6,
            )
    n = _load("national")
    keys = ("panel_build", "effects_cs", "diffdiff_cs", "effects_poisson")
    if n and all(n.get(k, {}).get("status") == "ok" for k in keys):
        pb, cs, dd_, po = (n[k]["seconds"] for k in keys)
        peak = max(n[k]["peak_mb"] for k in keys)
        add("national build + CS + Poisson ETWFE <= 60 s", f"{pb + cs + po:.1f} s", pb + cs + po <= 60)
        add("national <= 6 GB", f"{peak:,.0f} MB largest peak RSS", peak <= 6144)
        add("(panel build + our CS) <= 1.2 x diff-diff's own CS", f"{(pb + cs) / dd_:.2f} x", (pb + cs) / dd_ <= 1.2)
    a = _load("aggregate")
    if a and a["duckdb"].get("status") == "ok":
        d = a["duckdb"]
        add("22 M records -> guarded panels <= 5 s", f"{d['seconds']:.2f} s", d["seconds"] <= 5)
        add("22 M records -> panels <= 1 GB", f"{d['peak_mb']:,.0f} MB peak RSS", d["peak_mb"] <= 1024)
        if a["pandas"].get("status") == "ok":
            r = a["pandas"]["seconds"] / d["seconds"]
            add(">= 5x faster than pandas", f"{r:.1f}x", r >= 5)
    r = _load("report")
    if r:
        for k, lim, label in (("report", 60, "make report <= 60 s"), ("nbval", 120, "nbval <= 120 s")):
            x = r.get(k, {})
            if x.get("seconds") is not None:
                add(
                    label,
                    f"{x['seconds']:.1f} s ({x['status']}; {r.get('what', '')})",
                    x["seconds"] <= lim if x["status"] == "ok" else None,
                )
    t = _load("trends")
    if t:
        for k, lim, label in (
            ("pooled", 5, "pooled fit of all key series <= 5 s"),
            ("backtest", 60, "whole backtest <= 60 s"),
        ):
            x = t.get(k, {})
            if x.get("seconds") is not None:
                add(
                    label,
                    f"{x['seconds']:.1f} s ({x.get('ratio_to_linear', 0):,.0f}x the linear fits of the run)",
                    x["seconds"] <= lim,
                )
    if not rows:
        return []
    return ["## Targets", "", "| target | measured | met |", "|---|---|---|", *rows, ""]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tiny", action="store_true", help="tiny sizes, print only (CI)")
    ap.add_argument("--only", nargs="*", choices=NAMES, default=None)
    ap.add_argument("--compose", action="store_true", help="only rewrite RESULTS.md from saved results")
    args = ap.parse_args(argv)
    names = args.only or list(NAMES)
    failed = []
    if not args.compose:
        for name in names:
            t0 = time.perf_counter()
            load0 = os.getloadavg()[0]
            print(f"run_all: {name}{' (tiny)' if args.tiny else ''}", file=sys.stderr, flush=True)
            res = _run_one(name, args.tiny)
            md = _markdown(name, res)
            print(f"## {TITLES[name]}\n\n{md}")
            if not _ok(name, res):
                failed.append(name)
            if not args.tiny:
                RESULTS.mkdir(exist_ok=True)
                res["_run"] = {
                    "date": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
                    "seconds": time.perf_counter() - t0,
                    "load": [round(load0, 1), round(os.getloadavg()[0], 1)],
                }
                (RESULTS / f"{name}.json").write_text(json.dumps(res, indent=1))
    if not args.tiny:
        (BENCH / "RESULTS.md").write_text(compose())
    if args.tiny:
        ok = _tiny_ok_marker(failed)
        return 0 if ok else 1
    return 0


def _ok(name: str, res: dict) -> bool:
    """Tell whether every measured call of this benchmark ran (peers blowing up at full size are not failures)."""
    if name == "etwfe":
        return all(r["ours"].get("status") == "ok" for r in res["rows"]) and (
            res["rows"][0]["villages"] > 100
            or all(r.get(k, {}).get("status") == "ok" for r in res["rows"] for k in ("diffdiff", "pyfixest"))
        )
    if name == "national":
        return all(
            res.get(k, {}).get("status") == "ok"
            for k in ("panel_build", "effects_cs", "diffdiff_cs", "effects_poisson")
        )
    if name == "aggregate":
        return res["duckdb"].get("status") == "ok" and res["pandas"].get("status") == "ok" and res.get("same_counts")
    return all(v.get("status") == "ok" for v in res.values() if isinstance(v, dict))


def _tiny_ok_marker(failed: list[str]) -> bool:
    if failed:
        print("run_all: FAILED: " + ", ".join(failed), file=sys.stderr)
        return False
    print("run_all: all tiny benchmarks ran", file=sys.stderr)
    return True


if __name__ == "__main__":
    raise SystemExit(main())
