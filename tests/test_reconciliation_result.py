"""`tppo.reconcile()` returns a Reconciliation that still unpacks as (obs, audit) and answers coverage / set-aside."""

from __future__ import annotations

import subprocess
import sys

import matplotlib.pyplot as plt
import pandas as pd
import pytest

import tppo_analysis as tppo
from tppo_analysis.record.reconciled import COVERAGE_COLUMNS, Reconciliation


@pytest.fixture(scope="module")
def figures():
    return tppo.load_public_record()


@pytest.fixture(scope="module")
def result(figures):
    return tppo.reconcile(figures)


def test_it_still_unpacks_and_indexes_as_the_old_pair(result):
    assert isinstance(result, Reconciliation)
    obs, audit = result
    assert obs is result.observations and audit is result.audit
    assert result[0] is obs and result[1] is audit and len(result) == 2


def test_the_audit_adds_up_to_the_input(figures, result):
    table = result.summary().table.set_index("status")["count"]
    assert table["kept"] + table["derived"] + table["set aside"] == table["figures"] == len(figures)
    assert table["observations"] == len(result.observations)


def test_coverage_counts_days_and_months_of_each_series(result):
    cov = result.coverage([("tpi:soekarno-hatta", "dep_deferral_wni_pmi_suspected"), ("national", "no_such_measure")])
    assert list(cov.columns) == list(COVERAGE_COLUMNS)
    sh = cov.iloc[0]
    obs = result.observations
    g = obs[(obs["series"] == "tpi:soekarno-hatta") & (obs["measure"] == "dep_deferral_wni_pmi_suspected")]
    assert sh["observations"] == len(g)
    assert sh["days_covered"] == int(((g["period_end"] - g["period_start"]).dt.days + 1).sum())
    whole = [
        s
        for s, e in zip(g["period_start"], g["period_end"], strict=True)
        if s.day == 1 and e.month == s.month and e.year == s.year and (e + pd.Timedelta(days=1)).day == 1
    ]
    assert sh["complete_months"] == len(whole) > 6
    assert 0 < sh["share_of_span_covered"] <= 1 and sh["series_label"].startswith("Soekarno-Hatta airport")
    assert cov.iloc[1]["observations"] == 0


def test_set_aside_lists_every_set_aside_figure_with_its_reason(result):
    table = result.set_aside()
    assert len(table) == (result.audit["status"] == "set_aside").sum()
    assert table["reason"].str.len().gt(0).all()
    deferrals = result.set_aside(("departure", "passport"))
    assert set(deferrals["measure"]) <= {m for m in table["measure"] if m.startswith(("dep_", "passport_"))}


def test_summary_is_the_same_text_in_another_process(result):
    code = "import tppo_analysis as t; print(t.reconcile(t.load_public_record()).summary().text)"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert other == result.summary().text


def test_plot_windows_draws_on_a_given_axis(result):
    fig, ax = plt.subplots()
    out_fig, out_ax = result.plot_windows(ax=ax)
    assert out_fig is fig and out_ax is ax and len(ax.patches) > 10
    plt.close("all")


def test_result_tables_carry_reliability_and_leave_the_reconciliation_alone():
    """Notebook 00's three tables say what each row rests on; the reconciliation's own frames keep their columns."""
    import tppo_analysis as tppo
    from tppo_analysis import record_summary

    rec = tppo.reconcile(tppo.load_public_record())
    before = list(rec.observations.columns)
    tables = rec.result_tables(record_summary.KEY_SERIES)
    assert set(tables) == {"00_reconciled_observations", "00_reconciliation_audit", "00_coverage_key_series"}
    for t in tables.values():
        assert {"reliability", "note"} <= set(t.columns) and (t["reliability"].str.len() > 0).all()
    obs = tables["00_reconciled_observations"]
    derived = obs["rule"].str.startswith("derived")
    assert derived.any() and obs.loc[derived, "reliability"].str.startswith("remainder").all()
    assert (obs.loc[~derived, "reliability"] == "one published figure, as reported").all()
    cov = tables["00_coverage_key_series"]
    assert (cov.loc[cov["observations"] == 0, "reliability"] == "no usable window").all()
    assert list(rec.observations.columns) == before and "reliability" not in before
