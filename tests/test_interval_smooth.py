"""Smooth trends, NB2 at the boundary, bad input, forecast rules, dispersion, protocol, the record.

The smooth trend, NB2 -> Poisson at the boundary, input that cannot be modelled, forecast rules, month-level
dispersion, the result protocol, and the promise that no subset of the record makes ``fit`` raise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import tppo_analysis as tppo
from protocol_helpers import assert_result_protocol
from tppo_analysis.errors import DataValidationError, InsufficientDataError, NoOverdispersionError, TppoError
from tppo_analysis.models import IntervalCountModel
from tppo_analysis.models.interval._design import month_dispersion_weights


def _smooth_truth(seed: int, *, alpha: float = 0.0, scale: float = 30.0):
    """Monthly-ish irregular windows over 2022-2024 under a rise-and-fall daily rate."""
    days = pd.date_range("2022-01-01", "2024-12-31")
    t = (days - days[0]).days.to_numpy() / 365.25
    mu = scale * np.exp(-0.5 * ((t - 1.6) / 0.7) ** 2) + 3.0
    rng = np.random.default_rng(seed)
    starts = [days[0]]
    while starts[-1] < days[-1] - pd.Timedelta(days=40):
        starts.append(starts[-1] + pd.Timedelta(days=int(rng.integers(20, 45))))
    ends = [s - pd.Timedelta(days=1) for s in starts[1:]] + [days[-1]]
    s_mu = pd.Series(mu, index=days)
    m = np.array([s_mu[a:b].sum() for a, b in zip(starts, ends, strict=True)])
    if alpha > 0:
        m = m * rng.gamma(1 / alpha, alpha, size=len(m))
    obs = pd.DataFrame({"period_start": starts, "period_end": ends, "value": rng.poisson(m)})
    return obs, s_mu


def test_smooth_recovers_a_rise_and_fall_and_reports_its_smoothing():
    obs, truth = _smooth_truth(1)
    res = IntervalCountModel("poisson", trend="smooth", holidays=False).fit(obs)
    assert res.converged and 3 < res.edf < len(obs) and res.lam > 0
    mon = res.monthly(seed=0)
    true_month = truth.groupby(truth.index.to_period("M")).sum().to_numpy()
    rel = np.abs(mon["mean"].to_numpy() / true_month - 1)
    assert rel.mean() < 0.08
    # the linear model cannot follow the rise and fall
    lin = IntervalCountModel("poisson", trend="linear", holidays=False).fit(obs).monthly(seed=0)
    assert np.abs(lin["mean"].to_numpy() / true_month - 1).mean() > 2 * rel.mean()
    assert "effective df" in res.summary().title


def test_smoothing_criteria_order_by_penalty():
    obs, _ = _smooth_truth(2, alpha=0.02)
    edf = {
        k: IntervalCountModel("negbin", trend="smooth", holidays=False, smoothing=k).fit(obs).edf
        for k in ("aic", "aicc", "bic")
    }
    assert edf["bic"] <= edf["aic"] + 1e-6 and edf["aicc"] <= edf["aic"] + 1e-6
    fixed = IntervalCountModel("poisson", trend="smooth", holidays=False, smoothing=1e7).fit(obs)
    assert fixed.lam == 1e7 and fixed.edf < 2.5  # a huge penalty leaves the linear null space


def test_negbin_without_overdispersion_is_the_poisson_fit_with_a_flag():
    obs, _ = _smooth_truth(3)
    nb = IntervalCountModel("negbin", trend="linear", holidays=False).fit(obs.iloc[:6])
    pois = IntervalCountModel("poisson", trend="linear", holidays=False).fit(obs.iloc[:6])
    if nb.alpha > 0:  # this draw happens to be over-dispersed; make a perfectly regular one
        flat = obs.iloc[:6].copy()
        flat["value"] = ((flat["period_end"] - flat["period_start"]).dt.days + 1) * 10
        nb = IntervalCountModel("negbin", trend="linear", holidays=False).fit(flat)
        pois = IntervalCountModel("poisson", trend="linear", holidays=False).fit(flat)
        obs = flat
    assert nb.alpha == 0.0 and nb.no_overdispersion
    np.testing.assert_allclose(nb.beta, pois.beta, atol=1e-9)
    assert "no over-dispersion" in nb.summary().text
    with pytest.raises(NoOverdispersionError):
        IntervalCountModel("negbin", trend="linear", holidays=False, strict=True).fit(obs.iloc[:6])


def test_input_that_cannot_be_modelled_raises_insufficient_data():
    empty = pd.DataFrame({"period_start": [], "period_end": [], "value": []})
    with pytest.raises(InsufficientDataError):
        IntervalCountModel().fit(empty)
    zeros = pd.DataFrame(
        {"period_start": ["2024-01-01", "2024-02-01"], "period_end": ["2024-01-31", "2024-02-29"], "value": [0, 0]}
    )
    with pytest.raises(InsufficientDataError, match="0 events"):
        IntervalCountModel("negbin", trend="smooth").fit(zeros)
    exposed = zeros.assign(value=[3, 4], exposure=[100.0, 0.0])
    with pytest.raises(InsufficientDataError, match="line 3, column exposure"):
        IntervalCountModel(holidays=False).fit(exposed)
    daily = pd.DataFrame({"date": pd.date_range("2024-01-01", "2024-02-29"), "exposure": 1.0})
    daily.loc[5, "exposure"] = 0.0
    with pytest.raises(InsufficientDataError, match="2024-01-06"):
        IntervalCountModel(holidays=False, daily_exposure=daily).fit(zeros.assign(value=[3, 4]))
    with pytest.raises(DataValidationError):
        IntervalCountModel().fit(zeros.assign(value=["x", 1]))
    assert issubclass(InsufficientDataError, TppoError) and not issubclass(InsufficientDataError, DataValidationError)


def test_forecast_rules_past_the_data():
    obs, _ = _smooth_truth(4)
    flat = IntervalCountModel("poisson", trend="smooth", holidays=False, forecast="flat").fit(obs)
    # flat: every later day has the mean rate of the anchor span (the last 91 days or the last window)
    a, b = flat.layout.anchors[1]
    anchor = pd.date_range(pd.Timestamp(a, unit="D"), pd.Timestamp(b, unit="D"))
    rate = flat.period_rate(anchor[0], anchor[-1])["estimate"]
    far = flat.predict_window("2026-01-01", "2026-01-31", seed=0)
    assert far["mean"] == pytest.approx(31 * rate, rel=1e-9)
    # the curve falls at the end of 2024: linear keeps falling, damped falls less, flat not at all
    lin = IntervalCountModel("poisson", trend="smooth", holidays=False, forecast="linear").fit(obs)
    damp = IntervalCountModel("poisson", trend="smooth", holidays=False, forecast="damped").fit(obs)
    means = [m.predict_window("2026-01-01", "2026-01-31", seed=0)["mean"] for m in (flat, damp, lin)]
    assert means[0] > means[1] > means[2]
    # drift widens intervals with the horizon, and only past the data
    drift = IntervalCountModel("poisson", trend="smooth", holidays=False, drift_sd=0.5).fit(obs)
    near, later = (
        drift.predict_window(s, e, seed=0) for s, e in (("2025-01-01", "2025-01-31"), ("2027-01-01", "2027-01-31"))
    )
    assert later["upper"] / later["lower"] > near["upper"] / near["lower"] > far["upper"] / far["lower"]
    inside = [m.predict_window("2023-03-01", "2023-03-31", seed=0) for m in (flat, drift)]
    assert inside[0] == inside[1]


def test_month_level_dispersion_weights():
    c = month_dispersion_weights(
        pd.to_datetime(["2024-03-01", "2024-01-01", "2024-03-20"]),
        pd.to_datetime(["2024-03-31", "2024-12-31", "2024-04-09"]),
    )
    assert c[0] == pytest.approx(1.0)
    assert c[1] == pytest.approx(np.sum((np.array([31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]) / 366) ** 2))
    assert c[2] == pytest.approx((12 / 21) ** 2 + (9 / 21) ** 2)
    obs, _ = _smooth_truth(5, alpha=0.05)
    w = IntervalCountModel("negbin", trend="smooth", holidays=False, dispersion="window").fit(obs)
    m = IntervalCountModel("negbin", trend="smooth", holidays=False, dispersion="month").fit(obs)
    assert w.alpha > 0 and m.alpha > 0 and m.alpha != w.alpha


def test_results_follow_the_protocol():
    obs, _ = _smooth_truth(6, alpha=0.03)
    for model in (
        IntervalCountModel("negbin", trend="smooth", holidays=["ramadan", "post_idul_fitri"]),
        IntervalCountModel("poisson", trend="linear", holidays=False),
    ):
        res = model.fit(obs)
        assert_result_protocol(res)
        tab = res.tidy()
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
    rates = res.tidy() if False else IntervalCountModel("negbin", trend="smooth", holidays=False).fit(obs).tidy()
    assert set(rates["scale"]) == {"rate"} and rates["term"].str.startswith("daily_rate:").all()


def test_monthly_model_follows_the_protocol():
    from tppo_analysis.models.monthly import MonthlyNB, fit_monthly_nb

    months = pd.date_range("2022-01-01", periods=24, freq="MS")
    rng = np.random.default_rng(0)
    data = pd.DataFrame({"month": months, "value": rng.negative_binomial(20, 20 / (20 + 300), size=24)})
    res = fit_monthly_nb(data, regressors=[])
    assert_result_protocol(res)
    p = res.predict_window("2024-01-10", "2024-02-29", seed=0)
    assert p["lower"] <= p["mean"] <= p["upper"]
    obs = pd.DataFrame({"period_start": months, "period_end": months + pd.offsets.MonthEnd(0), "value": data["value"]})
    assert MonthlyNB().fit(obs.iloc[:8]).predict_window("2023-01-01", "2023-01-31")["mean"] > 0
    with pytest.raises(InsufficientDataError):
        MonthlyNB().fit(obs.iloc[:3])


def test_fit_never_raises_on_the_record():
    """No series x measure of the record makes ``fit`` raise.

    Every series x measure of the reconciled record with >= 2 windows, both families, with and without holidays,
    smooth and linear: a fit (never an exception), converged, with predictions.
    """
    obs, _ = tppo.reconcile(tppo.load_public_record())
    n = 0
    for (series, measure), o in obs.groupby(["series", "measure"]):
        if len(o) < 2:
            continue
        for family in ("poisson", "negbin"):
            for holidays in (False, True):
                for trend in ("linear", "smooth"):
                    res = IntervalCountModel(family, trend=trend, holidays=holidays).fit(o)
                    assert res.converged, (series, measure, family, holidays, trend)
                    p = res.predict_window(o["period_start"].min(), o["period_end"].max(), n_draws=200)
                    assert np.isfinite(p["mean"]) and p["lower"] <= p["upper"]
                    n += 1
    assert n >= 200


def test_exposure_model_with_the_rates_definition_of_issue_15():
    """Rates use record.rates (issue 15): national passport deferrals per passport issued, on the days both cover."""
    from tppo_analysis.record import rates

    obs, _ = tppo.reconcile(tppo.load_public_record())
    exposure = rates.daily_exposure(obs, "passports_issued", "national")
    num = obs[(obs["series"] == "national") & (obs["measure"] == "passport_deferral_pmi_suspected")]
    days = set(exposure["date"])
    inside = num[
        [
            all(d in days for d in pd.date_range(a, b))
            for a, b in zip(num["period_start"], num["period_end"], strict=True)
        ]
    ]
    assert len(inside) >= 2
    res = IntervalCountModel("negbin", trend="smooth", holidays=False, daily_exposure=exposure).fit(inside)
    rate = res.period_rate(inside["period_start"].min(), inside["period_end"].max())["estimate"]
    raw = (
        inside["value"].sum()
        / exposure.set_index("date")
        .loc[
            sorted(
                set().union(
                    *(pd.date_range(a, b) for a, b in zip(inside["period_start"], inside["period_end"], strict=True))
                )
            )
        ]["exposure"]
        .sum()
    )
    assert 0.2 * raw < rate < 5 * raw  # deferrals per passport issued, same order as the raw ratio
    with pytest.raises(TppoError, match="daily_exposure"):
        res.predict_window("2010-01-01", "2010-01-31")
