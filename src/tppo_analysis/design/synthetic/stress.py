"""SYNTHETIC stress scenarios: worlds in which the identifying assumption of the Desa Binaan analysis fails.

Each scenario is a function for :func:`.villages.generate_panel` (``scenario=``). It returns log multipliers of the
counterfactual mean (``shock0``: the world without the program) and of the treated mean only (``shock1``: a
co-located programme), plus per-village columns added to the panel. The planted Desa Binaan effect, and so the
truth the estimators are scored against, is unchanged. What each violates, and the diagnostic of the pre-analysis
plan meant to flag it:

* :func:`spike` — **selection on a transitory shock**: villages are designated after a trafficking case, so their
  deferrals spike in the 6 months before launch and then revert (an Ashenfelter dip, mirrored). Biases towards a
  "reduction". Flag: the ratio-scale pre-trend test (leads) and HonestDiD.
* :func:`destinations` — **destination-specific trends**: each village sends to Malaysia, East Asia (Taiwan, Hong
  Kong), other destinations, and the Cambodia/Myanmar online-scam routes in different shares; each destination
  closes and reopens on its own dates (``data/reference/events.csv``), and the 2022-23 scam-recruitment wave reaches
  non-traditional villages. Program villages are Malaysia-heavy. Removed by starting the pre-period after the
  reopening (mid-2022) and by destination x month fixed effects. Flag: the placebo and pre-trend tests.
* :func:`covid` — **a COVID dip with heterogeneous recovery**: every village drops to 10% from April 2020; the
  recovery ends at a province-specific date (East Java mid-2023, Central Java end-2022, others mid-2022). Removed by
  regency x month fixed effects. Flag: the pre-trend test.
* :func:`cotreatment` — **a co-located programme** (Kemnaker's Desmigratif): half the program villages get it
  within 3 months of launch (rate ratio 0.85), and 5% of other villages at random dates; ``co_programme`` records
  it, as the extract format asks. No pre-period test can see it. Flag: the co-programme split (the effect in
  villages with and without the co-located programme differs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["spike", "destinations", "covid", "cotreatment", "SCENARIOS", "event_dates"]

_DEFAULT_DATES = {  # fallback when data/reference/events.csv is absent (same events, same dates)
    "malaysia": ("2020-03-18", "2022-04-01"),  # malaysia-border-closure-2020 / malaysia-border-reopening-2022
    "east_asia": ("2020-03-20", "2021-11-11"),  # pmi-placement-suspension-2020 / taiwan-reopening-2021
    "other": ("2020-03-20", "2020-07-29"),  # pmi-placement-suspension-2020 / pmi-placement-reopening-2020
}
_EVENT_IDS = {
    "malaysia": ("malaysia-border-closure-2020", "malaysia-border-reopening-2022"),
    "east_asia": ("pmi-placement-suspension-2020", "taiwan-reopening-2021"),
    "other": ("pmi-placement-suspension-2020", "pmi-placement-reopening-2020"),
}


def event_dates() -> dict:
    """Closure and reopening months per destination group, from ``data/reference/events.csv`` when it is there."""
    try:
        from ...sources.events import load_events

        ev = load_events().set_index("event_id")
        out = {}
        for k, (a, b) in _EVENT_IDS.items():
            out[k] = (str(pd.Timestamp(ev.loc[a, "start"]).date()), str(pd.Timestamp(ev.loc[b, "start"]).date()))
        return out
    except (ImportError, KeyError, FileNotFoundError, OSError):
        return dict(_DEFAULT_DATES)


def _months_index(months: pd.PeriodIndex, date: str) -> int:
    return int(pd.Period(date, "M").ordinal - months[0].ordinal)


def spike(size: float = np.log(3.0), length: int = 6, control_share: float = 0.03):
    """Return the world where designation follows a transitory spike: x3 in the months before launch, then back to normal.

    Parameters
    ----------
    size : float
        Log size of the spike (log 3 by default).
    length : int
        Months of the spike before launch.
    control_share : float
        Share of comparison villages with a spike of their own (at a random month).

    Returns
    -------
    callable
        The scenario, for ``generate_panel(scenario=...)``.
    """

    def scenario(ctx):
        months, first, rng = ctx["months"], ctx["first"], ctx["rng"]
        n, T = len(first), len(months)
        shock = np.zeros((n, T))
        tt = months.asi8[None, :]
        on = (first[:, None] >= 0) & (tt >= first[:, None] - length) & (tt < first[:, None])
        shock[on] = size
        ctrl = np.flatnonzero(first < 0)
        pick = rng.choice(ctrl, size=int(round(control_share * len(ctrl))), replace=False) if len(ctrl) else ctrl
        starts = rng.integers(0, max(T - length, 1), size=len(pick))
        for i, s0 in zip(pick, starts, strict=True):
            shock[i, s0 : s0 + length] = size
        return shock, np.zeros((n, T)), {}

    return scenario


def destinations(closed: float = np.log(0.05), recovery: int = 6, scam_peak: float = 1.2):
    """Return the world of destination-specific closures and reopenings (events.csv) and a 2022-23 scam wave on non-program villages.

    Parameters
    ----------
    closed : float
        Log multiplier while a destination is closed.
    recovery : int
        Months of linear recovery after a reopening.
    scam_peak : float
        Log height of the scam-wave peak (March 2023) on the scam routes.

    Returns
    -------
    callable
        The scenario, for ``generate_panel(scenario=...)``.
    """

    def scenario(ctx):
        months, first, rng = ctx["months"], ctx["first"], ctx["rng"]
        n, T = len(first), len(months)
        prog = first >= 0
        alpha = np.where(prog[:, None], [[6.0, 1.5, 1.5, 0.3]], [[2.0, 2.5, 2.5, 1.0]])
        shares = np.vstack([rng.dirichlet(a) for a in alpha])  # malaysia, east_asia, other, scam routes
        t = np.arange(T)
        mult = np.ones((4, T))
        for j, key in enumerate(("malaysia", "east_asia", "other")):
            a, b = event_dates()[key]
            ia, ib = _months_index(months, a), _months_index(months, b)
            lm = np.where((t >= ia) & (t < ib), closed, 0.0)
            rec = (t >= ib) & (t < ib + recovery)
            lm[rec] = closed * (1 - (t[rec] - ib + 1) / (recovery + 1))
            mult[j] = np.exp(lm)
        peak = _months_index(months, "2023-03-01")
        mult[3] = np.exp(scam_peak * np.exp(-0.5 * ((t - peak) / 5.0) ** 2)) * mult[2]
        shock = np.log(shares @ mult)
        main = np.array(["malaysia", "east_asia", "other", "scam_routes"])[shares.argmax(axis=1)]
        return shock, np.zeros((n, T)), {"main_destination": main, "share_malaysia": shares[:, 0]}

    return scenario


def covid(
    dip: float = np.log(0.1), start: str = "2020-04-01", low_until: str = "2021-12-01", recovered: dict | None = None
):
    """Return the COVID world: everyone drops to 10% in April 2020; the recovery ends at a province-specific month.

    Parameters
    ----------
    dip : float
        Log multiplier of the drop.
    start : str
        First month of the drop.
    low_until : str
        Month until which everyone stays low.
    recovered : dict of str to str, optional
        Province code -> month the recovery ends (default: East and Central Java late; others June 2022).

    Returns
    -------
    callable
        The scenario, for ``generate_panel(scenario=...)``.
    """
    recovered = recovered or {"35": "2023-06-01", "33": "2022-12-01"}

    def scenario(ctx):
        months, geo = ctx["months"], ctx["geo"]
        n, T = len(geo), len(months)
        t = np.arange(T)[None, :]
        i0, i1 = _months_index(months, start), _months_index(months, low_until)
        end = np.array([_months_index(months, recovered.get(p, "2022-06-01")) for p in geo["province_code"]])
        frac = np.clip((t - i1) / np.maximum(end[:, None] - i1, 1), 0.0, 1.0)
        shock = np.where(t < i0, 0.0, dip * (1.0 - frac))
        return shock, np.zeros((n, T)), {}

    return scenario


def cotreatment(share: float = 0.5, rr: float = 0.85, max_lag: int = 3, control_share: float = 0.05):
    """Return a co-located programme (Desmigratif) in half the program villages, within 3 months of launch.

    Parameters
    ----------
    share : float
        Share of program villages with the co-located programme.
    rr : float
        Rate ratio of the co-located programme.
    max_lag : int
        Months after launch within which it starts.
    control_share : float
        Share of comparison villages that get it too.

    Returns
    -------
    callable
        The scenario, for ``generate_panel(scenario=...)``.
    """

    def scenario(ctx):
        months, first, rng = ctx["months"], ctx["first"], ctx["rng"]
        n, T = len(first), len(months)
        prog = np.flatnonzero(first >= 0)
        co_start = np.full(n, -1, dtype=np.int64)
        pick = prog[rng.random(len(prog)) < share]
        co_start[pick] = first[pick] + rng.integers(0, max_lag + 1, size=len(pick))
        ctrl = np.flatnonzero(first < 0)
        cp = ctrl[rng.random(len(ctrl)) < control_share]
        co_start[cp] = rng.integers(pd.Period("2023-01", "M").ordinal, months[-1].ordinal + 1, size=len(cp))
        tt = months.asi8[None, :]
        on = (co_start[:, None] >= 0) & (tt >= co_start[:, None])
        shock1 = np.where(on, np.log(rr), 0.0)
        shock0 = np.zeros((n, T))
        # the co-programme in control villages is part of their counterfactual world
        shock0[cp] = shock1[cp]
        shock1[cp] = 0.0
        return shock0, shock1, {"co_programme": (co_start >= 0).astype(int)}

    return scenario


SCENARIOS: dict[str, Callable[..., Any]] = {
    "spike": spike,
    "destinations": destinations,
    "covid": covid,
    "cotreatment": cotreatment,
}
