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
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import bench_aggregate  # noqa: E402
import bench_etwfe  # noqa: E402
import bench_national  # noqa: E402
import bench_report  # noqa: E402
from _util import machine  # noqa: E402

RESULTS = BENCH / "results"
NAMES = ("etwfe", "national", "aggregate", "report")
TITLES = {
    "etwfe": "Poisson ETWFE: ours vs diff-diff and pyfixest (SYNTHETIC panels)",
    "national": "National panel 83,762 x 72: build, CS, Poisson ETWFE (SYNTHETIC outcomes)",
    "aggregate": "22 million records -> panels: DuckDB vs pandas (SYNTHETIC records)",
    "report": "End-to-end: report and nbval",
}
TARGETS = {
    "etwfe": "national Poisson ETWFE <= 10 s and <= 2 GB; >= 10x faster and >= 10x less memory than the best peer at "
             "10,000 villages, identical estimates",
    "national": "build + CS + Poisson ETWFE <= 60 s and <= 6 GB; (panel build + our CS) <= 1.2 x diff-diff's own CS",
    "aggregate": "<= 10 s, <= 1 GB, >= 5x faster than pandas",
    "report": "make report <= 60 s; nbval <= 120 s",
}


def _run_one(name: str, tiny: bool) -> dict:
    if name == "etwfe":
        if tiny:
            return bench_etwfe.bench([60], national=False, mem_cap_gb=12, timeout=120, n_months=12, n_cohorts=4)
        return bench_etwfe.bench([2000, 10000], national=True, mem_cap_gb=12, timeout=900)
    if name == "national":
        return bench_national.bench(tiny=tiny, n_program=1000, mem_cap_gb=12, timeout=120 if tiny else 1200)
    if name == "aggregate":
        return bench_aggregate.bench(20_000 if tiny else 22_000_000, memory_limit="1GB", timeout=120 if tiny else 900)
    return bench_report.bench(tiny)


def _markdown(name: str, res: dict) -> str:
    return {"etwfe": bench_etwfe.markdown, "national": bench_national.markdown,
            "aggregate": bench_aggregate.markdown, "report": bench_report.markdown}[name](res)


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
    for name in NAMES:
        path = RESULTS / f"{name}.json"
        lines += [f"## {TITLES[name]}", "", f"Target: {TARGETS[name]}.", ""]
        if not path.exists():
            lines += ["Not run yet.", ""]
            continue
        res = json.loads(path.read_text())
        when = res.pop("_run", {})
        if when:
            lines += [f"Run: {when.get('date', '?')} UTC, {when.get('seconds', 0):,.0f} s wall clock.", ""]
        lines += [_markdown(name, res).rstrip(), ""]
    return "\n".join(lines).rstrip() + "\n"


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
            print(f"run_all: {name}{' (tiny)' if args.tiny else ''}", file=sys.stderr, flush=True)
            res = _run_one(name, args.tiny)
            md = _markdown(name, res)
            print(f"## {TITLES[name]}\n\n{md}")
            if not _ok(name, res):
                failed.append(name)
            if not args.tiny:
                RESULTS.mkdir(exist_ok=True)
                res["_run"] = {"date": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
                               "seconds": time.perf_counter() - t0}
                (RESULTS / f"{name}.json").write_text(json.dumps(res, indent=1))
    if not args.tiny:
        (BENCH / "RESULTS.md").write_text(compose())
    if args.tiny:
        ok = _tiny_ok_marker(failed)
        return 0 if ok else 1
    return 0


def _ok(name: str, res: dict) -> bool:
    """Did every measured call of this benchmark run (peers blowing up at full size do not count as failures)?"""
    if name == "etwfe":
        return all(r["ours"].get("status") == "ok" for r in res["rows"]) and (
            res["rows"][0]["villages"] > 100
            or all(r.get(k, {}).get("status") == "ok" for r in res["rows"] for k in ("diffdiff", "pyfixest")))
    if name == "national":
        return all(res.get(k, {}).get("status") == "ok"
                   for k in ("panel_build", "effects_cs", "diffdiff_cs", "effects_poisson"))
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
