"""A fitted interval count model: coefficients, window predictions with parametric-bootstrap intervals, residuals.

Prediction intervals for window totals are a parametric bootstrap: parameter draws from the asymptotic normal
(``alpha`` on the log scale) plus Poisson / gamma-Poisson count noise, seeded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from ...errors import TppoError

if TYPE_CHECKING:
    from .model import IntervalCountModel

__all__ = ["IntervalCountResults"]


class IntervalCountResults:
    """A fitted :class:`IntervalCountModel`.

    ``params``, ``bse``, ``llf``, ``aic``, ``summary()`` and every other attribute of the underlying statsmodels
    ``GenericLikelihoodModelResults`` are available directly (``res.sm`` is that object). ``table`` is the tidy
    coefficient table; ``predict_window`` and ``monthly`` give predictions with parametric-bootstrap intervals.
    """

    def __init__(
        self, model: IntervalCountModel, sm_res, obs: pd.DataFrame, origin: pd.Timestamp, per_obs_exposure: bool
    ):
        self.model = model
        self.sm = sm_res
        self.obs = obs
        self.origin = origin
        self.per_obs_exposure = per_obs_exposure
        self.family = model.family
        names = list(model.term_names) + (["alpha"] if model.family == "negbin" else [])
        self._names = names

    def __getattr__(self, name):
        """Forward other attributes to the statsmodels results."""
        if name in ("sm", "_names"):
            raise AttributeError(name)
        return getattr(self.sm, name)

    @property
    def params(self) -> pd.Series:
        """Return the estimates by term (log scale; ``alpha`` is the NB2 dispersion)."""
        return pd.Series(np.asarray(self.sm.params), index=self._names, name="params")

    @property
    def bse(self) -> pd.Series:
        """Return the standard errors by term."""
        return pd.Series(np.asarray(self.sm.bse), index=self._names, name="bse")

    @property
    def llf(self) -> float:
        """Return the maximised log-likelihood."""
        return float(self.sm.llf)

    def cov_params(self) -> pd.DataFrame:
        """Return the covariance of the estimates, labelled by term."""
        return pd.DataFrame(np.asarray(self.sm.cov_params()), index=self._names, columns=self._names)

    def summary(self, **kwargs):
        """Return statsmodels' summary (it prints the date: not for nbval-checked notebooks)."""
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
        """Tidy coefficient table with 95% Wald intervals.

        Coefficients other than ``intercept`` and ``alpha`` are on the log scale: ``exp(estimate)`` is a rate ratio (per
        year for ``trend``).
        """
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
        """N / (n - k): the small-sample correction applied to ``alpha`` in predictions (1 for Poisson)."""
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
        assert alphas is not None  # negbin draws carry their dispersion
        lam = np.minimum(rng.gamma(shape=1.0 / alphas, scale=alphas) * means, 1e15)
        return rng.poisson(lam)

    def predict_window(
        self, start, end, level: float = 0.9, seed: int = 0, *, n_draws: int = 1000, exposure: float | None = None
    ) -> dict:
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
        """Predict the total of each calendar month from ``start`` to ``end``.

        Predicted total for each calendar month from ``start`` to ``end`` (default: the months the observations
        touch). Columns: month (first day), mean, lower, upper (prediction interval at ``level``), ci_lower,
        ci_upper (interval for the expected total). One set of parameter draws is shared by all months.
        """
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
        """Return the observations with the fitted window mean (``fitted``) and Pearson residual (``pearson``)."""
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
