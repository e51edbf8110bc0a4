"""Notebook 01's trend tables (models.trends) on the public record: columns, consistency and what is never shown."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import tppo_analysis as tppo
from tppo_analysis.models import trends


@pytest.fixture(scope="module")
def record():
    figures = tppo.load_public_record()
    obs, _ = tppo.reconcile(figures)
    fits = trends.trend_fits(obs, trends.TREND_SPECS)
    return figures, obs, fits


def test_period_changes_follow_the_contract(record):
    _, obs, fits = record
    t = trends.period_changes(fits, obs)
    for col in ("series", "measure", "earlier", "later", "ratio", "ci_lower", "ci_upper", "identified"):
        assert col in t.columns
    assert {"reliability", "note"} <= set(t.columns)
    assert set(t["identified"]) <= {"yes", "weak", "no"}
    # both measures of the national series are told apart
    national = t[t["series"] == t["series"].iloc[0]]
    assert national["measure"].nunique() == 2
    no = t["identified"] == "no"
    assert t.loc[no, ["ratio", "ci_lower", "ci_upper"]].isna().all().all()
    assert (t.loc[no, "note"] == "not bounded").all()
    shown = t[~no]
    assert (shown["ci_lower"] <= shown["ratio"]).all() and (shown["ratio"] <= shown["ci_upper"]).all()
    # the ratio is the ratio of the two rates shown (both rounded to 3 significant digits)
    assert np.allclose(shown["ratio"], shown["rate_later"] / shown["rate_earlier"], rtol=0.01)


def test_robustness_headline_rows_are_the_headline_table(record):
    figures, obs, fits = record
    rob = trends.robustness_table(figures, trends.TREND_SPECS, broader=trends.BROADER)
    head = rob[rob["rule"].str.endswith("(headline)")]
    changes = trends.period_changes(fits, obs)
    for row in head.itertuples(index=False):
        mine = changes[(changes["series"] == row.series) & (changes["measure"] == row.measure)].iloc[-1]
        assert (row.earlier, row.later) == (mine["earlier"], mine["later"])
        assert row.ratio == pytest.approx(mine["ratio"], rel=1e-9)
    empty = rob[rob["windows"] == 0]
    assert empty["ratio"].isna().all() and (empty["note"] == "no windows").all()


def test_window_check_and_forecast_are_consistent(record):
    _, obs, fits = record
    sh = trends.series_obs(obs, "tpi:soekarno-hatta")
    check = trends.window_check(fits[("tpi:soekarno-hatta", trends.KEY_MEASURE)], sh)
    assert len(check) == len(sh)
    inside = (check["lower"] <= check["reported"]) & (check["reported"] <= check["upper"])
    assert (check["inside"] == inside).all()
    assert inside.mean() >= 0.8  # a 90% band over the windows it was fitted to
    fc = trends.forecast_table(fits[("tpi:soekarno-hatta", trends.KEY_MEASURE)], "Soekarno-Hatta airport")
    assert len(fc) == len(trends.FORECAST_WINDOWS)
    assert (fc["lower"] <= fc["mean"]).all() and (fc["mean"] <= fc["upper"]).all()
    assert np.allclose(fc["width"], (fc["upper"] + 1) / (fc["lower"] + 1), rtol=5e-3)  # (upper+1)/(lower+1), 3 digits
    assert pd.to_datetime(fc["period_start"]).min() > sh["period_end"].max()
