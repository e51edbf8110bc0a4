"""A staggered-adoption design that holds the column roles once: ``tppo.StaggeredDesign``.

The program-effect functions of :mod:`tppo_analysis.effects` each take the panel and its four column roles
(``outcome``, ``unit``, ``time``, ``cohort``). A notebook that fits three estimators, decomposes the TWFE estimate,
runs a placebo, a spillover ring and a permutation test repeats them eight times. :class:`StaggeredDesign` binds the
panel and the roles once (as CausalPy's experiment classes do in their constructor) and delegates every call to the
existing function, so the numbers are exactly those of the direct calls (tested):

=================================  ==========================================================================
``design.fit(estimator, **kw)``    :func:`tppo_analysis.effects.fit`
``design.bacon()``                 :func:`tppo_analysis.effects.bacon`
``design.placebo(shift)``          a design on :func:`tppo_analysis.effects.placebo_shift`'s placebo panel
``design.rings(area)``             a design on :func:`tppo_analysis.effects.ring_exposure`'s exposure cohorts
``design.permutation_test(...)``   :func:`tppo_analysis.effects.permutation_test`
=================================  ==========================================================================

``placebo`` and ``rings`` return designs (on the placebo panel; on the untreated units with ``exposure_cohort`` as
the cohort), so the check reads as what it is: ``design.placebo(12).fit()``, ``design.rings("district_code").fit()``.
``offset`` and ``cluster``, when given, are passed to every fit.
"""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd

from .api import fit as _fit
from .placebo import permutation_test as _permutation_test
from .placebo import placebo_shift as _placebo_shift
from .placebo import ring_exposure as _ring_exposure
from .result import EffectResult
from .twfe import bacon as _bacon

__all__ = ["StaggeredDesign"]


class StaggeredDesign:
    """A balanced unit x period panel with staggered adoption and the role of each column.

    Parameters
    ----------
    panel : pandas.DataFrame
        One row per unit and period (balanced; zero counts present, not missing).
    outcome : str
        The outcome column (counts per unit-period for ``poisson_etwfe``).
    unit : str
        The unit id column (e.g. ``"village_code"``).
    time : str
        The period column: integers (years) or months (Period or datetime).
    cohort : str
        First treated period of the unit (same type as ``time``); 0 or missing = never treated.
    offset : str, optional
        Column of a positive exposure entered as its log in every fit (``effects.fit(offset=)``).
    cluster : str, optional
        Column to cluster by in every fit (``effects.fit(cluster=)``; default the unit).

    Examples
    --------
    >>> import tppo_analysis as tppo
    >>> sim = tppo.load_data("synthetic_small_panel", seed=1, n_villages=200, n_periods=12, cohorts=(6, 8))
    >>> design = tppo.StaggeredDesign(sim.panel, "y", "unit", "period", "cohort")
    >>> result = design.fit("poisson_etwfe")
    >>> placebo = design.placebo(3).fit()
    >>> comparisons = design.bacon()
    """

    def __init__(
        self,
        panel: pd.DataFrame,
        outcome: str,
        unit: str,
        time: str,
        cohort: str,
        *,
        offset: str | None = None,
        cluster: str | None = None,
    ) -> None:
        self.panel, self.outcome, self.unit, self.time, self.cohort = panel, outcome, unit, time, cohort
        self.offset, self.cluster = offset, cluster

    def __repr__(self) -> str:
        """Name the roles and the panel's size, not its contents."""
        extra = "".join(f", {k}={v!r}" for k, v in self._fit_options().items())
        return (
            f"StaggeredDesign({len(self.panel):,} rows; outcome={self.outcome!r}, unit={self.unit!r}, "
            f"time={self.time!r}, cohort={self.cohort!r}{extra})"
        )

    def _fit_options(self) -> dict[str, Any]:
        return {k: v for k, v in (("offset", self.offset), ("cluster", self.cluster)) if v is not None}

    def fit(self, estimator: Literal["poisson_etwfe", "cs", "twfe"] = "poisson_etwfe", **kwargs: Any) -> EffectResult:
        """Estimate the program effect with ``estimator`` (:func:`tppo_analysis.effects.fit`).

        Parameters
        ----------
        estimator : {"poisson_etwfe", "cs", "twfe"}
            Poisson ETWFE (rate ratio; parallel trends on the ratio scale), Callaway-Sant'Anna (levels) or the naive
            static TWFE (levels; for contrast only).
        **kwargs : Any
            Further options of :func:`tppo_analysis.effects.fit` (``control``, ``covariates``, ``n_boot``, ``seed``,
            ``engine``, ...); ``offset`` and ``cluster`` default to the design's.

        Returns
        -------
        EffectResult
            The fitted effects.
        """
        options = {**self._fit_options(), **kwargs}
        return _fit(self.panel, self.outcome, self.unit, self.time, self.cohort, estimator=estimator, **options)

    def bacon(self) -> pd.DataFrame:
        """Decompose the static TWFE estimate into its 2x2 comparisons (:func:`tppo_analysis.effects.bacon`).

        Returns
        -------
        pandas.DataFrame
            One row per comparison: treated, control, comparison type, estimate, weight.
        """
        return _bacon(self.panel, self.outcome, self.unit, self.time, self.cohort)

    def placebo(self, shift: int) -> StaggeredDesign:
        """Return the design of the ratio-scale pre-trend placebo (:func:`tppo_analysis.effects.placebo_shift`).

        Parameters
        ----------
        shift : int
            Periods before the first real launch at which every ever-treated unit gets a fake launch.

        Returns
        -------
        StaggeredDesign
            The same roles on the placebo panel (periods before the first real launch only); its ``fit()`` estimates
            an effect where there was none.
        """
        panel = _placebo_shift(self.panel, time=self.time, cohort=self.cohort, shift=shift)
        return StaggeredDesign(
            panel, self.outcome, self.unit, self.time, self.cohort, offset=self.offset, cluster=self.cluster
        )

    def rings(self, area: str, *, exclude_treated: bool = True) -> StaggeredDesign:
        """Return the design of a spillover ring by administrative area (:func:`tppo_analysis.effects.ring_exposure`).

        Parameters
        ----------
        area : str
            The unit-level area column whose other units' enrolment counts as exposure (e.g. ``"district_code"``
            for the same kecamatan, ``"regency_code"`` for the same kabupaten).
        exclude_treated : bool
            Drop the directly treated units (default), so the fit compares untreated units near a program unit
            with untreated units in areas without one.

        Returns
        -------
        StaggeredDesign
            The same outcome, unit and time, with ``exposure_cohort`` (first period another unit of the area was
            enrolled; 0 = never) as the cohort.
        """
        panel = _ring_exposure(
            self.panel, unit=self.unit, cohort=self.cohort, ring=area, exclude_treated=exclude_treated
        )
        return StaggeredDesign(
            panel, self.outcome, self.unit, self.time, "exposure_cohort", offset=self.offset, cluster=self.cluster
        )

    def permutation_test(self, n_perm: int = 999, *, seed: int = 0, eligible: str | None = None) -> pd.DataFrame:
        """Test "no effect" by placebo designations (:func:`tppo_analysis.effects.permutation_test`).

        Parameters
        ----------
        n_perm : int
            Number of random re-designations of the cohorts among the eligible units.
        seed : int
            Seed of the permutations.
        eligible : str, optional
            Boolean unit-level column of the units a designation may fall on (default: every unit).

        Returns
        -------
        pandas.DataFrame
            One row: estimate (the observed rate ratio), p_value, n_perm, n_failed.
        """
        return _permutation_test(
            self.panel, self.outcome, self.unit, self.time, self.cohort, n_perm=n_perm, seed=seed, eligible=eligible
        )
