"""Moving-holiday calendar: known government dates and regressors that add up."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tppo_analysis.errors import TppoError
from tppo_analysis.sources.calendar import (
    daily_holiday_indicators,
    holiday_regressors,
    idul_adha_dates,
    idul_fitri_dates,
    ramadan_periods,
    ramadan_start_table,
)


@pytest.mark.parametrize("year, day", [(2023, "2023-04-22"), (2024, "2024-04-10"), (2025, "2025-03-31")])
def test_idul_fitri_known_dates(year, day):
    assert idul_fitri_dates([year]) == [pd.Timestamp(day)]


def test_idul_adha_known_dates():
    assert idul_adha_dates([2023, 2024]) == [pd.Timestamp("2023-06-29"), pd.Timestamp("2024-06-17")]


@pytest.mark.parametrize(
    "year, start",
    # government (sidang isbat) starts; 2022 and 2024 differ from the Umm al-Qura calendar by one day
    [(2022, "2022-04-03"), (2023, "2023-03-23"), (2024, "2024-03-12"), (2025, "2025-03-01")],
)
def test_ramadan_starts_government(year, start):
    per = ramadan_periods([year])
    assert len(per) == 1
    assert per["start"].iloc[0] == pd.Timestamp(start)
    assert per["start_source"].iloc[0] == "government"


def test_reference_table_sourced_and_flagged():
    t = ramadan_start_table()
    assert list(t["year"]) == list(range(2015, 2031))
    known = t[t["government_start"].notna()]
    assert known["source_url"].str.startswith("https://").all()
    unknown = t[t["government_start"].isna()]
    assert unknown["note"].str.contains("FLAG").all()
    # the government start is never more than one day from the astronomical calendar
    diff = (known["government_start"] - known["hijridate_start"]).dt.days
    assert diff.isin([0, 1]).all()


def test_ramadan_lengths():
    per = ramadan_periods(range(2015, 2027))
    assert per["length"].isin([29, 30]).all()
    assert (per["end"] + pd.Timedelta(days=1) == per["idul_fitri"]).all()


def test_monthly_regressors_sum_to_definitions():
    regs = holiday_regressors("2022-01-01", "2025-12-31")
    assert len(regs) == 48
    assert regs["month"].iloc[0] == pd.Timestamp("2022-01-01")
    regs["year"] = regs["month"].dt.year
    per = ramadan_periods(range(2022, 2026))
    per = per.set_index(per["idul_fitri"].dt.year)
    for year, g in regs.groupby("year"):
        assert g["post_idul_fitri_days"].sum() == 21
        assert g["pre_idul_fitri_days"].sum() == 10
        assert g["pre_idul_adha_days"].sum() == 30
        ramadan_days = (g["ramadan_share"] * g["days_in_month"]).sum()
        assert ramadan_days == pytest.approx(per.loc[year, "length"])
    assert regs["days_in_month"].sum() == (pd.Timestamp("2025-12-31") - pd.Timestamp("2022-01-01")).days + 1


def test_april_2024_counts_by_hand():
    regs = holiday_regressors("2024-04-01", "2024-04-30").iloc[0]
    # Ramadan 12 Mar – 9 Apr 2024: 9 days of April
    assert regs["ramadan_share"] == pytest.approx(9 / 30)
    # Idul Fitri 10 Apr: days -10..-1 are 31 Mar – 9 Apr -> 9 in April; days 0..20 are 10–30 Apr -> 21 in April
    assert regs["pre_idul_fitri_days"] == 9
    assert regs["post_idul_fitri_days"] == 21
    # 22 weekdays in April 2024 minus Eid (10, 11) and cuti bersama (8, 9, 12, 15)
    assert regs["working_days"] == 16


def test_daily_indicators_cover_range_and_cuti_bersama():
    d = daily_holiday_indicators("2024-04-01", "2024-04-30")
    assert len(d) == 30
    assert set(d.columns) == {
        "date",
        "ramadan",
        "pre_idul_fitri",
        "post_idul_fitri",
        "pre_idul_adha",
        "holiday",
        "working_day",
    }
    day = d.set_index("date")
    assert day.loc["2024-04-08", "holiday"] == 1  # cuti bersama (Eid al-Fitr Joint Holiday)
    assert day.loc["2024-04-08", "working_day"] == 0
    assert day.loc["2024-04-16", "working_day"] == 1
    assert np.array_equal(day["working_day"].to_numpy() * day["holiday"].to_numpy(), np.zeros(30))


def test_bad_range_raises():
    with pytest.raises(TppoError, match="before start"):
        holiday_regressors("2024-05-01", "2024-04-01")
    with pytest.raises(TppoError, match="not a date"):
        daily_holiday_indicators("yesterday-ish", "2024-04-01")
