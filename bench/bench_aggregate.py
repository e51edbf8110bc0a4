"""Record-level aggregation: DuckDB (``tppo aggregate``) vs plain pandas on SYNTHETIC crossing records.

    python bench/bench_aggregate.py [--tiny] [--records 22000000] [--memory-limit 1GB]

About 22 million citizen crossings a year pass Indonesia's immigration checkpoints (TPI). The records are generated
(seeded) into a temporary Parquet file: record_id, event_date (one year), tpi (150 checkpoints, skewed), direction
(departure/arrival); no personal fields. Both paths produce the same TPI x month x direction counts from the file:
DuckDB through :func:`tppo_analysis.sources.extracts.aggregate_records` (with its validation scans and identifier
guard), pandas by ``read_parquet`` + ``groupby``. Each runs in its own subprocess; time and peak RSS are the call's own.
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
from _util import fmt_mb, fmt_s, ratio, run_task  # noqa: E402


def write_records(path: Path, n: int, seed: int = 0, chunk: int = 2_000_000) -> None:
    """SYNTHETIC crossing records into Parquet, chunk by chunk (the generator never holds all records)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    tpis = np.array([f"TPI-{i:03d}" for i in range(150)])
    weights = 1 / np.arange(1, 151) ** 1.1
    weights /= weights.sum()
    start = np.datetime64("2024-01-01")
    schema = pa.schema(
        [
            ("record_id", pa.int64()),
            ("event_date", pa.date32()),
            ("tpi", pa.dictionary(pa.int16(), pa.string())),
            ("direction", pa.dictionary(pa.int8(), pa.string())),
        ]
    )
    with pq.ParquetWriter(path, schema, compression="snappy") as w:
        done = 0
        while done < n:
            m = min(chunk, n - done)
            day = rng.integers(0, 366, m)
            tbl = pa.table(
                {
                    "record_id": pa.array(np.arange(done, done + m, dtype=np.int64)),
                    "event_date": pa.array((start + day).astype("datetime64[D]")),
                    "tpi": pa.DictionaryArray.from_arrays(
                        pa.array(rng.choice(150, m, p=weights).astype(np.int16)), pa.array(tpis)
                    ),
                    "direction": pa.DictionaryArray.from_arrays(
                        pa.array(rng.integers(0, 2, m).astype(np.int8)), pa.array(["arrival", "departure"])
                    ),
                },
                schema=schema,
            )
            w.write_table(tbl, row_group_size=1_000_000)
            done += m


def bench(n_records: int, *, memory_limit: str | None, timeout: float = 900, mem_cap_gb: float = 12) -> dict:
    with tempfile.TemporaryDirectory(prefix="tppo-bench-agg-") as tmp:
        rec = Path(tmp) / "crossings_synthetic.parquet"
        print(f"bench_aggregate: writing {n_records:,} synthetic records", file=sys.stderr, flush=True)
        write_records(rec, n_records)
        size_mb = rec.stat().st_size / 1024**2
        res = {"records": n_records, "file_mb": size_mb, "memory_limit": memory_limit}
        print("bench_aggregate: duckdb", file=sys.stderr, flush=True)
        res["duckdb"] = run_task(
            "duckdb_agg",
            {
                "records": str(rec),
                "out": str(Path(tmp) / "d.parquet"),
                "memory_limit": memory_limit,
                "temp_dir": str(Path(tmp) / "spill"),
            },
            timeout=timeout,
            mem_cap_gb=mem_cap_gb,
        )
        print("bench_aggregate: pandas", file=sys.stderr, flush=True)
        res["pandas"] = run_task(
            "pandas_agg",
            {"records": str(rec), "out": str(Path(tmp) / "p.parquet")},
            timeout=timeout,
            mem_cap_gb=mem_cap_gb,
        )
        if res["duckdb"].get("status") == "ok" and res["pandas"].get("status") == "ok":
            d = pd.read_parquet(Path(tmp) / "d.parquet")
            p = pd.read_parquet(Path(tmp) / "p.parquet")
            d = d.rename(columns={"direction_arrival": "arrival", "direction_departure": "departure"})
            m = d.merge(p, on=["tpi", "month"], suffixes=("_duckdb", "_pandas"), how="outer")
            res["same_counts"] = bool(
                len(m) == len(d) == len(p)
                and (m["arrival_duckdb"] == m["arrival_pandas"]).all()
                and (m["departure_duckdb"] == m["departure_pandas"]).all()
            )
    return res


def markdown(res: dict) -> str:
    d, p = res["duckdb"], res["pandas"]
    lines = [
        f"SYNTHETIC: {res['records']:,} crossing records ({res['file_mb']:,.0f} MB Parquet) -> TPI x month x direction "
        f"counts; DuckDB memory_limit = {res['memory_limit'] or 'default'}.",
        "",
        "| path | status | time (s) | peak RSS (MB) | extra RSS (MB) |",
        "|---|---|---:|---:|---:|",
    ]
    for name, r in (("DuckDB (tppo aggregate)", d), ("pandas read_parquet + groupby", p)):
        lines.append(
            f"| {name} | {r.get('status')} | {fmt_s(r.get('seconds'))} | {fmt_mb(r.get('peak_mb'))} | "
            f"{fmt_mb(r.get('extra_mb'))} |"
        )
    if d.get("status") == "ok" and p.get("status") == "ok":
        lines += [
            "",
            f"Ratios pandas / DuckDB: time {ratio(d['seconds'], p['seconds'])}, peak RSS "
            f"{ratio(d['peak_mb'], p['peak_mb'])}, extra RSS {ratio(max(d['extra_mb'], 1), p['extra_mb'])}; "
            f"identical counts: {res.get('same_counts')}.",
        ]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tiny", action="store_true")
    ap.add_argument("--records", type=int, default=22_000_000)
    ap.add_argument("--memory-limit", default="1GB")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    res = bench(
        20_000 if args.tiny else args.records, memory_limit=args.memory_limit, timeout=120 if args.tiny else 900
    )
    print(markdown(res))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(res, indent=1))
    return 0 if res["duckdb"].get("status") == "ok" and res.get("same_counts") else 1


if __name__ == "__main__":
    raise SystemExit(main())
