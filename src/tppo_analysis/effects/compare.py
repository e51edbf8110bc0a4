"""The estimator table of notebook 03.

:func:`compare` puts several fits side by side, and :func:`bacon_summary` condenses a Goodman-Bacon decomposition by
type of comparison.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..protocol import Result, Summary, check_level, round_frame
from .result import EffectResult

__all__ = ["Comparison", "compare", "bacon_summary"]

#: What each interval method rests on, from the coverage study (results/studies/effects_coverage.md).
_METHOD_RELIABILITY = {
    "conditional_score": "conditional-score interval: near nominal coverage at 19 and 73 program villages "
    "(coverage study, 1,000 draws each)",
    "wild_score_bootstrap": "wild score bootstrap interval: near nominal coverage in the coverage study",
    "cluster_robust_saturated": "naive village-clustered sandwich: covers 0.85 (19) and 0.82 (73 program villages) "
    "in the coverage study",
    "randomization": "randomization inference over designations among eligible villages",
}


def _reliability(top: pd.Series) -> dict[str, str]:
    """``reliability`` and ``note`` of one estimator's overall row, from its interval method, scale and estimator."""
    method, scale, estimator = str(top.get("method", "")), str(top.get("scale", "")), str(top.get("estimator", ""))
    if scale == "count":
        rel = f"levels estimator, {method.replace('_', ' ')} interval: coverage not studied at this density"
        note = "parallel trends in levels: implausible under selection on the level and a multiplicative trend"
        if estimator == "twfe":
            note += "; the static TWFE also averages comparisons with already-treated villages (Goodman-Bacon)"
        return {"reliability": rel, "note": note}
    rel = _METHOD_RELIABILITY.get(method, f"{method.replace('_', ' ')} interval")
    if method == "cluster_robust":
        rel = "event-pooled cluster-robust interval, t(G-1): below nominal with few treated villages (coverage study)"
    return {"reliability": rel, "note": "" if np.isfinite(top["estimate"]) else "not bounded"}


@dataclass
class Comparison(Result):
    """Overall effects of several estimators side by side.

    Overall effects of several estimators (one row each), with their scale, interval method and, on SYNTHETIC
    panels, the planted truth in the estimator's own units.
    """

    results: dict
    truth: dict

    title = "Program effect by estimator (overall effect; rate ratio or effect per treated village-month)"

    def tidy(self, level: float | None = None) -> pd.DataFrame:
        """Return one row per estimator (overall effect) with the protocol columns, ``method`` and ``truth``.

        Parameters
        ----------
        level : float, optional
            Confidence level of the intervals (default: each result's own).

        Returns
        -------
        pandas.DataFrame
            estimator, method, term, estimate, se, ci_lower, ci_upper, scale, level, truth (when given), reliability
            and note (docs/CONTRACTS.md §5: what the interval rests on, and what a reader must know).
        """
        rows = []
        for name, res in self.results.items():
            t = res.tidy(level)
            top = t[t["term"] == "overall"].iloc[0]
            rows.append(
                {
                    "estimator": name,
                    "method": top["method"],
                    "term": "overall",
                    "estimate": top["estimate"],
                    "se": top["se"],
                    "ci_lower": top["ci_lower"],
                    "ci_upper": top["ci_upper"],
                    "scale": top["scale"],
                    "level": top["level"],
                    "truth": self.truth.get(name, np.nan),
                    **_reliability(top),
                }
            )
        out = pd.DataFrame(rows)
        if out["truth"].isna().all():
            out = out.drop(columns=["truth"])
        return out[[c for c in out.columns if c not in ("reliability", "note")] + ["reliability", "note"]]

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Return the intervals at ``level`` indexed by estimator.

        Parameters
        ----------
        level : float
            Confidence level.

        Returns
        -------
        pandas.DataFrame
            ci_lower, ci_upper.
        """
        return self.tidy(check_level(level)).set_index("estimator")[["ci_lower", "ci_upper"]]

    def summary(self) -> Summary:
        """Return the rounded table without the long text columns; ``reliability`` and ``note`` become notes.

        Returns
        -------
        Summary
            Title, the rounded overall effects, one note per estimator.
        """
        t = self.tidy()
        notes = tuple(
            f"{e}: {r}" + (f"; {n}" if n else "")
            for e, r, n in zip(t["estimator"], t["reliability"], t["note"], strict=True)
        )
        return Summary(self.title, round_frame(t.drop(columns=["reliability", "note"])), notes)

    def plot(self, ax: Any = None, *, title: str | None = None) -> tuple[Any, Any]:
        """Draw each estimator's overall effect and interval, with the planted truth when known.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on (a new figure when None).
        title : str, optional
            Axes title.

        Returns
        -------
        tuple
            (figure, axes).
        """
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(figsize=(7, 0.6 + 0.5 * len(self.results)))
        else:
            fig = ax.figure
        t = self.tidy()
        y = np.arange(len(t))[::-1]
        ax.errorbar(
            t["estimate"],
            y,
            xerr=[t["estimate"] - t["ci_lower"], t["ci_upper"] - t["estimate"]],
            fmt="o",
            label="estimate and interval",
        )
        if "truth" in t.columns:
            ax.plot(t["truth"], y, "k|", ms=14, label="planted truth")
        ax.set_yticks(y, [f"{e} ({s})" for e, s in zip(t["estimator"], t["scale"], strict=True)])
        ax.set_xlabel("effect (in each estimator's own scale)")
        ax.legend(fontsize=8)
        if title:
            ax.set_title(title)
        return fig, ax


def compare(results: dict[str, EffectResult], truth: dict[str, float] | None = None) -> Comparison:
    """Put overall effects side by side, e.g. ``compare({"Poisson ETWFE": r1, "Callaway-Sant'Anna": r2})``.

    Parameters
    ----------
    results : dict of str to EffectResult
        Fits by display name.
    truth : dict of str to float, optional
        SYNTHETIC panels: the planted value per name, in that estimator's scale.

    Returns
    -------
    Comparison
        A result following the protocol (tidy, conf_int, summary, plot).
    """
    return Comparison(dict(results), dict(truth or {}))


def bacon_summary(decomposition: pd.DataFrame) -> pd.DataFrame:
    """Condense a Goodman-Bacon decomposition by type of comparison.

    Parameters
    ----------
    decomposition : pandas.DataFrame
        The frame of :func:`tppo_analysis.effects.bacon`.

    Returns
    -------
    pandas.DataFrame
        comparison, weight, estimate (weighted), and a last row with the TWFE coefficient they average to.
    """
    b = decomposition
    rows = [
        {
            "comparison": k,
            "weight": float(g["weight"].sum()),
            "estimate": float(np.average(g["estimate"], weights=g["weight"])),
        }
        for k, g in b.groupby("comparison", sort=True)
    ]
    rows.append(
        {
            "comparison": "TWFE coefficient (weighted sum)",
            "weight": float(b["weight"].sum()),
            "estimate": float(b.attrs.get("twfe_estimate", np.nan)),
        }
    )
    return pd.DataFrame(rows)
