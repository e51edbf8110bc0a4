"""Monthly models where the record has complete calendar months (e.g. Soekarno-Hatta 2023–2024).

* :func:`complete_months` — the calendar months an interval series covers exactly (a month reported whole, or
  tiled by several reported pieces).
* :func:`fit_monthly_nb` — negative-binomial (NB2) regression of monthly counts on a trend, the moving-holiday
  regressors of :func:`tppo_analysis.sources.calendar.holiday_regressors` and optional level shifts, with offset
  ``log(days_in_month)``; forecasts with parametric-bootstrap prediction intervals.
* :func:`stl_log_counts` — STL (or MSTL) decomposition of log counts, as a model-free cross-check of the seasonal
  pattern; it needs at least two years of *consecutive* months and says so when the record has fewer.
* :func:`wald_test` — Wald test that named coefficients are zero (e.g. a level shift at the ministry split of
  21 October 2024), for monthly or interval-model results.
* :func:`unknown_break_tests` — statsmodels' tests for a break at an unknown date (OLS-residual CUSUM and Hansen's
  parameter-stability test) on log counts.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import pandas as pd

from ..errors import InsufficientDataError, TppoError
from ._monthly_results import MonthlyNBResults, _monthly_design
from .monthly_checks import full_year_coverage, longest_consecutive_run, stl_log_counts, unknown_break_tests, wald_test

__all__ = [
    "MINISTRY_SPLIT",
    "longest_consecutive_run",
    "full_year_coverage",
    "complete_months",
    "fit_monthly_nb",
    "MonthlyNBResults",
    "MonthlyNB",
    "stl_log_counts",
    "wald_test",
    "unknown_break_tests",
]

#: The Directorate General of Immigration became part of the new Ministry of Immigration and Corrections
#: (Kementerian Imigrasi dan Pemasyarakatan) when the Merah Putih cabinet took office on 21 October 2024.
MINISTRY_SPLIT = pd.Timestamp("2024-10-21")

DEFAULT_REGRESSORS = ("ramadan_share", "pre_idul_fitri_days", "post_idul_fitri_days")


def complete_months(obs: pd.DataFrame) -> pd.DataFrame:
    """Calendar months covered exactly by the observations of one (series, measure).

    A month counts when its days are covered by windows lying entirely inside it (one whole-month window, or
    pieces that tile it without gaps). Returns columns ``month`` (first day), ``value`` (sum of the pieces),
    ``n_windows``. Windows that cross a month boundary contribute nothing here (use the interval model for them).

    Parameters
    ----------
    obs : DataFrame
        Windows of one (series, measure).
    """
    for col in ("period_start", "period_end", "value"):
        if col not in obs.columns:
            raise TppoError(f"obs needs column {col}")
    o = obs.copy()
    o["period_start"] = pd.to_datetime(o["period_start"])
    o["period_end"] = pd.to_datetime(o["period_end"])
    ms = o["period_start"].dt.to_period("M")
    me = o["period_end"].dt.to_period("M")
    inside = o[ms == me].copy()
    inside["month"] = ms[ms == me]
    rows = []
    for month, g in inside.groupby("month", sort=True):
        days = set()
        for a, b in zip(g["period_start"], g["period_end"], strict=True):
            days.update(pd.date_range(a, b, freq="D"))
        if len(days) == month.days_in_month and len(days) == int(
            ((g["period_end"] - g["period_start"]).dt.days + 1).sum()
        ):
            rows.append((month.start_time.normalize(), int(g["value"].sum()), len(g)))
    return pd.DataFrame(rows, columns=["month", "value", "n_windows"])


def fit_monthly_nb(
    monthly: pd.DataFrame,
    *,
    regressors: Sequence[str] = DEFAULT_REGRESSORS,
    breaks: Mapping[str, object] | None = None,
    origin=None,
) -> MonthlyNBResults:
    """Fit an NB2 regression of monthly counts with a trend, holiday regressors and level shifts.

    NB2 regression of monthly counts (columns ``month``, ``value``) on intercept, linear trend (per year from
    ``origin``, default the middle of the data), the holiday ``regressors`` and optional level shifts (``breaks``:
    name -> date; the covariate is the share of the month's days on or after the date), with offset
    ``log(days_in_month)`` so the intercept is a log *daily* rate.

    Parameters
    ----------
    monthly : DataFrame
        Complete months: ``month`` (first day) and ``value``.
    regressors : sequence of str
        Monthly holiday regressors.
    breaks : mapping of str to date, optional
        Level shifts (share of the month on or after the date).
    origin : date-like, optional
        Day where the trend is zero (default: the middle of the data).
    """
    from statsmodels.discrete.discrete_model import NegativeBinomial

    if not {"month", "value"} <= set(monthly.columns):
        raise TppoError("monthly needs columns month and value")
    data = monthly.sort_values("month").reset_index(drop=True)
    brk = {str(k): pd.Timestamp(v) for k, v in (breaks or {}).items()}
    months = pd.to_datetime(data["month"])
    origin = pd.Timestamp(origin) if origin is not None else months.min() + (months.max() - months.min()) / 2
    X, offset = _monthly_design(data, regressors, brk, origin.normalize())
    keep = [c for c in X.columns if c == "intercept" or X[c].std() > 0]
    dropped = [c for c in X.columns if c not in keep]
    if dropped:
        raise InsufficientDataError(f"regressors constant over these months, cannot be estimated: {dropped}")
    n_par = X.shape[1] + 1
    if len(data) < n_par + 2:
        raise InsufficientDataError(
            f"{len(data)} months are too few for {n_par} parameters ({list(X.columns)} + alpha)"
        )
    y = data["value"].to_numpy(dtype=float)
    mod = NegativeBinomial(y, X.to_numpy(dtype=float), offset=offset, loglike_method="nb2")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = mod.fit(disp=0, method="bfgs", maxiter=2000)
        res = mod.fit(start_params=first.params, disp=0, method="newton", maxiter=200)
    return MonthlyNBResults(res, data, list(X.columns), origin.normalize(), list(regressors), brk)


class MonthlyNB:
    """Benchmark of the backtest: the monthly NB2 model on complete months.

    Benchmark of the backtest: :func:`fit_monthly_nb` (trend only by default) on the complete calendar months of
    the training windows; ``fit`` raises :class:`~tppo_analysis.errors.InsufficientDataError` below ``min_months``.

    Parameters
    ----------
    min_months : int
        Fewest complete months the model is fitted to.
    regressors : sequence of str
        Monthly holiday regressors (none by default).
    """

    def __init__(self, min_months: int = 6, regressors: Sequence[str] = ()):
        self.min_months, self.regressors = int(min_months), tuple(regressors)

    def __repr__(self) -> str:
        """Show the options."""
        return f"MonthlyNB(min_months={self.min_months}, regressors={list(self.regressors)})"

    def fit(self, obs: pd.DataFrame) -> MonthlyNBResults:
        """Fit to the windows ``obs`` and return the results.

        Parameters
        ----------
        obs : DataFrame
            Training windows of one series.
        """
        months = complete_months(obs)
        if len(months) < self.min_months:
            raise InsufficientDataError(f"{len(months)} complete months; the monthly model needs {self.min_months}")
        return fit_monthly_nb(months, regressors=list(self.regressors))
