"""``trends.model_sensitivity``: the key series' period changes under the chosen model and its alternatives."""

from __future__ import annotations

import pandas as pd
import pytest

import tppo_analysis as tppo
from tppo_analysis.models import trends
from tppo_analysis.models.choice import RECOMMENDED, pooled_name


@pytest.fixture(scope="module")
def record():
    obs = tppo.reconcile(tppo.load_public_record())[0]
    return obs, trends.model_sensitivity(obs)


def test_the_chosen_block_is_the_headline_table(record):
    obs, table = record
    chosen = table[table["model"] == trends.chosen_model_name()].drop(columns="model").reset_index(drop=True)
    specs = [(s, trends.KEY_MEASURE) for s in trends.KEY_SERIES]
    headline = trends.period_changes(trends.trend_fits(obs, specs), obs)
    pd.testing.assert_frame_equal(chosen, headline)


def test_alternatives_are_the_other_pooled_variant_and_each_series_alone(record):
    obs, table = record
    opts = {k: v for k, v in RECOMMENDED.items() if k not in ("pooled", "shared_dispersion")}
    other = pooled_name(opts, shared_dispersion=not RECOMMENDED["shared_dispersion"])
    alone = [m for m in table["model"].unique() if m.endswith("each series alone")]
    assert list(table["model"].unique()) == [trends.chosen_model_name(), other, *alone] and len(alone) == 1
    # the each-alone block is the single-series recommended model, fitted to the series' windows alone
    sh = trends.series_obs(obs, "tpi:soekarno-hatta")
    fit = trends.recommended_interval_model().fit(sh)
    row = table[(table["model"] == alone[0]) & table["series"].str.startswith("Soekarno-Hatta")].iloc[-1]
    year = int(row["later"][-4:])
    day, mon = row["later"].split(" - ")[1].split()[:2]
    ch = fit.period_change(
        (pd.Timestamp(f"{year - 1}-01-01"), pd.Timestamp(f"{day} {mon} {year - 1}")),
        (pd.Timestamp(f"{year}-01-01"), pd.Timestamp(f"{day} {mon} {year}")),
        level=0.9,
    )
    assert row["ratio"] == pytest.approx(ch["estimate"], rel=5e-3)
    assert row["reliability"].endswith("each series alone") or "each series alone" in row["reliability"]
    # every block covers the same (series, earlier, later) rows
    keys = {m: set(map(tuple, g[["series", "earlier", "later"]].to_numpy())) for m, g in table.groupby("model")}
    assert len({frozenset(v) for v in keys.values()}) == 1
