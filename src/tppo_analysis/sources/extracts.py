"""Record-level extracts -> monthly panels, with DuckDB (``tppo aggregate``), and the restricted panel loader.

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
``village_code`` (Kemendagri code ``PP.KK.CC.VVVV``). Dates are real ISO dates ``YYYY-MM-DD`` between 2000-01-01 and
the end of next year (nothing else is read as a date: not ``2023-1-5``, ``-2023-07-01``, a time of day or year
99999). Output: one row per key x month *with at least one record* (``office``/``tpi`` or ``village_code``, ``month``
as ``YYYY-MM``, ``records`` and one ``<category>_<value>`` count per category value); text keys that a spreadsheet
would run as a formula (starting with ``= + - @``, tab or carriage return, and not a number) are written with a
leading apostrophe. Months without records are not written: the panel builder completes the grid.

Every record is accounted for: an unreadable date, a missing key or a malformed village code is an error naming the
file, line and column, never a silently dropped row. Before anything is counted, **every cell of every row and
column** is checked for personal identifiers (:mod:`tppo_analysis.privacy.identifiers`: a DuckDB regular-expression
pre-filter over all cells, then the exact lokal-id checks on the distinct candidates), and identifier-named columns
are refused. The panel is restricted data: :func:`aggregate_records` refuses to write it inside the repository
except under ``build/``, over an input, or into a folder or link.

CSV files are read with a fixed dialect taken from the header (:mod:`tppo_analysis.sources._extract_io`): DuckDB's
sniffer, which looks at the first 20,480 rows only, is not used.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DataValidationError, IdentifierError, Problem, TppoError, display_path
from ..privacy.identifiers import guard_relation, identifier_column_kind
from . import _extract_io as xio
from ._extract_io import FIRST_YEAR, VILLAGE_PATTERN
from ._extract_io import slug as _slug
from ._restricted import RESTRICTED_LABEL, RestrictedPanel, restricted_files
from .extract_sql import VILLAGE_COLUMN, _literal, _quote, aggregation_sql, cluster_sql, date_problem_sql

__all__ = [
    "aggregate_records",
    "AggregateResult",
    "KINDS",
    "BY",
    "aggregation_sql",
    "cluster_sql",
    "load_restricted_panel",
    "RestrictedPanel",
    "restricted_files",
    "RESTRICTED_LABEL",
]

#: record kind -> (date columns, office-like key columns, category column); first present column is used
KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "deferrals": (("event_date", "deferral_date"), ("office", "tpi", "checkpoint"), "reason"),
    "passports": (("event_date", "decision_date", "application_date"), ("office", "immigration_office"), "decision"),
    "crossings": (("event_date", "crossing_date"), ("tpi", "checkpoint", "office"), "direction"),
}
BY = ("office_month", "village_month")
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
    n_unmatched: int = 0  # records without a village code (left out of a village panel when unmatched="count")


def _source_sql(paths: Sequence[Path]) -> tuple[str, str, list[xio.CsvDialect]]:
    suffixes = {p.suffix.lower() for p in paths}
    if suffixes <= {".parquet", ".pq"}:
        files = "[" + ", ".join(_literal(str(p)) for p in paths) + "]"
        return f"read_parquet({files}, union_by_name = true, filename = true)", "parquet", []
    if suffixes <= {".csv", ".txt"}:
        dialects = [xio.csv_dialect(p) for p in paths]
        parts = []
        for d in dialects:
            cols = "{" + ", ".join(f"{_literal(c)}: 'VARCHAR'" for c in d.columns) + "}"
            parts.append(
                f"SELECT * FROM read_csv({_literal(str(d.path))}, header = true, delim = {_literal(d.delim)}, "
                f"quote = '\"', escape = '\"', auto_detect = false, strict_mode = true, null_padding = false, "
                f"encoding = {_literal(d.encoding)}, filename = true, columns = {cols})"
            )
        return "(" + " UNION ALL BY NAME ".join(parts) + ")", "csv", dialects
    raise TppoError("record files must all be CSV (.csv) or all Parquet (.parquet); got " + ", ".join(sorted(suffixes)))


def _locate(con, source: str, condition: str, column: str, dialects, reason: str, *, mask=None) -> list[Problem]:
    """Problems for the first records matching ``condition``: exact CSV file line (header = 1) or Parquet row."""
    con.execute("SET preserve_insertion_order = true")
    con.execute("SET threads = 1")
    q = (
        f"SELECT filename, rn, CAST({_quote(column)} AS VARCHAR) FROM ("
        f"SELECT *, row_number() OVER (PARTITION BY filename) AS rn FROM {source}) WHERE {condition} "
        f"ORDER BY filename, rn LIMIT {_MAX_PROBLEMS}"
    )
    rows = con.sql(q).fetchall()
    by_file = {str(d.path): d for d in dialects}
    out = []
    for fname, rn, value in rows:
        d = by_file.get(str(fname))
        line = xio.lines_of_rows(d, [int(rn)]).get(int(rn)) if d is not None else int(rn)
        shown = value if mask is None else mask(value)
        out.append(Problem(display_path(fname), line, column, shown, reason))
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
    category: str | None = None,
    unmatched: str = "error",
    check_location: bool = True,
) -> AggregateResult:
    """Count record-level data into an office x month or village x month panel file, with DuckDB.

    Parameters
    ----------
    paths : str or Path or sequence of str or Path
        One or more CSV files or one or more Parquet files (not mixed) of one record kind.
    kind : str
        ``"deferrals"``, ``"passports"`` or ``"crossings"`` (sets the office column and the counted category).
    out : str or Path
        Output file, ``.parquet`` or ``.csv``: outside the repository or under ``build/``, never an input.
    memory_limit : str, optional
        DuckDB memory limit (e.g. ``"1GB"``) for larger-than-memory aggregation.
    temp_dir : str or Path, optional
        DuckDB spill directory.
    by : {"office_month", "village_month"}
        ``"office_month"`` (office or TPI x month) or ``"village_month"`` (village_code x month).
    threads : int, optional
        DuckDB worker threads (default: DuckDB's choice).
    progress : callable, optional
        Called with one line per stage (the CLI prints them to stderr).
    category : str, optional
        Count this column's values instead of the kind's default category.
    unmatched : {"error", "count"}
        ``"error"`` (default): a blank village code is an error; ``"count"``: records whose ``village_code`` is blank
        (not mapped to a village) are left out of a village panel and counted in ``n_unmatched``.
    check_location : bool
        Refuse outputs inside the repository (outside ``build/``); the restricted loader writes to a temporary
        folder and passes False.

    Returns
    -------
    AggregateResult
        Output path, key column, number of records read, rows written, columns and category values.

    Raises
    ------
    TppoError, DataValidationError, IdentifierError, OutputLocationError
        Unknown kind/by, bad options, missing files or columns, identifiers anywhere, unreadable rows or dates,
        missing keys, malformed village codes (each with file, line and column), an unsafe output location.
    """
    import duckdb

    t_start = time.perf_counter()
    say = progress or (lambda msg: None)
    if kind not in KINDS:
        raise TppoError(f"unknown record kind {kind!r}; choose one of {', '.join(KINDS)}")
    if by not in BY:
        raise TppoError(f"unknown panel {by!r}; choose one of {', '.join(BY)}")
    if unmatched not in ("error", "count"):
        raise TppoError(f"unmatched must be 'error' or 'count', not {unmatched!r}")
    files = [Path(p) for p in ([paths] if isinstance(paths, (str, Path)) else paths)]
    if not files:
        raise TppoError("no record files given")
    for p in files:
        if not p.is_file():
            raise TppoError(f"{display_path(p)}: no such file")
    xio.check_options(memory_limit, threads, temp_dir)
    out = Path(out)
    if check_location:
        xio.check_output(out, files)
    source, fmt, dialects = _source_sql(files)
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

        # 1. columns, the whole-file read check and the identifier guard (every cell)
        say(f"[1/4] reading {shown} ({fmt}) and checking every cell for personal identifiers")
        try:
            types = {r[0]: str(r[1]) for r in con.sql(f"DESCRIBE SELECT * EXCLUDE (filename) FROM {source}").fetchall()}
        except duckdb.Error as exc:
            raise TppoError(f"{shown}: cannot read records ({str(exc).splitlines()[0].split(':')[0]})") from None
        columns = list(types)
        named = [
            Problem(
                shown,
                1,
                c,
                None,
                f"column looks like a personal identifier ({k}); remove it from "
                "the extract (keep only the columns the count needs)",
            )
            for c in columns
            if (k := identifier_column_kind(c))
        ]
        try:
            n_records = int(con.sql(f"SELECT COUNT(*) FROM {source}").fetchall()[0][0])
        except duckdb.Error as exc:
            found = [p for d in dialects for p in xio.line_problems(d)]
            if found:
                raise DataValidationError(found, file=shown) from None
            raise TppoError(f"{shown}: cannot read records ({str(exc).splitlines()[0].split(':')[0]})") from None
        if n_records == 0:
            raise DataValidationError([Problem(shown, None, None, None, "has a header but no data rows")], file=shown)
        con.execute("SET preserve_insertion_order = false")  # counts and the guard do not depend on row order
        found = guard_relation(
            con,
            source,
            types,
            locate=lambda cond, col, reason, mask: _locate(con, source, cond, col, dialects, reason, mask=mask),
            file=shown,
        )
        if named or found:
            raise IdentifierError(named + found, file=shown)

        date_cols, office_cols, default_category = KINDS[kind]
        category = category or default_category
        date = next((c for c in date_cols if c in columns), date_cols[0])
        if by == "office_month":
            key = next((c for c in office_cols if c in columns), None)
            if key is None:
                raise DataValidationError(
                    [
                        Problem(
                            shown,
                            1,
                            office_cols[0],
                            None,
                            f"required column is missing (or one of {', '.join(office_cols[1:])})",
                        )
                    ],
                    file=shown,
                )
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

        # 2. validate dates and keys (one scan)
        say(f"[2/4] checking {date!r}, {key!r} and the optional coded columns of every record")
        kq = f"CAST({_quote(key)} AS VARCHAR)"
        blank = f"({_quote(key)} IS NULL OR TRIM({kq}) = '')"
        where = None
        if key == VILLAGE_COLUMN and unmatched == "count":
            where = f"NOT {blank}"
            key_bad = f"NOT {blank} AND NOT regexp_full_match({kq}, {_literal(VILLAGE_PATTERN)})"
        elif key == VILLAGE_COLUMN:
            key_bad = f"{blank} OR NOT regexp_full_match({kq}, {_literal(VILLAGE_PATTERN)})"
        else:
            key_bad = blank
        date_bad = date_problem_sql(date, types[date])
        extras = {c: xio.extra_problem_condition(c, _quote(c)) for c in xio.RECORD_EXTRAS if c in columns}
        counts = con.sql(
            f"SELECT COUNT(*) FILTER (WHERE {date_bad}), COUNT(*) FILTER (WHERE {key_bad}), "
            f"COUNT(*) FILTER (WHERE {blank})"
            + "".join(f", COUNT(*) FILTER (WHERE {cond})" for cond in extras.values())
            + f" FROM {source}"
        ).fetchall()[0]
        n_date_bad, n_key_bad, n_blank = counts[:3]
        n_extra_bad = dict(zip(extras, counts[3:], strict=True))
        if n_date_bad or n_key_bad or any(n_extra_bad.values()):
            last = dt.date.today().year + 1
            problems = []
            if n_date_bad:
                problems += _locate(
                    con,
                    source,
                    date_bad,
                    date,
                    dialects,
                    f"not a date YYYY-MM-DD between {FIRST_YEAR}-01-01 and {last}-12-31",
                )
            if n_key_bad:
                reason = (
                    "missing or not a Kemendagri village code PP.KK.CC.VVVV"
                    if key == VILLAGE_COLUMN
                    else "missing office/TPI code"
                )
                problems += _locate(con, source, key_bad, key, dialects, reason)
            for c, n_bad in n_extra_bad.items():  # the issue-14 columns, by the rules of the pandera schemas
                if n_bad:
                    problems += _locate(con, source, extras[c], c, dialects, f"{xio.RECORD_EXTRAS[c][1]} (or empty)")
            total = int(n_date_bad) + int(n_key_bad) + sum(int(n) for n in n_extra_bad.values())
            if total > len(problems):
                problems.append(Problem(shown, None, None, None, f"{total:,} bad values in all (first ones listed)"))
            raise DataValidationError(problems, file=shown)
        con.execute("SET preserve_insertion_order = false")
        if threads is None:
            con.execute("RESET threads")
        values: list[str | None] = []
        if has_category:
            cq = _quote(category)
            n_cat, n_missing = con.sql(
                f"SELECT COUNT(DISTINCT {cq}), COUNT(*) FILTER (WHERE {cq} IS NULL) FROM {source}"
            ).fetchall()[0]
            if int(n_cat) > MAX_CATEGORIES:
                raise TppoError(
                    f"{shown}: column {category!r} has {n_cat} distinct values (at most {MAX_CATEGORIES} "
                    "are counted as separate columns); recode it first"
                )
            values = [
                r[0]
                for r in con.sql(
                    f"SELECT DISTINCT CAST({cq} AS VARCHAR) FROM {source} WHERE {cq} IS NOT NULL ORDER BY 1"
                ).fetchall()
            ]
            slugs = [_slug(v) for v in values]
            if int(n_missing or 0):
                values.append(None)  # counted as <category>_missing so that categories add up to records
                slugs.append("missing")
            if len(set(slugs)) != len(slugs):
                raise TppoError(f"{shown}: values of {category!r} differ only in case/punctuation")

        # 3. aggregate
        label = "office x month" if by == "office_month" else "village x month"
        n_unmatched = int(n_blank) if where else 0
        say(f"[3/4] counting {n_records - n_unmatched:,} records into {label}")
        sql = aggregation_sql(
            source, key=key, category=category if has_category else None, values=values, date=date, where=where
        )
        out.parent.mkdir(parents=True, exist_ok=True)
        opts = "FORMAT parquet" if out.suffix.lower() == ".parquet" else "FORMAT csv, HEADER true"
        con.execute(f"COPY ({sql}) TO {_literal(str(out))} ({opts})")

        # 4. summary
        reader = "read_parquet" if out.suffix.lower() == ".parquet" else "read_csv"
        n_rows, n_sum = con.sql(f"SELECT COUNT(*), SUM(records) FROM {reader}({_literal(str(out))})").fetchall()[0]
        if int(n_sum or 0) != n_records - n_unmatched:  # pragma: no cover - invariant
            raise TppoError(f"internal: {n_records - n_unmatched} records in, {n_sum} counted")
        out_cols = [key, "month", "records"] + [f"{category}_{'missing' if v is None else _slug(v)}" for v in values]
        seconds = time.perf_counter() - t_start
        left = f" ({n_unmatched:,} records without a village code left out)" if n_unmatched else ""
        say(f"[4/4] wrote {int(n_rows):,} rows to {display_path(out)} in {seconds:.1f} s{left}")
        return AggregateResult(
            out=out,
            key=key,
            n_records=n_records,
            n_rows=int(n_rows),
            columns=out_cols,
            categories=list(values),
            seconds=seconds,
            n_unmatched=n_unmatched,
        )
    except duckdb.Error as exc:
        # DuckDB met something its fixed dialect cannot read (a byte that is not UTF-8, a stray quote, a short row):
        # name the file lines with the Python reader; never print DuckDB's message, which quotes the row.
        found = [p for d in dialects for p in xio.line_problems(d)]
        if found:
            raise DataValidationError(found, file=shown) from None
        raise TppoError(f"{shown}: cannot read records ({type(exc).__name__.lstrip('_')})") from None
    finally:
        con.close()


def load_restricted_panel(data_dir: str | Path | None) -> RestrictedPanel | None:
    """Validate, aggregate and shape ``DIR/restricted/`` for the effect design; None without that folder.

    See :func:`tppo_analysis.sources._restricted.load_restricted_panel` (the steps) and
    ``docs/restricted_extract_formats.md`` (the files). Notebooks 03 and 04 reach it through
    :func:`tppo_analysis.design.panel.program_panel`.

    Parameters
    ----------
    data_dir : str or Path or None
        The ``--data-dir`` folder (None: no restricted data).
    """
    from ._restricted import load_restricted_panel as load

    return load(data_dir, aggregate_records)
