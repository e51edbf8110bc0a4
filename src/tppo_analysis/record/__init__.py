"""The public record -> reconciled observations -> descriptive tables.

* :mod:`~tppo_analysis.record.reconciliation` — non-overlapping interval observations and the audit
  (``tppo.reconcile``; the module keeps this name so it never shadows the exported function);
* :mod:`~tppo_analysis.record.summary` — what the record holds: counts, coverage, audit summaries, the timeline;
* :mod:`~tppo_analysis.record.rates` — rates where the record has denominators;
* :mod:`~tppo_analysis.record.trend_context` — dated events and passport rates beside the trend tables (no model);
* :mod:`~tppo_analysis.record._figure_style` — the house style of every figure (palette, ``apply_style``,
  ``time_axis``), here because the record's timeline figure needs it and ``record`` may not import ``output``.

The trend tables over interval-model fits live in :mod:`tppo_analysis.models.trends` (``tppo.trends``): built on the
models, they belong to the later stage.
"""
