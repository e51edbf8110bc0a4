"""Notebooks are narratives over the package (HELPERS.md ground rules; issue 10 step 3).

For every notebook: the first code cell is the papermill ``parameters`` cell and a provenance cell is tagged
``nbval-ignore-output``; the only imports are ``import tppo_analysis as tppo`` and ``import pandas as pd`` (for
display); no code cell is longer than :data:`MAX_LINES` lines; no cell draws with matplotlib (figures come from
``plot()`` methods and ``output.plotting`` functions); no cell computes a value it neither keeps nor shows (the bug
that hid notebook 03's Bacon table; ruff's B018 finds the same). Notebook 03 shows its Bacon table.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
MAX_LINES = 8
ALLOWED_IMPORTS = {("tppo_analysis", "tppo"), ("pandas", "pd")}
# Axes / figure / pyplot methods: a cell calling one of these draws by hand.
DRAWING = {
    "subplots", "figure", "add_subplot", "savefig", "tight_layout", "suptitle", "twinx", "twiny", "plot_date",
    "set_title", "set_xlabel", "set_ylabel", "set_xlim", "set_ylim", "set_xticks", "set_yticks", "set_xticklabels",
    "set_yticklabels", "set_xscale", "set_yscale", "legend", "axhline", "axvline", "axhspan", "axvspan", "bar", "barh",
    "scatter", "fill_between", "errorbar", "annotate", "text", "grid", "hist", "step", "imshow", "pcolormesh",
}  # fmt: skip


def _code_cells(path: Path) -> list[dict]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def _source(cell: dict) -> str:
    return "".join(cell["source"])


def _tags(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def _lines(cell: dict) -> int:
    return len([line for line in _source(cell).rstrip().splitlines() if line.strip()])


def _tree(cell: dict) -> ast.Module:
    return ast.parse("\n".join(line for line in _source(cell).splitlines() if not line.lstrip().startswith(("%", "!"))))


def findings(path: Path) -> list[str]:
    """Return every rule a notebook breaks, one line each (``cell N: ...``)."""
    cells = _code_cells(path)
    out = []
    if not cells or "parameters" not in _tags(cells[0]):
        out.append("the first code cell is not the papermill 'parameters' cell")
    if not any("nbval-ignore-output" in _tags(c) and "provenance_line" in _source(c) for c in cells):
        out.append("no provenance cell tagged nbval-ignore-output")
    for i, cell in enumerate(cells, start=1):
        if _lines(cell) > MAX_LINES:
            out.append(f"cell {i}: {_lines(cell)} lines (at most {MAX_LINES})")
        tree = _tree(cell)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if (a.name, a.asname) not in ALLOWED_IMPORTS:
                        out.append(f"cell {i}: import {a.name}" + (f" as {a.asname}" if a.asname else ""))
            elif isinstance(node, ast.ImportFrom):
                out.append(f"cell {i}: from {node.module} import ...")
            elif isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Lambda)):
                out.append(f"cell {i}: defines a function or class")
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in DRAWING:
                out.append(f"cell {i}: draws with matplotlib (.{node.func.attr})")
        body = tree.body
        for stmt in body[:-1]:  # only the last expression of a cell is shown
            if isinstance(stmt, ast.Expr) and not isinstance(stmt.value, (ast.Call, ast.Await, ast.Constant)):
                out.append(f"cell {i}: computes a value it neither keeps nor shows (line {stmt.lineno})")
    return out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_a_thin_narrative(path):
    assert findings(path) == []


def test_notebook_03_shows_the_bacon_table():
    path = ROOT / "notebooks" / "03_village_program_effect.ipynb"
    shown = [
        "".join(o.get("data", {}).get("text/plain", "")) + "".join(o.get("text", ""))
        for c in _code_cells(path)
        for o in c.get("outputs", [])
    ]
    assert any("later_vs_earlier" in s and "weight" in s for s in shown)
