"""Moved to :mod:`tppo_analysis.output.report` in 0.2 (the package is laid out by flow stage).

This old path keeps working for one release: every name warns (DeprecationWarning) and forwards to its new
home.
"""

from ._deprecated import forward

__all__ = [
    "FigureCard",
    "build_report",
    "build_restricted_report",
    "check_offline_html",
    "configure_parser",
    "discover_notebooks",
    "run",
    "collect_figures",
    "run_notebooks",
    "strip_external_tags",
    "render_notebook_html",
    "collect_provenance",
    "render_index",
    "check_output_dir",
    "privacy_scan",
    "KEY_DEPENDENCIES",
]

__getattr__, __dir__ = forward(
    "tppo_analysis.report",
    {
        "FigureCard": "tppo_analysis.output.report.figures",
        "build_report": "tppo_analysis.output.report.build",
        "build_restricted_report": "tppo_analysis.output.report.build",
        "check_offline_html": "tppo_analysis.output.report.html",
        "configure_parser": "tppo_analysis.cli:configure_report",
        "discover_notebooks": "tppo_analysis.output.report.figures",
        "run": "tppo_analysis.cli:run_report",
        "collect_figures": "tppo_analysis.output.report.figures",
        "run_notebooks": "tppo_analysis.output.notebooks",
        "strip_external_tags": "tppo_analysis.output.report.html",
        "render_notebook_html": "tppo_analysis.output.report.html",
        "collect_provenance": "tppo_analysis.provenance",
        "render_index": "tppo_analysis.output.report.html",
        "check_output_dir": "tppo_analysis.output.report.build",
        "privacy_scan": "tppo_analysis.output.report.build",
        "KEY_DEPENDENCIES": "tppo_analysis.provenance",
    },
    default=None,
)
