"""End-to-end timing: the report (all notebooks + HTML) and the strict nbval run of the notebooks.

    python bench/bench_report.py [--tiny]

``make report`` executes the committed notebooks in place; to time exactly that work without rewriting committed
files, this runs ``tppo report --out build/bench-report`` (same notebooks, same execution and rendering, outputs under
the git-ignored ``build/``), then ``pytest --nbval`` on ``notebooks/`` exactly as ``make test`` does. ``--tiny`` times
the same two commands on a one-cell notebook in a temporary folder (proves the machinery; says nothing about the
report).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import REPO  # noqa: E402

NBVAL = ["--nbval", "--nbval-sanitize-with", "nbval_sanitize.cfg", "-p", "no:cacheprovider"]


def _timed(cmd, cwd, timeout) -> dict:
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, cwd=str(cwd), capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"status": f"timeout > {timeout:.0f} s", "seconds": None}
    secs = time.perf_counter() - t0
    tail = (p.stdout + p.stderr).strip().splitlines()[-1:] if p.returncode else []
    tail = [line.replace(str(REPO) + "/", "") for line in tail]  # no absolute paths in results
    return {
        "status": "ok" if p.returncode == 0 else f"failed (exit {p.returncode})",
        "seconds": secs,
        "last_line": " ".join(tail)[-300:],
    }


def _tiny_notebook(folder: Path) -> Path:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("print(1 + 1)")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / "00_tiny.ipynb"
    nbformat.write(nb, path)
    return path


def bench(tiny: bool, timeout: float = 900) -> dict:
    py = sys.executable
    tppo = str(Path(py).with_name("tppo"))
    res: dict = {}
    if tiny:
        with tempfile.TemporaryDirectory(prefix="tppo-bench-report-") as tmp:
            nbdir = Path(tmp) / "nb"
            nbdir.mkdir()
            nb = _tiny_notebook(nbdir)
            res["notebook_run"] = _timed([py, "-m", "tppo_analysis.output.notebooks", str(nb)], REPO, 60)
            res["nbval"] = _timed([py, "-m", "pytest", "-q", *NBVAL, str(nb)], REPO, 60)
        res["what"] = "one-cell notebook (tiny)"
        return res
    nbs = sorted((REPO / "notebooks").glob("*.ipynb"))
    res["what"] = f"{len(nbs)} notebook(s): " + ", ".join(p.name for p in nbs)
    out = REPO / "build" / "bench-report"
    shutil.rmtree(out, ignore_errors=True)
    res["report"] = _timed([tppo, "report", "--out", str(out)], REPO, timeout)
    res["nbval"] = _timed([py, "-m", "pytest", "-q", *NBVAL, "notebooks/"], REPO, timeout)
    return res


def markdown(res: dict) -> str:
    lines = [f"Notebooks: {res['what']}.", "", "| command | status | time (s) |", "|---|---|---:|"]
    labels = {
        "report": "`tppo report --out build/bench-report` (= make report's work)",
        "notebook_run": "`python -m tppo_analysis.output.notebooks` (tiny notebook)",
        "nbval": "`pytest --nbval notebooks/` (as in make test)",
    }
    for k, label in labels.items():
        if k in res:
            r = res[k]
            s = "—" if r["seconds"] is None else f"{r['seconds']:,.1f}"
            lines.append(f"| {label} | {r['status']} | {s} |")
    failed = [(k, res[k]) for k in labels if k in res and res[k]["status"] != "ok"]
    if failed:
        lines += [""] + [f"- {k} failed: `{r.get('last_line', '').replace(str(REPO) + '/', '')}`" for k, r in failed]
        lines += [
            "",
            "A failed run measures nothing: the notebooks were not all runnable when this ran (they are "
            "written in parallel). Re-run `python bench/run_all.py --only report` once `make test` passes.",
        ]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tiny", action="store_true")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    res = bench(args.tiny)
    print(markdown(res))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(res, indent=1))
    return 0 if all(v.get("status") == "ok" for v in res.values() if isinstance(v, dict)) else 1


if __name__ == "__main__":
    raise SystemExit(main())
