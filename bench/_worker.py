"""One measured benchmark task, run in its own process by ``bench/_util.run_task``.

    python bench/_worker.py TASK ARGS_JSON RESULT_JSON

Inputs are read before the clock starts; the peak-RSS counter is reset just before the measured call. Writes
``{"task", "seconds", "peak_mb", "extra_mb", ...task outputs}`` to RESULT_JSON.
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from pathlib import Path

warnings.filterwarnings("ignore")


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _reset_peak() -> int:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass
    return _status_kb("VmRSS")


def measure(fn):
    before = _reset_peak()
    t0 = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - t0
    peak = _status_kb("VmHWM")
    return out, {
        "seconds": seconds,
        "peak_mb": peak / 1024,
        "extra_mb": (peak - before) / 1024,
        "rss_before_mb": before / 1024,
    }


# ----------------------------------------------------------------------------------------------------------------
def ours_etwfe(a):
    import pandas as pd

    from tppo_analysis.effects import _etwfe_fast as pe

    panel = pd.read_parquet(a["panel"])
    panel["month"] = pd.PeriodIndex(panel["month"], freq="M")
    panel["first_treated"] = pd.PeriodIndex(panel["first_treated"], freq="M")

    def run():
        r = pe.fit(
            panel,
            outcome="deferrals",
            unit="village_code",
            time="month",
            cohort="first_treated",
            small_sample=a.get("small_sample", "fixest"),
        )
        return r, r.aggregate("simple"), r.aggregate("count"), r.aggregate("event")

    (r, simple, count, _), m = measure(run)
    times = [m["seconds"]]
    for _ in range(int(a.get("repeat", 1)) - 1):  # cheap: report the best of a few runs (machine is shared)
        _, m2 = measure(run)
        times.append(m2["seconds"])
    m["seconds"], m["seconds_all"] = min(times), times
    return {
        **m,
        "n_cells": len(r.group_time),
        "rate_ratio": float(simple["estimate"].iloc[0]),
        "att_count": float(count["estimate"].iloc[0]),
        "att_count_se": float(count["se"].iloc[0]),
        "coef": r.group_time["estimate"].tolist(),
        "se": r.group_time["se"].tolist(),
    }


def diffdiff_etwfe(a):
    import pandas as pd
    from diff_diff import WooldridgeDiD

    d = pd.read_parquet(a["int_panel"])

    def run():
        return WooldridgeDiD(method="poisson", control_group="never_treated").fit(
            d, outcome="y", unit="unit", time="t", cohort="g"
        )

    r, m = measure(run)
    return {**m, "att_count": float(r.overall_att), "att_count_se": float(r.overall_se)}


def pyfixest_etwfe(a):
    import numpy as np
    import pandas as pd
    import pyfixest as pf

    d = pd.read_parquet(a["int_panel"])
    post = (d["g"] > 0) & (d["t"] >= d["g"])
    # one categorical column; pyfixest expands the treated-cell dummies itself (i() syntax)
    d["cell"] = np.where(post, d["g"].astype(str) + "_" + d["t"].astype(str), "untreated")
    cells = sorted({(int(g), int(t)) for g, t in zip(d.loc[post, "g"], d.loc[post, "t"], strict=True)})
    names = [f"cell::{g}_{t}" for g, t in cells]

    def run():
        return pf.fepois("y ~ i(cell, ref='untreated') | unit + t", data=d, vcov={"CRV1": "unit"})

    mod, m = measure(run)
    return {**m, "coef": mod.coef()[names].tolist(), "se": mod.se()[names].tolist()}


def panel_build(a):
    import pandas as pd

    from tppo_analysis.design.panel import build_panel
    from tppo_analysis.sources.geography import load_villages

    roster = pd.read_parquet(a["roster"])
    counts = pd.read_parquet(a["counts"])

    def run():
        villages = pd.read_parquet(a["villages"]) if a.get("villages") else load_villages()
        return build_panel(
            roster,
            counts,
            start=a["start"],
            end=a["end"],
            villages=villages,
            count_column="deferrals",
            baseline_months=None,
            source="synthetic counts",
        )

    pb, m = measure(run)
    pb.panel[["village_code", "month", "first_treated", "deferrals"]].assign(
        month=lambda x: x["month"].astype(str), first_treated=lambda x: x["first_treated"].astype(str)
    ).to_parquet(a["out"], index=False)
    return {**m, "rows": len(pb.panel), "villages": int(pb.panel["village_code"].nunique())}


def _national(a):
    import pandas as pd

    p = pd.read_parquet(a["panel"])
    p["month"] = pd.PeriodIndex(p["month"], freq="M")
    p["first_treated"] = pd.PeriodIndex(p["first_treated"].replace("NaT", None), freq="M")
    return p


def _effects_national(a, estimator):
    from tppo_analysis import effects

    p = _national(a)

    def run():
        return effects.fit(
            p,
            outcome="deferrals",
            unit="village_code",
            time="month",
            cohort="first_treated",
            estimator=estimator,
            control="never_treated",
        )

    return measure(run)


def effects_cs(a):
    r, m = _effects_national(a, "cs")
    return {**m, "overall": float(r.overall["estimate"].iloc[0]), "overall_se": float(r.overall["se"].iloc[0])}


def effects_poisson(a):
    r, m = _effects_national(a, "poisson_etwfe")
    return {**m, "overall": float(r.overall["estimate"].iloc[0]), "notes": r.notes[-1:]}


def diffdiff_cs(a):
    import numpy as np
    import pandas as pd
    from diff_diff import CallawaySantAnna

    p = _national(a)
    t0 = p["month"].array.asi8.min()
    d = pd.DataFrame(
        {
            "unit": pd.factorize(p["village_code"])[0],
            "t": p["month"].array.asi8 - t0 + 1,
            "g": np.where(p["first_treated"].isna(), 0, p["first_treated"].array.asi8 - t0 + 1),
            "y": p["deferrals"].to_numpy(float),
        }
    )
    del p

    def run():
        return CallawaySantAnna(
            control_group="never_treated", estimation_method="dr", base_period="varying", n_bootstrap=0
        ).fit(d, outcome="y", unit="unit", time="t", first_treat="g", aggregate="simple")

    r, m = measure(run)
    return {**m, "overall": float(r.overall_att), "overall_se": float(r.overall_se)}


def duckdb_agg(a):
    import duckdb  # noqa: F401 - imported before the clock, as pandas is for the pandas path

    import tppo_analysis.privacy  # noqa: F401
    from tppo_analysis.sources.extracts import aggregate_records

    def run():
        return aggregate_records(
            a["records"],
            kind="crossings",
            out=a["out"],
            by=a.get("by", "office_month"),
            memory_limit=a.get("memory_limit"),
            temp_dir=a.get("temp_dir"),
        )

    r, m = measure(run)
    return {**m, "rows": r.n_rows, "records": r.n_records}


def pandas_agg(a):
    import pandas as pd

    def run():
        df = pd.read_parquet(a["records"])
        key = "tpi" if a.get("by", "office_month") == "office_month" else "village_code"
        month = pd.to_datetime(df["event_date"]).dt.strftime("%Y-%m")
        out = (
            df.assign(month=month)
            .groupby([key, "month", "direction"])
            .size()
            .unstack("direction", fill_value=0)
            .reset_index()
        )
        out.to_parquet(a["out"], index=False)
        return out

    r, m = measure(run)
    return {**m, "rows": len(r)}


TASKS = {
    f.__name__: f
    for f in (
        ours_etwfe,
        diffdiff_etwfe,
        pyfixest_etwfe,
        panel_build,
        effects_cs,
        effects_poisson,
        diffdiff_cs,
        duckdb_agg,
        pandas_agg,
    )
}

if __name__ == "__main__":
    task, args, out = sys.argv[1], json.loads(sys.argv[2]), Path(sys.argv[3])
    result = TASKS[task](args)
    result["task"] = task
    out.write_text(json.dumps(result))
