"""A fitted monthly NB2 model (:func:`tppo_analysis.models.monthly.fit_monthly_nb`) and its monthly design."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..protocol import Result, Summary, check_level, round_frame
from ..sources.calendar import holiday_regressors
from ._counts import nb_counts, normal_draws

__all__ = ["MonthlyNBResults"]


@dataclass
class MonthlyNBResults(Result):
    """A fitted monthly NB2 model.

    A fitted monthly NB2 model: statsmodels results in ``sm``, the design in ``data``; the result protocol
    (``tidy``, ``conf_int``, ``summary``, ``plot``) and ``predict_window`` for any window of whole or part months.
    """

    sm: Any  # statsmodels NegativeBinomial results (untyped library)
    data: pd.DataFrame
    terms: list[str]
    origin: pd.Timestamp
    regressors: list[str]
    breaks: dict[str, pd.Timestamp]

    @property
    def params(self) -> pd.Series:
        """Return the estimates by term (log scale; ``alpha`` is the NB2 dispersion)."""
        return pd.Series(np.asarray(self.sm.params), index=[*self.terms, "alpha"])

    @property
    def bse(self) -> pd.Series:
        """Return the standard errors by term."""
        return pd.Series(np.asarray(self.sm.bse), index=[*self.terms, "alpha"])

    def cov_params(self) -> pd.DataFrame:
        """Return the covariance of the estimates, labelled by term."""
        names = [*self.terms, "alpha"]
        return pd.DataFrame(np.asarray(self.sm.cov_params()), index=names, columns=names)

    def __post_init__(self) -> None:
        """Name the estimate (``title``)."""
        m = pd.to_datetime(self.data["month"])
        self.title = f"Monthly NB2 model: {len(self.data)} complete months, {m.min():%Y-%m} to {m.max():%Y-%m}"

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """Return the coefficients as a tidy frame (log scale, Wald intervals).

        One row per coefficient on the log scale (Wald intervals; ``alpha`` is in :meth:`notes`), with
        ``identified`` by the interval models' rule (data-only 95% interval more than 100-fold wide: "no").

        Parameters
        ----------
        level : float
            Confidence or prediction level, between 0 and 1.
        """
        from .interval._predict import identification_label, mask_not_identified

        level = check_level(level)
        z = float(stats.norm.ppf(0.5 + level / 2))
        est, se = self.params[self.terms], self.bse[self.terms]
        out = pd.DataFrame(
            {
                "term": self.terms,
                "estimate": est.to_numpy(),
                "se": se.to_numpy(),
                "ci_lower": (est - z * se).to_numpy(),
                "ci_upper": (est + z * se).to_numpy(),
                "scale": "log",
                "level": level,
                "identified": [identification_label(v) for v in se.to_numpy()],
                "note": "",
            }
        )
        return mask_not_identified(out)

    @property
    def table(self) -> pd.DataFrame:
        """:meth:`tidy` at 95%."""
        return self.tidy(0.95)

    def notes(self) -> list[str]:
        """Return the plain-language caveats shown under the summary."""
        return [f"NB2 dispersion alpha = {float(self.params['alpha']):.3g} (per month)."]

    def summary(self) -> Summary:
        """Return a small, rounded, deterministic summary."""
        return Summary(self.title, round_frame(self.tidy()), tuple(self.notes()))

    def plot(self, ax=None):
        """Observed complete months and the fitted monthly means (deferrals per day). Returns ``(fig, ax)``.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on (a new figure when None).
        """
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(figsize=(7.5, 3.0))
        else:
            fig = ax.figure
        months = pd.to_datetime(self.data["month"])
        dim = months.dt.days_in_month.to_numpy()
        fitted = self.forecast(months.min(), months.max(), seed=0).set_index("month").reindex(months)
        ax.plot(months, self.data["value"] / dim, "o", color="#777777", label="reported month")
        ax.plot(months, fitted["mean"].to_numpy() / dim, color="#0072B2", label="fitted mean")
        ax.set_ylabel("deferrals per day")
        ax.legend(fontsize=8)
        return fig, ax

    def predict_window(self, start, end, level: float = 0.9, seed: int = 0, *, n_draws: int = 2000) -> dict:
        """Predict the total over any window of whole or part months.

        Predicted total over ``start``..``end`` (inclusive): the monthly predictive draws, prorated by the share
        of each month's days in the window, summed. Returns mean, lower, upper.

        Parameters
        ----------
        start : date-like
            First day (inclusive).
        end : date-like
            Last day (inclusive).
        level : float
            Confidence or prediction level, between 0 and 1.
        seed : int
            Seed of the random draws (results are reproducible).
        n_draws : int
            Number of parameter and count draws.
        """
        level = check_level(level)
        start, end = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
        months = pd.period_range(start.to_period("M"), end.to_period("M"), freq="M")
        X, offset = _monthly_design(
            pd.DataFrame({"month": months.to_timestamp()}), self.regressors, self.breaks, self.origin
        )
        X = X[self.terms].to_numpy(dtype=float)
        share = np.array(
            [((min(end, m.end_time.normalize()) - max(start, m.start_time)).days + 1) / m.days_in_month for m in months]
        )
        rng = np.random.default_rng(seed)
        p = self.params.to_numpy()
        draws = normal_draws(p, self.cov_params().to_numpy(), n_draws, rng)
        n, k = len(self.data), len(p)
        alpha = np.maximum(draws[:, -1], 1e-10) * n / max(n - k, 1)
        means = np.exp(X @ draws[:, :-1].T + offset[:, None]) * share[:, None]
        counts = nb_counts(means, alpha[None, :], rng).sum(axis=0)
        lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
        return {
            "mean": float((np.exp(X @ p[:-1] + offset) * share).sum()),
            "lower": float(np.quantile(counts, lo, method="inverted_cdf")),
            "upper": float(np.quantile(counts, hi, method="inverted_cdf")),
            "level": level,
        }

    def forecast(self, start, end, level: float = 0.9, seed: int = 0, n_draws: int = 1000) -> pd.DataFrame:
        """Predict monthly totals from ``start`` to ``end``, with prediction intervals.

        Monthly predictions from ``start`` to ``end`` (months): month, mean, lower, upper (prediction interval
        at ``level``: parameter draws from the asymptotic normal + gamma-Poisson noise with the small-sample
        corrected alpha × n / (n − k)), ci_lower, ci_upper.

        Parameters
        ----------
        start : date-like
            First month.
        end : date-like
            Last month.
        level : float
            Confidence or prediction level, between 0 and 1.
        seed : int
            Seed of the random draws (results are reproducible).
        n_draws : int
            Number of parameter and count draws.
        """
        months = pd.period_range(pd.Timestamp(start).to_period("M"), pd.Timestamp(end).to_period("M"), freq="M")
        X, offset = _monthly_design(
            pd.DataFrame({"month": months.to_timestamp()}), self.regressors, self.breaks, self.origin
        )
        X = X[self.terms].to_numpy(dtype=float)
        rng = np.random.default_rng(seed)
        p = self.params.to_numpy()
        draws = normal_draws(p, self.cov_params().to_numpy(), n_draws, rng)
        # ML alpha is biased low by about (n - k) / n with few months: the same correction as the interval model
        n, k = len(self.data), len(p)
        alpha = np.maximum(draws[:, -1], 1e-10) * n / max(n - k, 1)
        mean_draws = np.exp(X @ draws[:, :-1].T + offset[:, None])
        counts = nb_counts(mean_draws, alpha[None, :], rng)
        lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
        return pd.DataFrame(
            {
                "month": months.to_timestamp(),
                "mean": np.exp(X @ p[:-1] + offset),
                "lower": np.quantile(counts, lo, axis=1, method="inverted_cdf"),
                "upper": np.quantile(counts, hi, axis=1, method="inverted_cdf"),
                "ci_lower": np.quantile(mean_draws, lo, axis=1),
                "ci_upper": np.quantile(mean_draws, hi, axis=1),
            }
        )


def _monthly_design(
    frame: pd.DataFrame, regressors: Sequence[str], breaks: Mapping[str, pd.Timestamp], origin: pd.Timestamp
) -> tuple[pd.DataFrame, np.ndarray]:
    months = pd.to_datetime(frame["month"])
    regs = holiday_regressors(months.min(), months.max()).set_index("month").reindex(months)
    X = pd.DataFrame(index=months.values)
    X["intercept"] = 1.0
    mid = months + pd.to_timedelta((regs["days_in_month"].to_numpy() - 1) / 2, unit="D")
    X["trend"] = ((mid - origin).dt.days / 365.25).to_numpy()
    for r in regressors:
        X[r] = regs[r].to_numpy(dtype=float)
    for name, when in breaks.items():
        # share of the month's days on or after the break date
        last = months + pd.offsets.MonthEnd(0)
        after = ((last - when).dt.days + 1).clip(lower=0, upper=regs["days_in_month"].to_numpy())
        X[name] = (after / regs["days_in_month"].to_numpy()).to_numpy(dtype=float)
    return X, np.log(regs["days_in_month"].to_numpy(dtype=float))
