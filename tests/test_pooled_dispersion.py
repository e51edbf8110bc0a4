"""One NB2 dispersion shared by all pooled series (``fit_pooled(..., shared_dispersion=True)``)."""

from __future__ import annotations

import numpy as np
import pytest

import tppo_analysis as tppo
from test_pooled_backtest import _panel
from tppo_analysis.models.interval._likelihood import Engine


@pytest.fixture(scope="module")
def fits():
    obs, _, _ = _panel(3)
    kw = {"measure": "m", "family": "negbin", "holidays": False}
    return (
        obs,
        tppo.fit_pooled(obs, ["rich", "thin"], **kw),
        tppo.fit_pooled(obs, ["rich", "thin"], shared_dispersion=True, **kw),
    )


def test_shared_dispersion_is_the_maximum_likelihood_common_alpha(fits):
    _, per_series, shared = fits
    assert shared.shared_dispersion and not per_series.shared_dispersion
    a = shared.alpha["rich"]
    assert a == shared.alpha["thin"] > 0
    assert "one for all series" in shared.title and "one for all series" not in per_series.title
    # at the fitted coefficients the likelihood in the common alpha peaks at the estimate (the penalty does not
    # involve alpha, so the joint optimum is a stationary point in alpha)
    eng = Engine(shared._problem, "negbin")
    _, m, _ = eng.means(shared.beta)
    ll = [eng.loglik(m, np.array([a * f])) for f in (0.98, 1.0, 1.02)]
    assert ll[1] > ll[0] and ll[1] > ll[2]
    # and it is one parameter where the per-series fit has two
    assert per_series.alpha["rich"] != per_series.alpha["thin"]


def test_shared_dispersion_corrects_its_degrees_of_freedom_over_all_windows(fits):
    obs, per_series, shared = fits
    n = {s: int((obs["series"] == s).sum()) for s in ("rich", "thin")}
    edf = sum(shared.edf_by_series.values())
    expected = sum(n.values()) / (sum(n.values()) - edf - 1.0)
    assert shared._dff["rich"] == pytest.approx(expected, rel=1e-12)
    assert shared._dff["thin"] == pytest.approx(expected, rel=1e-12)
    # per series, each series' own windows and edf (a thin series' factor is floored at n / 1)
    for s in ("rich", "thin"):
        own = n[s] / max(n[s] - per_series.edf_by_series[s] - 1.0, 1.0)
        assert per_series._dff[s] == pytest.approx(own, rel=1e-12)


def test_shared_dispersion_changes_nothing_for_one_series():
    obs, _, _ = _panel(3)
    kw = {"measure": "m", "family": "negbin", "holidays": False}
    one = tppo.fit_pooled(obs, ["rich"], **kw)
    same = tppo.fit_pooled(obs, ["rich"], shared_dispersion=True, **kw)
    assert not same.shared_dispersion
    np.testing.assert_array_equal(one.beta, same.beta)
    assert one.alpha == same.alpha and one.lams == same.lams
