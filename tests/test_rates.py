"""Rates where the record has a denominator for the same series and window; explicit status where it does not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tppo_analysis.errors import TppoError
from tppo_analysis.record.rates import rate_availability, rates


def _obs(rows):
    return pd.DataFrame(rows, columns=["series", "measure", "period_start", "period_end", "value", "figure_ids"])


NUM, DEN = "passport_deferral_pmi_suspected", "passports_issued"


def test_exact_window_match_and_garwood_interval():
    obs = _obs(
        [
            ("kanim:a", NUM, "2024-01-01", "2024-12-31", 50, "F1"),
            ("kanim:a", DEN, "2024-01-01", "2024-12-31", 20_000, "F2"),
        ]
    )
    r = rates(obs)
    assert len(r) == 1 and r.loc[0, "status"] == "rate"
    assert r.loc[0, "estimate"] == pytest.approx(25.0)  # 50 / 20,000 * 10,000
    # Garwood 95% limits for k = 50 (standard tables: 37.11, 65.92)
    assert r.loc[0, "ci_lower"] == pytest.approx(37.11 / 2, abs=0.01)
    assert r.loc[0, "ci_upper"] == pytest.approx(65.92 / 2, abs=0.01)
    assert r.loc[0, "figure_ids"] == "F1;F2"


def test_tiling_both_ways():
    obs = _obs(
        [
            # numerator year tiled by two denominator halves
            ("kanim:a", NUM, "2024-01-01", "2024-12-31", 30, "N1"),
            ("kanim:a", DEN, "2024-01-01", "2024-06-30", 4_000, "D1"),
            ("kanim:a", DEN, "2024-07-01", "2024-12-31", 6_000, "D2"),
            # two numerator halves tiling a denominator year
            ("kanim:b", NUM, "2023-01-01", "2023-06-30", 10, "N2"),
            ("kanim:b", NUM, "2023-07-01", "2023-12-31", 15, "N3"),
            ("kanim:b", DEN, "2023-01-01", "2023-12-31", 5_000, "D3"),
        ]
    )
    r = rates(obs).set_index("series")
    assert r.loc["kanim:a", "estimate"] == pytest.approx(30 / 10_000 * 10_000)
    assert r.loc["kanim:b", "numerator"] == 25
    assert r.loc["kanim:b", "estimate"] == pytest.approx(25 / 5_000 * 10_000)
    assert (r["status"] == "rate").all()


def test_missing_denominators_are_listed_not_dropped():
    obs = _obs(
        [
            ("kanim:a", NUM, "2024-01-01", "2024-12-31", 30, "N1"),
            ("kanim:a", DEN, "2024-01-01", "2024-06-30", 4_000, "D1"),  # does not tile the year (gap)
            ("kanim:c", NUM, "2024-01-01", "2024-03-31", 7, "N2"),  # no denominator at all
        ]
    )
    r = rates(obs).set_index("series")
    assert len(r) == 2
    assert r.loc["kanim:a", "status"] == "no denominator window matching this window"
    assert r.loc["kanim:c", "status"] == "no denominator reported for this series"
    assert np.isnan(r.loc["kanim:c", "estimate"])
    av = rate_availability(obs).set_index("rate_name")
    row = av.loc["passport_deferrals_per_10k_issued"]
    assert (
        row["numerator_windows"],
        row["with_rate"],
        row["without_denominator_series"],
        row["without_matching_window"],
    ) == (2, 0, 1, 1)
    assert av.loc["departure_deferrals_per_100k_departures", "numerator_windows"] == 0


def test_unknown_rate_and_bad_obs():
    with pytest.raises(TppoError, match="unknown rate"):
        rates(_obs([]), "per_capita")
    with pytest.raises(TppoError, match="missing columns"):
        rates(pd.DataFrame({"series": []}))
