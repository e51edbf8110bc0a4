"""The daily design of a pooled fit: a shared smooth shape, a level and a smooth deviation per series.

The first B-spline coefficient of the shape and of every deviation is fixed at 0, so the level carries each series'
size (the same fit as centring: likelihood and penalties are blind to a constant moved between a level and a
smooth) and the design stays sparse. Past the joint span every series follows the model's forecast rule, anchored at
its own curve over the last ``anchor_days`` of the span.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.special import logsumexp

from ...sources.calendar import daily_holiday_indicators
from ._design import VAGUE_PRECISION, day_number
from ._spline import TimeBasis, difference_penalty
from .model import IntervalCountModel

__all__ = ["PooledLayout"]


class PooledLayout:
    """Columns of the pooled daily design (shape | levels | deviations | breaks | holidays) and their penalties.

    Parameters
    ----------
    model : IntervalCountModel
        Options of the pooled model.
    series : list of str
        Series keys.
    first : Timestamp
        First day of the joint span.
    last : Timestamp
        Last day of the joint span.
    """

    def __init__(self, model: IntervalCountModel, series: list[str], first, last):
        self.model, self.series = model, list(series)
        d0, d1 = day_number([first, last])
        self.basis = TimeBasis(d0, d1, knot_days=model.knot_days)
        self.first, self.last = first, last
        q = self.basis.n_basis
        # identifiability: the first B-spline coefficient of the shape and of every deviation is fixed at 0 (the
        # likelihood and the difference penalties do not change when a constant moves between a level and a
        # smooth, so this is the same fit as centring, and it keeps the design sparse)
        self.Z = np.eye(q)[:, 1:]
        S = len(series)
        self.k_shape = q - 1
        names = [f"shape{j}" for j in range(q - 1)]
        groups = ["shape"] * (q - 1)
        names += [f"level:{s}" for s in series]
        groups += ["level"] * S
        for s in series:
            names += [f"dev:{s}:{j}" for j in range(q - 1)]
            groups += [f"dev:{s}"] * (q - 1)
        names += list(model.breaks) + list(model.holiday_terms)
        groups += ["breaks"] * len(model.breaks) + ["holidays"] * len(model.holiday_terms)
        self.names, self.groups = names, groups
        self.anchors: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {}

    def cols(self, group: str) -> list[int]:
        """Return the column indices of a group.

        Parameters
        ----------
        group : str
            Column group name.
        """
        return [i for i, g in enumerate(self.groups) if g == group]

    def rows(self, s: str, days: pd.DatetimeIndex) -> np.ndarray:
        """Return the daily design of series ``s``.

        Parameters
        ----------
        s : str
            Series key.
        days : DatetimeIndex
            Days.
        """
        B = self.basis.design(day_number(days))[:, 1:]
        X = np.zeros((len(days), len(self.names)))
        X[:, self.cols("shape")] = B
        X[:, self.names.index(f"level:{s}")] = 1.0
        X[:, self.cols(f"dev:{s}")] = B
        m = self.model
        j = len(self.names) - len(m.breaks) - len(m.holiday_terms)
        for when in m.breaks.values():
            X[:, j] = np.asarray(days >= when, dtype=float)
            j += 1
        if m.holiday_terms:
            cal = daily_holiday_indicators(days.min(), days.max()).set_index("date").reindex(days)
            X[:, j:] = cal[list(m.holiday_terms)].to_numpy(dtype=float)
        return X

    def eta(self, s: str, days: pd.DatetimeIndex, betas: np.ndarray) -> np.ndarray:
        """Daily log-mean of series ``s`` for coefficient draws; flat at the series' anchor level past the span.

        Parameters
        ----------
        s : str
            Series key.
        days : DatetimeIndex
            Days.
        betas : ndarray
            Coefficient draws (draws x k).
        """
        X = self.rows(s, days)
        E = X @ betas.T
        t = day_number(days)
        smooth = self.cols("shape") + self.cols(f"dev:{s}") + [self.names.index(f"level:{s}")]
        for side, mask in ((1, t > self.basis.last), (0, t < self.basis.first)):
            if not mask.any():
                continue
            a, b = self.anchors[s][side]
            span = pd.DatetimeIndex(pd.to_datetime(np.arange(a, b + 1), unit="D"))
            Xa = self.rows(s, span)[:, smooth]
            level = logsumexp(Xa @ betas[:, smooth].T, axis=0) - math.log(len(span))
            E[mask] += level[None, :] - X[mask][:, smooth] @ betas[:, smooth].T
            rule = self.model.forecast
            if rule != "flat":
                dB = self.basis.design(np.arange(a, b + 1), derivative=True)[:, 1:].mean(axis=0)
                sm = self.cols("shape") + self.cols(f"dev:{s}")
                slope = np.concatenate([dB, dB]) @ betas[:, sm].T
                edge = self.basis.last if side == 1 else self.basis.first
                h = np.abs(t[mask] - edge).astype(float)
                if rule == "damped":
                    g = self.model.damping_days * (1.0 - np.exp(-h / self.model.damping_days))
                else:
                    g = h + abs(edge - 0.5 * (a + b))
                E[mask] += (1.0 if side == 1 else -1.0) * g[:, None] * slope[None, :]
        return E

    def penalty(self, lam_shape: float, lam_dev: float) -> np.ndarray:
        """Return the penalty matrix for the two smoothing parameters.

        Parameters
        ----------
        lam_shape : float
            Weight of the shape's second-difference penalty.
        lam_dev : float
            Weight of the deviations' first-difference penalty.
        """
        k = len(self.names)
        P = np.zeros((k, k))
        q = self.basis.n_basis
        D2 = self.Z.T @ difference_penalty(q, 2) @ self.Z
        D1 = self.Z.T @ difference_penalty(q, 1) @ self.Z
        sh = self.cols("shape")
        P[np.ix_(sh, sh)] = lam_shape * D2 + VAGUE_PRECISION * np.eye(len(sh))
        for s in self.series:
            dv = self.cols(f"dev:{s}")
            P[np.ix_(dv, dv)] = lam_dev * D1 + VAGUE_PRECISION * np.eye(len(dv))
        for i, g in enumerate(self.groups):
            if g == "level":
                P[i, i] = VAGUE_PRECISION
            elif g in ("breaks", "holidays"):
                P[i, i] = 1.0 / self.model.prior_sd[g] ** 2
        return P
