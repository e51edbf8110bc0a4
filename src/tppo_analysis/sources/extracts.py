"""Record-level extracts -> monthly panels, with DuckDB (``tppo aggregate``).

The ministry's extracts are record-level: one row per deferral (penundaan keberangkatan), per passport decision or
per border crossing. The analysis needs counts per office (Kanim / TPI) x month or per village x month. This module
counts them with DuckDB straight from the CSV or Parquet files, so the records never enter Python memory (22 million
crossings a year aggregate in seconds within a fixed memory limit; DuckDB spills to ``temp_dir`` beyond it).

Expected record columns (no personal identifiers; the synthetic ``deferral_records`` of
:func:`tppo_analysis.design.synthetic.generate_records` fit as they are):

* deferrals: date ``event_date`` or ``deferral_date``; office ``office``, ``tpi`` or ``checkpoint``; category ``reason``
* passports: date ``event_date``, ``decision_date`` or ``application_date``; office ``office``; category ``decision``
* crossings: date ``event_date`` or ``crossing_date``; office ``tpi``, ``checkpoint`` or ``office``; category
  ``direction``

The first present column of each list is used; the category column is optional. ``village_month`` panels need
``village_code`` (Kemendagri code ``PP.KK.CC.VVVV``). Dates are ISO (``YYYY-MM-DD``). Output: one row per key x month *with at least one record* (``office``/``tpi`` or ``village_code``, ``month`` as
``YYYY-MM``, ``records`` and one ``<category>_<value>`` count per category value). Months without records are not
written: the panel builder completes the grid (every village of the geography x every month) with zeros, because
only it knows the full list of villages.

Every record is accounted for: an unreadable date, a missing key or a malformed village code is an error naming the
file, line and column, never a silently dropped row. Identifier-named columns (nama, nik, paspor, ...) are refused by
:func:`tppo_analysis.privacy.guard_columns` before anything is counted.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DataValidationError, Problem, TppoError, display_path

__all__ = ["aggregate_records", "AggregateResult", "KINDS", "BY", "aggregation_sql", "cluster_sql"]

#: record kind -> (date columns, office-like key columns, category column); first present column is used
KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "deferrals": (("event_date", "deferral_date"), ("office", "tpi", "checkpoint"), "reason"),
    "passports": (("event_date", "decision_date", "application_date"), ("office",), "decision"),
    "crossings": (("event_date", "crossing_date"), ("tpi", "checkpoint", "office"), "direction"),
}
BY = ("office_month", "village_month")
VILLAGE_COLUMN = "village_code"
VILLAGE_PATTERN = r"^[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[0-9]{4}$"
MAX_CATEGORIES = 50
_MAX_PROBLEMS = 50


@dataclass
class AggregateResult:
    """What :func:`aggregate_records` wrote: the panel file, its key, and the counts in and out."""

    out: Path
    key: str
    n_records: int
    n_rows: int
    columns: list[str]
    categories: list[str | None] = field(default_factory=list)
    seconds: float = 0.0


def _quote(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _slug(value: object) -> str:
    s = re.sub(r"[^0-9a-z]+", "_", str(value).strip().lower()).strip("_")
    return s or "blank"


def _source_sql(paths: Sequence[Path]) -> tuple[str, str]:
    suffixes = {p.suffix.lower() for p in paths}
    files = "[" + ", ".join(_literal(str(p)) for p in paths) + "]"
    if suffixes <= {".parquet", ".pq"}:
        return f"read_parquet({files}, union_by_name = true, filename = true)", "parquet"
    if suffixes <= {".csv", ".txt"}:
        return (
            f"read_csv({files}, header = true, all_varchar = true, union_by_name = true, filename = true)",
            "csv",
        )
    raise TppoError("record files must all be CSV (.csv) or all Parquet (.parquet); got " + ", ".join(sorted(suffixes)))


def aggregation_sql(
    source: str,
    *,
    key: str,
    category: str | None = None,
    values: Sequence[str | None] = (),
    date: str = "event_date",
) -> str:
    """Return the aggregation as one portable SQL statement (DuckDB here; the same text runs on Spark SQL / BigQuery).

    ``source`` is a table name or table function; ``key`` the office or village column; ``date`` the record date;
    ``category`` and ``values``
    add one conditional count per category value (``None`` counts missing values, column ``<category>_missing``).
    Only aggregates leave the query.
    """
    cols = [
        f"{_quote(key)} AS {_quote(key)}",
        f"SUBSTRING(CAST(CAST({_quote(date)} AS DATE) AS VARCHAR), 1, 7) AS month",
        "COUNT(*) AS records",
    ]
    if values and category is None:
        raise TppoError("values= counts the values of a category column: give category= as well")
    for v in values:
        assert category is not None
        cond = f"{_quote(category)} IS NULL" if v is None else f"{_quote(category)} = {_literal(v)}"
        name = f"{category}_{'missing' if v is None else _slug(v)}"
        cols.append(f"CAST(SUM(CASE WHEN {cond} THEN 1 ELSE 0 END) AS BIGINT) AS {_quote(name)}")
    return "SELECT " + ", ".join(cols) + f" FROM {source} GROUP BY 1, 2 ORDER BY 1, 2"


def cluster_sql(
    dialect: str,
    *,
    table: str = "records",
    key: str = VILLAGE_COLUMN,
    category: str | None = None,
    values: Sequence[str | None] = (),
    date: str = "event_date",
) -> str:
    """Return the aggregation statement for a cluster engine (``"spark"``, ``"bigquery"``, ...), from a table name.

    Used when the records must stay on a ministry cluster: the same query as :func:`aggregate_records` runs there and
    only its result (counts per key x month) leaves. Translation by ``sqlglot`` (install ``sqlglot``); constructs the
    target dialect does not support raise instead of being silently altered.
    """
    try:
        import sqlglot
        from sqlglot.errors import ErrorLevel
    except ModuleNotFoundError as exc:  # pragma: no cover - sqlglot is in the test extra
        raise TppoError("translating the aggregation SQL needs sqlglot (pip install sqlglot)") from exc
    sql = aggregation_sql(
        _quote(table) if "." not in table else table, key=key, category=category, values=values, date=date
    )
    return sqlglot.transpile(sql, read="duckdb", write=dialect, unsupported_level=ErrorLevel.RAISE, pretty=True)[0]


def _first_lines(con, source: str, condition: str, fmt: str, column: str) -> list[Problem]:
    """Problems for the first rows matching ``condition``: CSV file line (header = line 1), or Parquet row number."""
    q = (
        f"SELECT filename, rn, CAST({_quote(column)} AS VARCHAR) FROM ("
        f"SELECT *, row_number() OVER (PARTITION BY filename) AS rn FROM {source}) WHERE {condition} "
        f"ORDER BY filename, rn LIMIT {_MAX_PROBLEMS}"
    )
    rows = con.sql(q).fetchall()
    out = []
    for fname, rn, value in rows:
        line = int(rn) + 1 if fmt == "csv" else int(rn)
        out.append(Problem(display_path(fname), line, column, value, ""))
    return out


def aggregate_records(
    paths: str | Path | Sequence[str | Path],
    *,
    kind: str,
    out: str | Path,
    memory_limit: str | None = None,
    temp_dir: str | Path | None = None,
    by: str = "office_month",
    threads: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> AggregateResult:
    """Count record-level data into an office x month or village x month panel file, with DuckDB.

    Parameters
    ----------
    paths
        One or more CSV files or one or more Parquet files (not mixed) of one record kind.
    kind
        ``"deferrals"``, ``"passports"`` or ``"crossings"`` (sets the office column and the counted category).
    out
        Output file, ``.parquet`` or ``.csv``.
    memory_limit, temp_dir
        DuckDB memory limit (e.g. ``"1GB"``) and spill directory for larger-than-memory aggregation.
    by
        ``"office_month"`` (office or TPI x month) or ``"village_month"`` (village_code x month).
    threads
        DuckDB worker threads (default: DuckDB's choice).
    progress
        Called with one line per stage (the CLI prints them to stderr).

    Returns
    -------
    AggregateResult
        Output path, key column, number of records read, rows written, columns and category values.

    Raises
    ------
    TppoError, DataValidationError
        Unknown kind/by, missing files or columns, identifier columns, unreadable dates, missing keys, malformed
        village codes (each with file, line and column).
    """
    import duckdb

    t_start = time.perf_counter()
    say = progress or (lambda msg: None)
    if kind not in KINDS:
        raise TppoError(f"unknown record kind {kind!r}; choose one of {', '.join(KINDS)}")
    if by not in BY:
        raise TppoError(f"unknown panel {by!r}; choose one of {', '.join(BY)}")
    files = [Path(p) for p in ([paths] if isinstance(paths, (str, Path)) else paths)]
    if not files:
        raise TppoError("no record files given")
    for p in files:
        if not p.is_file():
            raise TppoError(f"{display_path(p)}: no such file")
    out = Path(out)
    if out.suffix.lower() not in (".parquet", ".csv"):
        raise TppoError(f"{display_path(out)}: output must end in .parquet or .csv")
    source, fmt = _source_sql(files)
    shown = display_path(files[0]) if len(files) == 1 else f"{len(files)} files"

    con = duckdb.connect(":memory:")
    try:
        if memory_limit:
            con.execute(f"SET memory_limit = {_literal(memory_limit)}")
        if temp_dir:
            Path(temp_dir).mkdir(parents=True, exist_ok=True)
            con.execute(f"SET temp_directory = {_literal(str(temp_dir))}")
        if threads:
            con.execute(f"SET threads = {int(threads)}")

        # 1. columns + identifier guard (names, and values of a small sample)
        say(f"[1/4] reading columns of {shown} ({fmt})")
        try:
            rel = con.sql(f"SELECT * FROM {source}")
            columns = [c for c in rel.columns if c != "filename"]
        except duckdb.Error as exc:
            raise TppoError(f"{shown}: cannot read records: {str(exc).splitlines()[0]}") from exc
        from ..privacy.identifiers import guard_columns

        for path in files:  # names, and values of the first 1,000 records of each file
            one, _ = _source_sql([path])
            sample = con.sql(f"SELECT * EXCLUDE (filename) FROM {one} LIMIT 1000").df()
            guard_columns(sample, file=display_path(path), max_value_rows=1000)
        con.execute("SET preserve_insertion_order = false")  # the counts do not depend on row order
        date_cols, office_cols, category = KINDS[kind]
        dates = [c for c in date_cols if c in columns]
        date = dates[0] if dates else date_cols[0]
        if by == "office_month":
            present = [c for c in office_cols if c in columns]
            if not present:
                raise TppoError(f"{shown}: {kind} records need a column {' or '.join(map(repr, office_cols))}")
            key = present[0]
        else:
            key = VILLAGE_COLUMN
        problems = [
            Problem(
                shown,
                1,
                c,
                None,
                "required column is missing"
                + (f" (or one of {', '.join(date_cols[1:])})" if c == date and len(date_cols) > 1 else ""),
            )
            for c in (date, key)
            if c not in columns
        ]
        if problems:
            raise DataValidationError(problems, file=shown)
        has_category = category in columns

        # 2. validate dates and keys, count records (one scan)
        say(f"[2/4] checking {date!r} and {key!r} of every record")
        date_bad = f"TRY_CAST({_quote(date)} AS DATE) IS NULL"
        key_bad = f"{_quote(key)} IS NULL OR TRIM(CAST({_quote(key)} AS VARCHAR)) = ''"
        if key == VILLAGE_COLUMN:
            key_bad += f" OR NOT regexp_full_match(CAST({_quote(key)} AS VARCHAR), {_literal(VILLAGE_PATTERN)})"
        checks = (
            f"SELECT COUNT(*), SUM(CASE WHEN {date_bad} THEN 1 ELSE 0 END), SUM(CASE WHEN {key_bad} THEN 1 ELSE 0 END)"
        )
        values: list[str | None] = []
        if has_category:
            checks += (
                f", COUNT(DISTINCT {_quote(category)}), SUM(CASE WHEN {_quote(category)} IS NULL THEN 1 ELSE 0 END)"
            )
        n_records, n_date_bad, n_key_bad, *rest = con.sql(f"{checks} FROM {source}").fetchall()[0]
        n_records, n_date_bad, n_key_bad = int(n_records), int(n_date_bad or 0), int(n_key_bad or 0)
        if n_date_bad or n_key_bad:
            # Row numbers must follow the file: a single-threaded, order-preserving scan for this (error) path only.
            con.execute("SET preserve_insertion_order = true")
            con.execute("SET threads = 1")
            problems = []
            if n_date_bad:
                for q in _first_lines(con, source, date_bad, fmt, date):
                    problems.append(Problem(q.file, q.line, q.column, q.value, "not a date (expected YYYY-MM-DD)"))
            if n_key_bad:
                reason = (
                    "missing or not a Kemendagri village code PP.KK.CC.VVVV"
                    if key == VILLAGE_COLUMN
                    else "missing office/TPI code"
                )
                for q in _first_lines(con, source, key_bad, fmt, key):
                    problems.append(Problem(q.file, q.line, q.column, q.value, reason))
            total = n_date_bad + n_key_bad
            if total > len(problems):
                problems.append(Problem(shown, None, None, None, f"{total:,} bad values in all (first ones listed)"))
            raise DataValidationError(problems, file=shown)
        if has_category:
            n_cat = int(rest[0])
            if n_cat > MAX_CATEGORIES:
                raise TppoError(
                    f"{shown}: column {category!r} has {n_cat} distinct values (at most {MAX_CATEGORIES} are counted "
                    "as separate columns); recode it first"
                )
            values = [
                r[0]
                for r in con.sql(
                    f"SELECT DISTINCT CAST({_quote(category)} AS VARCHAR) FROM {source} "
                    f"WHERE {_quote(category)} IS NOT NULL ORDER BY 1"
                ).fetchall()
            ]
            slugs = [_slug(v) for v in values]
            if int(rest[1] or 0):
                values.append(None)  # counted as <category>_missing so that categories add up to records
                slugs.append("missing")
            if len(set(slugs)) != len(slugs):
                raise TppoError(f"{shown}: values of {category!r} differ only in case/punctuation: {values}")

        # 3. aggregate
        label = "office x month" if by == "office_month" else "village x month"
        say(f"[3/4] counting {n_records:,} records into {label}")
        sql = aggregation_sql(source, key=key, category=category if has_category else None, values=values, date=date)
        out.parent.mkdir(parents=True, exist_ok=True)
        opts = "FORMAT parquet" if out.suffix.lower() == ".parquet" else "FORMAT csv, HEADER true"
        con.execute(f"COPY ({sql}) TO {_literal(str(out))} ({opts})")

        # 4. summary
        reader = "read_parquet" if out.suffix.lower() == ".parquet" else "read_csv"
        n_rows, n_sum = con.sql(f"SELECT COUNT(*), SUM(records) FROM {reader}({_literal(str(out))})").fetchall()[0]
        if int(n_sum or 0) != n_records:  # pragma: no cover - invariant
            raise TppoError(f"internal: {n_records} records in, {n_sum} counted")
        out_cols = [key, "month", "records"] + [f"{category}_{'missing' if v is None else _slug(v)}" for v in values]
        seconds = time.perf_counter() - t_start
        say(f"[4/4] wrote {int(n_rows):,} rows to {display_path(out)} in {seconds:.1f} s")
        return AggregateResult(
            out=out,
            key=key,
            n_records=n_records,
            n_rows=int(n_rows),
            columns=out_cols,
            categories=list(values),
            seconds=seconds,
        )
    finally:
        con.close()
