"""Every call into ``diff-diff`` (pinned ``diff-diff==3.13.0``): the one file to review when the pin moves.

The estimators use diff-diff's public classes (``CallawaySantAnna``, ``WooldridgeDiD``, ``bacon_decompose``,
``HonestDiD``) but also these internals, each needed for numbers diff-diff computes and does not return:

* ``CallawaySantAnna`` results' ``_aggregation_kit`` (per-cell influence functions and the unit bookkeeping), for the
  R ``did::aggte`` aggregations and for R's DRDID cells with covariates;
* ``diff_diff.wooldridge.solve_poisson`` and ``compute_robust_vcov``, wrapped for the length of one fit to capture the
  Poisson ETWFE cell coefficients and their cluster-robust covariance, and the results' ``_gt_keys``;
* ``HonestDiD._compute_smoothness_bounds`` and ``_compute_rm_bounds``, for the identified sets and FLCIs from an
  event study the package estimated itself.

diff-diff is imported inside each function, so importing the package does not import it.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import TppoError

__all__ = ["quiet", "cs_group_time", "poisson_cells", "bacon_comparisons", "honest_set_and_flci"]


@contextlib.contextmanager
def quiet(store: list[str]):
    """Keep the warnings a diff-diff call raises out of notebook output: their first lines go to ``store``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for w in caught:
        msg = str(w.message).split("\n")[0]
        if msg not in store:
            store.append(msg)


def cs_group_time(data: pd.DataFrame, control: str, covariates: Sequence[str], base_period: str, warn: list[str]):
    """diff-diff's ``CallawaySantAnna`` (doubly robust) on the prepared panel (columns ``_u, _t, _g, _y``).

    Returns ``(keys, g, t, att, psi, unit_g, cells)``: the finite ATT(g,t) cells ``keys`` (sorted (g, t) pairs), their
    cohorts, periods and estimates, their influence functions as an n_units x K matrix (R scale: Var = psi' psi),
    each unit's cohort, and each cell's treated and control unit positions (``cells[(g, t)] = (treated, control)``).
    """
    from diff_diff import CallawaySantAnna

    # pscore_trim: R DRDID does not trim below; a tiny symmetric clip only guards against 0/1 scores.
    est = CallawaySantAnna(
        control_group=control,
        estimation_method="dr",
        base_period=base_period,
        pscore_trim=1e-6,
        n_bootstrap=0,
        rank_deficient_action="silent",
    )
    with quiet(warn):
        res = est.fit(data, outcome="_y", unit="_u", time="_t", first_treat="_g", covariates=list(covariates) or None)
    kit = res._aggregation_kit
    keys = sorted(k for k, v in res.group_time_effects.items() if np.isfinite(v["effect"]))
    n = len(kit.bookkeeping["all_units"])
    psi = np.zeros((n, len(keys)))
    for j, k in enumerate(keys):
        info = kit.influence[k]
        np.add.at(psi[:, j], info["treated_idx"], info["treated_inf"])
        np.add.at(psi[:, j], info["control_idx"], info["control_inf"])
    g = np.array([k[0] for k in keys], dtype=np.int64)
    t = np.array([k[1] for k in keys], dtype=np.int64)
    att = np.array([res.group_time_effects[k]["effect"] for k in keys])
    unit_g = np.asarray(kit.bookkeeping["unit_cohorts"], dtype=np.int64)
    cells = {
        k: (np.asarray(kit.influence[k]["treated_idx"], int), np.asarray(kit.influence[k]["control_idx"], int))
        for k in keys
    }
    return keys, g, t, att, psi, unit_g, cells


def poisson_cells(data: pd.DataFrame, control: str, covariates: Sequence[str], warn: list[str]):
    """Fit diff-diff's Poisson ETWFE and keep the covariance it computes but does not return.

    diff-diff's WooldridgeDiD(method='poisson'); captures the cell coefficients (log rate ratios) and their
    cluster-robust covariance, which the library computes but does not return.
    """
    import diff_diff.wooldridge as wd

    captured: dict[str, Any] = {}
    orig_solve, orig_vcov = wd.solve_poisson, wd.compute_robust_vcov

    def solve(*a, **k):
        beta, mu = orig_solve(*a, **k)
        captured["beta"] = np.asarray(beta).copy()
        return beta, mu

    def vcov(*a, **k):
        v = orig_vcov(*a, **k)
        captured["vcov"] = np.asarray(v).copy()
        return v

    est = wd.WooldridgeDiD(method="poisson", control_group=control, rank_deficient_action="silent")
    try:
        wd.solve_poisson, wd.compute_robust_vcov = solve, vcov
        with quiet(warn):
            res = est.fit(data, outcome="_y", unit="_u", time="_t", cohort="_g", exovar=list(covariates) or None)
    finally:
        wd.solve_poisson, wd.compute_robust_vcov = orig_solve, orig_vcov
    keys = list(res._gt_keys)
    beta, V = captured["beta"], captured["vcov"]
    k = len(keys)
    if V.shape[0] != beta.shape[0] or np.isnan(beta[1 : 1 + k]).any():
        raise TppoError("Poisson ETWFE: some cohort x period cells are not identified (rank deficient design)")
    delta = beta[1 : 1 + k]
    Vd = V[1 : 1 + k, 1 : 1 + k]
    g = np.array([kk[0] for kk in keys], dtype=np.int64)
    t = np.array([kk[1] for kk in keys], dtype=np.int64)
    ysum = data.groupby(["_g", "_t"])["_y"].sum()
    ysum = ysum.reindex(pd.MultiIndex.from_arrays([g, t])).to_numpy(dtype=float)
    count = pd.DataFrame({"level": ["overall"], "estimate": [res.overall_att], "se": [res.overall_se]})
    return g, t, delta, Vd, ysum, count


def bacon_comparisons(data: pd.DataFrame, warn: list[str]) -> tuple[list[tuple], float]:
    """Decompose the TWFE coefficient of the prepared panel with diff-diff's Goodman-Bacon decomposition.

    diff-diff's Goodman-Bacon decomposition of the prepared panel: one (treated, control, comparison type,
    estimate, weight) tuple per 2x2 comparison, and the TWFE coefficient they average to.
    """
    from diff_diff import bacon_decompose

    with quiet(warn):
        r = bacon_decompose(data, outcome="_y", unit="_u", time="_t", first_treat="_g")
    rows = [(c.treated_group, c.control_group, c.comparison_type, c.estimate, c.weight) for c in r.comparisons]
    return rows, float(r.twfe_estimate)


def honest_set_and_flci(
    method: str,
    m: float,
    alpha: float,
    l_vec: np.ndarray,
    pre: np.ndarray,
    post: np.ndarray,
    sigma: np.ndarray,
    num_pre: int,
    num_post: int,
):
    """Compute diff-diff's HonestDiD identified set and FLCI for one value of M (or Mbar).

    diff-diff's HonestDiD identified set and FLCI ``(lb, ub, ci_lb, ci_ub)`` for one value of M (or Mbar);
    None for a method other than "smoothness" and "relative_magnitude".
    """
    from diff_diff.honest_did import HonestDiD

    h = HonestDiD(method=method, M=float(m), alpha=alpha, l_vec=l_vec)
    if method == "smoothness":
        return h._compute_smoothness_bounds(
            pre, post, sigma, sigma[num_pre:, num_pre:], l_vec, num_pre, num_post, float(m)
        )
    if method == "relative_magnitude":
        return h._compute_rm_bounds(
            pre,
            post,
            sigma,
            sigma[num_pre:, num_pre:],
            l_vec,
            num_pre,
            num_post,
            float(m),
            list(range(-num_pre - 1, -1)),
            None,
        )
    return None
