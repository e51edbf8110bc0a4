"""One entry point for the program effect: :func:`fit` checks the panel once and dispatches to the estimator."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import pandas as pd

from ..errors import TppoError
from ._panel import prepare
from .cs import fit_cs
from .etwfe import fit_poisson
from .result import EffectResult
from .twfe import fit_twfe

__all__ = ["fit"]


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
) -> EffectResult:
    """Estimate the program effect on a balanced unit x period panel with staggered adoption.

    Parameters
    ----------
    panel : one row per unit and period (balanced; zero counts present, not missing).
    outcome : outcome column (counts per unit-period for ``poisson_etwfe``).
    unit, time : unit id and period columns; ``time`` holds integers (years) or months (Period/datetime).
    cohort : first treated period of the unit (same type as ``time``); 0 or missing = never treated.
    estimator : "poisson_etwfe" (rate ratio, parallel trends on the ratio scale), "cs" (Callaway-Sant'Anna ATT in
        levels, parallel trends in levels), "twfe" (naive static TWFE in levels; for contrast only).
    control : "never_treated" or "not_yet_treated" comparison units.
    covariates : time-invariant covariates (e.g. baseline sending level). For "cs" they enter the doubly robust
        outcome and propensity models; for "poisson_etwfe" they enter as regressors (diff-diff path).
    n_boot : "cs" only: number of multiplier-bootstrap draws (R did mboot, Mammen weights) for SEs and uniform bands.
    seed : seed of the bootstrap draws.
    engine : "auto" (default) uses the project's compact implementations when there are no covariates and the panel is
        a full unit x period grid — for "cs" the ATT(g,t) cells and influence functions computed directly (equal to
        diff-diff's to 1e-12, tested), for "poisson_etwfe" :mod:`tppo_analysis.effects._etwfe_fast` — and diff-diff
        otherwise. "diff_diff" forces diff-diff's estimators; "fast" requires the compact path.
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
    prep = prepare(panel, outcome, unit, time, cohort, covariates)
    if not (prep.data["_g"] > 0).any():
        raise TppoError("no treated units: every cohort is 0/missing or outside the panel's periods")
    warn: list[str] = []
    if estimator == "cs":
        if control == "never_treated" and not (prep.data["_g"] == 0).any():
            raise TppoError("control='never_treated' but the panel has no never-treated units; use 'not_yet_treated'")
        return fit_cs(prep, control, covariates, n_boot, seed, warn, engine)
    if n_boot:
        raise TppoError("n_boot (multiplier bootstrap) is implemented for estimator='cs' only")
    if estimator == "poisson_etwfe":
        return fit_poisson(prep, control, covariates, warn, engine)
    return fit_twfe(prep, covariates, warn)
