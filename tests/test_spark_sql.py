"""The aggregation SQL translates to Spark SQL and BigQuery, and the translation keeps its meaning.

Two checks: (1) always, the DuckDB statement is translated with sqlglot (strict: unsupported constructs raise), parsed
back with the Spark parser, translated back and executed on DuckDB, giving the same counts as the original statement;
(2) when PySpark and a Java runtime are installed, the Spark text runs on Spark in local mode over a Parquet file and
must give exactly the counts ``tppo aggregate`` writes. PySpark is deliberately *not* in the test extra: when it is
installed, ``import pandera`` imports ``pyspark.pandas``, which warns under pandas 3 and slows every import of the
package. To run check (2): ``pip install pyspark`` in a separate environment with this package (passed with PySpark
4.3.0 on OpenJDK 17, see docs/scale_beyond_one_machine.md).
"""

from __future__ import annotations

import shutil

import duckdb
import numpy as np
import pandas as pd
import pytest
import sqlglot

from tppo_analysis.sources.extracts import aggregation_sql, cluster_sql


def _table():
    rng = np.random.default_rng(3)
    n = 500
    return pd.DataFrame(
        {
            "record_id": np.arange(n),
            "event_date": (pd.Timestamp("2023-11-01") + pd.to_timedelta(rng.integers(0, 120, n), unit="D")).strftime(
                "%Y-%m-%d"
            ),
            "village_code": rng.choice(["33.01.01.2001", "35.05.02.2003"], n),
            "decision": rng.choice(["issued", "deferred", None], n),
        }
    )


def test_spark_translation_parses_and_runs_the_same_counts():
    records = _table()  # noqa: F841 - queried by DuckDB's replacement scan
    values = ["deferred", "issued", None]
    spark = cluster_sql("spark", table="records", key="village_code", category="decision", values=values)
    tree = sqlglot.parse_one(spark, read="spark")  # valid Spark SQL
    assert tree.find(sqlglot.exp.Group) is not None
    assert "read_parquet" not in spark.lower() and "`records`" in spark
    back = sqlglot.transpile(spark, read="spark", write="duckdb")[0]
    con = duckdb.connect()
    got = con.sql(back).df()
    ref = con.sql(aggregation_sql("records", key="village_code", category="decision", values=values)).df()
    pd.testing.assert_frame_equal(got, ref, check_dtype=False)
    assert int(got["records"].sum()) == 500
    assert got[["decision_deferred", "decision_issued", "decision_missing"]].sum(axis=1).eq(got["records"]).all()
    assert set(got["month"]) == {"2023-11", "2023-12", "2024-01", "2024-02"}


def test_bigquery_translation_parses():
    bq = cluster_sql("bigquery", table="project.dataset.deferrals", key="office", category="reason", values=["a"])
    sqlglot.parse_one(bq, read="bigquery")
    assert "project.dataset.deferrals" in bq and "STRING" in bq


@pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")
def test_spark_local_mode_gives_the_duckdb_counts(tmp_path):
    """The translated statement on a real Spark (local mode, Debian's JRE): same counts as `tppo aggregate`."""
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("no Java runtime for Spark local mode")
    from pyspark.sql import SparkSession

    from tppo_analysis.sources.extracts import aggregate_records

    src = tmp_path / "records.parquet"
    _table().rename(columns={"decision": "reason"}).to_parquet(src, index=False)
    local = aggregate_records(src, kind="deferrals", out=tmp_path / "duck.csv", by="village_month")
    sql = cluster_sql("spark", table="records", key="village_code", category="reason", values=local.categories)
    spark = (
        SparkSession.builder.master("local[1]")
        .appName("tppo-sql-check")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .getOrCreate()
    )
    try:
        spark.sparkContext.setLogLevel("ERROR")
        # project only the columns the count needs, as on the ministry cluster
        spark.read.parquet(str(src)).select("event_date", "village_code", "reason").createOrReplaceTempView("records")
        got = pd.DataFrame([r.asDict() for r in spark.sql(sql).collect()])
    finally:
        spark.stop()
    ref = pd.read_csv(tmp_path / "duck.csv", dtype={"village_code": str})
    assert list(got.columns) == local.columns == list(ref.columns)
    pd.testing.assert_frame_equal(got, ref, check_dtype=False)
    assert int(got["records"].sum()) == 500
