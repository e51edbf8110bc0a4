"""Figures, result tables, notebooks and the report: the end of the flow.

* :mod:`~tppo_analysis.output.plotting` — one figure style and ``save_figure`` (PNG + SVG + sidecar, SYNTHETIC marks);
* :mod:`~tppo_analysis.output.tables` — ``save_table`` (CSV + provenance sidecar, small cells suppressed);
* :mod:`~tppo_analysis.output.notebooks` — reproducible notebook execution with stable bytes;
* :mod:`~tppo_analysis.output.report` — the static offline HTML report (``tppo report``).
"""
