"""Series keys cannot merge places: checked over every row of the committed record and on planted bad tables."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import tppo_analysis as tppo
from tppo_analysis.errors import DataValidationError, TppoError
from tppo_analysis.sources.labels import series_label
from tppo_analysis.sources.places import parse_place
from tppo_analysis.sources.public_record import check_public_record
from tppo_analysis.sources.series_keys import (
    FROZEN_KEYS,
    alias_problems,
    derived_key,
    load_series_aliases,
    place_key,
    slug,
    split_key,
)
from tppo_analysis.sources.validation import read_text_table

REPO = Path(__file__).resolve().parents[1]
ALIASES = REPO / "data" / "reference" / "series_aliases.csv"
RECORD = REPO / "data" / "public" / "public_reported_figures.csv"


@pytest.fixture(scope="module")
def figures() -> pd.DataFrame:
    return tppo.load_public_record()


@pytest.fixture(scope="module")
def aliases() -> pd.DataFrame:
    return load_series_aliases()


def _inner_slugs(name: str) -> list[str]:
    return [slug(p) for p in parse_place(name).inner]


def test_no_row_has_a_series_key_that_names_another_place(figures):
    """The acceptance line: 0 rows whose key names another place than geography_name."""
    wrong = []
    province_of_key: dict[str, set[str]] = {}
    for row in figures.itertuples():
        place = parse_place(row.geography_name)
        level, key = row.geography_level, split_key(row.series)[0]  # the place part, before any @country
        body = key.split(":", 1)[-1]
        if level == "national":
            ok = key == "national" or key.startswith("national:")
        elif level == "province":
            ok = key == f"province:{slug(place.province)}"
        elif level in ("regency", "city", "subdistrict"):
            # every place inside the parentheses, in order, and nothing else, makes up the key
            ok = key.startswith(f"{level}:") and body == "-".join(_inner_slugs(row.geography_name))
        else:  # office / checkpoint: one province per key
            ok = key.startswith(("office:", "tpi:"))
            province_of_key.setdefault(key, set()).add(place.province)
        if not ok:
            wrong.append((row.figure_id, row.geography_level, row.geography_name, key))
    wrong += [(key, "", ", ".join(sorted(p)), key) for key, p in province_of_key.items() if len(p) > 1]
    assert wrong == []


def test_the_merges_the_issue_found_are_gone(figures):
    by_id = figures.set_index("figure_id")
    placements = [f"PRF-{i:04d}" for i in range(320, 344) if i not in (329, 334)]
    rows = by_id.loc[placements]
    assert len(rows) == 22
    assert (rows["series"] == "province:" + rows["geography_name"].map(slug)).all()
    assert (rows["series"] == "province:jawa-timur").sum() == (rows["geography_name"] == "Jawa Timur").sum()
    assert by_id.at["PRF-0471", "series"] == "regency:kab-cilacap"
    assert by_id.at["PRF-0419", "series"] == "regency:kab-semarang"
    assert by_id.at["PRF-0473", "series"] == "regency:kab-lombok-barat"


def test_office_level_departure_rows_go_to_the_checkpoint_the_source_names(figures, aliases):
    by_id = figures.set_index("figure_id")
    assert by_id.loc[["PRF-0003", "PRF-0004", "PRF-0005", "PRF-0006"], "series"].tolist() == [
        "tpi:hang-nadim",
        "tpi:kualanamu",
        "tpi:juanda",
        "tpi:husein-sastranegara",
    ]
    # Kanim Mataram runs two checkpoints and the source names none: an office series, and the alias says why
    assert by_id.at["PRF-0200", "series"] == "office:mataram"
    row = aliases[(aliases["tpi_or_office"] == "Kanim Mataram") & (aliases["measure_group"] == "departure")]
    assert "names no checkpoint" in row["reason"].iloc[0]


def test_distinct_place_office_pairs_share_a_key_only_with_a_reason(aliases):
    unexplained = []
    for key, grp in aliases.groupby("series"):
        if grp[["geography_name", "tpi_or_office"]].drop_duplicates().shape[0] > 1:
            unexplained += [(key, r.geography_name, r.tpi_or_office) for r in grp.itertuples() if not r.reason.strip()]
    assert unexplained == []


def test_every_record_row_has_exactly_one_alias(figures):
    assert figures["series"].notna().all() and figures["series_label"].notna().all()


def test_frozen_keys_exist_and_hold_departure_deferrals(figures):
    for key in FROZEN_KEYS:
        rows = figures[(figures["series"] == key) & (figures["measure"] == "dep_deferral_wni_pmi_suspected")]
        assert len(rows) >= 3, key


def test_one_label_per_key_naming_the_place(aliases):
    labels = aliases.groupby("series")["series_label"].nunique()
    assert (labels == 1).all()
    assert series_label("tpi:soekarno-hatta").startswith("Soekarno-Hatta airport")
    assert series_label("regency:kab-semarang") == "Kab. Semarang, Jawa Tengah"
    assert "Blitar" in series_label("office:blitar")
    with pytest.raises(TppoError, match="is not in data/reference/series_aliases.csv"):
        series_label("kanim:blitar")


@pytest.mark.parametrize(
    "level, name, office, key",
    [
        ("province", "Jawa Tengah", "BP2MI", "province:jawa-tengah"),
        ("regency", "Jawa Tengah (Kab. Semarang)", "Kanim Semarang", "regency:kab-semarang"),
        ("regency", "Nusa Tenggara Barat (Kab. Lombok Barat)", "Kanim Mataram", "regency:kab-lombok-barat"),
        ("city", "DKI Jakarta (Jakarta Utara / Kep. Seribu)", "Kanim Tanjung Priok", "city:jakarta-utara-kep-seribu"),
        (
            "subdistrict",
            "Jawa Timur (Kab. Mojokerto, Kec. Ngoro)",
            "Kanim Surabaya",
            "subdistrict:kab-mojokerto-kec-ngoro",
        ),
        ("national", "Indonesia", "all TPI", "national"),
        ("office", "Jawa Timur", "Kanim Blitar", "office:blitar"),
        ("office", "Banten", "Kanim Tangerang (non-TPI)", "office:tangerang"),
        ("tpi", "Jawa Timur", "TPI Bandara Juanda (Kanim Kelas I Khusus TPI Surabaya)", "tpi:juanda"),
        ("tpi", "Kalimantan Barat", "PLBN Entikong", "tpi:entikong"),
    ],
)
def test_the_key_grammar(level, name, office, key):
    assert derived_key(level, name, office) == key


def test_place_names_are_parsed_into_province_and_inner_places():
    assert parse_place("DKI Jakarta (Jakarta Utara / Kep. Seribu)") == ("DKI Jakarta", ("Jakarta Utara", "Kep. Seribu"))
    assert parse_place("Jawa Timur (Kab. Mojokerto, Kec. Ngoro)") == ("Jawa Timur", ("Kab. Mojokerto", "Kec. Ngoro"))
    assert parse_place("Bali") == ("Bali", ())
    with pytest.raises(TppoError):
        parse_place("Jawa Tengah (Kab. Semarang")
    assert place_key("office", "Bali") is None


def test_alias_rules_catch_a_key_that_names_another_place(aliases):
    bad = aliases.copy()
    idx = bad.index[bad["geography_name"] == "Jawa Tengah (Kab. Semarang)"][0]
    bad.at[idx, "series"] = "regency:kab-kendal"  # the very merge the audit found
    problems = alias_problems(bad, "series_aliases.csv")
    hit = [p for p in problems if p.line == idx + 2 and p.column == "series"]
    assert hit and "names another place" in hit[0].reason and "regency:kab-semarang" in hit[0].reason


def test_alias_rules_catch_a_shared_key_without_reason_and_an_unnamed_checkpoint(aliases):
    bad = aliases.copy()
    idx = bad.index[(bad["tpi_or_office"] == "TPI Bandara Juanda") & (bad["measure_group"] == "departure")][0]
    bad.at[idx, "reason"] = ""
    idx2 = bad.index[(bad["tpi_or_office"] == "Kanim Batam") & (bad["measure_group"] == "departure")][0]
    bad.at[idx2, "reason"] = ""
    problems = alias_problems(bad, "series_aliases.csv")
    assert any(p.line == idx + 2 and p.column == "reason" and "shared key needs a reason" in p.reason for p in problems)
    assert any(p.line == idx2 + 2 and p.column == "reason" and "tpi:hang-nadim" in p.reason for p in problems)


def test_alias_rules_catch_two_labels_and_a_duplicated_lookup(aliases):
    bad = pd.concat([aliases, aliases.iloc[[0]]], ignore_index=True)
    idx = bad.index[bad["series"] == "tpi:juanda"][1]
    bad.at[idx, "series_label"] = "Juanda"
    reasons = [p.reason for p in alias_problems(bad, "series_aliases.csv")]
    assert any("listed twice" in r for r in reasons)
    assert any("one label per key" in r for r in reasons)


def test_a_broken_alias_file_stops_the_loader_with_its_line(tmp_path):
    alias_copy = tmp_path / "series_aliases.csv"
    text = ALIASES.read_text(encoding="utf-8").replace(
        "regency,Jawa Tengah (Kab. Semarang),Kanim Semarang,other,,regency:kab-semarang",
        "regency,Jawa Tengah (Kab. Semarang),Kanim Semarang,other,,regency:kab-kendal",
    )
    alias_copy.write_text(text, encoding="utf-8")
    line = next(i for i, t in enumerate(text.splitlines(), start=1) if "(Kab. Semarang)" in t)
    with pytest.raises(DataValidationError) as info:
        tppo.load_public_record(aliases=alias_copy)
    assert any(p.line == line and p.column == "series" for p in info.value.problems)


def test_the_row_rule_reports_a_row_whose_key_names_another_place(aliases):
    record = read_text_table(RECORD)
    bad = aliases.copy()
    idx = bad.index[bad["geography_name"] == "Jawa Tengah (Kab. Cilacap)"][0]
    bad.at[idx, "series"] = "regency:kab-banjarnegara"
    errors, _ = check_public_record(record, "public_reported_figures.csv", aliases=bad)
    row = record.index[record["figure_id"] == "PRF-0471"][0]
    hit = [p for p in errors if p.column == "geography_name" and p.line == row + 2]
    assert hit and "regency:kab-banjarnegara names another place" in hit[0].reason


def test_loader_accepts_an_alias_copy_beside_a_record_copy(tmp_path):
    shutil.copy(ALIASES, tmp_path / "aliases.csv")
    shutil.copy(RECORD, tmp_path / "record.csv")
    df = tppo.load_public_record(tmp_path / "record.csv", aliases=tmp_path / "aliases.csv")
    assert len(df) == len(read_text_table(RECORD))
