"""Program-effect estimators for staggered adoption (Desa Binaan Imigrasi), built on ``diff-diff``.

One entry point, :func:`fit`, returns an :class:`EffectResult` with tidy frames:

* ``estimator="cs"`` — Callaway & Sant'Anna (2021) ATT(g,t) from ``diff_diff.CallawaySantAnna`` (doubly robust
  with covariates, varying base period as R ``did``), aggregated exactly as R ``did::aggte`` (simple, dynamic/event,
  group, calendar), including the influence function of the estimated aggregation weights. Analytic standard errors by
  default; ``n_boot > 0`` adds the R ``did`` multiplier bootstrap (Mammen weights, IQR-based standard errors) and
  uniform (sup-t) bands. Scale "count": effects are in outcome units (e.g. deferrals per village-month).
  Without covariates the cells (then a difference in means, the same cells, base periods, control sets and influence
  functions as diff-diff's) are computed here on the unit x period outcome matrix, and their influence functions are
  never stored as a units x cells matrix: each aggregation forms its weighted sums cohort by cohort
  (:class:`_CompactPsi`), so a national monthly panel (83,762 villages x 72 months) takes seconds and ~1 GB.
* ``estimator="poisson_etwfe"`` — Wooldridge (2023) Poisson extended TWFE. Cell coefficients are log rate ratios
  (treated vs counterfactual mean count), identified by parallel trends *on the ratio scale* (multiplicative common
  trends). Without covariates the fast national implementation in :mod:`tppo_analysis.effects._etwfe_fast` is used;
  with covariates (or ``engine="diff_diff"``) ``diff_diff.WooldridgeDiD(method="poisson")``.
  Scale "ratio"; ``aggregate("count")`` gives the average effect in counts per treated village-month. Cohorts the
  fast implementation leaves out (no event before adoption: baseline rate not identified) are listed, unit by unit,
  in ``EffectResult.excluded`` and named in ``notes``.
* ``estimator="twfe"`` — the naive static two-way fixed effects regression in levels (``diff_diff.TwoWayFixedEffects``),
  kept as the contrast that the staggered design literature warns about; :func:`bacon` decomposes it.

Diagnostics: :func:`bacon` (Goodman-Bacon decomposition, diff-diff), :func:`honest_bounds` and
``EffectResult.sensitivity`` (HonestDiD), :func:`honest_ratio` (HonestDiD on the binned ratio-scale event study;
:func:`breakdown_m`, :func:`breakdown_table`), :func:`ring_exposure` (same-kecamatan / same-regency spillover rings),
:func:`placebo_shift` (ratio-scale pre-trend placebo) and :func:`permutation_test` (placebo designations, for few
treated villages).

``time`` and ``cohort`` may be integers (years) or monthly periods (``pandas.Period``/datetime); a cohort of 0 or
missing means never treated. Units first treated at or before the first observed period are dropped (as R ``did``
does) and cohorts after the last period are treated as never treated; both are listed in ``EffectResult.notes``.

One module per estimator, after ``pyfixest/did/``: :mod:`.api` (``fit``), :mod:`.result` (``EffectResult``),
:mod:`.cs`, :mod:`.etwfe` (+ the sufficient-statistics engine ``_etwfe_fast``), :mod:`.twfe` (+ ``bacon``),
:mod:`.honestdid`, :mod:`.placebo`; ``_panel`` is the one panel check they share and ``_diffdiff`` holds every use of
diff-diff (the one file to review when the ``diff-diff`` pin moves).
"""

from .api import fit
from .compare import bacon_summary, compare
from .honestdid import breakdown_m, honest_bounds
from .placebo import permutation_test, placebo_shift, ring_exposure
from .pretrend import breakdown_table, honest_ratio, pretrend
from .result import AGGREGATIONS, EffectResult
from .twfe import bacon

__all__ = [
    "EffectResult",
    "fit",
    "compare",
    "bacon_summary",
    "pretrend",
    "honest_ratio",
    "breakdown_table",
    "breakdown_m",
    "bacon",
    "honest_bounds",
    "ring_exposure",
    "permutation_test",
    "placebo_shift",
    "AGGREGATIONS",
]
