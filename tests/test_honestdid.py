"""HonestDiD sensitivity (effects.honest_bounds) against the published HonestDiD README bounds (ehec example)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tppo_analysis import effects

REF = Path(__file__).resolve().parent / "reference"


def _ehec():
    path = REF / "ehec_twfe_beta_sigma.json"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == (
        "24af40584737673fb800a43b705d4e3e7ed499fb309ebaac367c519fd1e57cfe"
    )
    d = json.loads(path.read_text())
    return np.array(d["betahat"]), np.array(d["sigma"])


def _published_table(section: str, until: str) -> list[tuple[float, float, float]]:
    """Rows (M, lb, ub) of one table of mpdta_published.md section 4 (e.g. "4b" up to "Verdict")."""
    text = (REF / "mpdta_published.md").read_text()
    block = text.split(f"**{section}.")[1].split(until)[0]
    rows = []
    for line in block.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if line.startswith("|") and re.match(r"^-?\d", cells[0]):
            rows.append((float(cells[0]), float(cells[1]), float(cells[2])))
    return rows


def _published_4b():
    return _published_table("4b", "Verdict")


@pytest.mark.reference
def test_smoothness_bounds_match_honestdid_readme():
    beta, sigma = _ehec()
    rows = _published_4b()
    assert len(rows) == 6
    out = effects.honest_bounds(
        beta, sigma, 5, 2, method="smoothness", m_values=[r[0] for r in rows], l_vec=np.array([1.0, 0.0])
    )
    np.testing.assert_allclose(out["lb"], [r[1] for r in rows], atol=1e-3)
    np.testing.assert_allclose(out["ub"], [r[2] for r in rows], atol=1e-3)
    # breakdown: the published conclusion is that the CI first includes 0 at M = 0.03
    assert (out.loc[out["m"] < 0.025, "lb"] > 0).all() and (out.loc[out["m"] > 0.025, "lb"] < 0).all()


def _published_4a():
    return _published_table("4a", "**4b.")


def test_relative_magnitude_identified_set():
    beta, sigma = _ehec()
    out = effects.honest_bounds(
        beta,
        sigma,
        5,
        2,
        method="relative_magnitude",
        m_values=[0.5, 1.0],
        l_vec=np.array([1.0, 0.0]),
        rm_interval="naive",
    )
    # the identified set contains the point estimate and widens with Mbar; the interval contains the set
    assert (out["set_lb"] <= beta[5]).all() and (out["set_ub"] >= beta[5]).all()
    assert out["set_ub"].iloc[1] - out["set_lb"].iloc[1] > out["set_ub"].iloc[0] - out["set_lb"].iloc[0]
    assert (out["lb"] < out["set_lb"]).all() and (out["ub"] > out["set_ub"]).all()


@pytest.mark.reference
@pytest.mark.slow
def test_relative_magnitude_clf_matches_honestdid_readme():
    beta, sigma = _ehec()
    rows = _published_4a()
    assert len(rows) == 4
    out = effects.honest_bounds(
        beta, sigma, 5, 2, method="relative_magnitude", m_values=[r[0] for r in rows], l_vec=np.array([1.0, 0.0])
    )
    np.testing.assert_allclose(out["lb"], [r[1] for r in rows], atol=1e-3)
    np.testing.assert_allclose(out["ub"], [r[2] for r in rows], atol=1e-3)


def test_sensitivity_on_cs_event_study_uses_universal_base():
    mpdta = pd.read_csv(REF / "mpdta.csv")
    res = effects.fit(mpdta, "lemp", "countyreal", "year", "first.treat", estimator="cs")
    out = res.sensitivity(method="smoothness", m_values=[0.0, 0.02])
    assert list(out.columns[:3]) == ["m", "lb", "ub"]
    assert (out["lb"] <= out["original_estimate"]).all() and (out["ub"] >= out["original_estimate"]).all()
    assert out["ub"].iloc[1] - out["lb"].iloc[1] > out["ub"].iloc[0] - out["lb"].iloc[0]
