"""The aggregation of record-level extracts as portable SQL: one statement for DuckDB, Spark SQL or BigQuery.

:func:`tppo_analysis.sources.extracts.aggregate_records` runs :func:`aggregation_sql` in DuckDB on the files it is
given; :func:`cluster_sql` translates the same statement (with ``sqlglot``) for a cluster engine, so that when the
records must stay on a ministry cluster only the counts per key x month leave it. :func:`date_problem_sql` is the
condition that finds record dates outside the plausible range. Only aggregates leave these queries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from ._extract_io import FIRST_YEAR
from ._extract_io import slug as _slug

__all__ = ["aggregation_sql", "cluster_sql", "date_problem_sql", "VILLAGE_COLUMN"]

#: The village key of record-level extracts and village panels (Kemendagri ``PP.KK.CC.VVVV``).
VILLAGE_COLUMN = "village_code"


def _quote(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _safe_text(expr: str) -> str:
    """Give a text key that a spreadsheet would run as a formula a leading apostrophe (numbers stay as they are)."""
    return (
        f"CASE WHEN SUBSTRING({expr}, 1, 1) IN ('=', '+', '-', '@', CHR(9), CHR(13)) "
        f"AND TRY_CAST({expr} AS DOUBLE) IS NULL THEN CONCAT('''', {expr}) ELSE {expr} END"
    )


def aggregation_sql(
    source: str,
    *,
    key: str,
    category: str | None = None,
    values: Sequence[str | None] = (),
    date: str = "event_date",
    where: str | None = None,
) -> str:
    """Return the aggregation as one portable SQL statement (DuckDB here; the same text runs on Spark SQL / BigQuery).

    Parameters
    ----------
    source : str
        A table name or table function.
    key : str
        The office or village column.
    category : str, optional
        Column whose values get one conditional count each.
    values : sequence of str or None
        The category values counted (``None`` counts missing values, column ``<category>_missing``).
    date : str
        The record date column (validated before).
    where : str, optional
        A filter condition.

    Returns
    -------
    str
        ``SELECT key, month, records, <category>_<value> ... GROUP BY key, month``.
    """
    k = f"CAST({_quote(key)} AS VARCHAR)"
    cols = [
        f"{_safe_text(k)} AS {_quote(key)}",
        f"SUBSTRING(CAST(CAST({_quote(date)} AS DATE) AS VARCHAR), 1, 7) AS month",
        "COUNT(*) AS records",
    ]
    for v in values:
        assert category is not None  # values are counted only with a category
        cond = f"{_quote(category)} IS NULL" if v is None else f"CAST({_quote(category)} AS VARCHAR) = {_literal(v)}"
        name = f"{category}_{'missing' if v is None else _slug(v)}"
        cols.append(f"CAST(SUM(CASE WHEN {cond} THEN 1 ELSE 0 END) AS BIGINT) AS {_quote(name)}")
    filt = f" WHERE {where}" if where else ""
    return "SELECT " + ", ".join(cols) + f" FROM {source}{filt} GROUP BY 1, 2 ORDER BY 1, 2"


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

    Used when the records must stay on a ministry cluster: the same query as
    :func:`~tppo_analysis.sources.extracts.aggregate_records` runs there and only its result (counts per key x month)
    leaves. Translation by ``sqlglot``; constructs the target dialect does not support raise instead of being
    silently altered.

    Parameters
    ----------
    dialect : str
        A ``sqlglot`` dialect, e.g. ``"spark"`` or ``"bigquery"``.
    table : str
        The records table on the cluster (a dotted name is used as written).
    key : str
        The office or village column.
    category : str, optional
        Column whose values get one conditional count each.
    values : sequence of str or None
        The category values counted (``None`` counts missing values).
    date : str
        The record date column.

    Returns
    -------
    str
        The statement in ``dialect``.
    """
    import sqlglot
    from sqlglot.errors import ErrorLevel

    src = _quote(table) if "." not in table else table
    sql = aggregation_sql(src, key=key, category=category, values=values, date=date)
    return sqlglot.transpile(sql, read="duckdb", write=dialect, unsupported_level=ErrorLevel.RAISE, pretty=True)[0]


def date_problem_sql(date: str, dtype: str) -> str:
    """Return the SQL condition true for a date that is not a real ISO date from 2000-01-01 to next year's end.

    Parameters
    ----------
    date : str
        The date column.
    dtype : str
        Its DuckDB type (``DATE``/``TIMESTAMP`` columns are checked by year only; text must be ``YYYY-MM-DD``).

    Returns
    -------
    str
        A SQL boolean expression.
    """
    last = dt.date.today().year + 1
    d = _quote(date)
    if dtype.upper().startswith(("DATE", "TIMESTAMP")):
        return f"{d} IS NULL OR year({d}) NOT BETWEEN {FIRST_YEAR} AND {last}"
    return (
        f"{d} IS NULL OR NOT coalesce(regexp_full_match(CAST({d} AS VARCHAR), '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') "
        f"AND year(TRY_CAST({d} AS DATE)) BETWEEN {FIRST_YEAR} AND {last}, false)"
    )
