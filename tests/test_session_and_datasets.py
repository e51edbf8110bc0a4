"""``tppo.setup`` takes exactly the notebooks' papermill parameters; ``tppo.load_data`` loads every data set by name."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import matplotlib as mpl
import pandas as pd
import pytest

import tppo_analysis as tppo
from tppo_analysis import paths
from tppo_analysis.errors import TppoError
from tppo_analysis.output.report.build import ENV_KEYS

ROOT = Path(__file__).resolve().parents[1]


def _parameter_names(notebook: Path) -> set[str]:
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
    tree = ast.parse("".join(cell["source"]))
    return {t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets if isinstance(t, ast.Name)}


@pytest.fixture
def restore():
    saved = dict(paths._OVERRIDES)
    with pd.option_context("display.float_format", None, "display.width", 80):
        yield
    paths._OVERRIDES.clear()
    paths._OVERRIDES.update(saved)
    mpl.rcdefaults()


def test_setup_names_every_location_a_notebook_or_the_restricted_report_passes():
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert notebooks
    locations = {"data_dir", "figures_dir", "results_dir"}
    for nb in notebooks:
        assert locations <= _parameter_names(nb), nb.name
    assert set(ENV_KEYS) == locations  # what `tppo report --data-dir DIR --out OUT` injects


def test_setup_points_paths_sets_display_and_style_and_returns_every_parameter(tmp_path, restore):
    mpl.rcdefaults()
    params = tppo.setup(data_dir=tmp_path / "data", figures_dir=tmp_path / "f", results_dir=None, seed=7)
    assert params == {"data_dir": tmp_path / "data", "figures_dir": tmp_path / "f", "results_dir": None, "seed": 7}
    assert paths.data_dir() == tmp_path / "data" and paths.figures_dir() == tmp_path / "f"
    shown = repr(pd.DataFrame({"rate_ratio": [1.4612345, 368486.022], "n": [3, 4]}))
    assert "1.46" in shown and "368,000" in shown and "1.4612" not in shown
    from tppo_analysis.output.plotting import _RC

    differ = [k for k, v in _RC.items() if mpl.rcParams[k] != mpl.rcParamsDefault[k]]
    assert differ, "the project style changes nothing: the check below would be empty"

    def plain(v):
        return list(v) if isinstance(v, tuple) else v

    assert {k: plain(mpl.rcParams[k]) for k in differ} == {k: plain(_RC[k]) for k in differ}


def test_setup_refuses_unknown_positional_use():
    with pytest.raises(TypeError):
        tppo.setup("data")  # every parameter is named, as papermill names them


@pytest.mark.parametrize("name", ["public_record", "observations", "reconciliation_audit", "roster", "events"])
def test_real_data_sets_load_through_their_validating_loaders(name):
    frame = tppo.load_data(name)
    assert isinstance(frame, pd.DataFrame) and len(frame) > 0
    text = tppo.load_data.describe(name)
    assert "Columns:" in text and "Source:" in text
    for column in frame.columns[:5]:
        assert column in text, f"{name}: codebook does not name column {column!r}"


def test_observations_are_the_reconciled_record():
    obs, audit = tppo.reconcile(tppo.load_public_record())[0], tppo.reconcile(tppo.load_public_record())[1]
    pd.testing.assert_frame_equal(tppo.load_data("observations"), obs)
    pd.testing.assert_frame_equal(tppo.load_data("reconciliation_audit"), audit)


def test_synthetic_panels_are_seeded_labelled_and_take_generator_arguments():
    a = tppo.load_data("synthetic_small_panel", seed=3, n_villages=60, n_periods=8, cohorts=(4, 6))
    b = tppo.load_data("synthetic_small_panel", seed=3, n_villages=60, n_periods=8, cohorts=(4, 6))
    pd.testing.assert_frame_equal(a.panel, b.panel)
    assert (a.panel["data"] == "SYNTHETIC").all() and a.panel["unit"].nunique() == 60
    assert "SYNTHETIC" in tppo.load_data.describe("synthetic_village_panel")


def test_every_committed_study_table_loads_and_has_a_codebook():
    studies = sorted((ROOT / "results" / "studies").glob("*.csv"))
    assert studies
    names = tppo.load_data.names()
    for csv in studies:
        assert csv.stem in names
        frame = tppo.load_data(csv.stem)
        pd.testing.assert_frame_equal(frame, pd.read_csv(csv))
        assert len(tppo.load_data.describe(csv.stem)) > 40


def test_unknown_name_is_a_clear_error_listing_the_names():
    with pytest.raises(TppoError, match="no data set named 'nope'; choose one of: public_record"):
        tppo.load_data("nope")


def test_the_examples_in_the_docstrings_run(restore):
    import doctest

    from tppo_analysis import datasets, session
    from tppo_analysis.effects import staggered

    for module in (session, datasets, staggered):
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.attempted > 0 and result.failed == 0, module.__name__
