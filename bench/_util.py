"""Shared benchmark machinery: synthetic inputs, one measured task per subprocess, machine description.

Every measurement runs in a fresh Python subprocess (``bench/_worker.py``) so that peak memory is the task's own and
a peer that blows up (memory cap via ``RLIMIT_AS``, or timeout) is *reported*, not fatal. Memory is measured from
``/proc/self/status``: the peak resident set (VmHWM) is reset just before the measured call (``clear_refs``), so
``peak_mb`` is the task's peak RSS and ``extra_mb`` the growth over the RSS before the call (inputs already loaded).

All data here are SYNTHETIC (seeded); nothing in bench/ is a finding about Indonesia.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
WORKER = BENCH / "_worker.py"


# --------------------------------------------------------------------------------------------------------------
# synthetic inputs (the panel itself: tppo_analysis.design.synthetic.benchmark_panel)
# --------------------------------------------------------------------------------------------------------------
def to_int_panel(panel: pd.DataFrame) -> pd.DataFrame:
    """Integer unit / period / cohort columns (months since 2019-01 + 1; never treated = 0) for peers."""
    t0 = panel["month"].array.asi8.min()
    g = panel["first_treated"].array
    return pd.DataFrame(
        {
            "unit": pd.factorize(panel["village_code"])[0].astype(np.int64),
            "t": (panel["month"].array.asi8 - t0 + 1).astype(np.int64),
            "g": np.where(g.isna(), 0, g.asi8 - t0 + 1).astype(np.int64),
            "y": panel["deferrals"].to_numpy(np.float64),
        }
    )


# --------------------------------------------------------------------------------------------------------------
# measurement
# --------------------------------------------------------------------------------------------------------------
def run_task(task: str, args: dict, *, mem_cap_gb: float | None = None, timeout: float = 900.0) -> dict:
    """Run one measured task in a subprocess (nice 10) under an address-space cap; never raises."""
    with tempfile.TemporaryDirectory(prefix="tppo-bench-") as tmp:
        out = Path(tmp) / "result.json"
        cap = None if mem_cap_gb is None else int(mem_cap_gb * 1024**3)

        def limit():  # runs in the child
            os.nice(10)
            if cap:
                resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

        env = dict(os.environ, PYTHONWARNINGS="ignore")
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(
                [sys.executable, str(WORKER), task, json.dumps(args), str(out)],
                preexec_fn=limit,
                capture_output=True,
                text=True,
                timeout=timeout,
                env=env,
                cwd=str(REPO),
            )
        except subprocess.TimeoutExpired:
            return {"task": task, "status": f"timeout > {timeout:.0f} s", "wall_s": time.perf_counter() - t0}
        if proc.returncode == 0 and out.exists():
            res = json.loads(out.read_text())
            res["status"] = "ok"
            return res
        tail = (proc.stderr or "").strip().splitlines()[-3:]
        memory = any("MemoryError" in line or "Unable to allocate" in line or "memory" in line.lower() for line in tail)
        if proc.returncode < 0 and not tail:
            memory = True
        status = (
            f"out of memory (cap {mem_cap_gb:g} GB)" if memory and mem_cap_gb else f"failed (exit {proc.returncode})"
        )
        return {"task": task, "status": status, "error": " | ".join(tail)[-400:], "wall_s": time.perf_counter() - t0}


def machine() -> dict:
    """nproc, RAM, CPU model, OS and library versions."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    from importlib.metadata import PackageNotFoundError, version

    libs = {}
    for name in ("tppo-analysis", "numpy", "pandas", "scipy", "duckdb", "pyarrow", "diff-diff", "pyfixest", "polars"):
        try:
            libs[name] = version(name)
        except PackageNotFoundError:
            libs[name] = "not installed"
    return {
        "nproc": os.cpu_count(),
        "ram_gb": mem_gb,
        "cpu": cpu,
        "os": platform.platform(),
        "python": platform.python_version(),
        "libraries": libs,
    }


def fmt_s(x) -> str:
    return "—" if x is None else f"{x:,.2f}"


def fmt_mb(x) -> str:
    return "—" if x is None else f"{x:,.0f}"


def ratio(a, b) -> str:
    if a is None or b is None or a <= 0:
        return "—"
    return f"{b / a:,.1f}x"
