"""HonestDiD on the binned ratio-scale event study (effects.honest_ratio, breakdown_m, breakdown_table).

Two kinds of evidence: the breakdown search reproduces the breakdown values published with R HonestDiD (ehec
example, ``tests/reference/mpdta_published.md`` section 4), and on planted panels the binned event study recovers a
planted pre-trend and effect, and the relative-magnitudes breakdown Mbar shrinks as a planted pre-trend grows.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tppo_analysis import effects
from tppo_analysis.effects.pretrend import ratio_event_study
from tppo_analysis.errors import TppoError

REF = Path(__file__).resolve().parent / "reference"
COLS = ("deferrals", "village_code", "month", "first_treated")


def _ehec():
    d = json.loads((REF / "ehec_twfe_beta_sigma.json").read_text())
    return np.array(d["betahat"]), np.array(d["sigma"])


def _planted(
    slope: float, *, rate: float = 4.0, ratio: float = 0.6, n_units: int = 300, n_treated: int = 90, seed: int = 7
):
    """Return a monthly Poisson panel with a planted effect and a planted relative pre-trend.

    ``n_treated`` of ``n_units`` villages launch in month 24, 27 or 30 of 40; rate ratio ``ratio`` after launch;
    before launch a linear relative pre-trend ``slope * (e + 1)`` on the log scale (e < 0): treated villages' log
    rate rises by ``slope`` a month towards launch (0 at e = -1, nothing after).
    """
    rng = np.random.default_rng(seed)
    months = pd.period_range("2022-01", periods=40, freq="M")
    t = np.arange(40)
    cohort = np.full(n_units, -1)
    cohort[:n_treated] = rng.choice([24, 27, 30], size=n_treated)
    unit_fe = rng.normal(0, 0.3, n_units)
    rows = []
    for u in range(n_units):
        log_mu = np.log(rate) + unit_fe[u] + 0.01 * t
        if cohort[u] >= 0:
            e = t - cohort[u]
            log_mu = log_mu + np.where(e < 0, slope * (e + 1), np.log(ratio))
        y = rng.poisson(np.exp(log_mu))
        ft = months[cohort[u]] if cohort[u] >= 0 else pd.NaT
        rows.append(pd.DataFrame({"village_code": f"v{u:03d}", "month": months, "first_treated": ft, "deferrals": y}))
    panel = pd.concat(rows, ignore_index=True)
    panel["first_treated"] = panel["first_treated"].astype("period[M]")
    return panel


@pytest.mark.reference
def test_smoothness_breakdown_matches_the_published_m():
    beta, sigma = _ehec()
    # R HonestDiD README (ehec): the Delta^SD FLCI first includes 0 at M = 0.03 on the grid 0, 0.01, ..., 0.05
    bd = effects.breakdown_m(beta, sigma, 5, 2, method="smoothness", step=0.01, m_max=0.05, l_vec=np.array([1.0, 0]))
    assert bd == pytest.approx(0.03)


@pytest.mark.reference
@pytest.mark.slow
def test_relative_magnitudes_breakdown_matches_the_published_mbar():
    beta, sigma = _ehec()
    # R HonestDiD README (ehec): the C-LF interval excludes 0 at Mbar = 1.5 (lb 0.0086) and includes it at 2 (-0.0011)
    bd = effects.breakdown_m(
        beta, sigma, 5, 2, method="relative_magnitude", step=0.5, m_max=2.0, l_vec=np.array([1.0, 0])
    )
    assert bd == pytest.approx(2.0)


def test_binned_event_study_recovers_the_planted_pretrend_and_effect():
    slope = 0.05
    e, beta, sigma = ratio_event_study(_planted(slope), *COLS, leads=12, lags=6, bin_width=3)
    assert list(e) == [-12, -9, -6, 0, 3]
    # planted: bin of e = a..a+2 sits at slope * (a + 2) on average, the reference bin (-3..-1) at -slope
    want = [slope * (a + 2) + slope for a in (-12, -9, -6)] + [np.log(0.6) + slope] * 2
    se = np.sqrt(np.diag(sigma))
    assert np.all(np.abs(beta - want) < 4 * se + 0.02), (beta, want, se)
    assert np.all(se < 0.1)  # dense enough that the check can fail


def test_binning_keeps_a_sparse_event_study_identified_and_says_so_when_it_cannot():
    # 15 program villages at 0.1 a month: 1.5 treated events a month, so some month has none; a 6-month bin has ~9
    panel = _planted(0.0, rate=0.1, n_units=120, n_treated=15, seed=3)
    monthly = effects.honest_ratio(panel, *COLS, leads=6, lags=6, bin_width=1, m_values=(0.0,))
    binned = effects.honest_ratio(panel, *COLS, leads=12, lags=6, bin_width=6, m_values=(0.0,))
    assert (monthly["identified"] == "no").all() and monthly["ratio_lower"].isna().all()
    assert "no treated events" in monthly["note"].iloc[0]
    assert (binned["identified"] == "yes").all() and binned["ratio_lower"].notna().all()
    table = effects.breakdown_table(monthly, binned)
    assert table["identified"].tolist() == ["no", "yes"]
    assert pd.isna(table.loc[0, "breakdown"]) and pd.isna(table.loc[0, "estimate"])
    assert table.loc[0, "note"].startswith("not bounded")
    assert {"reliability", "note", "bin_width_months"} <= set(table.columns)


def test_bins_must_divide_leads_and_lags():
    panel = _planted(0.0, n_units=40, n_treated=10)
    with pytest.raises(TppoError, match="multiples"):
        effects.honest_ratio(panel, *COLS, leads=12, lags=6, bin_width=4)


def test_relative_magnitudes_breakdown_shrinks_as_the_planted_pretrend_grows():
    out = []
    for slope in (0.0, 0.05, 0.1):
        r = effects.honest_ratio(
            _planted(slope),
            *COLS,
            leads=12,
            lags=6,
            bin_width=6,
            method="relative_magnitude",
            m_values=(0.0,),
            step=0.25,
        )
        out.append(r.attrs["breakdown_m"])
        assert r.attrs["estimate"] < 0.8  # the planted 0.6 against a reference bin the pre-trend lifts
    assert out[0] > out[1] > out[2] > 0, out
    assert np.isfinite(out[2])
