"""The cluster path: the same guarded aggregation as ``tppo aggregate``, run by Apache Spark.

When the records must stay on a ministry data platform, :func:`spark_aggregate` runs there (PySpark on the cluster's
driver, or ``local[*]`` on one machine): it reads the extract with the same fixed CSV dialect, checks every cell for
personal identifiers (Spark collects the distinct candidates that match the same pre-filter pattern; the exact
lokal-id checks run on the driver), refuses bad dates and keys with counts, then runs the statement of
:func:`tppo_analysis.sources.extracts.cluster_sql` and writes only the counts, as Parquet. The test suite compares
that Parquet cell for cell with DuckDB's (no ``toPandas``: PySpark's pandas bridge does not support pandas 3).

:func:`spark_session` starts a quiet local session: Spark's log4j output is limited to errors and PySpark's
import-time warning about pandas 3 (its pandas API, which this path does not use) is silenced where PySpark is
imported, narrowly.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path

from ..errors import DataValidationError, IdentifierError, Problem, TppoError, display_path

__all__ = ["spark_session", "spark_aggregate"]

_LOG4J = """rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %m%n
"""


def _pyspark():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support", category=FutureWarning)
        from pyspark.sql import SparkSession

    return SparkSession


def spark_session(master: str = "local[1]", app: str = "tppo-aggregate"):
    """Start a local Spark session with errors-only logging (needs a Java runtime, ``default-jre-headless``)."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    conf = Path(tempfile.mkdtemp(prefix="tppo-spark-")) / "log4j2.properties"
    conf.write_text(_LOG4J, encoding="utf-8")
    session = _pyspark()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support", category=FutureWarning)
        spark = (
            session.builder.master(master)
            .appName(app)
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", "1")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{conf}")
            .getOrCreate()
        )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _q(name: str) -> str:
    return "`" + str(name).replace("`", "``") + "`"


def _read(spark, paths: Sequence[Path]):
    from pyspark.sql.types import StringType, StructField, StructType

    from . import _extract_io as xio

    if all(p.suffix.lower() in (".parquet", ".pq") for p in paths):
        return spark.read.parquet(*map(str, paths))
    frames = []
    for p in paths:
        d = xio.csv_dialect(p)
        schema = StructType([StructField(c, StringType(), True) for c in d.columns])
        frames.append(
            spark.read.csv(
                str(p),
                schema=schema,
                header=True,
                sep=d.delim,
                quote='"',
                escape='"',
                multiLine=True,
                mode="FAILFAST",
                encoding="UTF-16" if d.encoding == "utf-16" else "UTF-8",
                enforceSchema=True,
                emptyValue=None,
                nullValue=None,
            )
        )
    out = frames[0]
    for f in frames[1:]:
        out = out.unionByName(f, allowMissingColumns=True)
    return out


def spark_aggregate(
    spark,
    paths: str | Path | Sequence[str | Path],
    *,
    kind: str,
    out_dir: str | Path,
    by: str = "office_month",
    category: str | None = None,
) -> list[str]:
    """Guarded aggregation on Spark: the counts of :func:`~tppo_analysis.sources.extracts.aggregate_records`.

    Writes one Parquet file (``out_dir/part-*.parquet``) and returns its columns. Raises ``IdentifierError`` for any
    identifier-shaped cell, ``DataValidationError`` for bad dates or keys (counts and masked examples: Spark has no
    file lines; run ``tppo aggregate`` on a copy for them).
    """
    from ..privacy.identifiers import candidate_pattern, find_identifiers, identifier_column_kind
    from ._extract_io import RECORD_EXTRAS, extra_problem_condition
    from .extracts import FIRST_YEAR, KINDS, VILLAGE_COLUMN, VILLAGE_PATTERN, _slug, cluster_sql

    files = [Path(p) for p in ([paths] if isinstance(paths, (str, Path)) else paths)]
    shown = display_path(files[0]) if len(files) == 1 else f"{len(files)} files"
    df = _read(spark, files)
    view = f"tppo_records_{os.getpid()}"
    df.createOrReplaceTempView(view)
    columns = df.columns
    named = [
        Problem(shown, 1, c, None, f"column looks like a personal identifier ({k})")
        for c in columns
        if (k := identifier_column_kind(c))
    ]
    if named:
        raise DataValidationError(named, file=shown)
    pat = candidate_pattern().replace("\\", "\\\\").replace("'", "\\'")
    strings = [f.name for f in df.schema.fields if f.dataType.typeName() == "string"]
    if strings:
        sel = ", ".join(f"collect_set(CASE WHEN {_q(c)} RLIKE '{pat}' THEN {_q(c)} END)" for c in strings)
        lists = spark.sql(f"SELECT {sel} FROM {view}").collect()[0]
        problems = []
        for c, values in zip(strings, lists, strict=True):
            hits = [m for v in values for m in find_identifiers(str(v), mode="cell")[:1]]
            if hits:
                kinds = ", ".join(sorted({m.kind for m in hits}))
                problems.append(
                    Problem(
                        shown,
                        None,
                        c,
                        hits[0].kind + " " + hits[0].masked,
                        f"{len(hits)} distinct value(s) look like personal identifiers ({kinds})",
                    )
                )
        if problems:
            raise IdentifierError(problems, file=shown)
    date_cols, office_cols, default_category = KINDS[kind]
    category = category or default_category
    date = next((c for c in date_cols if c in columns), date_cols[0])
    key = VILLAGE_COLUMN if by == "village_month" else next((c for c in office_cols if c in columns), office_cols[0])
    missing = [c for c in (date, key) if c not in columns]
    if missing:
        raise DataValidationError([Problem(shown, 1, c, None, "required column is missing") for c in missing])
    last = dt.date.today().year + 1
    d, k = _q(date), _q(key)
    dtype = dict(df.dtypes)[date]
    if dtype == "string":
        date_bad = (
            f"NOT coalesce({d} RLIKE '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}$' AND "
            f"year(try_cast({d} AS DATE)) BETWEEN {FIRST_YEAR} AND {last}, false)"
        )
    else:
        date_bad = f"{d} IS NULL OR year({d}) NOT BETWEEN {FIRST_YEAR} AND {last}"
    key_bad = f"{k} IS NULL OR trim(CAST({k} AS STRING)) = ''"
    if key == VILLAGE_COLUMN:
        key_bad += f" OR NOT CAST({k} AS STRING) RLIKE '{VILLAGE_PATTERN}'"
    # the optional issue-14 columns, by the same expressions as the pandera schemas and DuckDB
    extras = {c: extra_problem_condition(c, _q(c), cast="STRING", match="rlike") for c in RECORD_EXTRAS if c in columns}
    sel = "".join(f", count_if({cond})" for cond in extras.values())
    n, bad_d, bad_k, *bad_x = spark.sql(
        f"SELECT count(*), count_if({date_bad}), count_if({key_bad}){sel} FROM {view}"
    ).collect()[0]
    checks = [
        (None, n == 0, "no data rows"),
        (date, bad_d, f"{bad_d:,} records with a date that is not YYYY-MM-DD between {FIRST_YEAR} and {last}"),
        (key, bad_k, f"{bad_k:,} records with a missing or malformed {key}"),
    ] + [(c, b, f"{b:,} records: {RECORD_EXTRAS[c][1]} (or empty)") for c, b in zip(extras, bad_x, strict=True)]
    if any(cnt for _, cnt, _ in checks):
        raise DataValidationError([Problem(shown, None, c, None, why) for c, cnt, why in checks if cnt], file=shown)
    counted: list[str | None] = []
    if category in columns:
        rows = spark.sql(f"SELECT DISTINCT CAST({_q(category)} AS STRING) v FROM {view} ORDER BY v").collect()
        counted = [r[0] for r in rows if r[0] is not None] + ([None] if any(r[0] is None for r in rows) else [])
        if len(counted) > 50:
            raise TppoError(f"{shown}: column {category!r} has {len(counted)} distinct values; recode it first")
    sql = cluster_sql(
        "spark", table=view, key=key, category=category if category in columns else None, values=counted, date=date
    )
    result = spark.sql(sql)
    result.coalesce(1).write.mode("overwrite").parquet(str(out_dir))
    return [key, "month", "records"] + [f"{category}_{'missing' if v is None else _slug(v)}" for v in counted]
