"""Random draws that move continuously with their parameters: count noise by inversion, normal draws by Cholesky.

Core (no stage): the trend models and the effect estimators (sibling stages) both draw through it.

Count noise drawn by inversion, shared by every predictive interval of the package.

Written by hand because numpy has no inversion sampler: ``Generator.poisson`` and ``Generator.gamma`` work by
rejection, so the number of uniforms one draw consumes depends on its mean. A mean that changes in its last bits
(the same fit run with another BLAS thread count, or on another CPU) then reshuffles every later draw, and an end
of a prediction interval moves. Here each count uses exactly one uniform, pushed through the NB2 (or Poisson)
quantile function of scipy, so a count changes only when its uniform lies within rounding error of a step of the
CDF: the committed intervals are the same bytes on any machine.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["nb_counts", "normal_draws"]

#: Poisson means above this use the normal approximation (scipy's Poisson quantile returns NaN near 1e12)
_POISSON_NORMAL_ABOVE = 1e8
_MAX_MEAN = 1e15


def nb_counts(means, alpha, rng: np.random.Generator) -> np.ndarray:
    """Draw counts with the given means and NB2 over-dispersion, one uniform per count.

    Parameters
    ----------
    means : array_like
        Expected counts (clipped to 1e15).
    alpha : float or array_like
        NB2 over-dispersion (variance ``m + alpha m^2``), broadcast against ``means``; 0 or less means Poisson.
    rng : numpy.random.Generator
        Source of the uniforms (exactly ``means.size`` of them are consumed).

    Returns
    -------
    numpy.ndarray
        Float array of non-negative integer counts, shaped like ``means``.
    """
    means = np.minimum(np.asarray(means, dtype=float), _MAX_MEAN)
    u = rng.random(means.shape)
    a = np.broadcast_to(np.asarray(alpha, dtype=float), means.shape)
    pois = a <= 0
    out = np.zeros(means.shape)
    if (~pois).any():
        n = 1.0 / a[~pois]
        out[~pois] = stats.nbinom.ppf(u[~pois], n, n / (n + means[~pois]))
    if pois.any():
        m, up = means[pois], u[pois]
        big = m > _POISSON_NORMAL_ABOVE
        k = stats.poisson.ppf(up, np.where(big, 1.0, m))
        if big.any():
            approx = np.round(m + np.sqrt(m) * stats.norm.ppf(np.clip(up, 1e-300, None)))
            k = np.where(big, approx, k)
        out[pois] = k
    return np.maximum(np.nan_to_num(out, nan=0.0, posinf=_MAX_MEAN), 0.0)


def normal_draws(mean: np.ndarray, cov: np.ndarray, n_draws: int, rng: np.random.Generator) -> np.ndarray:
    """Draw ``n_draws`` rows from ``N(mean, cov)`` through the Cholesky factor.

    The Cholesky factor is unique and continuous in ``cov``, so draws move by rounding error when ``cov`` does; an
    eigendecomposition (numpy's default for ``multivariate_normal``) may flip eigenvector signs between BLAS
    builds and give entirely different draws. A covariance that is not positive definite gets a small diagonal
    jitter (1e-10, then 1e-8 of its largest variance); if it still fails (rank-deficient), eigenvectors with a fixed
    sign convention are used.
    """
    mean = np.asarray(mean, dtype=float)
    cov = np.asarray(cov, dtype=float)
    return mean[None, :] + rng.standard_normal((n_draws, len(mean))) @ _factor(cov).T


def _factor(cov: np.ndarray) -> np.ndarray:
    """Return ``L`` with ``L @ L.T == cov``: Cholesky, with jitter if needed, else a sign-fixed eigen factor."""
    scale = max(float(np.max(np.abs(np.diag(cov)))), 1e-300)
    for jitter in (0.0, 1e-10, 1e-8):
        try:
            return np.linalg.cholesky(cov + np.eye(len(cov)) * jitter * scale)
        except np.linalg.LinAlgError:
            continue
    # not positive definite even with jitter (e.g. a rank-deficient covariance): eigenvectors with a fixed sign
    # (largest component positive), so the factor does not depend on the LAPACK build's sign choice
    w, v = np.linalg.eigh(cov)
    v = v * np.sign(v[np.argmax(np.abs(v), axis=0), np.arange(v.shape[1])])[None, :]
    return v * np.sqrt(np.clip(w, 0.0, None))[None, :]
