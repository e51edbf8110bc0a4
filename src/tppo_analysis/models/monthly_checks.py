"""Checks around the monthly models.

Coverage of full years and of consecutive months, STL on log counts, Wald tests and tests for a break at an unknown
date.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import TppoError
from ._monthly_results import _monthly_design

__all__ = ["stl_log_counts", "longest_consecutive_run", "full_year_coverage", "wald_test", "unknown_break_tests"]


def stl_log_counts(monthly: pd.DataFrame, *, periods: Sequence[int] = (12,), robust: bool = True) -> pd.DataFrame:
    """STL decomposition of ``log(value)`` (MSTL when several ``periods`` are given) on consecutive months.

    Needs at least two full cycles of the longest period in one consecutive run of months; raises
    :class:`~tppo_analysis.errors.TppoError` naming the longest run otherwise (the public record rarely has one).
    Returns month, observed, trend, seasonal (summed over periods), resid.

    Parameters
    ----------
    monthly : DataFrame
        Complete months: ``month`` (first day) and ``value``.
    periods : sequence of int
        Seasonal periods in months.
    robust : bool
        Robust STL fitting.
    """
    from statsmodels.tsa.seasonal import MSTL, STL

    data = monthly.sort_values("month").reset_index(drop=True)
    months = pd.to_datetime(data["month"]).dt.to_period("M")
    run = _longest_run(months)
    need = 2 * max(periods)
    if run < need:
        raise TppoError(
            f"STL needs at least {need} consecutive months; the longest consecutive run here is {run} month(s)"
        )
    if (data["value"] <= 0).any():
        raise TppoError("STL on log counts needs positive counts")
    series = pd.Series(np.log(data["value"].to_numpy(dtype=float)), index=months.dt.to_timestamp())
    series.index.freq = "MS"
    if len(periods) == 1:
        fit = STL(series, period=periods[0], robust=robust).fit()
        seasonal = np.asarray(fit.seasonal)
    else:
        fit = MSTL(series, periods=list(periods), stl_kwargs={"robust": robust}).fit()
        seasonal = np.asarray(fit.seasonal).reshape(len(series), -1).sum(axis=1)
    return pd.DataFrame(
        {
            "month": series.index,
            "observed": series.to_numpy(),
            "trend": np.asarray(fit.trend),
            "seasonal": seasonal,
            "resid": np.asarray(fit.resid),
        }
    )


def longest_consecutive_run(monthly: pd.DataFrame) -> int:
    """Length of the longest run of consecutive calendar months in ``monthly`` (column ``month``).

    Parameters
    ----------
    monthly : DataFrame
        Complete months: ``month`` (first day) and ``value``.
    """
    months = pd.to_datetime(monthly["month"]).sort_values().dt.to_period("M")
    return _longest_run(months)


def full_year_coverage(obs: pd.DataFrame, years: Sequence[int]) -> pd.DataFrame:
    """Tell, for each calendar year, whether the windows of one (series, measure) cover it.

    For each calendar year: whether the windows of one (series, measure) cover every day of the year, and the
    share of days covered. A full-year total exists only when ``full`` is True.

    Parameters
    ----------
    obs : DataFrame
        Windows of one (series, measure).
    years : sequence of int
        Calendar years.
    """
    o = obs.copy()
    rows = []
    for y in years:
        first, last = pd.Timestamp(f"{y}-01-01"), pd.Timestamp(f"{y}-12-31")
        covered = set()
        for a, b in zip(pd.to_datetime(o["period_start"]), pd.to_datetime(o["period_end"]), strict=True):
            if a <= last and b >= first:
                covered.update(pd.date_range(max(a, first), min(b, last), freq="D"))
        n = (last - first).days + 1
        inside_only = all(
            (a >= first and b <= last) or b < first or a > last
            for a, b in zip(pd.to_datetime(o["period_start"]), pd.to_datetime(o["period_end"]), strict=True)
        )
        rows.append(
            {"year": y, "share_of_days_covered": len(covered) / n, "full": bool(len(covered) == n and inside_only)}
        )
    return pd.DataFrame(rows)


def _longest_run(months: pd.Series) -> int:
    if len(months) == 0:
        return 0
    ords = np.array([m.ordinal for m in months])
    best = cur = 1
    for a, b in zip(ords[:-1], ords[1:], strict=True):
        cur = cur + 1 if b == a + 1 else 1
        best = max(best, cur)
    return int(best)


def wald_test(results, terms: Sequence[str]) -> pd.DataFrame:
    """Wald test that the coefficients ``terms`` are all zero.

    Works for :class:`MonthlyNBResults` and :class:`~tppo_analysis.models.interval.IntervalCountResults` (anything
    with ``params`` and ``cov_params()`` as labelled pandas objects). Returns one row: terms, statistic (chi²), df,
    p_value, and for a single term its estimate and se.

    Parameters
    ----------
    results : fitted model
        Anything with ``params`` and ``cov_params()`` as labelled pandas objects.
    terms : sequence of str
        Coefficient names.
    """
    params = results.params
    cov = results.cov_params()
    missing = [t for t in terms if t not in params.index]
    if missing:
        raise TppoError(f"no such terms in the model: {missing}; terms are {list(params.index)}")
    b = params[list(terms)].to_numpy()
    V = cov.loc[list(terms), list(terms)].to_numpy()
    stat = float(b @ np.linalg.solve(V, b))
    df = len(terms)
    row = {"terms": ";".join(terms), "statistic": stat, "df": df, "p_value": float(stats.chi2.sf(stat, df))}
    if df == 1:
        row["estimate"] = float(b[0])
        row["se"] = float(np.sqrt(V[0, 0]))
    return pd.DataFrame([row])


def unknown_break_tests(monthly: pd.DataFrame, *, regressors: Sequence[str] = ()) -> pd.DataFrame:
    """Break tests at an unknown date on log monthly counts (OLS on intercept + trend + ``regressors``).

    Rows: ``cusum_ols_resid`` (statsmodels ``breaks_cusumolsresid``: statistic and p-value) and ``hansen``
    (``breaks_hansen``: joint statistic with its 5% critical value; p-value not available). Months are taken in
    time order; gaps between them are allowed (the trend uses calendar time).

    Parameters
    ----------
    monthly : DataFrame
        Complete months: ``month`` (first day) and ``value``.
    regressors : sequence of str
        Monthly regressors besides intercept and trend.
    """
    import statsmodels.api as sm
    from statsmodels.stats.diagnostic import breaks_cusumolsresid, breaks_hansen

    data = monthly.sort_values("month").reset_index(drop=True)
    if (data["value"] <= 0).any():
        raise TppoError("break tests on log counts need positive counts")
    origin = pd.to_datetime(data["month"]).min()
    X, offset = _monthly_design(data, list(regressors), {}, origin)
    y = np.log(data["value"].to_numpy(dtype=float)) - offset
    if len(y) < X.shape[1] + 3:
        raise TppoError(f"{len(y)} months are too few for break tests with {X.shape[1]} regressors")
    ols = sm.OLS(y, X.to_numpy(dtype=float)).fit()
    stat, pval, _crit = breaks_cusumolsresid(ols.resid, ddof=X.shape[1])
    h_stat, h_crit = breaks_hansen(ols)
    # statsmodels tabulates Hansen's 5% critical values by the number of regressors (field "nobs")
    table = {int(r["nobs"]): float(r["crit"]) for r in np.asarray(h_crit)}
    crit_5 = table.get(X.shape[1], float("nan"))
    return pd.DataFrame(
        [
            {
                "test": "cusum_ols_resid",
                "statistic": float(stat),
                "p_value": float(pval),
                "crit_5pct": np.nan,
                "n_months": len(y),
            },
            {"test": "hansen", "statistic": float(h_stat), "p_value": np.nan, "crit_5pct": crit_5, "n_months": len(y)},
        ]
    )
