"""The bad-input corpus: every bad file gets a located message or a documented lossless normalisation.

The bad-input corpus (tests/bad_inputs/MANIFEST.csv): every file a researcher might hand over gets a specific,
located message — through the Python API and the ``tppo`` CLI, without a traceback — or a documented lossless
normalisation, and no row is dropped silently. The header is line 1.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

import tppo_analysis as tppo
from tppo_analysis import cli
from tppo_analysis.errors import DataValidationError, TppoError
from tppo_analysis.privacy import guard_columns
from tppo_analysis.sources._read import parse_date_column, read_table

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "bad_inputs"
REPO = HERE.parent

with open(CORPUS / "MANIFEST.csv", encoding="utf-8", newline="") as _fh:
    CASES = list(csv.DictReader(_fh))
ERRORS = [c for c in CASES if c["outcome"] == "error"]
NORMALISED = [c for c in CASES if c["outcome"] == "normalised"]


def _ids(cases):
    return [c["file"] for c in cases]


def _shown(case) -> str:
    """How the file is named in messages: relative to the repository."""
    return f"tests/bad_inputs/{case['file']}"


def _load(case):
    path = CORPUS / case["file"]
    if case["kind"] == "public_record":
        return tppo.load_public_record(path)
    if case["kind"] == "desa_binaan":
        return tppo.load_desa_binaan(path)
    if case["kind"] == "records":  # restricted record-level extract: read, then the identifier guard
        df, _ = read_table(path)
        return guard_columns(df, file=_shown(case))
    raise AssertionError(f"unknown kind {case['kind']}")


def test_manifest_covers_the_corpus():
    files = {p.name for p in CORPUS.glob("*.csv") if p.name != "MANIFEST.csv"}
    assert files == {c["file"] for c in CASES}
    assert len(CASES) >= 30
    assert all(c["outcome"] in ("error", "normalised") and c["kind"] for c in CASES)
    assert all(c["message"] for c in ERRORS)


@pytest.mark.parametrize("case", ERRORS, ids=_ids(ERRORS))
def test_api_error_names_file_line_column_and_reason(case):
    with pytest.raises(TppoError) as info:
        _load(case)
    exc = info.value
    assert _shown(case) in str(exc)
    line = int(case["line"]) if case["line"] else None
    column = case["column"] or None
    if isinstance(exc, DataValidationError):
        matching = [p for p in exc.problems if case["message"] in p.reason]
        assert matching, f"no problem says {case['message']!r}: {[str(p) for p in exc.problems]}"
        assert any(p.line == line and p.column == column and p.file == _shown(case) for p in matching), [
            str(p) for p in matching
        ]
    else:
        assert case["message"] in str(exc)
        if line is not None:
            assert f"line {line}" in str(exc)


ROW_ERRORS = [
    c
    for c in ERRORS
    if c["kind"] in ("public_record", "desa_binaan") and c["line"] and int(c["line"]) > 1 and c["column"]
]


@pytest.mark.parametrize("case", ROW_ERRORS, ids=_ids(ROW_ERRORS))
def test_excluding_bad_rows_accounts_for_every_row(case):
    """With on_error="exclude" the bad row comes back with its line and reason; kept + excluded = all rows."""
    loader = tppo.load_public_record if case["kind"] == "public_record" else tppo.load_desa_binaan
    path = CORPUS / case["file"]
    kept, excluded = loader(path, on_error="exclude")
    df, _ = read_table(path)
    assert len(kept) + len(excluded) == len(df)
    assert int(case["line"]) in excluded["line"].tolist()
    reasons = " ".join(excluded.loc[excluded["line"] == int(case["line"]), "reasons"])
    assert case["message"] in reasons


@pytest.mark.parametrize("case", NORMALISED, ids=_ids(NORMALISED))
def test_api_normalises_losslessly_and_says_so(case):
    path = CORPUS / case["file"]
    result = _load(case)
    assert len(result) == int(case["rows"])  # nothing dropped
    _, notes = read_table(path)
    if case["message"]:
        assert any(case["message"] in n for n in notes), notes
    else:
        assert notes == []
    if case["file"] == "pr_latin1.csv":
        assert result["notes"].str.contains("caf\u00e9 Ca\u00f1a", regex=False).any()


def _cli(case, tmp_path) -> list[str]:
    path = str(CORPUS / case["file"])
    if case["kind"] == "records":
        return ["aggregate", path, "--kind", "deferrals", "--out", str(tmp_path / "panel.csv"), "--quiet"]
    return ["validate", path, "--kind", case["kind"]]


@pytest.mark.parametrize("case", ERRORS, ids=_ids(ERRORS))
def test_cli_error_names_file_line_column_without_traceback(case, capsys, tmp_path):
    rc = cli.main(_cli(case, tmp_path))
    out, err = capsys.readouterr()
    assert rc == 1
    assert "Traceback" not in out + err
    assert _shown(case) in err
    assert case["message"] in err
    if case["line"]:
        assert f"line {case['line']}" in err
    if case["column"]:
        assert f"column {case['column']}" in err
    assert not (tmp_path / "panel.csv").exists()


@pytest.mark.parametrize("case", NORMALISED, ids=_ids(NORMALISED))
def test_cli_accepts_normalised_files_with_every_row(case, capsys, tmp_path):
    rc = cli.main(_cli(case, tmp_path))
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert f"valid {case['kind']}, {case['rows']} rows" in out


def test_cli_reports_what_was_normalised(capsys, tmp_path):
    case = next(c for c in NORMALISED if c["file"] == "pr_latin1.csv")
    rc = cli.main(_cli(case, tmp_path))
    out, err = capsys.readouterr()
    assert rc == 0 and "not UTF-8" in out + err


@pytest.mark.parametrize("name", ["pr_value_thousands_dot.csv", "pr_latin1.csv"])
def test_cli_in_a_real_process_prints_no_traceback(name):
    case = next(c for c in CASES if c["file"] == name)
    exe = Path(sys.executable).with_name("tppo")
    res = subprocess.run(
        [str(exe), "validate", str(CORPUS / name), "--kind", case["kind"]],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        timeout=120,
    )
    assert "Traceback" not in res.stdout + res.stderr
    assert res.returncode == (1 if case["outcome"] == "error" else 0)
    if case["outcome"] == "error":
        assert case["message"] in res.stderr and _shown(case) in res.stderr


BAD_LINE = 876_543


def _million_rows(path: Path) -> Path:
    """1,000,000 record rows (header = line 1) with one impossible date on line BAD_LINE."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("event_date,tpi,village_code,reason\n")
        row = "2023-{m:02d}-{d:02d},Soekarno-Hatta,35.19.02.2009,pmi_nonprosedural\n"
        for i in range(1_000_000):
            fh.write(
                "2023-02-30,Soekarno-Hatta,35.19.02.2009,pmi_nonprosedural\n"
                if i + 2 == BAD_LINE
                else row.format(m=i % 12 + 1, d=i % 28 + 1)
            )
    return path


@pytest.mark.slow
def test_million_row_file_reports_the_one_bad_line(tmp_path):
    """A 1,000,000-row record extract (generated here) with one impossible date: nothing lost, the bad line named."""
    path = _million_rows(tmp_path / "million_records.csv")
    df, notes = read_table(path)
    assert len(df) == 1_000_000 and notes == []
    guard_columns(df, file=path.name)  # no identifier columns or values
    dates, problems, _ = parse_date_column(df["event_date"], file=path.name, lines=df.attrs["lines"])
    assert [(p.line, p.column, p.value) for p in problems] == [(BAD_LINE, "event_date", "2023-02-30")]
    assert dates.notna().sum() == 999_999


@pytest.mark.slow
def test_million_row_file_cli_names_the_bad_line(tmp_path, capsys):
    path = _million_rows(tmp_path / "million_records.csv")
    rc = cli.main(["aggregate", str(path), "--kind", "deferrals", "--out", str(tmp_path / "p.csv"), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 1 and "Traceback" not in err
    assert f"line {BAD_LINE}, column event_date" in err
