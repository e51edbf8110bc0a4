"""The report's first screen: findings traceable to table cells, the can / cannot box, no internal code on the page.

The findings are read back from the rendered HTML: every number is a ``span.cell`` naming its row and column, every
finding names its table and the filters of its rows. The test reads the same CSV on its own (pandas, not the
builder) and checks that each shown number is the cell rounded to 3 significant digits (counts in full).
"""

from __future__ import annotations

import io
import json
import math
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from tppo_analysis.errors import TppoError
from tppo_analysis.output.report import build_report
from tppo_analysis.output.report.findings import FINDINGS, FindingSpec, build_findings, format_number

REPO = Path(__file__).resolve().parents[1]


def _round3(x: float) -> float:
    if x == 0:
        return 0.0
    return round(x, 2 - math.floor(math.log10(abs(x))))


class _Findings(HTMLParser):
    """Collect findings (table, rows, cells shown) and the visible text of a page."""

    def __init__(self):
        super().__init__()
        self.findings: list[dict] = []
        self.text: list[str] = []
        self._cell: dict | None = None
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("style", "script"):
            self._skip += 1
        if tag == "li" and "finding" in (a.get("class") or "").split():
            self.findings.append({"table": a["data-table"], "rows": json.loads(a["data-rows"]), "cells": [],
                                  "id": a.get("id")})  # fmt: skip
        if tag == "span" and "cell" in (a.get("class") or "").split():
            self._cell = {"row": a["data-row"], "col": a["data-col"], "shown": ""}

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip -= 1
        if tag == "span" and self._cell is not None:
            self.findings[-1]["cells"].append(self._cell)
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell["shown"] += data
        if not self._skip:
            self.text.append(data)


def read_findings(html_text: str) -> _Findings:
    parser = _Findings()
    parser.feed(html_text)
    return parser


def check_findings_against_tables(findings: list[dict], results_dir: Path) -> list[str]:
    """Every shown number equals its cited CSV cell after the stated rounding; return the mismatches."""
    problems = []
    for f in findings:
        table = pd.read_csv(results_dir / f"{f['table']}.csv", dtype=str, keep_default_na=False)
        for cell in f["cells"]:
            mask = pd.Series(True, index=table.index)
            for col, want in f["rows"][cell["row"]].items():
                mask &= table[col] == str(want)
            if mask.sum() != 1:
                problems.append(f"{f['id']}: row {cell['row']} selects {int(mask.sum())} rows of {f['table']}")
                continue
            raw = table.loc[mask, cell["col"]].iloc[0]
            shown = float(cell["shown"].replace(",", ""))
            want = float(raw) if re.fullmatch(r"-?\d+", raw) else _round3(float(raw))
            if not math.isclose(shown, want, rel_tol=1e-9, abs_tol=1e-12):
                problems.append(f"{f['id']}: shows {cell['shown']} for {f['table']}.{cell['col']} = {raw}")
    return problems


def internal_codes() -> list[str]:
    from tppo_analysis.record.summary import measure_labels, series_labels

    return sorted([k for k in series_labels() if ":" in k] + list(measure_labels()), key=len, reverse=True)


def test_findings_are_built_from_the_committed_tables_with_intervals():
    findings = build_findings(FINDINGS, REPO / "results")
    assert len(findings) >= 3
    for f in findings:
        assert any({"ci_lower", "ci_upper"} <= set(c) for c in f.cells.values()), f.key
        assert f.basis.strip() and f.text.strip()


def test_format_number_rounds_to_three_significant_digits_and_keeps_counts():
    assert [format_number(x) for x in ("7.848", "19.245", "10138", "0.01234", "1234.5", "61.4364")] == [
        "7.85", "19.2", "10,138", "0.0123", "1,230", "61.4"]  # fmt: skip


def test_a_finding_whose_filter_is_ambiguous_or_without_interval_is_refused(tmp_path):
    pd.DataFrame({"k": ["a", "a"], "estimate": [1.0, 2.0], "ci_lower": [0.5, 1], "ci_upper": [2, 3]}).to_csv(
        tmp_path / "t.csv", index=False
    )
    with pytest.raises(TppoError, match="selects 2 rows"):
        build_findings([FindingSpec("x", "t", {"a": {"k": "a"}}, "{a.estimate} ({a.ci_lower}–{a.ci_upper})", "b")],
                       tmp_path)  # fmt: skip
    pd.DataFrame({"k": ["a"], "estimate": [1.0]}).to_csv(tmp_path / "u.csv", index=False)
    with pytest.raises(TppoError, match="interval"):
        build_findings([FindingSpec("y", "u", {"a": {"k": "a"}}, "{a.estimate}", "b")], tmp_path)


@pytest.fixture(scope="module")
def real_report(tmp_path_factory) -> Path:
    """Render the report from the committed notebooks, figures and tables (no execution)."""
    out = tmp_path_factory.mktemp("report")
    return build_report(report_dir=out, execute=False, stream=io.StringIO())


def test_first_screen_shows_findings_that_equal_their_table_cells(real_report):
    page = read_findings(real_report.read_text(encoding="utf-8"))
    assert len(page.findings) >= 3
    for f in page.findings:
        cols = {c["col"] for c in f["cells"]}
        # a point estimate (an ``estimate``, or a trend table's ``ratio``) and its interval
        assert {"ci_lower", "ci_upper"} <= cols and cols & {"estimate", "ratio"}, f["id"]
    assert check_findings_against_tables(page.findings, REPO / "results") == []


def test_the_check_catches_a_number_that_differs_from_its_cell(real_report):
    page = read_findings(real_report.read_text(encoding="utf-8"))
    f = json.loads(json.dumps(page.findings[0]))
    f["cells"][0]["shown"] = str(float(f["cells"][0]["shown"].replace(",", "")) * 1.1)
    assert check_findings_against_tables([f], REPO / "results")


def test_first_screen_has_purpose_can_cannot_and_not_findings_before_the_gallery(real_report):
    text = real_report.read_text(encoding="utf-8")
    order = [text.index(marker) for marker in ('id="purpose"', 'id="findings"', 'id="can-cannot"',
                                                'id="not-findings"', 'id="coverage"', 'id="figures"',
                                                'id="notebooks"', 'id="tables"', 'id="provenance"')]  # fmt: skip
    assert order == sorted(order)
    assert re.search(r'<details[^>]*class="provenance"', text)  # provenance collapsed
    assert "SYNTHETIC" in text[text.index('id="not-findings"') : text.index('id="coverage"')]


def test_no_internal_series_code_is_visible_on_the_page(real_report):
    visible = " ".join(read_findings(real_report.read_text(encoding="utf-8")).text)
    shown = [code for code in internal_codes() if code in visible]
    assert shown == []


def test_the_code_check_would_see_a_code(tmp_path):
    page = read_findings("<p>Soekarno-Hatta is tpi:soekarno-hatta</p><style>tpi:juanda</style>")
    visible = " ".join(page.text)
    assert "tpi:soekarno-hatta" in visible and "tpi:juanda" not in visible


def test_readme_repeats_the_findings_numbers_as_the_tables_give_them():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## What the record shows", 1)[1].split("\n## ", 1)[0]
    for f in build_findings(FINDINGS, REPO / "results"):
        for part in f.parts:
            if not isinstance(part, str) and part[1] == "estimate":
                assert part[2] in section, (f.key, part)
