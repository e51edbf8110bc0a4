"""Red-team rows V04 V05 V07 V10 V12 R01 (tppo validate): each failed at 0b602d9 and passes now."""

from __future__ import annotations

import csv
import io

import pytest

from redteam_helpers import CANARY_HP, CANARY_NIK, no_traceback, tppo
from tppo_analysis import paths


@pytest.fixture
def pr_rows():
    """Header + first 5 rows of the public record, as text lines."""
    text = (paths.repo_root() / "data/public/public_reported_figures.csv").read_text(encoding="utf-8")
    return text.splitlines()[:6]


def _edit(rows, col, values):
    r = list(csv.reader(io.StringIO("\n".join(rows))))
    j = r[0].index(col)
    for i, v in values.items():
        r[i][j] = v
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(r)
    return out.getvalue()


def test_V04_huge_value_is_a_problem_not_a_traceback(tmp_path, pr_rows):
    f = tmp_path / "value_huge.csv"
    f.write_text(_edit(pr_rows, "value", {2: "99999999999999999999999"}), encoding="utf-8")
    rc, out, err = tppo("validate", f, "--kind", "public_record")
    assert rc == 1 and no_traceback(err), err
    assert "line 3" in err and "value" in err


def test_V05_non_ascii_digits_refused_or_noted(tmp_path, pr_rows):
    for name, digits in (("arabic", "١٣٣"), ("fullwidth", "１３３")):
        f = tmp_path / f"value_{name}.csv"
        f.write_text(_edit(pr_rows, "value", {2: digits}), encoding="utf-8")
        rc, out, err = tppo("validate", f, "--kind", "public_record")
        assert no_traceback(err)
        assert (rc == 1 and "line 3" in err) or "digit" in err.lower(), (rc, out, err)


def test_V07_impossible_published_date(tmp_path, pr_rows):
    f = tmp_path / "pubdate.csv"
    f.write_text(_edit(pr_rows, "published_date", {2: "2023-02-31", 3: "2023-13"}), encoding="utf-8")
    rc, out, err = tppo("validate", f, "--kind", "public_record")
    assert rc == 1 and no_traceback(err), (out, err)
    assert "published_date" in err and "line 3" in err and "line 4" in err


def test_V10_identifier_column_in_public_record(tmp_path, pr_rows):
    rows = [pr_rows[0] + ",nik"] + [r + f",{CANARY_NIK}" for r in pr_rows[1:]]
    f = tmp_path / "extra_nik.csv"
    f.write_text("\n".join(rows) + "\n", encoding="utf-8")
    rc, out, err = tppo("validate", f, "--kind", "public_record")
    assert rc == 1 and no_traceback(err), (out, err)
    assert "nik" in err.lower()


def test_V12_mixed_encoding_keeps_utf8_rows_or_refuses(tmp_path, pr_rows):
    text = _edit(pr_rows, "notes", {1: "Café Müller —", 2: "Café Müller —"})
    lines = text.splitlines()
    raw = ("\n".join(lines[:3]) + "\n").encode("utf-8") + ("\n".join(lines[3:]) + "\n").replace(
        lines[3], lines[3].replace(lines[3].split(",")[-1], "Café cp1252")
    ).encode("cp1252")
    f = tmp_path / "mixed.csv"
    f.write_bytes(raw)
    rc, out, err = tppo("validate", f, "--kind", "public_record")
    assert no_traceback(err)
    assert rc == 1 and "line" in err and ("encoding" in err.lower() or "utf-8" in err.lower()), (rc, out, err)


RESTRICTED_HEADER = (
    "record_id,person_key,deferral_date,checkpoint,checkpoint_type,immigration_office,reason,"
    "village_code,match_quality,age_band,sex"
)


def test_R01_identifiers_in_allowed_restricted_columns(tmp_path):
    key = "a3f1" * 16
    rows = [
        RESTRICTED_HEADER,
        f"r1,{CANARY_NIK},2023-05-01,Bandara Juanda,airport,Kanim Surabaya,other,35.78.01.1001,exact,20-24,F",
        f"{CANARY_NIK},{key},2023-05-02,Bandara Juanda,airport,Kanim Surabaya,other,35.78.01.1001,exact,20-24,F",
        f"r3,{key},2023-05-03,Bandara Juanda 0812-9999-0001,airport,Kanim Surabaya,other,35.78.01.1001,exact,,",
        f"r4,{key},2023-05-04,Bandara Juanda,airport,Siti Rahayu binti Ahmad,other,35.78.01.1001,exact,,",
        f"r5,{key},2023-05-05,Bandara Juanda,airport,Kanim Surabaya,other,35.78.01.1001,exact,99-10,M",
    ]
    f = tmp_path / "restricted_pii.csv"
    f.write_text("\n".join(rows) + "\n", encoding="utf-8")
    rc, out, err = tppo("validate", f, "--kind", "deferral_records")
    assert rc == 1 and no_traceback(err), (out, err)
    for line, col in (
        (2, "person_key"),
        (3, "record_id"),
        (4, "checkpoint"),
        (5, "immigration_office"),
        (6, "age_band"),
    ):
        assert f"line {line}, column {col}" in err, (line, col, err)
    assert CANARY_NIK not in err and CANARY_HP not in err  # values masked
