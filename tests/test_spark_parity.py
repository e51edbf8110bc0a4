"""The cluster path is real: Spark's guarded aggregation equals DuckDB's, cell for cell, through Parquet files.

Spark runs in local mode on Debian's Java runtime (``make test`` installs ``default-jre-headless`` when root). Both
panels are written as Parquet and compared in DuckDB (``EXCEPT ALL`` both ways, same schema): no ``toPandas``.
"""

from __future__ import annotations

import shutil

import duckdb
import pandas as pd
import pytest

from tppo_analysis.errors import IdentifierError
from tppo_analysis.sources.extracts import aggregate_records

pytest.importorskip("pyspark")
pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="no Java runtime (make test installs one)")


@pytest.fixture(scope="module")
def spark():
    from tppo_analysis.sources._spark import spark_session

    s = spark_session()
    yield s
    s.stop()


def _records(path, n=3000, seed=7, extra=None):
    import numpy as np

    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "record_id": [f"R{i}" for i in range(n)],
            "deferral_date": (pd.Timestamp("2023-11-01") + pd.to_timedelta(rng.integers(0, 150, n), unit="D")).strftime(
                "%Y-%m-%d"
            ),
            "checkpoint": rng.choice(
                ["Bandara Juanda", "Pelabuhan Tanjung Perak", '"TPI A, Terminal 3"', "=SUM(A1)"], n
            ),
            "reason": rng.choice(["suspected_pmi_nonprosedural", "other", None], n),
            "village_code": rng.choice(["33.01.01.2001", "35.05.02.2003", "52.03.01.2001"], n),
        }
    )
    if extra:
        df.loc[extra[0], extra[1]] = extra[2]
    df.to_csv(path, index=False, lineterminator="\n")
    return df


def _same(a, b) -> tuple[int, int, list, list]:
    con = duckdb.connect()
    ra, rb = f"read_parquet('{a}')", f"read_parquet('{b}/*.parquet')"
    only_a = con.sql(f"SELECT count(*) FROM (SELECT * FROM {ra} EXCEPT ALL SELECT * FROM {rb})").fetchall()[0][0]
    only_b = con.sql(f"SELECT count(*) FROM (SELECT * FROM {rb} EXCEPT ALL SELECT * FROM {ra})").fetchall()[0][0]
    sa = con.sql(f"DESCRIBE SELECT * FROM {ra}").fetchall()
    sb = con.sql(f"DESCRIBE SELECT * FROM {rb}").fetchall()
    return only_a, only_b, [r[:2] for r in sa], [r[:2] for r in sb]


@pytest.mark.parametrize("by", ["office_month", "village_month"])
def test_spark_and_duckdb_panels_are_identical(spark, tmp_path, by):
    from tppo_analysis.sources._spark import spark_aggregate

    src = tmp_path / "deferrals.csv"
    _records(src)
    duck = aggregate_records(src, kind="deferrals", by=by, out=tmp_path / "duck.parquet")
    cols = spark_aggregate(spark, src, kind="deferrals", by=by, out_dir=tmp_path / "spark")
    assert cols == duck.columns
    only_a, only_b, sa, sb = _same(tmp_path / "duck.parquet", tmp_path / "spark")
    assert (only_a, only_b) == (0, 0)
    assert sa == sb
    n = duckdb.sql(f"SELECT sum(records) FROM read_parquet('{tmp_path / 'spark'}/*.parquet')").fetchall()[0][0]
    assert n == 3000


def test_spark_guard_refuses_identifiers_deep_in_a_middle_column(spark, tmp_path):
    from tppo_analysis.sources._spark import spark_aggregate

    src = tmp_path / "deferrals.csv"
    _records(src, extra=(2900, "checkpoint", "Bandara Juanda 0812-9999-0001"))
    with pytest.raises(IdentifierError) as info:
        spark_aggregate(spark, src, kind="deferrals", by="office_month", out_dir=tmp_path / "spark")
    assert "PHONE" in str(info.value) and "9999-0001" not in str(info.value)
