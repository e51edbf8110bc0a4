"""Trend tables say when a negative-binomial fit fell back to counting noise for a series (issue 12)."""

from __future__ import annotations

from types import SimpleNamespace

from tppo_analysis.models.changes import _poisson_caveat


def test_pooled_series_with_zero_dispersion_is_flagged():
    res = SimpleNamespace(family="negbin", alpha={"national": 0.0, "tpi:juanda": 0.7})
    assert "counting noise only" in _poisson_caveat(SimpleNamespace(res=res, series="national"))
    assert _poisson_caveat(SimpleNamespace(res=res, series="tpi:juanda")) == ""


def test_single_series_fits_are_flagged_only_at_zero_negbin_dispersion():
    assert "counting noise" in _poisson_caveat(SimpleNamespace(res=SimpleNamespace(family="negbin", alpha=0.0)))
    assert _poisson_caveat(SimpleNamespace(res=SimpleNamespace(family="negbin", alpha=0.1))) == ""
    assert _poisson_caveat(SimpleNamespace(res=SimpleNamespace(family="poisson", alpha=0.0))) == ""
