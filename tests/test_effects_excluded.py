"""``effects.fit(estimator="poisson_etwfe")`` surfaces the cohorts the fast Poisson ETWFE leaves out.

effects.fit(estimator="poisson_etwfe") surfaces the cohorts the fast Poisson ETWFE leaves out (SYNTHETIC panel):
a cohort without any event before its adoption has no baseline rate, so its units are listed in
``EffectResult.excluded`` with the reason, named in ``notes``, and the estimate is the one without them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tppo_analysis import effects


def _synthetic_panel(seed: int = 3) -> pd.DataFrame:
    """Build a SYNTHETIC monthly panel with one cohort that has no event before adoption.

    SYNTHETIC monthly panel: 240 villages x 24 months, cohorts 2024-07 (20 villages) and 2024-10 (20 villages,
    no event at all before 2024-10), the rest never treated; rate ratio 0.7 after launch.
    """
    rng = np.random.default_rng(seed)
    n, months = 240, pd.period_range("2024-01", periods=24, freq="M")
    cohort_pos = np.full(n, -1)
    cohort_pos[:20], cohort_pos[20:40] = 6, 9
    rate = rng.gamma(4.0, 0.5, n)
    t = np.arange(len(months))
    mu = rate[:, None] * np.where((cohort_pos[:, None] >= 0) & (t[None, :] >= cohort_pos[:, None]), 0.7, 1.0)
    y = rng.poisson(mu)
    y[20:40, :9] = 0  # the 2024-10 cohort: no event before adoption
    first = pd.Series(months[np.maximum(cohort_pos, 0)]).where(cohort_pos >= 0)
    return pd.DataFrame(
        {
            "village_code": np.repeat([f"V{i:03d}" for i in range(n)], len(months)),
            "month": np.tile(months, n),
            "first_treated": pd.Series(np.repeat(first.to_numpy(), len(months))).astype("period[M]"),
            "deferrals": y.ravel(),
        }
    )


def test_cohort_without_baseline_events_is_listed_as_excluded():
    panel = _synthetic_panel()
    res = effects.fit(panel, "deferrals", "village_code", "month", "first_treated", estimator="poisson_etwfe")
    assert "tppo_analysis.effects._etwfe_fast" in res.notes[-1]  # the fast engine ran
    assert list(res.excluded.columns) == ["village_code", "reason"]
    assert sorted(res.excluded["village_code"]) == [f"V{i:03d}" for i in range(20, 40)]
    assert res.excluded["reason"].str.contains("2024-10").all()
    assert res.excluded["reason"].str.contains("before adoption").all()
    assert any("2024-10 (20 unit(s))" in note and "left out" in note for note in res.notes)
    # the estimate is the one without the excluded units, and their cohort has no cells
    without = panel[~panel["village_code"].isin(res.excluded["village_code"])]
    ref = effects.fit(without, "deferrals", "village_code", "month", "first_treated", estimator="poisson_etwfe")
    assert res.overall["estimate"].iloc[0] == pytest.approx(ref.overall["estimate"].iloc[0], rel=1e-10)
    assert pd.Period("2024-10", "M") not in set(res.group_time["cohort"])
    assert ref.excluded.empty


def test_excluded_adds_to_units_dropped_for_early_treatment():
    panel = _synthetic_panel()
    early = panel["village_code"].isin(["V239"])
    panel.loc[early, "first_treated"] = pd.Period("2024-01", "M")  # treated in the first period: dropped
    res = effects.fit(panel, "deferrals", "village_code", "month", "first_treated", estimator="poisson_etwfe")
    assert len(res.excluded) == 21
    assert res.excluded["village_code"].iloc[0] == "V239" and "first period" in res.excluded["reason"].iloc[0]
