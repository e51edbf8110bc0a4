"""CSV formula injection: every CSV written from data neutralises text a spreadsheet would run; numbers stay numbers.

Writer paths: :func:`tppo_analysis.output.tables.save_table` (results), :func:`~tppo_analysis.output.tables.write_csv`
(the one helper, whole file and appended chunks) and the resumable study scripts, which must write through it.
"""

from __future__ import annotations

import ast
import csv
from pathlib import Path

import pandas as pd
import pytest

from tppo_analysis.output.tables import save_table, write_csv

REPO = Path(__file__).resolve().parents[1]
RISKY = ['=HYPERLINK("http://x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tleading tab", "\rleading CR"]


def _frame() -> pd.DataFrame:
    n = len(RISKY)
    return pd.DataFrame(
        {
            "label": RISKY,
            "kind": pd.Categorical(["=cat", "a", "b", "c", "d", "e"]),
            "text_number": ["-3", "-1.5e3", "+4", "0", "x", "y"],
            "estimate": [-0.25, -1.0, 0.5, -3.5, 2.0, -1e-4],
            "delta": [-1, -2, -3, 4, 5, -6],
            "safe": ["ok"] * n,
        }
    )


def _raw(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _assert_neutralised(rows: list[dict[str, str]]) -> None:
    # a carriage return inside a cell is written as a (quoted) line feed, so the row is not split on reading
    assert [r["label"] for r in rows] == ["'" + v.replace("\r", "\n") for v in RISKY]
    assert rows[0]["kind"] == "'=cat" and rows[1]["kind"] == "a"
    # numbers, negative ones included, are untouched: as numeric columns and as text that is a number
    assert [r["text_number"] for r in rows] == ["-3", "-1.5e3", "+4", "0", "x", "y"]
    assert [float(r["estimate"]) for r in rows] == [-0.25, -1.0, 0.5, -3.5, 2.0, -1e-4]
    assert [int(r["delta"]) for r in rows] == [-1, -2, -3, 4, 5, -6]
    assert all(r["safe"] == "ok" for r in rows)


def test_save_table_neutralises_text_cells_and_keeps_negative_numbers(tmp_path):
    path = save_table(_frame(), "99_formula_check", source="test", directory=tmp_path, count_columns=[])
    _assert_neutralised(_raw(Path(path)))


def test_write_csv_neutralises_whole_files_and_appended_chunks(tmp_path):
    path = tmp_path / "study.csv"
    write_csv(_frame(), path)
    _assert_neutralised(_raw(path))
    write_csv(_frame(), path, mode="a", header=False)
    rows = _raw(path)
    assert len(rows) == 2 * len(RISKY)
    _assert_neutralised(rows[len(RISKY) :])


def test_a_formula_like_column_name_is_neutralised_too(tmp_path):
    path = tmp_path / "t.csv"
    write_csv(pd.DataFrame({"=cmd()": ["a"], "-5": [1], "x": [-2]}), path)
    assert path.read_text(encoding="utf-8").splitlines() == ["'=cmd(),-5,x", "a,1,-2"]


@pytest.mark.parametrize("script", sorted(p.name for p in (REPO / "scripts").glob("*_study.py")))
def test_study_scripts_write_csv_only_through_the_one_helper(script):
    tree = ast.parse((REPO / "scripts" / script).read_text(encoding="utf-8"))
    direct = [
        n.lineno
        for n in ast.walk(tree)
        if isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr in ("to_csv", "writer", "DictWriter")
    ]
    assert direct == [], f"{script}: writes CSV directly on lines {direct}; use tppo_analysis.output.tables.write_csv"
    imported = {
        a.name
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom) and n.module == "tppo_analysis.output.tables"
        for a in n.names
    }
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "write_csv"]
    assert "write_csv" in imported and calls
