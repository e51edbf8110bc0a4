"""Result tables written by notebooks: CSV plus a provenance sidecar.

Every table meant for publication goes through :func:`save_table`. Tables built from simulated data carry a
``SYNTHETIC`` marker (a first column ``data = "SYNTHETIC"`` and ``synthetic: true`` in the sidecar).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from . import paths
from .provenance import package_version

__all__ = ["save_table"]


def save_table(
    df: pd.DataFrame,
    name: str,
    *,
    source: str,
    synthetic: bool = False,
    public_record: bool = False,
    float_format: str = "%.6g",
    directory: str | Path | None = None,
) -> Path:
    """Write ``<results>/<name>.csv`` and ``<name>.meta.json``; return the CSV path.

    ``public_record=True`` states that every count in the table is an already-public figure (exempt from small-cell
    suppression). ``synthetic=True`` marks the table as simulated in its header and sidecar.
    """
    out = Path(directory) if directory is not None else paths.results_dir()
    out.mkdir(parents=True, exist_ok=True)
    table = df.copy()
    if synthetic:
        table.insert(0, "data", "SYNTHETIC")
    path = out / f"{name}.csv"
    table.to_csv(path, index=False, float_format=float_format, lineterminator="\n")
    meta = {
        "name": name,
        "source": source,
        "synthetic": bool(synthetic),
        "public_record": bool(public_record),
        "package_version": package_version(),
        "columns": list(map(str, table.columns)),
        "rows": int(len(table)),
    }
    (out / f"{name}.meta.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path
