"""Equally spaced B-splines in calendar time, for the smooth trend (P-splines, Eilers & Marx 1996).

The smooth log daily rate is ``B(t) @ theta``: cubic B-splines on knots about ``knot_days`` apart spanning the first
to the last day of the fitted windows, with a difference penalty on ``theta``. Days outside the span are clamped to
it here; what the trend does past the data is the forecast rule of
:meth:`tppo_analysis.models.interval._design.Layout.eta`. The basis values come from scipy's ``BSpline`` (Cox-de
Boor); only the knot layout and the penalty are ours.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import sparse
from scipy.interpolate import BSpline

__all__ = ["TimeBasis", "difference_penalty"]


class TimeBasis:
    """Cubic B-splines on day numbers ``first``..``last`` with ``ceil((last - first) / knot_days)`` intervals.

    Parameters
    ----------
    first, last : int
        First and last day of the span (days since 1970-01-01, inclusive).
    knot_days : float
        Target distance between knots in days (91.3: about one knot a quarter).
    degree : int
        Spline degree (3: cubic).
    """

    def __init__(self, first: int, last: int, *, knot_days: float = 91.3, degree: int = 3):
        self.first, self.last = int(first), int(last)
        span = max(self.last - self.first, 1)
        self.ndx = max(int(math.ceil(span / knot_days)), 1)
        self.dx = span / self.ndx
        self.degree = degree
        self.knots = self.first + self.dx * np.arange(-degree, self.ndx + degree + 1)
        self.n_basis = self.ndx + degree

    def design(self, t, *, derivative: bool = False, as_sparse: bool = False):
        """Basis rows for day numbers ``t`` (clamped to the span); with ``derivative`` their slope per day."""
        t = np.clip(np.asarray(t, dtype=float), self.first, self.last)
        if not derivative:
            B = BSpline.design_matrix(t, self.knots, self.degree, extrapolate=False)
            return B.tocsr() if as_sparse else B.toarray()
        out = np.empty((len(t), self.n_basis))
        eye = np.eye(self.n_basis)
        for j in range(self.n_basis):
            out[:, j] = BSpline(self.knots, eye[j], self.degree, extrapolate=False).derivative()(t)
        out = np.nan_to_num(out)
        return sparse.csr_matrix(out) if as_sparse else out


def difference_penalty(n: int, order: int) -> np.ndarray:
    """``D'D`` for the ``order``-th differences of ``n`` coefficients (the P-spline penalty matrix)."""
    D = np.diff(np.eye(n), n=order, axis=0)
    return D.T @ D
