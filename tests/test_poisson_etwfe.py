"""Poisson extended TWFE from cohort x period sufficient statistics.

Poisson extended TWFE from cohort x period sufficient statistics, checked against pyfixest, diff-diff and a
planted truth.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from tppo_analysis.design.synthetic import staggered_panel as _panel
from tppo_analysis.effects import _etwfe_fast as pe
from tppo_analysis.errors import TppoError


def _pyfixest(df, gt):
    import pyfixest as pf

    d = df.copy()
    names = []
    for g, t in zip(gt.cohort, gt.time, strict=True):
        name = f"c{g}_{t}"
        d[name] = ((d.g == g) & (d.t == t)).astype(float)
        names.append(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = pf.fepois("y ~ " + " + ".join(names) + " | unit + t", data=d, vcov={"CRV1": "unit"})
    return m.coef()[names].to_numpy(), m.se()[names].to_numpy(), m._vcov


@pytest.mark.reference
@pytest.mark.parametrize("seed", [0, 1])
def test_matches_pyfixest_fepois_unit_time_fe(seed):
    df = _panel(seed=seed)
    res = pe.fit(df, outcome="y", unit="unit", time="t", cohort="g")
    coef, se, vcov = _pyfixest(df, res.group_time)
    assert len(res.group_time) == 10  # treated cells: cohort 4 (5), 6 (3), 7 (2)
    np.testing.assert_allclose(res.group_time["estimate"], coef, atol=1e-6, rtol=0)
    np.testing.assert_allclose(res.group_time["se"], se, rtol=1e-4)
    np.testing.assert_allclose(res.vcov, vcov, rtol=1e-4, atol=1e-10)
    assert (res.group_time["n_obs"] == df.groupby("g").unit.nunique().reindex(res.group_time.cohort).to_numpy()).all()


def test_small_sample_factors_are_the_documented_ratios():
    df = _panel(seed=3)
    raw = pe.fit(df, outcome="y", unit="unit", time="t", cohort="g", small_sample="none")
    fx = pe.fit(df, outcome="y", unit="unit", time="t", cohort="g")
    G, N, T, K = 240, 240 * 8, 8, len(raw.group_time)
    np.testing.assert_allclose(fx.vcov / raw.vcov, G / (G - 1) * (N - 1) / (N - K - T), rtol=1e-12)


@pytest.mark.reference
@pytest.mark.parametrize("control", ["never_treated", "not_yet_treated"])
def test_overall_effect_equals_diff_diff_poisson_etwfe(control):
    from diff_diff import WooldridgeDiD

    df = _panel(seed=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dd = WooldridgeDiD(method="poisson", control_group=control).fit(
            df, outcome="y", unit="unit", time="t", cohort="g"
        )
    res = pe.fit(df, outcome="y", unit="unit", time="t", cohort="g", control=control, small_sample="cohort_dummies")
    count = res.aggregate("count")
    assert count["scale"].iloc[0] == "count"
    np.testing.assert_allclose(count["estimate"].iloc[0], dd.overall_att, rtol=1e-8)
    np.testing.assert_allclose(count["se"].iloc[0], dd.overall_se, rtol=1e-6)
    # the rate ratio is the same contrast on the ratio scale: ATT = mean(mu1) (1 - 1/RR)
    simple = res.aggregate("simple")
    assert simple["scale"].iloc[0] == "ratio"
    mean_mu1 = float(df.loc[(df.g > 0) & (df.t >= df.g), "y"].mean())  # saturated cells: fitted = observed
    np.testing.assert_allclose(mean_mu1 * (1 - 1 / simple["estimate"].iloc[0]), dd.overall_att, rtol=1e-8)


def test_planted_rate_ratio_is_recovered_with_monthly_periods():
    rng = np.random.default_rng(11)
    n, T = 4000, 24
    months = pd.period_range("2022-01", periods=T, freq="M")
    start = rng.integers(8, 20, n)
    treated = rng.random(n) < 0.3
    u = np.repeat(np.arange(n), T)
    t = np.tile(np.arange(T), n)
    alpha = rng.gamma(0.8, 1.5, n)  # heavy-tailed sending propensity
    trend = np.exp(0.02 * t + 0.2 * np.sin(t / 2))
    d = treated[u] & (t >= start[u])
    y = rng.poisson(alpha[u] * trend * np.where(d, 0.75, 1.0))
    cohort = pd.Series(pd.PeriodIndex.from_ordinals(months.asi8[0] + start, freq="M")).where(treated)
    df = pd.DataFrame(
        {"village_code": [f"V{i:05d}" for i in u], "month": months[t], "first_treated": cohort.to_numpy()[u], "y": y}
    )
    res = pe.fit(df, outcome="y", unit="village_code", time="month", cohort="first_treated")
    simple = res.aggregate("simple")
    assert abs(simple["log_estimate"].iloc[0] - np.log(0.75)) < 4 * simple["log_se"].iloc[0]
    assert simple["ci_lower"].iloc[0] < 0.75 < simple["ci_upper"].iloc[0]
    ev = res.aggregate("event")
    assert ev["event_time"].min() == 0 and ev["event_time"].max() == T - 1 - 8
    assert np.all(np.abs(ev["log_estimate"] - np.log(0.75)) < 5 * ev["log_se"])
    assert isinstance(res.group_time["cohort"].iloc[0], pd.Period)
    grp = res.aggregate("group")
    assert list(grp.columns[:2]) == ["cohort", "estimate"] and len(grp) == 12
    cal = res.aggregate("calendar")
    assert cal["time"].iloc[0] == pd.Period("2022-09", "M")


def test_zero_count_cell_gives_zero_ratio_and_finite_aggregates():
    df = _panel(n=120, seed=2, base=-1.0)
    df.loc[(df.g == 7) & (df.t == 8), "y"] = 0
    res = pe.fit(df, outcome="y", unit="unit", time="t", cohort="g")
    row = res.group_time.query("cohort == 7 and time == 8")
    assert np.isneginf(row["estimate"].iloc[0]) and np.isnan(row["se"].iloc[0])
    for kind in ("simple", "event", "group", "calendar", "count"):
        out = res.aggregate(kind)
        assert np.isfinite(out[["estimate", "se"]].to_numpy()).all(), kind
    # the other cells are unaffected by the boundary cell: same as pyfixest without it
    keep = res.group_time.query("not (cohort == 7 and time == 8)")
    df2 = df[~((df.g == 7) & (df.t == 8))]
    coef, se, _ = _pyfixest(df2, keep)
    np.testing.assert_allclose(keep["estimate"], coef, atol=1e-6)


def test_bad_inputs_raise_clear_errors():
    df = _panel(n=60, seed=1)
    with pytest.raises(TppoError, match="not balanced"):
        pe.fit(df.iloc[1:], outcome="y", unit="unit", time="t", cohort="g")
    bad = df.copy()
    bad.loc[bad.index[0], "g"] = 6 if bad.g.iloc[0] != 6 else 4
    with pytest.raises(TppoError, match="varies within unit"):
        pe.fit(bad, outcome="y", unit="unit", time="t", cohort="g")
    neg = df.copy()
    neg.loc[3, "y"] = -1
    with pytest.raises(TppoError, match="negative"):
        pe.fit(neg, outcome="y", unit="unit", time="t", cohort="g")
    always = df.copy()
    always.loc[always.unit == 0, "g"] = 1
    with pytest.raises(TppoError, match="always treated"):
        pe.fit(always, outcome="y", unit="unit", time="t", cohort="g")
    with pytest.raises(TppoError, match="control"):
        pe.fit(df, outcome="y", unit="unit", time="t", cohort="g", control="synthetic")
    with pytest.raises(TppoError, match="no column"):
        pe.fit(df, outcome="deferrals", unit="unit", time="t", cohort="g")
    fit = pe.fit(df, outcome="y", unit="unit", time="t", cohort="g")
    with pytest.raises(TppoError, match="unknown aggregation"):
        fit.aggregate("dynamic")


def test_never_treated_as_missing_and_unit_order_do_not_matter():
    df = _panel(n=150, seed=4)
    ref = pe.fit(df, outcome="y", unit="unit", time="t", cohort="g")
    alt = df.assign(g=df["g"].where(df["g"] > 0), unit=df["unit"].astype(str)).sample(frac=1.0, random_state=1)
    res = pe.fit(alt, outcome="y", unit="unit", time="t", cohort="g")
    pd.testing.assert_frame_equal(res.group_time, ref.group_time)
    np.testing.assert_allclose(res.aggregate("simple")["estimate"], ref.aggregate("simple")["estimate"], rtol=1e-12)


def test_no_never_treated_units_uses_not_yet_treated_comparisons():
    # cohort 12 is adopted after the panel ends: it is the not-yet-treated comparison throughout
    df = _panel(n=200, seed=6, cohorts=(4, 6, 12), probs=(0.3, 0.3, 0.4))
    res = pe.fit(df, outcome="y", unit="unit", time="t", cohort="g", control="not_yet_treated")
    assert set(res.group_time["cohort"]) == {4, 6}
    coef, se, _ = _pyfixest(df, res.group_time)
    np.testing.assert_allclose(res.group_time["estimate"], coef, atol=1e-6)
    np.testing.assert_allclose(res.group_time["se"], se, rtol=1e-4)
    # without any unit left untreated at the end, the last periods are not identified: a clear error
    with pytest.raises(TppoError, match="no untreated units"):
        pe.fit(df[df.g < 12], outcome="y", unit="unit", time="t", cohort="g", control="not_yet_treated")


@pytest.mark.reference
def test_low_rate_controls_and_high_rate_cohorts_converge_like_pyfixest():
    """Program villages send ~100x more than the rest (selection on sending).

    A plain Newton fit of the table from a common starting value overshoots by e^50 and breaks down here; the fit must
    still match pyfixest.
    """
    rng = np.random.default_rng(8)
    n_ctrl, per, T = 3000, 8, 24
    g = np.r_[np.zeros(n_ctrl, int), np.repeat([9, 11, 13, 15, 17, 19], per)]
    rate = np.r_[rng.gamma(0.5, 0.02, n_ctrl), rng.gamma(2.0, 1.5, len(g) - n_ctrl)]
    u = np.repeat(np.arange(len(g)), T)
    t = np.tile(np.arange(1, T + 1), len(g))
    post = (g[u] > 0) & (t >= g[u])
    y = rng.poisson(rate[u] * np.exp(0.02 * t) * np.where(post, 0.8, 1.0))
    df = pd.DataFrame({"unit": u, "t": t, "g": g[u], "y": y})
    res = pe.fit(df, outcome="y", unit="unit", time="t", cohort="g", small_sample="none")
    coef, se, _ = _pyfixest(df, res.group_time)
    np.testing.assert_allclose(res.group_time["estimate"], coef, atol=1e-6)
    # pyfixest drops all-zero units (zero score, same coefficients) and counts only the others in its factor
    G = int((df.groupby("unit").y.sum() > 0).sum())
    N, K = G * T, len(res.group_time) + T
    np.testing.assert_allclose(res.group_time["se"] * np.sqrt(G / (G - 1) * (N - 1) / (N - K)), se, rtol=1e-4)
    assert 0.6 < res.aggregate("simple")["estimate"].iloc[0] < 1.0


def test_a_key_without_events_gives_ratio_zero_without_warnings():
    df = _panel(n=120, seed=2, base=-1.0)
    df.loc[(df.g == 7) & (df.t >= 7), "y"] = 0  # cohort 7 has no event after adoption
    res = pe.fit(df, outcome="y", unit="unit", time="t", cohort="g")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grp = res.aggregate("group").set_index("cohort")
    assert grp.loc[7, "estimate"] == 0 and np.isnan(grp.loc[7, "se"])
    assert np.isfinite(grp.loc[[4, 6], "se"]).all()


def test_cohort_without_pre_adoption_events_is_left_out_and_listed():
    df = _panel(n=200, seed=9)
    df.loc[(df.g == 7) & (df.t < 7), "y"] = 0
    res = pe.fit(df, outcome="y", unit="unit", time="t", cohort="g")
    assert res.excluded[["cohort", "n_units"]].values.tolist() == [[7, df.loc[df.g == 7, "unit"].nunique()]]
    assert 7 not in set(res.group_time["cohort"])
    ref = pe.fit(df[df.g != 7], outcome="y", unit="unit", time="t", cohort="g")
    pd.testing.assert_frame_equal(res.group_time, ref.group_time)
    assert res.n_units == ref.n_units == df.loc[df.g != 7, "unit"].nunique() and ref.excluded.empty
    never = df.copy()
    never.loc[never.g == 0, "y"] = 0
    never.loc[never.t < never.g, "y"] = 0
    with pytest.raises(TppoError, match="never-treated units have no events"):
        pe.fit(never, outcome="y", unit="unit", time="t", cohort="g")
