"""The Desa Binaan roster: validation that names file/line/column, the precision vocabulary, and honest matching."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from tppo_analysis.errors import DataValidationError
from tppo_analysis.sources.roster import (
    PRECISIONS,
    ROSTER_COLUMNS,
    ROSTER_FILE_COLUMNS,
    load_desa_binaan,
    roster_match_report,
    unmatched_villages,
)

REPO = Path(__file__).resolve().parents[1]
ROSTER_CSV = REPO / "data" / "public" / "desa_binaan_reported.csv"

GOOD = {
    "village": "Kebon Bawang",
    "village_type": "kelurahan",
    "kecamatan": "Tanjung Priok",
    "regency_city": "Kota Jakarta Utara",
    "province": "DKI Jakarta",
    "immigration_office": "Kanim Tanjung Priok",
    "village_code": "31.72.02.1005",
    "launch_date": "2025-10-02",
    "launch_date_precision": "day",
    "existing_by": "",
    "source_url": "https://example.org/a",
    "source_outlet": "Example",
    "notes": "",
}


def _write(tmp_path: Path, rows: list[dict]) -> Path:
    path = tmp_path / "roster.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(ROSTER_FILE_COLUMNS), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def roster() -> pd.DataFrame:
    return load_desa_binaan()


def test_committed_roster_loads_with_documented_columns(roster):
    raw = pd.read_csv(ROSTER_CSV, dtype=str, keep_default_na=False)
    assert len(roster) == len(raw)  # no row dropped
    assert list(roster.columns) == list(ROSTER_COLUMNS)
    assert set(roster["precision"].astype(str)) <= set(PRECISIONS)
    assert not roster["synthetic"].any()
    assert pd.api.types.is_datetime64_any_dtype(roster["launch_date"])
    assert pd.api.types.is_datetime64_any_dtype(roster["existing_by"])
    # unknown precision <=> no launch date
    assert (roster["launch_date"].isna() == (roster["precision"] == "unknown")).all()


def test_match_rate_is_reported_and_adds_up(roster):
    report = roster_match_report(roster)
    counts = report.set_index("match_status")["n"]
    assert counts["total"] == len(roster)
    assert counts[["matched", "ambiguous", "unmatched"]].sum() == len(roster)
    expected_rate = roster["village_code"].notna().mean()
    assert roster.attrs["match_rate"] == pytest.approx(expected_rate)
    assert report.attrs["match_rate"] == pytest.approx(expected_rate)
    assert 0.8 < roster.attrs["match_rate"] <= 1.0


def test_unmatched_and_ambiguous_are_listed_with_reasons(roster):
    listing = unmatched_villages(roster)
    assert len(listing) == int((roster["match_status"] != "matched").sum())
    assert listing["unmatched_reason"].notna().all()
    assert (listing["unmatched_reason"].str.len() > 10).all()
    # Matched rows carry a code and no reason; the others no code.
    matched = roster["match_status"] == "matched"
    assert roster.loc[matched, "village_code"].notna().all()
    assert roster.loc[~matched, "village_code"].isna().all()


def test_not_guessed_when_name_differs_from_kemendagri(tmp_path):
    # "Sei Ijum" vs Kemendagri "Sei Ijum Raya": close, but not the same name -> unmatched, near miss named.
    row = dict(
        GOOD,
        village="Sei Ijum",
        village_type="desa",
        kecamatan="Mentaya Hilir Selatan",
        regency_city="Kab. Kotawaringin Timur",
        province="Kalimantan Tengah",
        village_code="",
    )
    out = load_desa_binaan(_write(tmp_path, [row]))
    assert out.loc[0, "match_status"] == "unmatched"
    assert pd.isna(out.loc[0, "village_code"])
    assert "Sei Ijum Raya" in out.loc[0, "unmatched_reason"]


def test_curated_code_settles_what_the_matcher_cannot(tmp_path):
    row = dict(
        GOOD,
        village="Sei Ijum",
        village_type="desa",
        kecamatan="Mentaya Hilir Selatan",
        regency_city="Kab. Kotawaringin Timur",
        province="Kalimantan Tengah",
        village_code="62.02.08.2014",
    )
    out = load_desa_binaan(_write(tmp_path, [row]))
    assert out.loc[0, "match_status"] == "matched"
    assert out.loc[0, "match_method"] == "curated"
    assert out.loc[0, "village_code"] == "62.02.08.2014"


def test_malformed_village_code_names_file_line_and_column(tmp_path):
    rows = [GOOD, dict(GOOD, village="Rawa Badak Utara", kecamatan="Koja", village_code="3172031004x")]
    path = _write(tmp_path, rows)
    with pytest.raises(DataValidationError) as info:
        load_desa_binaan(path)
    problems = info.value.table
    hit = problems[(problems["column"] == "village_code") & (problems["line"] == 3)]
    assert len(hit) == 1
    assert "malformed village code" in hit["reason"].iloc[0]
    message = str(info.value)
    assert "roster.csv line 3, column village_code" in message


def test_code_that_does_not_exist_or_contradicts_the_name(tmp_path):
    rows = [
        dict(GOOD, village_code="31.72.02.1999"),  # well-formed but not in the list
        dict(GOOD, village="Rawa Badak Utara", kecamatan="Koja", village_code="31.72.02.1005"),  # Kebon Bawang's
    ]
    with pytest.raises(DataValidationError) as info:
        load_desa_binaan(_write(tmp_path, rows))
    reasons = dict(zip(info.value.table["line"], info.value.table["reason"], strict=True))
    assert "not in the Kemendagri list" in reasons[2]
    assert "disagrees with the name match 31.72.03.1004" in reasons[3]


@pytest.mark.parametrize("bad", ["approx (release date)", "exact", "Day", ""])
def test_precision_vocabulary_is_enforced(tmp_path, bad):
    path = _write(tmp_path, [dict(GOOD, launch_date_precision=bad)])
    with pytest.raises(DataValidationError) as info:
        load_desa_binaan(path)
    p = info.value.problems[0]
    assert (p.line, p.column) == (2, "launch_date_precision")
    assert "day, month, year, approximate, unknown" in p.reason


@pytest.mark.parametrize(
    ("date", "precision"),
    [("2025-10", "day"), ("2025-10-02", "month"), ("2025", "approximate"), ("2025-10-02", "unknown"), ("", "year")],
)
def test_precision_must_fit_the_written_date(tmp_path, date, precision):
    with pytest.raises(DataValidationError) as info:
        load_desa_binaan(_write(tmp_path, [dict(GOOD, launch_date=date, launch_date_precision=precision)]))
    assert [(p.line, p.column) for p in info.value.problems] == [(2, "launch_date")]


def test_month_and_year_precision_load_as_first_day(tmp_path):
    rows = [
        dict(GOOD, launch_date="2024-05", launch_date_precision="month"),
        dict(
            GOOD,
            village="Rawa Badak Utara",
            kecamatan="Koja",
            village_code="",
            launch_date="2022",
            launch_date_precision="year",
        ),
        dict(
            GOOD,
            village="Pegadungan",
            kecamatan="Kalideres",
            regency_city="Kota Jakarta Barat",
            village_code="",
            launch_date="",
            launch_date_precision="unknown",
            existing_by="2025-09-18",
        ),
    ]
    out = load_desa_binaan(_write(tmp_path, rows))
    assert list(out["launch_date"][:2]) == [pd.Timestamp("2024-05-01"), pd.Timestamp("2022-01-01")]
    assert pd.isna(out.loc[2, "launch_date"])
    assert out.loc[2, "existing_by"] == pd.Timestamp("2025-09-18")
    assert list(out["village_code"]) == ["31.72.02.1005", "31.72.03.1004", "31.73.06.1005"]


def test_impossible_dates_and_order_are_reported(tmp_path):
    rows = [
        dict(GOOD, launch_date="2025-02-30"),
        dict(GOOD, village="Rawa Badak Utara", kecamatan="Koja", village_code="", existing_by="2025-01-01"),
    ]
    with pytest.raises(DataValidationError) as info:
        load_desa_binaan(_write(tmp_path, rows))
    got = {(p.line, p.column): p.reason for p in info.value.problems}
    assert got[(2, "launch_date")] == "not a calendar date"
    assert "before launch_date" in got[(3, "existing_by")]


def test_duplicate_village_is_reported(tmp_path):
    with pytest.raises(DataValidationError) as info:
        load_desa_binaan(_write(tmp_path, [GOOD, dict(GOOD, village_code="")]))
    p = info.value.problems[0]
    assert (p.line, p.column) == (3, "village_code")
    assert "line 2" in p.reason


def test_exclude_returns_the_rest_and_the_bad_rows(tmp_path):
    rows = [
        GOOD,
        dict(GOOD, village="Rawa Badak Utara", kecamatan="Koja", village_code="", launch_date_precision="approx"),
    ]
    clean, excluded = load_desa_binaan(_write(tmp_path, rows), on_error="exclude")
    assert list(clean["village"]) == ["Kebon Bawang"]
    assert list(excluded["line"]) == [3]
    assert "launch_date_precision" in excluded.loc[0, "reasons"]


def test_missing_column_is_reported_on_the_header_line(tmp_path):
    path = tmp_path / "roster.csv"
    frame = pd.DataFrame([GOOD]).drop(columns=["existing_by"])
    frame.to_csv(path, index=False)
    with pytest.raises(DataValidationError) as info:
        load_desa_binaan(path)
    assert [(p.line, p.column) for p in info.value.problems] == [(1, "existing_by")]


def test_ambiguous_village_is_listed_with_its_candidates(tmp_path):
    from tppo_analysis.sources.geography import load_villages

    villages = load_villages()
    twice = villages.groupby(["regency_code", "name"])["village_code"].transform("size") == 2
    pick = villages[twice & (villages["kind"] == "desa")].iloc[0]
    pair = villages[(villages["regency_code"] == pick["regency_code"]) & (villages["name"] == pick["name"])]
    regency = pick["regency"].replace("Kabupaten ", "Kab. ")
    row = dict(
        GOOD,
        village=pick["name"],
        village_type="desa",
        kecamatan="",
        regency_city=regency,
        province=pick["province"],
        village_code="",
    )
    out = load_desa_binaan(_write(tmp_path, [row]))
    listing = unmatched_villages(out)
    assert list(listing["match_status"]) == ["ambiguous"]
    for code in pair["village_code"]:
        assert code in listing.loc[0, "candidates"]
    assert "no usable kecamatan" in listing.loc[0, "unmatched_reason"]
    assert roster_match_report(out).set_index("match_status").loc["ambiguous", "n"] == 1
    assert out.attrs["match_rate"] == 0.0
