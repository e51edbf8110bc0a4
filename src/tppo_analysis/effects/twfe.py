"""The naive static two-way fixed effects regression in levels and its Goodman-Bacon decomposition.

The naive static two-way fixed effects regression in levels, kept as the contrast the staggered-adoption
literature warns about, and its Goodman-Bacon (2021) decomposition (:func:`bacon`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import TppoError
from . import _diffdiff
from ._panel import _Prepared, prepare
from .result import _Z, EffectResult

__all__ = ["bacon", "fit_twfe"]


def _twfe_static(prep: _Prepared) -> tuple[float, float]:
    """Estimate the static TWFE coefficient with a cluster-robust (CR1, by unit) standard error.

    Static TWFE coefficient of D_it = 1{t >= g} with unit and period fixed effects, cluster-robust (CR1, by unit)
    standard error with fixest's small-sample factor. The panel is balanced, so two-way demeaning is exact.

    (diff-diff's ``TwoWayFixedEffects`` static mode is a 2x2 treatment x post design, not the staggered TWFE; its
    ``bacon_decompose`` reports this same coefficient, which the tests check.)
    """
    d = prep.data
    u, t = d["_u"].to_numpy(), d["_t"].to_numpy()
    _, t_idx = np.unique(t, return_inverse=True)
    n_u, n_t = int(u.max()) + 1, int(t_idx.max()) + 1
    y = np.zeros((n_u, n_t))
    D = np.zeros((n_u, n_t))
    y[u, t_idx] = d["_y"].to_numpy()
    D[u, t_idx] = ((d["_g"] > 0) & (d["_t"] >= d["_g"])).to_numpy(float)

    def dm(x):
        return x - x.mean(axis=1, keepdims=True) - x.mean(axis=0, keepdims=True) + x.mean()

    yd, Dd = dm(y), dm(D)
    sxx = float((Dd**2).sum())
    if sxx <= 0:
        raise TppoError("TWFE: the treatment indicator has no variation after removing unit and period effects")
    beta = float((yd * Dd).sum() / sxx)
    e = yd - beta * Dd
    score = (Dd * e).sum(axis=1)
    n, k = n_u * n_t, n_t + 1  # D, period effects and the constant; unit effects nested in clusters (fixest)
    adj = n_u / (n_u - 1) * (n - 1) / (n - k)
    se = float(np.sqrt(adj * (score**2).sum()) / sxx)
    return beta, se


def fit_twfe(prep, covariates, warn) -> EffectResult:
    """Run the ``estimator="twfe"`` branch of :func:`tppo_analysis.effects.fit` on a prepared panel.

    Parameters
    ----------
    prep : _Prepared
        The panel as checked and coded by :func:`tppo_analysis.effects._panel.prepare`.
    covariates : sequence of str
        Ignored (absorbed by the unit fixed effects); a note says so.
    warn : list of str
        Notes collected so far; the branch appends its own.

    Returns
    -------
    EffectResult
        The static TWFE coefficient, for contrast only.
    """
    if covariates:
        warn.append("twfe: time-invariant covariates are absorbed by the unit fixed effects and were ignored")
    att, se = _twfe_static(prep)
    overall = pd.DataFrame({"estimate": [att], "se": [se]})
    overall["ci_lower"] = overall["estimate"] - _Z * overall["se"]
    overall["ci_upper"] = overall["estimate"] + _Z * overall["se"]
    overall["scale"] = "count"
    empty = pd.DataFrame(columns=["event_time", "estimate", "se", "ci_lower", "ci_upper", "scale"])
    gt = pd.DataFrame(columns=["cohort", "time", "event_time", "estimate", "se", "ci_lower", "ci_upper"])

    def aggregate(kind):
        if kind == "simple":
            return pd.concat([pd.DataFrame({"level": ["overall"]}), overall], axis=1)
        raise TppoError("the static TWFE regression has a single coefficient: only aggregate('simple') exists")

    return EffectResult(
        "twfe",
        "all_untreated",
        overall,
        gt,
        empty,
        [
            *prep.notes,
            "static TWFE in levels: a variance-weighted average using already-treated "
            "units as controls (see effects.bacon)",
        ],
        prep.excluded,
        warn,
        aggregate,
        None,
    )


def bacon(panel: pd.DataFrame, outcome: str, unit: str, time: str, cohort: str) -> pd.DataFrame:
    """Decompose the static TWFE estimate as Goodman-Bacon (2021) does (``diff_diff.bacon_decompose``).

    Parameters
    ----------
    panel : pandas.DataFrame
        One row per unit and period (balanced).
    outcome : str
        The outcome column.
    unit : str
        The unit id column.
    time : str
        The period column.
    cohort : str
        First treated period of the unit; 0 or missing = never treated.

    Returns
    -------
    pandas.DataFrame
        One row per 2x2 comparison: treated, control, comparison ("treated_vs_never", "earlier_vs_later",
        "later_vs_earlier" -- the last uses already-treated units as controls, the source of TWFE bias under dynamic
        effects), estimate, weight. ``frame.attrs["twfe_estimate"]`` holds the TWFE coefficient they average to.
    """
    prep = prepare(panel, outcome, unit, time, cohort, ())
    warn: list[str] = []
    rows, twfe_estimate = _diffdiff.bacon_comparisons(prep.data, warn)
    out = pd.DataFrame(rows, columns=["treated", "control", "comparison", "estimate", "weight"])
    out.attrs["twfe_estimate"] = twfe_estimate
    return out
