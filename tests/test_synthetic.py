"""The SYNTHETIC generator: labelled, seeded, calibrated, selection on high sending, planted truth, canaries."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from tppo_analysis.design import synthetic
from tppo_analysis.errors import TppoError
from tppo_analysis.privacy import identifiers


@pytest.fixture(scope="module")
def geo():
    """Return a tiny fixture geography.

    3 regencies x 4 districts x 25 villages in two provinces (codes syntactically real).
    """
    rows = []
    for reg in ("52.03", "52.02", "33.01"):
        for d in range(1, 5):
            for v in range(1, 26):
                rows.append((f"{reg}.{d:02d}.{2000 + v}", f"{reg}.{d:02d}", reg, reg[:2]))
    return pd.DataFrame(rows, columns=["village_code", "district_code", "regency_code", "province_code"])


@pytest.fixture(scope="module")
def roster():
    return pd.DataFrame(
        {
            "village_code": ["52.03.01.2001", "52.03.02.2005"],
            "launch_date": pd.to_datetime(["2024-04-30", "2025-07-08"]),
            "precision": ["day", "day"],
        }
    )


def test_every_frame_is_labelled_synthetic(geo, roster):
    sp = synthetic.generate_panel(seed=1, villages=geo, roster=roster, n_enrolled_by=6)
    for frame in (sp.panel, sp.villages, sp.true_effects):
        assert (frame["data"] == "SYNTHETIC").all() and frame.attrs["data"] == "SYNTHETIC"


def test_same_seed_same_panel_and_different_seed_differs(geo, roster):
    a = synthetic.generate_panel(seed=3, villages=geo, roster=roster, n_enrolled_by=6)
    b = synthetic.generate_panel(seed=3, villages=geo, roster=roster, n_enrolled_by=6)
    c = synthetic.generate_panel(seed=4, villages=geo, roster=roster, n_enrolled_by=6)
    pd.testing.assert_frame_equal(a.panel, b.panel)
    assert not a.panel["deferrals"].equals(c.panel["deferrals"])


def test_panel_is_balanced_with_real_roster_cohorts_and_flagged_additions(geo, roster):
    sp = synthetic.generate_panel(seed=2, villages=geo, roster=roster, n_enrolled_by=6, enrolled_by="2025-05")
    p = sp.panel
    assert len(p) == len(geo) * 72 and p.groupby("village_code", observed=True).size().eq(72).all()
    v = sp.villages.set_index("village_code")
    assert v.loc["52.03.01.2001", "first_treated"] == pd.Period("2024-04", "M")
    assert v.loc["52.03.01.2001", "program_source"] == "roster"
    # enrolled by May 2025: real dated roster villages + synthetic additions = the target
    by = v["first_treated"].notna() & (v["first_treated"] <= pd.Period("2025-05", "M"))
    assert by.sum() == 6
    assert set(v.loc[by, "program_source"]) <= {"roster", "synthetic_addition"}
    # selection on high sending: program villages' propensity above the 90th percentile of the others
    prog = v["program_source"] != "none"
    assert v.loc[prog, "propensity"].median() > v.loc[~prog, "propensity"].quantile(0.9)


def test_calibration_to_the_national_monthly_total(geo):
    sp = synthetic.generate_panel(
        seed=5,
        villages=geo,
        roster=False,
        national_monthly_2025=1500.0,
        n_enrolled_by=4,
        effect_rr=1.0,
        dispersion=None,
    )
    in_2025 = sp.panel["month"].dt.year == 2025
    # the whole (tiny) geography is "national" here: expected 2025 total per month equals the target
    assert sp.panel.loc[in_2025, "expected"].sum() / 12 == pytest.approx(1500.0, rel=1e-9)
    observed = sp.panel.loc[in_2025, "deferrals"].sum() / 12
    assert observed == pytest.approx(1500.0, rel=0.05)


def test_planted_effect_truth(geo):
    sp = synthetic.generate_panel(seed=6, villages=geo, roster=False, n_enrolled_by=20, effect_rr=0.6, ramp=4)
    te = sp.true_effects.set_index("event_time")["rate_ratio"]
    assert (
        te.loc[0] == pytest.approx(0.6**0.25) and te.loc[3] == pytest.approx(0.6) and te.loc[10] == pytest.approx(0.6)
    )
    assert 0.6 <= sp.true_overall < 1.0


def test_subset_of_regencies_keeps_village_values(geo):
    full = synthetic.generate_panel(seed=7, villages=geo, roster=False, n_enrolled_by=10)
    sub = synthetic.generate_panel(seed=7, villages=geo, roster=False, n_enrolled_by=10, regency_codes=["52.03"])
    assert set(sub.villages["regency_code"]) == {"52.03"}
    f = full.villages.set_index("village_code")["propensity"]
    s = sub.villages.set_index("village_code")["propensity"]
    # same villages, same relative propensities (a subset gets its share of the national calibration)
    ratio = s / f.loc[s.index]
    assert np.allclose(ratio, ratio.iloc[0])
    with pytest.raises(TppoError, match="no villages"):
        synthetic.generate_panel(seed=7, villages=geo, roster=False, regency_codes=["99.99"])


def test_spillover_to_same_kecamatan(geo):
    base = synthetic.generate_panel(seed=8, villages=geo, roster=False, n_enrolled_by=8, dispersion=None)
    sp = synthetic.generate_panel(
        seed=8, villages=geo, roster=False, n_enrolled_by=8, spillover_rr=0.5, dispersion=None
    )
    v = sp.villages
    exposed = v["spillover_exposed_from"].notna()
    assert exposed.any() and (v.loc[exposed, "first_treated"].isna()).all()
    assert v.loc[exposed, "district_code"].isin(v.loc[v["first_treated"].notna(), "district_code"]).all()
    p0, p1 = base.panel, sp.panel
    late = p1["month"] >= pd.Period("2025-06", "M")
    ex_codes = set(v.loc[exposed, "village_code"])
    m = late & p1["village_code"].isin(ex_codes)
    assert p1.loc[m, "deferrals"].sum() < 0.75 * p0.loc[m, "deferrals"].sum()


def test_small_panel_truth_and_selection():
    sp = synthetic.small_panel(seed=1, n_villages=300, effect_rr=0.7)
    assert sp.true_overall == pytest.approx(0.7)
    v = sp.villages
    assert v.loc[v["cohort"] > 0, "propensity"].mean() > v.loc[v["cohort"] == 0, "propensity"].mean()
    assert (sp.panel["data"] == "SYNTHETIC").all()


def test_records_and_canaries(geo):
    sp = synthetic.generate_panel(seed=9, villages=geo, roster=False, n_enrolled_by=4, national_monthly_2025=40)
    rec = synthetic.generate_records(sp.panel, seed=1, plant_canaries=True)
    assert len(rec) == sp.panel["deferrals"].sum() and (rec["data"] == "SYNTHETIC").all()
    month = pd.to_datetime(rec["deferral_date"]).dt.to_period("M")
    back = rec.assign(month=month).groupby(["village_code", "month"]).size()
    p = sp.panel[sp.panel["deferrals"] > 0].set_index(["village_code", "month"])["deferrals"]
    assert back.sort_index().tolist() == p.sort_index().tolist()
    text = " ".join(rec["notes"])
    for nik, ph, nm in zip(identifiers.CANARY_NIKS, identifiers.CANARY_PHONES, identifiers.CANARY_NAMES, strict=True):
        assert nik in text and ph in text and nm in text
    clean = synthetic.generate_records(sp.panel, seed=1)
    assert "notes" not in clean.columns
    assert not clean.astype(str).apply(lambda c: c.str.contains(identifiers.CANARY_NIKS[0])).any().any()
    with pytest.raises(TppoError, match="SYNTHETIC"):
        synthetic.generate_records(sp.panel.drop(columns=["data"]))


def test_canary_niks_are_syntactically_valid():
    for nik in identifiers.CANARY_NIKS:
        assert re.fullmatch(r"\d{16}", nik)
        day, month = int(nik[6:8]), int(nik[8:10])
        assert 1 <= (day - 40 if day > 40 else day) <= 31 and 1 <= month <= 12
        assert nik[:2] in {"32", "35", "52"}
    for ph in identifiers.CANARY_PHONES:
        digits = re.sub(r"\D", "", ph)
        assert digits.startswith(("62", "08")) and 10 <= len(digits) <= 14
