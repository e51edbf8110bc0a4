"""The report's first screen, before the gallery.

Purpose, findings with their intervals and sources, the can / cannot box, what is SYNTHETIC and not a finding, and
the coverage chart.

Every number in a finding is wrapped in ``<span class="cell" data-row=… data-col=…>`` and every finding names its
table (``data-table``) and the filters of its rows (``data-rows``), so a test can find the same cells in the CSV.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path

from .figures import FigureCard
from .findings import CAN, CANNOT, NOT_FINDINGS, PURPOSE, Finding

__all__ = ["FRONT_CSS", "COVERAGE_FIGURE", "render_front"]

#: The figure shown first: which windows the record covers (notebook 00).
COVERAGE_FIGURE = "00_reported_windows"

FRONT_CSS = """
.purpose { font-size: 17px; line-height: 1.5; max-width: 950px; margin: 8px 0 4px; }
.front { display: grid; grid-template-columns: minmax(0, 2fr) minmax(0, 1fr); gap: 22px; align-items: start; }
@media (max-width: 900px) { .front { grid-template-columns: 1fr; } }
ol.findings { padding-left: 22px; margin: 6px 0; }
ol.findings li { margin: 0 0 14px; }
.finding .sentence { font-size: 15px; line-height: 1.45; margin: 0 0 4px; }
.finding .basis { font-size: 12.5px; color: #444; line-height: 1.4; margin: 0; }
.cell { font-weight: bold; }
.box { background: white; border: 1px solid #ccc; border-radius: 6px; padding: 10px 14px; margin-bottom: 14px; }
.box h3 { font-size: 15px; margin: 4px 0 6px; } .box ul { padding-left: 18px; margin: 4px 0 8px; }
.box li { font-size: 13px; line-height: 1.4; margin-bottom: 4px; }
.box.synthetic { border: 2px solid #D55E00; }
figure.coverage { margin: 18px 0 0; background: white; border: 1px solid #ddd; border-radius: 6px; padding: 10px; }
figure.coverage img { width: 100%; height: auto; } figure.coverage figcaption { font-size: 13px; color: #333; }
details.provenance summary { cursor: pointer; font-weight: bold; }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _parts_html(parts: Sequence) -> str:
    out = []
    for p in parts:
        if isinstance(p, str):
            out.append(_e(p))
        else:
            row, col, shown = p
            out.append(f'<span class="cell" data-row="{_e(row)}" data-col="{_e(col)}">{_e(shown)}</span>')
    return "".join(out)


def _finding_html(f: Finding) -> str:
    lines = ", ".join(f"line {n}" for n in sorted(set(f.lines.values())))
    return (
        f'<li class="finding" id="finding-{_e(f.key)}" data-table="{_e(f.table)}" '
        f"data-rows='{_e(json.dumps(f.rows, sort_keys=True))}'>"
        f'<p class="sentence">{_parts_html(f.parts)}</p>'
        f'<p class="basis"><b>Basis:</b> {_parts_html(f.basis_parts)} <span class="cite">Source: '
        f'<a href="results/{_e(f.table)}.csv">results/{_e(f.table)}.csv</a>, {lines}.</span></p></li>'
    )


def render_front(
    *,
    findings: Sequence[Finding] | None,
    problem: str | None,
    cards: Sequence[FigureCard],
    results_dir: Path,
    n_figures: int | None,
    n_outlets: int | None,
) -> str:
    """Render the first screen: purpose, findings (or why there are none), can / cannot, not findings, coverage.

    Parameters
    ----------
    findings : sequence of Finding or None
        Built findings (:func:`.findings.build_findings`); None when they could not be built.
    problem : str or None
        Why there are no findings, shown in their place.
    cards : sequence of FigureCard
        The figure cards; the SYNTHETIC ones are listed as not findings, the coverage chart is shown.
    results_dir : Path
        Folder of the result tables (SYNTHETIC tables are listed).
    n_figures : int or None
        Number of figures in the public record, for the purpose line.
    n_outlets : int or None
        Number of distinct outlets in the public record.
    """
    purpose = PURPOSE.format(
        n_figures=f"{n_figures:,}" if n_figures else "the", n_outlets=f"{n_outlets:,}" if n_outlets else "many"
    )
    if findings:
        block = '<ol class="findings">\n' + "\n".join(_finding_html(f) for f in findings) + "\n</ol>"
    else:
        block = f'<p class="warn">No findings shown: {_e(problem or "no result tables")}</p>'
    synthetic_cards = [c for c in cards if c.synthetic]
    synthetic_tables = sorted(p.name for p in results_dir.glob("*_synthetic.csv")) if results_dir.is_dir() else []
    syn_items = "".join(f'<li>figure <a href="#fig-{_e(c.name)}">{_e(c.title)}</a></li>' for c in synthetic_cards)
    syn_items += "".join(f'<li>table <a href="results/{_e(n)}">{_e(n)}</a></li>' for n in synthetic_tables)
    coverage = next((c for c in cards if c.name == COVERAGE_FIGURE), None)
    cov_html = ""
    if coverage is not None:
        cov_html = (
            f'<figure class="coverage" id="coverage"><a href="figures/{_e(coverage.png)}"><img '
            f'src="figures/{_e(coverage.png)}" alt="{_e(coverage.title)}" loading="eager"></a>'
            f"<figcaption><b>{_e(coverage.title)}.</b> {_e(coverage.caption)}</figcaption></figure>"
        )
    can = "".join(f"<li>{_e(x)}</li>" for x in CAN)
    cannot = "".join(f"<li>{_e(x)}</li>" for x in CANNOT)
    return f"""<section id="first-screen">
<p class="purpose" id="purpose">{_e(purpose)}</p>
<div class="front">
<div id="findings"><h2>What the public record shows</h2>
{block}
</div>
<aside>
<div class="box" id="can-cannot"><h3>What this record can support</h3><ul>{can}</ul>
<h3>What it cannot</h3><ul>{cannot}</ul></div>
<div class="box synthetic" id="not-findings"><h3><span class="badge synthetic">SYNTHETIC</span> Not findings</h3>
<p>{_e(NOT_FINDINGS)}</p><ul>{syn_items}</ul></div>
</aside>
</div>
{cov_html}
</section>"""
