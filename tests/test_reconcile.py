"""Reconciliation rules: vintages, nested cumulative snapshots, conflicts — and an audit that adds up."""

from __future__ import annotations

import pandas as pd
import pytest

import tppo_analysis as tppo
from tppo_analysis.record.reconciliation import reconcile


def fig(fid, start, end, value, published=None, series="tpi:x", measure="dep_deferral_wni_pmi_suspected"):
    return {
        "figure_id": fid,
        "series": series,
        "measure": measure,
        "value": value,
        "period_start": pd.Timestamp(start) if start else pd.NaT,
        "period_end": pd.Timestamp(end),
        "start_stated": start is not None,
        "published": pd.Timestamp(published or end),
    }


def run(rows, **kw):
    obs, audit = reconcile(pd.DataFrame(rows), **kw)
    return obs, audit.set_index("figure_id")


def test_latest_vintage_wins_and_earliest_on_request():
    rows = [
        fig("PRF-0001", "2023-01-01", "2023-01-31", 212, "2023-05-17"),
        fig("PRF-0002", "2023-01-01", "2023-01-31", 215, "2023-07-17"),
    ]
    obs, audit = run(rows)
    assert obs["value"].tolist() == [215]
    assert (
        audit.loc["PRF-0001", "status"] == "set_aside" and "superseded by PRF-0002" in audit.loc["PRF-0001", "reason"]
    )
    obs, audit = run(rows, vintage="earliest")
    assert obs["value"].tolist() == [212]


def test_nested_cumulative_snapshot_yields_the_disjoint_remainder():
    rows = [
        fig("PRF-0001", "2024-01-01", "2024-01-31", 330),
        fig("PRF-0002", "2024-02-01", "2024-02-29", 254),
        fig("PRF-0003", "2024-01-01", "2024-03-15", 800),
    ]
    obs, audit = run(rows)
    last = obs.iloc[-1]
    assert (last["period_start"], last["period_end"], last["value"]) == (
        pd.Timestamp("2024-03-01"),
        pd.Timestamp("2024-03-15"),
        800 - 330 - 254,
    )
    assert last["figure_ids"] == "PRF-0003;PRF-0001;PRF-0002"
    assert audit.loc["PRF-0003", "status"] == "derived"
    # windows are disjoint and the totals are preserved
    assert obs["value"].sum() == 800
    assert (obs["period_start"].iloc[1:].to_numpy() > obs["period_end"].iloc[:-1].to_numpy()).all()


def test_consistent_total_is_implied_and_inconsistent_total_is_a_conflict():
    months = [fig("PRF-0001", "2024-01-01", "2024-01-31", 10), fig("PRF-0002", "2024-02-01", "2024-02-29", 20)]
    _, audit = run(months + [fig("PRF-0003", "2024-01-01", "2024-02-29", 30)])
    assert audit.loc["PRF-0003", "status"] == "set_aside" and "implied by" in audit.loc["PRF-0003", "reason"]
    obs, audit = run(months + [fig("PRF-0003", "2024-01-01", "2024-02-29", 31)])
    assert "conflict" in audit.loc["PRF-0003", "reason"]
    assert obs["value"].sum() == 30


def test_partial_overlap_is_set_aside_or_preferred_on_request():
    rows = [fig("PRF-0001", "2023-06-01", "2023-06-30", 566), fig("PRF-0002", "2023-01-01", "2023-06-15", 2352)]
    obs, audit = run(rows)
    assert (
        audit.loc["PRF-0002", "status"] == "set_aside" and "partly overlaps PRF-0001" in audit.loc["PRF-0002", "reason"]
    )
    obs, audit = run(rows, conflicts="prefer_longer")
    assert obs["figure_ids"].tolist() == ["PRF-0002"]
    assert audit.loc["PRF-0001", "status"] == "set_aside"


def test_undefined_window_and_implausible_remainder_are_set_aside():
    thirds = [("01", "10"), ("11", "20"), ("21", "30")]
    parts = [fig(f"PRF-000{i}", f"2024-01-{a}", f"2024-01-{b}", 100) for i, (a, b) in enumerate(thirds, 1)]
    rows = parts + [
        fig("PRF-0008", None, "2024-08-01", 14930),
        fig("PRF-0009", "2024-01-01", "2024-02-09", 300 + 10 * 200),
    ]  # 200/day after 10/day
    obs, audit = run(rows)
    assert "no start date" in audit.loc["PRF-0008", "reason"]
    assert audit.loc["PRF-0009", "reason"].startswith("implausible remainder")
    assert obs["value"].sum() == 300
    obs, audit = run(rows, max_rate_ratio=float("inf"))
    assert audit.loc["PRF-0009", "status"] == "derived"


def test_short_window_strictly_inside_a_long_one_keeps_the_long_total():
    rows = [fig("PRF-0001", "2023-05-13", "2023-05-13", 10), fig("PRF-0002", "2023-05-01", "2023-05-31", 580)]
    obs, audit = run(rows)
    assert obs["value"].tolist() == [580]
    assert "nested inside PRF-0002" in audit.loc["PRF-0001", "reason"]


def test_audit_of_the_real_record_has_one_row_per_figure_and_adds_up():
    figures = tppo.load_public_record()
    obs, audit = tppo.reconcile(figures)
    assert len(audit) == len(figures) and audit["figure_id"].is_unique
    assert set(audit["status"]) <= {"kept", "derived", "set_aside"}
    counts = audit["status"].value_counts()
    assert counts.sum() == len(figures)
    # every kept or derived figure points at an observation; every observation is owned by one such figure
    used = audit[audit["status"] != "set_aside"]
    assert used["obs_id"].isin(obs["obs_id"]).all()
    assert len(obs) == (audit["status"] != "set_aside").sum()
    # within each (series, measure) observations never overlap
    for _, g in obs.groupby(["series", "measure"]):
        g = g.sort_values("period_start")
        assert (g["period_start"].iloc[1:].to_numpy() > g["period_end"].iloc[:-1].to_numpy()).all()


def test_bad_options_are_clear_errors():
    with pytest.raises(tppo.TppoError, match="vintage"):
        reconcile(pd.DataFrame([fig("PRF-0001", "2024-01-01", "2024-01-31", 1)]), vintage="newest")


def test_committed_override_sets_the_early_july_outlier_aside_with_its_reason():
    figures = tppo.load_public_record()
    obs, audit = tppo.reconcile(figures)
    row = audit.set_index("figure_id").loc["PRF-0094"]
    assert row["status"] == "set_aside" and row["reason"].startswith("override:")
    sh = obs[(obs["series"] == "tpi:soekarno-hatta") & (obs["measure"] == "dep_deferral_wni_pmi_suspected")]
    july = sh[sh["period_start"] == pd.Timestamp("2023-07-01")]
    assert july["value"].tolist() == [586]
    _, raw = tppo.reconcile(figures, overrides=False)
    assert raw.set_index("figure_id").loc["PRF-0094", "status"] == "kept"


def test_override_with_an_unknown_action_is_refused():
    rows = [fig("PRF-0001", "2024-01-01", "2024-01-31", 1)]
    with pytest.raises(tppo.TppoError, match="unknown action"):
        reconcile(
            pd.DataFrame(rows), overrides=pd.DataFrame({"figure_id": ["PRF-0001"], "action": ["drop"], "reason": ["x"]})
        )
