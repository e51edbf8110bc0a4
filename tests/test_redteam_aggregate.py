"""Red-team rows A02 A03 A04 A07 A08 A10 A13 A15 A16 A17 A19 A21 A22 A23 (tppo aggregate): failed at 0b602d9."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from redteam_helpers import CANARY_HP, CANARY_NIK, no_traceback, tppo

HEADER = "record_id,event_date,checkpoint,reason,village_code"


def _row(i, date="2023-05-01", cp="TPI Juanda", reason="other", village="35.78.01.1001"):
    return f"r{i},{date},{cp},{reason},{village}"


def _write(path, rows, header=HEADER):
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _agg(f, out, *extra, by="office_month"):
    return tppo("aggregate", f, "--kind", "deferrals", "--by", by, "--out", out, "--quiet", *extra)


def test_A02_email_npwp_name_columns_refused(tmp_path):
    header = "record_id,event_date,checkpoint,reason,ref,contact,catatan"
    rows = [f"r{i},2023-05-01,TPI Juanda,other,x,y,z" for i in range(1500)]
    rows[0] = "r0,2023-05-01,TPI Juanda,other,nama: Siti Rahayu,siti.rahayu@gmail.com,NPWP 09.254.294.3-407.000"
    f = _write(tmp_path / "a02.csv", rows, header)
    rc, out, err = _agg(f, tmp_path / "a02_out.csv")
    assert rc == 1 and no_traceback(err), (out, err)
    assert "EMAIL" in err and "NPWP" in err and "NAME" in err, err
    assert not (tmp_path / "a02_out.csv").exists()


def test_A03_identifiers_after_row_1000_are_refused(tmp_path):
    rows = [_row(i) for i in range(1500)]
    rows[1200] = _row(1200, cp=CANARY_NIK)
    rows[1300] = _row(1300, reason=CANARY_HP)
    rows[1400] = _row(1400, cp="Budi Santoso <budi@mail.com>")
    f = _write(tmp_path / "a03.csv", rows)
    out = tmp_path / "a03_out.csv"
    rc, o, err = _agg(f, out)
    assert rc == 1 and no_traceback(err), (o, err)
    for line in (1202, 1302, 1402):
        assert f"line {line}" in err, err
    assert not out.exists()
    assert CANARY_NIK not in err and CANARY_HP not in err


def test_A04_row_with_extra_field_names_the_line(tmp_path):
    rows = [_row(1), _row(2) + ",extra", _row(3)]
    f = _write(tmp_path / "a04.csv", rows)
    rc, o, err = _agg(f, tmp_path / "o.csv")
    assert rc == 1 and no_traceback(err)
    assert "line 3" in err and "need a column" not in err, err


def test_A07_empty_file(tmp_path):
    f = tmp_path / "a07.csv"
    f.write_text("")
    rc, o, err = _agg(f, tmp_path / "o.csv")
    assert rc == 1 and no_traceback(err) and "is empty" in err, err


def test_A08_header_only(tmp_path):
    f = _write(tmp_path / "hdr.csv", [])
    f.write_text(HEADER + "\n")
    rc, o, err = _agg(f, tmp_path / "o.csv")
    assert rc == 1 and no_traceback(err) and "no data rows" in err, err
    assert not (tmp_path / "o.csv").exists()


@pytest.mark.parametrize("extra", [",x", None])
def test_A10_malformed_row_past_the_sniff_sample(tmp_path, extra):
    rows = [_row(i) for i in range(30_000)]
    rows[25_000] = rows[25_000] + extra if extra else ",".join(rows[25_000].split(",")[:3])
    f = _write(tmp_path / "late.csv", rows)
    rc, o, err = _agg(f, tmp_path / "o.csv")
    assert rc == 1 and no_traceback(err), err
    assert "line 25002" in err, err


def test_A13_quoted_cells_past_the_sniff_sample(tmp_path):
    rows = [_row(i) for i in range(30_000)]
    rows[25_000] = _row(25_000, cp='"TPI A, Terminal 3"')
    rows[25_001] = _row(25_001, cp='"TPI A"')
    f = _write(tmp_path / "quoted.csv", rows)
    out = tmp_path / "o.csv"
    rc, o, err = _agg(f, out)
    assert rc == 0 and no_traceback(err), err
    got = pd.read_csv(out, dtype=str).set_index("checkpoint")["records"]
    assert got["TPI A, Terminal 3"] == "1" and got["TPI A"] == "1", got


def test_A15_implausible_dates_refused(tmp_path):
    bad = [
        "2023-1-5",
        "99999-01-01",
        "2023-05-01 23:59:59",
        " 2023-06-01 ",
        "-2023-07-01",
        "1800-01-01",
        "2023-05-01 (BC)",
    ]
    rows = [_row(0)] + [_row(i + 1, date=d) for i, d in enumerate(bad)]
    f = _write(tmp_path / "dates.csv", [r if '"' in r else r for r in rows])
    rc, o, err = _agg(f, tmp_path / "o.csv")
    assert rc == 1 and no_traceback(err), (o, err)
    for line in range(3, 3 + len(bad)):
        assert f"line {line}" in err, (line, err)


def test_A16_line_numbers_count_multiline_cells_and_blank_lines(tmp_path):
    text = (
        HEADER
        + "\n"
        + 'r1,2023-05-01,"TPI\nJuanda\nT2",other,35.78.01.1001\n'
        + "\n"
        + _row(2)
        + "\n"
        + _row(3, date="2023-02-31")
        + "\n"
    )
    f = tmp_path / "ml.csv"
    f.write_text(text)
    rc, o, err = _agg(f, tmp_path / "o.csv")
    assert rc == 1 and "line 7" in err, err


@pytest.mark.parametrize("opt", [("--memory-limit", "lots"), ("--threads", "-1")])
def test_A17_bad_options(tmp_path, opt):
    f = _write(tmp_path / "ok.csv", [_row(1)])
    rc, o, err = _agg(f, tmp_path / "o.csv", *opt)
    assert rc != 0 and no_traceback(err) and opt[0] in err, err


def test_A19_bad_paths(tmp_path):
    f = _write(tmp_path / "ok.csv", [_row(1)])
    (tmp_path / "afile").write_text("x")
    rc, o, err = _agg(f, tmp_path / "o.csv", "--temp-dir", tmp_path / "afile")
    assert rc == 1 and no_traceback(err) and "--temp-dir" in err, err
    (tmp_path / "adir.csv").mkdir()
    rc, o, err = _agg(f, tmp_path / "adir.csv")
    assert rc == 1 and no_traceback(err) and "--out" in err, err


def test_A21_out_equal_to_input_refused(tmp_path):
    f = _write(tmp_path / "same.csv", [_row(i) for i in range(20)])
    before = hashlib.sha256(f.read_bytes()).hexdigest()
    rc, o, err = _agg(f, f)
    assert rc == 1 and no_traceback(err) and "--out" in err, err
    assert hashlib.sha256(f.read_bytes()).hexdigest() == before


def test_A22_formula_cells_neutralised(tmp_path):
    f = _write(
        tmp_path / "formula.csv",
        [_row(1, cp="=cmd|' /C calc'!A0"), _row(2, cp="@SUM(1+1)"), _row(3, cp="-2+3"), _row(4, cp="+SUM(A1)")],
    )
    out = tmp_path / "o.csv"
    rc, o, err = _agg(f, out)
    if rc == 0:
        text = out.read_text()
        for line in text.splitlines()[1:]:
            first = line.lstrip('"')[:1]
            assert first not in "=+-@", line
    else:
        assert no_traceback(err) and "line 2" in err


def test_A23_duplicate_columns_refused(tmp_path):
    f = _write(
        tmp_path / "dup.csv", ["r1,2023-05-01,TPI Juanda,other,35.78.01.1001,35.78.01.1002"], HEADER + ",village_code"
    )
    rc, o, err = _agg(f, tmp_path / "o.csv", by="village_month")
    assert rc == 1 and no_traceback(err) and "village_code" in err and "twice" in err, err
