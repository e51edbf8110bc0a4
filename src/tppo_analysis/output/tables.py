"""Result tables written by notebooks: CSV plus a provenance sidecar, checked alone and with the tables beside it.

Every table meant for publication goes through :func:`save_table`:

* its counts pass through :func:`tppo_analysis.privacy.suppression.suppress` (counts 1–9 and what would reveal them
  are written blank) unless the caller states ``public_record=True`` (every count is an already-public, cited
  figure; the exemption is recorded in the sidecar). Count columns are found by dtype and content (non-negative
  whole numbers), not by name; only a few names are keys or design sizes (``year``, ``month``, ``cohort``, ``seed``,
  ``n_villages`` …). A table that already went through ``suppress`` is suppressed again over every count column, so a
  column added afterwards (``.assign(raw=…)``) is protected too;
* village x month tables are refused, whatever the columns are called
  (:func:`tppo_analysis.privacy.granularity.check_table_granularity`);
* the table is registered in its sidecar with its geography, period and count columns, and the set of registered
  tables in the folder (the tables one run publishes) is checked for blank cells that could be recovered by
  combining them (:func:`tppo_analysis.privacy.granularity.check_linked`); a table that would give one away is not
  written and ``DisclosureError`` says why;
* text cells that a spreadsheet would run as a formula (starting with ``= + - @``, a tab or a carriage return) get a
  leading apostrophe (:func:`neutralise_formulas`, applied by :func:`write_csv`, which the study scripts use too);
  numbers, negative ones included, stay numbers.

Tables built from simulated data carry a ``SYNTHETIC`` marker (first column ``data = "SYNTHETIC"`` and
``synthetic: true`` in the sidecar); tables from a restricted extract say ``RESTRICTED`` the same way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from .. import paths
from ..errors import OutputLocationError, TppoError
from ..privacy.granularity import LinkedTable, check_linked, check_table_granularity
from ..privacy.suppression import default_count_columns, suppress
from ..provenance import package_version

__all__ = ["save_table", "neutralise_formulas", "write_csv", "linked_tables", "SavedPath", "with_reliability"]

# Whole column names that are keys or design sizes, not counts of people (matched on the full name only).
_KEY_NAMES = re.compile(
    r"(year|month|quarter|week|day|date|period|cohort|first_treated|g|t|rank|id|code|seed|rep|replication|horizon|"
    r"event_time|relative_time|lag|df|order|index|figure|row|line|min_cell|knot|degree|level|base_rate|effect_pct|"
    r"n_(?:villages|program|units|reps|replications|obs|observations|periods|months|windows|draws|sims|clusters|"
    r"cohorts|knots|params|parameters|boot|iterations|regencies|districts))s?",
    re.IGNORECASE,
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _default_counts(df: pd.DataFrame) -> list[str]:
    return [
        c
        for c in default_count_columns(df, {})
        if not _KEY_NAMES.fullmatch(str(c)) and (pd.to_numeric(df[c], errors="coerce").dropna() >= 0).all()
    ]


def _risky(text: pd.Series) -> pd.Series:
    """Return True for text a spreadsheet would run as a formula: starts with ``= + - @``/tab/CR and is no number."""
    text = text.astype("string")
    return text.str.startswith(_FORMULA_START).fillna(False) & pd.to_numeric(text, errors="coerce").isna()


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Give text cells starting with ``= + - @`` (or tab / carriage return) a leading apostrophe; numbers stay.

    Text is every cell of an object, string or categorical column, and every column name (a header row is read by a
    spreadsheet too); a number written as text (``"-3"``, ``"-1.5e3"``) and every numeric column stay as they are.

    Parameters
    ----------
    df : pandas.DataFrame
        The table to write.

    Returns
    -------
    pandas.DataFrame
        A copy a spreadsheet opens without running any cell as a formula.
    """
    out = df.copy()
    for c in out.columns:
        s = out[c]
        if isinstance(s.dtype, pd.CategoricalDtype):
            s = s.astype(object)
        elif not (pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)):
            continue
        risky = _risky(s)
        if risky.any():
            out[c] = s.where(~risky, "'" + s.astype("string"))
    names = pd.Series([str(c) for c in out.columns])
    header = _risky(names) & pd.Series([isinstance(c, str) for c in out.columns])
    if header.any():
        out.columns = ["'" + str(c) if r else c for c, r in zip(out.columns, header, strict=True)]
    return out


def write_csv(df: pd.DataFrame, path: str | Path, *, float_format: str = "%.6g", **to_csv: object) -> Path:
    """Write ``df`` as CSV with formula-like text neutralised: the one writer of result and study CSV files.

    :func:`save_table` and the resumable study scripts (``scripts/*_study.py``) write through it, so that every CSV
    the project writes from data opens in a spreadsheet without running a cell (:func:`neutralise_formulas`).

    Parameters
    ----------
    df : pandas.DataFrame
        The table.
    path : str or Path
        The CSV file.
    float_format : str
        printf-style format of floats.
    **to_csv
        Passed to :meth:`pandas.DataFrame.to_csv` (e.g. ``mode="a"``, ``header=False`` to append a chunk).
        A carriage return inside a text cell is written as a line feed (quoted), so every row reads back whole.

    Returns
    -------
    Path
        ``path``.
    """
    opts: dict = {"index": False, "lineterminator": "\n", **to_csv}
    out = neutralise_formulas(df)
    for c in out.columns:  # a carriage return inside a cell is written as a line feed, which the writer quotes: with
        s = out[c]  # "\n" as line terminator Python's csv leaves a bare "\r" unquoted and the row splits on reading
        if s.dtype == object or pd.api.types.is_string_dtype(s):
            out[c] = s.map(lambda v: v.replace("\r\n", "\n").replace("\r", "\n") if isinstance(v, str) else v)
    out.to_csv(path, float_format=float_format, **opts)
    return Path(path)


class SavedPath(type(Path())):  # type: ignore[misc]  # the concrete Path class of this platform
    """The path of a saved table; shown as ``<folder>/<file>`` only, so no absolute path enters a notebook output.

    A restricted run writes under ``--out``, and an absolute path can itself identify a person or an office; the full
    path is still what ``str()``/``open()`` use.
    """

    def __repr__(self) -> str:
        """Show the folder's last component and the file name only."""
        return f"SavedPath('{self.parent.name}/{self.name}')"


def _check_name(name: str, out: Path, *, synthetic: bool, restricted: bool) -> None:
    """One naming rule: ``NN_name_synthetic`` / ``NN_name_restricted``; restricted tables never in the repository."""
    if synthetic and restricted:
        raise TppoError(f"save_table {name!r}: a table is SYNTHETIC or RESTRICTED, not both")
    for flag, suffix in ((synthetic, "_synthetic"), (restricted, "_restricted")):
        if flag and not name.endswith(suffix):
            raise TppoError(
                f"save_table {name!r}: a {suffix[1:]} table's name ends in {suffix!r} (docs/CONTRACTS.md §4)"
            )
        if not flag and name.endswith(suffix):
            raise TppoError(f"save_table {name!r}: pass {suffix[1:]}=True for a table named {suffix!r}")
    if restricted:
        target, repo = out.expanduser().resolve(), paths.repo_root().resolve()
        build = (repo / "build").resolve()
        if target.is_relative_to(repo) and not target.is_relative_to(build):
            raise OutputLocationError(
                f"save_table {name!r}: restricted tables are written only under tppo report --out (outside the "
                "repository or under build/), not in the repository"
            )


def linked_tables(directory: str | Path) -> list[LinkedTable]:
    """Return the registered tables of a results folder (sidecars with a ``linked`` entry), blanks as NaN.

    Parameters
    ----------
    directory : str or Path
        A results folder.

    Returns
    -------
    list of LinkedTable
        One per registered table, in name order.
    """
    out = []
    for meta_path in sorted(Path(directory).glob("*.meta.json")):
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        link = meta.get("linked")
        csv = meta_path.with_name(meta_path.name.removesuffix(".meta.json") + ".csv")
        if not link or not csv.exists():
            continue
        text_keys = (link["geography_column"], link["period_column"], *link.get("key_columns", []))
        frame = pd.read_csv(csv, dtype={c: str for c in text_keys if c}, keep_default_na=False, na_values=[""])
        out.append(
            LinkedTable(
                meta["name"],
                frame,
                link["count_columns"],
                link["geography_column"],
                link["period_column"],
                link["total_column"],
                key_columns=link.get("key_columns", []),
            )
        )
    return out


def save_table(
    df: pd.DataFrame,
    name: str,
    *,
    source: str,
    synthetic: bool = False,
    restricted: bool = False,
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
    suppression; recorded in the sidecar). Otherwise the counts go through
    :func:`tppo_analysis.privacy.suppression.suppress` (``count_columns``, ``total_column``, ``rates`` and ``margins``
    are passed on) and suppressed cells are written blank. ``count_columns`` defaults to every column of
    non-negative whole numbers except keys and design sizes named as such (``year``, ``cohort``, ``seed``,
    ``n_villages`` …); pass ``count_columns=[]`` for a table without counts of people. ``synthetic=True`` /
    ``restricted=True`` mark the table as simulated / from a restricted extract in its header and sidecar.

    Parameters
    ----------
    df : pandas.DataFrame
        The table.
    name : str
        ``NN_name`` (``NN`` the notebook number; ``_synthetic`` / ``_restricted`` suffix where the data are).
    source : str
        Which data and which model produced it (written to the sidecar).
    synthetic : bool
        The table is from simulated data.
    restricted : bool
        The table is from a restricted extract (written only under ``tppo report --out``).
    public_record : bool
        Every count is an already-public, cited figure (exempt from suppression; recorded).
    float_format : str
        printf-style format of floats in the CSV.
    directory : str or Path, optional
        The results folder (default: :func:`tppo_analysis.paths.results_dir`).
    count_columns : sequence of str, optional
        Columns of counts of people (default: found by dtype and content).
    total_column : str, optional
        A count column that totals the others in its row (passed to ``suppress``).
    rates : mapping of str to tuple of str, optional
        ``{rate: (numerator, denominator)}`` (passed to ``suppress``).
    margins : bool
        The table is a cross-table with row and column totals (passed to ``suppress``).

    Returns
    -------
    Path
        The CSV written (shown as ``<folder>/<file>`` only).

    Raises
    ------
    TppoError
        A village x month table (never published).
    DisclosureError
        The table, with the tables already registered in the folder, would let a blank cell be recovered; nothing
        is written.
    """
    out = Path(directory) if directory is not None else paths.results_dir()
    _check_name(name, out, synthetic=synthetic, restricted=restricted)
    out.mkdir(parents=True, exist_ok=True)
    done = df.attrs.get("privacy") or {}
    link = None
    if public_record:
        table = suppress(df, public_record=True)
    else:
        if count_columns is not None:
            counts = list(count_columns)
        else:
            counts = list(dict.fromkeys([*done.get("count_columns", []), *_default_counts(df)]))
        total = total_column or done.get("total_column")
        counts = [c for c in counts if c in df.columns and c != total]
        margins = margins or bool(done.get("margins"))
        geo, period = check_table_granularity(df.reset_index() if margins else df, skip=[*counts, total or ""])
        table = suppress(df, count_columns=counts, total_column=total, rates=rates, margins=margins)
        table.attrs["privacy"]["count_columns"] = counts if total is None else [*counts, total]
        if (counts or total) and not margins and (geo or period):
            all_counts = table.attrs["privacy"]["count_columns"]
            keys = [
                str(c)
                for c in df.columns
                if c not in (*all_counts, geo, period, *(rates or {}))
                and not pd.api.types.is_float_dtype(df[c])
                and not pd.api.types.is_bool_dtype(df[c])
            ]
            link = {
                "geography_column": geo,
                "period_column": period,
                "total_column": total,
                "count_columns": all_counts,
                "key_columns": keys,
            }
    suppression = {k: v for k, v in table.attrs["privacy"].items() if k != "cells"}
    if margins:
        table = table.reset_index()
    if link is not None:
        others = [t for t in linked_tables(out) if t.name != name]
        check_linked(
            [
                *others,
                LinkedTable(
                    name,
                    table,
                    link["count_columns"],
                    link["geography_column"],
                    link["period_column"],
                    link["total_column"],
                    key_columns=link["key_columns"],
                ),
            ]
        )
    if synthetic or restricted:
        table.insert(0, "data", "SYNTHETIC" if synthetic else "RESTRICTED")
    path = out / f"{name}.csv"
    write_csv(table, path, float_format=float_format)
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
    if restricted:
        meta["restricted"] = True
    if link is not None:
        meta["linked"] = link
    (out / f"{name}.meta.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return SavedPath(path)


def with_reliability(df: pd.DataFrame, reliability: str | pd.Series, note: str | pd.Series = "") -> pd.DataFrame:
    """Return ``df`` with the ``reliability`` and ``note`` columns that result tables carry (docs/CONTRACTS.md §5).

    Columns already present are kept where they hold text and filled where blank. Call it before :func:`save_table`.

    Parameters
    ----------
    df : pandas.DataFrame
        A result table.
    reliability : str or pandas.Series
        In plain words what a row rests on ("5 windows; functional form chosen by backtest", "one public statement as
        reported"): one string for every row or a Series aligned with ``df``.
    note : str or pandas.Series
        What a reader must know ("not bounded", "rounded figure"), likewise.

    Returns
    -------
    pandas.DataFrame
        A copy with both columns.
    """
    out = df.copy()
    for col, value in (("reliability", reliability), ("note", note)):
        fill = value if isinstance(value, pd.Series) else pd.Series(value, index=out.index, dtype=object)
        if col in out.columns:
            current = out[col].astype(object)
            out[col] = current.where(current.notna() & (current.astype(str).str.strip() != ""), fill)
        else:
            out[col] = fill
    return out
