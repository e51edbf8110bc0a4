"""One entry point for the program effect: :func:`fit` checks the panel once and dispatches to the estimator."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from ..errors import DataValidationError, Problem, TppoError
from ..protocol import check_level
from ._panel import prepare
from .cs import fit_cs
from .etwfe import fit_poisson
from .result import EffectResult
from .twfe import fit_twfe

__all__ = ["fit"]

_MAX_OFFSET_UNITS = 20  # units listed one by one after the summary (all are counted in it)


def fit(
    panel: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    estimator: Literal["poisson_etwfe", "cs", "twfe"] = "poisson_etwfe",
    control: Literal["never_treated", "not_yet_treated"] = "never_treated",
    covariates: Sequence[str] = (),
    n_boot: int = 0,
    seed: int = 0,
    engine: Literal["auto", "fast", "diff_diff"] = "auto",
    *,
    offset: str | None = None,
    time_fe_by: str | None = None,
    cluster: str | None = None,
    inference: str = "auto",
    level: float = 0.95,
) -> EffectResult:
    """Estimate the program effect on a balanced unit x period panel with staggered adoption.

    Parameters
    ----------
    panel : pandas.DataFrame
        One row per unit and period (balanced; zero counts present, not missing).
    outcome : str
        The outcome column (counts per unit-period for ``poisson_etwfe``).
    unit : str
        The unit id column.
    time : str
        The period column: integers (years) or months (Period/datetime).
    cohort : str
        First treated period of the unit (same type as ``time``); 0 or missing = never treated.
    estimator : {"poisson_etwfe", "cs", "twfe"}
        "poisson_etwfe" (rate ratio, parallel trends on the ratio scale), "cs" (Callaway-Sant'Anna ATT in levels,
        parallel trends in levels), "twfe" (naive static TWFE in levels; for contrast only).
    control : {"never_treated", "not_yet_treated"}
        The comparison units.
    covariates : sequence of str
        Time-invariant covariates (e.g. baseline sending level). For "cs" they enter the doubly robust outcome and
        propensity models; for "poisson_etwfe" they enter as regressors (diff-diff path).
    n_boot : int
        "cs": multiplier-bootstrap draws (R did mboot, Mammen weights) for SEs and uniform bands;
        "wild_score_bootstrap": its draws (0 means 999).
    seed : int
        Seed of the bootstrap draws.
    engine : {"auto", "fast", "diff_diff"}
        "auto" (default) uses the project's compact implementations when there are no covariates and the panel is a
        full unit x period grid — for "cs" the ATT(g,t) cells and influence functions computed directly (equal to
        diff-diff's to 1e-12, tested), for "poisson_etwfe" :mod:`tppo_analysis.effects._etwfe_fast` — and diff-diff
        otherwise. "diff_diff" forces diff-diff's estimators; "fast" requires the compact path.
    offset : str, optional
        Column of a positive exposure (e.g. ``population``, working-age residents), entered as its log. For
        "poisson_etwfe" it must be constant within a unit, and is then absorbed by the unit fixed effect: the rate
        ratio does not change (a note says so). For "cs" and "twfe" the outcome becomes a rate per 1,000 of the
        exposure (scale "rate"). Every row needs a finite exposure > 0: a missing (NaN, NA, blank), zero, negative,
        infinite or non-numeric value anywhere — e.g. a village of a covered regency that the restricted
        ``village_panel.csv`` does not list, whose ``population`` is empty — raises
        :class:`~tppo_analysis.errors.DataValidationError` counting the rows and units and naming the units (first
        rows' lines), for every estimator; no row is ever dropped to make the offset fit.
    time_fe_by : str, optional
        "poisson_etwfe" only: period effects by this unit-level column (e.g. ``"regency_code"`` for regency x month
        fixed effects, ``"main_destination"`` for destination x month), with treated cells by stratum (validated
        against pyfixest ``fepois`` with ``unit + stratum^month`` fixed effects).
    cluster : str, optional
        Column to cluster by (default the unit; e.g. ``"regency_code"``).
    inference : str
        Interval of the Poisson ETWFE rate ratio and event study: "auto" (default: "conditional_score" up to 500
        treated clusters, "cluster_robust" above), "conditional_score", "wild_score_bootstrap", "cluster_robust"
        (event-pooled, t(G1 - 1)) or "cluster_robust_saturated" (the naive sandwich, for comparison only). The
        result's ``method`` column says which ran (:mod:`tppo_analysis.effects._wild`).
    level : float
        Confidence level of every interval (0.95).

    Returns
    -------
    EffectResult
        The fitted effects (result protocol: ``tidy``, ``conf_int``, ``summary``, ``plot``).

    Raises
    ------
    DataValidationError
        A missing or non-positive ``offset`` in any row (one summary problem, then one problem per unit), or a
        missing outcome or covariate.
    TppoError
        Any other input the estimators cannot use (options, column types, an unbalanced panel).
    """
    if estimator not in ("poisson_etwfe", "cs", "twfe"):
        raise TppoError(f"estimator must be 'poisson_etwfe', 'cs' or 'twfe', got {estimator!r}")
    if control not in ("never_treated", "not_yet_treated"):
        raise TppoError(f"control must be 'never_treated' or 'not_yet_treated', got {control!r}")
    if isinstance(covariates, str):
        covariates = (covariates,)
    covariates = tuple(covariates)
    if n_boot < 0:
        raise TppoError("n_boot must be >= 0")
    level = check_level(level)
    notes: list[str] = []
    if offset is not None:
        panel, outcome, notes = _apply_offset(panel, outcome, unit, offset, estimator)
    prep = prepare(panel, outcome, unit, time, cohort, covariates)
    prep.notes.extend(notes)
    if not (prep.data["_g"] > 0).any():
        raise TppoError("no treated units: every cohort is 0/missing or outside the panel's periods")
    warn: list[str] = []
    if estimator == "cs":
        if control == "never_treated" and not (prep.data["_g"] == 0).any():
            raise TppoError("control='never_treated' but the panel has no never-treated units; use 'not_yet_treated'")
        res = fit_cs(prep, control, covariates, n_boot, seed, warn, engine)
        return _at_level(res, level)
    if estimator == "poisson_etwfe":
        strata = _unit_values(panel, unit, time_fe_by, prep) if time_fe_by else None
        cl = _unit_values(panel, unit, cluster, prep) if cluster else None
        return fit_poisson(
            prep,
            control,
            covariates,
            warn,
            engine,
            strata=strata,
            cluster=cl,
            inference=inference,
            level=level,
            n_boot=n_boot or 999,
            seed=seed,
        )
    if n_boot:
        raise TppoError("n_boot is for estimator='cs' (multiplier bootstrap) and 'poisson_etwfe' (score bootstrap)")
    return _at_level(fit_twfe(prep, covariates, warn), level)


def _unit_values(panel: pd.DataFrame, unit: str, column: str, prep) -> np.ndarray:
    """One value of ``column`` per unit code of ``prep`` (it must be constant within a unit)."""
    if column not in panel.columns:
        raise TppoError(f"panel has no column {column!r}; it has {list(panel.columns)}")
    per = panel[[unit, column]].drop_duplicates()
    if per[unit].duplicated().any():
        bad = per.loc[per[unit].duplicated(), unit].iloc[0]
        raise TppoError(f"column {column!r} must be constant within a unit; unit {bad!r} has several values")
    values = per.set_index(unit)[column].astype(str)
    return values.reindex(pd.Index(prep.unit_labels)).to_numpy()


def _apply_offset(panel: pd.DataFrame, outcome: str, unit: str, offset: str, estimator: str):
    if offset not in panel.columns:
        raise TppoError(f"offset: panel has no column {offset!r}; it has {list(panel.columns)}")
    x = pd.to_numeric(panel[offset], errors="coerce")
    _check_offset(panel, x, unit, offset)
    if estimator == "poisson_etwfe":
        if (x.groupby(panel[unit]).nunique() > 1).any():
            raise TppoError(
                f"offset {offset!r} varies within a unit: the sufficient-statistics Poisson ETWFE needs a "
                "time-invariant exposure per unit (e.g. the extract's working-age population)"
            )
        return (
            panel,
            outcome,
            [
                f"offset log({offset}) is constant within each unit and absorbed by the unit fixed "
                "effect: the rate ratio is the same with or without it"
            ],
        )
    rate = f"{outcome}_per_1000_{offset}"
    return (
        panel.assign(**{rate: panel[outcome] / x * 1000.0}),
        rate,
        [f"outcome is {outcome} per 1,000 {offset} (offset)"],
    )


def _check_offset(panel: pd.DataFrame, x: pd.Series, unit: str, offset: str) -> None:
    """Refuse missing, zero, negative, infinite or non-numeric exposures, naming every unit that has one.

    A unit without a positive exposure cannot enter ``log(offset)``; dropping its rows would change the comparison
    group without saying so, so the whole panel is refused (:class:`DataValidationError`, one problem per unit after
    a summary, lines counted as in :func:`._panel.prepare`, header = line 1).
    """
    xv = x.to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(xv) | (xv <= 0)
    if not bad.any():
        return
    rows = np.flatnonzero(bad)
    units = panel[unit].iloc[rows].astype(str).to_numpy()
    codes, first, per_unit = np.unique(units, return_index=True, return_counts=True)
    order = np.argsort(first, kind="stable")  # units in the order of their first bad row
    rows_per_unit = panel[unit].astype(str).value_counts()
    shown = ", ".join(repr(c) for c in codes[order][:5]) + (f" and {len(codes) - 5} more" if len(codes) > 5 else "")
    problems = [
        Problem(
            "panel",
            None,
            offset,
            None,
            f"{len(rows):,} row(s) of {len(codes):,} unit(s) have no positive {offset} (missing, zero, negative or "
            f"not a number): {shown}. log({offset}) is undefined there and no row is dropped silently: supply these "
            f"units' {offset} (a village that village_panel.csv does not list has none), remove them from the panel "
            "deliberately, or fit without offset=",
        )
    ]
    for i in order[:_MAX_OFFSET_UNITS]:
        pos = int(rows[first[i]])
        raw = panel[offset].iloc[pos]
        problems.append(
            Problem(
                "panel",
                pos + 2,
                offset,
                "" if pd.isna(raw) else str(raw),
                f"{unit} {codes[i]!r}: no positive {offset} in {int(per_unit[i])} of "
                f"{int(rows_per_unit[codes[i]])} row(s)",
            )
        )
    raise DataValidationError(problems, file="panel")


def _at_level(res: EffectResult, level: float) -> EffectResult:
    """Set the frames of a levels estimator to ``level`` (their intervals are normal)."""
    if abs(level - 0.95) > 1e-12:
        res.overall, res.event_study = res._frames(level)
    res.level = level
    for fr in (res.overall, res.event_study):
        fr["method"] = "cluster_robust"
        if "scale" in fr.columns and any("per 1,000" in n for n in res.notes):
            fr["scale"] = "rate"
    return res
