"""Coverage study of the interval count model (SYNTHETIC): a fast small run here, the full run marked slow."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]


def _study():
    spec = importlib.util.spec_from_file_location(
        "interval_coverage_study", REPO / "scripts" / "interval_coverage_study.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_small_study_is_unbiased_and_covers():
    study = _study()
    reps = study.run_coverage(12, families=("poisson",), n_draws=300)
    assert (reps["failed"] == "").all()
    summary = study.summarise(reps).set_index("quantity")
    for term in study.TRUTH:
        row = summary.loc[f"bias:{term}"]
        # loose: 12 reps; a wrong likelihood (e.g. windows off by a day, or the trend in days) fails this
        assert abs(row["estimate"]) <= 4 * row["mc_se"] + 1e-3, term
    for name in study.TARGETS:
        assert summary.loc[f"pi90_coverage:{name}", "estimate"] >= 0.6


def test_truth_is_what_the_windows_see():
    """Check that the simulated totals have the planted mean.

    The simulated totals have the planted mean: average over many draws of one window is close to the sum of
    the true daily means (guards the simulation itself).
    """
    study = _study()
    mu = study.true_daily_mean()
    w = study.windows_frame().iloc[[4]]
    rng = np.random.default_rng(0)
    draws = np.array([study.simulate_totals(mu, w, "poisson", rng)[0] for _ in range(400)])
    expected = mu[w["period_start"].iloc[0] : w["period_end"].iloc[0]].sum()
    assert abs(draws.mean() - expected) < 4 * np.sqrt(expected / 400)


def test_script_writes_synthetic_outputs(tmp_path):
    study = _study()
    study.main(["--reps", "2", "--out", str(tmp_path)])
    table = pd.read_csv(tmp_path / "interval_coverage.csv")
    assert (table["data"] == "SYNTHETIC").all()
    assert {"bias:trend", "pi90_coverage:forecast_q3_2025"} <= set(table["quantity"])
    assert "SYNTHETIC" in (tmp_path / "interval_coverage.md").read_text(encoding="utf-8")


def test_committed_results_pass_for_the_primary_scenario():
    path = REPO / "results" / "studies" / "interval_coverage.csv"
    if not path.exists():
        pytest.skip("full study not yet run (scripts/interval_coverage_study.py --reps 500)")
    table = pd.read_csv(path)
    primary = table[(table["family"] == "poisson") & table["required"]]
    assert primary["reps"].min() >= 200
    assert {"bias:trend", "bias:post_idul_fitri", "pi90_coverage:forecast_q3_2025"} <= set(primary["quantity"])
    assert primary["within_2_mc_se"].all()


@pytest.mark.slow
def test_full_study_primary_scenario_reproduces_committed_results():
    """The primary (Poisson) scenario at the committed size: passes its criteria and reproduces the committed file."""
    study = _study()
    reps = study.run_coverage(500, families=("poisson",))
    summary = study.summarise(reps)
    required = summary[summary["required"]]
    assert required["within_2_mc_se"].all(), required[~required["within_2_mc_se"]]
    committed = pd.read_csv(REPO / "results" / "studies" / "interval_coverage.csv")
    committed = committed[committed["family"] == "poisson"].set_index("quantity")["estimate"]
    np.testing.assert_allclose(summary.set_index("quantity")["estimate"].loc[committed.index], committed, rtol=1e-5)
