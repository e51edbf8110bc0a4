"""A fitted interval count model: coefficients with their identification, predictions for any window, the protocol.

Predictions (:meth:`IntervalCountResults.predict_window`, :meth:`~IntervalCountResults.monthly`) are a parametric
bootstrap: coefficient draws from the Bayesian posterior ``N(beta, (F + P)^-1)`` of the penalized fit (Wood 2006),
with ``F`` taken at the small-sample corrected dispersion, times a random walk past the data (``drift_sd``), plus
Poisson / gamma-Poisson count noise with the corrected dispersion ``alpha * n / (n - edf - 1)``; seeded. The
planted-truth study (``scripts/planted_truth_study.py``) checks the resulting 90% bands.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from ...errors import TppoError
from ...protocol import Result, Summary, check_level, round_frame
from ._design import Layout, month_dispersion_weights
from ._likelihood import Engine, Fit, Problem
from ._predict import Draws, PeriodMixin, covered_days, draw_panel, identification_table, mask_not_identified

__all__ = ["IntervalCountResults"]


class IntervalCountResults(Draws, PeriodMixin, Result):
    """A fitted :class:`~tppo_analysis.models.interval.model.IntervalCountModel`.

    Attributes: ``model``, ``obs`` (the windows, sorted), ``alpha`` (NB2 dispersion; 0 for Poisson or when the
    windows show none, then ``no_overdispersion`` is True), ``edf`` (effective degrees of freedom of the mean),
    ``lam`` (the smooth's penalty weight), ``converged``. ``params``, ``bse``, ``cov_params()``, ``llf``, ``aic``,
    ``bic`` as in statsmodels; ``table`` / ``tidy()`` / ``conf_int()`` / ``summary()`` / ``plot()`` per the protocol.

    Parameters
    ----------
    model : IntervalCountModel
        The model.
    layout : Layout
        The daily design.
    fit : Fit
        The engine's fit.
    obs : DataFrame
        The fitted windows.
    lam : float or None
        Smoothing parameter of a smooth trend.
    problem : Problem
        The fitting problem.
    """

    def __init__(self, model, layout: Layout, fit: Fit, obs: pd.DataFrame, lam: float | None, problem: Problem):
        self.model, self.layout, self.fit_result, self.obs, self.lam = model, layout, fit, obs, lam
        self._problem = problem
        self.family = model.family
        self.alpha = float(fit.alpha[0]) if model.family == "negbin" else 0.0
        self.no_overdispersion = model.family == "negbin" and self.alpha == 0.0
        self.beta = fit.beta
        self.edf = float(fit.edf)
        self.converged = bool(fit.converged)
        self.per_obs_exposure = "exposure" in obs.columns
        cov_ml = np.linalg.inv(fit.H)
        #: covariance at the ML dispersion, ``(F + P)^-1`` (for comparison with other software)
        self.cov_ml = 0.5 * (cov_ml + cov_ml.T)
        self.cov = self._covariance()
        self._ident: pd.DataFrame | None = None
        self.title = self._title()

    def _covariance(self) -> np.ndarray:
        """``(F + P)^-1`` with ``F`` at the corrected dispersion (plain ``H^-1`` for Poisson)."""
        H = self.fit_result.H
        if self.alpha > 0:
            eng = Engine(self._problem, self.family)
            _, m, C = eng.means(self.beta)
            a = self.alpha * self.alpha_df_factor * self._problem.c
            H = C.T @ ((1.0 / (np.maximum(m, 1e-300) * (1.0 + a * m)))[:, None] * C) + (H - self.fit_result.F)
        cov = np.linalg.inv(H)
        return 0.5 * (cov + cov.T)

    # -- statsmodels-like accessors ------------------------------------------------------------------------------
    @property
    def llf(self) -> float:
        """Log-likelihood at the estimate."""
        return float(self.fit_result.loglik)

    @property
    def aic(self) -> float:
        """AIC with the effective degrees of freedom (plus 1 for the NB2 dispersion)."""
        return -2 * self.llf + 2 * (self.edf + (self.alpha > 0))

    @property
    def bic(self) -> float:
        """BIC with the effective degrees of freedom (plus 1 for the NB2 dispersion)."""
        return -2 * self.llf + math.log(len(self.obs)) * (self.edf + (self.alpha > 0))

    @property
    def params(self) -> pd.Series:
        """Coefficients (log scale) and, for NB2, ``alpha``."""
        names = list(self.layout.names) + (["alpha"] if self.family == "negbin" else [])
        vals = list(self.beta) + ([self.alpha] if self.family == "negbin" else [])
        return pd.Series(vals, index=names, name="params")

    @property
    def bse(self) -> pd.Series:
        """Standard errors of the coefficients (at the small-sample corrected dispersion)."""
        return pd.Series(np.sqrt(np.diag(self.cov)), index=self.layout.names, name="bse")

    def cov_params(self) -> pd.DataFrame:
        """Covariance of the coefficients (at the small-sample corrected dispersion)."""
        return pd.DataFrame(self.cov, index=self.layout.names, columns=self.layout.names)

    @property
    def alpha_df_factor(self) -> float:
        """Return the small-sample correction of the NB2 dispersion.

        ``n / (n - edf - 1)``: the small-sample correction of the NB2 dispersion used for intervals (ML ``alpha``
        is biased low when the windows are few relative to the effective number of parameters).
        """
        if self.family != "negbin":
            return 1.0
        n = len(self.obs)
        return n / max(n - self.edf - 1.0, 1.0)

    # -- prediction -----------------------------------------------------------------------------------------------
    def _mu(self, days: pd.DatetimeIndex, betas: np.ndarray, exposure: float | None = None) -> np.ndarray:
        eta = self.layout.eta(days, betas) + self.model.log_exposure(days)[:, None]
        mu = np.exp(np.clip(eta, -700, 700))
        if self.per_obs_exposure:
            if exposure is None:
                raise TppoError("this model was fitted with per-window exposure: pass exposure= to predict a count")
            return mu * (exposure / len(days))
        if exposure is not None:
            raise TppoError("exposure= applies only to models fitted with a per-window exposure column")
        return mu

    def _window_alpha(self, days: pd.DatetimeIndex) -> float:
        a = self.alpha * self.alpha_df_factor
        if a > 0 and self.model.dispersion == "month":
            a *= float(month_dispersion_weights([days[0]], [days[-1]])[0])
        return a

    def predict_window(
        self, start, end, level: float = 0.9, seed: int = 0, *, n_draws: int = 2000, exposure: float | None = None
    ) -> dict:
        """Predicted total over the inclusive window ``start``..``end``.

        Returns a dict: ``mean`` (expected total at the estimates), ``lower`` / ``upper`` (prediction interval at
        ``level`` for the reported total: parameter uncertainty, drift past the data and count noise),
        ``ci_lower`` / ``ci_upper`` (interval for the expected total), ``level``, ``n_draws``.

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
        exposure : float, optional
            Total exposure of the window, for models fitted with per-window exposure.
        """
        level = check_level(level)
        start, end = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
        if end < start:
            raise TppoError(f"window ends ({end.date()}) before it starts ({start.date()})")
        days = pd.date_range(start, end, freq="D")
        rng = np.random.default_rng(seed)
        point = float(self._mu(days, self.beta[None, :], exposure).sum())
        draws = self._draws(n_draws, rng)
        mu = self._mu(days, draws, exposure) * np.exp(
            self._drift(days, n_draws, rng, self.model.drift_sd, self.layout.first, self.layout.last)
        )
        means = mu.sum(axis=0)
        counts = self._noise(means, self._window_alpha(days), rng)
        return {
            "start": start,
            "end": end,
            **self._interval(counts, means, point, level),
            "level": level,
            "n_draws": n_draws,
        }

    def monthly(self, level: float = 0.9, seed: int = 0, *, start=None, end=None, n_draws: int = 2000) -> pd.DataFrame:
        """Predict the total of each calendar month.

        Predicted total for each calendar month from ``start`` to ``end`` (default: the months the windows touch):
        month (first day), mean, lower, upper (prediction interval at ``level``), ci_lower, ci_upper (interval for
        the expected total). One set of draws is shared by all months.

        Parameters
        ----------
        level : float
            Confidence or prediction level, between 0 and 1.
        seed : int
            Seed of the random draws (results are reproducible).
        start : date-like, optional
            First month (default: the first window).
        end : date-like, optional
            Last month (default: the last window).
        n_draws : int
            Number of parameter and count draws.
        """
        if self.per_obs_exposure:
            raise TppoError("monthly() needs a daily exposure; this model used per-window exposure")
        level = check_level(level)
        first = pd.Timestamp(start if start is not None else self.obs["period_start"].min()).to_period("M")
        last = pd.Timestamp(end if end is not None else self.obs["period_end"].max()).to_period("M")
        months = pd.period_range(first, last, freq="M")
        days = pd.date_range(months[0].start_time, months[-1].end_time.normalize(), freq="D")
        rng = np.random.default_rng(seed)
        draws = self._draws(n_draws, rng)
        mu_hat = self._mu(days, self.beta[None, :])[:, 0]
        mu = self._mu(days, draws) * np.exp(
            self._drift(days, n_draws, rng, self.model.drift_sd, self.layout.first, self.layout.last)
        )
        month_of_day = np.asarray(days.to_period("M").asi8)
        rows = []
        for mth in months:
            sel = month_of_day == mth.ordinal
            means = mu[sel].sum(axis=0)
            counts = self._noise(means, self._window_alpha(days[sel]), rng)
            rows.append(
                {"month": mth.start_time.normalize(), **self._interval(counts, means, float(mu_hat[sel].sum()), level)}
            )
        return pd.DataFrame(rows)

    def fitted_windows(self) -> pd.DataFrame:
        """Return the windows with the fitted total (``fitted``) and Pearson residual (``pearson``)."""
        out = self.obs.copy()
        out["fitted"] = self.fit_result.m
        a = self.alpha * (self._problem.c if self.alpha > 0 else 0.0)
        out["pearson"] = (out["value"] - out["fitted"]) / np.sqrt(out["fitted"] * (1 + a * out["fitted"]))
        return out

    def _log_rate_and_gradient(self, days: pd.DatetimeIndex, series: str | None = None) -> tuple[float, np.ndarray]:
        return self._log_rate_and_gradient_from(lambda b: self.layout.eta(days, b), days)

    # -- terms and the protocol -----------------------------------------------------------------------------------
    def identification(self) -> pd.DataFrame:
        """Return the identification of each coefficient other than the smooth's.

        Per coefficient other than the smooth's: estimate and se (log scale), the data-only se, the shift without
        the term's ridge and ``identified`` (the rule is in :mod:`~tppo_analysis.models.interval._predict`).
        """
        if self._ident is None:
            self._ident = identification_table(
                Engine(self._problem, self.family),
                self.fit_result,
                self.cov,
                self.layout.names,
                self.layout.groups,
                self.model.prior_sd,
            )
        return self._ident.copy()

    def _title(self) -> str:
        """One line naming the estimate."""
        m = self.model
        trend = m.trend
        if m.trend == "smooth":
            crit = m.smoothing.upper() if isinstance(m.smoothing, str) else "fixed lambda"
            trend = f"smooth trend ({crit}, {self.edf:.1f} effective df)"
        fam = "Poisson" if self.family == "poisson" else f"NB2 ({m.dispersion}-level dispersion)"
        o = self.obs
        return (
            f"Interval count model, {fam}, {trend}: {len(o)} windows, {o['period_start'].min().date()} to "
            f"{o['period_end'].max().date()}"
        )

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """Return the estimates as a tidy frame (protocol columns plus identified, note).

        One row per coefficient (log scale) and, for a smooth trend, the expected mean daily rate of each calendar
        year with reported days (``daily_rate:YYYY``, rate scale); columns of the protocol plus ``identified`` and
        ``note``. Not-identified terms have no estimate (``note`` = "not bounded").

        Parameters
        ----------
        level : float
            Confidence or prediction level, between 0 and 1.
        """
        level = check_level(level)
        z = float(stats.norm.ppf(0.5 + level / 2))
        rows = [
            {
                "term": r.term,
                "estimate": r.estimate,
                "se": r.se,
                "ci_lower": r.estimate - z * r.se,
                "ci_upper": r.estimate + z * r.se,
                "scale": "log",
                "level": level,
                "identified": r.identified,
                "note": "",
            }
            for r in self.identification().itertuples(index=False)
        ]
        if self.layout.basis is not None:
            cov = covered_days(self.obs)
            for year in range(self.obs["period_start"].min().year, self.obs["period_end"].max().year + 1):
                days = pd.date_range(f"{year}-01-01", f"{year}-12-31")
                n_in = int(days.isin(cov).sum())
                if n_in == 0:
                    continue
                pr = self.period_rate(days[0], days[-1], level)
                rows.append(
                    {
                        "term": f"daily_rate:{year}",
                        "estimate": pr["estimate"],
                        "se": pr["estimate"] * pr["se_log"],
                        "ci_lower": pr["ci_lower"],
                        "ci_upper": pr["ci_upper"],
                        "scale": "rate",
                        "level": level,
                        "identified": pr["identified"],
                        "note": "" if n_in == len(days) else f"{n_in} of {len(days)} days reported",
                    }
                )
        return mask_not_identified(
            pd.DataFrame(
                rows, columns=["term", "estimate", "se", "ci_lower", "ci_upper", "scale", "level", "identified", "note"]
            )
        )

    @property
    def table(self) -> pd.DataFrame:
        """:meth:`tidy` at 95%."""
        return self.tidy(0.95)

    def notes(self) -> list[str]:
        """Return the plain-language caveats shown under the summary."""
        out = []
        if self.no_overdispersion:
            out.append("NB2 dispersion estimated at 0 (no over-dispersion between windows): this is the Poisson fit.")
        if (self.identification()["identified"] == "no").any():
            out.append(
                "Terms marked 'no' are not bounded by these windows (data-only 95% interval more than 100-fold "
                "wide): no estimate is shown for them."
            )
        return out

    def summary(self) -> Summary:
        """Return a small, rounded, deterministic summary."""
        return Summary(self.title, round_frame(self.tidy()), tuple(self.notes()))

    def plot(self, ax=None, *, level: float = 0.9, seed: int = 0, events=None, start=None, end=None):
        """Plot the reported windows under the monthly fit and its band.

        Reported windows under the monthly fitted mean and its prediction band (log scale, no-data months
        hatched, ``events`` as dashed lines). Returns ``(fig, ax)``.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on (a new figure when None).
        level : float
            Confidence or prediction level, between 0 and 1.
        seed : int
            Seed of the random draws (results are reproducible).
        events : mapping of str to date, optional
            Events drawn as dashed vertical lines (label -> date).
        start : date-like, optional
            First month shown.
        end : date-like, optional
            Last month shown.
        """
        if ax is None:
            import matplotlib.pyplot as plt

            fig, ax = plt.subplots(figsize=(8.5, 3.0))
        else:
            fig = ax.figure
        draw_panel(ax, self.obs, self.monthly(level=level, seed=seed, start=start, end=end), level=level, events=events)
        return fig, ax
