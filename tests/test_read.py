"""Lossless reading of messy CSV files and strict parsing of Indonesian counts and dates (read module)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from tppo_analysis.errors import CellError, DataValidationError, TppoError
from tppo_analysis.sources._read import parse_count, parse_count_column, parse_date_cell, read_table

REPO = Path(__file__).resolve().parents[1]


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


@pytest.mark.parametrize("name", ["public_reported_figures.csv", "desa_binaan_reported.csv"])
def test_real_public_files_read_exactly_as_pandas_reads_them(name):
    path = REPO / "data" / "public" / name
    df, notes = read_table(path)
    expected = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert notes == []
    assert list(df.columns) == list(expected.columns)
    assert df.to_numpy().tolist() == expected.to_numpy().tolist()


def test_bom_latin1_semicolon_are_normalised_and_reported(tmp_path):
    text = "kanim;n;catatan\nKanim Cilacap;12;Pelabuhan Tanjung Intan\nKanim Bogor;3;caf\u00e9\n"
    bom = _write(tmp_path, "bom.csv", b"\xef\xbb\xbf" + text.replace(";", ",").encode("utf-8"))
    df, notes = read_table(bom)
    assert list(df.columns) == ["kanim", "n", "catatan"] and any("BOM" in n for n in notes)
    latin = _write(tmp_path, "latin.csv", text.encode("cp1252"))
    df, notes = read_table(latin)
    assert df.loc[1, "catatan"] == "caf\u00e9"
    assert df.loc[0, "n"] == "12"
    assert any("not UTF-8" in n and "line 3" in n for n in notes)
    assert any("';'" in n for n in notes)
    tab = _write(tmp_path, "tab.tsv", text.replace(";", "\t").encode())
    df, notes = read_table(tab)
    assert df.shape == (2, 3) and any("tab" in n for n in notes)


def test_every_cell_stays_a_string(tmp_path):
    p = _write(tmp_path, "x.csv", b"id,value,date\n007,5.000,45047\n008,,2023-05-01\n")
    df, _ = read_table(p)
    assert df.to_dict("records") == [
        {"id": "007", "value": "5.000", "date": "45047"},
        {"id": "008", "value": "", "date": "2023-05-01"},
    ]


def test_empty_header_only_and_binary_files(tmp_path):
    with pytest.raises(TppoError, match="empty"):
        read_table(_write(tmp_path, "empty.csv", b""))
    with pytest.raises(TppoError, match="empty"):
        read_table(_write(tmp_path, "blank.csv", b"\n\n  \n"))
    df, notes = read_table(_write(tmp_path, "header.csv", b"a,b\n"))
    assert df.shape == (0, 2) and "header only: no data rows" in notes
    with pytest.raises(TppoError, match="Excel workbook"):
        read_table(_write(tmp_path, "book.csv", b"PK\x03\x04rest"))


def test_ragged_rows_are_errors_with_line_numbers_not_dropped(tmp_path):
    p = _write(tmp_path, "ragged.csv", b"a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12,,\n")
    with pytest.raises(DataValidationError) as err:
        read_table(p)
    lines = [(pr.line, "fewer" in pr.reason) for pr in err.value.problems]
    assert lines == [(3, True), (4, False)]


def test_blank_rows_are_skipped_with_a_note_and_lines_kept(tmp_path):
    p = _write(tmp_path, "blank_rows.csv", b'a,b\n1,2\n\n,\n3,"x\ny"\n5,6\n')
    df, notes = read_table(p)
    assert df["a"].tolist() == ["1", "3", "5"]
    assert df.attrs["lines"] == [2, 5, 7]
    assert any("2 blank line(s) skipped (line 3, 4)" in n for n in notes)


def test_duplicate_and_unnamed_columns_are_refused(tmp_path):
    with pytest.raises(DataValidationError, match="used twice"):
        read_table(_write(tmp_path, "dup.csv", b"a,b,a\n1,2,3\n"))
    with pytest.raises(DataValidationError, match="no name"):
        read_table(_write(tmp_path, "noname.csv", b"a,,c\n1,2,3\n"))


def test_unclosed_quote_names_the_line(tmp_path):
    with pytest.raises(TppoError, match=r"line \d+: cannot be read as CSV"):
        read_table(_write(tmp_path, "quote.csv", b'a,b\n1,"x"y\n'))


@pytest.mark.parametrize(
    "text, value",
    [
        ("5000", 5000),
        ("5.000", 5000),
        ("1.234.567", 1234567),
        ("1,234,567", 1234567),
        ("1,5 ribu", 1500),
        ("1.5 ribu", 1500),
        ("2 juta", 2_000_000),
        ("1,2 juta", 1_200_000),
        ("5 000", 5000),
        (" 42 ", 42),
        ("0", 0),
        ("3 rb", 3000),
    ],
)
def test_parse_count_indonesian_formats(text, value):
    assert parse_count(text) == value


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("", "empty"),
        ("-5", "negative"),
        ("12,5", "whole number"),
        ("12.5", "whole number"),
        ("5,000", "ambiguous"),
        ("1E+06", "scientific"),
        ("banyak", "not a count"),
        ("sekitar 5.000", "approximate"),
        ("5 orang", "unknown word"),
        ("1.500 ribu", "ambiguous"),
        ("1,2345 ribu", "whole number"),
    ],
)
def test_parse_count_refuses_with_a_reason(text, fragment):
    with pytest.raises(CellError, match=fragment):
        parse_count(text)


def test_parse_count_approximate_only_when_allowed():
    assert parse_count("sekitar 5.000", allow_approximate=True) == 5000


@pytest.mark.parametrize(
    "text, date",
    [
        ("2023-05-01", dt.date(2023, 5, 1)),
        ("2023-05-01 00:00:00", dt.date(2023, 5, 1)),
        ("01/05/2023", dt.date(2023, 5, 1)),
        ("1-5-2023", dt.date(2023, 5, 1)),
        ("17 Agustus 2023", dt.date(2023, 8, 17)),
        ("45047", dt.date(2023, 5, 1)),
        ("40179", dt.date(2010, 1, 1)),
        ("1 Mei 2024", dt.date(2024, 5, 1)),
    ],
)
def test_parse_date_cell_forms(text, date):
    assert parse_date_cell(text) == date


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("2023-02-30", "not a calendar date"),
        ("05/31/2023", "US order"),
        ("01/05/23", "two-digit year"),
        ("45047.5", "time part"),
        ("2023-05-01 13:00", "time of day"),
        ("kemarin", "not a date"),
        ("", "empty"),
        ("1 Foo 2023", "unknown month"),
    ],
)
def test_parse_date_cell_refuses_with_a_reason(text, fragment):
    with pytest.raises(CellError, match=fragment):
        parse_date_cell(text)


def test_parse_date_cell_range():
    with pytest.raises(CellError, match="outside the supported range"):
        parse_date_cell("2009-12-31", earliest="2010-01-01", latest="2030-12-31")
    assert parse_date_cell("2010-01-01", earliest="2010-01-01") == dt.date(2010, 1, 1)


def test_parse_count_column_reports_each_bad_cell_with_line_and_notes_changes():
    s = pd.Series(["5.000", "12", "x", "1,5 ribu"], name="value")
    values, problems, notes = parse_count_column(s, file="f.csv")
    assert values.tolist()[:2] == [5000, 12] and pd.isna(values[2]) and values[3] == 1500
    assert [(p.line, p.column) for p in problems] == [(4, "value")]
    assert notes == ["column value: 2 count(s) normalised (thousands separators / 'ribu' / 'juta')"]
