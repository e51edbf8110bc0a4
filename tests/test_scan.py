"""``tppo scan``: canaries planted in a notebook output or a data file are caught; the clean repository passes."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from tppo_analysis import cli
from tppo_analysis.privacy import scan
from tppo_analysis.privacy.identifiers import CANARY_NAMES, CANARY_NIKS, CANARY_PHONES

REPO = Path(__file__).resolve().parents[1]


def _canary_nik() -> str:
    return CANARY_NIKS[0]


def _canary_phone() -> str:
    return CANARY_PHONES[0]


def _notebook(path: Path, outputs: list) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Deferrals by month"),
        nbformat.v4.new_code_cell("import tppo_analysis as tppo\nsummary", outputs=outputs),
    ]
    nbformat.write(nb, path)


@pytest.fixture
def clean_copy(tmp_path: Path) -> Path:
    """Return a temporary copy of the repository's public data and a clean notebook."""
    root = tmp_path / "repo"
    shutil.copytree(REPO / "data" / "public", root / "data" / "public")
    (root / "notebooks").mkdir()
    _notebook(
        root / "notebooks" / "01_x.ipynb",
        [
            nbformat.v4.new_output(
                "execute_result", data={"text/plain": "   month  n\n0  2023-01  120"}, execution_count=1
            ),
        ],
    )
    return root


def _run(capsys, *argv) -> tuple[int, str, str]:
    rc = cli.main(["scan", *argv])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_clean_copy_passes(clean_copy, capsys):
    rc, out, err = _run(capsys, str(clean_copy))
    assert rc == 0, out
    n_files = sum(1 for p in clean_copy.rglob("*") if p.is_file())
    assert out.startswith(f"tppo scan: no personal identifiers found in {n_files} files")


def test_canary_nik_in_notebook_output_fails_the_scan_without_printing_it(clean_copy, capsys):
    nik = _canary_nik()
    nb = clean_copy / "notebooks" / "01_x.ipynb"
    _notebook(
        nb,
        [
            nbformat.v4.new_output("stream", name="stdout", text="ok\n"),
            nbformat.v4.new_output(
                "display_data", data={"text/html": f"<table><tr><td>{nik}</td></tr></table>", "text/plain": "<table>"}
            ),
        ],
    )
    rc, out, err = _run(capsys, str(clean_copy))
    assert rc == 1
    assert "notebooks/01_x.ipynb: cell 2 output 2 text/html, line 1: NIK" in out
    assert nik not in out + err
    assert f"{nik[:4]}{'•' * 8}{nik[-4:]}" in out
    assert "1 possible personal identifier in 1 file" in err


def test_canary_nik_in_data_file_fails_the_scan(clean_copy, capsys):
    nik = _canary_nik()
    csv = clean_copy / "data" / "public" / "desa_binaan_reported.csv"
    lines = csv.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[5] = lines[5].rstrip("\n") + f" NIK {nik}\n"
    csv.write_text("".join(lines), encoding="utf-8")
    rc, out, _ = _run(capsys, str(clean_copy))
    assert rc == 1
    assert out.splitlines()[0].startswith("data/public/desa_binaan_reported.csv: line 6: NIK ")
    assert nik not in out


@pytest.mark.parametrize(
    "output",
    [
        lambda v: nbformat.v4.new_output("stream", name="stderr", text=f"warning: row {v} skipped\n"),
        lambda v: nbformat.v4.new_output(
            "error", ename="ValueError", evalue=f"bad {v}", traceback=[f"\x1b[31mValueError\x1b[0m: bad {v}"]
        ),
        lambda v: nbformat.v4.new_output(
            "display_data", data={"image/svg+xml": f"<svg><text>{v}</text></svg>", "image/png": "iVBORw0KGgo="}
        ),
        lambda v: nbformat.v4.new_output("display_data", data={"application/json": {"nik": v}}),
        lambda v: nbformat.v4.new_output(
            "display_data", data={"image/png": "iVBORw0KGgo="}, metadata={"image/png": {"alt": f"chart of {v}"}}
        ),
    ],
    ids=["stderr", "traceback", "svg", "json", "image-alt-text"],
)
def test_every_output_kind_is_scanned(clean_copy, capsys, output):
    _notebook(clean_copy / "notebooks" / "01_x.ipynb", [output(_canary_nik())])
    rc, out, _ = _run(capsys, str(clean_copy))
    assert rc == 1 and "cell 2 output 1" in out and ": NIK " in out


def test_cell_source_phone_and_svg_file_are_scanned(clean_copy, capsys):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(f"contact = '{_canary_phone()}'")]
    nbformat.write(nb, clean_copy / "notebooks" / "02_y.ipynb")
    (clean_copy / "figures").mkdir()
    (clean_copy / "figures" / "f.svg").write_text("<svg><title>paspor X9999001</title></svg>", encoding="utf-8")
    rc, out, _ = _run(capsys, str(clean_copy))
    assert rc == 1
    assert "notebooks/02_y.ipynb: cell 1 source, line 1: PHONE" in out
    assert "figures/f.svg: line 1: PASSPORT" in out


def test_canary_names_from_the_synthetic_generator_are_caught(clean_copy, capsys):
    names = CANARY_NAMES
    _notebook(
        clean_copy / "notebooks" / "01_x.ipynb",
        [nbformat.v4.new_output("execute_result", data={"text/plain": f"0  {names[0]}  2023-01"}, execution_count=1)],
    )
    rc, out, _ = _run(capsys, str(clean_copy))
    assert rc == 1 and "CANARY_NAME" in out and names[0] not in out


def test_canaries_are_ignored_only_in_their_home_files(tmp_path):
    nik = _canary_nik()
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "fixture.csv").write_text(f"keterangan\n{nik}\n", encoding="utf-8")
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "table.csv").write_text(f"keterangan\n{nik}\n", encoding="utf-8")
    findings, scanned = scan.scan_paths([tmp_path])
    assert scanned == 2
    assert [f.file for f in findings] == ["results/table.csv"]


def test_repository_is_clean(capsys):
    rc, out, err = _run(capsys)
    assert rc == 0, out + err
    assert "no personal identifiers found" in out


def test_no_false_positives_on_public_record_urls_dates_and_codes():
    # The public record is full of news URLs with long article IDs, dates and numbers: nothing may match.
    for name in ("public_reported_figures.csv", "desa_binaan_reported.csv", "public_reported_figures.md"):
        text = (REPO / "data" / "public" / name).read_text(encoding="utf-8")
        assert scan.scan_text(text, file=name) == []
    sample = (
        "https://www.kompas.com/read/2023/05/25/3201015501909991/x 32.01.01.2001 3201012001 "
        "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 0.3201015501909991 "
        "2023-05-01 PRF-0001 fig-0001 1.5e-05"
    )
    assert scan.scan_text(sample, file="x") == []


def test_missing_path_is_a_clear_error(capsys):
    rc, out, err = _run(capsys, "/nonexistent/folder")
    assert rc == 1 and "no such file or folder" in err and "Traceback" not in err


def test_embedded_base64_images_are_not_read_as_text(tmp_path):
    nik = _canary_nik()
    page = tmp_path / "index.html"
    page.write_text(f'<img alt="chart" src="data:image/png;base64,iVBO+{nik}/AAA=="><p>ok</p>', encoding="utf-8")
    assert scan.scan_paths([page], root=tmp_path)[0] == []
    page.write_text(f'<img alt="NIK {nik}" src="data:image/png;base64,iVBO=">', encoding="utf-8")
    assert [f.kind for f in scan.scan_paths([page], root=tmp_path)[0]] == ["NIK"]


def test_every_synthetic_canary_is_detectable():
    from tppo_analysis.privacy import find_identifiers

    for value in (*CANARY_NIKS, *CANARY_PHONES):
        assert find_identifiers(f"catatan: {value}."), "canary not detectable"
