"""Village x month panel builder: cohorts from the roster, zero-filled months, stated exclusions, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tppo_analysis import effects
from tppo_analysis.design.panel import build_panel, cohort_table
from tppo_analysis.errors import DataValidationError

GEO = pd.DataFrame(
    {
        "village_code": ["52.03.01.2001", "52.03.01.2002", "52.03.02.2001", "52.03.02.2002", "33.01.01.2001"],
        "district_code": ["52.03.01", "52.03.01", "52.03.02", "52.03.02", "33.01.01"],
        "regency_code": ["52.03", "52.03", "52.03", "52.03", "33.01"],
        "province_code": ["52", "52", "52", "52", "33"],
    }
)
ROSTER = pd.DataFrame(
    {
        "village_code": ["52.03.01.2001", "52.03.02.2001", "33.01.01.2001", None],
        "village": ["A", "B", "C", "D"],
        "launch_date": pd.to_datetime(["2024-03-15", None, "2024-01-01", "2024-05-01"]),
        "precision": ["day", "unknown", "year", "day"],
        "unmatched_reason": [None, None, None, "ambiguous name"],
    }
)


def test_cohort_table_rules():
    coh, ex = cohort_table(ROSTER)
    assert coh["village_code"].tolist() == ["52.03.01.2001"]
    assert coh["first_treated"].iloc[0] == pd.Period("2024-03", "M")
    reasons = dict(zip(ex["village"], ex["reason"], strict=True))
    assert reasons["B"] == "no known launch date"
    assert "only the year" in reasons["C"]
    assert "no Kemendagri village code" in reasons["D"] and "ambiguous" in reasons["D"]


def test_build_panel_from_records_zero_fills_and_excludes_undated():
    records = pd.DataFrame(
        {
            "village_code": ["52.03.01.2001", "52.03.01.2001", "52.03.01.2002", "52.03.02.2001", "52.03.01.2002"],
            "date": ["2024-01-05", "2024-01-20", "2024-02-01", "2024-02-03", "2023-12-31"],
        }
    )
    out = build_panel(ROSTER, records, start="2024-01", end="2024-06", villages=GEO, baseline_months=2)
    p = out.panel
    # undated program villages (B: unknown date, C: only a year) are out of the panel, listed with reasons
    assert set(p["village_code"]) == {"52.03.01.2001", "52.03.01.2002", "52.03.02.2002"}
    assert set(out.excluded["village"]) >= {"B", "C", "D"}
    assert len(p) == 3 * 6
    a = p[p["village_code"] == "52.03.01.2001"].set_index("month")
    assert a.loc[pd.Period("2024-01", "M"), "deferrals"] == 2 and a["deferrals"].sum() == 2
    assert (a["first_treated"] == pd.Period("2024-03", "M")).all()
    assert p.loc[p["village_code"] == "52.03.01.2002", "first_treated"].isna().all()
    assert a["baseline_sending"].iloc[0] == pytest.approx(1.0)
    # records outside the window or of excluded villages are counted, not silently dropped
    outside = out.records_outside.set_index("reason")["n"]
    assert outside["month outside the panel"] == 1 and outside["village excluded (undated program village)"] == 1


def test_build_panel_from_counts_and_feeds_effects():
    months = pd.period_range("2023-01", "2024-12", freq="M")
    rng = np.random.default_rng(0)
    rows = [(v, str(m), int(rng.poisson(3))) for v in GEO["village_code"] for m in months]
    counts = pd.DataFrame(rows, columns=["village_code", "month", "n"])
    out = build_panel(ROSTER.iloc[:1], counts, start="2023-01", end="2024-12", villages=GEO, count_column="n")
    assert out.panel["deferrals"].sum() == counts["n"].sum()
    res = effects.fit(out.panel, "deferrals", "village_code", "month", "first_treated", estimator="poisson_etwfe")
    assert res.overall["scale"].iloc[0] == "ratio" and np.isfinite(res.overall["estimate"].iloc[0])
    assert str(res.group_time["cohort"].iloc[0]) == "2024-03"


def test_bad_outcome_rows_are_reported_with_line_numbers():
    records = pd.DataFrame({"village_code": ["52.03.01.2001", "99.99.99.9999"], "date": ["2024-01-05", "2024-01-06"]})
    with pytest.raises(DataValidationError) as err:
        build_panel(ROSTER, records, start="2024-01", end="2024-06", villages=GEO, source="extract.csv")
    assert "extract.csv line 3, column village_code" in str(err.value)
    records = pd.DataFrame({"village_code": ["52.03.01.2001"], "date": ["2024-02-30"]})
    with pytest.raises(DataValidationError, match="line 2, column date"):
        build_panel(ROSTER, records, start="2024-01", end="2024-06", villages=GEO)


# ---- restricted-extract formats ---------------------------------------------------------------------------------

from tppo_analysis.design import synthetic  # noqa: E402
from tppo_analysis.errors import Problem  # noqa: E402,F401
from tppo_analysis.sources.schemas import COLUMN_DOCS, REQUIRED_COLUMNS, RESTRICTED_KINDS  # noqa: E402
from tppo_analysis.sources.validation import read_text_table, schema_problems  # noqa: E402


def _write(tmp_path, df, name):
    path = tmp_path / name
    df.to_csv(path, index=False)
    return read_text_table(path)


def test_restricted_kinds_are_documented():
    assert set(RESTRICTED_KINDS) == {"deferral_records", "passport_records", "village_panel"}
    for kind, schema in RESTRICTED_KINDS.items():
        assert set(schema.columns) == set(COLUMN_DOCS[kind])
        assert set(REQUIRED_COLUMNS[kind]) <= set(schema.columns)
        forbidden = {"nik", "name", "nama", "phone", "passport_number"}
        assert not forbidden & set(schema.columns)


def test_synthetic_records_pass_and_bad_cells_are_located(tmp_path):
    sp = synthetic.small_panel(seed=1, n_villages=5, n_periods=3, cohorts=(2,))
    p = sp.panel.assign(
        village_code=lambda d: "52.03.01." + (2001 + d["unit"]).astype(str),
        month=pd.PeriodIndex([f"2024-{m:02d}" for m in d_period(sp.panel)], freq="M"),
    )
    rec = synthetic.generate_records(p.rename(columns={"y": "deferrals"}), seed=2).drop(columns=["data"])
    frame = _write(tmp_path, rec, "deferrals.csv")
    assert schema_problems(frame, RESTRICTED_KINDS["deferral_records"], "deferrals.csv") == []
    bad = rec.copy()
    bad.loc[1, "deferral_date"] = "2024-02-30"
    bad.loc[2, "village_code"] = "5203012001"
    frame = _write(tmp_path, bad, "bad.csv")
    found = {(pr.line, pr.column) for pr in schema_problems(frame, RESTRICTED_KINDS["deferral_records"], "bad.csv")}
    assert (3, "deferral_date") in found and (4, "village_code") in found


def d_period(panel):
    return panel["period"].to_numpy()


def test_village_panel_format_balanced_and_counts(tmp_path):
    ok = pd.DataFrame(
        {
            "village_code": ["52.03.01.2001"] * 2 + ["52.03.01.2002"] * 2,
            "month": ["2024-01", "2024-02"] * 2,
            "deferrals": ["0", "3", "1", "0"],
            "passport_deferrals": ["0", "0", "2", "0"],
        }
    )
    frame = _write(tmp_path, ok, "panel.csv")
    assert schema_problems(frame, RESTRICTED_KINDS["village_panel"], "panel.csv") == []
    bad = ok.iloc[:3].copy()
    bad.loc[1, "deferrals"] = "-1"
    frame = _write(tmp_path, bad, "panel_bad.csv")
    probs = schema_problems(frame, RESTRICTED_KINDS["village_panel"], "panel_bad.csv")
    assert any(p.line == 3 and p.column == "deferrals" for p in probs)
    assert any("balanced" in p.reason for p in probs)
