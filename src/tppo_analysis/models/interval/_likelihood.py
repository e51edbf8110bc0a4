"""The composite-link likelihood of the interval count model: window totals with a daily log-linear mean.

A reported total ``y_I`` over an inclusive window ``I`` is Poisson (or NB2 at the window level) with mean
``m_I = sum_{t in I} mu_t``, where ``log mu_t = x_t' beta + log e_t`` on the daily grid. This module holds the
statsmodels likelihood (analytic score), the optimiser that finds its maximum, and the 0/1 window x day incidence
matrix. :mod:`~tppo_analysis.models.interval.model` builds the daily design and calls them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, special
from statsmodels.base.model import GenericLikelihoodModel
from statsmodels.tools.numdiff import approx_fprime

__all__ = ["incidence"]


class _CompositeLinkLikelihood(GenericLikelihoodModel):
    """Window totals with a daily log-linear mean.

    ``exog`` is the window-averaged design (for statsmodels' bookkeeping and ``summary``); the likelihood uses the daily
    design ``daily_X`` and the incidence matrix ``A``.
    """

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


def _optimise(model: _CompositeLinkLikelihood, y, A, log_e, *, maxiter: int) -> np.ndarray:
    """Maximise the likelihood with BFGS (analytic score).

    Maximise the likelihood with BFGS (analytic score); ``alpha`` is optimised on the log scale. The statsmodels
    Newton step in :meth:`~tppo_analysis.models.interval.IntervalCountModel.fit` then polishes the optimum and supplies
    the Hessian.
    """
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


def incidence(obs: pd.DataFrame, days: pd.DatetimeIndex) -> np.ndarray:
    """0/1 matrix: A[i, t] = 1 when day t lies in window i (inclusive)."""
    d = days.to_numpy()
    s = obs["period_start"].to_numpy()[:, None]
    e = obs["period_end"].to_numpy()[:, None]
    return ((d[None, :] >= s) & (d[None, :] <= e)).astype(float)
