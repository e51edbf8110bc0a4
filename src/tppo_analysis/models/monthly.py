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
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import InsufficientDataError, TppoError
from ..protocol import Result, Summary, check_level, round_frame
from ..sources.calendar import holiday_regressors

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

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Return ``ci_lower`` and ``ci_upper`` at ``level``, indexed by term."""
        return self.tidy(level).set_index("term")[["ci_lower", "ci_upper"]]

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
        """Observed complete months and the fitted monthly means (deferrals per day). Returns ``(fig, ax)``."""
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
        draws = rng.multivariate_normal(p, self.cov_params().to_numpy(), size=n_draws, method="eigh")
        n, k = len(self.data), len(p)
        alpha = np.maximum(draws[:, -1], 1e-10) * n / max(n - k, 1)
        means = np.exp(X @ draws[:, :-1].T + offset[:, None]) * share[:, None]
        counts = rng.poisson(np.minimum(means * rng.gamma(1.0 / alpha, alpha, size=means.shape), 1e15)).sum(axis=0)
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
        """
        months = pd.period_range(pd.Timestamp(start).to_period("M"), pd.Timestamp(end).to_period("M"), freq="M")
        X, offset = _monthly_design(
            pd.DataFrame({"month": months.to_timestamp()}), self.regressors, self.breaks, self.origin
        )
        X = X[self.terms].to_numpy(dtype=float)
        rng = np.random.default_rng(seed)
        p = self.params.to_numpy()
        draws = rng.multivariate_normal(p, self.cov_params().to_numpy(), size=n_draws, method="eigh")
        # ML alpha is biased low by about (n - k) / n with few months: the same correction as the interval model
        n, k = len(self.data), len(p)
        alpha = np.maximum(draws[:, -1], 1e-10) * n / max(n - k, 1)
        mean_draws = np.exp(X @ draws[:, :-1].T + offset[:, None])
        lam = np.minimum(mean_draws * rng.gamma(1.0 / alpha, alpha, size=mean_draws.shape), 1e15)
        counts = rng.poisson(lam)
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
    """

    def __init__(self, min_months: int = 6, regressors: Sequence[str] = ()):
        self.min_months, self.regressors = int(min_months), tuple(regressors)

    def __repr__(self) -> str:
        """Show the options."""
        return f"MonthlyNB(min_months={self.min_months}, regressors={list(self.regressors)})"

    def fit(self, obs: pd.DataFrame) -> MonthlyNBResults:
        """Fit to the windows ``obs`` and return the results."""
        months = complete_months(obs)
        if len(months) < self.min_months:
            raise InsufficientDataError(f"{len(months)} complete months; the monthly model needs {self.min_months}")
        return fit_monthly_nb(months, regressors=list(self.regressors))


def stl_log_counts(monthly: pd.DataFrame, *, periods: Sequence[int] = (12,), robust: bool = True) -> pd.DataFrame:
    """STL decomposition of ``log(value)`` (MSTL when several ``periods`` are given) on consecutive months.

    Needs at least two full cycles of the longest period in one consecutive run of months; raises
    :class:`~tppo_analysis.errors.TppoError` naming the longest run otherwise (the public record rarely has one).
    Returns month, observed, trend, seasonal (summed over periods), resid.
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
    """Length of the longest run of consecutive calendar months in ``monthly`` (column ``month``)."""
    months = pd.to_datetime(monthly["month"]).sort_values().dt.to_period("M")
    return _longest_run(months)


def full_year_coverage(obs: pd.DataFrame, years: Sequence[int]) -> pd.DataFrame:
    """Tell, for each calendar year, whether the windows of one (series, measure) cover it.

    For each calendar year: whether the windows of one (series, measure) cover every day of the year, and the
    share of days covered. A full-year total exists only when ``full`` is True.
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
