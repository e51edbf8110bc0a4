"""The public record -> reconciled observations -> descriptive tables.

* :mod:`~tppo_analysis.record.reconciliation` — non-overlapping interval observations and the audit
  (``tppo.reconcile``; the module keeps this name so it never shadows the exported function);
* :mod:`~tppo_analysis.record.summary` — what the record holds: counts, coverage, audit summaries, the timeline;
* :mod:`~tppo_analysis.record.trends` — trend and seasonality tables over interval-model fits;
* :mod:`~tppo_analysis.record.rates` — rates where the record has denominators.
"""
