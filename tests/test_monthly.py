"""Monthly NB model, STL cross-check, Wald break tests and unknown-date break tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.discrete.discrete_model import NegativeBinomial

from tppo_analysis.errors import TppoError
from tppo_analysis.models import IntervalCountModel
from tppo_analysis.models.monthly import (
    MINISTRY_SPLIT,
    complete_months,
    fit_monthly_nb,
    stl_log_counts,
    unknown_break_tests,
    wald_test,
)
from tppo_analysis.sources.calendar import holiday_regressors


def _planted(n_years=4, seed=0, step=0.0, step_at="2024-10-21", alpha=0.01):
    """Monthly counts with a trend, a post-Idul-Fitri effect and an optional level shift (planted truth)."""
    rng = np.random.default_rng(seed)
    regs = holiday_regressors("2021-01-01", f"{2020 + n_years}-12-31")
    t = (
        (regs["month"] + pd.to_timedelta((regs["days_in_month"] - 1) / 2, unit="D")) - pd.Timestamp("2023-01-01")
    ).dt.days / 365.25
    after = ((regs["month"] + pd.offsets.MonthEnd(0) - pd.Timestamp(step_at)).dt.days + 1).clip(
        0, regs["days_in_month"]
    ) / regs["days_in_month"]
    eta = np.log(20) + 0.1 * t + 0.03 * regs["post_idul_fitri_days"] + step * after
    mu = regs["days_in_month"] * np.exp(eta)
    y = rng.poisson(mu * rng.gamma(1 / alpha, alpha, size=len(mu)))
    return pd.DataFrame({"month": regs["month"], "value": y})


def test_complete_months_from_windows():
    obs = pd.DataFrame(
        {
            "period_start": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-02-10", "2024-03-01", "2024-04-05"]),
            "period_end": pd.to_datetime(["2024-01-31", "2024-02-09", "2024-02-29", "2024-04-04", "2024-04-30"]),
            "value": [10, 3, 4, 20, 9],
        }
    )
    m = complete_months(obs)
    assert list(m["month"]) == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-02-01")]
    assert list(m["value"]) == [10, 7]
    assert list(m["n_windows"]) == [1, 2]


@pytest.mark.reference
def test_monthly_nb_matches_statsmodels_and_recovers_truth():
    data = _planted(seed=1)
    res = fit_monthly_nb(data, regressors=["post_idul_fitri_days"], origin="2023-01-01")
    assert abs(res.params["trend"] - 0.1) < 4 * res.bse["trend"]
    assert abs(res.params["post_idul_fitri_days"] - 0.03) < 4 * res.bse["post_idul_fitri_days"]
    # same design by hand -> same NB2 fit
    regs = holiday_regressors(data["month"].min(), data["month"].max())
    mid = regs["month"] + pd.to_timedelta((regs["days_in_month"] - 1) / 2, unit="D")
    X = np.column_stack(
        [np.ones(len(regs)), (mid - pd.Timestamp("2023-01-01")).dt.days / 365.25, regs["post_idul_fitri_days"]]
    )
    nb = NegativeBinomial(
        data["value"].to_numpy(), X, offset=np.log(regs["days_in_month"].to_numpy()), loglike_method="nb2"
    )
    ref = nb.fit(disp=0, method="nm", maxiter=20000, xtol=1e-10, ftol=1e-12)
    np.testing.assert_allclose(res.params.to_numpy(), ref.params, atol=1e-3)
    assert res.sm.llf >= ref.llf - 1e-8
    fc = res.forecast("2025-01-01", "2025-06-30", seed=3)
    assert len(fc) == 6
    assert (fc["lower"] <= fc["mean"]).all() and (fc["mean"] <= fc["upper"]).all()
    assert fc.equals(res.forecast("2025-01-01", "2025-06-30", seed=3))


def test_wald_break_detects_planted_shift_and_not_absent_one():
    shifted = fit_monthly_nb(
        _planted(seed=2, step=-0.7), regressors=["post_idul_fitri_days"], breaks={"ministry_split": MINISTRY_SPLIT}
    )
    flat = fit_monthly_nb(
        _planted(seed=2, step=0.0), regressors=["post_idul_fitri_days"], breaks={"ministry_split": MINISTRY_SPLIT}
    )
    w1 = wald_test(shifted, ["ministry_split"]).iloc[0]
    w0 = wald_test(flat, ["ministry_split"]).iloc[0]
    assert w1["p_value"] < 0.01
    assert abs(w1["estimate"] + 0.7) < 4 * w1["se"]
    assert w0["p_value"] > 0.01
    with pytest.raises(TppoError, match="no such terms"):
        wald_test(flat, ["nonexistent"])


def test_wald_test_on_interval_model():
    rng = np.random.default_rng(5)
    starts = pd.date_range("2023-01-01", "2025-06-01", freq="MS")
    obs = pd.DataFrame({"period_start": starts, "period_end": starts + pd.offsets.MonthEnd(0)})
    days = (obs["period_end"] - obs["period_start"]).dt.days + 1
    after = ((obs["period_end"] - MINISTRY_SPLIT).dt.days + 1).clip(0, days)
    obs["value"] = rng.poisson(10 * (days - after) + 10 * np.exp(0.5) * after)
    res = IntervalCountModel("poisson", trend="none", holidays=False, breaks={"ministry_split": MINISTRY_SPLIT}).fit(
        obs
    )
    w = wald_test(res, ["ministry_split"]).iloc[0]
    assert w["p_value"] < 1e-6 and abs(w["estimate"] - 0.5) < 4 * w["se"]


def test_stl_needs_two_years_and_finds_seasonality():
    data = _planted(n_years=4, seed=3)
    dec = stl_log_counts(data)
    assert list(dec.columns) == ["month", "observed", "trend", "seasonal", "resid"]
    np.testing.assert_allclose(dec["trend"] + dec["seasonal"] + dec["resid"], dec["observed"], atol=1e-10)
    # seasonal component tracks the post-Idul-Fitri days (planted 0.03 per day)
    regs = holiday_regressors(data["month"].min(), data["month"].max())
    assert np.corrcoef(dec["seasonal"], regs["post_idul_fitri_days"])[0, 1] > 0.5
    with pytest.raises(TppoError, match="longest consecutive run here is 8"):
        stl_log_counts(data.iloc[list(range(8)) + list(range(12, 18))])


def test_unknown_break_tests_react_to_a_large_break():
    calm = unknown_break_tests(_planted(seed=4)).set_index("test")
    broken = unknown_break_tests(_planted(seed=4, step=-1.5, step_at="2023-01-01")).set_index("test")
    assert calm.loc["cusum_ols_resid", "p_value"] > 0.05
    assert broken.loc["cusum_ols_resid", "p_value"] < 0.05
    assert broken.loc["hansen", "statistic"] > broken.loc["hansen", "crit_5pct"]
