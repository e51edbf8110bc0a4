"""Same bytes on any machine: notebook tables do not move with the optimiser.

Same bytes on any machine: no shown number of notebooks 01 and 02 depends on the optimiser's start values or on its
tolerance. Every notebook table is recomputed with jittered start values and a tighter and a looser tolerance, and
must come out identical once rounded (the tables are rounded where they are built).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import tppo_analysis as tppo
from tppo_analysis.models import seasonality, trends
from tppo_analysis.models.interval import _likelihood


def notebook_tables(figures: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Every table notebooks 01 and 02 compute from the record, by the calls the notebooks make."""
    obs = tppo.reconcile(figures)[0]
    fits = trends.trend_fits(obs, trends.TREND_SPECS)
    sh = trends.series_obs(obs, "tpi:soekarno-hatta")
    months = trends.complete_months(sh)
    pooled = trends.fit_pooled_recommended(obs, trends.KEY_SERIES, holidays=True)
    sh_fit = trends.recommended_interval_model(holidays=["ramadan", "post_idul_fitri"]).fit(sh)
    key = trends.KEY_MEASURE
    return {
        "01_series": trends.series_table(obs, trends.TREND_SPECS),
        "01_trend_estimates": trends.period_changes(fits, obs),
        "01_national_windows": trends.window_check(fits[("national", key)], trends.series_obs(obs, "national")),
        "01_trend_robustness": trends.robustness_table(figures, trends.TREND_SPECS, broader=trends.BROADER),
        "01_trend_model_sensitivity": trends.model_sensitivity(obs),
        "01_soekarno_hatta_monthly_forecast": trends.forecast_table(
            fits[("tpi:soekarno-hatta", key)], "Soekarno-Hatta airport"
        ),
        "01_monthly_model": trends.fit_monthly_nb(months, regressors=["ramadan_share", "post_idul_fitri_days"])
        .summary()
        .table,
        "01_ministry_split": trends.break_table(sh, {"ministry_split": trends.MINISTRY_SPLIT}),
        "02_holiday_effects": seasonality.holiday_effects_table(
            {"4 key series, pooled": pooled, "Soekarno-Hatta alone": sh_fit}
        ),
        "02_seasonal_profile_soekarno_hatta": pd.concat(
            [seasonality.seasonal_profile(sh_fit, y) for y in (2023, 2024)], ignore_index=True
        ),
        "02_observed_vs_baseline": seasonality.observed_vs_baseline(sh_fit, months),
    }


@pytest.fixture(scope="module")
def figures():
    return tppo.load_public_record()


@pytest.fixture(scope="module")
def baseline(figures):
    return notebook_tables(figures)


@pytest.mark.parametrize("jitter, tol, seed", [(0.05, 1e-11, 1), (0.2, 1e-8, 2)])
def test_notebook_tables_do_not_move_with_start_values_or_tolerance(figures, baseline, monkeypatch, jitter, tol, seed):
    monkeypatch.setitem(_likelihood.FIT_SETTINGS, "start_jitter", jitter)
    monkeypatch.setitem(_likelihood.FIT_SETTINGS, "tol", tol)
    monkeypatch.setitem(_likelihood.FIT_SETTINGS, "rng", np.random.default_rng(seed))
    perturbed = notebook_tables(figures)
    assert set(perturbed) == set(baseline)
    for name, table in baseline.items():
        pd.testing.assert_frame_equal(perturbed[name], table, check_exact=True, obj=name)


def test_perturbation_is_applied(figures, monkeypatch):
    """Negative control: the jitter reaches the fits (unrounded coefficients move a little)."""
    obs = tppo.reconcile(figures)[0]
    o = trends.series_obs(obs, "tpi:soekarno-hatta")
    model = trends.recommended_interval_model()
    a = model.fit(o).beta
    monkeypatch.setitem(_likelihood.FIT_SETTINGS, "start_jitter", 0.2)
    monkeypatch.setitem(_likelihood.FIT_SETTINGS, "tol", 1e-6)
    monkeypatch.setitem(_likelihood.FIT_SETTINGS, "rng", np.random.default_rng(3))
    b = model.fit(o).beta
    assert 0 < np.max(np.abs(a - b)) < 1e-3
