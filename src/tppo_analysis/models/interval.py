"""Counts observed only as totals over irregular windows: a composite-link count model (Eilers 2007).

Officials report deferrals as totals over windows that start and end on any day ("1 January to 3 August: 1,726").
The model puts a smooth, covariate-driven mean on the *daily* grid and links each reported total to the sum of the
daily means over its inclusive window:

.. math::

    \\log \\mu_t = x_t^\\top \\beta + \\log e_t, \\qquad
    y_I \\sim \\text{Poisson}(m_I) \\text{ or } \\text{NB2}(m_I, \\alpha), \\qquad m_I = \\sum_{t \\in I} \\mu_t ,

where ``x_t`` holds an intercept, a trend (in years from the centre of the data), optional level shifts at known
dates, the moving-holiday indicators of :mod:`tppo_analysis.calendar` and any user daily covariates, and ``e_t`` is an
optional exposure. NB2 means ``Var(y_I) = m_I + alpha * m_I**2`` at the window level.

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
from scipy import optimize, special, stats
from statsmodels.base.model import GenericLikelihoodModel
from statsmodels.tools.numdiff import approx_fprime

from ..calendar import daily_holiday_indicators
from ..errors import DataValidationError, Problem, TppoError

__all__ = [
    "IntervalCountModel",
    "IntervalCountResults",
    "HOLIDAY_TERMS",
    "BoundaryError",
    "detection_power",
]

#: Daily holiday indicators used when ``holidays=True``.
HOLIDAY_TERMS = ["ramadan", "pre_idul_fitri", "post_idul_fitri", "pre_idul_adha"]
_ALLOWED_HOLIDAY = set(HOLIDAY_TERMS) | {"holiday", "working_day"}
_TRENDS = ("none", "linear", "quadratic")
_FAMILIES = ("poisson", "negbin")
_DAYS_PER_YEAR = 365.25


class BoundaryError(TppoError):
    """A coefficient ran off to the edge of the parameter space (e.g. a holiday effect estimated as a rate ratio of
    ~0): the windows cannot bound it, so its Wald interval and every prediction using it are meaningless."""

    def __init__(self, terms: dict[str, tuple[float, float]]):
        self.terms = terms
        shown = "; ".join(f"{t}: estimate {e:.3g}, se {s:.3g}" for t, (e, s) in terms.items())
        super().__init__(
            f"coefficient(s) at the boundary, not bounded by these windows ({shown}); drop these terms"
        )


#: A log-scale coefficient beyond this (a rate ratio below e^-12 or above e^12) or with a standard error above
#: _MAX_SE is treated as running off to the boundary.
_MAX_ABS_COEF = 12.0
_MAX_SE = 25.0


# --------------------------------------------------------------------------------------------------------------
# statsmodels likelihood
# --------------------------------------------------------------------------------------------------------------
class _CompositeLinkLikelihood(GenericLikelihoodModel):
    """Window totals with a daily log-linear mean. ``exog`` is the window-averaged design (for statsmodels'
    bookkeeping and ``summary``); the likelihood uses the daily design ``daily_X`` and the incidence matrix ``A``."""

    def __init__(self, endog, exog, *, daily_X, incidence, log_exposure, family, **kwds):
        self.daily_X = np.asarray(daily_X, dtype=float)
        self.incidence = np.asarray(incidence, dtype=float)
        self.log_exposure = np.asarray(log_exposure, dtype=float)
        self.family = family
        extra = ["alpha"] if family == "negbin" else None
        super().__init__(endog, exog, extra_params_names=extra, **kwds)
        if family == "negbin":
            self.k_extra = 1
        # df as for a GLM: parameters of the mean (+ alpha as an extra parameter).
        self.df_model = self.exog.shape[1] - 1
        self.df_resid = self.endog.shape[0] - self.exog.shape[1] - (1 if family == "negbin" else 0)

    # -- pieces -------------------------------------------------------------------------------------------------
    def _split(self, params):
        params = np.asarray(params, dtype=float)
        k = self.daily_X.shape[1]
        beta = params[:k]
        alpha = params[k] if self.family == "negbin" else None
        return beta, alpha

    def _means(self, beta):
        eta = self.daily_X @ beta + self.log_exposure
        mu = np.exp(np.clip(eta, -700, 700))
        m = self.incidence @ mu
        return mu, m

    # -- likelihood ---------------------------------------------------------------------------------------------
    def loglikeobs(self, params):
        beta, alpha = self._split(params)
        _, m = self._means(beta)
        y = self.endog
        m = np.maximum(m, 1e-300)
        if self.family == "poisson":
            return y * np.log(m) - m - special.gammaln(y + 1)
        if alpha is None or not np.isfinite(alpha) or alpha <= 0:
            return np.full_like(y, -np.inf, dtype=float)
        inv = 1.0 / alpha
        return (
            special.gammaln(y + inv)
            - special.gammaln(inv)
            - special.gammaln(y + 1)
            - inv * np.log1p(alpha * m)
            + y * (np.log(alpha * m) - np.log1p(alpha * m))
        )

    def loglike(self, params):
        return float(np.sum(self.loglikeobs(params)))

    def score(self, params):
        beta, alpha = self._split(params)
        mu, m = self._means(beta)
        y = self.endog
        m = np.maximum(m, 1e-300)
        if self.family == "poisson":
            dl_dm = y / m - 1.0
        else:
            dl_dm = (y - m) / (m * (1.0 + alpha * m))
        # d m_i / d beta = sum_t A_it mu_t x_t  ->  score = X' (mu * A' dl_dm)
        g_beta = self.daily_X.T @ (mu * (self.incidence.T @ dl_dm))
        if self.family == "poisson":
            return g_beta
        inv = 1.0 / alpha
        g_alpha = np.sum(
            inv**2 * (special.digamma(inv) - special.digamma(y + inv) + np.log1p(alpha * m))
            + (y - m) / (alpha * (1.0 + alpha * m))
        )
        return np.append(g_beta, g_alpha)

    def hessian(self, params):
        h = approx_fprime(np.asarray(params, dtype=float), self.score, centered=True)
        return 0.5 * (h + h.T)


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
        (days 0..20) and ``pre_idul_adha`` (days −30..−1) from :func:`tppo_analysis.calendar.daily_holiday_indicators`;
        a list picks some of them (``"holiday"`` and ``"working_day"`` are also allowed). Their coefficients are
        log rate ratios for a day in the period.
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
        years = (days - origin).days.to_numpy() / _DAYS_PER_YEAR
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
                raise TppoError(
                    f"covariates: no value for {len(missing)} day(s) needed, first {missing[0].date()}"
                )
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
        """The maximised log-likelihood for ``obs`` without standard errors or boundary checks.

        For likelihood-ratio tests: it stays valid when a coefficient runs off to the boundary (where the Wald test
        of :meth:`fit` is meaningless and ``fit`` raises :class:`BoundaryError`)."""
        obs = _validate_obs(obs)
        model, y, A, log_e, _, _, _ = self._setup(obs)
        return float(model.loglike(_optimise(model, y, A, log_e, maxiter=maxiter)))

    def _setup(self, obs: pd.DataFrame):
        first, last = obs["period_start"].min(), obs["period_end"].max()
        origin = self.origin if self.origin is not None else first + (last - first) / 2
        origin = pd.Timestamp(origin).normalize()
        X = self.design(first, last, origin)
        days = X.index
        A = _incidence(obs, days)
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
        """Fit to ``obs`` (columns ``period_start``, ``period_end`` — inclusive dates — ``value`` and optionally
        ``exposure``); return :class:`IntervalCountResults`."""
        obs = _validate_obs(obs)
        model, y, A, log_e, X, origin, per_obs_exposure = self._setup(obs)
        start = _optimise(model, y, A, log_e, maxiter=maxiter)
        if self.family == "negbin" and start[-1] < 1e-7:
            raise TppoError(
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
        off = {n: (float(e), float(s)) for n, e, s in zip(names, est, se)
               if n not in ("intercept",) and (abs(e) > _MAX_ABS_COEF or s > _MAX_SE)}
        if off:
            raise BoundaryError(off)
        return IntervalCountResults(self, sm_res, obs, origin, per_obs_exposure)


# --------------------------------------------------------------------------------------------------------------
def _optimise(model: _CompositeLinkLikelihood, y, A, log_e, *, maxiter: int) -> np.ndarray:
    """Maximise the likelihood with BFGS (analytic score); ``alpha`` is optimised on the log scale. The statsmodels
    Newton step in :meth:`IntervalCountModel.fit` then polishes the optimum and supplies the Hessian."""
    k = model.daily_X.shape[1]
    base = A @ np.exp(log_e)
    beta0 = np.zeros(k)
    beta0[0] = np.log(max(y.sum(), 0.5) / base.sum())
    pois = _CompositeLinkLikelihood(
        y, model.exog, daily_X=model.daily_X, incidence=A, log_exposure=log_e, family="poisson"
    )

    def f_p(b):
        return -pois.loglike(b) / len(y)

    def g_p(b):
        return -pois.score(b) / len(y)

    r = optimize.minimize(f_p, beta0, jac=g_p, method="BFGS", options={"maxiter": maxiter, "gtol": 1e-9})
    beta = r.x
    if model.family == "poisson":
        return beta
    _, m = pois._means(beta)
    alpha0 = float(np.clip(np.mean(((y - m) ** 2 - m) / np.maximum(m, 1e-8) ** 2), 1e-3, 10.0))

    def f_nb(theta):
        p = np.append(theta[:k], np.exp(theta[k]))
        v = model.loglike(p)
        return np.inf if not np.isfinite(v) else -v / len(y)

    def g_nb(theta):
        a = np.exp(theta[k])
        s = model.score(np.append(theta[:k], a))
        s[k] *= a
        return -s / len(y)

    theta0 = np.append(beta, np.log(alpha0))
    r = optimize.minimize(f_nb, theta0, jac=g_nb, method="BFGS", options={"maxiter": maxiter, "gtol": 1e-10})
    theta = r.x
    return np.append(theta[:k], np.exp(theta[k]))


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
        for i in np.flatnonzero(parsed.isna().to_numpy()):
            problems.append(Problem(file, int(i) + 2, col, str(out[col].iloc[i]), "not a date"))
        out[col] = parsed.dt.normalize()
    values = pd.to_numeric(out["value"], errors="coerce")
    for i, (raw, v) in enumerate(zip(out["value"], values)):
        if pd.isna(v):
            problems.append(Problem(file, i + 2, "value", str(raw), "not a number"))
        elif v < 0 or v != np.floor(v):
            problems.append(Problem(file, i + 2, "value", str(raw), "count must be a non-negative integer"))
    bad_order = (out["period_end"] < out["period_start"]).fillna(False).to_numpy()
    for i in np.flatnonzero(bad_order):
        problems.append(Problem(file, int(i) + 2, "period_end", str(out["period_end"].iloc[i].date()),
                                "window ends before it starts"))
    if "exposure" in out.columns:
        ex = pd.to_numeric(out["exposure"], errors="coerce")
        for i, (raw, v) in enumerate(zip(out["exposure"], ex)):
            if pd.isna(v) or v <= 0:
                problems.append(Problem(file, i + 2, "exposure", str(raw), "exposure must be a positive number"))
        out["exposure"] = ex
    if problems:
        raise DataValidationError(problems, file=file)
    out["value"] = values.astype(np.int64)
    return out


def _incidence(obs: pd.DataFrame, days: pd.DatetimeIndex) -> np.ndarray:
    """0/1 matrix: A[i, t] = 1 when day t lies in window i (inclusive)."""
    d = days.to_numpy()
    s = obs["period_start"].to_numpy()[:, None]
    e = obs["period_end"].to_numpy()[:, None]
    return ((d[None, :] >= s) & (d[None, :] <= e)).astype(float)


# --------------------------------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------------------------------
class IntervalCountResults:
    """A fitted :class:`IntervalCountModel`.

    ``params``, ``bse``, ``llf``, ``aic``, ``summary()`` and every other attribute of the underlying statsmodels
    ``GenericLikelihoodModelResults`` are available directly (``res.sm`` is that object). ``table`` is the tidy
    coefficient table; ``predict_window`` and ``monthly`` give predictions with parametric-bootstrap intervals.
    """

    def __init__(self, model: IntervalCountModel, sm_res, obs: pd.DataFrame, origin: pd.Timestamp,
                 per_obs_exposure: bool):
        self.model = model
        self.sm = sm_res
        self.obs = obs
        self.origin = origin
        self.per_obs_exposure = per_obs_exposure
        self.family = model.family
        names = list(model.term_names) + (["alpha"] if model.family == "negbin" else [])
        self._names = names

    def __getattr__(self, name):
        if name in ("sm", "_names"):
            raise AttributeError(name)
        return getattr(self.sm, name)

    @property
    def params(self) -> pd.Series:
        return pd.Series(np.asarray(self.sm.params), index=self._names, name="params")

    @property
    def bse(self) -> pd.Series:
        return pd.Series(np.asarray(self.sm.bse), index=self._names, name="bse")

    @property
    def llf(self) -> float:
        return float(self.sm.llf)

    def cov_params(self) -> pd.DataFrame:
        return pd.DataFrame(np.asarray(self.sm.cov_params()), index=self._names, columns=self._names)

    def summary(self, **kwargs):
        return self.sm.summary(**kwargs)

    def conf_table(self, level: float = 0.95) -> pd.DataFrame:
        """Tidy table: term, estimate, se, ci_lower, ci_upper (Wald interval at ``level``)."""
        z = stats.norm.ppf(0.5 + level / 2)
        est, se = self.params, self.bse
        return pd.DataFrame(
            {
                "term": est.index,
                "estimate": est.to_numpy(),
                "se": se.to_numpy(),
                "ci_lower": (est - z * se).to_numpy(),
                "ci_upper": (est + z * se).to_numpy(),
            }
        )

    @property
    def table(self) -> pd.DataFrame:
        """Tidy coefficient table with 95% Wald intervals. Coefficients other than ``intercept`` and ``alpha`` are
        on the log scale: ``exp(estimate)`` is a rate ratio (per year for ``trend``)."""
        return self.conf_table(0.95)

    # -- prediction ---------------------------------------------------------------------------------------------
    def _param_draws(self, n_draws: int, rng: np.random.Generator) -> np.ndarray:
        p = self.params.to_numpy()
        cov = self.cov_params().to_numpy()
        draws = rng.multivariate_normal(p, cov, size=n_draws, method="eigh")
        if self.family == "negbin":
            # alpha >= 0: draws below zero (alpha near its boundary) are set to a negligible positive value.
            # With few windows the ML alpha is biased low by about (n - k) / n (k parameters incl. alpha), which
            # makes prediction intervals too narrow; predictions use the degrees-of-freedom corrected alpha
            # (the coverage study, scripts/interval_coverage_study.py, checks the result). ``params`` keep ML alpha.
            draws[:, -1] = np.maximum(draws[:, -1], 1e-10) * self.alpha_df_factor
        return draws

    @property
    def alpha_df_factor(self) -> float:
        """n / (n - k): the small-sample correction applied to ``alpha`` in predictions (1 for Poisson)."""
        if self.family != "negbin":
            return 1.0
        n, k = len(self.obs), len(self._names)
        return n / max(n - k, 1)

    def _window_means(self, start, end, beta_draws: np.ndarray, exposure: float | None) -> np.ndarray:
        X = self.model.design(start, end, self.origin)
        days = X.index
        log_e = self.model._log_exposure(days)
        eta = X.to_numpy(dtype=float) @ beta_draws.T + log_e[:, None]
        mu = np.exp(np.clip(eta, -700, 700))
        if self.per_obs_exposure:
            if exposure is None:
                raise TppoError(
                    "this model was fitted with per-observation exposure: pass exposure= (the window's total "
                    "exposure) to predict a count"
                )
            return exposure * mu.mean(axis=0)
        if exposure is not None:
            raise TppoError("exposure= applies only to models fitted with a per-observation exposure column")
        return mu.sum(axis=0)

    def _count_noise(self, means: np.ndarray, alphas: np.ndarray | None, rng: np.random.Generator) -> np.ndarray:
        means = np.minimum(means, 1e15)
        if self.family == "poisson":
            return rng.poisson(means)
        lam = np.minimum(rng.gamma(shape=1.0 / alphas, scale=alphas) * means, 1e15)
        return rng.poisson(lam)

    def predict_window(self, start, end, level: float = 0.9, seed: int = 0, *, n_draws: int = 1000,
                       exposure: float | None = None) -> dict:
        """Predicted total over the inclusive window ``start``..``end``.

        Returns a dict with ``mean`` (plug-in expected total), ``lower``/``upper`` (prediction interval at ``level``
        for the *observed* total: parameter uncertainty + count noise), ``ci_lower``/``ci_upper`` (interval for the
        expected total, parameter uncertainty only), ``level``, ``n_draws``. For the negbin family the count noise
        uses ``alpha`` times :attr:`alpha_df_factor` (small-sample correction; see :meth:`_param_draws`).
        """
        if not 0 < level < 1:
            raise TppoError(f"level must be between 0 and 1, got {level}")
        start, end = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
        if end < start:
            raise TppoError(f"window ends ({end.date()}) before it starts ({start.date()})")
        rng = np.random.default_rng(seed)
        k = len(self.model.term_names)
        point = self._window_means(start, end, self.params.to_numpy()[:k][None, :], exposure)[0]
        draws = self._param_draws(n_draws, rng)
        means = self._window_means(start, end, draws[:, :k], exposure)
        counts = self._count_noise(means, draws[:, k] if self.family == "negbin" else None, rng)
        lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
        return {
            "start": start,
            "end": end,
            "mean": float(point),
            "lower": float(np.quantile(counts, lo, method="inverted_cdf")),
            "upper": float(np.quantile(counts, hi, method="inverted_cdf")),
            "ci_lower": float(np.quantile(means, lo)),
            "ci_upper": float(np.quantile(means, hi)),
            "level": level,
            "n_draws": n_draws,
        }

    def monthly(self, level: float = 0.9, seed: int = 0, *, start=None, end=None, n_draws: int = 1000) -> pd.DataFrame:
        """Predicted total for each calendar month from ``start`` to ``end`` (default: the months the observations
        touch). Columns: month (first day), mean, lower, upper (prediction interval at ``level``), ci_lower,
        ci_upper (interval for the expected total). One set of parameter draws is shared by all months."""
        if self.per_obs_exposure:
            raise TppoError("monthly() needs a daily exposure; this model used per-observation exposure")
        first = pd.Timestamp(start if start is not None else self.obs["period_start"].min()).to_period("M")
        last = pd.Timestamp(end if end is not None else self.obs["period_end"].max()).to_period("M")
        months = pd.period_range(first, last, freq="M")
        day0, day1 = months[0].start_time.normalize(), months[-1].end_time.normalize()
        X = self.model.design(day0, day1, self.origin)
        log_e = self.model._log_exposure(X.index)
        rng = np.random.default_rng(seed)
        k = len(self.model.term_names)
        draws = self._param_draws(n_draws, rng)
        Xv = X.to_numpy(dtype=float)
        mu_hat = np.exp(Xv @ self.params.to_numpy()[:k] + log_e)
        mu_draw = np.exp(np.clip(Xv @ draws[:, :k].T + log_e[:, None], -700, 700))
        month_of_day = X.index.to_period("M")
        lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
        rows = []
        for mth in months:
            sel = np.asarray(month_of_day == mth)
            means = mu_draw[sel].sum(axis=0)
            counts = self._count_noise(means, draws[:, k] if self.family == "negbin" else None, rng)
            rows.append(
                (
                    mth.start_time.normalize(),
                    float(mu_hat[sel].sum()),
                    float(np.quantile(counts, lo, method="inverted_cdf")),
                    float(np.quantile(counts, hi, method="inverted_cdf")),
                    float(np.quantile(means, lo)),
                    float(np.quantile(means, hi)),
                )
            )
        return pd.DataFrame(rows, columns=["month", "mean", "lower", "upper", "ci_lower", "ci_upper"])

    def fitted_windows(self) -> pd.DataFrame:
        """The observations with the fitted window mean (``fitted``) and Pearson residual (``pearson``)."""
        beta = self.params.to_numpy()[: len(self.model.term_names)]
        out = self.obs.copy()
        fitted = []
        for row in out.itertuples(index=False):
            ex = getattr(row, "exposure", None) if self.per_obs_exposure else None
            fitted.append(self._window_means(row.period_start, row.period_end, beta[None, :], ex)[0])
        out["fitted"] = fitted
        var = out["fitted"] if self.family == "poisson" else out["fitted"] * (1 + self.params["alpha"] * out["fitted"])
        out["pearson"] = (out["value"] - out["fitted"]) / np.sqrt(var)
        return out


# --------------------------------------------------------------------------------------------------------------
# detection power
# --------------------------------------------------------------------------------------------------------------
def detection_power(
    windows: pd.DataFrame,
    *,
    term: str,
    rate_ratios: Sequence[float],
    base_params: Mapping[str, float],
    origin,
    family: str = "negbin",
    alpha: float = 0.1,
    holidays: Sequence[str] | None = None,
    reps: int = 200,
    seed: int = 0,
    test_level: float = 0.05,
) -> pd.DataFrame:
    """How often the interval model detects a planted holiday effect, given a window pattern (SYNTHETIC study).

    For each rate ratio ``rr`` of ``term``, simulate ``reps`` record-like data sets: daily mean from
    ``base_params`` (``intercept``, ``trend`` and any holiday terms, log scale, trend per year from ``origin``) with
    ``term`` set to ``log(rr)``; window totals Poisson (``family="poisson"``) or gamma-Poisson with window-level
    ``alpha``. Refit with the same trend and ``holidays`` (default: just ``term``) and test ``term`` = 0 two ways:

    * ``power_wald`` — Wald test from :meth:`IntervalCountModel.fit`; fits that run to the boundary (or whose
      information matrix is singular) cannot be tested and count as not detected (``n_failed``);
    * ``power_lr`` — likelihood-ratio test (:meth:`IntervalCountModel.max_loglike` with and without ``term``,
      chi-squared with 1 df), which stays valid at the boundary.

    A rate ratio of 1 gives the false-positive rate (should be near ``test_level``). Returns one row per rate ratio:
    rate_ratio, power_wald, mc_se_wald, power_lr, mc_se_lr, n_failed, reps.
    """
    hol = list(holidays) if holidays is not None else [term]
    if term not in hol:
        raise TppoError(f"term {term!r} must be among the fitted holiday terms {hol}")
    w = windows[["period_start", "period_end"]].copy().reset_index(drop=True)
    w["period_start"] = pd.to_datetime(w["period_start"])
    w["period_end"] = pd.to_datetime(w["period_end"])
    origin = pd.Timestamp(origin).normalize()
    first, last = w["period_start"].min(), w["period_end"].max()
    cal = daily_holiday_indicators(first, last).set_index("date")
    years = (cal.index - origin).days.to_numpy() / _DAYS_PER_YEAR
    base_eta = base_params.get("intercept", 0.0) + base_params.get("trend", 0.0) * years
    for h in HOLIDAY_TERMS + ["holiday", "working_day"]:
        if h != term and h in base_params:
            base_eta = base_eta + base_params[h] * cal[h].to_numpy()
    A = _incidence(w, cal.index)
    full = IntervalCountModel(family, trend="linear", holidays=hol, origin=origin)
    reduced = IntervalCountModel(family, trend="linear", holidays=[h for h in hol if h != term] or False,
                                 origin=origin)
    crit = stats.chi2.ppf(1 - test_level, 1)
    rows = []
    for k, rr in enumerate(rate_ratios):
        rng = np.random.default_rng([seed, k])
        m = A @ np.exp(base_eta + np.log(rr) * cal[term].to_numpy())
        wald = lr = failed = 0
        for _ in range(reps):
            lam = m * rng.gamma(1.0 / alpha, alpha, size=len(m)) if family == "negbin" else m
            data = w.assign(value=rng.poisson(lam))
            if 2.0 * (full.max_loglike(data) - reduced.max_loglike(data)) > crit:
                lr += 1
            try:
                res = full.fit(data)
            except TppoError as exc:
                if family == "negbin" and "use family='poisson'" in str(exc):
                    # no overdispersion in this replicate: the Poisson fit is the NB fit at alpha = 0
                    try:
                        res = IntervalCountModel("poisson", trend="linear", holidays=hol, origin=origin).fit(data)
                    except TppoError:
                        failed += 1
                        continue
                else:
                    failed += 1
                    continue
            z = res.params[term] / res.bse[term]
            if 2 * stats.norm.sf(abs(z)) < test_level:
                wald += 1
        pw, pl = wald / reps, lr / reps
        rows.append({"rate_ratio": float(rr), "power_wald": pw, "mc_se_wald": float(np.sqrt(pw * (1 - pw) / reps)),
                     "power_lr": pl, "mc_se_lr": float(np.sqrt(pl * (1 - pl) / reps)), "n_failed": failed,
                     "reps": reps})
    return pd.DataFrame(rows)
