r"""Counts observed only as totals over irregular windows: a composite-link count model (Eilers 2007).

Officials report deferrals as totals over windows that start and end on any day ("1 January to 3 August: 1,726").
The model puts a smooth, covariate-driven mean on the *daily* grid and links each reported total to the sum of the
daily means over its inclusive window:

.. math::

    \log \mu_t = x_t^\top \beta + \log e_t, \qquad
    y_I \sim \text{Poisson}(m_I) \text{ or } \text{NB2}(m_I, \alpha), \qquad m_I = \sum_{t \in I} \mu_t ,

where ``x_t`` holds an intercept, a trend (in years from the centre of the data), optional level shifts at known
dates, the moving-holiday indicators of :mod:`tppo_analysis.sources.calendar` and any user daily covariates, and
``e_t`` is an optional exposure. NB2 means ``Var(y_I) = m_I + alpha * m_I**2`` at the window level.

The fit is a statsmodels :class:`~statsmodels.base.model.GenericLikelihoodModel` (analytic score; Hessian by
differentiating the score), so ``params``, ``bse``, ``summary()`` work as usual. When every window is a whole
calendar month and the covariates are constant within months, the likelihood is exactly statsmodels' GLM Poisson /
``NegativeBinomial`` (NB2) with offset ``log(days)`` — the tests check this.

Prediction intervals for window totals are a parametric bootstrap: parameter draws from the asymptotic normal
(``alpha`` on the log scale) plus Poisson / gamma-Poisson count noise, seeded.

Assumptions a user must own: windows are treated as independent observations (feed it the disjoint intervals that
:func:`tppo_analysis.reconcile` derives, not nested cumulative snapshots); the holiday effects are multiplicative on
the daily mean and identical every year.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ...errors import BoundaryError, DataValidationError, NoOverdispersionError, Problem, TppoError
from ...sources.calendar import daily_holiday_indicators
from ._likelihood import _CompositeLinkLikelihood, _optimise, incidence
from .results import IntervalCountResults

__all__ = ["IntervalCountModel", "HOLIDAY_TERMS", "DAYS_PER_YEAR"]

#: Daily holiday indicators used when ``holidays=True``.
HOLIDAY_TERMS = ["ramadan", "pre_idul_fitri", "post_idul_fitri", "pre_idul_adha"]
_ALLOWED_HOLIDAY = set(HOLIDAY_TERMS) | {"holiday", "working_day"}
_TRENDS = ("none", "linear", "quadratic")
_FAMILIES = ("poisson", "negbin")
#: Length of the trend's unit (a year), in days.
DAYS_PER_YEAR = 365.25

#: A log-scale coefficient beyond this (a rate ratio below e^-12 or above e^12) or with a standard error above
#: _MAX_SE is treated as running off to the boundary.
_MAX_ABS_COEF = 12.0
_MAX_SE = 25.0


# --------------------------------------------------------------------------------------------------------------
# user-facing model
# --------------------------------------------------------------------------------------------------------------
class IntervalCountModel:
    """Composite-link count model for totals reported over irregular, inclusive date windows.

    Parameters
    ----------
    family : {"poisson", "negbin"}
        Count distribution of a window total. ``"negbin"`` is NB2 at the window level.
    trend : {"linear", "quadratic", "none"}
        Trend in the daily log-mean, in years from ``origin``.
    holidays : bool or sequence of str
        ``True`` adds the daily indicators ``ramadan``, ``pre_idul_fitri`` (days −10..−1), ``post_idul_fitri``
        (days 0..20) and ``pre_idul_adha`` (days −30..−1) from
        :func:`tppo_analysis.sources.calendar.daily_holiday_indicators`; a list picks some of them (``"holiday"`` and
        ``"working_day"`` are also allowed). Their coefficients are log rate ratios for a day in the period.
    breaks : mapping name -> date, or sequence of dates, optional
        Level shifts: a step covariate equal to 1 from that date on (e.g. ``{"ministry_split": "2024-10-21"}``).
    covariates : DataFrame, optional
        Extra daily covariates: a ``date`` column plus numeric columns, covering every day of every window (and of
        every window you later predict).
    daily_exposure : DataFrame, optional
        Daily exposure (``date``, ``exposure``); the model then explains counts per unit exposure. Alternatively the
        observations may carry an ``exposure`` column (the window's total exposure, spread evenly over its days).
    origin : date, optional
        Day where the trend is zero (default: the midpoint of the observed span), so ``intercept`` is the log daily
        mean there (outside holidays).
    """

    def __init__(
        self,
        family: str = "poisson",
        trend: str = "linear",
        holidays: bool | Sequence[str] = True,
        *,
        breaks: Mapping[str, object] | Sequence[object] | None = None,
        covariates: pd.DataFrame | None = None,
        daily_exposure: pd.DataFrame | None = None,
        origin: object | None = None,
    ):
        if family not in _FAMILIES:
            raise TppoError(f"family must be one of {_FAMILIES}, got {family!r}")
        if trend not in _TRENDS:
            raise TppoError(f"trend must be one of {_TRENDS}, got {trend!r}")
        if holidays is True:
            hterms = list(HOLIDAY_TERMS)
        elif holidays is False or holidays is None:
            hterms = []
        else:
            hterms = list(holidays)
            unknown = [h for h in hterms if h not in _ALLOWED_HOLIDAY]
            if unknown:
                raise TppoError(f"unknown holiday terms {unknown}; allowed: {sorted(_ALLOWED_HOLIDAY)}")
        self.family = family
        self.trend = trend
        self.holiday_terms = hterms
        if breaks is None:
            self.breaks: dict[str, pd.Timestamp] = {}
        elif isinstance(breaks, Mapping):
            self.breaks = {str(k): pd.Timestamp(v).normalize() for k, v in breaks.items()}
        else:
            self.breaks = {f"step_{pd.Timestamp(v).date()}": pd.Timestamp(v).normalize() for v in breaks}
        self.covariates = _daily_frame(covariates, "covariates") if covariates is not None else None
        self.daily_exposure = None
        if daily_exposure is not None:
            de = _daily_frame(daily_exposure, "daily_exposure")
            if "exposure" not in de.columns:
                raise TppoError("daily_exposure needs columns date and exposure")
            if (de["exposure"] <= 0).any() or de["exposure"].isna().any():
                raise TppoError("daily_exposure: exposure must be positive on every day")
            self.daily_exposure = de["exposure"]
        self.origin = None if origin is None else pd.Timestamp(origin).normalize()

    # ----------------------------------------------------------------------------------------------------------
    @property
    def term_names(self) -> list[str]:
        """Return the names of the daily-mean terms, in the order of the coefficient vector."""
        names = ["intercept"]
        if self.trend in ("linear", "quadratic"):
            names.append("trend")
        if self.trend == "quadratic":
            names.append("trend_sq")
        names += list(self.breaks)
        names += self.holiday_terms
        if self.covariates is not None:
            names += list(self.covariates.columns)
        return names

    def design(self, start, end, origin: pd.Timestamp) -> pd.DataFrame:
        """Daily design matrix from ``start`` to ``end`` (inclusive): one row per day, one column per term."""
        days = pd.date_range(pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize(), freq="D")
        X = pd.DataFrame(index=days)
        X["intercept"] = 1.0
        years = (days - origin).days.to_numpy() / DAYS_PER_YEAR
        if self.trend in ("linear", "quadratic"):
            X["trend"] = years
        if self.trend == "quadratic":
            X["trend_sq"] = years**2
        for name, when in self.breaks.items():
            X[name] = (days >= when).astype(float)
        if self.holiday_terms:
            cal = daily_holiday_indicators(days[0], days[-1]).set_index("date")
            for h in self.holiday_terms:
                X[h] = cal[h].to_numpy(dtype=float)
        if self.covariates is not None:
            cov = self.covariates.reindex(days)
            if cov.isna().any().any():
                missing = cov.index[cov.isna().any(axis=1)]
                raise TppoError(f"covariates: no value for {len(missing)} day(s) needed, first {missing[0].date()}")
            for c in cov.columns:
                X[c] = cov[c].to_numpy(dtype=float)
        X.index.name = "date"
        return X

    def _log_exposure(self, days: pd.DatetimeIndex) -> np.ndarray:
        if self.daily_exposure is None:
            return np.zeros(len(days))
        e = self.daily_exposure.reindex(days)
        if e.isna().any():
            raise TppoError(f"daily_exposure: no value for day {e.index[e.isna()][0].date()}")
        return np.log(e.to_numpy(dtype=float))

    # ----------------------------------------------------------------------------------------------------------
    def max_loglike(self, obs: pd.DataFrame, *, maxiter: int = 2000) -> float:
        """Return the maximised log-likelihood for ``obs`` without standard errors or boundary checks.

        For likelihood-ratio tests: it stays valid when a coefficient runs off to the boundary (where the Wald test
        of :meth:`fit` is meaningless and ``fit`` raises :class:`BoundaryError`).
        """
        obs = _validate_obs(obs)
        model, y, A, log_e, _, _, _ = self._setup(obs)
        return float(model.loglike(_optimise(model, y, A, log_e, maxiter=maxiter)))

    def _setup(self, obs: pd.DataFrame):
        first, last = obs["period_start"].min(), obs["period_end"].max()
        origin = self.origin if self.origin is not None else first + (last - first) / 2
        origin = pd.Timestamp(origin).normalize()
        X = self.design(first, last, origin)
        days = X.index
        A = incidence(obs, days)
        n_days = A.sum(axis=1)
        log_e = self._log_exposure(days)
        per_obs_exposure = "exposure" in obs.columns
        if per_obs_exposure:
            if self.daily_exposure is not None:
                raise TppoError("give exposure either per observation (column exposure) or daily, not both")
            # spread each window's exposure evenly over its days: A_it * E_i / n_i (rows then sum to E_i * mean mu)
            A = A * (obs["exposure"].to_numpy(dtype=float) / n_days)[:, None]
        Xv = X.to_numpy(dtype=float)
        exog = (A @ Xv) / A.sum(axis=1, keepdims=True)
        _check_identified(exog, list(X.columns))
        y = obs["value"].to_numpy(dtype=float)
        model = _CompositeLinkLikelihood(
            y,
            pd.DataFrame(exog, columns=list(X.columns)),
            daily_X=Xv,
            incidence=A,
            log_exposure=log_e,
            family=self.family,
        )
        return model, y, A, log_e, X, origin, per_obs_exposure

    def fit(self, obs: pd.DataFrame, *, maxiter: int = 2000) -> IntervalCountResults:
        """Fit the model to reported window totals.

        Fit to ``obs`` (columns ``period_start``, ``period_end`` — inclusive dates — ``value`` and optionally
        ``exposure``); return :class:`IntervalCountResults`.
        """
        obs = _validate_obs(obs)
        model, y, A, log_e, X, origin, per_obs_exposure = self._setup(obs)
        start = _optimise(model, y, A, log_e, maxiter=maxiter)
        if self.family == "negbin" and start[-1] < 1e-7:
            raise NoOverdispersionError(
                f"negbin: alpha estimated at the boundary ({start[-1]:.2g}): no overdispersion between windows; "
                "use family='poisson'"
            )
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sm_res = model.fit(start_params=start, method="newton", maxiter=50, disp=0, tol=1e-10)
                if not sm_res.mle_retvals.get("converged", False) and (
                    model.loglike(sm_res.params) < model.loglike(start) - 1e-8
                ):
                    # Newton from the optimum only polishes; keep the optimiser's point if Newton wandered.
                    sm_res = model.fit(start_params=start, method="newton", maxiter=0, disp=0)
        except np.linalg.LinAlgError as exc:
            raise TppoError(
                "the information matrix is singular at the optimum: some terms are not identified by these windows "
                f"(terms: {list(X.columns)})"
            ) from exc
        cov = np.asarray(sm_res.cov_params())
        if not np.all(np.isfinite(cov)) or np.any(np.diag(cov) <= 0):
            raise TppoError(
                "the information matrix is singular: some terms are not identified by these windows "
                f"(terms: {list(X.columns)}); drop holiday terms or the trend"
            )
        names = list(X.columns)
        est, se = np.asarray(sm_res.params)[: len(names)], np.sqrt(np.diag(cov))[: len(names)]
        off = {
            n: (float(e), float(s))
            for n, e, s in zip(names, est, se, strict=True)
            if n not in ("intercept",) and (abs(e) > _MAX_ABS_COEF or s > _MAX_SE)
        }
        if off:
            raise BoundaryError(off)
        return IntervalCountResults(self, sm_res, obs, origin, per_obs_exposure)


def _check_identified(exog: np.ndarray, names: list[str]) -> None:
    if exog.shape[0] < exog.shape[1]:
        raise TppoError(
            f"{exog.shape[0]} observation(s) cannot identify {exog.shape[1]} terms ({names}); "
            "use trend='none' or holidays=False"
        )
    # Linearised identifiability: the window-averaged design must have full column rank.
    sv = np.linalg.svd(exog, compute_uv=False)
    if sv[-1] <= 1e-10 * sv[0]:
        raise TppoError(
            f"the windows cannot separate the terms {names} (window-averaged design is rank deficient); "
            "drop some holiday terms or the trend"
        )


def _daily_frame(df: pd.DataFrame, what: str) -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame) or "date" not in df.columns:
        raise TppoError(f"{what}: expected a DataFrame with a date column")
    out = df.copy()
    out["date"] = pd.to_datetime(out["date"]).dt.normalize()
    if out["date"].duplicated().any():
        raise TppoError(f"{what}: duplicated dates, first {out.loc[out['date'].duplicated(), 'date'].iloc[0].date()}")
    return out.set_index("date").sort_index().astype(float)


def _validate_obs(obs: pd.DataFrame, file: str = "<obs>") -> pd.DataFrame:
    if not isinstance(obs, pd.DataFrame):
        raise TppoError("obs must be a DataFrame with columns period_start, period_end, value")
    missing = [c for c in ("period_start", "period_end", "value") if c not in obs.columns]
    if missing:
        raise DataValidationError([Problem(file, 1, c, None, "required column missing") for c in missing], file=file)
    if len(obs) == 0:
        raise TppoError(f"{file}: no observations")
    problems: list[Problem] = []
    out = obs.reset_index(drop=True).copy()
    for col in ("period_start", "period_end"):
        parsed = pd.to_datetime(out[col], errors="coerce")
        for i in np.flatnonzero(parsed.isna().to_numpy()).tolist():
            problems.append(Problem(file, int(i) + 2, col, str(out[col].iloc[i]), "not a date"))
        out[col] = parsed.dt.normalize()
    values = pd.to_numeric(out["value"], errors="coerce")
    for i, (raw, v) in enumerate(zip(out["value"], values, strict=True)):
        if pd.isna(v):
            problems.append(Problem(file, i + 2, "value", str(raw), "not a number"))
        elif v < 0 or v != np.floor(v):
            problems.append(Problem(file, i + 2, "value", str(raw), "count must be a non-negative integer"))
    bad_order = (out["period_end"] < out["period_start"]).fillna(False).to_numpy()
    for i in np.flatnonzero(bad_order).tolist():
        problems.append(
            Problem(
                file, int(i) + 2, "period_end", str(out["period_end"].iloc[i].date()), "window ends before it starts"
            )
        )
    if "exposure" in out.columns:
        ex = pd.to_numeric(out["exposure"], errors="coerce")
        for i, (raw, v) in enumerate(zip(out["exposure"], ex, strict=True)):
            if pd.isna(v) or v <= 0:
                problems.append(Problem(file, i + 2, "exposure", str(raw), "exposure must be a positive number"))
        out["exposure"] = ex
    if problems:
        raise DataValidationError(problems, file=file)
    out["value"] = values.astype(np.int64)
    return out
