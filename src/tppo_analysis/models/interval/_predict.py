"""What single-series and pooled interval fits share.

What single-series and pooled interval fits share: parameter draws, drift past the data, count noise, the
identification rule, period rates and changes (delta method), and the window-and-band panel their ``plot`` draws.

**Identification rule.** For a log-scale coefficient with posterior variance ``v`` and ridge prior precision ``p``
(0 when unpenalized), the data's own information is ``1 / v - p`` and its data-only standard error
``se_data = (1 / v - p) ** -0.5``; ``shift`` is how far the estimate moves when the term's own ridge is removed
(refit, the other terms as they are). The term is ``no`` (not identified) when the data-only 95% interval
``exp(+-1.96 se_data)`` is more than 100-fold wide (``se_data > 1.175``) or the ridge rather than the data holds it
(``shift`` more than a factor 10: the data alone push it towards a boundary, e.g. a holiday whose days report no
deferrals); ``weak`` when that interval is more than 10-fold wide or ``shift`` more than a factor 2; ``yes``
otherwise. A ``no`` term is never printed: its estimate and interval are blank and ``note`` says "not bounded".
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from ...protocol import check_level, round_sig
from .._counts import nb_counts
from ._design import DAYS_PER_YEAR

__all__ = [
    "identification_label",
    "identification_table",
    "mask_not_identified",
    "NOT_BOUNDED",
    "Draws",
    "PeriodMixin",
    "draw_panel",
]

#: data-only 95% interval wider than this (upper / lower): not identified; wider than WEAK_FOLD: weak
NOT_IDENTIFIED_FOLD = 100.0
WEAK_FOLD = 10.0
NOT_BOUNDED = "not bounded"
_Z95 = float(stats.norm.ppf(0.975))


def identification_label(se_data: float, shift: float = 0.0) -> str:
    """Label a log-scale quantity ``yes`` / ``weak`` / ``no``.

    ``"yes"`` / ``"weak"`` / ``"no"`` from the data-only standard error of a log-scale quantity and the shift of
    its estimate when its ridge is removed (see the module docstring).
    """
    if not np.isfinite(se_data) or se_data > 50 or not np.isfinite(shift):
        return "no"
    fold = math.exp(2 * _Z95 * se_data)
    if fold > NOT_IDENTIFIED_FOLD or abs(shift) > math.log(10.0):
        return "no"
    return "weak" if (fold > WEAK_FOLD or abs(shift) > math.log(2.0)) else "yes"


def identification_table(engine, fit, cov: np.ndarray, names, groups, prior_sd: dict) -> pd.DataFrame:
    """Apply the identification rule to the coefficients of a fit.

    The rule of the module docstring for every coefficient in the groups ``breaks``, ``holidays``, ``fixed`` and
    ``covariates`` (the latter two unpenalized: their shift is 0).
    """
    from ._design import VAGUE_PRECISION

    P = fit.H - fit.F
    rows = []
    for j, (name, group) in enumerate(zip(names, groups, strict=True)):
        if group not in ("breaks", "holidays", "fixed", "covariates"):
            continue
        v = float(cov[j, j])
        prior = 1.0 / prior_sd[group] ** 2 if group in ("breaks", "holidays") else 0.0
        info = 1.0 / v - prior
        se_data = 1.0 / math.sqrt(info) if info > 1e-12 else math.inf
        shift = 0.0
        if prior > 0:
            Pj = P.copy()
            Pj[j, j] = VAGUE_PRECISION
            free = engine.fit(Pj, beta0=fit.beta, maxiter=200)
            shift = float(free.beta[j] - fit.beta[j]) if free.converged or abs(free.beta[j]) > 10 else math.inf
        rows.append(
            {
                "term": name,
                "group": group,
                "estimate": float(fit.beta[j]),
                "se": math.sqrt(v),
                "se_data": se_data,
                "shift_without_ridge": shift,
                "identified": identification_label(se_data, shift),
            }
        )
    cols = ["term", "group", "estimate", "se", "se_data", "shift_without_ridge", "identified"]
    return pd.DataFrame(rows, columns=cols)


def mask_not_identified(frame: pd.DataFrame) -> pd.DataFrame:
    """Blank ``estimate``, ``se`` and the interval where ``identified == "no"``; ``note`` says "not bounded"."""
    out = frame.copy()
    no = out["identified"] == "no"
    for c in ("estimate", "se", "ci_lower", "ci_upper"):
        if c in out.columns:
            out[c] = out[c].astype(float)
            out.loc[no, c] = np.nan
    out["note"] = out["note"].astype(object)
    out.loc[no, "note"] = NOT_BOUNDED
    return out


class Draws:
    """Parameter draws from the normal posterior ``N(beta, cov)``, drift past the data and NB2 count noise."""

    beta: np.ndarray
    cov: np.ndarray

    def _draws(self, n_draws: int, rng: np.random.Generator) -> np.ndarray:
        L = np.linalg.cholesky(self.cov)
        return self.beta[None, :] + rng.standard_normal((n_draws, len(self.beta))) @ L.T

    @staticmethod
    def _drift(
        days: pd.DatetimeIndex,
        n_draws: int,
        rng: np.random.Generator,
        tau: float,
        first: pd.Timestamp,
        last: pd.Timestamp,
    ) -> np.ndarray:
        """Random walk of the log level (sd ``tau`` per square-root year) for days outside ``first``..``last``."""
        out = np.zeros((len(days), n_draws))
        if tau <= 0:
            return out
        for mask, edge in ((days > last, last), (days < first, first)):
            if not mask.any():
                continue
            h = np.abs(np.asarray((days[mask] - edge).days, dtype=float))
            order = np.argsort(h, kind="stable")
            steps = np.diff(np.concatenate([[0.0], h[order]]))
            inc = rng.standard_normal((len(h), n_draws)) * (tau * np.sqrt(steps / DAYS_PER_YEAR))[:, None]
            path = np.empty_like(inc)
            path[order] = np.cumsum(inc, axis=0)
            out[mask] = path
        return out

    @staticmethod
    def _noise(means: np.ndarray, a: float, rng: np.random.Generator) -> np.ndarray:
        """NB2 count noise by inversion (``models._counts.nb_counts``: the same bytes at any BLAS thread count)."""
        return nb_counts(means, a, rng)

    @staticmethod
    def _interval(counts: np.ndarray, means: np.ndarray, point: float, level: float) -> dict:
        lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
        return {
            "mean": float(point),
            "lower": float(np.quantile(counts, lo, method="inverted_cdf")),
            "upper": float(np.quantile(counts, hi, method="inverted_cdf")),
            "ci_lower": float(np.quantile(means, lo)),
            "ci_upper": float(np.quantile(means, hi)),
        }


class PeriodMixin:
    """Mean daily rates over periods and their ratios (delta method on the log scale: deterministic).

    Subclasses provide ``_log_rate_and_gradient(days, **kw) -> (log mean daily rate, gradient in beta)``.
    """

    beta: np.ndarray
    cov: np.ndarray

    def _log_rate_and_gradient(self, days: pd.DatetimeIndex, series: str | None = None) -> tuple[float, np.ndarray]:
        raise NotImplementedError

    def period_rate(self, start, end, level: float = 0.9, **kw) -> dict:
        """Return the expected mean daily rate over ``start``..``end`` (inclusive) with a ``level`` interval."""
        level = check_level(level)
        est, g = self._log_rate_and_gradient(pd.date_range(pd.Timestamp(start), pd.Timestamp(end)), **kw)
        se = float(np.sqrt(max(g @ self.cov @ g, 0.0)))
        z = float(stats.norm.ppf(0.5 + level / 2))
        return {
            "estimate": math.exp(est),
            "se_log": se,
            "ci_lower": math.exp(est - z * se),
            "ci_upper": math.exp(est + z * se),
            "level": level,
            "identified": identification_label(se),
        }

    def period_change(self, before, after, level: float = 0.9, **kw) -> dict:
        """Return the ratio of the expected mean daily rates of two periods.

        Ratio of the expected mean daily rate in ``after`` to that in ``before`` (each a (start, end) pair of
        inclusive dates) with a ``level`` interval; parameter uncertainty only (no count noise).
        """
        level = check_level(level)
        e0, g0 = self._log_rate_and_gradient(pd.date_range(*map(pd.Timestamp, before)), **kw)
        e1, g1 = self._log_rate_and_gradient(pd.date_range(*map(pd.Timestamp, after)), **kw)
        g = g1 - g0
        se = float(np.sqrt(max(g @ self.cov @ g, 0.0)))
        z = float(stats.norm.ppf(0.5 + level / 2))
        d = e1 - e0
        return {
            "estimate": math.exp(d),
            "se_log": se,
            "ci_lower": math.exp(d - z * se),
            "ci_upper": math.exp(d + z * se),
            "level": level,
            "identified": identification_label(se),
        }

    def _log_rate_and_gradient_from(self, eta_fn, days: pd.DatetimeIndex) -> tuple[float, np.ndarray]:
        """Log mean of ``exp(eta)`` over ``days`` and its gradient in beta (numerical, one-sided, step 1e-6)."""
        base = eta_fn(self.beta[None, :])[:, 0]
        mu = np.exp(base)
        w = mu / mu.sum()
        B = np.repeat(self.beta[None, :], len(self.beta), axis=0) + 1e-6 * np.eye(len(self.beta))
        J = (eta_fn(B) - base[:, None]) / 1e-6  # days x k
        return float(np.log(mu.mean())), J.T @ w


def covered_days(obs: pd.DataFrame) -> pd.DatetimeIndex:
    """Every day inside at least one window."""
    return pd.DatetimeIndex(
        np.unique(
            np.concatenate(
                [pd.date_range(a, b).values for a, b in zip(obs["period_start"], obs["period_end"], strict=True)]
            )
        )
    )


def draw_panel(ax, obs: pd.DataFrame, mon: pd.DataFrame, *, level: float = 0.9, events=None, color: str = "#0072B2"):
    """Draw one panel: reported windows under the monthly fit and its band.

    One panel: the reported windows as grey bars (daily average over each window) under the monthly fitted mean
    and its ``level`` prediction band, log axis of deferrals per day; months without a reported day are hatched
    ("no data": the band there is interpolation, not data); ``events`` (mapping label -> date) as dashed lines.
    """
    for row in obs.itertuples(index=False):
        days = (row.period_end - row.period_start).days + 1
        ax.bar(
            row.period_start,
            max(row.value, 0.5) / days,
            width=days,
            align="edge",
            color="#999999",
            edgecolor="#555555",
            linewidth=0.5,
            zorder=1,
        )
    ax.bar(
        [obs["period_start"].iloc[0]],
        [0],
        width=0,
        color="#999999",
        edgecolor="#555555",
        label="reported window (daily average)",
    )
    dim = mon["month"].dt.days_in_month.to_numpy()
    mid = mon["month"] + pd.to_timedelta(dim / 2, unit="D")
    ax.fill_between(
        mid,
        np.maximum(mon["lower"].to_numpy(), 0.5) / dim,
        mon["upper"] / dim,
        color=color,
        alpha=0.2,
        linewidth=0,
        zorder=2,
        label=f"{int(round(level * 100))}% prediction band",
    )
    # the line is drawn from the mean rounded as it is shown in tables (3 significant digits), so the figure's bytes
    # do not move with the last bits of the fit (e.g. with the number of BLAS threads)
    shown = np.array([round_sig(float(v)) for v in mon["mean"]])
    ax.plot(mid, shown / dim, color=color, linewidth=1.5, zorder=3, label="fitted mean")
    cov = covered_days(obs)
    gap_label: str | None = "no reported data"
    for m0 in mon["month"]:
        m1 = m0 + pd.offsets.MonthEnd(0)
        if not ((cov >= m0) & (cov <= m1)).any():
            ax.axvspan(
                m0,
                m1 + pd.Timedelta(days=1),
                facecolor="none",
                edgecolor="#666666",
                hatch="///",
                linewidth=0,
                zorder=0,
                label=gap_label,
            )
            gap_label = None
    for label, when in (events or {}).items():
        ax.axvline(pd.Timestamp(when), color="#444444", linestyle="--", linewidth=0.8, zorder=4)
        ax.annotate(
            label,
            (pd.Timestamp(when), 1.0),
            xycoords=("data", "axes fraction"),
            rotation=90,
            fontsize=7,
            va="top",
            ha="right",
            color="#444444",
        )
    ax.set_yscale("log")
    ax.set_ylabel("deferrals per day")
    return ax
