"""The estimator table of notebook 03: :func:`compare` puts several fits side by side, and
:func:`bacon_summary` condenses a Goodman-Bacon decomposition by type of comparison.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..protocol import Result, check_level
from .result import EffectResult

__all__ = ["Comparison", "compare", "bacon_summary"]


@dataclass
class Comparison(Result):
    """Overall effects of several estimators (one row each), with their scale, interval method and, on SYNTHETIC
    panels, the planted truth in the estimator's own units.
    """

    results: dict
    truth: dict

    title = "Program effect by estimator (overall effect; rate ratio or effect per treated village-month)"

    def tidy(self, level: float | None = None) -> pd.DataFrame:
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
                }
            )
        out = pd.DataFrame(rows)
        if out["truth"].isna().all():
            out = out.drop(columns=["truth"])
        return out

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        return self.tidy(check_level(level)).set_index("estimator")[["ci_lower", "ci_upper"]]

    def plot(self, ax: Any = None, *, title: str | None = None) -> tuple[Any, Any]:
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
    """Side-by-side overall effects, e.g. ``compare({"Poisson ETWFE": r1, "Callaway-Sant'Anna": r2})``; ``truth``
    (SYNTHETIC panels) maps an estimator's name to its planted value in that estimator's scale.
    """
    return Comparison(dict(results), dict(truth or {}))


def bacon_summary(decomposition: pd.DataFrame) -> pd.DataFrame:
    """Weight and weighted estimate of each comparison type of :func:`tppo_analysis.effects.bacon`, and the TWFE
    coefficient they average to (last row).
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
