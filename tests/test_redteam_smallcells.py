"""Red-team rows M1-M6 (small-cell suppression and granularity): failed at 0b602d9."""

from __future__ import annotations

import pandas as pd
import pytest

from redteam_helpers import tppo
from tppo_analysis import paths
from tppo_analysis.output.tables import save_table
from tppo_analysis.privacy.granularity import check_granularity, publishable_panel
from tppo_analysis.privacy.suppression import suppress


def _is_disclosure_error(exc):
    return type(exc).__name__ == "DisclosureError"


def _m1_records():
    months = pd.date_range("2023-01-01", periods=12, freq="MS")
    rows = [("52.03.01.2001", m, 3 if m.month == 1 else 4) for m in months]
    rows += [("52.03.01.2002", m, 0 if m.month == 1 else 12) for m in months]
    return pd.DataFrame(rows, columns=["village_code", "date", "deferrals"])


def test_M1_village_year_minus_district_month_cannot_recover_a_blank(tmp_path):
    df = _m1_records()
    pp, save = publishable_panel, save_table
    try:
        vy = pp(
            df, village_column="village_code", date_column="date", count_columns=["deferrals"], level="village-year"
        )
        dm = pp(
            df, village_column="village_code", date_column="date", count_columns=["deferrals"], level="district-month"
        )
        save(vy, "m1_vy", source="test", directory=tmp_path)
        save(dm, "m1_dm", source="test", directory=tmp_path)
    except Exception as exc:  # noqa: BLE001
        assert _is_disclosure_error(exc), exc
        return
    vy = pd.read_csv(tmp_path / "m1_vy.csv")
    dm = pd.read_csv(tmp_path / "m1_dm.csv")
    jan = dm.loc[dm["month"] == "2023-01", "deferrals"]
    if jan.notna().all():
        pytest.fail("January published although it is 3")
    recovered = vy["deferrals"].sum() - dm["deferrals"].sum()
    assert vy["deferrals"].isna().any() or dm["deferrals"].isna().sum() > 1, f"recovered {recovered}"


def test_M2_total_next_to_its_parts():
    df = pd.DataFrame(
        {
            "village_code": ["52.03.01.2001"] * 2,
            "date": ["2023-01-01", "2023-02-01"],
            "records": [16, 16],
            "reason_suspected_pmi_nonprosedural": [15, 16],
            "reason_other": [1, 0],
        }
    )
    out = publishable_panel(
        df,
        village_column="village_code",
        date_column="date",
        count_columns=["records", "reason_suspected_pmi_nonprosedural", "reason_other"],
        level="village-year",
    )
    row = out.iloc[0]
    assert pd.isna(row["reason_other"])
    assert pd.isna(row["records"]) or pd.isna(row["reason_suspected_pmi_nonprosedural"]), row.to_dict()


def test_M3_count_columns_detected_by_content_not_name(tmp_path):
    t = pd.DataFrame(
        {"deferred_at_tpi": [3, 20], "refused_id_card": [2, 30], "persons_per_month": [1, 40], "deferrals": [4, 50]}
    )
    out = pd.read_csv(save_table(t, "m3", source="test", directory=tmp_path))
    assert out.iloc[0].isna().all(), out


def test_M4_column_added_after_suppression_is_resuppressed(tmp_path):
    base = pd.DataFrame({"district": ["A", "B"], "deferrals": [4, 50]})
    safe = suppress(base, count_columns=["deferrals"])
    out = pd.read_csv(save_table(safe.assign(deferrals_raw=base["deferrals"]), "m4", source="t", directory=tmp_path))
    assert pd.isna(out.loc[0, "deferrals_raw"]), out


def test_M5_village_month_aggregate_refused_inside_the_repository(tmp_path):
    f = tmp_path / "small.csv"
    f.write_text("record_id,event_date,checkpoint,village_code\nr1,2023-05-01,TPI A,35.78.01.1001\n")
    target = paths.repo_root() / "results" / "village_month_panel_i13_test.csv"
    try:
        rc, out, err = tppo("aggregate", f, "--kind", "deferrals", "--by", "village_month", "--out", target, "--quiet")
        assert rc == 1 and "--out" in err, err
        assert not target.exists()
    finally:
        if target.exists():
            target.unlink()


def test_M5_save_table_refuses_village_month(tmp_path):
    t = pd.DataFrame(
        {
            "village_code": ["35.78.01.1001", "35.78.01.1002"] * 2,
            "month": ["2023-01", "2023-01", "2023-02", "2023-02"],
            "deferrals": [12, 15, 20, 30],
        }
    )
    with pytest.raises(Exception) as info:
        save_table(t, "m5", source="t", directory=tmp_path)
    assert "village" in str(info.value)


@pytest.mark.parametrize("case", ["total_row_renamed", "names", "malformed"])
def test_M6_granularity_guard_is_robust(case):
    t = pd.DataFrame(
        {
            "kode": ["35.78.01.1001", "35.78.01.1002", "Total"],
            "bulan": ["2023-01", "2023-01", "2023-01"],
            "n": [12, 13, 25],
        }
    )
    if case == "names":
        t = t.rename(columns={"kode": "lokasi"}).assign(lokasi=["Desa Sumber", "Desa Kali", "Desa Mulyo"])
    if case == "malformed":
        t = t.rename(columns={"kode": "wilayah"}).assign(wilayah=["35.78.01.1001", "35.78.01.1002", "35.78.1.3"])
    geo = t.columns[0]
    with pytest.raises(Exception) as info:
        check_granularity(t, geography_column=geo, period_column="bulan")
    assert "village" in str(info.value)
