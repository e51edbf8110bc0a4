"""Shared test set-up: a non-interactive plotting backend and the repository's folders."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

REPO = Path(__file__).resolve().parents[1]
TESTS = REPO / "tests"
REFERENCE = TESTS / "reference"


@pytest.fixture
def repo_root() -> Path:
    return REPO


@pytest.fixture(autouse=True)
def _reset_paths():
    """Each test starts with the default data locations."""
    from tppo_analysis import paths

    paths.reset()
    yield
    paths.reset()
