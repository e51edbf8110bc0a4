"""`tppo aggregate`: record-level files -> office x month and village x month counts with DuckDB."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tppo_analysis.cli import main
from tppo_analysis.errors import DataValidationError, TppoError
from tppo_analysis.sources.extracts import aggregate_records


def _records(n=400, seed=0):
    """Synthetic passport decisions (no identifiers): record_id, event_date, office, village_code, decision."""
    rng = np.random.default_rng(seed)
    dates = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 200, n), unit="D")
    return pd.DataFrame(
        {
            "record_id": np.arange(n),
            "event_date": dates.strftime("%Y-%m-%d"),
            "office": rng.choice(["KANIM-CILACAP", "KANIM-BLITAR", "KANIM-MATARAM"], n),
            "village_code": rng.choice(["33.01.01.2001", "35.05.02.2003", "52.01.03.2010"], n),
            "decision": rng.choice(["issued", "deferred", "Rejected"], n),
        }
    )


def _expected(df, key):
    month = df["event_date"].str[:7]
    exp = df.assign(month=month).groupby([key, "month"]).size().rename("records").reset_index()
    for v in sorted(df["decision"].dropna().unique()):
        c = df.assign(month=month, hit=(df["decision"] == v).astype(int)).groupby([key, "month"])["hit"].sum()
        exp[f"decision_{v.lower()}"] = c.to_numpy()
    return exp


@pytest.mark.parametrize("by,key", [("office_month", "office"), ("village_month", "village_code")])
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_counts_equal_pandas_groupby(tmp_path, by, key, fmt):
    df = _records()
    src = tmp_path / f"records.{fmt}"
    df.to_csv(src, index=False) if fmt == "csv" else df.to_parquet(src, index=False)
    res = aggregate_records(
        src, kind="passports", out=tmp_path / "panel.csv", by=by, memory_limit="256MB", temp_dir=tmp_path / "spill"
    )
    got = pd.read_csv(tmp_path / "panel.csv", dtype={key: str})
    exp = _expected(df, key)
    pd.testing.assert_frame_equal(got[exp.columns], exp, check_dtype=False)
    assert res.n_records == len(df) and res.n_rows == len(exp) and res.key == key
    assert got.filter(like="decision_").sum(axis=1).eq(got["records"]).all()


def test_several_files_and_missing_categories_are_counted(tmp_path):
    df = _records(300, seed=1)
    df.loc[::7, "decision"] = None
    df.iloc[:150].to_parquet(tmp_path / "a.parquet", index=False)
    df.iloc[150:].to_parquet(tmp_path / "b.parquet", index=False)
    res = aggregate_records(
        [tmp_path / "a.parquet", tmp_path / "b.parquet"], kind="passports", out=tmp_path / "p.parquet"
    )
    got = pd.read_parquet(tmp_path / "p.parquet")
    assert int(got["records"].sum()) == 300 == res.n_records
    assert int(got["decision_missing"].sum()) == int(df["decision"].isna().sum())
    assert got.filter(like="decision_").sum(axis=1).eq(got["records"]).all()


def test_bad_dates_and_village_codes_name_file_line_column(tmp_path):
    df = _records(20)
    df.loc[3, "event_date"] = "2024-02-30"
    df.loc[7, "village_code"] = "3301012001"
    src = tmp_path / "bad.csv"
    df.to_csv(src, index=False)
    with pytest.raises(DataValidationError) as err:
        aggregate_records(src, kind="passports", out=tmp_path / "o.csv", by="village_month")
    probs = {(p.line, p.column) for p in err.value.problems}
    assert probs == {(5, "event_date"), (9, "village_code")}
    assert not (tmp_path / "o.csv").exists()


def test_identifier_columns_are_refused(tmp_path):
    df = _records(10).assign(nama_pemohon="x")
    df.to_csv(tmp_path / "r.csv", index=False)
    with pytest.raises(DataValidationError, match="nama_pemohon"):
        aggregate_records(tmp_path / "r.csv", kind="passports", out=tmp_path / "o.csv")


def test_option_and_input_errors(tmp_path):
    df = _records(10)
    df.to_csv(tmp_path / "r.csv", index=False)
    with pytest.raises(TppoError, match="record kind"):
        aggregate_records(tmp_path / "r.csv", kind="visas", out=tmp_path / "o.csv")
    with pytest.raises(TppoError, match="no such file"):
        aggregate_records(tmp_path / "missing.csv", kind="passports", out=tmp_path / "o.csv")
    df.drop(columns="office").to_csv(tmp_path / "no_office.csv", index=False)
    with pytest.raises(TppoError, match="tpi"):
        aggregate_records(tmp_path / "no_office.csv", kind="crossings", out=tmp_path / "o.csv")
    with pytest.raises(TppoError, match="parquet or .csv"):
        aggregate_records(tmp_path / "r.csv", kind="passports", out=tmp_path / "o.xlsx")


def test_cli_prints_one_progress_line_per_stage(tmp_path, capsys):
    _records(50).rename(columns={"office": "tpi", "decision": "direction"}).to_csv(tmp_path / "x.csv", index=False)
    rc = main(
        [
            "aggregate",
            str(tmp_path / "x.csv"),
            "--kind",
            "crossings",
            "--out",
            str(tmp_path / "o.parquet"),
            "--memory-limit",
            "200MB",
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 0 and len(err) == 4 and err[0].startswith("tppo aggregate: [1/4]") and "[4/4] wrote" in err[-1]
    assert pd.read_parquet(tmp_path / "o.parquet")["records"].sum() == 50
    rc = main(["aggregate", str(tmp_path / "x.csv"), "--kind", "passports", "--out", str(tmp_path / "o.csv")])
    assert rc == 1 and "office" in capsys.readouterr().err


def test_deferral_records_in_the_synthetic_generator_format(tmp_path):
    """Columns as tppo_analysis.design.synthetic.generate_records writes them (deferral_date, checkpoint, reason, ...)."""
    df = _records(200, seed=4).rename(
        columns={"event_date": "deferral_date", "office": "checkpoint", "decision": "reason"}
    )
    df = df.assign(data="SYNTHETIC", age=30, sex="F", notes="")
    df.to_csv(tmp_path / "deferrals.csv", index=False)
    by_tpi = aggregate_records(tmp_path / "deferrals.csv", kind="deferrals", out=tmp_path / "t.csv")
    by_village = aggregate_records(
        tmp_path / "deferrals.csv", kind="deferrals", out=tmp_path / "v.csv", by="village_month"
    )
    assert by_tpi.key == "checkpoint" and by_village.key == "village_code"
    got = pd.read_csv(tmp_path / "v.csv", dtype={"village_code": str})
    exp = _expected(df.rename(columns={"deferral_date": "event_date", "reason": "decision"}), "village_code")
    np.testing.assert_array_equal(got["records"], exp["records"])
    # a planted identifier in free text is caught by the value scan, with its line
    df.loc[5, "notes"] = "pemohon HP 081234567890"
    df.to_csv(tmp_path / "leak.csv", index=False)
    with pytest.raises(DataValidationError) as err:
        aggregate_records(tmp_path / "leak.csv", kind="deferrals", out=tmp_path / "x.csv")
    assert [(p.line, p.column) for p in err.value.problems] == [(7, "notes")]
