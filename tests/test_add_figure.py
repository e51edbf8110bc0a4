"""`tppo add-figure`: a real figure goes from the article's phrase to a reconciled window; bad input is refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import tppo_analysis as tppo
from tppo_analysis.cli import main
from tppo_analysis.errors import AmbiguousPeriodError, DataValidationError, TppoError
from tppo_analysis.sources.add_figure import append_figure, infer_level, prepare_figure

REPO = Path(__file__).resolve().parents[1]
RECORD = REPO / "data" / "public" / "public_reported_figures.csv"
ALIASES = REPO / "data" / "reference" / "series_aliases.csv"

# A real figure not in the record: Kanim Depok refused 69 passport applications in 2017 "karena ada indikasi menjadi
# tenaga kerja Indonesia nonprosedural" (office head Dadan Gunawan to detikcom, Tue 19 Dec 2017; depok.imigrasi.go.id).
DEPOK = [
    "--measure", "passport_deferral_pmi_suspected",
    "--value", "69",
    "--place", "Jawa Barat",
    "--office", "Kanim Depok",
    "--url", "http://depok.imigrasi.go.id/?p=47960",
    "--outlet", "Kantor Imigrasi Depok (quoting detikcom)",
    "--published", "2017-12-19",
    "--period", "pada periode 2017",
    "--notes", "69 of 270 refusals in 2017 were on indications of non-procedural TKI work.",
]  # fmt: skip


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    (tmp_path / "data" / "public").mkdir(parents=True)
    (tmp_path / "data" / "reference").mkdir(parents=True)
    shutil.copy(RECORD, tmp_path / "data" / "public" / RECORD.name)
    shutil.copy(ALIASES, tmp_path / "data" / "reference" / ALIASES.name)
    return tmp_path / "data" / "public" / RECORD.name


def test_a_real_figure_goes_from_a_phrase_to_a_reconciled_window(copy, capsys):
    before = copy.read_bytes()
    aliases_before = (copy.parents[1] / "reference" / ALIASES.name).read_bytes()
    assert main(["add-figure", *DEPOK, "--file", str(copy), "--yes"]) == 0
    out = capsys.readouterr().out
    after = copy.read_bytes()
    # appended, nothing rewritten: the old bytes are a prefix and the new line keeps the file's CRLF endings
    assert after.startswith(before) and after.endswith(b"\r\n") and after.count(b"\r\n") == before.count(b"\r\n") + 1
    assert (copy.parents[1] / "reference" / ALIASES.name).read_bytes().startswith(aliases_before)
    figures = tppo.load_public_record(copy, aliases=copy.parents[1] / "reference" / ALIASES.name)
    row = figures.iloc[-1]
    assert row["figure_id"] == "PRF-0484"  # one past the highest ID ever used
    assert (row["period_start"].date().isoformat(), row["period_end"].date().isoformat()) == (
        "2017-01-01",
        "2017-12-19",
    )
    assert row["series"] == "office:depok" and row["geography_level"] == "office" and row["unit"] == "applications"
    obs, audit = tppo.reconcile(figures)
    status = audit.set_index("figure_id").loc["PRF-0484"]
    assert status["status"] == "kept"
    window = obs[obs["obs_id"] == status["obs_id"]].iloc[0]
    assert (window["value"], window["period_end"].date().isoformat()) == (69, "2017-12-19")
    assert (
        "2017-01-01 .. 2017-12-19" in out and "office:depok" in out and "+ window 2017-01-01 .. 2017-12-19: 69" in out
    )


def test_a_later_vintage_of_the_same_window_supersedes_the_earlier_one(copy, capsys):
    # Blitar's 2018 total stated again (hypothetically revised) on the same window: the latest vintage wins
    args = [
        "--measure", "passport_deferral_pmi_suspected", "--value", "130", "--place", "Jawa Timur",
        "--office", "Kanim Blitar", "--url", "https://example.org/blitar-2018-revised", "--outlet", "Example",
        "--published", "2019-01-15", "--period", "sepanjang tahun 2018",
    ]  # fmt: skip
    assert main(["add-figure", *args, "--file", str(copy), "--yes"]) == 0
    out = capsys.readouterr().out
    assert "PRF-0483: derived -> set aside (superseded by PRF-0484" in out


def test_refuses_an_unknown_measure_with_the_closest_names(copy):
    args = [a if a != "passport_deferral_pmi_suspected" else "pasport_deferral_pmi" for a in DEPOK]
    with pytest.raises(TppoError, match="unknown measure 'pasport_deferral_pmi'.*passport_deferral_pmi_suspected"):
        prepare_figure(**_kwargs(args), path=copy)
    assert main(["add-figure", *args, "--file", str(copy), "--yes"]) == 1


def test_refuses_a_period_after_publication(copy):
    args = _replace(DEPOK, "--period", "1 Januari s.d. 31 Desember 2017")
    with pytest.raises(AmbiguousPeriodError, match="after the publication date 2017-12-19"):
        prepare_figure(**_kwargs(args), path=copy)


def test_refuses_a_vague_phrase(copy, capsys):
    before = copy.read_bytes()
    args = _replace(DEPOK, "--period", "beberapa bulan terakhir")
    assert main(["add-figure", *args, "--file", str(copy), "--yes"]) == 1
    err = capsys.readouterr().err
    assert "beberapa bulan terakhir" in err and "vague" in err and "Traceback" not in err
    assert copy.read_bytes() == before


def test_refuses_a_duplicate_naming_the_line_of_the_first(copy):
    # PRF-0002 again: Kanim Soekarno-Hatta, 72 at airports, 1 Jan-17 Feb 2017
    args = [
        "--measure", "dep_deferral_wni_pmi_suspected", "--value", "72", "--place", "Banten",
        "--office", "Kanim Soekarno-Hatta",
        "--url", "https://money.kompas.com/read/2017/02/18/130723626/imigrasi.tolak.pemberangkatan.133.calon.tki.dan.kedatangan.179.wna",
        "--outlet", "Kompas.com", "--published", "2017-02-18", "--period", "Januari hingga 17 Februari 2017",
    ]  # fmt: skip
    with pytest.raises(DataValidationError) as info:
        prepare_figure(**_kwargs(args), path=copy)
    assert any("duplicate of the figure on line 3 (PRF-0002)" in p.reason for p in info.value.problems)


def test_refuses_a_share_link(copy):
    args = _replace(DEPOK, "--url", "https://news.detik.com/berita/d-3777084/x/twitter.com")
    with pytest.raises(DataValidationError, match="share button"):
        prepare_figure(**_kwargs(args), path=copy)


def test_nothing_is_written_without_confirmation(copy, monkeypatch, capsys):
    before = copy.read_bytes()
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    assert main(["add-figure", *DEPOK, "--file", str(copy)]) == 1
    assert copy.read_bytes() == before and "not added" in capsys.readouterr().out


def test_a_new_place_gets_an_alias_row_with_its_key_and_label(copy):
    new = prepare_figure(**_kwargs(DEPOK), path=copy)
    assert new.alias_row is not None and new.alias_row["series"] == "office:depok"
    assert new.series_label == "Depok immigration office (Jawa Barat)"
    append_figure(new)
    aliases = (copy.parents[1] / "reference" / ALIASES.name).read_text(encoding="utf-8").splitlines()
    assert aliases[-1].startswith("office,Jawa Barat,Kanim Depok,passport,,office:depok,")


@pytest.mark.parametrize(
    "place, office, level",
    [
        ("Indonesia", "all TPI", "national"),
        ("Jawa Timur", "Kanim Blitar", "office"),
        ("Banten", "TPI Bandara Soekarno-Hatta", "tpi"),
        ("Jawa Tengah", "Kanwil Ditjen Imigrasi Jateng", "province"),
        ("Jawa Tengah (Kab. Semarang)", "Kanim Semarang", "regency"),
        ("DKI Jakarta (Jakarta Barat)", "Kanim Soekarno-Hatta", "city"),
        ("Jawa Timur (Kab. Mojokerto, Kec. Ngoro)", "Kanim Surabaya", "subdistrict"),
    ],
)
def test_the_level_is_inferred_from_place_and_office(place, office, level):
    assert infer_level(place, office) == level


def _replace(args: list[str], flag: str, value: str) -> list[str]:
    out = list(args)
    out[out.index(flag) + 1] = value
    return out


def _kwargs(args: list[str]) -> dict[str, str]:
    return {args[i].lstrip("-"): args[i + 1] for i in range(0, len(args), 2)}
