r"""Counts observed only as totals over irregular windows: the interval (penalized composite-link) count model.

Officials report deferrals as totals over windows that start and end on any day ("1 January to 3 August: 1,726").
The model puts a daily mean under the record and links each reported total to the sum of the daily means over its
inclusive window (Eilers 2007; Rizzi, Gampe & Eilers 2015):

.. math::

    \log \mu_t = s(t) + x_t^\top \gamma + \log e_t, \qquad m_I = \sum_{t \in I} \mu_t, \qquad
    y_I \sim \text{Poisson}(m_I) \text{ or } \text{NB2}(m_I, \alpha c_I),

where ``s(t)`` is the trend -- a constant, a line or a quadratic in years, or a smooth (cubic B-splines with a knot
about every quarter and a second-order difference penalty whose weight is chosen by AICc, AIC or BIC) -- ``x_t``
holds level shifts at known dates (``breaks``), the moving-holiday indicators of
:func:`tppo_analysis.sources.calendar.daily_holiday_indicators` and user covariates, and ``e_t`` an optional exposure.
Holiday and break coefficients carry a ridge prior (sd 1 and 3 on the log scale), so terms the windows cannot
separate shrink towards 0 and are reported as not identified instead of crashing the fit. NB2 dispersion acts on the
window total (``dispersion="window"``, ``c_I = 1``) or at month level (``"month"``, ``c_I`` = one over the window's
effective number of months). NB2 whose dispersion goes to 0 returns the Poisson fit with ``alpha = 0`` and a flag;
``strict=True`` raises instead. Past the data the smooth follows a stated forecast rule (``forecast``, ``drift_sd``;
see :mod:`~tppo_analysis.models.interval._design` and ``docs/model_choice.md``).

Assumptions a user must own: windows are independent observations (feed it the disjoint windows that
:func:`tppo_analysis.reconcile` derives, not nested cumulative snapshots); holiday effects are multiplicative on the
daily mean and the same every year.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import sparse

from ...errors import DataValidationError, InsufficientDataError, NoOverdispersionError, NotIdentifiedError, TppoError
from ...errors import Problem as InputProblem
from ._design import DAYS_PER_YEAR, FORECAST_RULES, Layout, day_number, month_dispersion_weights
from ._likelihood import SMOOTHING_CRITERIA, Engine, Problem, select_lambda
from ._spline import TimeBasis

__all__ = ["IntervalCountModel", "HOLIDAY_TERMS", "DAYS_PER_YEAR", "PRIOR_SD", "validate_obs"]

#: Daily holiday indicators used when ``holidays=True``.
HOLIDAY_TERMS = ["ramadan", "pre_idul_fitri", "post_idul_fitri", "pre_idul_adha"]
_ALLOWED_HOLIDAY = set(HOLIDAY_TERMS) | {"holiday", "working_day"}
TRENDS = ("none", "linear", "quadratic", "smooth")
FAMILIES = ("poisson", "negbin")
DISPERSIONS = ("window", "month")
#: Prior standard deviations (log scale) of the ridge on holiday and on break coefficients: a holiday multiplying
#: deferrals by more than e^2 ~ 7 is implausible; a regime change (the 2022 reopening) can multiply them by 20.
PRIOR_SD = {"holidays": 1.0, "breaks": 3.0}


class IntervalCountModel:
    """Interval (composite-link) count model for totals reported over irregular, inclusive date windows.

    Parameters
    ----------
    family : {"poisson", "negbin"}
        Distribution of a window total; ``"negbin"`` is NB2 (see ``dispersion``).
    trend : {"linear", "quadratic", "none", "smooth"}
        Trend in the daily log-mean: polynomial in years from ``origin``, or a penalized smooth (P-spline).
    holidays : bool or sequence of str
        ``True`` adds ``ramadan``, ``pre_idul_fitri`` (days -10..-1), ``post_idul_fitri`` (days 0..20) and
        ``pre_idul_adha`` (days -30..-1); a list picks some (``"holiday"`` and ``"working_day"`` are allowed too).
        Coefficients are log rate ratios for a day in the period.
    breaks : mapping name -> date, or sequence of dates, optional
        Level shifts: 1 from that date on (e.g. the regimes of ``sources.events.regimes()``).
    covariates : DataFrame, optional
        Daily covariates: a ``date`` column plus numeric columns covering every day fitted or predicted.
    daily_exposure : DataFrame, optional
        ``date`` and ``exposure`` (> 0): the model then explains counts per unit exposure. Alternatively the
        observations may carry an ``exposure`` column (the window's total exposure, spread evenly over its days).
    origin : date, optional
        Day where a polynomial trend is zero (default: the middle of the observed span).
    smoothing : {"aicc", "aic", "bic"} or float
        How the smooth's penalty weight lambda is chosen, or lambda itself.
    knot_days : float
        Distance between the smooth's knots in days.
    dispersion : {"window", "month"}
        NB2 over-dispersion of the window total, or month-level (variance ``m + alpha * c * m**2``).
    forecast : {"flat", "damped", "linear"}
        What the smooth does past the data: hold the mean rate of the last ``anchor_days`` (or of the last window,
        if longer); add that span's slope decaying with time constant ``damping_days``; or continue the slope.
    anchor_days, damping_days : int, float
        See ``forecast``.
    drift_sd : float
        Random-walk standard deviation of the log level past the data, per square-root year (0: none).
    prior_sd : mapping, optional
        Overrides of :data:`PRIOR_SD`.
    strict : bool
        Raise :class:`~tppo_analysis.errors.NoOverdispersionError` when NB2 dispersion is at 0 and
        :class:`~tppo_analysis.errors.NotIdentifiedError` when a term is not identified, instead of flagging them.
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
        smoothing: str | float = "aicc",
        knot_days: float = 91.3,
        dispersion: str = "window",
        forecast: str = "flat",
        anchor_days: int = 91,
        damping_days: float = 182.625,
        drift_sd: float = 0.0,
        prior_sd: Mapping[str, float] | None = None,
        strict: bool = False,
    ):
        for name, value, allowed in (
            ("family", family, FAMILIES),
            ("trend", trend, TRENDS),
            ("dispersion", dispersion, DISPERSIONS),
            ("forecast", forecast, FORECAST_RULES),
        ):
            if value not in allowed:
                raise TppoError(f"{name} must be one of {allowed}, got {value!r}")
        if not (smoothing in SMOOTHING_CRITERIA or (isinstance(smoothing, int | float) and smoothing >= 0)):
            raise TppoError(f"smoothing must be one of {SMOOTHING_CRITERIA} or a lambda >= 0, got {smoothing!r}")
        if holidays is True:
            hterms = list(HOLIDAY_TERMS)
        elif holidays is False or holidays is None:
            hterms = []
        else:
            hterms = list(holidays)
            unknown = [h for h in hterms if h not in _ALLOWED_HOLIDAY]
            if unknown:
                raise TppoError(f"unknown holiday terms {unknown}; allowed: {sorted(_ALLOWED_HOLIDAY)}")
        if drift_sd < 0 or knot_days <= 0 or anchor_days < 1 or damping_days <= 0:
            raise TppoError("drift_sd must be >= 0 and knot_days, anchor_days, damping_days > 0")
        self.family, self.trend, self.holiday_terms = family, trend, hterms
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
            if de["exposure"].isna().any():
                raise TppoError("daily_exposure: missing exposure values")
            self.daily_exposure = de["exposure"]
        self.origin = None if origin is None else pd.Timestamp(origin).normalize()
        self.smoothing, self.knot_days, self.dispersion = smoothing, float(knot_days), dispersion
        self.forecast, self.anchor_days, self.damping_days = forecast, int(anchor_days), float(damping_days)
        self.drift_sd = float(drift_sd)
        self.prior_sd = {**PRIOR_SD, **(prior_sd or {})}
        self.strict = bool(strict)

    def __repr__(self) -> str:
        """Show the options."""
        return f"IntervalCountModel({', '.join(f'{k}={v!r}' for k, v in self.spec().items())})"

    def spec(self) -> dict:
        """Return the options that define the model (for tables and the backtest)."""
        out: dict[str, object] = {
            "family": self.family,
            "trend": self.trend,
            "holidays": list(self.holiday_terms),
            "breaks": {k: str(v.date()) for k, v in self.breaks.items()},
        }
        if self.trend == "smooth":
            out.update(
                smoothing=self.smoothing, knot_days=self.knot_days, forecast=self.forecast, drift_sd=self.drift_sd
            )
        if self.family == "negbin":
            out["dispersion"] = self.dispersion
        return out

    @property
    def term_names(self) -> list[str]:
        """Names of the coefficients other than the smooth's B-spline coefficients."""
        lay = self.layout(pd.Timestamp("2000-01-01"), pd.Timestamp("2000-12-31"))
        return [n for n, g in zip(lay.names, lay.groups, strict=True) if g != "smooth"]

    # ----------------------------------------------------------------------------------------------------------
    def layout(self, first: pd.Timestamp, last: pd.Timestamp) -> Layout:
        """Return the daily design for a fit to windows spanning ``first``..``last``.

        Parameters
        ----------
        first : Timestamp
            First day of the fitted windows.
        last : Timestamp
            Last day of the fitted windows.
        """
        origin = self.origin if self.origin is not None else (first + (last - first) / 2).normalize()
        basis = None
        if self.trend == "smooth":
            d0, d1 = day_number([first, last])
            basis = TimeBasis(d0, d1, knot_days=self.knot_days)
        return Layout(
            self.trend,
            origin,
            first,
            last,
            basis,
            dict(self.breaks),
            list(self.holiday_terms),
            self.covariates,
            dict(self.prior_sd),
            self.forecast,
            self.damping_days,
            self.anchor_days,
        )

    def log_exposure(self, days: pd.DatetimeIndex) -> np.ndarray:
        """Log daily exposure for ``days`` (0 without exposure).

        Parameters
        ----------
        days : DatetimeIndex
            Days.
        """
        if self.daily_exposure is None:
            return np.zeros(len(days))
        e = self.daily_exposure.reindex(days)
        if e.isna().any():
            raise TppoError(f"daily_exposure: no value for day {e.index[e.isna()][0].date()}")
        if (e <= 0).any():
            raise InsufficientDataError(
                f"daily_exposure is {e[e <= 0].iloc[0]:g} on {e.index[e <= 0][0].date()}: a rate needs exposure > 0"
            )
        return np.log(e.to_numpy(dtype=float))

    def problem(self, obs: pd.DataFrame, layout: Layout) -> Problem:
        """Incidence, daily design and dispersion weights on the days the windows cover.

        Parameters
        ----------
        obs : DataFrame
            Reconciled windows: ``period_start``, ``period_end`` (inclusive dates), ``value`` and, for several series, ``series`` and ``measure``.
        layout : Layout
            The daily design of the fit.
        """
        s, e = day_number(obs["period_start"]), day_number(obs["period_end"])
        covered = np.unique(np.concatenate([np.arange(a, b + 1) for a, b in zip(s, e, strict=True)]))
        days = pd.DatetimeIndex(pd.to_datetime(covered, unit="D"))
        weights = np.ones(len(obs))
        if "exposure" in obs.columns:
            if self.daily_exposure is not None:
                raise TppoError("give exposure either per window (column exposure) or daily, not both")
            weights = obs["exposure"].to_numpy(dtype=float) / (e - s + 1)
        rows, cols, vals = [], [], []
        for i, (a, b) in enumerate(zip(s, e, strict=True)):
            j0, j1 = np.searchsorted(covered, a), np.searchsorted(covered, b, side="right")
            rows.append(np.full(j1 - j0, i))
            cols.append(np.arange(j0, j1))
            vals.append(np.full(j1 - j0, weights[i]))
        A = sparse.csr_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(len(obs), len(covered))
        )
        c = None
        if self.family == "negbin" and self.dispersion == "month":
            c = month_dispersion_weights(obs["period_start"], obs["period_end"])
        return Problem(
            y=obs["value"].to_numpy(dtype=float), A=A, X=layout.rows(days), offset=self.log_exposure(days), c=c
        )

    def _fit_engine(self, obs: pd.DataFrame):
        obs = validate_obs(obs)
        if obs["value"].sum() == 0:
            raise InsufficientDataError("every window reports 0 events: no rate can be estimated from them")
        layout = self.layout(obs["period_start"].min(), obs["period_end"].max())
        layout.set_anchors(day_number(obs["period_start"]), day_number(obs["period_end"]))
        prob = self.problem(obs, layout)
        engine = Engine(prob, self.family)
        lam = float(self.smoothing) if (self.trend == "smooth" and not isinstance(self.smoothing, str)) else None
        if self.trend == "smooth" and isinstance(self.smoothing, str):
            log10_lam, fit = select_lambda(engine, layout.penalty, kind=self.smoothing)
            lam = 10.0**log10_lam
        else:
            fit = engine.fit(layout.penalty(lam))
        return obs, layout, prob, fit, lam

    def max_loglike(self, obs: pd.DataFrame) -> float:
        """Return the log-likelihood at the (penalized) optimum, for likelihood-ratio tests between nested models.

        Parameters
        ----------
        obs : DataFrame
            Reconciled windows: ``period_start``, ``period_end`` (inclusive dates), ``value`` and, for several series, ``series`` and ``measure``.
        """
        return float(self._fit_engine(obs)[3].loglik)

    def fit(self, obs: pd.DataFrame):
        """Fit the model to reported windows.

        Fit to ``obs`` (``period_start``, ``period_end`` -- inclusive dates -- ``value`` and optionally
        ``exposure``) and return :class:`~tppo_analysis.models.interval.results.IntervalCountResults`.

        Raises :class:`~tppo_analysis.errors.InsufficientDataError` for input no rate can be fitted to (no windows,
        only zeros, zero exposure) and :class:`~tppo_analysis.errors.DataValidationError` for malformed input; any
        other data are fitted, with what they cannot support flagged (``identified``, ``no_overdispersion``).

        Parameters
        ----------
        obs : DataFrame
            Reconciled windows: ``period_start``, ``period_end`` (inclusive dates), ``value`` and, for several series, ``series`` and ``measure``.
        """
        from .results import IntervalCountResults

        obs, layout, prob, fit, lam = self._fit_engine(obs)
        res = IntervalCountResults(self, layout, fit, obs, lam, prob)
        if self.strict:
            if res.no_overdispersion:
                raise NoOverdispersionError(
                    "NB2 dispersion estimated at 0: the windows show no over-dispersion (the Poisson fit is the NB2 "
                    "fit)"
                )
            ident = res.identification()
            bad = ident.loc[ident["identified"] == "no", "term"].tolist()
            if bad:
                raise NotIdentifiedError(f"terms not bounded by these windows: {bad}")
        return res


def _daily_frame(df: pd.DataFrame, what: str) -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame) or "date" not in df.columns:
        raise TppoError(f"{what}: expected a DataFrame with a date column")
    out = df.copy()
    out["date"] = pd.to_datetime(out["date"]).dt.normalize()
    if out["date"].duplicated().any():
        raise TppoError(f"{what}: duplicated dates, first {out.loc[out['date'].duplicated(), 'date'].iloc[0].date()}")
    return out.set_index("date").sort_index().astype(float)


def validate_obs(obs: pd.DataFrame, file: str = "<obs>") -> pd.DataFrame:
    """Check and normalise the windows.

    The windows, checked: ``period_start``, ``period_end`` (inclusive dates), ``value`` (a count) and optionally
    ``exposure`` (> 0). Problems are reported all at once with their line (header = line 1) and column.

    Parameters
    ----------
    obs : DataFrame
        Reconciled windows: ``period_start``, ``period_end`` (inclusive dates), ``value`` and, for several series, ``series`` and ``measure``.
    file : str
        Name used in error messages.
    """
    if not isinstance(obs, pd.DataFrame):
        raise TppoError("obs must be a DataFrame with columns period_start, period_end, value")
    missing = [c for c in ("period_start", "period_end", "value") if c not in obs.columns]
    if missing:
        raise DataValidationError(
            [InputProblem(file, 1, c, None, "required column missing") for c in missing], file=file
        )
    if len(obs) == 0:
        raise InsufficientDataError(f"{file}: no windows to fit")
    problems: list[InputProblem] = []
    out = obs.reset_index(drop=True).copy()
    for col in ("period_start", "period_end"):
        parsed = pd.to_datetime(out[col], errors="coerce")
        for bad in np.flatnonzero(parsed.isna().to_numpy()):
            problems.append(InputProblem(file, int(bad) + 2, col, str(out[col].iloc[bad]), "not a date"))
        out[col] = parsed.dt.normalize()
    values = pd.to_numeric(out["value"], errors="coerce")
    for i, (raw, v) in enumerate(zip(out["value"], values, strict=True)):
        if pd.isna(v):
            problems.append(InputProblem(file, i + 2, "value", str(raw), "not a number"))
        elif v < 0 or v != np.floor(v):
            problems.append(InputProblem(file, i + 2, "value", str(raw), "count must be a non-negative integer"))
    for bad in np.flatnonzero((out["period_end"] < out["period_start"]).fillna(False).to_numpy()):
        problems.append(
            InputProblem(
                file,
                int(bad) + 2,
                "period_end",
                str(out["period_end"].iloc[bad].date()),
                "window ends before it starts",
            )
        )
    if "exposure" in out.columns:
        ex = pd.to_numeric(out["exposure"], errors="coerce")
        for i, (raw, v) in enumerate(zip(out["exposure"], ex, strict=True)):
            if pd.isna(v) or v < 0:
                problems.append(InputProblem(file, i + 2, "exposure", str(raw), "exposure must be a number >= 0"))
        out["exposure"] = ex
    if problems:
        raise DataValidationError(problems, file=file)
    if "exposure" in out.columns and (out["exposure"] == 0).any():
        first = int(np.flatnonzero(out["exposure"].to_numpy() == 0)[0])
        raise InsufficientDataError(
            f"{file} line {first + 2}, column exposure: 0 exposure cannot be modelled as a rate"
        )
    out["value"] = values.astype(np.int64)
    return out.sort_values(["period_start", "period_end"], kind="stable").reset_index(drop=True)
