"""``effects.fit(..., offset=)`` with gaps: a unit without a positive exposure is refused by name, never dropped.

Issue 14. The restricted panel leaves ``population`` empty for villages of the covered regencies that
``village_panel.csv`` does not list (``docs/restricted_extract_formats.md``); the fit must say which villages, how many
rows, and stop, for every estimator and every kind of bad value (missing, zero, negative, infinite, text).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tppo_analysis import effects
from tppo_analysis.errors import DataValidationError, TppoError
from tppo_analysis.sources.extracts import load_restricted_panel

MONTHS = [f"2023-{m:02d}" for m in range(1, 9)]
ARGS = ("deferrals", "village_code", "month", "first_treated")


@pytest.fixture(scope="module")
def regency():
    """Return the villages of the smallest regency with at least 20 villages (real Kemendagri codes)."""
    from tppo_analysis.sources.geography import load_villages

    geo = load_villages()
    sizes = geo.groupby("regency_code").size()
    code = sizes[sizes >= 20].sort_values().index[0]
    return sorted(geo.loc[geo["regency_code"] == code, "village_code"])


def _restricted(tmp_path, villages, listed):
    """Write a restricted folder whose village_panel.csv lists only ``listed`` and load it."""
    folder = tmp_path / "restricted"
    folder.mkdir()
    rows = [
        {
            "village_code": v,
            "month": m,
            "deferrals": str((3 * i + j) % 4),
            "passport_deferrals": "0",
            "population": str(400 + 11 * i),
        }
        for i, v in enumerate(villages)
        if v in listed
        for j, m in enumerate(MONTHS)
    ]
    pd.DataFrame(rows).to_csv(folder / "village_panel.csv", index=False, lineterminator="\n")
    pd.DataFrame({"village_code": villages[:3], "launch_date": ["2023-04-01", "2023-05-01", "2023-05-01"]}).to_csv(
        folder / "desa_binaan.csv", index=False, lineterminator="\n"
    )
    return load_restricted_panel(tmp_path).panel


@pytest.mark.parametrize("estimator", ["poisson_etwfe", "twfe", "cs"])
def test_villages_the_panel_file_does_not_list_are_named_not_dropped(tmp_path, regency, estimator):
    missing = [regency[-1], regency[5]]
    panel = _restricted(tmp_path, regency, set(regency) - set(missing))
    assert panel.loc[panel["village_code"].isin(missing), "population"].isna().all()  # the gap the loader leaves
    n_rows = len(panel)
    with pytest.raises(DataValidationError) as err:
        effects.fit(panel, *ARGS, estimator=estimator, offset="population")
    summary, *per_unit = err.value.problems
    assert summary.column == "population" and summary.line is None
    assert f"{2 * len(MONTHS)} row(s) of 2 unit(s)" in summary.reason
    assert all(repr(v) in summary.reason for v in missing)
    assert sorted(p.reason.split("'")[1] for p in per_unit) == sorted(missing)
    assert all(p.value == "" and f"{len(MONTHS)} of {len(MONTHS)} row(s)" in p.reason for p in per_unit)
    lines = {p.reason.split("'")[1]: p.line for p in per_unit}  # each unit's first bad row, counted as in a file
    for v, line in lines.items():
        assert panel["village_code"].iloc[line - 2] == v and pd.isna(panel["population"].iloc[line - 2])
    assert len(panel) == n_rows  # the caller's panel is untouched


def test_fully_listed_restricted_panel_fits_as_without_offset(tmp_path, regency):
    panel = _restricted(tmp_path, regency, set(regency))
    assert panel["population"].notna().all()
    a = effects.fit(panel, *ARGS, inference="cluster_robust")
    b = effects.fit(panel, *ARGS, inference="cluster_robust", offset="population")
    assert b.overall["estimate"].iloc[0] == pytest.approx(a.overall["estimate"].iloc[0], rel=1e-10)
    assert any("absorbed by the unit fixed effect" in n for n in b.notes)


@pytest.mark.parametrize("bad", [np.nan, pd.NA, 0, -3, np.inf, "n/a"])
def test_every_kind_of_non_positive_or_missing_exposure_is_refused(bad):
    units = [f"v{i:02d}" for i in range(12)]
    panel = pd.DataFrame(
        [
            {"village_code": u, "month": 2020 + t, "deferrals": (i + 2 * t) % 5 + 1, "first_treated": g, "pop": 100}
            for i, u in enumerate(units)
            for g in [2023 if i < 4 else 0]
            for t in range(6)
        ]
    ).astype({"pop": object})
    panel.loc[(panel["village_code"] == "v07") & (panel["month"] == 2022), "pop"] = bad
    with pytest.raises(DataValidationError) as err:
        effects.fit(panel, *ARGS, estimator="twfe", offset="pop")
    assert isinstance(err.value, TppoError)
    assert "1 row(s) of 1 unit(s)" in err.value.problems[0].reason
    (unit,) = err.value.problems[1:]
    assert "'v07'" in unit.reason and "1 of 6 row(s)" in unit.reason and unit.line == 7 * 6 + 2 + 2
    good = effects.fit(panel.assign(pop=100.0), *ARGS, estimator="twfe", offset="pop")
    assert good.overall["scale"].iloc[0] == "rate"


def test_many_units_are_counted_in_full_and_listed_up_to_the_limit():
    units = [f"v{i:03d}" for i in range(40)]
    panel = pd.DataFrame(
        [
            {"village_code": u, "month": 2020 + t, "deferrals": 1, "first_treated": 2023 if i < 5 else 0}
            for i, u in enumerate(units)
            for t in range(5)
        ]
    ).assign(pop=np.nan)
    with pytest.raises(DataValidationError) as err:
        effects.fit(panel, *ARGS, offset="pop")
    head = err.value.problems[0].reason
    assert "200 row(s) of 40 unit(s)" in head and "'v004' and 35 more" in head
    assert len(err.value.problems) == 1 + 20
