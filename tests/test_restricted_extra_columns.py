"""The columns issue 14 asked the extract formats for: accepted when valid, refused with file, line and column.

``destination_country``, ``visa_type`` and ``route`` on record files, ``population`` on ``village_panel.csv``
(``docs/restricted_extract_formats.md``). The pandas path (pandera, ``tppo validate``), the DuckDB path
(``aggregate_records``) and the Spark path (``spark_aggregate``) must accept and refuse the same cells.
"""

from __future__ import annotations

import hashlib
import shutil

import pandas as pd
import pytest

from tppo_analysis.cli import validate_file
from tppo_analysis.errors import DataValidationError
from tppo_analysis.sources.extracts import aggregate_records, load_restricted_panel

KEY = hashlib.sha256(b"test-salt-1").hexdigest()

# (column, bad value, what the rule is about) - each kind of invalid value once
BAD = [
    ("destination_country", "my", "ISO 3166"),  # lower case
    ("destination_country", "XX", "ISO 3166"),  # two capitals, not an assigned code
    ("destination_country", "MYS", "ISO 3166"),  # alpha-3
    ("destination_country", " MY", "ISO 3166"),  # padded
    ("visa_type", "Work", "work, visa_free"),
    ("visa_type", "student", "work, visa_free"),
    ("route", "MY>", "separated by '>'"),
    ("route", "MY-KH", "separated by '>'"),
    ("route", "SG>ZZ", "separated by '>'"),
]


def _records(n: int = 12) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "record_id": [f"D{i:03d}" for i in range(n)],
            "person_key": [KEY] * n,
            "deferral_date": [f"2023-{1 + i % 12:02d}-15" for i in range(n)],
            "checkpoint": ["Bandara Juanda"] * n,
            "checkpoint_type": ["airport"] * n,
            "reason": ["suspected_pmi_nonprosedural", "other"] * (n // 2),
            "village_code": ["35.16.01.2001"] * n,
            "match_quality": ["exact"] * n,
            "destination_country": (["MY", "KH", "", "SA"] * n)[:n],
            "visa_type": (["work", "visa_free", "tourist", "other", "none", ""] * n)[:n],
            "route": (["", "MY>KH", "SG", "TH>MM>KH"] * n)[:n],
        }
    )


def _write_bad(tmp_path) -> tuple:
    df = _records(len(BAD) + 3)
    expected = set()
    for i, (col, value, _) in enumerate(BAD):
        df.loc[i + 2, col] = value
        expected.add((i + 4, col, value))  # header = line 1, data row i + 2 = line i + 4
    path = tmp_path / "deferral_records.csv"
    df.to_csv(path, index=False, lineterminator="\n")
    return path, expected


def test_valid_extra_columns_pass_every_path(tmp_path):
    path = tmp_path / "deferral_records.csv"
    _records().to_csv(path, index=False, lineterminator="\n")
    kind, n, _ = validate_file(path, "deferral_records")
    assert (kind, n) == ("deferral_records", 12)
    res = aggregate_records(path, kind="deferrals", by="village_month", out=tmp_path / "p.parquet")
    assert res.n_records == 12
    # the issue-14 columns are checked, not counted: the panel has no destination, visa or route breakdown
    assert not any(c.startswith(("destination", "visa", "route")) for c in res.columns)


def test_each_bad_value_is_reported_with_line_and_column_by_pandas_and_duckdb(tmp_path):
    path, expected = _write_bad(tmp_path)
    with pytest.raises(DataValidationError) as pandas_err:
        validate_file(path, "deferral_records")
    got = {(p.line, p.column, p.value) for p in pandas_err.value.problems}
    assert got == expected
    for p in pandas_err.value.problems:
        rule = next(r for c, v, r in BAD if (c, v) == (p.column, p.value))
        assert rule in p.reason and p.file.endswith("deferral_records.csv")
    with pytest.raises(DataValidationError) as duck_err:
        aggregate_records(path, kind="deferrals", by="village_month", out=tmp_path / "p.parquet")
    assert {(p.line, p.column, p.value) for p in duck_err.value.problems} == expected
    assert not (tmp_path / "p.parquet").exists()


def test_empty_extra_cells_are_allowed(tmp_path):
    df = _records()
    for c in ("destination_country", "visa_type", "route"):
        df[c] = ""
    path = tmp_path / "deferral_records.csv"
    df.to_csv(path, index=False, lineterminator="\n")
    assert validate_file(path, "deferral_records")[1] == 12
    assert aggregate_records(path, kind="deferrals", by="village_month", out=tmp_path / "p.parquet").n_records == 12


def test_passport_records_take_the_same_columns(tmp_path):
    df = _records(4).rename(columns={"deferral_date": "application_date"})
    df = df.drop(columns=["checkpoint", "checkpoint_type", "reason"])
    df["decision_date"] = df["application_date"]
    df["decision"] = "deferred"
    df["immigration_office"] = "Kanim Surabaya"
    df["suspected_pmi_nonprosedural"] = "1"
    path = tmp_path / "passport_records.csv"
    df.to_csv(path, index=False, lineterminator="\n")
    assert validate_file(path, "passport_records")[1] == 4
    df.loc[1, "visa_type"] = "umroh"
    df.to_csv(path, index=False, lineterminator="\n")
    with pytest.raises(DataValidationError) as err:
        validate_file(path, "passport_records")
    assert [(p.line, p.column, p.value) for p in err.value.problems] == [(3, "visa_type", "umroh")]


def _panel(codes, months, population) -> pd.DataFrame:
    rows = [
        {
            "village_code": v,
            "month": m,
            "deferrals": str((i + j) % 3),
            "passport_deferrals": "0",
            "population": population(i, j),
        }
        for i, v in enumerate(codes)
        for j, m in enumerate(months)
    ]
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def regency():
    from tppo_analysis.sources.geography import load_villages

    geo = load_villages()
    sizes = geo.groupby("regency_code").size()
    code = sizes[sizes >= 20].sort_values().index[0]  # the smallest regency with 20 villages at least
    return sorted(geo.loc[geo["regency_code"] == code, "village_code"])


MONTHS = [f"2023-{m:02d}" for m in range(1, 7)]


@pytest.mark.parametrize(
    ("cell", "reason"),
    [("0", "integer > 0"), ("-5", "integer > 0"), ("1.5", "integer > 0"), ("", "integer > 0"), ("9", "one value")],
)
def test_bad_population_is_reported_with_line_and_column(tmp_path, regency, cell, reason):
    df = _panel(regency[:3], MONTHS, lambda i, j: str(100 + i))
    df.loc[7, "population"] = cell  # village 2, month 2: line 9
    path = tmp_path / "village_panel.csv"
    df.to_csv(path, index=False, lineterminator="\n")
    with pytest.raises(DataValidationError) as err:
        validate_file(path, "village_panel")
    hits = [p for p in err.value.problems if reason in p.reason]
    assert hits and all(p.column == "population" for p in err.value.problems)
    assert 9 in {p.line for p in hits}


def test_population_is_carried_into_the_restricted_panel(tmp_path, regency):
    folder = tmp_path / "restricted"
    folder.mkdir()
    pop = {v: 500 + 7 * i for i, v in enumerate(regency)}
    _panel(regency, MONTHS, lambda i, j: str(pop[regency[i]])).to_csv(
        folder / "village_panel.csv", index=False, lineterminator="\n"
    )
    pd.DataFrame({"village_code": regency[:2], "launch_date": ["2023-03-01", "2023-04-01"]}).to_csv(
        folder / "desa_binaan.csv", index=False, lineterminator="\n"
    )
    rp = load_restricted_panel(tmp_path)
    assert rp is not None and rp.label == "RESTRICTED"
    got = rp.panel.groupby("village_code")["population"].agg(["min", "max"])
    assert (got["min"] == got["max"]).all()
    assert got["min"].to_dict() == pop
    assert len(rp.panel) == len(regency) * len(MONTHS)


# ---- Spark agrees (local mode; skipped without Java) ---------------------------------------------------------------


@pytest.fixture(scope="module")
def spark():
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("no Java runtime (make test installs one)")
    from tppo_analysis.sources._spark import spark_session

    s = spark_session()
    yield s
    s.stop()


def test_spark_refuses_the_same_columns_and_counts_the_same_valid_panel(spark, tmp_path):
    import duckdb

    from tppo_analysis.sources._spark import spark_aggregate

    path, expected = _write_bad(tmp_path)
    with pytest.raises(DataValidationError) as err:
        spark_aggregate(spark, path, kind="deferrals", by="village_month", out_dir=tmp_path / "bad")
    per_column = {p.column: p.reason for p in err.value.problems}
    assert set(per_column) == {c for _, c, _ in expected}
    for col in per_column:
        assert per_column[col].startswith(f"{sum(c == col for _, c, _ in expected)} records")
    good = tmp_path / "good.csv"
    _records(40).to_csv(good, index=False, lineterminator="\n")
    duck = aggregate_records(good, kind="deferrals", by="village_month", out=tmp_path / "duck.parquet")
    cols = spark_aggregate(spark, good, kind="deferrals", by="village_month", out_dir=tmp_path / "spark")
    assert cols == duck.columns
    a, b = f"read_parquet('{tmp_path / 'duck.parquet'}')", f"read_parquet('{tmp_path / 'spark'}/*.parquet')"
    for x, y in ((a, b), (b, a)):
        assert duckdb.sql(f"SELECT count(*) FROM (SELECT * FROM {x} EXCEPT ALL SELECT * FROM {y})").fetchall() == [(0,)]


def test_the_restricted_loader_checks_the_record_columns_and_keeps_them_out_of_the_panel(tmp_path, regency):
    folder = tmp_path / "restricted"
    folder.mkdir()
    df = _records(12)
    df["village_code"] = [regency[i % 5] for i in range(12)]
    df.to_csv(folder / "deferral_records.csv", index=False, lineterminator="\n")
    pd.DataFrame({"village_code": regency[:1], "launch_date": ["2023-06-01"]}).to_csv(
        folder / "desa_binaan.csv", index=False, lineterminator="\n"
    )
    rp = load_restricted_panel(tmp_path)
    assert rp is not None and int(rp.panel["deferrals"].sum()) == 6  # half the records are suspected PMI-NP
    assert not [c for c in rp.panel.columns if c.startswith(("destination", "visa", "route"))]
    df.loc[4, "route"] = "MY KH"
    df.to_csv(folder / "deferral_records.csv", index=False, lineterminator="\n")
    with pytest.raises(DataValidationError) as err:
        load_restricted_panel(tmp_path)
    assert [(p.file, p.line, p.column, p.value) for p in err.value.problems] == [
        ("restricted/deferral_records.csv", 6, "route", "MY KH")
    ]
