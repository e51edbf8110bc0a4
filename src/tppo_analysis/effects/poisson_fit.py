"""The result of the sufficient-statistics Poisson ETWFE (:func:`tppo_analysis.effects._etwfe_fast.fit`).

:class:`PoissonETWFEFit` holds the cohort x period cells and their village-clustered covariance and follows the
result protocol; :func:`tppo_analysis.effects.fit` wraps it in an :class:`~tppo_analysis.effects.EffectResult` with
the valid interval for few treated villages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import TppoError
from ..protocol import Result, check_level
from ._panel import periods_from_ordinals
from .honestdid import _level_from_alpha
from .result import POISSON_AGGREGATIONS

__all__ = ["PoissonETWFEFit"]


@dataclass
class PoissonETWFEFit(Result):
    """Result of the sufficient-statistics Poisson ETWFE (:func:`tppo_analysis.effects._etwfe_fast.fit`).

    Attributes
    ----------
    group_time : DataFrame
        One row per treated cell: cohort, time, estimate (log rate ratio ``delta_gt``), se (cluster-robust by
        unit), n_obs (units in the cell). A cell with no events has estimate ``-inf`` and se NaN (its rate
        ratio is 0; the aggregates remain finite).
    vcov : ndarray
        Cluster-robust covariance of ``group_time.estimate`` (rows/columns aligned to ``group_time``).
    control, small_sample, level : settings used (``level`` = confidence level of the ``aggregate`` intervals).
    n_units, n_periods, n_obs, n_clusters : sizes (after exclusions).
    excluded : cohorts left out (cohort, n_units, reason): treated cohorts without any event before adoption.
    """

    group_time: pd.DataFrame
    vcov: np.ndarray
    control: str
    small_sample: str
    level: float
    n_units: int
    n_periods: int
    n_obs: int
    n_clusters: int
    excluded: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["cohort", "n_units", "reason"]))
    _state: dict = field(repr=False, default_factory=dict)

    # --- aggregation -------------------------------------------------------------------------------------
    title = "Poisson extended TWFE (sufficient statistics): rate ratio, village-clustered errors"

    @property
    def alpha(self) -> float:
        """Deprecated: ``1 - level`` (kept for one release)."""
        import warnings

        warnings.warn("PoissonETWFEFit.alpha is deprecated; use level", DeprecationWarning, stacklevel=2)
        return 1.0 - self.level

    def tidy(self, level: float | None = None) -> pd.DataFrame:
        """Return the overall rate ratio (term ``overall``) and the event study (terms ``e=k``).

        The errors are the saturated model's.

        Parameters
        ----------
        level : float, optional
            Confidence level (default: the level the fit was made at).
        """
        lv = self.level if level is None else check_level(level)
        with np.errstate(divide="ignore", invalid="ignore"):
            top = self.aggregate("simple", level=lv)
            ev = self.aggregate("event", level=lv)
        cols = ["estimate", "se", "ci_lower", "ci_upper", "scale"]
        out = pd.concat(
            [top[cols].assign(term="overall"), ev[cols].assign(term=[f"e={int(k)}" for k in ev["event_time"]])],
            ignore_index=True,
        )
        out["level"] = lv
        out.insert(0, "method", "cluster_robust_saturated")
        return out[["method", "term", *cols, "level"]]

    def notes(self) -> tuple[str, ...]:
        """Say that these errors under-cover with few villages per cohort."""
        return (
            "village-clustered sandwich of the saturated model: it under-covers with few villages per launch "
            "cohort; effects.fit reports the valid interval",
        )

    def plot(self, ax: Any = None) -> tuple[Any, Any]:
        """Draw the event study with the saturated-model intervals; return ``(fig, ax)``.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on (default: a new figure).
        """
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(figsize=(8, 4))
        else:
            fig = ax.figure
        t = self.tidy()
        t = t[t["term"] != "overall"]
        x = np.array([int(s[2:]) for s in t["term"]], dtype=float)
        ax.fill_between(x, t["ci_lower"], t["ci_upper"], alpha=0.25)
        ax.plot(x, t["estimate"], marker="o", ms=3)
        ax.axhline(1.0, color="grey", lw=0.8)
        ax.set_xlabel("periods since adoption")
        ax.set_ylabel("rate ratio")
        return fig, ax

    def aggregate(
        self, kind: str = "simple", *, level: float | None = None, alpha: float | None = None
    ) -> pd.DataFrame:
        """Aggregate the treated cells.

        ``simple`` (one row), ``event`` (by event_time = time - cohort, in periods), ``group`` (by cohort),
        ``calendar`` (by time): rate ratio = observed treated count / counterfactual count, ``scale="ratio"``;
        ``estimate`` and CI bounds are ratios (CI = exp(log ratio +- z se_log)), ``se`` is the delta-method SE
        of the ratio; ``log_estimate``/``log_se`` give the log scale. ``count``: average treatment effect on
        the treated in events per unit-period over all treated cells (diff-diff's overall ATT),
        ``scale="count"``, symmetric normal CI.

        Parameters
        ----------
        kind : str
            One of :data:`~tppo_analysis.effects.result.POISSON_AGGREGATIONS`.
        level : float, optional
            Confidence level (default: the level the fit was made at).
        alpha : float, optional
            Deprecated alias of ``1 - level``.
        """
        if kind not in POISSON_AGGREGATIONS:
            raise TppoError(f"unknown aggregation {kind!r}; choose one of {', '.join(POISSON_AGGREGATIONS)}")
        lv = (
            self.level
            if (level is None and alpha is None)
            else _level_from_alpha(0.95 if level is None else level, alpha, "PoissonETWFEFit.aggregate")
        )
        z = float(stats.norm.ppf(0.5 + lv / 2))
        s = self._state
        g_codes, t_codes = s["cell_g"], s["cell_t"]
        w = s["cell_n"].astype(float)
        mu1, mu0 = s["mu1"], s["mu0"]
        G1, G0 = s["grad_mu1"], s["grad_mu0"]  # (cells x k_free): d mu / d theta (per unit)
        V = s["V"]
        if kind == "count":
            W = w.sum()
            est = float((w * (mu1 - mu0)).sum() / W)
            grad = (w[:, None] * (G1 - G0)).sum(axis=0) / W
            se = float(np.sqrt(max(grad @ V @ grad, 0.0)))
            return pd.DataFrame(
                {
                    "estimate": [est],
                    "se": [se],
                    "ci_lower": [est - z * se],
                    "ci_upper": [est + z * se],
                    "scale": ["count"],
                }
            )
        if kind == "simple":
            keys = np.zeros(len(w), dtype=np.int64)
            key_name, key_values = None, np.array([0])
        elif kind == "event":
            rel = s["times"][t_codes] - s["cohorts"][g_codes - 1]
            key_values, keys = np.unique(rel, return_inverse=True)
            key_name = "event_time"
        elif kind == "group":
            key_values, keys = np.unique(g_codes, return_inverse=True)
            key_name = "cohort"
            key_values = periods_from_ordinals(s["cohorts"][key_values - 1], s["kind"]).to_numpy()
        else:
            key_values, keys = np.unique(t_codes, return_inverse=True)
            key_name = "time"
            key_values = periods_from_ordinals(s["times"][key_values], s["kind"]).to_numpy()
        n_keys = len(key_values)
        S1 = np.bincount(keys, weights=w * mu1, minlength=n_keys)
        S0 = np.bincount(keys, weights=w * mu0, minlength=n_keys)
        # d log(S1/S0) / d theta per key
        D1 = np.zeros((n_keys, G1.shape[1]))
        D0 = np.zeros((n_keys, G1.shape[1]))
        np.add.at(D1, keys, w[:, None] * G1)
        np.add.at(D0, keys, w[:, None] * G0)
        with np.errstate(divide="ignore", invalid="ignore"):  # a key whose cells all had no event: ratio 0, se NaN
            J = D1 / S1[:, None] - D0 / S0[:, None]
            log_est = np.log(S1) - np.log(S0)
            log_se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", J, V, J), 0.0))
            log_se[S1 == 0] = np.nan
        est = np.exp(log_est)
        out = pd.DataFrame(
            {
                "estimate": est,
                "se": est * log_se,
                "ci_lower": np.exp(log_est - z * log_se),
                "ci_upper": np.exp(log_est + z * log_se),
                "scale": "ratio",
                "log_estimate": log_est,
                "log_se": log_se,
            }
        )
        if key_name is not None:
            out.insert(0, key_name, key_values)
        return out
