"""Partial pooling across series: a shared smooth shape, a level and a penalized smooth deviation per series.

``log mu_{s,t} = a_s + f(t) + g_s(t) + holiday and break terms`` where ``f`` (the shape all series share) has a
second-order difference penalty ``lam_shape`` and each deviation ``g_s`` a first-order difference penalty
``lam_dev`` (so a large ``lam_dev`` makes every series a scaled copy of the shared shape, and ``lam_dev -> 0``
gives independent smooths). The first B-spline coefficient of ``f`` and of every ``g_s`` is fixed at 0, so the level
``a_s`` carries each series' size (the same fit as centring: likelihood and penalties are blind to a constant moved
between a level and a smooth). Past the joint span every series follows the model's forecast rule, anchored at its
own curve over the last ``anchor_days`` of the span. Both smoothing parameters are chosen by the model's criterion
(a coordinate search on whole powers of ten refined by pattern searches at unit and half steps, the resolution of
the single-series grid: :func:`._likelihood.search_smoothing`), NB2 dispersion is
estimated per series or, with ``shared_dispersion``, once for all series (a series with a handful of windows cannot
estimate its own: national's 5 windows put it at 0 in every planted-truth replication checked). Thin series (a
handful of windows) borrow the shape of the well-reported ones; what they cannot support, the deviation penalty
pulls towards the shared shape.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import sparse, stats

from ...errors import TppoError
from ...protocol import Result, Summary, check_level, round_frame
from ._design import day_number, month_dispersion_weights
from ._likelihood import Engine, Fit, Problem, criterion, search_smoothing
from ._pooled_design import PooledLayout
from ._predict import Draws, PeriodMixin, covered_days, draw_panel, identification_table, mask_not_identified
from .model import IntervalCountModel, validate_obs

__all__ = ["fit_pooled", "PooledIntervalResults", "PooledModel", "KEY_SERIES", "KEY_MEASURE"]

#: The key departure series of docs/CONTRACTS.md §3 and their measure (defaults of the pooled fit and the backtest).
KEY_SERIES = ("national", "tpi:soekarno-hatta", "tpi:juanda", "tpi:batam-seaports")
KEY_MEASURE = "dep_deferral_wni_pmi_suspected"


def fit_pooled(
    obs: pd.DataFrame,
    series: Sequence[str],
    *,
    family: str = "negbin",
    trend: str = "smooth",
    holidays: bool | Sequence[str] = False,
    measure: str = KEY_MEASURE,
    smoothing: str = "aicc",
    shared_dispersion: bool = False,
    **options,
) -> PooledIntervalResults:
    """Fit the key series jointly: a shared smooth shape, a level and a penalized smooth deviation per series.

    Holiday and break terms are shared by all series; NB2 dispersion is estimated per series, or one for all series
    with ``shared_dispersion``.

    Parameters
    ----------
    obs : DataFrame
        Reconciled observations (columns series, measure, period_start, period_end, value).
    series : sequence of str
        Series keys to pool (each needs at least 2 windows of ``measure``).
    family : {'negbin', 'poisson'}
        Count distribution of a window total.
    trend : str
        Must be ``'smooth'``.
    holidays : bool or sequence of str
        Holiday terms, as for :class:`~tppo_analysis.models.interval.model.IntervalCountModel`.
    measure : str
        Measure of the windows.
    smoothing : str
        Criterion choosing both smoothing parameters (``'aicc'``, ``'aic'``, ``'bic'``).
    shared_dispersion : bool
        One NB2 dispersion for all series (the relative excess variance of a window is assumed the same
        everywhere) instead of one per series. Its degrees-of-freedom correction then uses all windows.
    **options : dict
        Further options of :class:`~tppo_analysis.models.interval.model.IntervalCountModel` (``breaks``,
        ``dispersion``, ``forecast``, ``drift_sd``, ``knot_days``, ...).

    Returns
    -------
    PooledIntervalResults
        The fit.
    """
    if trend != "smooth":
        raise TppoError("fit_pooled pools smooth trends: trend must be 'smooth'")
    if len(series) < 1:
        raise TppoError("fit_pooled needs at least one series")
    model = IntervalCountModel(family, trend="smooth", holidays=holidays, smoothing=smoothing, **options)
    data = {}
    for s in series:
        o = obs[(obs["series"] == s) & (obs["measure"] == measure)]
        data[s] = validate_obs(o[["period_start", "period_end", "value"]], file=f"<{s} / {measure}>")
        if data[s]["value"].sum() == 0:
            from ...errors import InsufficientDataError

            raise InsufficientDataError(f"{s}: every window reports 0 events")
    first = min(o["period_start"].min() for o in data.values())
    last = max(o["period_end"].max() for o in data.values())
    lay = PooledLayout(model, list(series), first, last)
    ys, blocks, Xs, cs, groups = [], [], [], [], []
    for g, s in enumerate(series):
        o = data[s]
        st, en = day_number(o["period_start"]), day_number(o["period_end"])
        covered = np.unique(np.concatenate([np.arange(a, b + 1) for a, b in zip(st, en, strict=True)]))
        rows, cols = [], []
        for i, (a, b) in enumerate(zip(st, en, strict=True)):
            j0, j1 = np.searchsorted(covered, a), np.searchsorted(covered, b, side="right")
            rows.append(np.full(j1 - j0, i))
            cols.append(np.arange(j0, j1))
        r, c = np.concatenate(rows), np.concatenate(cols)
        blocks.append(sparse.csr_matrix((np.ones(len(r)), (r, c)), shape=(len(o), len(covered))))
        Xs.append(lay.rows(s, pd.DatetimeIndex(pd.to_datetime(covered, unit="D"))))
        ys.append(o["value"].to_numpy(dtype=float))
        cs.append(
            month_dispersion_weights(o["period_start"], o["period_end"])
            if (family == "negbin" and model.dispersion == "month")
            else np.ones(len(o))
        )
        groups.append(np.full(len(o), g))
        # anchors at the ends of the joint span: its last (first) anchor_days, or the series' last (first) window
        # when that window reaches the end and is longer
        g0, g1 = lay.basis.first, lay.basis.last
        L = model.anchor_days
        right_start = g1 - L + 1
        if en.max() == g1:
            right_start = min(right_start, int(st[int(np.argmax(en))]))
        left_end = g0 + L - 1
        if st.min() == g0:
            left_end = max(left_end, int(en[int(np.argmin(st))]))
        lay.anchors[s] = ((g0, int(left_end)), (int(right_start), g1))
    prob = Problem(
        y=np.concatenate(ys),
        A=sparse.block_diag(blocks, format="csr"),
        X=sparse.vstack([sparse.csr_matrix(x) for x in Xs]).tocsr(),
        offset=np.zeros(sum(x.shape[0] for x in Xs)),
        c=np.concatenate(cs),
        group=np.zeros(sum(len(y) for y in ys), dtype=int) if shared_dispersion else np.concatenate(groups),
        block=np.concatenate(groups),
    )
    engine = Engine(prob, family)
    n = len(prob.y)
    cache: dict[tuple[float, float], tuple[float, Fit]] = {}

    def crit(ls: float, ld: float) -> float:
        # The NB2 likelihood with a dispersion per series can have several local optima (a series' alpha at 0 or
        # inside). Each grid point is fitted from a cold start and from the fit at the nearest point already
        # computed, and the higher penalized likelihood is kept, so the choice does not depend on the search path.
        key = (round(ls, 6), round(ld, 6))
        if key not in cache:
            P = lay.penalty(10.0**ls, 10.0**ld)
            fits = [engine.fit(P)]
            if cache:
                near = min(cache, key=lambda k: (abs(k[0] - key[0]) + abs(k[1] - key[1]), k))
                fits.append(engine.fit(P, beta0=cache[near][1].beta, alpha0=cache[near][1].alpha))
            f = max(fits, key=lambda f: round(f.loglik - 0.5 * float(f.beta @ P @ f.beta), 6))
            cache[key] = (criterion(f, n, smoothing), f)
        return cache[key][0]

    ls, ld = search_smoothing(crit)
    fit = cache[(round(ls, 6), round(ld, 6))][1]
    return PooledIntervalResults(model, lay, fit, data, (10.0**ls, 10.0**ld), prob)


class PooledModel:
    """An unfitted pooled model for :func:`~tppo_analysis.models.backtest.backtest`: ``fit(obs, series)``.

    Parameters
    ----------
    **options : dict
        Passed to :func:`fit_pooled`.
    """

    def __init__(self, **options):
        self.options = options

    def __repr__(self) -> str:
        """Show the options."""
        return f"PooledModel({', '.join(f'{k}={v!r}' for k, v in self.options.items())})"

    def fit(self, obs: pd.DataFrame, series: Sequence[str]) -> PooledIntervalResults:
        """Fit to the windows ``obs`` and return the results.

        Parameters
        ----------
        obs : DataFrame
            Training windows of all series.
        series : sequence of str
            Series keys to pool.
        """
        return fit_pooled(obs, series, **self.options)


class PooledIntervalResults(Draws, PeriodMixin, Result):
    """A pooled fit of several series.

    A pooled fit: ``predict_window(..., series=)``, ``monthly(series=)``, ``period_change(..., series=)`` and
    the result protocol (``tidy`` has a ``series`` column; shared holiday and break terms have series "all").

    Parameters
    ----------
    model : IntervalCountModel
        Options of the fit.
    layout : PooledLayout
        The pooled design.
    fit : Fit
        The engine's fit.
    data : dict
        Windows per series.
    lams : tuple of float
        Smoothing parameters (shape, deviation).
    prob : Problem
        The fitting problem.
    """

    def __init__(self, model, layout: PooledLayout, fit, data: dict, lams, prob: Problem):
        self.model, self.layout, self.fit_result, self.data, self.lams = model, layout, fit, data, lams
        self.series = list(layout.series)
        self.family = model.family
        self.beta = fit.beta
        self.edf = float(fit.edf)
        self.converged = bool(fit.converged)
        block = prob.block
        #: one NB2 dispersion for all series (``shared_dispersion``)
        self.shared_dispersion = prob.n_groups < len(self.series)
        dgroup = {s: int(prob.group[block == g][0]) for g, s in enumerate(self.series)}
        self.alpha = {s: float(fit.alpha[dgroup[s]]) for s in self.series}
        self._problem = prob
        # per-series effective df: the trace of the hat matrix over the series' windows
        _, m, C = Engine(prob, self.family).means(self.beta)
        a = fit.alpha[prob.group] * prob.c
        w = 1.0 / (np.maximum(m, 1e-300) * (1.0 + a * m))
        hat = w * np.einsum("ij,ij->i", C @ np.linalg.inv(fit.H), C)
        self.edf_by_series = {s: float(hat[block == g].sum()) for g, s in enumerate(self.series)}
        # degrees-of-freedom factor of each dispersion group: windows over (windows - their edf - 1)
        n_g = np.bincount(prob.group, minlength=prob.n_groups).astype(float)
        edf_g = np.bincount(prob.group, weights=hat, minlength=prob.n_groups)
        dff_g = n_g / np.maximum(n_g - edf_g - 1.0, 1.0)
        self._dff = {s: float(dff_g[dgroup[s]]) for s in self.series}
        ac = np.array([self.alpha[s] * self._dff[s] for s in self.series])[prob.group] * prob.c
        Hc = C.T @ ((1.0 / (np.maximum(m, 1e-300) * (1.0 + ac * m)))[:, None] * C) + (fit.H - fit.F)
        cov = np.linalg.inv(Hc)
        self.cov = 0.5 * (cov + cov.T)
        self._ident: pd.DataFrame | None = None
        self.title = self._title()

    def _check(self, series: str | None) -> str:
        s = self.series[0] if series is None and len(self.series) == 1 else series
        if s not in self.series:
            raise TppoError(f"series must be one of {self.series}, got {series!r}")
        return s

    def _mu(self, s: str, days: pd.DatetimeIndex, betas: np.ndarray) -> np.ndarray:
        return np.exp(np.clip(self.layout.eta(s, days, betas), -700, 700))

    def _window_alpha(self, s: str, days: pd.DatetimeIndex) -> float:
        a = self.alpha[s] * self._dff[s]
        if a > 0 and self.model.dispersion == "month":
            a *= float(month_dispersion_weights([days[0]], [days[-1]])[0])
        return a

    def predict_window(
        self, start, end, level: float = 0.9, seed: int = 0, *, series: str | None = None, n_draws: int = 2000
    ) -> dict:
        """As :meth:`IntervalCountResults.predict_window`, for one of the pooled ``series``.

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
        series : str, optional
            Series key (required unless one series is pooled).
        n_draws : int
            Number of parameter and count draws.
        """
        level, s = check_level(level), self._check(series)
        start, end = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
        if end < start:
            raise TppoError(f"window ends ({end.date()}) before it starts ({start.date()})")
        days = pd.date_range(start, end, freq="D")
        rng = np.random.default_rng(seed)
        point = float(self._mu(s, days, self.beta[None, :]).sum())
        draws = self._draws(n_draws, rng)
        mu = self._mu(s, days, draws) * np.exp(
            self._drift(days, n_draws, rng, self.model.drift_sd, self.layout.first, self.layout.last)
        )
        means = mu.sum(axis=0)
        counts = self._noise(means, self._window_alpha(s, days), rng)
        return {
            "start": start,
            "end": end,
            **self._interval(counts, means, point, level),
            "level": level,
            "n_draws": n_draws,
        }

    def monthly(
        self, level: float = 0.9, seed: int = 0, *, series: str | None = None, start=None, end=None, n_draws: int = 2000
    ) -> pd.DataFrame:
        """Monthly predicted totals of one series (columns as :meth:`IntervalCountResults.monthly`).

        Parameters
        ----------
        level : float
            Confidence or prediction level, between 0 and 1.
        seed : int
            Seed of the random draws (results are reproducible).
        series : str, optional
            Series key (required unless one series is pooled).
        start : date-like, optional
            First month (default: the series' first window).
        end : date-like, optional
            Last month (default: the series' last window).
        n_draws : int
            Number of parameter and count draws.
        """
        level, s = check_level(level), self._check(series)
        o = self.data[s]
        first = pd.Timestamp(start if start is not None else o["period_start"].min()).to_period("M")
        last = pd.Timestamp(end if end is not None else o["period_end"].max()).to_period("M")
        months = pd.period_range(first, last, freq="M")
        days = pd.date_range(months[0].start_time, months[-1].end_time.normalize(), freq="D")
        rng = np.random.default_rng(seed)
        draws = self._draws(n_draws, rng)
        mu_hat = self._mu(s, days, self.beta[None, :])[:, 0]
        mu = self._mu(s, days, draws) * np.exp(
            self._drift(days, n_draws, rng, self.model.drift_sd, self.layout.first, self.layout.last)
        )
        month_of_day = np.asarray(days.to_period("M").asi8)
        rows = []
        for mth in months:
            sel = month_of_day == mth.ordinal
            means = mu[sel].sum(axis=0)
            counts = self._noise(means, self._window_alpha(s, days[sel]), rng)
            rows.append(
                {"month": mth.start_time.normalize(), **self._interval(counts, means, float(mu_hat[sel].sum()), level)}
            )
        return pd.DataFrame(rows)

    def _log_rate_and_gradient(self, days: pd.DatetimeIndex, series: str | None = None) -> tuple[float, np.ndarray]:
        s = self._check(series)
        return self._log_rate_and_gradient_from(lambda b: self.layout.eta(s, days, b), days)

    def identification(self) -> pd.DataFrame:
        """Return the identification of the shared holiday and break terms.

        Shared holiday and break terms: estimate, se, data-only se, shift without the ridge and ``identified``
        (the single-series rule).
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
        fam = "Poisson" if self.family == "poisson" else f"NB2 ({self.model.dispersion}-level dispersion)"
        if self.family != "poisson" and self.shared_dispersion:
            fam = fam[:-1] + ", one for all series)"
        return (
            f"Pooled interval count model, {fam}, shared smooth shape + series deviations "
            f"({str(self.model.smoothing).upper()}, {self.edf:.1f} effective df): {len(self.series)} series, "
            f"{sum(len(o) for o in self.data.values())} windows"
        )

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """Return shared terms and per-series yearly rates, per the protocol.

        Shared terms (series "all", log scale) and each series' expected mean daily rate per calendar year with
        reported days (rate scale).

        Parameters
        ----------
        level : float
            Confidence or prediction level, between 0 and 1.
        """
        level = check_level(level)
        z = float(stats.norm.ppf(0.5 + level / 2))
        rows = [
            {
                "series": "all",
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
        for s in self.series:
            o = self.data[s]
            cov = covered_days(o)
            for year in range(o["period_start"].min().year, o["period_end"].max().year + 1):
                days = pd.date_range(f"{year}-01-01", f"{year}-12-31")
                n_in = int(days.isin(cov).sum())
                if n_in == 0:
                    continue
                pr = self.period_rate(days[0], days[-1], level, series=s)
                rows.append(
                    {
                        "series": s,
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
        cols = ["series", "term", "estimate", "se", "ci_lower", "ci_upper", "scale", "level", "identified", "note"]
        return mask_not_identified(pd.DataFrame(rows, columns=cols))

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Return ``ci_lower`` and ``ci_upper`` at ``level``, indexed by term.

        Parameters
        ----------
        level : float
            Confidence or prediction level, between 0 and 1.
        """
        t = self.tidy(level)
        t.index = t["series"] + "/" + t["term"]
        return t[["ci_lower", "ci_upper"]]

    def notes(self) -> list[str]:
        """Return the plain-language caveats shown under the summary."""
        out = []
        zero = [s for s, a in self.alpha.items() if a == 0 and self.family == "negbin"]
        if zero:
            out.append(f"NB2 dispersion estimated at 0 for {', '.join(zero)}: Poisson for that series.")
        if (self.identification()["identified"] == "no").any():
            out.append("Terms marked 'no' are not bounded by these windows: no estimate is shown for them.")
        return out

    def summary(self) -> Summary:
        """Return a small, rounded, deterministic summary."""
        return Summary(self.title, round_frame(self.tidy()), tuple(self.notes()))

    def plot(self, ax=None, *, series: str | None = None, level: float = 0.9, seed: int = 0, events=None, labels=None):
        """One panel per series (``ax=None``), or ``series`` (default: the first) on ``ax``; returns ``(fig, axes)``.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on (a new figure when None).
        series : str, optional
            One series (default: all, or the first on ``ax``).
        level : float
            Confidence or prediction level, between 0 and 1.
        seed : int
            Seed of the random draws (results are reproducible).
        events : mapping of str to date, optional
            Events drawn as dashed vertical lines (label -> date).
        labels : mapping, optional
            Panel titles by series key.
        """
        import matplotlib.pyplot as plt

        if series is not None:
            names = [self._check(series)]
        else:
            names = self.series[:1] if ax is not None else self.series
        if ax is None:
            fig, axes = plt.subplots(len(names), 1, figsize=(8.5, 2.6 * len(names)), squeeze=False, sharex=True)
            axes = axes[:, 0]
        else:
            fig, axes = ax.figure, np.array([ax])
        for a, s in zip(axes, names, strict=True):
            draw_panel(a, self.data[s], self.monthly(level=level, seed=seed, series=s), level=level, events=events)
            a.set_title((labels or {}).get(s, s), loc="left", fontsize=9)
        return fig, (axes[0] if len(axes) == 1 else axes)
