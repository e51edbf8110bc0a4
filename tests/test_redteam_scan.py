"""Red-team rows S01-S07 (tppo scan) and P03b (the report's scan of rendered HTML): failed at 0b602d9."""

from __future__ import annotations

import subprocess

import pandas as pd
import pytest

from redteam_helpers import CANARY_HP, CANARY_NIK, HP1, HP2, NIK1, NIK2, tppo
from tppo_analysis.privacy.identifiers import find_identifiers
from tppo_analysis.privacy.scan import scan_paths


def _git_repo(path):
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    (path / "pyproject.toml").write_text("[project]\nname='x'\n")
    return path


def _scan(*paths):
    findings, _ = scan_paths([str(p) for p in paths])
    return findings


def test_S01_scan_without_arguments_scans_the_current_repository(tmp_path):
    repo = _git_repo(tmp_path / "clone")
    (repo / "data/restricted_leak").mkdir(parents=True)
    (repo / "data/restricted_leak/leak.csv").write_text(f"hp,nama,nik\n{HP1},Siti Rahayu,{NIK1}\n")
    rc, out, err = tppo("scan", cwd=repo)
    assert rc == 1, (out, err)
    assert "leak.csv" in out
    assert str(repo) in out + err  # says which root it scanned


def test_S02_scan_of_an_aggregated_panel(tmp_path):
    f = tmp_path / "a03.csv"
    f.write_text(f"checkpoint,month,records,reason_{CANARY_HP}\n{CANARY_NIK},2023-05,1,0\nTPI A,2023-05,3,1\n")
    kinds = sorted(x.kind for x in _scan(f))
    assert kinds == ["NIK", "PHONE"], kinds


def test_S03_identifiers_in_any_csv_column(tmp_path):
    f = tmp_path / "leak.csv"
    f.write_text(f"nama,nik,umur,hp\nSiti Rahayu,{NIK1},34,{HP1}\nBudi Santoso,{NIK2},29,{HP2}\n")
    kinds = [x.kind for x in _scan(f)]
    assert kinds.count("NIK") == 2 and kinds.count("PHONE") == 2, kinds
    assert find_identifiers(f"Siti,{CANARY_HP}") and find_identifiers(f"Siti,{CANARY_NIK},25")


def test_S04_utf16_text(tmp_path):
    f = tmp_path / "export_unicode.csv"
    f.write_bytes(f"nama\tnik\nSiti\t{NIK1}\n".encode("utf-16"))
    assert "NIK" in [x.kind for x in _scan(f)]


def test_S05_parquet(tmp_path):
    f = tmp_path / "x.parquet"
    pd.DataFrame({"nik": [NIK1], "hp": [HP1], "n": [3]}).to_parquet(f)
    assert sorted(x.kind for x in _scan(f)) == ["NIK", "PHONE"]


def test_S06_data_uri_does_not_hide_what_follows(tmp_path):
    f = tmp_path / "notes.txt"
    f.write_text(f"Lampiran foto: data:image/png;base64,iVBORw0KGgo NIK {NIK1} HP {HP1} alamat Jl. Mawar\n")
    assert sorted(x.kind for x in _scan(f)) == ["NIK", "PHONE"]


@pytest.mark.parametrize(
    "text,kind",
    [
        ("kontak siti.rahayu@gmail.com", "EMAIL"),
        ("NPWP 09.254.294.3-407.000", "NPWP"),
        ("Pelapor: nama Siti Rahayu", "NAME"),
        (f"NIK{CANARY_NIK}", "NIK"),
        (f"{CANARY_NIK}.0", "NIK"),
        ("3201.0155.0190.9991", "NIK"),
        ("(0812) 9999-0001", "PHONE"),
        ("0812.9999.0001", "PHONE"),
        ("https://wa.me/6281299990001", "PHONE"),
    ],
)
def test_S07_more_identifier_shapes(tmp_path, text, kind):
    f = tmp_path / "s07.txt"
    f.write_text(text + "\n")
    assert kind in [x.kind for x in _scan(f)], text


def test_P03b_rendered_html_table(tmp_path):
    f = tmp_path / "00_public_record.html"
    f.write_text(
        "<table><tr><td>Pelapor Siti Rahayu, siti.rahayu@gmail.com, NPWP 09.254.294.3-407.000, "
        "HP 0813 7777 0002</td></tr></table>"
    )
    kinds = {x.kind for x in _scan(f)}
    assert {"NAME", "EMAIL", "NPWP", "PHONE"} <= kinds, kinds
