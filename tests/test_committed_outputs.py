"""Every committed figure and result table, as a reader gets them.

Figures: the colour-vision test at the stated threshold (>= 15 ΔE in CAM02-UCS under normal vision and full-severity
deuteranopia, protanopia and tritanopia, recomputed here from the colours stored in the sidecar), the structured
sidecar fields, and no internal series key or measure code in any text of the SVG. Tables: the ``reliability`` and
``note`` columns of docs/CONTRACTS.md §5.

Figures and tables of notebooks owned by other issues that have not yet been brought up to these rules are listed
below with their owner; the tests fail for any other figure or table, and for any listed one that gets worse.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from tppo_analysis.output import plotting
from tppo_analysis.output.tables import with_reliability

REPO = Path(__file__).resolve().parents[1]
SIDECARS = sorted((REPO / "figures").glob("*.json"))
TABLES = sorted(p for p in (REPO / "results").glob("*.csv"))

#: Figures still saved with a bare caption (no structured fields), by owning issue. Notebook 05 is not here.
PENDING_FIELDS: dict[str, str] = {}
#: Figures whose colours are set in their notebook's source, below the threshold (bluish green meets blue, 11.7).
PENDING_COLOURS: dict[str, str] = {}
#: Result tables without reliability / note columns yet, by owning issue.
PENDING_TABLES: dict[str, str] = {}


def _sidecar(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_there_are_committed_figures_and_tables():
    assert len(SIDECARS) >= 10 and len(TABLES) >= 15


@pytest.mark.parametrize("path", SIDECARS, ids=lambda p: p.stem)
def test_every_figure_passes_the_colour_vision_test(path):
    side = _sidecar(path)
    colours = side["colours"]
    assert colours, "no labelled mark: every mark needs a legend entry"
    check = plotting.colour_vision_check(colours)  # recomputed from the stored colours, not read from the sidecar
    assert check["min_delta_e"] == side["colour_check"]["min_delta_e"]
    if path.stem in PENDING_COLOURS:
        pytest.xfail(f"colours set in the notebook source ({PENDING_COLOURS[path.stem]}): {check}")
    assert check["passes"], check


@pytest.mark.parametrize("path", SIDECARS, ids=lambda p: p.stem)
def test_every_figure_carries_the_structured_sidecar_fields(path):
    side = _sidecar(path)
    present = all(side.get(k) for k in plotting.REQUIRED_FIELDS) and side.get("structured")
    if path.stem in PENDING_FIELDS and not present:
        pytest.xfail(f"saved with a bare caption ({PENDING_FIELDS[path.stem]})")
    assert present, {k: side.get(k) for k in plotting.REQUIRED_FIELDS}
    for key in ("period", "n", "interval"):
        assert str(side[key]) in side["caption"]


def _codes() -> list[str]:
    from tppo_analysis.record.summary import measure_labels, series_labels

    return sorted([k for k in series_labels() if ":" in k] + list(measure_labels()), key=len, reverse=True)


@pytest.mark.parametrize("path", sorted((REPO / "figures").glob("*.svg")), ids=lambda p: p.stem)
def test_no_internal_code_in_any_figure_text(path):
    svg = path.read_text(encoding="utf-8")
    text = (
        " ".join(re.findall(r"<text\b[^>]*>(.*?)</text>", svg, re.S))
        + " "
        + _sidecar(path.with_suffix(".json"))["caption"]
    )
    assert "<text" in svg  # fonttype none: the text is searchable
    assert [c for c in _codes() if re.search(rf"(?<![\w:-]){re.escape(c)}(?![\w:-])", text)] == []


@pytest.mark.parametrize("path", TABLES, ids=lambda p: p.stem)
def test_every_result_table_carries_reliability_and_note(path):
    columns = set(pd.read_csv(path, nrows=0).columns)
    has = {"reliability", "note"} <= columns
    if path.stem in PENDING_TABLES and not has:
        pytest.xfail(f"no reliability / note columns yet ({PENDING_TABLES[path.stem]})")
    assert has
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    if "estimate" in table:  # a row with an estimate says what it rests on
        assert (table.loc[table["estimate"] != "", "reliability"].str.strip() != "").all()


def test_with_reliability_fills_blanks_and_keeps_text():
    df = pd.DataFrame({"estimate": [1.0, 2.0], "reliability": ["5 windows", ""]})
    out = with_reliability(df, "one reported figure", note=pd.Series(["", "rounded"]))
    assert list(out["reliability"]) == ["5 windows", "one reported figure"]
    assert list(out["note"]) == ["", "rounded"]
