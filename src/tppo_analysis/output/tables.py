"""Result tables written by notebooks: CSV plus a provenance sidecar.

Every table meant for publication goes through :func:`save_table`, which passes its counts through
:func:`tppo_analysis.privacy.suppress` (counts 1–9 and what would reveal them are written blank) unless the caller
states ``public_record=True`` (every count is an already-public, cited figure; the exemption is recorded in the
sidecar). Tables built from simulated data carry a ``SYNTHETIC`` marker (a first column ``data = "SYNTHETIC"`` and
``synthetic: true`` in the sidecar).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from .. import paths
from ..privacy.suppression import default_count_columns, suppress
from ..provenance import package_version

__all__ = ["save_table"]

# Integer columns with these names are keys or parameters, not counts of people, when count_columns is not given.
# Design sizes (villages, units, periods, replications, observations of a panel) are not counts of people either.
_NOT_COUNTS = re.compile(
    r"(^|_)(year|month|quarter|week|day|date|period|cohort|first_treated|g|t|rank|id|code|seed|rep|replication|"
    r"horizon|event_time|relative_time|lag|df|order|index|figure|row|line|min_cell|village|unit|office|tpi|series|"
    r"source|cluster|sim|simulation|draw|boot|bootstrap|obs|observation|parameter|knot|degree)s?($|_)"
)


def _default_counts(df: pd.DataFrame) -> list[str]:
    return [c for c in default_count_columns(df, {}) if not _NOT_COUNTS.search(str(c).lower())]


def save_table(
    df: pd.DataFrame,
    name: str,
    *,
    source: str,
    synthetic: bool = False,
    public_record: bool = False,
    float_format: str = "%.6g",
    directory: str | Path | None = None,
    count_columns: Sequence[str] | None = None,
    total_column: str | None = None,
    rates: Mapping[str, tuple[str, str]] | None = None,
    margins: bool = False,
) -> Path:
    """Write ``<results>/<name>.csv`` and ``<name>.meta.json``; return the CSV path.

    ``public_record=True`` states that every count in the table is an already-public figure (exempt from small-cell
    suppression; recorded in the sidecar). Otherwise the counts go through :func:`tppo_analysis.privacy.suppress`
    (``count_columns``, ``total_column``, ``rates`` and ``margins`` are passed on) and suppressed cells are written
    blank. ``count_columns`` defaults to the integer columns not named like keys or design sizes (year, month,
    cohort, id, code, seed, n_villages, n_reps, n_obs, …) and is recorded in the sidecar; name the columns explicitly
    for tables of record-level data, and pass ``count_columns=[]`` for a table without counts of people. A table that already went
    through ``suppress`` is written as it is. ``synthetic=True`` marks the table as simulated in its header and sidecar.
    """
    out = Path(directory) if directory is not None else paths.results_dir()
    out.mkdir(parents=True, exist_ok=True)
    done = df.attrs.get("privacy")
    if public_record:
        table = suppress(df, public_record=True)
    elif done is not None and count_columns is None and total_column is None and not rates and not margins:
        table = df.copy()
    else:
        counts = _default_counts(df) if count_columns is None else list(count_columns)
        table = suppress(df, count_columns=counts, total_column=total_column, rates=rates, margins=margins)
        table.attrs["privacy"]["count_columns"] = counts if total_column is None else [*counts, total_column]
    suppression = {k: v for k, v in table.attrs["privacy"].items() if k != "cells"}
    if margins:
        table = table.reset_index()
    if synthetic:
        table.insert(0, "data", "SYNTHETIC")
    path = out / f"{name}.csv"
    table.to_csv(path, index=False, float_format=float_format, lineterminator="\n")
    meta = {
        "name": name,
        "source": source,
        "synthetic": bool(synthetic),
        "public_record": bool(public_record),
        "suppression": suppression,
        "package_version": package_version(),
        "columns": list(map(str, table.columns)),
        "rows": int(len(table)),
    }
    (out / f"{name}.meta.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path
