"""`tppo report`: the static report built from a tiny notebook set (the real notebooks are too slow for unit tests).

``make_tiny_project`` is also used by tests/test_browser.py.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import nbformat
import pandas as pd
import pytest

from tppo_analysis.cli import main as tppo_main
from tppo_analysis.errors import TppoError
from tppo_analysis.output import plotting, report, tables
from tppo_analysis.privacy import scan

REPO = Path(__file__).resolve().parents[1]

#: In every fixture notebook, caption and table source: a file in the repository holding it was written by a test.
TOKEN = "tiny-fixture-5d1e"

_PARAMS = "data_dir = None\nfigures_dir = None\nresults_dir = None"
_SETUP = (
    "import pandas as pd\nimport numpy as np\nfrom tppo_analysis import paths\n"
    "from tppo_analysis.output import plotting, tables\n"
    "paths.configure(data_dir=data_dir, figures_dir=figures_dir, results_dir=results_dir)"
)


def _notebook(title: str, cells: list[str]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(_PARAMS)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        params,
        nbformat.v4.new_markdown_cell(f"# {title}\n\nA tiny fixture notebook ({TOKEN})."),
        nbformat.v4.new_code_cell(_SETUP),
    ]
    nb.cells += [nbformat.v4.new_code_cell(src) for src in cells]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:03d}"
    return nb


# Figure names built at run time ("tiny_" + "noise") are found through the execution record, not the source.
_NB_PUBLIC = [
    "df = pd.read_csv(paths.public_data_dir() / 'public_reported_figures.csv')\nprint(len(df) > 0)",
    "fig, ax = plotting.new_figure()\nax.bar(['rows'], [len(df)])\nax.set_title('Rows in the public record')\n"
    "ax.set_ylabel('rows')\nplotting.save_figure(fig, 'tiny_rows', caption='How many rows.', "
    f"source='data/public ({TOKEN})')",
    "tables.save_table(pd.DataFrame({'rows': [len(df)]}), 'tiny_rows_table', "
    f"source='data/public ({TOKEN})', public_record=True)",
]
_NB_SYNTH = [
    "rng = np.random.default_rng(1)\nfig, ax = plotting.new_figure()\nax.plot(rng.normal(size=20))\n"
    "ax.set_title('Simulated noise')\nax.set_ylabel('persons per month')\n"
    "plotting.save_figure(fig, 'tiny_' + 'noise', caption='Noise only.', "
    f"source='simulated (seed 1, {TOKEN})', synthetic=True)",
]


def make_tiny_project(root: Path) -> dict[str, Path]:
    """Return a tiny project under ``root``: two notebooks, a copy of the public data, and their figures/results.

    The figures and the table are made in this process (as the notebooks would make them), so a report can be
    rendered with ``execute=False`` in well under a second.
    """
    nbs, data, figs, res = root / "notebooks", root / "data", root / "figures", root / "results"
    nbs.mkdir(parents=True)
    nbformat.write(_notebook("Tiny public record", _NB_PUBLIC), nbs / "00_tiny_public.ipynb")
    nbformat.write(_notebook("Tiny synthetic study", _NB_SYNTH), nbs / "01_tiny_synthetic.ipynb")
    shutil.copytree(REPO / "data" / "public", data / "public")

    fig, ax = plotting.new_figure()
    ax.bar(["rows"], [3])
    ax.set_title("Rows in the public record")
    ax.set_ylabel("rows")
    plotting.save_figure(fig, "tiny_rows", caption="How many rows.", source="data/public", directory=figs)
    plt.close(fig)
    fig, ax = plotting.new_figure()
    ax.plot([1, 3, 2])
    ax.set_title("Simulated noise")
    ax.set_ylabel("persons per month")
    plotting.save_figure(
        fig, "tiny_noise", caption="Noise only.", source="simulated (seed 1)", synthetic=True, directory=figs
    )
    plt.close(fig)
    tables.save_table(
        pd.DataFrame({"rows": [3]}), "tiny_rows_table", source="data/public", public_record=True, directory=res
    )
    return {"root": root, "notebooks": nbs, "data": data, "figures": figs, "results": res}


def build_tiny_report(root: Path) -> Path:
    project = make_tiny_project(root / "project")
    return report.build_report(
        notebooks_dir=project["notebooks"],
        data_dir=project["data"],
        figures_dir=project["figures"],
        results_dir=project["results"],
        report_dir=root / "report",
        execute=False,
        stream=io.StringIO(),
    )


def _cards(index_html: str) -> dict[str, str]:
    return dict(re.findall(r'<article class="card[^"]*" id="fig-([^"]+)">(.*?)</article>', index_html, re.S))


@pytest.fixture
def tiny_report(tmp_path) -> Path:
    return build_tiny_report(tmp_path)


def test_index_has_one_card_per_figure_linked_to_its_notebook_cell(tiny_report):
    text = tiny_report.read_text(encoding="utf-8")
    cards = _cards(text)
    assert sorted(cards) == ["tiny_noise", "tiny_rows"]
    rows = cards["tiny_rows"]
    assert 'src="figures/tiny_rows.png"' in rows
    assert "How many rows." in rows and "data/public" in rows
    link = re.search(r'href="(notebooks/00_tiny_public\.html)#([^"]+)"', rows)
    assert link, rows
    page = (tiny_report.parent / link.group(1)).read_text(encoding="utf-8")
    # The anchor names the code cell that calls save_figure(..., 'tiny_rows', ...): cell 4 of the notebook.
    assert link.group(2) == "cell-id=cell-004"
    assert f'id="{link.group(2)}"' in page
    for name in ("tiny_rows", "tiny_noise"):
        assert (tiny_report.parent / "figures" / f"{name}.png").exists()


def test_synthetic_badge_only_on_synthetic_figures(tiny_report):
    cards = _cards(tiny_report.read_text(encoding="utf-8"))
    assert "SYNTHETIC" in cards["tiny_noise"] and 'class="badge synthetic"' in cards["tiny_noise"]
    assert "SYNTHETIC" not in cards["tiny_rows"]


def test_name_built_at_run_time_is_reported_not_guessed(tiny_report):
    # 'tiny_noise' never appears literally in a notebook and nothing was executed: the card says so.
    cards = _cards(tiny_report.read_text(encoding="utf-8"))
    assert "Producing notebook not found" in cards["tiny_noise"]
    assert "no notebook names this figure" in cards["tiny_noise"]


def test_no_page_loads_anything_from_the_network(tiny_report):
    pages = sorted(tiny_report.parent.rglob("*.html"))
    assert len(pages) == 3  # index + two notebooks
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert report.check_offline_html(text) == [], page
        for tag in re.findall(r"<(?:script|link)\b[^>]*>", text, re.I):
            assert "http" not in tag.lower(), (page.name, tag)
    nb_page = (tiny_report.parent / "notebooks" / "00_tiny_public.html").read_text(encoding="utf-8")
    assert "require.js" not in nb_page and "mathjax" not in nb_page.lower()


def test_external_script_tags_are_detected_and_stripped():
    page = (
        '<head><script src="https://cdn.example.org/require.min.js"></script>'
        '<link rel="stylesheet" href="//fonts.example.org/x.css"><script src="local.js"></script>'
        '<link rel="icon" href="data:,"></head>'
    )
    assert report.check_offline_html(page) == ["https://cdn.example.org/require.min.js", "//fonts.example.org/x.css"]
    stripped = report.strip_external_tags(page)
    assert report.check_offline_html(stripped) == []
    assert 'src="local.js"' in stripped and 'href="data:,"' in stripped


def test_provenance_block_lists_version_commit_data_hashes_and_dependencies(tiny_report, tmp_path):
    text = tiny_report.read_text(encoding="utf-8")
    assert 'id="provenance-block"' in text
    block = text.split('id="provenance-block"', 1)[1]
    from importlib.metadata import version

    assert version("tppo-analysis") in block
    assert f"<td>numpy</td><td>{version('numpy')}</td>" in block
    assert f"<td>matplotlib</td><td>{version('matplotlib')}</td>" in block
    assert "git commit" in block
    data = tmp_path / "project" / "data"
    files = sorted(p for p in data.rglob("*") if p.is_file())
    assert files
    for f in files:
        digest = hashlib.sha256(f.read_bytes()).hexdigest()
        assert f.relative_to(data).as_posix() in block
        assert digest in block
    prov = json.loads((tiny_report.parent / "provenance.json").read_text(encoding="utf-8"))
    assert len(prov["data_files"]) == len(files)
    assert str(tmp_path) not in text  # external data folders are named, not located


def test_result_tables_are_copied_and_linked(tiny_report):
    text = tiny_report.read_text(encoding="utf-8")
    assert 'href="results/tiny_rows_table.csv"' in text
    copied = tiny_report.parent / "results" / "tiny_rows_table.csv"
    assert pd.read_csv(copied)["rows"].tolist() == [3]


def test_figure_without_sidecar_gets_a_warning_card(tmp_path):
    project = make_tiny_project(tmp_path / "project")
    (project["figures"] / "tiny_rows.json").unlink()
    index = report.build_report(
        notebooks_dir=project["notebooks"],
        data_dir=project["data"],
        figures_dir=project["figures"],
        results_dir=project["results"],
        report_dir=tmp_path / "report",
        execute=False,
        stream=io.StringIO(),
    )
    assert "no sidecar tiny_rows.json" in _cards(index.read_text(encoding="utf-8"))["tiny_rows"]


def test_sidecar_and_figure_disagreeing_about_synthetic_is_flagged(tmp_path):
    project = make_tiny_project(tmp_path / "project")
    sidecar = project["figures"] / "tiny_noise.json"
    meta = json.loads(sidecar.read_text(encoding="utf-8"))
    meta["synthetic"] = False  # as if someone edited the sidecar by hand
    sidecar.write_text(json.dumps(meta), encoding="utf-8")
    cards = report.collect_figures(project["figures"], report.discover_notebooks(project["notebooks"]))
    noise = next(c for c in cards if c.name == "tiny_noise")
    assert not noise.synthetic
    assert any("SYNTHETIC mark" in p for p in noise.problems)
    rows = next(c for c in cards if c.name == "tiny_rows")
    assert not any("SYNTHETIC" in p for p in rows.problems)


@pytest.mark.parametrize("inside", ["report-out", "notebooks/out", "build"])
def test_output_inside_repository_is_refused_unless_under_build(inside):
    with pytest.raises(TppoError, match="inside the repository"):
        report.check_output_dir(REPO / inside)


def test_output_under_build_or_outside_repository_is_allowed(tmp_path):
    assert report.check_output_dir(REPO / "build" / "restricted") == (REPO / "build" / "restricted").resolve()
    assert report.check_output_dir(tmp_path / "x") == (tmp_path / "x").resolve()
    with pytest.raises(TppoError, match="data folder"):
        report.check_output_dir(tmp_path / "data" / "out", data_dir=tmp_path / "data")


def test_cli_refuses_out_inside_repository_with_one_line(capsys, tmp_path):
    rc = tppo_main(["report", "--data-dir", str(tmp_path), "--out", str(REPO / "figures" / "x")])
    assert rc == 1
    err = capsys.readouterr().err
    assert "inside the repository" in err and "Traceback" not in err


def test_cli_needs_out_with_data_dir(capsys, tmp_path):
    assert tppo_main(["report", "--data-dir", str(tmp_path)]) == 1
    assert "--out" in capsys.readouterr().err


def _repo_state() -> dict[str, str]:
    """Every path git reports as changed or untracked, with a hash of its bytes (so later edits show too)."""
    res = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert res.returncode == 0, res.stderr
    state = {}
    for line in res.stdout.splitlines():
        path = line[3:].split(" -> ")[-1].strip('"')
        f = REPO / path
        state[path] = line[:2] + (hashlib.sha256(f.read_bytes()).hexdigest() if f.is_file() else "")
    return state


def _written_by_us(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Return the changed paths that carry a fixture's name or TOKEN.

    Other engineers may edit the checkout meanwhile; their changes are not ours.
    """
    ours = []
    for path in sorted(set(before) | set(after)):
        if before.get(path) == after.get(path):
            continue
        f = REPO / path
        if "tiny_" in path or (f.is_file() and TOKEN.encode() in f.read_bytes()):
            ours.append(path)
    return ours


def _files_named(root: Path, stems: set[str]) -> list[Path]:
    skip = {".venv", ".git", "node_modules"}
    found = []
    for p in root.rglob("*"):
        if any(part in skip for part in p.relative_to(root).parts):
            continue
        if p.is_file() and p.name.split(".")[0] in stems:
            found.append(p)
    return found


def test_restricted_run_on_a_copy_of_the_data_writes_nothing_in_the_repository(tmp_path):
    project = make_tiny_project(tmp_path / "project")
    for sub in ("figures", "results"):  # the run must make its own
        shutil.rmtree(project[sub])
    sources = {p: p.read_bytes() for p in project["notebooks"].glob("*.ipynb")}
    before = _repo_state()
    out = tmp_path / "restricted-out"
    progress = io.StringIO()

    index = report.build_restricted_report(project["data"], out, notebooks_dir=project["notebooks"], stream=progress)

    assert _written_by_us(before, _repo_state()) == []
    assert _files_named(REPO, {"tiny_rows", "tiny_noise", "tiny_rows_table"}) == []
    assert {p: p.read_bytes() for p in project["notebooks"].glob("*.ipynb")} == sources  # never overwritten
    assert index == out.resolve() / "report" / "index.html"
    for rel in (
        "notebooks/00_tiny_public.ipynb",
        "notebooks/01_tiny_synthetic.ipynb",
        "figures/tiny_rows.png",
        "figures/tiny_noise.svg",
        "results/tiny_rows_table.csv",
        "report/notebooks/00_tiny_public.html",
    ):
        assert (out / rel).exists(), rel
    executed = nbformat.read(out / "notebooks" / "00_tiny_public.ipynb", as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and "TPPO_DATA_DIR" in injected[0].source  # read from the environment in the kernel
    assert str(project["data"].resolve()) not in nbformat.writes(executed)  # no absolute path in the notebook
    assert TOKEN in (out / "figures" / "tiny_rows.json").read_text(encoding="utf-8")  # the token does travel
    assert any(o.get("text") == "True\n" for c in executed.cells for o in c.get("outputs", []))
    lines = progress.getvalue().splitlines()
    assert lines[0].startswith("[1/2] 00_tiny_public.ipynb ... ok, 1 figure")
    assert lines[1].startswith("[2/2] 01_tiny_synthetic.ipynb ... ok, 1 figure")
    text = index.read_text(encoding="utf-8")
    assert "Restricted-data run" in text
    # The run-time name is now linked through the execution record.
    assert 'href="notebooks/01_tiny_synthetic.html"' in _cards(text)["tiny_noise"]


def test_failing_notebook_stops_the_build_with_its_name(tmp_path):
    project = make_tiny_project(tmp_path / "project")
    nb = _notebook("Broken", ["raise RuntimeError('boom in fixture')"])
    nbformat.write(nb, project["notebooks"] / "00_a_broken.ipynb")
    progress = io.StringIO()
    with pytest.raises(TppoError, match="00_a_broken.ipynb failed"):
        report.build_restricted_report(
            project["data"], tmp_path / "out", notebooks_dir=project["notebooks"], stream=progress
        )
    assert "FAILED" in progress.getvalue()
    assert not (tmp_path / "out" / "report" / "index.html").exists()


def test_cli_restricted_run_calls_the_privacy_scanner_on_out(tmp_path, monkeypatch, capsys):
    project = make_tiny_project(tmp_path / "project")
    out = tmp_path / "out"
    shutil.copytree(project["figures"], out / "figures")
    shutil.copytree(project["results"], out / "results")
    calls = []

    def scan_paths(targets, root=None):
        calls.append(([Path(t) for t in targets], Path(root)))
        return ["figures/x.json: line 3: passport X1••••••7"], 12

    monkeypatch.setattr(scan, "scan_paths", scan_paths)
    rc = tppo_main(
        [
            "report",
            "--data-dir",
            str(project["data"]),
            "--out",
            str(out),
            "--notebooks",
            str(project["notebooks"]),
            "--no-execute",
        ]
    )
    assert calls == [([out.resolve()], out.resolve())]
    assert rc == 1  # a finding fails the run
    printed = capsys.readouterr().out
    assert "1 possible personal identifier in 12 files" in printed
    assert "figures/x.json: line 3: passport" in printed
    assert (out / "report" / "index.html").exists()


def test_real_privacy_scanner_reports_an_identifier_planted_in_the_output(tmp_path):
    from tppo_analysis.privacy import KNOWN_FAKE_IDENTIFIERS

    out = tmp_path / "out"
    (out / "results").mkdir(parents=True)
    (out / "results" / "clean.csv").write_text("office,count\nA,12\n", encoding="utf-8")
    assert report.privacy_scan(out, stream=io.StringIO()) == 0
    fake = next(v for v in sorted(KNOWN_FAKE_IDENTIFIERS) if len(v) == 16 and v.isdigit())  # a (fake) NIK
    (out / "results" / "leak.csv").write_text(f"office,id\nA,{fake}\n", encoding="utf-8")
    printed = io.StringIO()
    assert report.privacy_scan(out, stream=printed) >= 1
    assert "leak.csv" in printed.getvalue() and fake not in printed.getvalue()  # reported, masked


def test_missing_privacy_scanner_is_an_error_not_a_silent_pass(monkeypatch):
    """Check that the report imports the scanner directly.

    The report imports the scanner directly: without it the report cannot even be built, so restricted output
    can never look checked when it is not.
    """
    import tppo_analysis.privacy as privacy

    monkeypatch.delattr(privacy, "scan")
    monkeypatch.setitem(sys.modules, "tppo_analysis.privacy.scan", None)
    monkeypatch.delitem(sys.modules, "tppo_analysis.output.report.build")
    with pytest.raises(ImportError):
        importlib.import_module("tppo_analysis.output.report.build")


def test_in_place_report_refuses_a_redirected_data_dir(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("TPPO_DATA_DIR", str(tmp_path))
    assert tppo_main(["report", "--no-execute"]) == 1
    assert "--data-dir" in capsys.readouterr().err
