"""Small-cell suppression, publication granularity and the identifier guards (privacy module)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tppo_analysis import privacy
from tppo_analysis.errors import DataValidationError, TppoError
from tppo_analysis.privacy import MIN_CELL, find_identifiers, guard_columns, suppress, suppression_cells


def _nik(region: str, day: int, month: int, yy: int, serial: str) -> str:
    """Build a structurally valid NIK (so no 16-digit literal sits in this file)."""
    return f"{region}{day:02d}{month:02d}{yy:02d}{serial}"


FAKE_NIK = _nik("320101", 55, 1, 90, "9991")  # woman (15 + 40), Kab. Bogor


# ---------------------------------------------------------------------------------------------- suppression


def test_min_cell_is_ten():
    assert MIN_CELL == 10


def test_counts_one_to_nine_are_suppressed_zero_and_ten_are_not():
    df = pd.DataFrame({"office": list("abcdefg"), "n": [0, 1, 5, 9, 10, 11, 250]})
    out = suppress(df, count_columns=["n"])
    assert out["n"].isna().tolist() == [False, True, True, True, False, False, False]
    assert out["n"].dropna().tolist() == [0, 10, 11, 250]
    assert set(suppression_cells(out)["reason"]) == {"small"}
    assert out.attrs["privacy"]["n_suppressed"] == 3


def test_default_count_columns_are_the_integer_columns():
    df = pd.DataFrame({"office": ["a", "b"], "n": [3, 40], "share": [0.5, 0.25]})
    out = suppress(df)
    assert out["n"].isna().tolist() == [True, False]
    assert out["share"].tolist() == [0.5, 0.25]


def test_complement_within_total_is_suppressed():
    # 95 of 100 deferred: the 5 not deferred would be total - count, so the count is hidden.
    df = pd.DataFrame({"office": ["a", "b", "c"], "deferred": [95, 50, 100], "departures": [100, 100, 100]})
    out = suppress(df, count_columns=["deferred"], total_column="departures")
    assert out["deferred"].isna().tolist() == [True, False, False]
    assert out["departures"].notna().all()
    cells = suppression_cells(out)
    assert cells.to_dict("records") == [{"row": 0, "column": "deferred", "reason": "complement"}]


def test_complement_inside_a_breakdown_row_gets_secondary_suppression():
    # men 3 is small; with total 40 published women = 37 would reveal it, so women is hidden too.
    df = pd.DataFrame({"men": [3, 20], "women": [37, 25], "total": [40, 45]})
    out = suppress(df, count_columns=["men", "women"], total_column="total")
    assert out.loc[0, ["men", "women"]].isna().all()
    assert out.loc[0, "total"] == 40
    assert out.loc[1].notna().all()


def test_rate_needs_publishable_numerator_and_denominator():
    df = pd.DataFrame({"deferred": [4, 30, 30, 0], "applications": [400, 8, 300, 200], "rate": [0.01, 3.75, 0.1, 0.0]})
    out = suppress(df, count_columns=["deferred", "applications"], rates={"rate": ("deferred", "applications")})
    assert out["rate"].isna().tolist() == [True, True, False, False]
    assert out["deferred"].isna().tolist() == [True, False, False, False]
    assert out["applications"].isna().tolist() == [False, True, False, False]


def test_public_record_exemption_is_explicit_and_returns_the_table_unchanged():
    df = pd.DataFrame({"figure_id": ["PRF-0001"], "value": [3]})
    out = suppress(df, public_record=True)
    pd.testing.assert_frame_equal(out, df)
    info = out.attrs["privacy"]
    assert info["suppression"] == "exempt" and info["exemption"] == "public_record"
    assert "already published" in info["reason"]
    # without the exemption the same small value is hidden
    assert suppress(df)["value"].isna().all()


def test_suppress_rejects_negative_and_non_count_values():
    with pytest.raises(TppoError, match="negative count"):
        suppress(pd.DataFrame({"n": [5, -1]}), count_columns=["n"])
    with pytest.raises(TppoError, match="not in table"):
        suppress(pd.DataFrame({"n": [5]}), count_columns=["m"])


# ---------------------------------------------------------------------------------------------- margin tables


def _margin_table(interior: np.ndarray) -> pd.DataFrame:
    rows = [f"r{i}" for i in range(interior.shape[0])]
    cols = [f"c{j}" for j in range(interior.shape[1])]
    df = pd.DataFrame(interior, index=rows, columns=cols)
    df["Total"] = df.sum(axis=1)
    df.loc["Total"] = df.sum(axis=0)
    return df


def _constraints(shape):
    """Row and column sums of a (rows+1) x (cols+1) table with margins, as {cell index: coef} == 0."""
    nr, nc = shape
    idx = lambda i, j: i * nc + j  # noqa: E731
    cons = []
    for i in range(nr):
        cons.append({**{idx(i, j): 1.0 for j in range(nc - 1)}, idx(i, nc - 1): -1.0})
    for j in range(nc):
        cons.append({**{idx(i, j): 1.0 for i in range(nr - 1)}, idx(nr - 1, j): -1.0})
    return cons


def _hidden(out: pd.DataFrame) -> list[int]:
    return [int(k) for k in np.flatnonzero(out.isna().to_numpy().ravel())]


MARGIN_INTERIOR = np.array([[3, 40, 25, 12], [18, 22, 7, 30], [45, 16, 21, 11]])


def test_margin_table_secondary_suppression_hides_more_than_the_small_cells():
    df = _margin_table(MARGIN_INTERIOR)
    out = suppress(df, margins=True)
    assert pd.isna(out.loc["r0", "c0"]) and pd.isna(out.loc["r1", "c2"])  # the two small cells
    reasons = suppression_cells(out)["reason"].value_counts().to_dict()
    assert reasons["small"] == 2 and reasons.get("secondary", 0) >= 1
    # Without secondary suppression r0/c0 = row total - rest of the row: each line with a hidden cell has >= 2.
    mask = out.isna().to_numpy()
    for line in [*mask, *mask.T]:
        assert line.sum() != 1


def test_margin_table_suppressed_cells_cannot_be_recomputed_linear_algebra():
    df = _margin_table(MARGIN_INTERIOR)
    out = suppress(df, margins=True)
    values = df.to_numpy(dtype=float).ravel()
    ranges = privacy.disclosure_ranges(values, _constraints(df.shape), _hidden(out))
    assert len(ranges) >= 4
    assert not ranges["determined"].any()
    # Every small cell's feasible range (counts >= 0) is at least MIN_CELL wide and contains the true value.
    for k in (0, 1 * df.shape[1] + 2):
        r = ranges.set_index("cell").loc[k]
        assert r["upper"] - r["lower"] >= MIN_CELL
        assert r["lower"] <= values[k] <= r["upper"]


def test_margin_table_suppressed_cells_cannot_be_recomputed_brute_force():
    # Small table: enumerate every non-negative integer filling of the hidden cells (0..35 each) consistent with the
    # published cells and sums, and check each hidden cell can take many values (small cells at least MIN_CELL).
    interior = np.array([[2, 15, 11], [14, 12, 19], [16, 13, 4]])
    df = _margin_table(interior)
    out = suppress(df, margins=True)
    full = df.to_numpy(dtype=np.int32)
    mask = out.isna().to_numpy()
    hidden = list(zip(*np.nonzero(mask), strict=True))
    assert 4 <= len(hidden) <= 5 and not mask[:, -1].any() and not mask[-1, :].any()  # margins stay published
    grid = np.stack(np.meshgrid(*[np.arange(36, dtype=np.int32)] * len(hidden), indexing="ij"), -1)
    grid = grid.reshape(-1, len(hidden))
    tables = np.broadcast_to(full, (len(grid), *full.shape)).copy()
    for n, (i, j) in enumerate(hidden):
        tables[:, i, j] = grid[:, n]
    ok = (tables[:, :-1, :-1].sum(axis=2) == full[:-1, -1]).all(axis=1)
    ok &= (tables[:, :-1, :-1].sum(axis=1) == full[-1, :-1]).all(axis=1)
    solutions = grid[ok]
    assert len(solutions) > 1
    assert any((row == [full[h] for h in hidden]).all() for row in solutions)  # the truth is among them
    for n, h in enumerate(hidden):
        possible = set(solutions[:, n].tolist())
        assert len(possible) > 1, f"cell {h} is determined by the published cells"
        if full[h] < MIN_CELL:
            assert len(possible) >= MIN_CELL


def test_margins_that_do_not_add_up_are_refused():
    df = _margin_table(MARGIN_INTERIOR)
    df.loc["r0", "Total"] += 1
    with pytest.raises(TppoError, match="do not add up"):
        suppress(df, margins=True)


# ---------------------------------------------------------------------------------------------- granularity


def test_village_by_month_is_refused_and_village_by_year_allowed():
    monthly = pd.DataFrame({"village_code": ["32.01.01.2001"] * 2, "month": ["2023-01", "2023-02"], "n": [12, 15]})
    with pytest.raises(TppoError, match="village × month"):
        privacy.check_granularity(monthly, geography_column="village_code", period_column="month")
    yearly = pd.DataFrame({"village_code": ["3201012001"], "year": [2023], "n": [40]})
    assert privacy.check_granularity(yearly, geography_column="village_code", period_column="year") == "village × year"
    district = pd.DataFrame({"district_code": ["32.01.01"], "month": ["2023-01"], "n": [40]})
    assert (
        privacy.check_granularity(district, geography_column="district_code", period_column="month")
        == "district × month"
    )


def test_publishable_panel_aggregates_and_suppresses():
    df = pd.DataFrame(
        {
            "village_code": ["32.01.01.2001", "32.01.01.2001", "3201012002", "32.01.02.2001"],
            "date": ["2023-01-05", "2023-02-10", "2023-01-20", "2023-01-02"],
            "n": [6, 7, 8, 30],
        }
    )
    vy = privacy.publishable_panel(
        df, village_column="village_code", date_column="date", count_columns=["n"], level="village-year"
    )
    assert vy["n"].tolist()[0] == 13 and pd.isna(vy["n"].tolist()[1])
    dm = privacy.publishable_panel(
        df, village_column="village_code", date_column="date", count_columns=["n"], level="district-month"
    )
    got = dict(zip(zip(dm["district_code"], dm["month"], strict=True), dm["n"].tolist(), strict=True))
    assert got[("32.01.01", "2023-01")] == 14 and got[("32.01.02", "2023-01")] == 30
    assert pd.isna(got[("32.01.01", "2023-02")])


# ---------------------------------------------------------------------------------------------- identifiers


@pytest.mark.parametrize(
    "column, kind",
    [
        ("nama", "NAME"),
        ("Nama PMI", "NAME"),
        ("nik", "NIK"),
        ("NIK_korban", "NIK"),
        ("no_kk", "KK"),
        ("paspor", "PASSPORT"),
        ("nomor_paspor", "PASSPORT"),
        ("passport_number", "PASSPORT"),
        ("no_hp", "PHONE"),
        ("phone", "PHONE"),
        ("alamat", "ADDRESS"),
        ("tgl_lahir", "BIRTH_DATE"),
        ("tanggal_lahir", "BIRTH_DATE"),
        ("email", "EMAIL"),
    ],
)
def test_identifier_column_names_are_recognised(column, kind):
    assert privacy.identifier_column_kind(column) == kind


@pytest.mark.parametrize(
    "column",
    [
        "nama_desa",
        "village_name",
        "tpi_or_office",
        "village_code",
        "source_url",
        "notes",
        "destination",
        "value",
        "passports_issued",
        "launch_date",
        "period_start",
        "alamat_kantor",
        "nik_sha256",
        "measure",
        "kecamatan",
    ],
)
def test_ordinary_column_names_are_not_identifiers(column):
    assert privacy.identifier_column_kind(column) is None


def test_guard_columns_refuses_identifier_columns_with_file_and_column():
    df = pd.DataFrame({"nama": ["x"], "nik": ["y"], "tpi": ["Soekarno-Hatta"], "n": [1]})
    with pytest.raises(DataValidationError) as err:
        guard_columns(df, file="extract.csv")
    msg = str(err.value)
    assert "extract.csv" in msg and "column nama" in msg and "column nik" in msg and "drop=" in msg
    assert {p.column for p in err.value.problems} == {"nama", "nik"}


def test_guard_columns_drop_and_salted_hash():
    df = pd.DataFrame({"nama": ["A", "B"], "nik": [FAKE_NIK, FAKE_NIK], "tpi": ["x", "y"]})
    with pytest.raises(TppoError, match="salt"):
        guard_columns(df, drop=["nama"], hash_columns=["nik"])
    salt = "s" * 16
    out = guard_columns(df, drop=["nama"], hash_columns=["nik"], salt=salt)
    assert list(out.columns) == ["nik_sha256", "tpi"]
    import hashlib

    assert out["nik_sha256"][0] == hashlib.sha256((salt + FAKE_NIK).encode()).hexdigest()
    assert out["nik_sha256"][0] == out["nik_sha256"][1]
    assert (
        guard_columns(df, drop=["nama"], hash_columns=["nik"], salt="t" * 16)["nik_sha256"][0] != out["nik_sha256"][0]
    )


def test_guard_columns_finds_identifier_values_in_innocent_columns_and_masks_them():
    df = pd.DataFrame({"tpi": ["Juanda", "Batam"], "keterangan": ["ok", f"NIK {FAKE_NIK} ditunda"]})
    with pytest.raises(DataValidationError) as err:
        guard_columns(df, file="x.csv")
    (p,) = err.value.problems
    assert (p.line, p.column) == (3, "keterangan")
    assert FAKE_NIK not in str(err.value)
    assert "3201" in p.value and "9991" in p.value


def test_find_identifiers_nik_structure():
    assert [m.kind for m in find_identifiers(f"NIK: {FAKE_NIK}")] == ["NIK"]
    assert [m.kind for m in find_identifiers(f"No. KK {FAKE_NIK}")] == ["KK"]
    assert find_identifiers(f"{FAKE_NIK[:4]} {FAKE_NIK[4:8]} {FAKE_NIK[8:12]} {FAKE_NIK[12:]}")[0].kind == "NIK"
    # invalid structure: unknown province 99, day 32, month 13, regency 00, serial 0000
    for bad in [
        _nik("990101", 15, 1, 90, "0001"),
        _nik("320101", 32, 1, 90, "0001"),
        _nik("320101", 15, 13, 90, "0001"),
        _nik("320001", 15, 1, 90, "0001"),
        _nik("320101", 15, 1, 90, "0000"),
        _nik("329901", 15, 1, 90, "0001"),
    ]:
        assert find_identifiers(bad) == [], bad


def test_find_identifiers_women_day_plus_forty():
    assert find_identifiers(_nik("320101", 71, 1, 95, "0001"))  # woman born 31 Jan 1995
    assert not find_identifiers(_nik("320101", 71, 2, 95, "0001"))  # "31 Feb" is not a date
    assert not find_identifiers(_nik("320101", 72, 1, 95, "0001"))  # day 32 (after +40) is not a date
    assert find_identifiers(_nik("320101", 69, 2, 96, "0001"))  # woman born 29 Feb 1996 (leap year)


def test_find_identifiers_ignores_urls_hashes_floats_longer_runs_and_village_codes():
    texts = [
        f"https://money.kompas.com/read/2017/02/18/{FAKE_NIK}/imigrasi",
        f"www.detik.com/berita/d-{FAKE_NIK}",
        f"a3f{FAKE_NIK}b9",
        f"sha256 {FAKE_NIK}aa{FAKE_NIK}",
        f"0.{FAKE_NIK}",
        f"{FAKE_NIK}.5",
        f"9{FAKE_NIK}",
        f"{FAKE_NIK}12",
        "32.01.01.2001 3201012001 2023-05-01 1234.5678 PRF-0001 fig-000123",
    ]
    for t in texts:
        assert find_identifiers(t) == [], t


def test_find_identifiers_phone_passport_and_mrz():
    assert [m.kind for m in find_identifiers("hubungi 0812-9999-0001")] == ["PHONE"]
    assert [m.kind for m in find_identifiers("WA +62 812 9999 0001")] == ["PHONE"]
    assert find_identifiers("kode 0800 1234 567") == []  # unknown operator prefix (toll-free)
    assert [m.kind for m in find_identifiers("nomor paspor X9999001 ditahan")] == ["PASSPORT"]
    assert find_identifiers("kode X9999001 tanpa konteks") == []
    idn = "IDN"  # built in pieces so this file holds no MRZ line itself
    mrz = f"P<{idn}SANTOSO<<BUDI<<<<<<<<<<<<<<<<<<<<<<<<<<\nX9999001<3{idn}9001155M3001019<<<<<<<<<<<<<<08"
    kinds = sorted(m.kind for m in find_identifiers(mrz))
    assert kinds.count("MRZ") == 2
    assert all("SANTOSO" not in m.masked for m in find_identifiers(mrz))


def test_find_identifiers_on_values_reports_item_and_masks():
    found = find_identifiers(["ok", None, f"x {FAKE_NIK}"])
    assert [(m.item, m.kind) for m in found] == [(2, "NIK")]
    assert found[0].masked == "3201••••••••9991"


def test_known_fakes_are_detected():
    for value in privacy.KNOWN_FAKE_IDENTIFIERS:
        text = f"paspor {value}" if value.startswith("X") else value
        assert find_identifiers(text), value


# ---------------------------------------------------------------------------------------------- save_table


def test_save_table_suppresses_counts_but_not_keys(tmp_path):
    import json

    from tppo_analysis.output.tables import save_table

    df = pd.DataFrame(
        {"year": [2023, 2023], "month": [1, 2], "office": ["a", "b"], "deferred": [4, 25], "share": [0.1, 0.9]}
    )
    path = save_table(df, "t_synthetic", source="synthetic records (seed 1)", synthetic=True, directory=tmp_path)
    text = path.read_text(encoding="utf-8").splitlines()
    assert text == ["data,year,month,office,deferred,share", "SYNTHETIC,2023,1,a,,0.1", "SYNTHETIC,2023,2,b,25,0.9"]
    meta = json.loads((tmp_path / "t_synthetic.meta.json").read_text())
    assert meta["suppression"]["n_suppressed"] == 1 and meta["suppression"]["min_cell"] == MIN_CELL
    assert meta["suppression"]["count_columns"] == ["deferred"]


def test_save_table_public_record_exemption_is_recorded(tmp_path):
    import json

    from tppo_analysis.output.tables import save_table

    df = pd.DataFrame({"figure_id": ["PRF-0001"], "value": [3]})
    path = save_table(df, "p", source="data/public", public_record=True, directory=tmp_path)
    assert path.read_text(encoding="utf-8").splitlines() == ["figure_id,value", "PRF-0001,3"]
    meta = json.loads((tmp_path / "p.meta.json").read_text())
    assert meta["suppression"]["exemption"] == "public_record" and meta["public_record"] is True


def test_save_table_margin_table_keeps_labels(tmp_path):
    from tppo_analysis.output.tables import save_table

    df = _margin_table(MARGIN_INTERIOR)
    df.index.name = "office"
    path = save_table(df, "m", source="records", margins=True, directory=tmp_path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "office,c0,c1,c2,c3,Total"
    assert lines[1].startswith("r0,,40,,12,80")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_margin_tables_are_protected(seed):
    """Check suppression on random tables: no hidden cell determined, every feasible range wide enough.

    Property check on random 8 x 5 tables with ~15% small cells: no hidden cell is determined and every small
    cell's feasible range (counts >= 0) is at least MIN_CELL wide, computed independently of the suppression loop.
    """
    rng = np.random.default_rng(seed)
    interior = rng.poisson(25, (8, 5))
    interior[rng.random((8, 5)) < 0.15] = rng.integers(1, 10)
    df = _margin_table(interior)
    out = suppress(df, margins=True)
    values = df.to_numpy(dtype=float).ravel()
    hidden = _hidden(out)
    small = [k for k in hidden if 1 <= values[k] < MIN_CELL]
    assert len(small) == int(((interior >= 1) & (interior < MIN_CELL)).sum())
    ranges = privacy.disclosure_ranges(values, _constraints(df.shape), hidden).set_index("cell")
    assert not ranges["determined"].any()
    width = ranges.loc[small, "upper"] - ranges.loc[small, "lower"]
    assert (width >= MIN_CELL).all()
    # the published cells are the original values
    shown = out.to_numpy(dtype=float).ravel()
    keep = ~np.isnan(shown)
    np.testing.assert_array_equal(shown[keep], values[keep])


@pytest.mark.parametrize(
    "period",
    [
        pd.period_range("2023-01", periods=2, freq="M"),
        pd.to_datetime(["2023-01-01", "2023-02-01"]),
        pd.Series(["2023-01-15", "2023-01-20"]),
    ],
    ids=["period-M", "datetime-month-starts", "daily-strings"],
)
def test_village_by_month_or_finer_is_refused_whatever_the_dtype(period):
    df = pd.DataFrame({"village_code": ["32.01.01.2001"] * 2, "p": list(period)})
    with pytest.raises(TppoError, match="village × (month|day)"):
        privacy.check_granularity(df, geography_column="village_code", period_column="p")


def test_village_by_year_period_dtype_is_allowed():
    df = pd.DataFrame({"village_code": ["32.01.01.2001"] * 2, "p": pd.period_range("2023", periods=2, freq="Y")})
    assert privacy.check_granularity(df, geography_column="village_code", period_column="p") == "village × year"
