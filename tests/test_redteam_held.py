"""Red-team rows that held at 0b602d9, re-run in their cheap form so that they keep holding.

P03 (HTML escaping) and P08 (a full restricted report run) are covered by ``tests/test_report.py``.
"""

from __future__ import annotations

import csv
import io
import os

import pytest

from redteam_helpers import CANARY_NIK, no_traceback, tppo
from tppo_analysis import paths

PR = (paths.repo_root() / "data/public/public_reported_figures.csv").read_text(encoding="utf-8").splitlines()


def _pr(tmp_path, name, edits=None, rows=6, text=None):
    r = list(csv.reader(io.StringIO("\n".join(PR[:rows]))))
    for (i, col), v in (edits or {}).items():
        r[i][r[0].index(col)] = v
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(r)
    f = tmp_path / name
    f.write_text(text if text is not None else out.getvalue(), encoding="utf-8")
    return f


def test_V01_empty_file(tmp_path):
    f = tmp_path / "e.csv"
    f.write_text("")
    rc, o, e = tppo("validate", f)
    assert rc == 1 and no_traceback(e) and "empty" in e


def test_V02_header_only(tmp_path):
    f = _pr(tmp_path, "h.csv", rows=1)
    rc, o, e = tppo("validate", f, "--kind", "public_record")
    assert rc == 1 and no_traceback(e) and "no data rows" in e


def test_V03_huge_cell(tmp_path):
    f = _pr(tmp_path, "big.csv", {(1, "notes"): "x" * 200_000})
    rc, o, e = tppo("validate", f, "--kind", "public_record")
    assert rc == 1 and no_traceback(e) and "line 2" in e


def test_V06_nan_and_inf_values(tmp_path):
    f = _pr(tmp_path, "nan.csv", {(2, "value"): "NaN", (3, "value"): "inf"})
    rc, o, e = tppo("validate", f, "--kind", "public_record")
    assert rc == 1 and "line 3" in e and "line 4" in e and "value" in e


def test_V08_day_first_impossible_date(tmp_path):
    f = _pr(tmp_path, "p.csv", {(2, "period_start"): "31/02/2023"})
    rc, o, e = tppo("validate", f, "--kind", "public_record")
    assert rc == 1 and "line 3" in e and "period_start" in e


def test_V09_excel_serial_hint(tmp_path):
    f = _pr(tmp_path, "x.csv", {(2, "period_end"): "45047"})
    rc, o, e = tppo("validate", f, "--kind", "public_record")
    assert rc == 1 and "2023-05-01" in e


def test_V11_bom_semicolon_crlf(tmp_path):
    f = tmp_path / "b.csv"
    rows = list(csv.reader(io.StringIO("\n".join(PR[:6]))))
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    f.write_bytes(b"\xef\xbb\xbf" + out.getvalue().encode("utf-8"))
    rc, o, e = tppo("validate", f, "--kind", "public_record")
    assert rc == 0 and "BOM" in e


def test_V13_line_after_a_multiline_cell(tmp_path):
    r = list(csv.reader(io.StringIO("\n".join(PR[:6]))))
    r[1][r[0].index("notes")] = "a\nb\nc\nd"
    r[3][r[0].index("value")] = "12,5"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(r)
    f = tmp_path / "m.csv"
    f.write_text(out.getvalue())
    rc, o, e = tppo("validate", f, "--kind", "public_record")
    assert rc == 1 and "line 7" in e


def test_V14_formula_text_in_free_text(tmp_path):
    f = _pr(tmp_path, "f.csv", {(1, "notes"): '=HYPERLINK("x")', (2, "source_outlet"): "@SUM(1)"})
    rc, o, e = tppo("validate", f, "--kind", "public_record")
    assert rc == 0, e


def test_V15_cr_only_line_ends(tmp_path):
    f = tmp_path / "cr.csv"
    f.write_bytes(("\r".join(PR[:6]) + "\r").encode())
    rc, o, e = tppo("validate", f, "--kind", "public_record")
    assert rc == 0, e


HDR = (
    "record_id,person_key,deferral_date,checkpoint,checkpoint_type,immigration_office,reason,village_code,match_quality"
)
KEY = "a3f1" * 16


def test_V17_duplicated_column(tmp_path):
    f = tmp_path / "d.csv"
    f.write_text(
        HDR
        + ",village_code\nr1,"
        + KEY
        + ",2023-05-01,Bandara Juanda,airport,Kanim Surabaya,other,35.78.01.1001,exact,35.78.01.1002\n"
    )
    rc, o, e = tppo("validate", f, "--kind", "deferral_records")
    assert rc == 1 and "twice" in e


def test_R02_restricted_bad_dates(tmp_path):
    rows = [
        f"r{i},{KEY},{d},Bandara Juanda,airport,Kanim Surabaya,other,35.78.01.1001,exact"
        for i, d in enumerate(["45047", "31/02/2023", "2023-02-29"])
    ]
    f = tmp_path / "d.csv"
    f.write_text(HDR + "\n" + "\n".join(rows) + "\n")
    rc, o, e = tppo("validate", f, "--kind", "deferral_records")
    assert rc == 1 and all(f"line {i}" in e for i in (2, 3, 4))


AH = "record_id,event_date,checkpoint,reason,village_code"


def test_A01_identifiers_in_allowed_columns(tmp_path):
    f = tmp_path / "a.csv"
    f.write_text(AH + f"\n{CANARY_NIK},2023-05-01,Bandara Juanda 0812-9999-0001,other,35.78.01.1001\n")
    rc, o, e = tppo("aggregate", f, "--kind", "deferrals", "--out", tmp_path / "o.csv", "--quiet")
    assert rc == 1 and "NIK" in e and "PHONE" in e and CANARY_NIK not in e


def test_A06_latin1_byte(tmp_path):
    f = tmp_path / "l.csv"
    f.write_bytes(
        (AH + "\nr1,2023-05-01,TPI A,other,35.78.01.1001\nr2,2023-05-01,Bal\xe9,other,35.78.01.1001\n").encode(
            "latin-1"
        )
    )
    rc, o, e = tppo("aggregate", f, "--kind", "deferrals", "--out", tmp_path / "o.csv", "--quiet")
    assert rc == 1 and no_traceback(e) and "line 3" in e


def test_A09_bom_semicolon_date_first(tmp_path):
    f = tmp_path / "b.csv"
    f.write_bytes(
        b"\xef\xbb\xbf" + b"event_date;record_id;checkpoint\r\n2023-05-01;r1;TPI A\r\n2023-06-02;r2;TPI A\r\n"
    )
    rc, o, e = tppo("aggregate", f, "--kind", "deferrals", "--out", tmp_path / "o.csv", "--quiet")
    assert rc == 0 and "TPI A,2023-05,1" in (tmp_path / "o.csv").read_text()


def test_A14_bad_dates_listed(tmp_path):
    f = tmp_path / "d.csv"
    f.write_text(
        AH
        + "\nr0,2023-05-01,TPI A,other,35.78.01.1001\n"
        + "".join(
            f"r{i},{d},TPI A,other,35.78.01.1001\n" for i, d in enumerate(["31/02/2023", "2023-02-31", "45047"], 1)
        )
    )
    rc, o, e = tppo("aggregate", f, "--kind", "deferrals", "--out", tmp_path / "o.csv", "--quiet")
    assert rc == 1 and all(f"line {i}" in e for i in (3, 4, 5))


@pytest.mark.parametrize("out", ["notebooks", ".", "build", "build/../notebooks", "data/public"])
def test_P01_out_inside_the_repository(out):
    rc, o, e = tppo("report", "--no-execute", "--out", out, cwd=paths.repo_root())
    assert rc == 1 and no_traceback(e)


def test_P02_out_link_to_notebooks(tmp_path):
    link = tmp_path / "link"
    link.symlink_to(paths.repo_root() / "notebooks")
    rc, o, e = tppo("report", "--no-execute", "--out", link)
    assert rc == 1 and no_traceback(e)


def test_P10_provenance_symlink_loop_and_fifo(tmp_path):
    from tppo_analysis.provenance import collect_provenance

    d = tmp_path / "d"
    d.mkdir()
    (d / "loop").symlink_to(d)
    (d / "dangling").symlink_to(tmp_path / "nope")
    (d / "a.csv").write_text("x")
    (d / "link.csv").symlink_to(d / "a.csv")
    os.mkfifo(d / "fifo")
    prov = collect_provenance(d, [])
    assert {f["file"] for f in prov["data_files"]} >= {"a.csv"}


def test_P11_data_dir_env_for_in_place_report(tmp_path):
    rc, o, e = tppo("report", "--no-execute", env={"TPPO_DATA_DIR": str(tmp_path)}, cwd=paths.repo_root())
    assert rc == 1 and "TPPO_DATA_DIR" in e
