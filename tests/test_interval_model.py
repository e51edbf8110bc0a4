"""Interval (composite-link) count model: exact equivalence with statsmodels, planted truth, predictions, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import optimize, special
from statsmodels.discrete.discrete_model import NegativeBinomial

from tppo_analysis.errors import DataValidationError, TppoError
from tppo_analysis.models import IntervalCountModel
from tppo_analysis.sources.calendar import daily_holiday_indicators

MONTHS = pd.period_range("2022-01", "2024-12", freq="M")


def _monthly_data(seed: int, overdispersed: bool):
    """Whole-month windows with two covariates constant within each month (so the GLM likelihood is identical)."""
    rng = np.random.default_rng(seed)
    n = len(MONTHS)
    x1 = rng.normal(size=n)
    x2 = np.arange(n) / 12.0
    days = np.array([m.days_in_month for m in MONTHS], dtype=float)
    mu = days * np.exp(1.5 + 0.3 * x1 + 0.2 * x2)
    if overdispersed:
        mu = mu * rng.gamma(5.0, 1 / 5.0, size=n)
    y = rng.poisson(mu)
    obs = pd.DataFrame(
        {
            "period_start": [m.start_time for m in MONTHS],
            "period_end": [m.end_time.normalize() for m in MONTHS],
            "value": y,
        }
    )
    daily = pd.DataFrame({"date": pd.date_range("2022-01-01", "2024-12-31")})
    pos = {m: i for i, m in enumerate(MONTHS)}
    idx = daily["date"].dt.to_period("M").map(pos).to_numpy()
    daily["x1"] = x1[idx]
    daily["x2"] = x2[idx]
    X = sm.add_constant(np.column_stack([x1, x2]))
    return obs, daily, X, y, days


def test_poisson_equals_glm_when_windows_are_months():
    obs, daily, X, y, days = _monthly_data(1, overdispersed=False)
    res = IntervalCountModel("poisson", trend="none", holidays=False, covariates=daily).fit(obs)
    glm = sm.GLM(y, X, family=sm.families.Poisson(), offset=np.log(days)).fit(tol=1e-12)
    np.testing.assert_allclose(res.params.to_numpy(), glm.params, rtol=0, atol=1e-6)
    np.testing.assert_allclose(res.bse.to_numpy(), glm.bse, rtol=1e-4)
    assert res.llf == pytest.approx(glm.llf, abs=1e-6)


@pytest.mark.reference
def test_negbin_equals_statsmodels_nb2_when_windows_are_months():
    obs, daily, X, y, days = _monthly_data(2, overdispersed=True)
    res = IntervalCountModel("negbin", trend="none", holidays=False, covariates=daily).fit(obs)
    nb = NegativeBinomial(y, X, offset=np.log(days), loglike_method="nb2")
    first = nb.fit(disp=0, method="bfgs", maxiter=1000, gtol=1e-10)
    ref = nb.fit(start_params=first.params, disp=0, method="newton", maxiter=100, tol=1e-12)
    np.testing.assert_allclose(res.params.to_numpy(), ref.params, rtol=0, atol=1e-6)
    # standard errors at the ML dispersion (statsmodels' Hessian is the observed one, ours the expected one);
    # ``bse`` itself uses the small-sample corrected dispersion, so it is larger by about sqrt of that factor
    np.testing.assert_allclose(np.sqrt(np.diag(res.cov_ml)), ref.bse[:-1], rtol=3e-2)
    assert (res.bse.to_numpy() > np.sqrt(np.diag(res.cov_ml))).all()
    assert res.llf == pytest.approx(ref.llf, abs=1e-6)
    assert list(res.params.index) == ["intercept", "x1", "x2", "alpha"]


def test_equivalence_check_is_sensitive_to_windows():
    """Negative control: shifting every window by one day must break the GLM equality the tests above assert."""
    obs, daily, X, y, days = _monthly_data(1, overdispersed=False)
    shifted = obs.copy()
    shifted["period_start"] += pd.Timedelta(days=1)
    shifted["period_end"] += pd.Timedelta(days=1)
    daily = pd.concat([daily, pd.DataFrame({"date": [pd.Timestamp("2025-01-01")], "x1": [5.0], "x2": [3.0]})])
    res = IntervalCountModel("poisson", trend="none", holidays=False, covariates=daily).fit(shifted)
    glm = sm.GLM(y, X, family=sm.families.Poisson(), offset=np.log(days)).fit()
    assert np.max(np.abs(res.params.to_numpy() - glm.params)) > 1e-3


def _irregular_obs(seed=3):
    windows = [
        ("2023-01-01", "2023-01-31"),
        ("2023-02-01", "2023-03-10"),
        ("2023-03-11", "2023-04-16"),
        ("2023-04-17", "2023-05-20"),
        ("2023-05-21", "2023-08-13"),
        ("2023-08-14", "2023-12-31"),
        ("2024-01-01", "2024-03-03"),
        ("2024-03-04", "2024-04-08"),
        ("2024-04-09", "2024-05-05"),
        ("2024-05-06", "2024-09-16"),
        ("2024-09-17", "2024-12-31"),
    ]
    obs = pd.DataFrame(
        {"period_start": pd.to_datetime([w[0] for w in windows]), "period_end": pd.to_datetime([w[1] for w in windows])}
    )
    cal = daily_holiday_indicators("2023-01-01", "2024-12-31").set_index("date")
    t = (cal.index - pd.Timestamp("2024-01-01")).days.to_numpy() / 365.25
    mu = np.exp(np.log(20) + 0.2 * t + 0.6 * cal["pre_idul_fitri"].to_numpy() - 0.5 * cal["post_idul_fitri"].to_numpy())
    rng = np.random.default_rng(seed)
    daily_counts = pd.Series(rng.poisson(mu), index=cal.index)
    obs["value"] = [int(daily_counts[a:b].sum()) for a, b in zip(obs["period_start"], obs["period_end"], strict=True)]
    return obs, cal, t


def test_irregular_windows_match_independent_likelihood():
    """An independent composite-link likelihood maximised by scipy gives the same optimum.

    An independent, loop-based composite-link log-likelihood maximised by scipy gives the same optimum (with the
    holiday ridge made negligible, so the two maximise the same likelihood).
    """
    obs, cal, t = _irregular_obs()
    res = IntervalCountModel(
        "poisson",
        trend="linear",
        holidays=["pre_idul_fitri", "post_idul_fitri"],
        origin="2024-01-01",
        prior_sd={"holidays": 1e4},
    ).fit(obs)
    X = np.column_stack([np.ones(len(t)), t, cal["pre_idul_fitri"], cal["post_idul_fitri"]])
    day_index = {d: i for i, d in enumerate(cal.index)}

    def negll(b):
        mu = np.exp(X @ b)
        total = 0.0
        for row in obs.itertuples():
            m = mu[day_index[row.period_start] : day_index[row.period_end] + 1].sum()
            total += row.value * np.log(m) - m - special.gammaln(row.value + 1)
        return -total

    ref = optimize.minimize(
        negll,
        np.array([3.0, 0, 0, 0]),
        method="Nelder-Mead",
        options={"xatol": 1e-9, "fatol": 1e-11, "maxiter": 20000, "maxfev": 40000},
    )
    assert -ref.fun == pytest.approx(res.llf, abs=1e-5)
    np.testing.assert_allclose(res.params.to_numpy(), ref.x, atol=1e-3)


def test_fit_is_a_stationary_point_of_the_penalized_likelihood():
    """At the estimate the numerical gradient of the penalized log-likelihood vanishes, in beta and in alpha."""
    from tppo_analysis.models.interval._likelihood import Engine

    obs, _, _ = _irregular_obs()
    for family in ("poisson", "negbin"):
        res = IntervalCountModel(family, trend="linear", holidays=["pre_idul_fitri", "post_idul_fitri"]).fit(obs)
        eng = Engine(res._problem, family)
        P = res.fit_result.H - res.fit_result.F
        alpha = np.array([res.alpha])

        def f(b, eng=eng, alpha=alpha, P=P):
            return eng.objective(b, alpha, P)

        eye = np.eye(len(res.beta)) * 1e-5
        grad = np.array([(f(res.beta + e) - f(res.beta - e)) / 2e-5 for e in eye])
        assert np.max(np.abs(grad)) < 1e-4
        if family == "negbin" and res.alpha > 0:
            g = [eng.objective(res.beta, alpha * np.exp(e), P) for e in (-1e-4, 1e-4)]
            assert abs(g[1] - g[0]) / 2e-4 < 1e-3


def test_planted_truth_recovered_from_large_counts():
    obs, _, _ = _irregular_obs(seed=11)
    res = IntervalCountModel(
        "poisson", trend="linear", holidays=["pre_idul_fitri", "post_idul_fitri"], origin="2024-01-01"
    ).fit(obs)
    truth = {"intercept": np.log(20), "trend": 0.2, "pre_idul_fitri": 0.6, "post_idul_fitri": -0.5}
    for term, value in truth.items():
        assert abs(res.params[term] - value) < 4 * res.bse[term], term
    tab = res.table
    assert list(tab.columns) == [
        "term",
        "estimate",
        "se",
        "ci_lower",
        "ci_upper",
        "scale",
        "level",
        "identified",
        "note",
    ]
    assert (tab["ci_lower"] < tab["estimate"]).all() and (tab["estimate"] < tab["ci_upper"]).all()
    assert set(tab["identified"]) == {"yes"}


def test_predictions_are_seeded_and_consistent():
    obs, _, _ = _irregular_obs()
    res = IntervalCountModel("negbin", trend="linear", holidays=["pre_idul_fitri", "post_idul_fitri"]).fit(obs)
    a = res.predict_window("2025-01-01", "2025-03-31", level=0.9, seed=4)
    b = res.predict_window("2025-01-01", "2025-03-31", level=0.9, seed=4)
    assert a == b
    assert a["lower"] <= a["ci_lower"] <= a["mean"] <= a["ci_upper"] <= a["upper"]
    narrow = res.predict_window("2025-01-01", "2025-03-31", level=0.5, seed=4)
    assert narrow["upper"] - narrow["lower"] < a["upper"] - a["lower"]
    # the fitted total of an observed window equals the model's plug-in mean for it
    fitted = res.fitted_windows()
    row = fitted.iloc[3]
    p = res.predict_window(row["period_start"], row["period_end"], seed=0)
    assert p["mean"] == pytest.approx(row["fitted"], rel=1e-10)
    # monthly means add up to window means
    mon = res.monthly(seed=1)
    assert list(mon.columns[:4]) == ["month", "mean", "lower", "upper"]
    assert len(mon) == 24
    q = res.predict_window("2023-01-01", "2023-12-31", seed=0)
    assert mon.loc[mon["month"].dt.year == 2023, "mean"].sum() == pytest.approx(q["mean"], rel=1e-10)


def test_per_observation_exposure_equals_glm_offset():
    obs, daily, X, y, days = _monthly_data(5, overdispersed=False)
    exposure = np.random.default_rng(0).uniform(1000, 5000, size=len(obs))
    obs["value"] = np.random.default_rng(1).poisson(exposure * np.exp(-3 + 0.3 * X[:, 1]))
    obs["exposure"] = exposure
    res = IntervalCountModel("poisson", trend="none", holidays=False, covariates=daily[["date", "x1"]]).fit(obs)
    glm = sm.GLM(obs["value"].to_numpy(), X[:, :2], family=sm.families.Poisson(), offset=np.log(exposure)).fit(
        tol=1e-12
    )
    np.testing.assert_allclose(res.params.to_numpy(), glm.params, atol=1e-6)
    with pytest.raises(TppoError, match="exposure"):
        res.predict_window("2022-01-01", "2022-01-31")
    p = res.predict_window("2022-01-01", "2022-01-31", exposure=2000.0)
    assert p["mean"] == pytest.approx(2000.0 * np.exp(glm.params[0] + glm.params[1] * X[0, 1]), rel=1e-6)


def test_bad_observations_name_line_and_column():
    obs = pd.DataFrame(
        {
            "period_start": ["2024-01-01", "2024-03-01", "2024-05-01"],
            "period_end": ["2024-01-31", "2024-02-01", "2024-05-31"],
            "value": [10, -3, 2.5],
        }
    )
    with pytest.raises(DataValidationError) as err:
        IntervalCountModel().fit(obs)
    msg = str(err.value)
    assert "line 3, column period_end" in msg and "ends before it starts" in msg
    assert "line 3, column value" in msg and "line 4, column value" in msg
    with pytest.raises(DataValidationError, match="column value"):
        IntervalCountModel().fit(obs.drop(columns="value"))


def test_one_window_is_fitted_with_the_trend_not_identified():
    """No crash for data the model can represent: one window cannot bound a trend or holiday effects."""
    obs = pd.DataFrame({"period_start": ["2024-01-01"], "period_end": ["2024-12-31"], "value": [100]})
    res = IntervalCountModel(trend="linear", holidays=True).fit(obs)
    ident = res.identification().set_index("term")["identified"]
    assert ident["trend"] == "no" and (ident[["ramadan", "post_idul_fitri"]] == "no").all()
    tab = res.tidy()
    assert tab.loc[tab["identified"] == "no", ["estimate", "ci_lower", "ci_upper"]].isna().all().all()
    assert (tab.loc[tab["identified"] == "no", "note"] == "not bounded").all()
    assert "not bounded" in res.summary().text
    with pytest.raises(TppoError, match="family"):
        IntervalCountModel(family="gaussian")


def test_alpha_small_sample_factor():
    obs, _, _ = _irregular_obs()
    nb = IntervalCountModel("negbin", trend="linear", holidays=["pre_idul_fitri", "post_idul_fitri"]).fit(obs)
    assert nb.alpha > 0
    assert nb.alpha_df_factor == pytest.approx(len(obs) / (len(obs) - nb.edf - 1))
    assert nb.edf == pytest.approx(4.0, abs=0.05)  # four coefficients, the holiday ones barely shrunk
    pois = IntervalCountModel("poisson", trend="linear", holidays=False).fit(obs)
    assert pois.alpha_df_factor == 1.0


def test_boundary_effect_is_not_identified_and_strict_raises():
    """A holiday whose days report nothing is not identified; only strict raises.

    A holiday whose days report nothing at all would run to a rate ratio of 0: the ridge keeps it finite, the
    table says "not bounded", and only the strict option raises.
    """
    from tppo_analysis.errors import NotIdentifiedError

    obs, cal, _ = _irregular_obs()
    fitri = cal.index[cal["post_idul_fitri"].to_numpy() == 1]
    extra = pd.DataFrame({"period_start": [fitri[0], fitri[21]], "period_end": [fitri[20], fitri[-1]], "value": [0, 0]})
    others = obs[(obs["period_end"] < fitri[0]) | (obs["period_start"] > fitri[-1])]
    others = others[~others.apply(lambda r: ((fitri >= r.period_start) & (fitri <= r.period_end)).any(), axis=1)]
    data = pd.concat([others, extra], ignore_index=True)
    res = IntervalCountModel("poisson", trend="linear", holidays=["post_idul_fitri"]).fit(data)
    assert np.isfinite(res.params["post_idul_fitri"]) and res.params["post_idul_fitri"] < -1
    row = res.tidy().set_index("term").loc["post_idul_fitri"]
    assert row["identified"] == "no" and np.isnan(row["estimate"]) and row["note"] == "not bounded"
    with pytest.raises(NotIdentifiedError, match="post_idul_fitri"):
        IntervalCountModel("poisson", trend="linear", holidays=["post_idul_fitri"], strict=True).fit(data)


def test_detection_power_grows_with_effect():
    from tppo_analysis.design.power import detection_power

    starts = pd.date_range("2023-01-01", "2024-12-01", freq="MS")
    windows = pd.DataFrame({"period_start": starts, "period_end": starts + pd.offsets.MonthEnd(0)})
    out = detection_power(
        windows,
        term="post_idul_fitri",
        rate_ratios=[1.0, 2.5],
        base_params={"intercept": np.log(5.0), "trend": 0.0},
        origin="2024-01-01",
        family="poisson",
        reps=20,
        seed=1,
    )
    assert list(out.columns) == ["rate_ratio", "power_wald", "mc_se_wald", "power_lr", "mc_se_lr", "n_failed", "reps"]
    for col in ("power_wald", "power_lr"):
        assert out.loc[0, col] <= 0.3
        assert out.loc[1, col] >= 0.8


def test_max_loglike_matches_fit():
    obs, _, _ = _irregular_obs()
    model = IntervalCountModel("negbin", trend="linear", holidays=["post_idul_fitri"])
    assert model.max_loglike(obs) == pytest.approx(model.fit(obs).llf, abs=1e-6)


def test_profile_and_effects_helpers():
    from tppo_analysis.models.seasonality import observed_vs_baseline, seasonal_profile

    obs, _, _ = _irregular_obs(seed=11)
    res = IntervalCountModel(
        "poisson", trend="linear", holidays=["pre_idul_fitri", "post_idul_fitri"], origin="2024-01-01"
    ).fit(obs)
    prof = seasonal_profile(res, 2024).set_index("month")
    # no holiday days in January or August 2024 -> factor exactly 1; April 2024 holds Idul Fitri (10 Apr)
    assert prof.loc["2024-01-01", "factor"] == pytest.approx(1.0)
    assert prof.loc["2024-08-01", "factor"] == pytest.approx(1.0)
    # April by hand: 9 pre-Idul-Fitri days (1-9 Apr) and 21 post days (10-30 Apr), trend cancels only approximately
    cal = daily_holiday_indicators("2024-04-01", "2024-04-30")
    t = (cal["date"] - pd.Timestamp("2024-01-01")).dt.days.to_numpy() / 365.25
    b = res.params
    base = np.exp(b["intercept"] + b["trend"] * t)
    hand = (
        base * np.exp(b["pre_idul_fitri"] * cal["pre_idul_fitri"] + b["post_idul_fitri"] * cal["post_idul_fitri"])
    ).sum() / base.sum()
    assert prof.loc["2024-04-01", "factor"] == pytest.approx(hand, rel=5e-3)  # shown to 3 significant digits
    assert prof.loc["2024-04-01", "ci_lower"] < hand < prof.loc["2024-04-01", "ci_upper"]
    monthly = pd.DataFrame({"month": [pd.Timestamp("2023-01-01")], "value": [obs.loc[0, "value"]]})
    ovb = observed_vs_baseline(res, monthly)
    assert ovb.loc[0, "ratio"] == pytest.approx(ovb.loc[0, "observed"] / ovb.loc[0, "baseline"], rel=1e-2)
    assert 0.8 < ovb.loc[0, "ratio"] < 1.2
