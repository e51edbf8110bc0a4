"""Destination breakdowns have their own series: no series mixes a total with a part of it by destination."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import tppo_analysis as tppo
from tppo_analysis.cli import main
from tppo_analysis.errors import DataValidationError
from tppo_analysis.sources.destinations import IMPLIED_DESTINATION, destination_place
from tppo_analysis.sources.public_record import check_public_record
from tppo_analysis.sources.series_keys import alias_problems, load_series_aliases, slug, split_key
from tppo_analysis.sources.validation import read_text_table

REPO = Path(__file__).resolve().parents[1]
RECORD = REPO / "data" / "public" / "public_reported_figures.csv"
ALIASES = REPO / "data" / "reference" / "series_aliases.csv"


@pytest.fixture(scope="module")
def figures() -> pd.DataFrame:
    return tppo.load_public_record()


@pytest.fixture(scope="module")
def aliases() -> pd.DataFrame:
    return load_series_aliases()


@pytest.fixture(scope="module")
def audit(figures) -> pd.DataFrame:
    return tppo.reconcile(figures).audit.set_index("figure_id")


@pytest.mark.parametrize(
    "cell, place",
    [
        ("Taiwan", "Taiwan"),
        ("Malaysia (Tawau)", "Malaysia"),
        ("Cambodia (via Muar, Malaysia)", "Cambodia"),
        ("Saudi Arabia (via Colombo)", "Saudi Arabia"),
        ("Myanmar (Myawaddy)", "Myanmar"),
        ("UAE", "UAE"),
        ("", None),
        ("Cambodia; Myanmar; Malaysia", None),  # a list describes a total
        ("Malaysia (60); other (110)", None),  # a total carrying its breakdown in the text
        ("India (5, kidney sale)", None),  # 5 of the row's 1,252
        ("Mostly Malaysia", None),
        ("ASEAN mostly", None),
        ("Southeast Asia scam hubs", None),
        ("10 Asian countries", None),
        ("Middle East; ASEAN", None),
    ],
)
def test_which_destination_cells_restrict_a_figure_to_one_country(cell, place):
    assert destination_place(cell) == place


def _windows(df: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    return df["period_start"].fillna(df["period_end"]), df["period_end"]


def test_no_series_mixes_a_total_with_a_breakdown_by_destination(figures, aliases):
    """Check every row: one country per series and window; a one-country row in a total's series says why.

    Overlapping rows of one series and measure name one country at most, and a one-country row sits in a total's
    series only where its alias row says why the country is context.
    """
    country = figures["destination"].map(destination_place)
    start, end = _windows(figures)
    mixed = []
    for (key, _), grp in figures[country.notna()].groupby(["series", "measure"]):
        for a in grp.index:
            for b in grp.index:
                if a < b and country[a] != country[b] and start[a] <= end[b] and start[b] <= end[a]:
                    mixed.append((key, figures.at[a, "figure_id"], figures.at[b, "figure_id"]))
    assert mixed == []
    declared = aliases[aliases["destination"] != ""].set_index(
        ["geography_level", "geography_name", "tpi_or_office", "destination"]
    )
    unexplained = []
    for idx in figures.index[country.notna()]:
        row = figures.loc[idx]
        base, dest = split_key(row["series"])
        if dest:  # a breakdown: its key names the row's own country
            assert dest == slug(country[idx]), row["figure_id"]
            continue
        if IMPLIED_DESTINATION.get(row["measure"]) == country[idx]:
            continue
        hit = declared.loc[[(row["geography_level"], row["geography_name"], row["tpi_or_office"], row["destination"])]]
        if not hit["reason"].str.startswith("context").all():
            unexplained.append(row["figure_id"])
    assert unexplained == []


def test_the_breakdowns_the_findings_engineer_found_have_their_own_series(figures):
    key = figures.set_index("figure_id")["series"]
    placements_2023 = [f"PRF-{i:04d}" for i in range(302, 313)]
    assert key[placements_2023].str.startswith("national@").all() and key[placements_2023].nunique() == 11
    assert key["PRF-0312"] == "national@cambodia" and key["PRF-0318"] == key["PRF-0314"] == "national@taiwan"
    scam = [f"PRF-{i:04d}" for i in range(393, 401)]
    assert key[scam].nunique() == 8 and not (key[scam] == "national").any()
    assert key["PRF-0075"] == "tpi:soekarno-hatta@malaysia" and key["PRF-0118"] == "tpi:soekarno-hatta@cambodia"
    # the totals keep the frozen keys
    assert key[["PRF-0299", "PRF-0301", "PRF-0390", "PRF-0391", "PRF-0392"]].eq("national").all()
    assert key[["PRF-0074", "PRF-0117"]].eq("tpi:soekarno-hatta").all()


def test_reconciliation_no_longer_replaces_a_total_by_one_of_its_parts(figures, audit):
    parts = set(figures.loc[figures["series"].str.contains("@"), "figure_id"])
    for fid in ("PRF-0299", "PRF-0301", "PRF-0074", "PRF-0117", "PRF-0390", "PRF-0391", "PRF-0392"):
        reason = audit.at[fid, "reason"]
        assert not reason.startswith("superseded") and not any(p in reason for p in parts), (fid, reason)
    obs = tppo.reconcile(figures).observations
    one_to_three_march = obs[
        (obs["series"] == "tpi:soekarno-hatta")
        & (obs["period_start"] == "2024-03-01")
        & (obs["period_end"] == "2024-03-03")
    ]
    assert one_to_three_march["value"].tolist() == [29]  # PRF-0117 whole, not 29 - 2
    value = figures.set_index("figure_id")["value"]
    # the 2023 placements total is used: its Nov-Dec remainder after Jan-Oct (PRF-0355)
    assert audit.at["PRF-0299", "status"] == "derived"
    derived = obs[obs["figure_ids"].str.startswith("PRF-0299;")]
    assert derived["value"].tolist() == [value["PRF-0299"] - value["PRF-0355"]]


def _record_copy(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "data" / "public").mkdir(parents=True)
    (tmp_path / "data" / "reference").mkdir(parents=True)
    shutil.copy(RECORD, tmp_path / "data" / "public" / RECORD.name)
    shutil.copy(ALIASES, tmp_path / "data" / "reference" / ALIASES.name)
    return tmp_path / "data" / "public" / RECORD.name, tmp_path / "data" / "reference" / ALIASES.name


def test_an_undeclared_one_country_row_stops_the_loader_with_its_line(tmp_path):
    record, alias_path = _record_copy(tmp_path)
    lines = alias_path.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [
        t
        for t in lines
        if not t.startswith(
            "tpi,Banten,TPI Bandara Soekarno-Hatta (Kanim Kelas I Khusus Soekarno-Hatta),departure,Cambodia,"
        )
    ]
    assert len(kept) == len(lines) - 1
    alias_path.write_text("".join(kept), encoding="utf-8")
    line = next(
        i for i, t in enumerate(RECORD.read_text(encoding="utf-8").splitlines(), 1) if t.startswith("PRF-0118,")
    )
    with pytest.raises(DataValidationError) as info:
        tppo.load_public_record(record, aliases=alias_path)
    hit = [p for p in info.value.problems if p.line == line and p.column == "destination"]
    assert hit and "names one country (Cambodia)" in hit[0].reason and "tpi:soekarno-hatta@cambodia" in hit[0].reason


def test_two_countries_in_one_series_and_window_are_an_error(aliases):
    record = read_text_table(RECORD)
    bad = aliases.copy()
    # key Malaysia's 2023 placements into Taiwan's series: the same year, another country
    idx = bad.index[(bad["tpi_or_office"] == "BP2MI") & (bad["destination"] == "Malaysia")][0]
    bad.at[idx, "series"], bad.at[idx, "series_label"] = "national@taiwan", "Indonesia, Taiwan only"
    errors, _ = check_public_record(record, "public_reported_figures.csv", aliases=bad)
    row = record.index[record["figure_id"] == "PRF-0303"][0]
    assert any(p.line == row + 2 and p.column == "destination" and "one series holds one destination" in p.reason
               for p in errors)  # fmt: skip


def test_alias_rules_for_destination_rows(aliases):
    bad = aliases.copy()
    i = bad.index[(bad["tpi_or_office"] == "Kemlu") & (bad["destination"] == "Laos")][0]
    bad.at[i, "series"] = "national@cambodia"  # the wrong country
    j = bad.index[(bad["geography_name"] == "Kalimantan Barat") & (bad["destination"] == "Malaysia (Sarawak)")][0]
    bad.at[j, "reason"] = ""  # context without a reason
    k = bad.index[(bad["tpi_or_office"] == "KP2MI") & (bad["destination"] == "Japan")][0]
    bad.at[k, "destination"] = "Japan; Taiwan"  # a list is context by rule, never declared
    problems = alias_problems(bad, "series_aliases.csv")

    def said(line: int, column: str, words: str) -> bool:
        return any(p.line == line and p.column == column and words in p.reason for p in problems)

    assert said(i + 2, "series", "@laos")
    assert said(j + 2, "reason", "only context")
    assert said(k + 2, "destination", "context by rule")
    assert alias_problems(aliases, "series_aliases.csv") == []


def test_add_figure_keys_a_new_one_country_figure_as_a_breakdown(tmp_path, capsys):
    record, alias_path = _record_copy(tmp_path)
    # a hypothetical Blitar split: passport deferrals of 2019 for intended work in Malaysia
    args = [
        "--measure", "passport_deferral_pmi_suspected", "--value", "40", "--place", "Jawa Timur",
        "--office", "Kanim Blitar", "--url", "https://example.org/blitar-2019-malaysia", "--outlet", "Example",
        "--published", "2019-12-30", "--period", "sepanjang tahun 2019", "--destination", "Malaysia",
    ]  # fmt: skip
    before = tppo.reconcile(tppo.load_public_record(record, aliases=alias_path)).audit
    assert main(["add-figure", *args, "--file", str(record), "--yes"]) == 0
    figures = tppo.load_public_record(record, aliases=alias_path)
    assert figures.iloc[-1]["series"] == "office:blitar@malaysia"
    assert (
        alias_path.read_text(encoding="utf-8")
        .splitlines()[-1]
        .startswith("office,Jawa Timur,Kanim Blitar,passport,Malaysia,office:blitar@malaysia,")
    )
    after = tppo.reconcile(figures).audit
    same = before.merge(after, on="figure_id", suffixes=("_b", "_a"))
    assert (same["status_b"] == same["status_a"]).all()  # Blitar's totals are untouched by their part
