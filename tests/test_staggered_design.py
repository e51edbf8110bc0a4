"""``tppo.StaggeredDesign`` holds the column roles once and gives exactly what the direct calls give (SYNTHETIC)."""

from __future__ import annotations

import pandas as pd
import pytest

import tppo_analysis as tppo
from tppo_analysis import effects
from tppo_analysis.design import synthetic

ROLES = {"outcome": "y", "unit": "unit", "time": "period", "cohort": "cohort"}


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    sim = synthetic.small_panel(seed=5, n_villages=240, n_periods=12, cohorts=(6, 8), effect_rr=0.7)
    p = sim.panel.copy()
    p["district"] = (p["unit"].astype(int) // 12).astype(str)  # an administrative area of 12 units
    return p


@pytest.fixture(scope="module")
def design(panel) -> tppo.StaggeredDesign:
    return tppo.StaggeredDesign(panel, "y", "unit", "period", "cohort")


def _same_result(a, b) -> None:
    pd.testing.assert_frame_equal(a.overall, b.overall)
    pd.testing.assert_frame_equal(a.event_study, b.event_study)
    pd.testing.assert_frame_equal(a.group_time, b.group_time)


@pytest.mark.parametrize("estimator", ["poisson_etwfe", "cs", "twfe"])
def test_fit_is_the_direct_fit(design, panel, estimator):
    _same_result(design.fit(estimator), effects.fit(panel, **ROLES, estimator=estimator))


def test_fit_passes_options_through(design, panel):
    got = design.fit("cs", control="not_yet_treated")
    _same_result(got, effects.fit(panel, **ROLES, estimator="cs", control="not_yet_treated"))
    assert not got.overall.equals(design.fit("cs").overall)


def test_bacon_is_the_direct_decomposition(design, panel):
    got, want = design.bacon(), effects.bacon(panel, **ROLES)
    pd.testing.assert_frame_equal(got, want)
    assert got.attrs["twfe_estimate"] == want.attrs["twfe_estimate"]


def test_placebo_is_a_design_on_the_placebo_panel(design, panel):
    placebo = design.placebo(3)
    direct = effects.placebo_shift(panel, time="period", cohort="cohort", shift=3)
    pd.testing.assert_frame_equal(placebo.panel, direct)
    _same_result(placebo.fit(), effects.fit(direct, **ROLES))


def test_rings_is_a_design_on_the_exposure_cohorts(design, panel):
    ring = design.rings("district")
    direct = effects.ring_exposure(panel, unit="unit", cohort="cohort", ring="district")
    pd.testing.assert_frame_equal(ring.panel, direct)
    assert ring.cohort == "exposure_cohort" and (ring.outcome, ring.unit, ring.time) == ("y", "unit", "period")


def test_permutation_test_is_the_direct_test(design, panel):
    got = design.permutation_test(19, seed=3)
    pd.testing.assert_frame_equal(got, effects.permutation_test(panel, **ROLES, n_perm=19, seed=3))


def test_offset_and_cluster_reach_every_fit(panel, monkeypatch):
    seen = []

    def fake_fit(*args, **kwargs):
        seen.append(kwargs)
        return "fitted"

    monkeypatch.setattr("tppo_analysis.effects.staggered._fit", fake_fit)
    d = tppo.StaggeredDesign(panel, "y", "unit", "period", "cohort", offset="pop", cluster="district")
    assert d.fit("cs") == "fitted" and d.placebo(3).fit() == "fitted" and d.rings("district").fit() == "fitted"
    assert all(k["offset"] == "pop" and k["cluster"] == "district" for k in seen) and len(seen) == 3
    assert d.fit(cluster="unit") == "fitted" and seen[-1]["cluster"] == "unit"
    assert "offset='pop'" in repr(d) and "rows" in repr(d)
