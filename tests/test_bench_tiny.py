"""Every benchmark runs on a tiny size (CI proves the bench scripts work; the numbers are not checked here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_run_all_tiny_runs_every_benchmark():
    before = (REPO / "bench" / "RESULTS.md").read_bytes() if (REPO / "bench" / "RESULTS.md").exists() else None
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / "run_all.py"), "--tiny"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    for title in (
        "Poisson ETWFE: ours vs diff-diff and pyfixest",
        "National panel",
        "DuckDB vs pandas",
        "report and nbval",
        "Trend models",
    ):
        assert title in out
    # tiny run: estimates of ours and the peers agree, both aggregation paths give the same counts
    assert "pyfixest_max_abs_coef_diff" in out and "identical counts: True" in out
    assert "| ok |" in out and "| out of memory" not in out and "| failed" not in out and "| timeout" not in out
    # a tiny run never overwrites the committed results
    after = (REPO / "bench" / "RESULTS.md").read_bytes() if (REPO / "bench" / "RESULTS.md").exists() else None
    assert before == after
