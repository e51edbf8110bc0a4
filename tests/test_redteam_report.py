"""Red-team rows P04 P05 P06 P07 P09 (tppo report --data-dir / --out, offline guard): failed at 0b602d9."""

from __future__ import annotations

import nbformat
import pytest

from redteam_helpers import no_traceback, tppo
from tppo_analysis import paths
from tppo_analysis.output.report.build import check_output_dir
from tppo_analysis.output.report.html import check_offline_html, strip_external_tags


def _raises_location_error(fn, *a, **k):
    try:
        fn(*a, **k)
    except ValueError as exc:  # OutputLocationError / TppoError are ValueErrors in the new layout
        return exc
    except Exception as exc:  # old layout: TppoError is not a ValueError
        if type(exc).__name__ in ("TppoError", "OutputLocationError"):
            return exc
        raise
    return None


def test_P04_build_dir_containing_the_repository(monkeypatch):
    repo = paths.repo_root()
    monkeypatch.setenv("TPPO_BUILD_DIR", str(repo.parent))
    assert _raises_location_error(check_output_dir, repo) is not None
    assert _raises_location_error(check_output_dir, repo.parent) is not None


def test_P05_symlinked_subfolder_inside_out(tmp_path):
    out = tmp_path / "out_sym"
    out.mkdir()
    (out / "notebooks").symlink_to(paths.repo_root() / "notebooks")
    assert _raises_location_error(check_output_dir, out) is not None


def _tiny_notebook(folder):
    folder.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook()
    p = nbformat.v4.new_code_cell("data_dir = None\nfigures_dir = None\nresults_dir = None")
    p.metadata["tags"] = ["parameters"]
    nb.cells = [p, nbformat.v4.new_code_cell("print('ok')")]
    nbformat.write(nb, folder / "00_tiny.ipynb")
    return folder


def test_P06_missing_file_in_the_data_folder_is_one_clear_error(tmp_path):
    data = tmp_path / "data_missing"
    (data / "public").mkdir(parents=True)
    nbs = tmp_path / "nb"
    nbs.mkdir()
    nb00 = paths.repo_root() / "notebooks" / "00_public_record.ipynb"
    (nbs / nb00.name).write_bytes(nb00.read_bytes())
    rc, out, err = tppo("report", "--data-dir", data, "--out", tmp_path / "out", "--notebooks", nbs)
    assert rc == 1 and no_traceback(err) and "Traceback" not in out, (out, err)
    assert "public_reported_figures.csv" in err and len(err.strip().splitlines()) <= 3, err


def test_P07_no_absolute_paths_in_executed_notebooks_or_html(tmp_path):
    data = tmp_path / "secret_office_data"
    data.mkdir()
    nbs = _tiny_notebook(tmp_path / "nb")
    out = tmp_path / "out_full"
    rc, o, err = tppo("report", "--data-dir", data, "--out", out, "--notebooks", nbs)
    assert rc == 0, (o, err)
    for f in list(out.rglob("*.ipynb")) + list(out.rglob("*.html")) + list(out.rglob("*.json")):
        text = f.read_text(encoding="utf-8")
        assert str(tmp_path) not in text, f


EXTERNAL = [
    '<img src="https://evil.example/p.png">',
    '<iframe src="https://evil.example/"></iframe>',
    '<object data="https://evil.example/x"></object>',
    '<svg><image href="https://evil.example/i.png"/></svg>',
    '<img srcset="https://evil.example/a.png 1x">',
    '<div style="background:url(https://evil.example/b.png)"></div>',
    "<style>@import url(https://evil.example/c.css);</style>",
    '<video src="//evil.example/v.mp4"></video>',
]


@pytest.mark.parametrize("tag", EXTERNAL)
def test_P09_offline_guard_catches_every_network_fetch(tag):
    assert check_offline_html(f"<html><body>{tag}</body></html>"), tag
    assert not check_offline_html(strip_external_tags(f"<html><body>{tag}</body></html>"))
