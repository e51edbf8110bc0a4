"""The event timeline: the committed file loads, every row is cited, regimes are contiguous, bad rows are named."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

import tppo_analysis
from tppo_analysis.errors import DataValidationError
from tppo_analysis.sources.events import (
    CLOSURE_EVENT,
    EVENT_COLUMNS,
    EVENT_KINDS,
    REOPENING_EVENT,
    load_events,
    regimes,
)

REPO = Path(__file__).resolve().parents[1]
EVENTS_CSV = REPO / "data" / "reference" / "events.csv"


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    return load_events()


def _copy_with(tmp_path: Path, edits: dict[tuple[int, str], str]) -> Path:
    """Copy the committed file with cells replaced: ``{(row index, column): value}``."""
    with EVENTS_CSV.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for (i, col), value in edits.items():
        rows[i][col] = value
    path = tmp_path / "events.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(EVENT_COLUMNS), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_committed_file_loads_with_contract_columns(events):
    raw = pd.read_csv(EVENTS_CSV, dtype=str, keep_default_na=False)
    assert list(raw.columns) == list(EVENT_COLUMNS)  # the contract's exact header, in order
    assert list(events.columns) == list(EVENT_COLUMNS)
    assert len(events) == len(raw) >= 25
    assert events["event_id"].is_unique
    assert pd.api.types.is_datetime64_any_dtype(events["start"])
    assert pd.api.types.is_datetime64_any_dtype(events["end"])
    spans = events["end"].notna()
    assert (events.loc[spans, "end"] >= events.loc[spans, "start"]).all()


def test_kinds_are_in_the_vocabulary(events):
    assert set(events["kind"]) <= set(EVENT_KINDS)
    assert {"closure", "reopening", "institution", "enforcement", "repatriation"} <= set(events["kind"])


def test_every_row_cites_a_source(events):
    assert events["source_url"].str.match(r"^https?://\S+$").all()
    assert (events["source_outlet"] != "").all()


def test_scope_is_national_or_a_named_destination(events):
    other = events.loc[events["scope"] != "national", "scope"]
    assert other.str.match(r"^[A-Z]").all()
    assert "Malaysia" in set(other)


def test_load_events_is_exported_lazily():
    assert tppo_analysis.load_events is load_events
    assert "load_events" in tppo_analysis.__all__


def test_regimes_are_contiguous_and_ordered(events):
    reg = regimes(events)
    assert list(reg["regime"]) == ["pre_closure", "closure", "post_reopening"]
    assert pd.isna(reg["start"].iloc[0]) and pd.isna(reg["end"].iloc[-1])  # open ends
    for prev, nxt in zip(reg.iloc[:-1].itertuples(), reg.iloc[1:].itertuples(), strict=True):
        assert nxt.start == prev.end + pd.Timedelta(days=1)  # no gap, no overlap
        assert pd.isna(prev.start) or prev.start <= prev.end
    by_id = events.set_index("event_id")
    assert reg.loc[1, "start"] == by_id.at[CLOSURE_EVENT, "start"] == pd.Timestamp("2020-03-20")
    assert reg.loc[2, "start"] == by_id.at[REOPENING_EVENT, "start"] == pd.Timestamp("2022-04-01")
    assert list(reg["defined_by"]) == ["", CLOSURE_EVENT, REOPENING_EVENT]


def test_regimes_sensitivity_with_the_2020_reopening(events):
    reg = regimes(events, reopening="pmi-placement-reopening-2020")
    assert reg.loc[1, "end"] == pd.Timestamp("2020-07-28")
    assert reg.loc[2, "start"] == pd.Timestamp("2020-07-29")
    with pytest.raises(tppo_analysis.TppoError, match="not 'reopening'"):
        regimes(events, reopening=CLOSURE_EVENT)


def test_malformed_copy_names_file_line_and_column(tmp_path):
    path = _copy_with(tmp_path, {(2, "start"): "2020-02-30", (4, "kind"): "lockdown", (6, "source_url"): ""})
    with pytest.raises(DataValidationError) as info:
        load_events(path)
    err = info.value
    found = {(p.line, p.column) for p in err.problems}
    assert {(4, "start"), (6, "kind"), (8, "source_url")} <= found  # header is line 1, row i is line i + 2
    assert all(p.file.endswith("events.csv") for p in err.problems)
    text = str(err)
    assert "events.csv line 4, column start" in text and "'2020-02-30'" in text
    assert "events.csv line 6, column kind" in text and "lockdown" in text


def test_end_before_start_duplicate_id_and_bad_header(tmp_path):
    path = _copy_with(tmp_path, {(0, "end"): "2010-01-01", (4, "event_id"): "pmi-placement-suspension-2020"})
    with pytest.raises(DataValidationError) as info:
        load_events(path)
    problems = {(p.line, p.column): p.reason for p in info.value.problems}
    assert "before start" in problems[(2, "end")]
    assert "duplicated (first used on line 5)" in problems[(6, "event_id")]

    bad = tmp_path / "header.csv"
    bad.write_text(EVENTS_CSV.read_text(encoding="utf-8").replace("source_url", "url", 1), encoding="utf-8")
    with pytest.raises(DataValidationError) as info:
        load_events(bad)
    assert {(p.line, p.column) for p in info.value.problems} >= {(1, "source_url"), (1, "url")}
