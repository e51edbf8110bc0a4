"""The public-record loader refuses bad input loudly: file, line (header = 1) and column in every message."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

import tppo_analysis as tppo
from tppo_analysis.errors import DataValidationError
from tppo_analysis.sources.schemas import MEASURES, PUBLIC_RECORD_COLUMNS

DATA = Path(__file__).resolve().parents[1] / "data" / "public" / "public_reported_figures.csv"

GOOD = {
    "figure_id": "PRF-0001",
    "measure": "dep_deferral_wni_pmi_suspected",
    "value": "133",
    "unit": "persons",
    "period_start": "2017-01-01",
    "period_end": "2017-02-17",
    "geography_level": "national",
    "geography_name": "Indonesia",
    "tpi_or_office": "all airport TPI",
    "destination": "",
    "source_url": "https://example.org/a",
    "source_outlet": "Kompas.com",
    "published_date": "2017-02-18",
    "notes": "",
}


def write(tmp_path: Path, rows: list[dict], name: str = "record.csv") -> Path:
    path = tmp_path / name
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(PUBLIC_RECORD_COLUMNS), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return path


def row(**changes) -> dict:
    out = dict(GOOD)
    out.update(changes)
    return out


def only_problem(path: Path):
    with pytest.raises(DataValidationError) as info:
        tppo.load_public_record(path)
    problems = info.value.problems
    assert len(problems) == 1, problems
    return problems[0], str(info.value)


def test_embedded_record_loads_with_typed_columns():
    figures = tppo.load_public_record()
    assert len(figures) >= 468
    assert figures["figure_id"].is_unique
    assert figures["value"].dtype == "int64"
    assert str(figures["period_end"].dtype).startswith("datetime64")
    assert set(figures["measure"]) <= set(MEASURES)
    assert figures["series"].notna().all()
    assert (
        figures.loc[figures["start_stated"], "period_end"] >= figures.loc[figures["start_stated"], "period_start"]
    ).all()


def test_known_figures_are_where_the_sources_put_them():
    figures = tppo.load_public_record().set_index("figure_id")
    assert figures.loc["PRF-0021", "value"] == 5000
    assert figures.loc["PRF-0021", "series"] == "national"
    assert figures.loc["PRF-0055", "value"] == 303
    assert figures.loc["PRF-0091", "series"] == "tpi:soekarno-hatta"


def test_end_before_start_names_file_line_and_column(tmp_path):
    path = write(
        tmp_path,
        [
            row(),
            row(figure_id="PRF-0002", period_start="2017-03-01", period_end="2017-02-01", published_date="2017-03-05"),
        ],
    )
    problem, message = only_problem(path)
    assert (problem.line, problem.column) == (3, "period_end")
    assert "record.csv line 3, column period_end" in message
    assert "before period_start" in message


@pytest.mark.parametrize("value, reason", [("-5", "non-negative whole number"), ("12.5", "non-negative whole number")])
def test_negative_or_fractional_count_is_refused(tmp_path, value, reason):
    path = write(tmp_path, [row(value=value)])
    problem, message = only_problem(path)
    assert (problem.line, problem.column, problem.value) == (2, "value", value)
    assert reason in message and "line 2, column value" in message


def test_unknown_measure_is_refused(tmp_path):
    path = write(
        tmp_path, [row(), row(figure_id="PRF-0002", value="7"), row(figure_id="PRF-0003", measure="deportations")]
    )
    problem, message = only_problem(path)
    assert (problem.line, problem.column, problem.value) == (4, "measure", "deportations")
    assert "unknown measure" in message


def test_duplicated_figure_id_names_both_lines(tmp_path):
    path = write(tmp_path, [row(), row(value="7")])
    problem, message = only_problem(path)
    assert (problem.line, problem.column) == (3, "figure_id")
    assert "duplicated figure ID (first used on line 2)" in message


def test_impossible_date_and_out_of_range_date(tmp_path):
    path = write(tmp_path, [row(period_end="2017-02-30"), row(figure_id="PRF-0002", period_start="2009-12-31")])
    with pytest.raises(DataValidationError) as info:
        tppo.load_public_record(path)
    found = {(p.line, p.column, p.reason) for p in info.value.problems}
    assert (2, "period_end", "is not a calendar date") in found
    assert any(p[:2] == (3, "period_start") and "outside the supported range" in p[2] for p in found)


def test_office_missing_from_alias_table(tmp_path):
    path = write(tmp_path, [row(geography_level="tpi", geography_name="Banten", tpi_or_office="TPI Bandara Atlantis")])
    problem, message = only_problem(path)
    assert (problem.line, problem.column) == (2, "tpi_or_office")
    assert "not in the alias table" in message


def test_every_problem_is_listed_not_only_the_first(tmp_path):
    path = write(tmp_path, [row(value="x"), row(figure_id="PRF-0002", unit="people"), row(figure_id="bad")])
    with pytest.raises(DataValidationError) as info:
        tppo.load_public_record(path)
    assert {(p.line, p.column) for p in info.value.problems} == {(2, "value"), (3, "unit"), (4, "figure_id")}


def test_missing_column_is_reported_on_the_header_line(tmp_path):
    path = write(tmp_path, [row()])
    df = pd.read_csv(path, dtype=str, keep_default_na=False).rename(columns={"period_end": "period_ends"})
    df.to_csv(path, index=False)
    with pytest.raises(DataValidationError) as info:
        tppo.load_public_record(path)
    problem = info.value.problems[0]
    assert (problem.line, problem.column) == (1, "period_end")
    assert "renamed" in problem.reason


def test_exclude_loads_the_rest_and_returns_what_it_left_out(tmp_path):
    path = write(tmp_path, [row(), row(figure_id="PRF-0002", value="-1"), row(figure_id="PRF-0003", value="9")])
    figures, excluded = tppo.load_public_record(path, on_error="exclude")
    assert list(figures["figure_id"]) == ["PRF-0001", "PRF-0003"]
    assert list(excluded["line"]) == [3]
    assert "value" in excluded.loc[0, "reasons"]
    assert len(figures) + len(excluded) == 3


def test_cli_validate_reports_problems_without_traceback(tmp_path, capsys):
    from tppo_analysis.cli import main

    path = write(tmp_path, [row(value="-1")])
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert "line 2, column value" in err and "Traceback" not in err
    good = write(tmp_path, [row()], name="good.csv")
    assert main(["validate", str(good)]) == 0
    assert "valid public_record, 1 rows" in capsys.readouterr().out
