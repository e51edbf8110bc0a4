"""The daily design of an interval model: its columns, their penalties, and what the trend does past the data.

A :class:`Layout` is built when a model is fitted (the smooth's basis spans the fitted windows) and kept by the
results, which evaluate it for any day: inside the data span exactly, outside it by the model's forecast rule
(:meth:`Layout.eta`). Holiday and break coefficients carry a ridge penalty -- a normal prior with a stated standard
deviation on the log scale -- so a term the windows cannot separate shrinks towards 0 with a wide but finite
interval instead of running off to infinity; the smooth carries the second-order difference penalty of the PCLM.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import logsumexp

from ...sources.calendar import daily_holiday_indicators
from ._spline import TimeBasis, difference_penalty

__all__ = ["Layout", "day_number", "month_dispersion_weights", "FORECAST_RULES", "DAYS_PER_YEAR"]

DAYS_PER_YEAR = 365.25
EPOCH = pd.Timestamp("1970-01-01")
#: precision added to unpenalized coefficients for numerical safety only (a normal prior with sd 1e4, log scale)
VAGUE_PRECISION = 1e-8
FORECAST_RULES = ("flat", "damped", "linear")


def day_number(dates) -> np.ndarray:
    """Days since 1970-01-01 (integers)."""
    return np.asarray((pd.DatetimeIndex(pd.to_datetime(dates)) - EPOCH).days, dtype=np.int64)


@dataclass
class Layout:
    """Columns of the daily design and their penalties, fixed at fit time.

    ``groups`` names each column's role: ``smooth`` (B-spline coefficients, difference penalty ``lam * D'D``),
    ``fixed`` (intercept and polynomial trend, unpenalized), ``breaks`` and ``holidays`` (ridge with prior sd
    ``prior_sd[group]``, log scale), ``covariates`` (unpenalized).
    """

    trend: str
    origin: pd.Timestamp
    first: pd.Timestamp
    last: pd.Timestamp
    basis: TimeBasis | None
    breaks: dict
    holiday_terms: list
    covariates: pd.DataFrame | None
    prior_sd: dict
    forecast: str = "flat"
    damping_days: float = 182.625
    anchor_days: int = 91
    anchors: tuple = ((0, 0), (0, 0))
    names: list = field(default_factory=list)
    groups: list = field(default_factory=list)

    def __post_init__(self):
        names, groups = [], []
        if self.basis is not None:
            names += [f"s{j}" for j in range(self.basis.n_basis)]
            groups += ["smooth"] * self.basis.n_basis
        else:
            names.append("intercept")
            groups.append("fixed")
            if self.trend in ("linear", "quadratic"):
                names.append("trend")
                groups.append("fixed")
            if self.trend == "quadratic":
                names.append("trend_sq")
                groups.append("fixed")
        names += list(self.breaks)
        groups += ["breaks"] * len(self.breaks)
        names += list(self.holiday_terms)
        groups += ["holidays"] * len(self.holiday_terms)
        if self.covariates is not None:
            names += list(self.covariates.columns)
            groups += ["covariates"] * self.covariates.shape[1]
        self.names, self.groups = names, groups

    # ----------------------------------------------------------------------------------------------------------
    def set_anchors(self, starts: np.ndarray, ends: np.ndarray) -> None:
        """Set the spans whose mean level the forecast holds.

        The spans whose mean level the forecast holds: the last (first) ``anchor_days`` days of the data, or the
        last (first) window when it is longer.
        """
        i_last, i_first = int(np.argmax(ends)), int(np.argmin(starts))
        right = (int(min(ends[i_last] - self.anchor_days + 1, starts[i_last])), int(ends[i_last]))
        left = (int(starts[i_first]), int(max(starts[i_first] + self.anchor_days - 1, ends[i_first])))
        self.anchors = (left, right)

    def smooth_index(self) -> list[int]:
        return [i for i, g in enumerate(self.groups) if g == "smooth"]

    def rows(self, days: pd.DatetimeIndex) -> np.ndarray:
        """Return the daily design rows for ``days``.

        The daily design for ``days``; the smooth's columns are the basis clamped to the data span (the
        forecast rule is applied in :meth:`eta`).
        """
        cols = []
        if self.basis is not None:
            cols.append(self.basis.design(day_number(days)))
        else:
            cols.append(np.ones((len(days), 1)))
            years = np.asarray((days - self.origin).days, dtype=float) / DAYS_PER_YEAR
            if self.trend in ("linear", "quadratic"):
                cols.append(years[:, None])
            if self.trend == "quadratic":
                cols.append(years[:, None] ** 2)
        for when in self.breaks.values():
            cols.append(np.asarray(days >= when, dtype=float)[:, None])
        if self.holiday_terms:
            cal = daily_holiday_indicators(days.min(), days.max()).set_index("date").reindex(days)
            cols.append(cal[list(self.holiday_terms)].to_numpy(dtype=float))
        if self.covariates is not None:
            cov = self.covariates.reindex(days)
            if cov.isna().any().any():
                from ...errors import TppoError

                missing = cov.index[cov.isna().any(axis=1)]
                raise TppoError(f"covariates: no value for {len(missing)} day(s) needed, first {missing[0].date()}")
            cols.append(cov.to_numpy(dtype=float))
        return np.hstack(cols)

    def eta(self, days: pd.DatetimeIndex, betas: np.ndarray) -> np.ndarray:
        """Daily log-mean (days x draws) for coefficient rows ``betas`` (draws x p), without exposure.

        Past the data span the smooth follows the forecast rule: its level is held at the mean rate of the anchor
        span (``log`` of the mean of ``exp(smooth)`` over it), plus for ``damped`` / ``linear`` the anchor span's mean
        slope continued with decay time ``damping_days`` / for ever.
        """
        X = self.rows(days)
        E = X @ betas.T
        if self.basis is None:
            return E
        s = self.smooth_index()
        t = day_number(days)
        for side, mask in ((1, t > self.basis.last), (0, t < self.basis.first)):
            if not mask.any():
                continue
            a, b = self.anchors[side]
            span = np.arange(a, b + 1)
            Ba = self.basis.design(span)
            level = logsumexp(Ba @ betas[:, s].T, axis=0) - math.log(len(span))
            E[mask] -= X[mask][:, s] @ betas[:, s].T
            E[mask] += level[None, :]
            if self.forecast != "flat":
                slope = self.basis.design(span, derivative=True).mean(axis=0) @ betas[:, s].T  # per day
                edge = self.basis.last if side == 1 else self.basis.first
                h = np.abs(t[mask] - edge).astype(float)
                if self.forecast == "damped":
                    g = self.damping_days * (1.0 - np.exp(-h / self.damping_days))
                else:
                    g = h + abs(edge - 0.5 * (a + b))
                E[mask] += (1.0 if side == 1 else -1.0) * g[:, None] * slope[None, :]
        return E

    def penalty(self, lam: float | None) -> np.ndarray:
        """Return the penalty matrix ``P`` of the penalized likelihood ``l - beta' P beta / 2``."""
        k = len(self.names)
        P = np.zeros((k, k))
        s = self.smooth_index()
        if s:
            P[np.ix_(s, s)] = (lam or 0.0) * difference_penalty(len(s), 2) + VAGUE_PRECISION * np.eye(len(s))
        for i, g in enumerate(self.groups):
            if g in ("breaks", "holidays"):
                P[i, i] = 1.0 / self.prior_sd[g] ** 2
            elif g in ("fixed", "covariates"):
                P[i, i] = VAGUE_PRECISION
        return P

    def prior_precision(self) -> np.ndarray:
        """Prior precision of each column from the ridge terms (0 where unpenalized)."""
        return np.array([1.0 / self.prior_sd[g] ** 2 if g in ("breaks", "holidays") else 0.0 for g in self.groups])


def month_dispersion_weights(starts: Sequence, ends: Sequence) -> np.ndarray:
    """Return each window's month-level dispersion weight.

    ``c_i = sum_k (d_ik / d_i)^2`` over the calendar months ``k`` a window touches (``d_ik`` its days in month
    ``k``): one over the window's effective number of months. Month-level NB2 with dispersion ``alpha`` then
    gives a window total the variance ``m + alpha * c * m^2`` (moment-matched, mean spread evenly over days).
    """
    out = np.empty(len(starts))
    for i, (a, b) in enumerate(zip(starts, ends, strict=True)):
        months = pd.date_range(a, b, freq="D").to_period("M")
        _, counts = np.unique(months.asi8, return_counts=True)
        share = counts / counts.sum()
        out[i] = float(np.sum(share**2))
    return out
