"""Pooled fits across series, the rolling-origin backtest, its scores and the model-choice rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import tppo_analysis as tppo
from protocol_helpers import assert_result_protocol
from tppo_analysis.errors import TppoError
from tppo_analysis.models import IntervalCountModel
from tppo_analysis.models.backtest import NaivePersistence, backtest, score_rows, summarise
from tppo_analysis.models.choice import OPTIONS, START, STEPS, candidate_name, decide

DAYS = pd.date_range("2022-01-01", "2024-12-31")


def _series_windows(rng, starts_every: int, scale: float, alpha: float = 0.02):
    t = (DAYS - DAYS[0]).days.to_numpy() / 365.25
    mu = pd.Series(scale * (np.exp(-0.5 * ((t - 1.5) / 0.6) ** 2) + 0.2), index=DAYS)
    starts = pd.date_range(DAYS[0], DAYS[-1], freq=f"{starts_every}D")
    ends = list(starts[1:] - pd.Timedelta(days=1)) + [DAYS[-1]]
    m = np.array([mu[a:b].sum() for a, b in zip(starts, ends, strict=True)]) * rng.gamma(
        1 / alpha, alpha, size=len(starts)
    )
    return pd.DataFrame({"period_start": starts, "period_end": ends, "value": rng.poisson(m)}), mu


def _panel(seed: int = 0):
    rng = np.random.default_rng(seed)
    rich, mu_rich = _series_windows(rng, 30, 40.0)
    thin, mu_thin = _series_windows(rng, 365, 8.0)
    obs = pd.concat([rich.assign(series="rich"), thin.assign(series="thin")], ignore_index=True)
    return obs.assign(measure="m"), mu_rich, mu_thin


def test_pooled_fit_borrows_the_shape_for_a_thin_series():
    obs, _, mu_thin = _panel()
    pooled = tppo.fit_pooled(obs, ["rich", "thin"], measure="m", family="negbin", holidays=False)
    assert pooled.converged and pooled.lams[1] > 0
    true = mu_thin.groupby(mu_thin.index.to_period("M")).sum().to_numpy()
    err_pooled = np.abs(pooled.monthly(series="thin", seed=0)["mean"].to_numpy() / true - 1).mean()
    thin = obs[obs["series"] == "thin"]
    alone = IntervalCountModel("negbin", trend="smooth", holidays=False).fit(thin)
    err_alone = np.abs(alone.monthly(seed=0)["mean"].to_numpy() / true - 1).mean()
    assert err_pooled < err_alone  # three yearly windows cannot show the rise and fall; the shared shape can
    p = pooled.predict_window("2025-01-01", "2025-03-31", series="rich")
    assert p["lower"] <= p["mean"] <= p["upper"]
    with pytest.raises(TppoError, match="series"):
        pooled.predict_window("2025-01-01", "2025-03-31", series="elsewhere")
    assert_result_protocol(pooled)
    assert {"all", "rich", "thin"} >= set(pooled.tidy()["series"])


def test_pooled_fit_with_holidays_reports_identification():
    obs, _, _ = _panel(1)
    pooled = tppo.fit_pooled(obs, ["rich", "thin"], measure="m", holidays=["pre_idul_fitri", "post_idul_fitri"])
    ident = pooled.identification()
    assert list(ident["term"]) == ["pre_idul_fitri", "post_idul_fitri"]
    assert set(ident["identified"]) <= {"yes", "weak", "no"}
    tab = pooled.tidy()
    no = tab["identified"] == "no"
    assert tab.loc[no, "estimate"].isna().all() and (tab.loc[no, "note"] == "not bounded").all()


def test_backtest_rows_follow_the_origin_rules():
    obs, _, _ = _panel(2)
    gap = (obs["period_end"] >= "2022-12-01") & (obs["period_start"] <= "2023-06-30")
    obs = obs[~gap]  # a gap: the 2022-12-31 and 2023-06-30 origins share a training set
    models = {"linear": IntervalCountModel("negbin", trend="linear", holidays=False), "naive": NaivePersistence()}
    bt = backtest(
        obs,
        models,
        ["2022-12-31", "2023-06-30", "2023-12-31"],
        series=["rich", "thin"],
        measure="m",
        regime_starts=[pd.Timestamp("2023-01-01")],
    )
    rich = bt[(bt["series"] == "rich") & (bt["model"] == "linear")]
    # 2023-06-30 repeats the training set of 2022-12-31 (no windows in between): skipped
    assert sorted(rich["origin"].dt.year.unique()) == [2022, 2023]
    assert set(pd.to_datetime(rich["origin"]).dt.strftime("%m-%d")) == {"12-31"}
    first = rich[rich["origin"] == pd.Timestamp("2022-12-31")]
    assert (first["period_start"] > pd.Timestamp("2022-12-31")).all() and first["across_regime"].all()
    later = rich[rich["origin"] == pd.Timestamp("2023-12-31")]
    assert not later["across_regime"].any()
    thin = bt[bt["series"] == "thin"]
    assert (thin["n_train"] >= 2).all()
    naive = bt[(bt["model"] == "naive") & (bt["series"] == "rich")].iloc[0]
    train = obs[(obs["series"] == "rich") & (obs["period_end"] <= naive["origin"])].sort_values("period_start")
    last = train.iloc[-1]
    rate = last["value"] / ((last["period_end"] - last["period_start"]).days + 1)
    assert naive["predicted"] == pytest.approx(rate * naive["days"])


def test_scores_by_hand():
    bt = pd.DataFrame(
        {
            "model": "m",
            "series": "s",
            "reported": [100, 10, 50],
            "predicted": [100.0, 20.0, 50.0],
            "lower": [80.0, 15.0, 60.0],
            "upper": [125.0, 40.0, 90.0],
            "days": [31, 10, 40],
            "across_regime": False,
        }
    )
    sc = score_rows(bt)
    assert sc["covered"].tolist() == [True, False, False]
    assert sc.loc[0, "width"] == pytest.approx(126 / 81)
    a = 0.1
    ll, lu, ly = np.log(16.0), np.log(41.0), np.log(11.0)
    assert sc.loc[1, "interval_score_log"] == pytest.approx((lu - ll) + 2 / a * (ll - ly))
    assert sc.loc[2, "interval_score"] == pytest.approx(30 + 2 / a * 10)
    s = summarise(sc).iloc[0]
    assert s["windows"] == 3 and s["coverage_90"] == pytest.approx(1 / 3)
    assert s["median_width_30d"] == pytest.approx(np.median([126 / 81, 91 / 61]))


def _scores_table(values: dict[str, tuple[float, float]]) -> pd.DataFrame:
    return pd.DataFrame([{"model": k, "interval_score_log": v[0], "coverage_90": v[1]} for k, v in values.items()])


def test_rule_walks_its_steps_with_ties_and_the_coverage_band():
    opts = {"smoothing": "aicc", **START}
    scores = {}

    def add(step, values):
        for v, sc in values.items():
            scores[candidate_name({**opts, step: v})] = sc

    add("smoothing", {"aicc": (3.0, 0.9)})
    add("forecast", {"flat": (3.0, 0.9), "damped": (2.0, 0.9), "linear": (5.0, 0.9)})
    opts["forecast"] = "damped"
    add("dispersion", {"window": (2.03, 0.9), "month": (2.0, 0.9)})  # within 2%: the simpler one wins
    opts["dispersion"] = "window"
    add("breaks", {"none": (2.03, 0.9), "post_reopening": (1.5, 0.7), "regimes": (1.52, 0.8)})  # within 2%
    opts["breaks"] = "post_reopening"
    add("drift_sd", {0.0: (1.4, 0.7), 0.25: (1.5, 0.78), 0.5: (1.6, 0.85)})  # only 0.5 is in the band
    opts["drift_sd"] = 0.5
    scores["pooled " + candidate_name(opts)] = (1.7, 0.9)
    scores["pooled shared-dispersion " + candidate_name(opts)] = (1.8, 0.9)
    with pytest.raises(TppoError, match="pooling: no backtest scores"):
        decide(_scores_table({k: v for k, v in scores.items() if "shared" not in k}), ["aicc"])
    rows, chosen = decide(_scores_table(scores), ["aicc"])
    assert list(rows["step"]) == [*STEPS, "pooled variant", "pooling"]
    assert chosen == {
        "smoothing": "aicc",
        "forecast": "damped",
        "dispersion": "window",
        "breaks": "post_reopening",
        "drift_sd": 0.5,
        "pooled": False,
        "shared_dispersion": False,
    }
    assert "within 2%" in rows.set_index("step").loc["dispersion", "reason"]
    assert rows.set_index("step").loc["pooled variant", "winner"].startswith("pooled smooth[")
    assert set(OPTIONS) == set(STEPS)


@pytest.mark.parametrize(
    ("per_series", "shared", "expected"),
    [
        ((1.5, 0.8), (1.52, 0.85), {"pooled": True, "shared_dispersion": True}),  # within 2%: shared wins
        ((1.5, 0.8), (1.6, 0.85), {"pooled": True, "shared_dispersion": False}),
        ((1.7, 0.8), (1.65, 0.85), {"pooled": False, "shared_dispersion": False}),  # neither beats single (1.6)
    ],
)
def test_pooling_step_picks_the_dispersion_variant_then_compares_with_the_single_model(per_series, shared, expected):
    """Amendment 2: the shared-dispersion variant is preferred within 2%, then pooling must beat the single model."""
    from tppo_analysis.models.choice import chosen_name, pooled_name

    opts = {"smoothing": "aicc", **START}
    scores = {}
    for step in STEPS:
        for v in OPTIONS[step]:
            scores.setdefault(candidate_name({**opts, step: v}), (1.6 if v == START.get(step, "aicc") else 9.0, 0.9))
    scores[pooled_name(opts)] = per_series
    scores[pooled_name(opts, shared_dispersion=True)] = shared
    rows, chosen = decide(_scores_table(scores), ["aicc"])
    assert {k: chosen[k] for k in expected} == expected
    assert chosen_name(chosen) == rows.iloc[-1]["winner"]


def test_regimes_candidate_shifts_the_level_at_both_regime_starts():
    """Amendment 1 of docs/model_choice.md: ``breaks="regimes"`` = a level at the closure and at the reopening."""
    from tppo_analysis.models.choice import candidate_model

    opts = {"smoothing": "aicc", **START, "breaks": "regimes"}
    m = candidate_model(opts, reopening="2022-04-01", closure="2020-03-20")
    assert m.breaks == {"closure": pd.Timestamp("2020-03-20"), "post_reopening": pd.Timestamp("2022-04-01")}
    assert candidate_model({**opts, "breaks": "post_reopening"}).breaks == {
        "post_reopening": pd.Timestamp("2022-04-01")
    }
    assert candidate_model({**opts, "breaks": "none"}).breaks in (None, {})
    assert OPTIONS["breaks"] == ("none", "post_reopening", "regimes")


def test_recommended_model_matches_the_committed_backtest():
    """The options in RECOMMENDED are what the rule gives on the committed backtest.csv."""
    from pathlib import Path

    from tppo_analysis.models.choice import RECOMMENDED, recommended_interval_model

    path = Path(__file__).resolve().parents[1] / "results" / "studies" / "backtest.csv"
    if not path.exists():
        pytest.skip("backtest not yet committed (scripts/backtest_study.py)")
    bt = pd.read_csv(path, parse_dates=["origin", "period_start", "period_end"])
    eligible = [e for e in OPTIONS["smoothing"] if any(bt["model"].str.startswith(f"smooth[{e},"))]
    _, chosen = decide(summarise(score_rows(bt)), eligible)
    assert chosen == RECOMMENDED
    model = recommended_interval_model()
    assert model.trend == "smooth" and model.smoothing == RECOMMENDED["smoothing"]


def _coordinate_search(crit):
    """Search as the pooled fit used to (shape, then deviation, twice, from (2, 2)); kept here as the foil."""
    grid = np.arange(8.0, -3.01, -1.0)
    ls = ld = 2.0
    for _ in range(2):
        ls = float(grid[int(np.argmin([crit(g, ld) for g in grid]))])
        ld = float(grid[int(np.argmin([crit(ls, g) for g in grid]))])
    return ls, ld


def test_smoothing_search_follows_a_diagonal_valley_the_coordinate_search_stops_in():
    from tppo_analysis.models.interval._likelihood import search_smoothing

    # a narrow valley along the diagonal: every axis step from (2, 2) goes uphill, a diagonal step goes down
    def crit(a, b):
        return 10.0 * (a - b) ** 2 + 0.1 * (a + b - 10.0) ** 2

    assert _coordinate_search(crit) == (2.0, 2.0)  # the foil stops at once
    assert search_smoothing(crit) == (5.0, 5.0)


@pytest.mark.parametrize("seed", range(20))
def test_smoothing_search_is_never_worse_than_the_coordinate_search(seed):
    from tppo_analysis.models.interval._likelihood import search_smoothing

    values = np.random.default_rng(seed).normal(size=(23, 23))  # a rough surface on the half-step grid -3..8

    def crit(a, b):
        i, j = (a + 3.0) * 2.0, (b + 3.0) * 2.0
        assert i == int(i) and j == int(j), "off the half-step grid"
        return float(values[int(i), int(j)])

    got, foil = search_smoothing(crit), _coordinate_search(crit)
    assert crit(*got) <= crit(*foil)
    # and it stops where no half step, diagonal or not, is lower
    for da in (-0.5, 0.0, 0.5):
        for db in (-0.5, 0.0, 0.5):
            a, b = got[0] + da, got[1] + db
            if -3 <= a <= 8 and -3 <= b <= 8:
                assert crit(a, b) >= crit(*got)


@pytest.mark.parametrize("target", [(2.5, 7.5), (-2.5, 8.0), (7.5, -3.0)])
def test_smoothing_search_resolves_half_steps(target):
    """The pooled search ends at the single-series grid's resolution (0.5 in log10 lambda), not on whole powers.

    A bowl centred between unit grid points: the unit-step search alone stops at a neighbouring whole power.
    """
    from tppo_analysis.models.interval._likelihood import search_smoothing

    def crit(a, b):
        return (a - target[0]) ** 2 + 2 * (b - target[1]) ** 2

    assert search_smoothing(crit, steps=(1.0,)) != target
    assert search_smoothing(crit) == target


@pytest.mark.parametrize("target", [(8.0, -3.0), (-3.0, 8.0), (5.0, 1.0), (-1.0, -1.0)])
def test_smoothing_search_reaches_every_grid_point_of_a_bowl(target):
    from tppo_analysis.models.interval._likelihood import POOLED_LOG10_LAMBDA_RANGE, search_smoothing

    calls = []

    def crit(a, b):
        calls.append((a, b))
        return (a - target[0]) ** 2 + 2 * (b - target[1]) ** 2

    got = search_smoothing(crit)
    assert got == target
    lo, hi = POOLED_LOG10_LAMBDA_RANGE
    assert all(lo <= a <= hi and lo <= b <= hi for a, b in calls)


def test_calibrated_width_by_hand():
    from tppo_analysis.models.backtest import calibrated_width

    # model "m": 5 long windows with log errors -1, -0.5, 0, 0.5, 1 (reported/predicted, +0.5 each) and one short
    # window with a huge miss that must not count; model "w" misses twice as far
    errs = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
    pred = np.full(5, 99.5)
    rows = []
    for model, k in (("m", 1.0), ("w", 2.0)):
        rep = (pred + 0.5) * np.exp(k * errs) - 0.5
        rows.append(
            pd.DataFrame(
                {
                    "model": model,
                    "series": "s",
                    "reported": list(rep) + [1.0],
                    "predicted": list(pred) + [5000.0],
                    "lower": 50.0,
                    "upper": 200.0,
                    "days": [31, 60, 90, 30, 365, 29],
                    "across_regime": False,
                }
            )
        )
    out = calibrated_width(score_rows(pd.concat(rows, ignore_index=True))).set_index("model")
    # the 5% and 95% quantiles of (-1, -0.5, 0, 0.5, 1), linear interpolation: -0.9 and 0.9
    assert out.loc["m", "windows"] == 5
    assert out.loc["m", "calibrated_width"] == pytest.approx(np.exp(1.8))
    assert out.loc["w", "calibrated_width"] == pytest.approx(np.exp(3.6))
    assert out.loc["m", "median_width"] == pytest.approx(201 / 51)
    assert out.loc["m", "error_sd"] == pytest.approx(np.std(errs, ddof=1))
    assert list(out.index) == ["m", "w"]
