"""``effects.fit(estimator="cs")`` against R ``did`` 2.5.1 on mpdta, and HonestDiD on the ehec example.

effects.fit(estimator="cs") against R `did` 2.5.1 on mpdta: published ATT(g,t) and aggregations (4 decimals) and
the analytic-SE reference values; HonestDiD smoothness bounds on the ehec example.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tppo_analysis import effects
from tppo_analysis.errors import TppoError

REF = Path(__file__).resolve().parent / "reference"
SHA = {
    "mpdta.csv": "ca2837cb3679267c5b88af551cb2db4e5a4fcbba1fd27a346a83bac9b0b0ae5c",
    "mpdta_analytic_reference.json": "2a2eaeccc281ac6e982da8ac5af4e80eaa412fad0006c8a3138dd430f1d5a587",
    "mpdta_published.md": "54923fbce252de4b95c280182b73236467e5418ee91101293a1fd330d8bf4e89",
}
# R prints 4 decimals: an exact implementation agrees within 5e-5 (rounding); the issue asks for 1e-4.
TOL_PUBLISHED = 1e-4
TOL_ANALYTIC = 1e-6
# With covariates, effects.py recomputes diff-diff's cells with R DRDID's (Hajek-normalised) doubly robust
# estimator; diff-diff 3.13's own DR (Horvitz-Thompson normalisation) differs from R by up to 6.8e-6 on mpdta.
TOL_ANALYTIC_COVARIATES = TOL_ANALYTIC


def _read(name):
    path = REF / name
    assert hashlib.sha256(path.read_bytes()).hexdigest() == SHA[name], f"{name} changed"
    return path


@pytest.fixture(scope="module")
def mpdta():
    return pd.read_csv(_read("mpdta.csv"))


@pytest.fixture(scope="module")
def analytic():
    return json.loads(_read("mpdta_analytic_reference.json").read_text())


def _published_tables():
    """Section header (e.g. '1a', '2b') -> list of table rows (lists of cells) from mpdta_published.md."""
    text = _read("mpdta_published.md").read_text()
    out, current = {}, None
    for line in text.splitlines():
        m = re.match(r"\*\*(\d[a-h])\.", line)
        if m:
            current = m.group(1)
            out[current] = []
            continue
        if current and out[current] and not line.startswith("|"):
            current = None  # a table ends at its first non-table line
            continue
        if current and line.startswith("|") and not line.startswith("|---"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if cells[0] in ("group", "estimate", "event time e", "time"):
                continue
            out[current].append(cells)
    return out


PUBLISHED = None


def published(section):
    global PUBLISHED
    if PUBLISHED is None:
        PUBLISHED = _published_tables()
    return PUBLISHED[section]


def _num(cell):
    return float(cell.split(" ")[0])


FITS = {
    "1a": ((), "never_treated"),
    "1b": (("lpop",), "never_treated"),
    "1c": (("lpop",), "not_yet_treated"),
}


@pytest.mark.reference
@pytest.mark.parametrize("section", ["1a", "1b", "1c"])
def test_cs_attgt_matches_published_r_did(mpdta, section):
    cov, control = FITS[section]
    res = effects.fit(
        mpdta, "lemp", "countyreal", "year", "first.treat", estimator="cs", control=control, covariates=cov
    )
    rows = published(section)
    assert len(rows) == 12
    gt = res.group_time.set_index(["cohort", "time"])
    for g, t, att, _se in rows:
        assert gt.loc[(int(g), int(t)), "estimate"] == pytest.approx(float(att), abs=TOL_PUBLISHED)


@pytest.mark.reference
def test_cs_aggregations_match_published_aggte(mpdta):
    res = effects.fit(mpdta, "lemp", "countyreal", "year", "first.treat", estimator="cs")
    assert res.overall["estimate"].iloc[0] == pytest.approx(_num(published("2a")[0][0]), abs=TOL_PUBLISHED)
    assert res.overall["scale"].iloc[0] == "count"
    for section, kind, key in [("2b", "event", "event_time"), ("2c", "group", "cohort"), ("2d", "calendar", "time")]:
        agg = res.aggregate(kind)
        for cells in published(section):
            label, est = cells[0], _num(cells[1])
            if label == "overall":
                got = agg.loc[agg["level"] == "overall", "estimate"].iloc[0]
            else:
                got = agg.loc[(agg["level"] == "element") & (agg[key] == int(label)), "estimate"].iloc[0]
            assert got == pytest.approx(est, abs=TOL_PUBLISHED), (section, label)


CASES = [
    ((), "never_treated", "nox_nevertreated", TOL_ANALYTIC),
    ((), "not_yet_treated", "nox_notyettreated", TOL_ANALYTIC),
    (("lpop",), "never_treated", "lpop_nevertreated", TOL_ANALYTIC_COVARIATES),
    (("lpop",), "not_yet_treated", "lpop_notyettreated", TOL_ANALYTIC_COVARIATES),
]


@pytest.mark.reference
@pytest.mark.parametrize("cov,control,key,tol", CASES)
def test_cs_matches_analytic_reference(mpdta, analytic, cov, control, key, tol):
    ref = analytic[key]
    res = effects.fit(
        mpdta, "lemp", "countyreal", "year", "first.treat", estimator="cs", control=control, covariates=cov
    )
    gt = res.group_time
    np.testing.assert_allclose(gt["cohort"], ref["attgt"]["g"])
    np.testing.assert_allclose(gt["time"], ref["attgt"]["t"])
    np.testing.assert_allclose(gt["estimate"], ref["attgt"]["att"], atol=tol, rtol=0)
    np.testing.assert_allclose(gt["se"], ref["attgt"]["se"], atol=tol, rtol=0)
    simple = res.aggregate("simple")
    assert simple["estimate"].iloc[0] == pytest.approx(ref["simple"]["overall_att"], abs=tol)
    assert simple["se"].iloc[0] == pytest.approx(ref["simple"]["overall_se"], abs=tol)
    for kind, rkey in [("event", "dynamic"), ("group", "group"), ("calendar", "calendar")]:
        agg = res.aggregate(kind)
        el = agg[agg["level"] == "element"]
        np.testing.assert_allclose(el["estimate"], ref[rkey]["att"], atol=tol, rtol=0, err_msg=kind)
        np.testing.assert_allclose(el["se"], ref[rkey]["se"], atol=tol, rtol=0, err_msg=kind)
        ov = agg[agg["level"] == "overall"].iloc[0]
        assert ov["estimate"] == pytest.approx(ref[rkey]["overall_att"], abs=tol)
        assert ov["se"] == pytest.approx(ref[rkey]["overall_se"], abs=tol)
    es = res.event_study
    np.testing.assert_allclose(es["event_time"], ref["dynamic"].get("e", ref["dynamic"].get("idx")))


@pytest.mark.reference
def test_cs_bootstrap_ses_near_published_and_band_wider(mpdta):
    res = effects.fit(mpdta, "lemp", "countyreal", "year", "first.treat", estimator="cs", n_boot=999, seed=9152024)
    # Published bootstrap SEs vary ~5-10% between draws: test within 20% relative.
    gt = res.group_time.set_index(["cohort", "time"])
    ev = res.aggregate("event")
    assert res.overall["se"].iloc[0] == pytest.approx(0.0119, rel=0.2)
    boot_se = ev.loc[ev["level"] == "element", "se"].to_numpy()
    published_se = [_num(c[2]) for c in published("2b") if c[0] != "overall"]
    np.testing.assert_allclose(boot_se, published_se, rtol=0.2)
    crit = ev["crit"].iloc[0]
    assert 2.2 < crit < 3.2  # sup-t over 7 event times exceeds 1.96
    assert (ev["band_upper"] - ev["band_lower"] > ev["ci_upper"] - ev["ci_lower"]).iloc[1:].all()
    assert len(gt) == 12
    again = effects.fit(mpdta, "lemp", "countyreal", "year", "first.treat", estimator="cs", n_boot=999, seed=9152024)
    pd.testing.assert_frame_equal(again.aggregate("event"), ev)


def test_monthly_periods_give_the_same_estimates(mpdta):
    d = mpdta.copy()
    d["month"] = pd.PeriodIndex([pd.Period(f"{y}-01", freq="M") for y in d["year"]])
    d["first_month"] = [pd.NaT if g == 0 else pd.Period(f"{g}-01", freq="M") for g in d["first.treat"]]
    a = effects.fit(mpdta, "lemp", "countyreal", "year", "first.treat", estimator="cs")
    b = effects.fit(d, "lemp", "countyreal", "month", "first_month", estimator="cs")
    np.testing.assert_allclose(a.group_time["estimate"], b.group_time["estimate"], atol=1e-12)
    assert str(b.group_time["cohort"].iloc[0]) == "2004-01"
    # event times are in months on a monthly axis: the annual gaps become 12-month steps
    assert sorted(b.event_study["event_time"]) == [-36, -24, -12, 0, 12, 24, 36]


def test_bad_input_is_a_clear_error(mpdta):
    with pytest.raises(TppoError, match="no column"):
        effects.fit(mpdta, "nope", "countyreal", "year", "first.treat", estimator="cs")
    with pytest.raises(TppoError, match="estimator"):
        effects.fit(mpdta, "lemp", "countyreal", "year", "first.treat", estimator="ols")
    d = mpdta.copy()
    d.loc[5, "lemp"] = np.nan
    with pytest.raises(TppoError, match="line 7"):
        effects.fit(d, "lemp", "countyreal", "year", "first.treat", estimator="cs")
    with pytest.raises(TppoError, match="unbalanced"):
        effects.fit(mpdta.iloc[1:], "lemp", "countyreal", "year", "first.treat", estimator="cs")


def test_units_treated_in_first_period_are_listed_not_silently_dropped(mpdta):
    d = mpdta.copy()
    d.loc[d["countyreal"] == d["countyreal"].iloc[0], "first.treat"] = 2003
    res = effects.fit(d, "lemp", "countyreal", "year", "first.treat", estimator="cs")
    assert len(res.excluded) == 1 and "first period" in res.excluded["reason"].iloc[0]
    assert any("dropped" in n for n in res.notes)


@pytest.mark.reference
@pytest.mark.parametrize("control", ["never_treated", "not_yet_treated"])
@pytest.mark.parametrize("gap", [False, True])
def test_compact_influence_functions_equal_diff_diff_cells(mpdta, monkeypatch, control, gap):
    """Check the compact influence functions against diff-diff's dense computation.

    Without covariates effects.py computes the cells itself and keeps their influence functions compact
    (never an n_units x n_cells matrix); the result must equal diff-diff's cells aggregated on the dense matrix,
    including the bootstrap and the universal-base event study of ``sensitivity`` (and with a gap in the periods,
    where base periods are positional).
    """
    d = mpdta[mpdta["year"] != 2005] if gap else mpdta
    kw = dict(estimator="cs", control=control, n_boot=199, seed=5)
    fast = effects.fit(d, "lemp", "countyreal", "year", "first.treat", **kw)
    monkeypatch.setattr(effects.cs, "_cs_cells_fast", lambda *a, **k: None)
    dense = effects.fit(d, "lemp", "countyreal", "year", "first.treat", **kw)
    assert len(fast.group_time) == len(dense.group_time) > 0
    pd.testing.assert_frame_equal(fast.group_time, dense.group_time, check_exact=False, rtol=0, atol=1e-12)
    for kind in ("simple", "event", "group", "calendar"):
        pd.testing.assert_frame_equal(
            fast.aggregate(kind), dense.aggregate(kind), check_exact=False, rtol=0, atol=1e-12, obj=kind
        )
    s_fast, s_dense = fast._sensitivity(), dense._sensitivity()
    np.testing.assert_array_equal(s_fast[0], s_dense[0])
    np.testing.assert_allclose(s_fast[1], s_dense[1], rtol=0, atol=1e-12)
    np.testing.assert_allclose(s_fast[2], s_dense[2], rtol=0, atol=1e-12)


@pytest.mark.reference
def test_engine_switch_gives_diff_diffs_own_cs_with_the_same_numbers():
    import pandas as pd

    from tppo_analysis import effects

    d = pd.read_csv(Path(__file__).parent / "reference" / "mpdta.csv")
    kw = dict(
        outcome="lemp", unit="countyreal", time="year", cohort="first.treat", estimator="cs", control="not_yet_treated"
    )
    ours, theirs = effects.fit(d, **kw), effects.fit(d, engine="diff_diff", **kw)
    for kind in ("simple", "event", "group", "calendar"):
        a, b = ours.aggregate(kind), theirs.aggregate(kind)
        assert np.allclose(a["estimate"], b["estimate"], atol=1e-12)
        assert np.allclose(a["se"], b["se"], rtol=1e-9)
