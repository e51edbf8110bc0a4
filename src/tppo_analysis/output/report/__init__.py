"""The reviewer-ready report: run the notebooks, then render a static, fully offline HTML report.

``tppo report`` (what ``make report`` runs)
    Executes ``notebooks/*.ipynb`` in name order, in place (outputs are committed;
    :func:`tppo_analysis.output.notebooks.execute_notebook` normalises them so a rerun gives the same bytes), which
    rewrites ``figures/`` and ``results/``; then renders ``report/`` (git-ignored):

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
    read, never written. The privacy scanner (:mod:`tppo_analysis.privacy.scan`) is then run over ``DIR``.

Nothing in the report carries a timestamp, and external data folders are named by their last component only (an
absolute path can itself identify a person or an office).

Modules: :mod:`.build` (the two builds, the output-folder check, the privacy scan of restricted output),
:mod:`.html` (offline notebook pages, the index, the provenance block) and :mod:`.figures` (notebook discovery and
the figure cards).
"""

from .build import build_report, build_restricted_report, check_output_dir, privacy_scan
from .figures import FigureCard, collect_figures, discover_notebooks
from .html import check_offline_html, render_index, render_notebook_html, strip_external_tags

__all__ = [
    "FigureCard",
    "build_report",
    "build_restricted_report",
    "check_offline_html",
    "check_output_dir",
    "collect_figures",
    "discover_notebooks",
    "privacy_scan",
    "render_index",
    "render_notebook_html",
    "strip_external_tags",
]
