"""Exposure and rates: windows matched by overlap, proration only as a named assumption, intervals that hold a truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import tppo_analysis as tppo
from tppo_analysis.errors import TppoError
from tppo_analysis.record.rates import daily_exposure, daily_rates, exposure, proration_checks, rate_table

NUM, DEN = "dep_deferral_wni_pmi_suspected", "pmi_placements"
BREAKS = [pd.Timestamp("2020-03-20"), pd.Timestamp("2022-04-01")]


def _obs(rows):
    o = pd.DataFrame(rows, columns=["series", "measure", "period_start", "period_end", "value", "figure_ids"])
    o["obs_id"] = [f"OBS-{i:04d}" for i in range(len(o))]
    return o


def test_garwood_interval_for_an_exact_match_matches_published_tables():
    obs = _obs(
        [
            ("national", NUM, "2024-01-01", "2024-12-31", 50, "F1"),
            ("national", DEN, "2024-01-01", "2024-12-31", 20_000, "F2"),
        ]
    )
    r = rate_table(obs, "departure_deferrals_per_100_placements", breaks=BREAKS)
    assert r.loc[0, "estimate"] == pytest.approx(0.25)
    # Garwood 95% limits for k = 50: 37.11 and 65.92 (Ulm 1990 table)
    assert r.loc[0, "ci_lower"] == pytest.approx(37.11 / 20_000 * 100, abs=1e-4)
    assert r.loc[0, "ci_upper"] == pytest.approx(65.92 / 20_000 * 100, abs=1e-4)
    assert r.loc[0, "estimate_strict"] == pytest.approx(0.25)


def test_no_proration_unless_asked_and_the_assumption_is_named():
    obs = _obs(
        [
            ("national", NUM, "2023-01-01", "2023-06-14", 10_138, "N"),
            ("national", DEN, "2023-01-01", "2023-10-31", 237_992, "D"),
        ]
    )
    strict = exposure(obs, NUM, DEN, breaks=BREAKS)
    assert strict.loc[0, "match"] == "none" and np.isnan(strict.loc[0, "exposure"])
    assert "prorate" in strict.loc[0, "note"]
    days = exposure(obs, NUM, DEN, prorate="days", breaks=BREAKS)
    assert days.loc[0, "match"] == "prorated"
    assert days.loc[0, "exposure"] == pytest.approx(237_992 * 165 / 304)
    with pytest.raises(TppoError, match="prorate"):
        exposure(obs, NUM, DEN, prorate="uniform", breaks=BREAKS)


def test_lower_bound_holds_without_any_assumption():
    obs = _obs(
        [
            ("national", NUM, "2025-01-01", "2025-04-30", 5_000, "N"),
            ("national", DEN, "2025-01-01", "2025-12-15", 286_422, "D"),
        ]
    )
    r = rate_table(obs, "departure_deferrals_per_100_placements", prorate="days", breaks=BREAKS)
    assert r.loc[0, "lower_bound_no_assumption"] == pytest.approx(5_000 / 286_422 * 100)
    assert r.loc[0, "lower_bound_no_assumption"] < r.loc[0, "estimate"]


def test_windows_straddling_a_regime_change_are_not_prorated():
    obs = _obs(
        [
            ("national", NUM, "2022-01-01", "2022-03-31", 100, "N"),
            ("national", DEN, "2022-01-01", "2022-10-31", 146_955, "D"),
        ]
    )
    e = exposure(obs, NUM, DEN, prorate="days", breaks=BREAKS)
    assert np.isnan(e.loc[0, "exposure"]) and "regime" in e.loc[0, "note"]


def test_uncovered_days_are_never_extrapolated():
    obs = _obs(
        [
            ("national", NUM, "2023-01-01", "2023-12-31", 100, "N"),
            ("national", DEN, "2023-01-01", "2023-06-30", 50_000, "D"),
        ]
    )
    e = exposure(obs, NUM, DEN, prorate="days", breaks=BREAKS)
    assert np.isnan(e.loc[0, "exposure"]) and e.loc[0, "coverage"] == pytest.approx(181 / 365)


def test_consecutive_numerator_windows_tiling_a_denominator_are_merged_in_strict_mode():
    obs = _obs(
        [
            ("national", NUM, "2019-01-01", "2019-09-30", 4_100, "N1"),
            ("national", NUM, "2019-10-01", "2019-12-31", 2_042, "N2"),
            ("national", DEN, "2019-01-01", "2019-12-31", 3_191_467, "D"),
        ]
    )
    r = rate_table(obs, "departure_deferrals_per_100_placements", prorate="days", breaks=BREAKS)
    assert len(r) == 1 and r.loc[0, "match"] == "grouped" and r.loc[0, "numerator"] == 6_142
    assert r.loc[0, "obs_ids"] == "OBS-0000;OBS-0001"


def _planted_denominator(rng, start="2023-01-01", end="2025-12-31"):
    """Daily placements with a seasonal wave and noise; the truth the proration band must hold."""
    days = pd.date_range(start, end, freq="D")
    doy = days.day_of_year.to_numpy()
    daily = 800 * (1 + 0.25 * np.sin(2 * np.pi * doy / 365.25)) * rng.lognormal(0, 0.05, len(days))
    return pd.Series(daily, index=days)


def test_proration_band_calibrated_on_reported_subwindows_holds_the_planted_truth():
    rng = np.random.default_rng(7)
    truth = _planted_denominator(rng)
    windows = [("2023-01-01", "2023-10-31"), ("2024-01-01", "2024-12-31"), ("2025-01-01", "2025-12-15")]
    months = [
        ("2023-02-01", "2023-02-28"),
        ("2023-08-01", "2023-08-31"),
        ("2024-05-01", "2024-05-31"),
        ("2024-11-01", "2024-11-30"),
        ("2025-03-01", "2025-03-31"),
        ("2025-09-01", "2025-09-30"),
    ]
    figs = pd.DataFrame(
        [
            {
                "figure_id": f"D{i}",
                "series": "national",
                "measure": DEN,
                "destination": "",
                "period_start": pd.Timestamp(a),
                "period_end": pd.Timestamp(b),
                "value": round(truth[a:b].sum()),
            }
            for i, (a, b) in enumerate(windows + months)
        ]
    )
    obs_rows = [("national", DEN, a, b, round(truth[a:b].sum()), f"D{i}") for i, (a, b) in enumerate(windows)]
    checks = proration_checks(figs, DEN, breaks=BREAKS)
    assert len(checks) == len(months)
    held = 0
    fragments = [
        ("2023-01-01", "2023-06-14"),
        ("2024-03-01", "2024-07-31"),
        ("2025-01-01", "2025-04-30"),
        ("2024-09-01", "2024-12-31"),
        ("2023-04-01", "2023-09-30"),
    ]
    for a, b in fragments:
        obs = _obs([*obs_rows, ("national", NUM, a, b, 1_000, "N")])
        e = exposure(obs, NUM, DEN, prorate="days", figures=figs, breaks=BREAKS)
        e = e[e["measure"] == NUM].iloc[0]
        true_total = truth[a:b].sum()
        held += e["exposure_lower"] <= true_total <= e["exposure_upper"]
        assert e["exposure_lower"] < e["exposure"] < e["exposure_upper"]
    assert held == len(fragments)


def test_destination_breakdowns_are_not_proration_checks():
    figs = pd.DataFrame(
        [
            {
                "figure_id": "T",
                "series": "national",
                "measure": DEN,
                "destination": "",
                "value": 300_000,
                "period_start": pd.Timestamp("2024-01-01"),
                "period_end": pd.Timestamp("2024-12-31"),
            },
            {
                "figure_id": "HK",
                "series": "national",
                "measure": DEN,
                "destination": "Hong Kong",
                "value": 99_168,
                "period_start": pd.Timestamp("2024-01-01"),
                "period_end": pd.Timestamp("2024-12-30"),
            },
        ]
    )
    assert proration_checks(figs, DEN, breaks=BREAKS).empty


def test_daily_exposure_spreads_each_window_evenly_and_keeps_totals():
    obs = _obs(
        [
            ("national", DEN, "2024-01-01", "2024-12-31", 297_434, "D1"),
            ("national", DEN, "2025-01-01", "2025-12-15", 286_422, "D2"),
        ]
    )
    d = daily_exposure(obs, DEN, "national")
    assert len(d) == 366 + 349
    assert d["exposure"].sum() == pytest.approx(297_434 + 286_422)
    assert d.loc[d["date"] == "2024-02-29", "exposure"].iloc[0] == pytest.approx(297_434 / 366)


def test_daily_rates_divide_by_inclusive_days_with_garwood_limits():
    obs = _obs([("national", NUM, "2019-01-01", "2019-12-31", 799, "PRF-0017")])
    d = daily_rates(obs, NUM)
    assert d.loc[0, "days"] == 365 and d.loc[0, "estimate"] == pytest.approx(799 / 365)
    from scipy.stats import chi2

    assert d.loc[0, "ci_lower"] == pytest.approx(chi2.ppf(0.025, 2 * 799) / 2 / 365)
    assert d.loc[0, "ci_upper"] == pytest.approx(chi2.ppf(0.975, 2 * 800) / 2 / 365)


@pytest.fixture(scope="module")
def record():
    figures = tppo.load_public_record()
    return figures, tppo.reconcile(figures)[0]


def test_national_rates_on_the_record_repeat_the_hand_calculation_from_the_cited_figures(record):
    figures, obs = record
    value = figures.set_index("figure_id")["value"]
    t = rate_table(obs, "passport_deferrals_per_10k_issued", prorate="days", figures=figures, series=["national"])
    y2019 = t[t["period_start"] == "2019-01-01"].iloc[0]
    # PRF-0040 (Jan-Sep 2019) + remainder of PRF-0041 (2019) over PRF-0239 (passports issued 2019): exact match
    assert y2019["match"] == "grouped"
    assert y2019["estimate"] == pytest.approx(value["PRF-0041"] / value["PRF-0239"] * 10_000)
    y2024 = t[t["period_start"] == "2024-01-01"].iloc[0]
    # PRF-0054 (Jan-Nov 2024) over PRF-0242 (1 Jan-17 Dec 2024) prorated to 335 of 352 days
    assert y2024["match"] == "prorated"
    assert y2024["estimate"] == pytest.approx(value["PRF-0054"] / (value["PRF-0242"] * 335 / 352) * 10_000)
    assert y2024["ci_lower"] < y2024["estimate"] < y2024["ci_upper"]
    assert y2024["lower_bound_no_assumption"] == pytest.approx(value["PRF-0054"] / value["PRF-0242"] * 10_000)
