"""Rendering the report: offline notebook pages and the index.

Rendering: each executed notebook as a standalone offline page, and the index with figure cards, notebooks,
result tables and the provenance block. Nothing is fetched from the network and nothing carries a timestamp.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ...errors import TppoError
from .figures import FigureCard
from .front import FRONT_CSS

__all__ = ["strip_external_tags", "check_offline_html", "render_notebook_html", "render_index"]

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

# A URL that would be fetched from the network: http(s), protocol-relative, ftp.
_REMOTE = r"(?:https?:|ftp:)?//"
# Attributes that make a browser fetch: src/href/data/poster/srcset/xlink:href/background/action/formaction.
_FETCH_ATTR = re.compile(
    r"""\b(?:src|href|xlink:href|data|poster|background|srcset|action|formaction)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""",
    re.IGNORECASE,
)
_CSS_URL = re.compile(r"""(?:url\(\s*["']?|@import\s+["'])\s*((?:https?:|ftp:)?//[^"')\s]+)""", re.IGNORECASE)
_TAG = re.compile(r"<([a-zA-Z][\w:-]*)\b[^>]*>", re.DOTALL)
# <a href> is a link the reader may follow, not a fetch.
_NAVIGATION = {"a"}


def _exporter():
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="lab",
        extra_loaders=[DictLoader({"tppo_offline.html.j2": _OFFLINE_TEMPLATE})],
    )
    exporter.template_file = "tppo_offline.html.j2"
    return exporter


def _tag_urls(tag: str, name: str) -> list[str]:
    if name.lower() in _NAVIGATION:
        return []
    urls = []
    for value in _FETCH_ATTR.findall(tag):
        value = value.strip("\"'")
        for part in value.split(","):  # srcset: "a.png 1x, b.png 2x"
            url = part.strip().split(" ")[0]
            if re.match(_REMOTE, url, re.IGNORECASE):
                urls.append(url)
    return urls + _CSS_URL.findall(tag)


def strip_external_tags(text: str) -> str:
    """Remove every tag that would fetch from the network, and remote CSS ``url()``/``@import``.

    Tags: script, link, img, iframe, object, embed, video, audio, source, SVG image, srcset, inline ``style`` with
    ``url(…)``.

    Parameters
    ----------
    text : str
        An HTML page.

    Returns
    -------
    str
        The page without anything that would fetch from the network.
    """

    def tag(m: re.Match) -> str:
        return "" if _tag_urls(m.group(0), m.group(1)) else m.group(0)

    text = _TAG.sub(tag, text)
    return _CSS_URL.sub(lambda m: m.group(0).replace(m.group(1), "about:blank"), text)


def check_offline_html(text: str) -> list[str]:
    """Return the URLs a page would fetch from the network (any tag attribute or CSS ``url()``/``@import``).

    An offline page gives an empty list.

    Parameters
    ----------
    text : str
        An HTML page.

    Returns
    -------
    list of str
        The URLs found, in page order.
    """
    found = []
    for m in _TAG.finditer(text):
        found += _tag_urls(m.group(0), m.group(1))
    outside = _TAG.sub(" ", text)  # <style> bodies and text: CSS url() and @import
    return found + _CSS_URL.findall(outside)


def render_notebook_html(nb_path: Path, out_path: Path, exporter=None) -> None:
    """Render one executed notebook to a standalone offline HTML page (images inline, no web scripts).

    Parameters
    ----------
    nb_path : Path
        The executed notebook.
    out_path : Path
        The HTML file to write.
    exporter : nbconvert.HTMLExporter, optional
        A configured exporter to reuse (default: the project's offline template).
    """
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
        '<span class="badge synthetic">SYNTHETIC</span>' if card.synthetic else '<span class="badge public">data</span>'
    )
    if card.notebook:
        anchor = f"#{_e('cell-id=' + card.cell_id)}" if card.cell_id else ""
        where = f'Produced in <a href="notebooks/{_e(card.notebook)}.html{anchor}">{_e(card.notebook)}</a>'
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
    return (
        "<table><thead><tr><th>table (CSV)</th><th>rows</th><th>source</th></tr></thead><tbody>\n"
        + "\n".join(rows)
        + "\n</tbody></table>"
    )


def _provenance_html(prov: Mapping[str, Any]) -> str:
    dirty = prov["git_uncommitted_changes"]
    commit = _e(prov["git_commit"]) + (" (with uncommitted changes)" if dirty else "")
    data_rows = (
        "\n".join(
            f'<tr><td><code>{_e(f["file"])}</code></td><td>{f["bytes"]:,}</td><td class="hash">{f["sha256"]}</td></tr>'
            for f in prov["data_files"]
        )
        or '<tr><td colspan="3">no data files found</td></tr>'
    )
    nb_rows = "\n".join(
        f'<tr><td><code>{_e(f["file"])}</code></td><td class="hash">{f["sha256"]}</td></tr>' for f in prov["notebooks"]
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
    front: str = "",
) -> str:
    """Return the report's ``index.html``.

    The first screen (``front``) comes first, then the gallery, notebooks, tables and the provenance block (collapsed).

    Parameters
    ----------
    cards : list of FigureCard
        The figures, with captions and sources.
    notebooks : list of Path
        The executed notebooks, linked from the index.
    results_dir : Path
        The result tables listed in the index.
    provenance : mapping
        Package version, commit, data hashes and dependency versions (:func:`tppo_analysis.provenance.collect_provenance`).
    restricted : bool
        Built from a restricted extract: the page says so and must not be shared.
    front : str
        HTML of the first screen (findings and what the record can and cannot support).
    """
    n_syn = sum(c.synthetic for c in cards)
    nb_items = (
        "\n".join(
            f'<li><a href="notebooks/{_e(nb.stem)}.html">{_e(nb.stem)}</a> — {_e(_notebook_title(nb))}</li>'
            for nb in notebooks
        )
        or "<li>No notebooks.</li>"
    )
    cards_html = "\n".join(_card_html(c) for c in cards) or "<p>No figures.</p>"
    scope = (
        '<p class="lead"><b>Restricted-data run.</b> Built from an external data folder. Do not share this '
        "folder unless the privacy scan that <code>tppo report</code> ran on it afterwards found nothing.</p>"
        if restricted
        else ""
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tppo-analysis report</title>
<link rel="icon" href="data:,">
<style>{_CSS}{FRONT_CSS}</style>
</head>
<body>
<header>
<h1>Deferrals against trafficking in Indonesia: what the public record shows</h1>
{scope}
<p><a href="#findings">Findings</a> · <a href="#can-cannot">What the record can and cannot support</a> ·
<a href="#figures">Figures ({len(cards)}, {n_syn} synthetic)</a> · <a href="#notebooks">Notebooks
({len(notebooks)})</a> · <a href="#tables">Result tables</a> · <a href="#provenance">Provenance</a></p>
</header>
<section>{front}</section>
<section id="figures"><h2>Figures</h2>
<p class="lead">Every figure the notebooks save, with its caption and data source. Figures marked
<span class="badge synthetic">SYNTHETIC</span> show simulated data: they illustrate methods and designs and are
not findings. Each card links to the notebook cell that produced the figure.</p>
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
<details class="provenance"><summary>Package version, git commit, data and notebook hashes, dependency
versions</summary>
{_provenance_html(provenance)}
</details>
</section>
<footer>Generated by <code>tppo report</code>. Static and offline: no script, style or font is fetched from the
network.</footer>
</body>
</html>
"""
