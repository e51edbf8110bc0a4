"""Context of notebook 01's trend tables that needs no model: dated events and passport-deferral rates.

The dated events drawn on the trend figures and the passport-deferral rates where the record has a denominator.
Split from :mod:`tppo_analysis.models.trends`, which re-exports every name here; it stays in ``record`` because it
needs no model (events and record rates only), so its imports follow the flow from here.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ..protocol import round_frame

__all__ = ["DEFAULT_EVENTS", "event_lines", "passport_rate_table"]

#: Dates drawn on the trend figure when no event table is at hand.
DEFAULT_EVENTS = {
    "placements suspended": "2020-03-20",
    "Malaysia reopens": "2022-04-01",
    "Satgas TPPO": "2023-06-05",
    "ministry split": "2024-10-21",
}


def event_lines(kinds: Sequence[str] = ("closure", "reopening", "institution")) -> dict[str, pd.Timestamp]:
    """Return the dated events to draw on trend figures.

    Dated events to draw on trend figures: from ``data/reference/events.csv`` when ``sources.events`` is there
    (the starts of the trend regimes and of institutional events), else :data:`DEFAULT_EVENTS`.

    Parameters
    ----------
    kinds : sequence of str
        Event kinds drawn (when the event table is there).
    """
    try:
        from ..sources.events import regimes
    except ImportError:
        return {k: pd.Timestamp(v) for k, v in DEFAULT_EVENTS.items()}
    r = regimes()
    return {
        str(row.regime).replace("_", " "): pd.Timestamp(row.start)
        for row in r.itertuples(index=False)
        if pd.notna(row.start)
    }


def passport_rate_table(obs: pd.DataFrame) -> pd.DataFrame:
    """Passport deferrals per 10,000 passports issued where an office reported both for the same window (rounded).

    Parameters
    ----------
    obs : DataFrame
        Reconciled windows: ``period_start``, ``period_end`` (inclusive dates), ``value`` and, for several series, ``series`` and ``measure``.
    """
    from .rates import rates

    r = rates(obs, "passport_deferrals_per_10k_issued")
    r = r[r["status"] == "rate"].astype({"denominator": "int64"})
    cols = ["series", "period_start", "period_end", "numerator", "denominator", "estimate", "ci_lower", "ci_upper"]
    out = r[cols].reset_index(drop=True)
    out["reliability"] = (
        "reported count and passports issued for the same office and window (nothing prorated); 95% exact "
        "(Garwood) Poisson interval of the count, the denominator taken as exact"
    )
    out["note"] = "figures " + r["figure_ids"].astype(str).str.replace(";", ", ").to_numpy()
    return round_frame(out)
