"""Small versions of issue 12's studies and checks of the committed study files.

Small versions of issue 12's studies (SYNTHETIC) and checks that the committed study files match the current
record: the planted-truth study, the seasonality power study's baseline.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
STUDIES = REPO / "results" / "studies"


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_planted_truth_small_version_meets_the_targets(tmp_path):
    """The planted-truth screen, small: monthly error at most 10%, band coverage 0.85-0.95.

    12 replications of step 0 of the rule (month-level dispersion, no break) with the chosen smoothing criterion:
    monthly means within 10% on average, 90% bands covering the true monthly means 85-95% of the time. A guard
    against regressions of the estimator; the evidence is the committed study (``planted_truth.md``), whose
    100-replication screen gives a coverage just under 0.85.
    """
    study = _script("planted_truth_study")
    from tppo_analysis.models.choice import RECOMMENDED

    reps = study.run([RECOMMENDED["smoothing"]], 12, tmp_path, "test", progress=False)
    s = study.summarise(reps).iloc[0]
    assert s["reps"] == 12 and s["converged"] == 12
    assert s["monthly_rel_error"] <= 0.10
    assert 0.85 <= s["band_coverage_90"] <= 0.95
    # the same fits scored by calendar year: every scored month counted once
    years = study.summarise_by_year(pd.read_csv(tmp_path / "planted_truth_by_year.csv"))
    assert (years["reps"] == 12).all()
    assert years["months_per_rep"].sum() == len(study.full_months(study.record_windows()))


def test_committed_planted_truth_is_reproduced(tmp_path):
    """The first replications of the committed ``chosen`` study come out the same from the script today."""
    path = STUDIES / "planted_truth_reps.csv"
    if not path.exists():
        pytest.skip("planted-truth study not yet run")
    study = _script("planted_truth_study")
    from tppo_analysis.models.choice import RECOMMENDED

    got = study.run(
        [RECOMMENDED["smoothing"]], 3, tmp_path, "chosen", progress=False, model_options=study.chosen_options()
    )
    ref = pd.read_csv(path)
    ref = ref[(ref["study"] == "chosen") & (ref["rep"] < 3)].sort_values("rep")
    assert len(ref) == 3
    for col in ("monthly_rel_error", "band_coverage_90", "edf", "error_ramadan"):
        assert got.sort_values("rep")[col].to_numpy(dtype=float) == pytest.approx(ref[col].to_numpy(), rel=1e-4)


def test_planted_truth_is_what_the_windows_see(monkeypatch):
    """Guard the simulation itself: the true daily rate carries exactly the planted holiday factors."""
    study = _script("planted_truth_study")
    from tppo_analysis.sources.calendar import daily_holiday_indicators

    a, b = pd.Timestamp("2024-02-01"), pd.Timestamp("2024-05-31")
    mu = study.true_daily_rate(a, b)
    monkeypatch.setattr(study, "HOLIDAYS", {"ramadan": 1.0, "post_idul_fitri": 1.0})
    ratio = mu / study.true_daily_rate(a, b)
    cal = daily_holiday_indicators(a, b).set_index("date")
    assert ratio[cal["post_idul_fitri"] == 1].to_numpy() == pytest.approx(0.6)
    assert ratio[cal["ramadan"] == 1].to_numpy() == pytest.approx(0.85)
    assert ratio[(cal["ramadan"] == 0) & (cal["post_idul_fitri"] == 0)].to_numpy() == pytest.approx(1.0)


def _committed_study(study: str) -> pd.Series:
    """Return the committed planted-truth summary row of ``study`` under the chosen smoothing criterion."""
    path = STUDIES / "planted_truth.csv"
    if not path.exists():
        pytest.skip("planted-truth study not yet run")
    from tppo_analysis.models.choice import RECOMMENDED

    t = pd.read_csv(path)
    assert (t["data"] == "SYNTHETIC").all()
    row = t[(t["study"] == study) & (t["smoothing"] == RECOMMENDED["smoothing"])]
    assert len(row) == 1, study
    return row.iloc[0]


def test_committed_planted_truth_passes_for_the_finally_chosen_model():
    """Issue 12's planted-truth check: the model step 6 of the rule finally chose meets the targets at 200 reps."""
    from tppo_analysis.models.choice import RECOMMENDED

    study_mod = _script("planted_truth_study")
    study = (
        study_mod.pooled_study(shared=bool(RECOMMENDED.get("shared_dispersion"))) if RECOMMENDED["pooled"] else "chosen"
    )
    row = _committed_study(study)
    assert row["reps"] >= 200
    assert row["monthly_rel_error"] <= study_mod.MAX_ERROR
    assert study_mod.COVERAGE[0] <= row["band_coverage_90"] <= study_mod.COVERAGE[1]
    assert bool(row["passes"])


@pytest.mark.xfail(
    strict=True,
    reason="issue 12: the single-series model of steps 1-5 (tppo.recommended_interval_model, which notebooks use for "
    "measures other than the pooled key measure and for the 'fitted alone' comparisons) misses the planted-truth "
    "targets at 200 replications (monthly error 0.118, "
    "coverage 0.843; without its breaks 0.091 / 0.877 passes); see results/studies/planted_truth.md",
)
def test_committed_planted_truth_passes_for_the_single_series_model():
    row = _committed_study("chosen")
    assert row["reps"] >= 200
    assert bool(row["passes"])


def test_committed_by_year_scores_add_up_to_the_replications():
    """Each replication's by-year rows add up to its monthly error and band coverage in ``planted_truth_reps.csv``."""
    path = STUDIES / "planted_truth_by_year.csv"
    if not path.exists():
        pytest.skip("no by-year planted-truth rows committed")
    years = pd.read_csv(path)
    assert (years["data"] == "SYNTHETIC").all()
    reps = pd.read_csv(STUDIES / "planted_truth_reps.csv").set_index(["study", "smoothing", "rep"])
    sums = years.groupby(["study", "smoothing", "rep"])[["months", "covered", "sum_rel_error"]].sum()
    assert len(sums) >= 200
    got = reps.loc[sums.index]
    assert (sums["covered"] / sums["months"]).to_numpy() == pytest.approx(got["band_coverage_90"].to_numpy(), abs=1e-5)
    assert (sums["sum_rel_error"] / sums["months"]).to_numpy() == pytest.approx(
        got["monthly_rel_error"].to_numpy(), rel=1e-4
    )


@pytest.mark.parametrize("shared", [False, True])
def test_committed_pooled_planted_truth_is_reproduced(tmp_path, shared):
    """Replication 2 of the committed pooled studies comes out the same from the script today.

    ``chosen_pooled`` (one dispersion per series): replication 2 is one where the pooled fit's former coordinate
    search stopped at a poorer smoothing pair (edf 19.9 instead of 12.2), so the check also guards the refined
    search. ``chosen_pooled_shared``: one dispersion for all series (amendment 2). Replications 0 and 1 are copied in
    from the committed file; the resumable script then fits only replication 2.
    """
    path = STUDIES / "planted_truth_reps.csv"
    study = _script("planted_truth_study")
    from tppo_analysis.models.choice import RECOMMENDED

    name = study.pooled_study(shared=shared)
    ref = pd.read_csv(path)
    ref = ref[(ref["study"] == name) & (ref["rep"] < 3)]
    if RECOMMENDED["pooled"]:
        assert len(ref) == 3
    if ref.empty:
        pytest.skip("no pooled planted-truth study committed")
    ref[ref["rep"] < 2].to_csv(tmp_path / "planted_truth_reps.csv", index=False)
    got = study.run(
        [RECOMMENDED["smoothing"]],
        3,
        tmp_path,
        name,
        progress=False,
        model_options={**study.chosen_options(), "shared_dispersion": shared},
        pooled=True,
    )
    got, want = got[got["rep"] == 2], ref[ref["rep"] == 2]
    for col in ("monthly_rel_error", "band_coverage_90", "edf", "error_ramadan"):
        assert got[col].to_numpy(dtype=float) == pytest.approx(want[col].to_numpy(dtype=float), rel=1e-4), col


def test_committed_power_study_uses_the_current_record():
    """The seasonality power study simulates from the current fit: same window count and dispersion."""
    study = _script("interval_coverage_study")
    import tppo_analysis as tppo

    table = pd.read_csv(STUDIES / "seasonality_power.csv")
    obs, _ = tppo.reconcile(tppo.load_public_record())
    assert set(map(tuple, table[["series", "measure"]].drop_duplicates().to_numpy())) == set(study.POWER_SERIES)
    for (series, measure), g in table.groupby(["series", "measure"]):
        b = study.power_baseline(obs, series, measure)
        assert (g["n_windows"] == b["n_windows"]).all(), series
        assert g["alpha"].iloc[0] == pytest.approx(b["alpha"], rel=1e-4), series


def test_power_table_and_figure_draw_the_committed_study():
    """Notebook 02's power table and figure read the committed study: one line per series, power in [0, 1]."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tppo_analysis.models import seasonality

    table = seasonality.power_table(STUDIES / "seasonality_power.csv")
    assert table["series"].nunique() == 3
    numeric = table.select_dtypes("number")
    assert ((numeric.filter(like="power") >= 0) & (numeric.filter(like="power") <= 1)).all().all()
    fig = seasonality.power_figure(table)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert sum("LR test" in t for t in labels) == 3
    plt.close(fig)
