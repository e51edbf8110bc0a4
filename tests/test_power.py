"""Power study: simulated size near 5%, power increasing with effect and program size, analytic NB comparison."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.rates import power_negbin_ratio_2indep

from tppo_analysis.design import power

REPO = Path(__file__).resolve().parents[1]


def test_simulate_design_shape_and_planted_effect():
    d = power.simulate_design(
        n_program=50, control_ratio=2, n_months=24, base_rate=5.0, effect_rr=0.5, village_sd=0.0, dispersion=1e6, seed=1
    )
    assert len(d) == 150 * 24 and (d["data"] == "SYNTHETIC").all()
    post = (d["first_treated"] > 0) & (d["month"] >= d["first_treated"])
    ctrl = d["first_treated"] == 0
    # no heterogeneity, (near-)Poisson: treated post mean / control mean over the same months ~ 0.5
    months = d.loc[post, "month"].unique()
    ratio = d.loc[post, "deferrals"].mean() / d.loc[ctrl & d["month"].isin(months), "deferrals"].mean()
    assert ratio == pytest.approx(0.5, rel=0.08)


def test_power_table_size_and_monotonicity():
    t = power.power_table(effects_rr=(1.0, 0.5), n_programs=(73,), base_rates=(1.0,), n_reps=8, seed=3)
    t = t.set_index("effect_rr")
    assert t.loc[1.0, "power_simulated"] <= 0.25  # size: 5% nominal, 8 replications
    assert t.loc[0.5, "power_simulated"] >= 0.9
    assert abs(t.loc[0.5, "mean_estimate"] - 0.5) < 0.08
    assert t.loc[0.5, "power_negbin_2indep_within"] >= t.loc[0.5, "power_negbin_2indep"]


@pytest.mark.reference
def test_analytic_column_is_statsmodels():
    got = power._analytic_power(0.5, 0.8, 185, 4.0, 12, 2.0, 1.0)
    want = power_negbin_ratio_2indep(
        0.4, 0.5, 185, nobs_ratio=4.0, exposure=12, dispersion=np.exp(1.0) - 1 + 1 / 24, return_results=False
    )
    assert got == pytest.approx(float(want))


def test_mde_interpolation():
    t = pd.DataFrame(
        {
            "n_program": [10] * 3,
            "base_rate": [1.0] * 3,
            "effect_rr": [0.9, 0.8, 0.7],
            "power_simulated": [0.2, 0.6, 1.0],
        }
    )
    m = power.mde_table(t)
    assert m["mde_reduction_pct"].iloc[0] == pytest.approx(25.0) and m["mde_bound"].iloc[0] == "="
    t["power_simulated"] = [0.1, 0.2, 0.3]
    assert power.mde_table(t)["mde_bound"].iloc[0] == ">"
    t["power_simulated"] = [0.9, 0.95, 1.0]
    m = power.mde_table(t)
    assert m["mde_bound"].iloc[0] == "<=" and m["mde_reduction_pct"].iloc[0] == pytest.approx(10.0)


def test_power_script_small_run(tmp_path):
    args = [sys.executable, str(REPO / "scripts" / "power_study.py"), "--reps", "6", "--small", "--out", str(tmp_path)]
    r = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    t = pd.read_csv(tmp_path / "power_simulation.csv").set_index("effect_rr")
    assert len(t) == 2 and (t["data"] == "SYNTHETIC").all() and (t["n_reps"] == 6).all()
    assert t.loc[0.5, "power"] > t.loc[1.0, "power"]  # 73 villages at 0.1 a month: a halving shows
    m = pd.read_csv(tmp_path / "power_mde.csv")
    assert list(m["n_program"]) == [73] and m["mde_bound"].iloc[0] in {"<=", "interpolated", ">"}


def test_realistic_design_plants_the_losses():
    from tppo_analysis.design.synthetic import power_panel

    d = power_panel.realistic_design(
        n_program=200,
        base_rate=2.0,
        effect_rr=1.0,
        seed=2,
        unmapped_share=0.5,
        village_sd=0.0,
        dispersion=1e6,
        trend_per_year=0.0,
    )
    prog = d[d["first_treated"] > 0]
    assert prog["deferrals"].mean() == pytest.approx(1.0, rel=0.05)  # half the records unmapped
    assert d.loc[d["first_treated"] == 0, "spillover_exposed"].mean() == pytest.approx(0.2, abs=0.03)


def test_realistic_power_size_near_nominal_and_power_grows():
    null = [power.realistic_replication(n_program=185, base_rate=0.1, effect_rr=1.0, seed=s) for s in range(40)]
    alt = [power.realistic_replication(n_program=185, base_rate=0.1, effect_rr=0.5, seed=s) for s in range(40)]
    assert power.power_cell(null)["power"] <= 0.15
    assert power.power_cell(alt)["power"] >= 0.8


def test_power_curves_use_the_sequential_palette_and_pass_the_colour_check():
    import matplotlib.pyplot as plt

    from tppo_analysis.output import plotting
    from tppo_analysis.output._marks import series_colours

    rows = [
        {
            "effect_rr": rr,
            "effect_pct": round((rr - 1) * 100),
            "base_rate": b,
            "n_program": n,
            "power": p,
            "mc_se": 0.02,
        }
        for b in (0.03, 0.1)
        for n in (73, 185, 500, 1000)
        for rr, p in ((0.9, 0.1), (0.7, 0.5), (0.5, 0.9))
    ]
    fig, ax = plotting.power_curves(pd.DataFrame(rows), "test")
    try:
        seen = {k: v for k, v in series_colours(fig).items() if k.endswith("program villages")}
        order = [f"{n} program villages" for n in (73, 185, 500, 1000)]
        assert [seen[k] for k in order] == plotting.sequential_colours(4)  # dark (fewest) to light, in order
        check = plotting.colour_vision_check(seen)
        assert check["passes"] and check["min_delta_e"] >= plotting.MIN_DELTA_E
    finally:
        plt.close(fig)
