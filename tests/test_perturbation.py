"""Same bytes on any machine: no shown number of notebooks 01 and 02 depends on the optimiser's start values or on its
tolerance. Every notebook table is recomputed with jittered start values and a tighter and a looser tolerance, and
must come out identical once rounded (the tables are rounded where they are built)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import tppo_analysis as tppo
from tppo_analysis.models.interval import _likelihood
from tppo_analysis.record import trends


@pytest.fixture(scope="module")
def figures():
    return tppo.load_public_record()


@pytest.fixture(scope="module")
def baseline(figures):
    return trends.notebook_tables(figures)


@pytest.mark.parametrize("jitter, tol, seed", [(0.05, 1e-11, 1), (0.2, 1e-8, 2)])
def test_notebook_tables_do_not_move_with_start_values_or_tolerance(figures, baseline, monkeypatch, jitter, tol, seed):
    monkeypatch.setitem(_likelihood.FIT_SETTINGS, "start_jitter", jitter)
    monkeypatch.setitem(_likelihood.FIT_SETTINGS, "tol", tol)
    monkeypatch.setitem(_likelihood.FIT_SETTINGS, "rng", np.random.default_rng(seed))
    perturbed = trends.notebook_tables(figures)
    assert set(perturbed) == set(baseline)
    for name, table in baseline.items():
        pd.testing.assert_frame_equal(perturbed[name], table, check_exact=True, obj=name)


def test_perturbation_is_applied(figures, monkeypatch):
    """Negative control: the jitter reaches the fits (unrounded coefficients move a little)."""
    obs = tppo.reconcile(figures)[0]
    o = trends.series_obs(obs, "tpi:soekarno-hatta")
    model = trends.recommended_interval_model()
    a = model.fit(o).beta
    monkeypatch.setitem(_likelihood.FIT_SETTINGS, "start_jitter", 0.2)
    monkeypatch.setitem(_likelihood.FIT_SETTINGS, "tol", 1e-6)
    monkeypatch.setitem(_likelihood.FIT_SETTINGS, "rng", np.random.default_rng(3))
    b = model.fit(o).beta
    assert 0 < np.max(np.abs(a - b)) < 1e-3
