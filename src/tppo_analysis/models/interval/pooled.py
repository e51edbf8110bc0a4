"""Partial pooling across series: a shared smooth shape, a level and a penalized smooth deviation per series.

``log mu_{s,t} = a_s + f(t) + g_s(t) + holiday and break terms`` where ``f`` (the shape all series share) has a
second-order difference penalty ``lam_shape`` and each deviation ``g_s`` a first-order difference penalty
``lam_dev`` (so a large ``lam_dev`` makes every series a scaled copy of the shared shape, and ``lam_dev -> 0``
gives independent smooths). The first B-spline coefficient of ``f`` and of every ``g_s`` is fixed at 0, so the level
``a_s`` carries each series' size (the same fit as centring: likelihood and penalties are blind to a constant moved
between a level and a smooth). Past the joint span every series follows the model's forecast rule, anchored at its
own curve over the last ``anchor_days`` of the span. Both smoothing parameters are chosen by the model's criterion (coordinate
search), NB2 dispersion is estimated per series. Thin series (a handful of windows) borrow the shape of the
well-reported ones; what they cannot support, the deviation penalty pulls towards the shared shape.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import sparse, stats
from scipy.special import logsumexp

from ...errors import TppoError
from ...protocol import Result, Summary, check_level, round_frame
from ...sources.calendar import daily_holiday_indicators
from ._design import VAGUE_PRECISION, day_number, month_dispersion_weights
from ._likelihood import Engine, Problem, criterion
from ._predict import Draws, PeriodMixin, covered_days, draw_panel, identification_table, mask_not_identified
from ._spline import TimeBasis, difference_penalty
from .model import IntervalCountModel, validate_obs

__all__ = ["fit_pooled", "PooledIntervalResults", "PooledModel", "KEY_SERIES", "KEY_MEASURE"]

#: The key departure series of docs/CONTRACTS.md §3 and their measure (defaults of the pooled fit and the backtest).
KEY_SERIES = ("national", "tpi:soekarno-hatta", "tpi:juanda", "tpi:batam-seaports")
KEY_MEASURE = "dep_deferral_wni_pmi_suspected"


class PooledLayout:
    """Columns of the pooled daily design (shape | levels | deviations | breaks | holidays) and their penalties."""

    def __init__(self, model: IntervalCountModel, series: list[str], first, last):
        self.model, self.series = model, list(series)
        d0, d1 = day_number([first, last])
        self.basis = TimeBasis(d0, d1, knot_days=model.knot_days)
        self.first, self.last = first, last
        q = self.basis.n_basis
        # identifiability: the first B-spline coefficient of the shape and of every deviation is fixed at 0 (the
        # likelihood and the difference penalties do not change when a constant moves between a level and a
        # smooth, so this is the same fit as centring, and it keeps the design sparse)
        self.Z = np.eye(q)[:, 1:]
        S = len(series)
        self.k_shape = q - 1
        names = [f"shape{j}" for j in range(q - 1)]
        groups = ["shape"] * (q - 1)
        names += [f"level:{s}" for s in series]
        groups += ["level"] * S
        for s in series:
            names += [f"dev:{s}:{j}" for j in range(q - 1)]
            groups += [f"dev:{s}"] * (q - 1)
        names += list(model.breaks) + list(model.holiday_terms)
        groups += ["breaks"] * len(model.breaks) + ["holidays"] * len(model.holiday_terms)
        self.names, self.groups = names, groups
        self.anchors: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {}

    def cols(self, group: str) -> list[int]:
        return [i for i, g in enumerate(self.groups) if g == group]

    def rows(self, s: str, days: pd.DatetimeIndex) -> np.ndarray:
        B = self.basis.design(day_number(days))[:, 1:]
        X = np.zeros((len(days), len(self.names)))
        X[:, self.cols("shape")] = B
        X[:, self.names.index(f"level:{s}")] = 1.0
        X[:, self.cols(f"dev:{s}")] = B
        m = self.model
        j = len(self.names) - len(m.breaks) - len(m.holiday_terms)
        for when in m.breaks.values():
            X[:, j] = np.asarray(days >= when, dtype=float)
            j += 1
        if m.holiday_terms:
            cal = daily_holiday_indicators(days.min(), days.max()).set_index("date").reindex(days)
            X[:, j:] = cal[list(m.holiday_terms)].to_numpy(dtype=float)
        return X

    def eta(self, s: str, days: pd.DatetimeIndex, betas: np.ndarray) -> np.ndarray:
        """Daily log-mean of series ``s`` for coefficient draws; flat at the series' anchor level past the span."""
        X = self.rows(s, days)
        E = X @ betas.T
        t = day_number(days)
        smooth = self.cols("shape") + self.cols(f"dev:{s}") + [self.names.index(f"level:{s}")]
        for side, mask in ((1, t > self.basis.last), (0, t < self.basis.first)):
            if not mask.any():
                continue
            a, b = self.anchors[s][side]
            span = pd.DatetimeIndex(pd.to_datetime(np.arange(a, b + 1), unit="D"))
            Xa = self.rows(s, span)[:, smooth]
            level = logsumexp(Xa @ betas[:, smooth].T, axis=0) - math.log(len(span))
            E[mask] += level[None, :] - X[mask][:, smooth] @ betas[:, smooth].T
            rule = self.model.forecast
            if rule != "flat":
                dB = self.basis.design(np.arange(a, b + 1), derivative=True)[:, 1:].mean(axis=0)
                sm = self.cols("shape") + self.cols(f"dev:{s}")
                slope = np.concatenate([dB, dB]) @ betas[:, sm].T
                edge = self.basis.last if side == 1 else self.basis.first
                h = np.abs(t[mask] - edge).astype(float)
                if rule == "damped":
                    g = self.model.damping_days * (1.0 - np.exp(-h / self.model.damping_days))
                else:
                    g = h + abs(edge - 0.5 * (a + b))
                E[mask] += (1.0 if side == 1 else -1.0) * g[:, None] * slope[None, :]
        return E

    def penalty(self, lam_shape: float, lam_dev: float) -> np.ndarray:
        k = len(self.names)
        P = np.zeros((k, k))
        q = self.basis.n_basis
        D2 = self.Z.T @ difference_penalty(q, 2) @ self.Z
        D1 = self.Z.T @ difference_penalty(q, 1) @ self.Z
        sh = self.cols("shape")
        P[np.ix_(sh, sh)] = lam_shape * D2 + VAGUE_PRECISION * np.eye(len(sh))
        for s in self.series:
            dv = self.cols(f"dev:{s}")
            P[np.ix_(dv, dv)] = lam_dev * D1 + VAGUE_PRECISION * np.eye(len(dv))
        for i, g in enumerate(self.groups):
            if g == "level":
                P[i, i] = VAGUE_PRECISION
            elif g in ("breaks", "holidays"):
                P[i, i] = 1.0 / self.model.prior_sd[g] ** 2
        return P


def fit_pooled(
    obs: pd.DataFrame,
    series: Sequence[str],
    *,
    family: str = "negbin",
    trend: str = "smooth",
    holidays: bool | Sequence[str] = False,
    measure: str = KEY_MEASURE,
    smoothing: str = "aicc",
    **options,
) -> PooledIntervalResults:
    """Fit the key series jointly: a shared smooth shape, a level and a penalized smooth deviation per series.

    Parameters
    ----------
    obs : DataFrame
        Reconciled observations (columns series, measure, period_start, period_end, value).
    series : sequence of str
        Series keys to pool (each needs at least 2 windows of ``measure``).
    family, holidays, smoothing, options
        As for :class:`~tppo_analysis.models.interval.model.IntervalCountModel` (``breaks``, ``dispersion``,
        ``forecast``, ``drift_sd``, ``knot_days``, ...); ``trend`` must be ``"smooth"``. Holiday and break terms are
        shared by all series; NB2 dispersion is estimated per series.
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
        group=np.concatenate(groups),
    )
    engine = Engine(prob, family)
    n = len(prob.y)
    cache: dict[tuple[float, float], tuple[float, object]] = {}
    state: dict[str, np.ndarray | None] = {"beta": None, "alpha": None}

    def crit(ls: float, ld: float) -> float:
        key = (round(ls, 6), round(ld, 6))
        if key not in cache:
            f = engine.fit(lay.penalty(10.0**ls, 10.0**ld), beta0=state["beta"], alpha0=state["alpha"])
            state["beta"], state["alpha"] = f.beta, f.alpha
            cache[key] = (criterion(f, n, smoothing), f)
        return cache[key][0]

    # coordinate search on a grid of log10 lambdas (shape, then deviation, twice), smooth to rough, warm-started
    grid = np.arange(8.0, -3.01, -1.0)
    ls = ld = 2.0
    for _ in range(2):
        ls = float(grid[int(np.argmin([crit(g, ld) for g in grid]))])
        ld = float(grid[int(np.argmin([crit(ls, g) for g in grid]))])
    fit = cache[(round(ls, 6), round(ld, 6))][1]
    return PooledIntervalResults(model, lay, fit, data, (10.0**ls, 10.0**ld), prob)


class PooledModel:
    """An unfitted pooled model for :func:`~tppo_analysis.models.backtest.backtest`: ``fit(obs, series)``."""

    def __init__(self, **options):
        self.options = options

    def __repr__(self) -> str:
        """Show the options."""
        return f"PooledModel({', '.join(f'{k}={v!r}' for k, v in self.options.items())})"

    def fit(self, obs: pd.DataFrame, series: Sequence[str]) -> PooledIntervalResults:
        """Fit to the windows ``obs`` and return the results."""
        return fit_pooled(obs, series, **self.options)


class PooledIntervalResults(Draws, PeriodMixin, Result):
    """A pooled fit of several series.

    A pooled fit: ``predict_window(..., series=)``, ``monthly(series=)``, ``period_change(..., series=)`` and
    the result protocol (``tidy`` has a ``series`` column; shared holiday and break terms have series "all").
    """

    def __init__(self, model, layout: PooledLayout, fit, data: dict, lams, prob: Problem):
        self.model, self.layout, self.fit_result, self.data, self.lams = model, layout, fit, data, lams
        self.series = list(layout.series)
        self.family = model.family
        self.beta = fit.beta
        self.edf = float(fit.edf)
        self.converged = bool(fit.converged)
        self.alpha = {s: float(a) for s, a in zip(self.series, fit.alpha, strict=True)}
        self._problem = prob
        # per-series effective df: the trace of the hat matrix over the series' windows
        _, m, C = Engine(prob, self.family).means(self.beta)
        a = fit.alpha[prob.group] * prob.c
        w = 1.0 / (np.maximum(m, 1e-300) * (1.0 + a * m))
        hat = w * np.einsum("ij,ij->i", C @ np.linalg.inv(fit.H), C)
        self.edf_by_series = {s: float(hat[prob.group == g].sum()) for g, s in enumerate(self.series)}
        n_by = {s: int((prob.group == g).sum()) for g, s in enumerate(self.series)}
        self._dff = {s: n_by[s] / max(n_by[s] - self.edf_by_series[s] - 1.0, 1.0) for s in self.series}
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
        """As :meth:`IntervalCountResults.predict_window`, for one of the pooled ``series``."""
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
        """Monthly predicted totals of one series (columns as :meth:`IntervalCountResults.monthly`)."""
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
        return (
            f"Pooled interval count model, {fam}, shared smooth shape + series deviations "
            f"({str(self.model.smoothing).upper()}, {self.edf:.1f} effective df): {len(self.series)} series, "
            f"{sum(len(o) for o in self.data.values())} windows"
        )

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """Return shared terms and per-series yearly rates, per the protocol.

        Shared terms (series "all", log scale) and each series' expected mean daily rate per calendar year with
        reported days (rate scale).
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
        """Return ``ci_lower`` and ``ci_upper`` at ``level``, indexed by term."""
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
        """One panel per series (``ax=None``), or ``series`` (default: the first) on ``ax``; returns ``(fig, axes)``."""
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
