"""Context tables repeat the record's own figures, cited, and compute nothing the record does not say."""

from __future__ import annotations

import pandas as pd
import pytest

import tppo_analysis as tppo
from tppo_analysis.record import context


@pytest.fixture(scope="module")
def record() -> pd.DataFrame:
    return tppo.load_public_record()


def test_scam_split_is_the_country_rows_of_one_window_with_shares_of_their_sum(record):
    split = context.scam_cases_by_country(record)
    values = record.set_index("figure_id")["value"]
    ids = [f"PRF-{i:04d}" for i in range(393, 401)]  # Kemlu by country, Jan 2020 - May 2023 (ANTARA NTT)
    assert set(split["figure_id"]) == set(ids)
    assert split.loc[split["destination"] == "Cambodia", "share_of_split"].iloc[0] == pytest.approx(
        values["PRF-0393"] / values[ids].sum()
    )
    assert split["share_of_split"].sum() == pytest.approx(1.0)


def test_cambodia_indicators_are_the_cited_national_figures(record):
    k = context.cambodia_indicators(record)
    assert list(k["figure_id"]) == ["PRF-0403", "PRF-0312", "PRF-0404", "PRF-0405"]
    assert list(k["value"]) == [2330, 49, 17212, 123000]
    assert k["label"].str.contains("2023").sum() == 2


def test_destination_mentions_count_distinct_sources_not_rows(record):
    m = context.destination_mentions(record).set_index("destination")
    rows = record[record["measure"].isin(context.DEFERRAL_MEASURES) & record["destination"].fillna("").ne("")]
    cambodia_2024 = rows[rows["destination"].str.contains("Cambodia") & rows["period_end"].dt.year.between(2024, 2025)]
    assert m.loc["Cambodia", "2024-25"] == cambodia_2024["source_url"].nunique() < len(cambodia_2024)
    assert m.loc["sources in the period", "2023"] == rows[rows["period_end"].dt.year == 2023]["source_url"].nunique()


def test_context_figures_are_national_rows_with_their_source(record):
    c = context.context_figures(record)
    assert set(c["measure"]) <= set(context.CONTEXT_MEASURES)
    assert c["source_url"].str.startswith("http").all()
    assert (c["reliability"] != "").all()
    assert {"PRF-0362", "PRF-0363", "PRF-0401", "PRF-0403", "PRF-0404"} <= set(c["figure_id"])
