"""The result of a program-effect fit (:class:`EffectResult`) and the tidy frames every estimator shares.

The sufficient-statistics Poisson ETWFE fit has its own result, :class:`tppo_analysis.effects.poisson_fit.PoissonETWFEFit`.

Frames are tidy: ``estimate, se, ci_lower, ci_upper, scale`` (95% normal intervals), plus the key of the
aggregation (``event_time``, ``cohort`` or ``time``) and, for ratio-scale estimates, ``log_estimate``/``log_se``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import TppoError
from ..protocol import Result, Summary, check_level, round_frame
from ._panel import _Prepared, from_ordinal
from .honestdid import _level_from_alpha, honest_bounds

__all__ = ["EffectResult", "AGGREGATIONS", "POISSON_AGGREGATIONS"]

#: Aggregations of the group-time effects (as R ``did::aggte``), for every estimator with cohort x period cells.
AGGREGATIONS = ("simple", "event", "group", "calendar")
#: The Poisson ETWFE also reports "count": the average effect in outcome units per treated unit-period.
POISSON_AGGREGATIONS = (*AGGREGATIONS, "count")
_KEY = {"simple": None, "event": "event_time", "group": "cohort", "calendar": "time"}
_Z = stats.norm.ppf(0.975)


_ESTIMATOR_TITLE = {
    "poisson_etwfe": "Poisson extended TWFE: rate ratio of program village-months (observed / counterfactual)",
    "cs": "Callaway-Sant'Anna: average effect per treated village-month, in outcome units",
    "twfe": "Naive static TWFE in levels (for contrast only)",
}


@dataclass
class EffectResult(Result):
    """Estimates of a staggered-adoption program effect. Frames are tidy; see :func:`fit` for the estimands.

    Follows :class:`tppo_analysis.protocol.Result`: ``tidy()`` (the overall effect, term ``overall``, then one row
    per event time, term ``e=k``), ``conf_int(level=)``, ``summary()``, ``plot(ax=None)`` (the event study).

    Attributes
    ----------
    estimator, control : the options used.
    overall : one row (estimate, se, ci_lower, ci_upper, scale); "count" scale for cs/twfe, "ratio" for poisson_etwfe.
    group_time : cohort, time, event_time, estimate, se, ci_lower, ci_upper (ATT(g,t) or log rate ratios).
    event_study : event_time, estimate, se, ci_lower, ci_upper, scale (the "event" aggregation without its overall row).
    notes : decisions taken on the input (units dropped or recoded), stated not silent.
    excluded : units dropped from estimation with the reason.
    warnings : warnings raised by the underlying library, kept out of notebook output.
    level : confidence level of the intervals in the frames.
    """

    estimator: str
    control: str
    overall: pd.DataFrame
    group_time: pd.DataFrame
    event_study: pd.DataFrame
    # A list (the 0.1 API), where the protocol base has a notes() method; EffectResult.summary() reads the list.
    notes: list[str] = field(default_factory=list)  # type: ignore[assignment]
    excluded: pd.DataFrame = field(default_factory=pd.DataFrame)
    warnings: list[str] = field(default_factory=list)
    _aggregate: Any = field(default=None, repr=False)
    _sensitivity: Any = field(default=None, repr=False)
    _cache: dict = field(default_factory=dict, repr=False)
    level: float = 0.95
    _valid: Any = field(default=None, repr=False)

    @property
    def title(self) -> str:  # type: ignore[override]
        """Name the estimator (the summary's first line)."""
        return _ESTIMATOR_TITLE.get(self.estimator, self.estimator)

    @property
    def method(self) -> str:
        """The inference method of the overall interval (the ``method`` column)."""
        if "method" in self.overall.columns and len(self.overall):
            return str(self.overall["method"].iloc[0])
        return "cluster_robust_saturated" if self.estimator == "poisson_etwfe" else "cluster_robust"

    def p_value(self, theta0: float | None = None) -> float:
        """Return the p-value of "no effect" with the inference method of the overall interval.

        Parameters
        ----------
        theta0 : float, optional
            The rate ratio under the null (default 1; the levels estimators test an effect of 0).
        """
        if self._valid is not None:
            return float(self._valid.pvalue(self._valid.fit.pieces(), 1.0 if theta0 is None else theta0))
        ov = self.overall.iloc[0]
        z = (ov["estimate"] - (0.0 if theta0 is None else theta0)) / ov["se"]
        return float(2 * stats.norm.sf(abs(z)))

    def _frames(self, level: float) -> tuple[pd.DataFrame, pd.DataFrame]:
        if abs(level - self.level) < 1e-12:
            return self.overall, self.event_study
        if self._valid is not None:
            return self._valid.frame(level), self._valid.frame(level, by_event=True)
        z = stats.norm.ppf(0.5 + level / 2)
        out = []
        for fr in (self.overall, self.event_study):
            fr = fr.copy()
            if "log_se" in fr.columns:  # ratio scale: symmetric on the log scale
                fr["ci_lower"] = np.exp(fr["log_estimate"] - z * fr["log_se"])
                fr["ci_upper"] = np.exp(fr["log_estimate"] + z * fr["log_se"])
            elif len(fr):
                fr["ci_lower"] = fr["estimate"] - z * fr["se"]
                fr["ci_upper"] = fr["estimate"] + z * fr["se"]
            out.append(fr)
        return out[0], out[1]

    def tidy(self, level: float | None = None) -> pd.DataFrame:
        """Return the overall effect and the event study with the protocol columns.

        The overall effect (term ``overall``) and the event study (terms ``e=k``) with the protocol columns and
        ``estimator``, ``method``.

        Parameters
        ----------
        level : float, optional
            Confidence level (default: the level the fit was made at).
        """
        lv = self.level if level is None else check_level(level)
        overall, es = self._frames(lv)
        cols = ["estimate", "se", "ci_lower", "ci_upper", "scale"]
        top = overall[cols].copy()
        top.insert(0, "term", "overall")
        rows = [top]
        if len(es):
            ev = es[cols].copy()
            ev.insert(0, "term", [f"e={int(k)}" for k in es["event_time"]])
            rows.append(ev)
        out = pd.concat(rows, ignore_index=True)
        out["scale"] = out["scale"].replace({"log_ratio": "log"})
        out["level"] = lv
        m_over = overall["method"].iloc[0] if "method" in overall.columns else self.method
        m_es = list(es["method"]) if "method" in es.columns else [self.method] * (len(out) - 1)
        out.insert(0, "method", [m_over, *m_es])
        out.insert(0, "estimator", self.estimator)
        return out

    def summary(self) -> Summary:
        """Deterministic rounded summary: the overall effect (first 6 event times) and the notes."""
        t = self.tidy()
        t = t[(t["term"] == "overall") | t["term"].isin([f"e={k}" for k in range(6)])]
        return Summary(self.title, round_frame(t), tuple(str(n) for n in self.notes if not n.startswith("engine:")))

    def plot(self, ax: Any = None, *, title: str | None = None, max_event: int | None = None) -> tuple[Any, Any]:
        """Draw the event study with its intervals (log axis with plain tick labels for rate ratios).

        ``max_event`` keeps the first months since launch, ``title`` sets the axes title.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on (default: a new figure).
        title : str, optional
            The axes title.
        max_event : int, optional
            Keep the first months since launch only.

        Returns
        -------
        tuple
            ``(fig, ax)``.
        """
        import matplotlib.pyplot as plt
        from matplotlib.ticker import FuncFormatter

        if ax is None:
            fig, ax = plt.subplots(figsize=(8, 4))
        else:
            fig = ax.figure
        es = self.event_study
        if max_event is not None and len(es):
            es = es[es["event_time"] <= max_event]
        if "identified" in es.columns:
            es = es[es["identified"] != "no"]
        if len(es):
            x = es["event_time"].to_numpy(dtype=float)
            lo = es["ci_lower"].to_numpy(dtype=float)
            hi = es["ci_upper"].to_numpy(dtype=float)
            ax.fill_between(x, lo, hi, alpha=0.25, label=f"{self.level:.0%} interval ({self.method})")
            ax.plot(x, es["estimate"].to_numpy(dtype=float), marker="o", ms=3, label="estimate")
            ax.set_xlabel("months since launch")
        else:
            ov = self.overall.iloc[0]
            ax.errorbar(
                [0],
                [ov["estimate"]],
                yerr=[[ov["estimate"] - ov["ci_lower"]], [ov["ci_upper"] - ov["estimate"]]],
                fmt="o",
            )
        ratio = self.estimator == "poisson_etwfe"
        ax.axhline(1.0 if ratio else 0.0, color="grey", lw=0.8)
        if ratio:
            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
            ax.set_ylabel("rate ratio (observed / counterfactual)")
        else:
            ax.set_ylabel("effect per treated village-month")
        ax.legend(fontsize=8)
        if title:
            ax.set_title(title)
        fig.tppo_fields = self._figure_fields(es)  # type: ignore[attr-defined]  # read by output.plotting.save_figure
        return fig, ax

    def _figure_fields(self, es: pd.DataFrame) -> dict:
        """Return the structured caption fields of :meth:`plot` (series, period, n, interval, model)."""
        cohorts = next((c for c in ("cohort", "group", "first_treated") if c in self.group_time.columns), None)
        n_cohorts = int(self.group_time[cohorts].nunique()) if cohorts else 0
        if len(es):
            period = f"months {int(es['event_time'].min())} to {int(es['event_time'].max())} since launch"
        else:
            period = "all months after launch, pooled"
        n = f"{n_cohorts} launch cohorts" if n_cohorts else "one pooled estimate"
        if len(es) and "n_treated_events" in es.columns:
            n += f", {int(es['n_treated_events'].sum()):,} deferrals in program villages in the months shown"
        return {
            "series": f"program villages against {self.control.replace('_', '-')} comparison villages",
            "period": period,
            "n": n,
            "interval": f"{self.level:.0%} interval ({self.method.replace('_', ' ')})",
            "model": {"poisson_etwfe": "Poisson extended TWFE"}.get(self.estimator, self.estimator.replace("_", " ")),
        }

    def aggregate(self, kind: str) -> pd.DataFrame:
        """Aggregate the group-time effects as R ``did::aggte`` does.

        Aggregate the group-time effects: "simple", "event", "group", "calendar" (as R ``did::aggte``), and for
        ``poisson_etwfe`` also "count" (average effect in outcome units per treated unit-period).

        Returns a frame with ``level`` ("overall" first, then one "element" row per event time / cohort / period),
        the key column (``event_time``, ``cohort`` or ``time``), estimate, se, ci_lower, ci_upper, scale; with
        ``n_boot > 0`` also band_lower, band_upper (uniform 95% band) and crit.

        Parameters
        ----------
        kind : str
            One of :data:`AGGREGATIONS` (and "count" for the Poisson ETWFE).
        """
        if kind == "dynamic":
            kind = "event"
        allowed = POISSON_AGGREGATIONS if self.estimator == "poisson_etwfe" else AGGREGATIONS
        if kind not in allowed:
            raise TppoError(f"aggregate kind must be one of {allowed}, got {kind!r}")
        if kind not in self._cache:
            self._cache[kind] = self._aggregate(kind)
        return self._cache[kind].copy()

    def sensitivity(
        self,
        method: Literal["smoothness", "relative_magnitude"] = "smoothness",
        m_values: Sequence[float] = (0.0, 0.01, 0.02, 0.03),
        target: Literal["first", "average"] = "first",
        level: float = 0.95,
        max_pre: int | None = 6,
        max_post: int | None = 6,
        rm_interval: Literal["clf", "naive"] = "clf",
        alpha: float | None = None,
    ) -> pd.DataFrame:
        """Return HonestDiD (Rambachan & Roth 2023) robust confidence sets for the post-treatment event-study effect.

        The event study is re-estimated with a *universal* base period (e = -1 normalised to 0), as HonestDiD requires.
        Only for estimators with pre-period estimates ("cs").

        Parameters
        ----------
        method : {"smoothness", "relative_magnitude"}
            Delta^SD (FLCI; validated against the HonestDiD README) bounds the change in slope of the trend violation by M
            per period; Delta^RM bounds post-period violations by Mbar times the largest pre-period one.
        m_values : sequence of float
            The values of M (or Mbar).
        target : {"first", "average"}
            The first post-period effect or the average over the post periods kept.
        level : float
            Confidence level.
        max_pre : int, optional
            Keep the pre-period event times e = -1 - max_pre .. -2 (HonestDiD's optimisation grows quickly with the
            number of coefficients; monthly panels have dozens).
        max_post : int, optional
            Keep the post-period event times 0 .. max_post - 1.
        rm_interval : {"clf", "naive"}
            For Delta^RM: R HonestDiD's C-LF interval, or diff-diff's naive FLCI.
        alpha : float, optional
            Deprecated alias of ``1 - level``, kept for one release.

        Returns
        -------
        pandas.DataFrame
            m, lb, ub (robust CI), method, target, and the original estimate/se.
        """
        if self._sensitivity is None:
            raise TppoError(f"sensitivity needs pre-period event-study estimates; not available for {self.estimator}")
        if "sens" not in self._cache:
            self._cache["sens"] = self._sensitivity()
        e, beta, sigma = self._cache["sens"]
        keep = np.ones(len(e), dtype=bool)
        if max_pre is not None:
            keep &= e >= -1 - max_pre
        if max_post is not None:
            keep &= e < max_post
        beta, sigma = beta[keep], sigma[np.ix_(keep, keep)]
        num_pre, num_post = int((e[keep] < 0).sum()), int((e[keep] >= 0).sum())
        l_vec = np.zeros(num_post)
        if target == "first":
            l_vec[0] = 1.0
        elif target == "average":
            l_vec[:] = 1.0 / num_post
        else:
            raise TppoError(f"target must be 'first' or 'average', got {target!r}")
        return honest_bounds(
            beta,
            sigma,
            num_pre,
            num_post,
            method=method,
            m_values=m_values,
            l_vec=l_vec,
            level=_level_from_alpha(level, alpha, "EffectResult.sensitivity"),
            rm_interval=rm_interval,
        )


def _gt_frame(g, t, est, se, prep: _Prepared) -> pd.DataFrame:
    out = pd.DataFrame({"cohort": from_ordinal(g, prep), "time": from_ordinal(t, prep)})
    out["event_time"] = (np.asarray(t) - np.asarray(g)).astype(np.int64)
    out["estimate"] = est
    out["se"] = se
    out["ci_lower"] = out["estimate"] - _Z * out["se"]
    out["ci_upper"] = out["estimate"] + _Z * out["se"]
    return out


def _event_from_agg(ev: pd.DataFrame) -> pd.DataFrame:
    es = ev[ev["level"] == "element"].drop(columns=["level"]).reset_index(drop=True)
    es["event_time"] = es["event_time"].astype(np.int64)
    return es


def _key_values(keys, prep):
    if prep.time_kind == "month":
        return [pd.NaT if k is None else pd.Period(ordinal=k, freq="M") for k in keys]
    return pd.array([pd.NA if k is None else k for k in keys], dtype="Int64")
