"""The record's validation rules: each one fails on a planted bad row, naming file, line and column; warnings load."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest

import tppo_analysis as tppo
from tppo_analysis.cli import main
from tppo_analysis.errors import DataValidationError
from tppo_analysis.sources.places import place_problem
from tppo_analysis.sources.record_rules import is_share_link, latest_day

REPO = Path(__file__).resolve().parents[1]
RECORD = REPO / "data" / "public" / "public_reported_figures.csv"
ALIASES = REPO / "data" / "reference" / "series_aliases.csv"


def _copy(tmp_path: Path) -> Path:
    (tmp_path / "public").mkdir()
    (tmp_path / "reference").mkdir()
    shutil.copy(RECORD, tmp_path / "public" / RECORD.name)
    shutil.copy(ALIASES, tmp_path / "reference" / ALIASES.name)
    return tmp_path / "public" / RECORD.name


def _edit(path: Path, figure_id: str, **cells) -> int:
    """Change cells of one row in a copy of the record; return its file line (header = 1)."""
    raw = path.read_bytes().decode("utf-8")
    rows = list(csv.reader(io.StringIO(raw)))
    header = rows[0]
    line = next(i for i, r in enumerate(rows, start=1) if r and r[0] == figure_id)
    for col, val in cells.items():
        rows[line - 1][header.index(col)] = val
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    path.write_bytes(out.getvalue().encode("utf-8"))
    return line


def _problems(path: Path):
    with pytest.raises(DataValidationError) as info:
        tppo.load_public_record(path, aliases=path.parents[1] / "reference" / ALIASES.name)
    return info.value.problems


def test_the_committed_record_has_no_errors_and_only_allow_listed_warnings():
    figures = tppo.load_public_record()
    assert figures.attrs["warnings"] == []


def test_period_end_after_publication_is_an_error_at_the_published_precision(tmp_path):
    path = _copy(tmp_path)
    line = _edit(path, "PRF-0465", period_end="2018-01-02")  # published 2017-12: any December day is allowed
    hit = [p for p in _problems(path) if p.line == line and p.column == "period_end"]
    assert hit and "after publication (2017-12)" in hit[0].reason
    _edit(path, "PRF-0465", period_end="2017-12-31")
    tppo.load_public_record(path, aliases=tmp_path / "reference" / ALIASES.name)  # end of the month: allowed


def test_a_planned_figure_may_end_after_publication(tmp_path):
    path = _copy(tmp_path)
    _edit(path, "PRF-0409", period_end="2024-06-30", notes="27 planned villages")  # published 2023
    tppo.load_public_record(path, aliases=tmp_path / "reference" / ALIASES.name)


def test_publication_before_the_period_starts_is_an_error(tmp_path):
    path = _copy(tmp_path)
    line = _edit(path, "PRF-0001", published_date="2016-12")
    assert any(p.line == line and p.column == "published_date" for p in _problems(path))


def test_a_share_link_is_an_error(tmp_path):
    path = _copy(tmp_path)
    line = _edit(path, "PRF-0001", source_url="https://money.kompas.com/read/2017/02/18/130723626/twitter.com")
    hit = [p for p in _problems(path) if p.line == line and p.column == "source_url"]
    assert hit and "share button" in hit[0].reason


@pytest.mark.parametrize(
    "url, share",
    [
        ("http://nasional.kompas.com/read/2022/04/12/08225401/twitter.com", True),
        ("https://rmol.id/amp/2022/12/31/558813/whatsapp:/send", True),
        ("https://memorandum.disway.id/read/62344/memorandum.co.id", True),
        ("https://www.facebook.com/sharer/sharer.php?u=x", True),
        ("https://www.rmoljatim.id/2022/12/30/imigrasi-surabaya-tunda-keberangkatan-399-pmi-non-prosedural", False),
        ("https://mata.news/?p=31581", False),
        ("https://www.thejakartapost.com/news/2017/04/11/2328-indonesian-workers-halted-from-going-abroad.html", False),
    ],
)
def test_share_links_are_recognised(url, share):
    assert is_share_link(url) is share


def test_the_same_figure_twice_is_an_error_naming_the_first(tmp_path):
    path = _copy(tmp_path)
    raw = path.read_bytes().decode("utf-8")
    first = next(r for r in csv.reader(io.StringIO(raw)) if r and r[0] == "PRF-0002")
    dup = ["PRF-9999", *first[1:]]
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(dup)
    path.write_bytes((raw + out.getvalue()).encode("utf-8"))
    n_lines = len(raw.splitlines()) + 1
    hit = [p for p in _problems(path) if p.line == n_lines and p.column == "figure_id"]
    assert hit and "duplicate of the figure on line 3 (PRF-0002)" in hit[0].reason


def test_same_value_and_source_for_two_places_is_a_warning_unless_allow_listed(tmp_path):
    path = _copy(tmp_path)
    # PRF-0004 (Medan, 14) gets PRF-0003's value: same value, same article, two places
    line = _edit(path, "PRF-0004", value="31")
    figures = tppo.load_public_record(path, aliases=tmp_path / "reference" / ALIASES.name)  # loads: a warning
    warned = [p for p in figures.attrs["warnings"] if p.line == line]
    assert warned and warned[0].column == "value" and "PRF-0003" in warned[0].reason
    # the committed allow-list silences the known pairs (125 Batam / 125 Kualanamu in one article)
    assert not [p for p in tppo.load_public_record().attrs["warnings"] if "PRF-0011" in p.reason]


def test_a_place_not_in_the_kemendagri_hierarchy_is_an_error(tmp_path):
    path = _copy(tmp_path)
    line = _edit(path, "PRF-0419", geography_name="Jawa Tengah (Kab. Semarangan)")
    hit = [p for p in _problems(path) if p.line == line and p.column == "geography_name"]
    assert hit and "not found" in hit[0].reason


@pytest.mark.parametrize(
    "level, name, ok",
    [
        ("national", "Indonesia", True),
        ("province", "Kepulauan Bangka Belitung", True),
        ("office", "DI Yogyakarta", True),
        ("regency", "Jawa Tengah (Kab. Semarang)", True),
        ("regency", "Jawa Tengah (Kota Semarang)", True),
        ("regency", "Jawa Timur (Kab. Semarang)", False),  # the right name in the wrong province
        ("city", "DKI Jakarta (Jakarta Utara / Kep. Seribu)", True),
        ("subdistrict", "Jawa Timur (Kab. Mojokerto, Kec. Ngoro)", True),
        ("subdistrict", "Jawa Timur (Kab. Mojokerto, Kec. Gondang Legi)", False),
        ("province", "Jawa Tengah (Kab. Semarang)", False),  # a province row names a province only
        ("tpi", "Atlantis", False),
    ],
)
def test_places_are_checked_at_their_level(level, name, ok):
    assert (place_problem(level, name) is None) is ok


def test_latest_day_reads_partial_dates_as_their_last_day():
    assert str(latest_day("2017-12")) == "2017-12-31"
    assert str(latest_day("2024-02")) == "2024-02-29"
    assert str(latest_day("2017")) == "2017-12-31"
    assert latest_day("") is None


def test_validate_reports_errors_and_warnings_separately(tmp_path, capsys):
    path = _copy(tmp_path)
    _edit(path, "PRF-0004", value="31")
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "0 errors, 2 warnings" in out and "PRF-0003" in out and "PRF-0004" in out
    _edit(path, "PRF-0001", source_url="https://x.id/a/b/twitter.com")
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr()
    text = out.out + out.err
    assert "error" in text and "source_url" in text and "warning" in text
