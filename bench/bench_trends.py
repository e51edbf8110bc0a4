"""Trend models on the public record: the pooled fit of the key series and the whole backtest of the model choice.

    python bench/bench_trends.py [--tiny]

Times, in one process after a warm-up (imports, holiday calendar), today's (0.1) linear interval fit of each key
departure series, the pooled smooth fit of all four (``tppo.fit_pooled`` with the options the rule chose), and the
whole backtest of ``docs/model_choice.md`` (``models.choice.run_choice``: benchmarks, the rule's steps, the pooled
model). Ratios are to the linear fits of the same run. Inputs: the public record (real, cited data) -- these numbers
measure code. ``--tiny``: one origin, the benchmarks only.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

warnings.filterwarnings("ignore")


def _timed(fn) -> dict:
    t0 = time.perf_counter()
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - a benchmark records failures instead of raising
        return {"status": f"failed: {type(exc).__name__}: {str(exc)[:200]}", "seconds": None}
    return {"status": "ok", "seconds": time.perf_counter() - t0}


def bench(tiny: bool = False) -> dict:
    """Run the timings; return seconds and ratios to the linear fits."""
    import tppo_analysis as tppo
    from tppo_analysis.models.choice import benchmarks, run_choice
    from tppo_analysis.models.fits import fit_pooled_recommended
    from tppo_analysis.models.interval import KEY_SERIES, IntervalCountModel
    from tppo_analysis.models.trends import series_obs

    obs, _ = tppo.reconcile(tppo.load_public_record())
    data = {s: series_obs(obs, s) for s in KEY_SERIES}
    IntervalCountModel("negbin", trend="linear", holidays=False).fit(data["national"])  # warm-up

    def linear():
        for o in data.values():
            IntervalCountModel("negbin", trend="linear", holidays=False).fit(o)

    res: dict = {"linear": _timed(linear)}
    if tiny:
        res["backtest"] = _timed(lambda: tppo.backtest(obs, benchmarks(), ["2023-12-31"]))
        res["what"] = "tiny: linear fits and the benchmarks at one origin"
    else:
        res["pooled"] = _timed(lambda: fit_pooled_recommended(obs, KEY_SERIES))
        origins = [f"{y}-12-31" for y in range(2019, 2025)]
        from tppo_analysis.models.monthly import MonthlyNB

        res["backtest"] = _timed(lambda: run_choice(obs, origins, ["aicc"], extra={"monthly NB": MonthlyNB()}))
        res["what"] = "4 key series; backtest: origins 2019-2024, the rule of docs/model_choice.md (AICc eligible)"
    lin = res["linear"]["seconds"]
    for k in ("pooled", "backtest"):
        if k in res and res[k]["seconds"] is not None and lin:
            res[k]["ratio_to_linear"] = res[k]["seconds"] / lin
    return res


def markdown(res: dict) -> str:
    """Render the results as a markdown table."""
    lines = [
        f"Measured: {res['what']}.",
        "",
        "| task | status | time (s) | ratio to the linear fits |",
        "|---|---|---:|---:|",
    ]
    labels = {
        "linear": "linear interval fit of each key series (0.1's model)",
        "pooled": "`tppo.fit_pooled` of the 4 key series (chosen options)",
        "backtest": "whole backtest of the model choice",
    }
    for k, label in labels.items():
        if k in res:
            r = res[k]
            s = "—" if r["seconds"] is None else f"{r['seconds']:,.2f}"
            ratio = f"{r['ratio_to_linear']:,.0f}x" if "ratio_to_linear" in r else ""
            lines.append(f"| {label} | {r['status']} | {s} | {ratio} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    """Run from the command line."""
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
    sys.exit(main())
