"""Building the report, on the embedded data or on a restricted data folder.

Building the report: in place on the embedded data, or on a restricted data folder with everything written
outside the repository and the privacy scanner run over it.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TextIO

from ... import paths
from ...errors import DataValidationError, OutputLocationError, Problem, TppoError
from ...privacy import scan
from ...provenance import collect_provenance
from ..notebooks import FromEnv, run_notebooks
from .figures import collect_figures, discover_notebooks
from .html import _exporter, check_offline_html, render_index, render_notebook_html

__all__ = ["build_report", "build_restricted_report", "check_output_dir", "privacy_scan", "ENV_KEYS"]

#: Papermill parameter -> the environment variable that points the package at the same folder.
ENV_KEYS = {"data_dir": "TPPO_DATA_DIR", "figures_dir": "TPPO_FIGURES_DIR", "results_dir": "TPPO_RESULTS_DIR"}


def _copy_files(src: Path, dst: Path, patterns: Iterable[str]) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for pattern in patterns:
        for f in sorted(src.glob(pattern)) if src.is_dir() else []:
            shutil.copyfile(f, dst / f.name)


def build_report(
    *,
    notebooks_dir: str | os.PathLike | None = None,
    data_dir: str | os.PathLike | None = None,
    figures_dir: str | os.PathLike | None = None,
    results_dir: str | os.PathLike | None = None,
    report_dir: str | os.PathLike | None = None,
    executed_dir: str | os.PathLike | None = None,
    parameters: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    execute: bool = True,
    restricted: bool = False,
    timeout: int = 600,
    stream: TextIO | None = None,
) -> Path:
    """Execute the notebooks (unless ``execute=False``) and render the HTML report; return ``index.html``.

    Parameters
    ----------
    notebooks_dir : str or os.PathLike, optional
        Folder of ``*.ipynb`` run in name order (default ``notebooks/``).
    data_dir : str or os.PathLike, optional
        The data folder (default :func:`tppo_analysis.paths.data_dir`); only read, for the provenance hashes.
    figures_dir : str or os.PathLike, optional
        The figures folder (default :func:`tppo_analysis.paths.figures_dir`).
    results_dir : str or os.PathLike, optional
        The result tables folder (default :func:`tppo_analysis.paths.results_dir`).
    report_dir : str or os.PathLike, optional
        Where the HTML is written (default :func:`tppo_analysis.paths.report_dir`).
    executed_dir : str or os.PathLike, optional
        ``None`` executes the notebooks in place; a folder receives the executed copies instead.
    parameters : mapping, optional
        Papermill-style parameters, passed to :func:`tppo_analysis.output.notebooks.execute_notebook`.
    env : mapping of str to str, optional
        Environment variables for the kernels.
    execute : bool
        ``False`` renders from the notebooks' saved outputs and the figures already on disk (fast; used in tests).
    restricted : bool
        Label the report as a restricted-data run.
    timeout : int
        Seconds allowed per cell.
    stream : file-like, optional
        Where progress lines go (default standard output).
    """
    out = stream if stream is not None else sys.stdout
    notebooks = discover_notebooks(notebooks_dir)
    data = Path(data_dir) if data_dir is not None else paths.data_dir()
    figs = Path(figures_dir) if figures_dir is not None else paths.figures_dir()
    res = Path(results_dir) if results_dir is not None else paths.results_dir()
    rep = Path(report_dir) if report_dir is not None else paths.report_dir()
    executed_to = Path(executed_dir) if executed_dir is not None else None

    written_by: dict[str, str] = {}
    if execute:
        if executed_to is not None:
            executed_to.mkdir(parents=True, exist_ok=True)
        written_by = run_notebooks(
            notebooks,
            executed_dir=executed_to,
            figures_dir=figs,
            parameters=parameters,
            env=env,
            timeout=timeout,
            stream=out,
        )
    executed = [executed_to / nb.name if executed_to is not None else nb for nb in notebooks]
    executed = [p if p.exists() else nb for p, nb in zip(executed, notebooks, strict=True)]

    print(f"rendering the HTML report ({len(executed)} notebooks) ... ", end="", file=out, flush=True)
    start = time.perf_counter()
    rep.mkdir(parents=True, exist_ok=True)
    for sub in ("figures", "results", "notebooks"):
        if (rep / sub).exists():
            shutil.rmtree(rep / sub)
    _copy_files(figs, rep / "figures", ["*.png", "*.svg", "*.json"])
    _copy_files(res, rep / "results", ["*.csv", "*.meta.json"])
    (rep / "notebooks").mkdir()
    exporter = _exporter()
    for nb in executed:
        render_notebook_html(nb, rep / "notebooks" / f"{nb.stem}.html", exporter)
        shutil.copyfile(nb, rep / "notebooks" / nb.name)
    cards = collect_figures(figs, executed, written_by)
    provenance = collect_provenance(data, executed)
    index = rep / "index.html"
    front, front_problem = _front(cards, res, data, restricted)
    text = render_index(
        cards=cards, notebooks=executed, results_dir=res, provenance=provenance, restricted=restricted, front=front
    )
    leaks = check_offline_html(text)
    if leaks:  # pragma: no cover - the index template has no external tags
        raise TppoError(f"index.html would load from the network: {', '.join(leaks)}")
    index.write_text(text, encoding="utf-8")
    (rep / "provenance.json").write_text(json.dumps(provenance, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"ok ({time.perf_counter() - start:.1f} s)", file=out, flush=True)
    if front_problem and not restricted:
        print(f"  warning: no findings on the first screen: {front_problem}", file=out, flush=True)
    problems = [f"{c.name}: {p}" for c in cards for p in c.problems]
    for p in problems:
        print(f"  warning: figure {p}", file=out, flush=True)
    print(f"report: {_shown(index)} ({len(cards)} figures, {len(executed)} notebooks)", file=out, flush=True)
    return index


def _front(cards, results_dir: Path, data_dir: Path, restricted: bool) -> tuple[str, str | None]:
    """Render the first screen; return it with the reason findings could not be built (or None)."""
    from .findings import FINDINGS, build_findings
    from .front import render_front

    findings, problem = None, None
    if restricted:
        problem = "a restricted-data run shows no findings from the public record; see the public report"
    else:
        try:
            findings = build_findings(FINDINGS, results_dir)
        except TppoError as exc:
            problem = str(exc)
    n_figures = n_outlets = None
    record = data_dir / "public" / "public_reported_figures.csv"
    if not restricted and record.exists():
        import pandas as pd

        table = pd.read_csv(record, dtype=str, keep_default_na=False)
        n_figures, n_outlets = len(table), int(table["source_outlet"].nunique())
    html = render_front(
        findings=findings, problem=problem, cards=cards, results_dir=results_dir, n_figures=n_figures,
        n_outlets=n_outlets,
    )  # fmt: skip
    return html, problem


def _shown(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


def _inside(child: Path, parent: Path) -> bool:
    try:
        child.relative_to(parent)
        return True
    except ValueError:
        return False


#: Folders the build writes under ``--out``: none of them may lead back into the repository.
OUT_SUBFOLDERS = ("notebooks", "figures", "results", "report", "build")


def check_output_dir(out: str | os.PathLike, data_dir: str | os.PathLike | None = None) -> Path:
    """Resolve ``--out`` and refuse any place from which a restricted run could write into the repository.

    Refused (:class:`~tppo_analysis.errors.OutputLocationError`): a folder inside the repository other than under
    the repository's own git-ignored ``build/`` (``TPPO_BUILD_DIR`` cannot widen this: a build folder that holds the
    repository counts as the repository); a folder that contains the repository; a symbolic link; a folder whose
    ``notebooks/``, ``figures/``, ``results/``, ``report/`` or ``build/`` is a link or resolves into the repository;
    a folder inside, or containing, the data folder.

    Parameters
    ----------
    out : str or os.PathLike
        The ``--out`` folder.
    data_dir : str or os.PathLike, optional
        The ``--data-dir`` folder, which ``out`` must neither contain nor lie in.

    Returns
    -------
    Path
        ``out``, resolved.
    """
    given = Path(out).expanduser()
    if given.is_symlink():
        raise OutputLocationError(f"--out {out}: is a symbolic link; give a real folder")
    target = given.resolve()
    repo = paths.repo_root().resolve()
    build = (repo / "build").resolve()
    allowed = _inside(target, build) and target != build and not _inside(repo, build)
    if _inside(repo, target):
        raise OutputLocationError(f"--out {out}: contains the repository; give a folder outside it or under build/")
    if _inside(target, repo) and not allowed:
        raise OutputLocationError(
            f"--out {out}: inside the repository; restricted-data output must go outside it or under build/ "
            "(git-ignored), e.g. --out build/restricted"
        )
    for sub in OUT_SUBFOLDERS:
        p = target / sub
        if p.is_symlink() or (p.exists() and _inside(p.resolve(), repo) and not _inside(p.resolve(), build)):
            raise OutputLocationError(
                f"--out {out}: {sub}/ inside it is a link (or leads into the repository); use a new, empty folder"
            )
    if data_dir is not None:
        data = Path(data_dir).expanduser().resolve()
        if _inside(target, data) or _inside(data, target):
            raise OutputLocationError(f"--out {out}: must not contain or lie inside the data folder")
    return target


def check_data_dir(data_dir: str | os.PathLike) -> Path:
    """Check a ``--data-dir`` folder before any notebook runs; one error naming every missing file.

    Layout (``docs/restricted_extract_formats.md``): ``DIR/public/`` (optional; without it the public record comes
    from the repository) must hold the same CSV files as the repository's ``data/public/``; ``DIR/restricted/``
    (optional; without it the effect notebooks run on the synthetic panel) must hold ``desa_binaan.csv`` and at least
    one of ``deferral_records.csv``, ``passport_records.csv``, ``village_panel.csv``.

    Parameters
    ----------
    data_dir : str or os.PathLike
        The ``--data-dir`` folder.

    Returns
    -------
    Path
        The folder, resolved.
    """
    from ...sources.extracts import restricted_files

    data = Path(data_dir).expanduser().resolve()
    if not data.is_dir():
        raise TppoError(f"--data-dir {Path(data_dir).name}: no such folder")
    problems = []
    public = data / "public"
    if public.is_dir():
        needed = sorted(p.name for p in (paths.repo_root() / "data" / "public").glob("*.csv"))
        problems += [
            Problem(
                f"public/{n}",
                None,
                None,
                None,
                "missing (needed by the notebooks; or remove public/ to use the repository's public record)",
            )
            for n in needed
            if not (public / n).is_file()
        ]
    try:
        restricted_files(data)
    except DataValidationError as exc:
        problems += exc.problems
    if problems:
        raise DataValidationError(problems, file=f"--data-dir {data.name}")
    return data


def build_restricted_report(
    data_dir: str | os.PathLike,
    out: str | os.PathLike,
    *,
    notebooks_dir: str | os.PathLike | None = None,
    execute: bool = True,
    timeout: int = 600,
    stream: TextIO | None = None,
) -> Path:
    """Run the notebooks on ``data_dir`` and write everything under ``out``; return ``out/report/index.html``.

    Layout: ``out/notebooks/*.ipynb`` (executed copies), ``out/figures``, ``out/results``, ``out/report``. The
    notebooks receive ``data_dir``, ``figures_dir`` and ``results_dir`` as papermill-style parameters and the same
    locations through ``TPPO_*`` environment variables (for code that does not take the parameters).

    Parameters
    ----------
    data_dir : str or os.PathLike
        The restricted data folder (``docs/restricted_extract_formats.md``).
    out : str or os.PathLike
        The output folder (outside the repository, or under ``build/``; :func:`check_output_dir`).
    notebooks_dir : str or os.PathLike, optional
        Folder of notebooks to run (default ``notebooks/``).
    execute : bool
        Run the notebooks (False renders saved outputs; tests only).
    timeout : int
        Seconds allowed per cell.
    stream : file-like, optional
        Where progress lines go.

    Returns
    -------
    Path
        ``out/report/index.html``.
    """
    data = check_data_dir(data_dir)
    target = check_output_dir(out, data)
    layout = {
        "data_dir": data,
        "figures_dir": target / "figures",
        "results_dir": target / "results",
    }
    for key in ("figures_dir", "results_dir"):
        layout[key].mkdir(parents=True, exist_ok=True)
    env = {ENV_KEYS[k]: str(v) for k, v in layout.items()}
    shown = {"data_dir": f"data folder '{data.name}'", "figures_dir": "OUT/figures", "results_dir": "OUT/results"}
    parameters = {k: FromEnv(ENV_KEYS[k], shown[k]) for k in layout}
    env["TPPO_REPORT_DIR"] = str(target / "report")
    env["TPPO_BUILD_DIR"] = str(target / "build")
    return build_report(
        notebooks_dir=notebooks_dir,
        data_dir=data,
        figures_dir=layout["figures_dir"],
        results_dir=layout["results_dir"],
        report_dir=target / "report",
        executed_dir=target / "notebooks",
        parameters=parameters,
        env=env,
        execute=execute,
        restricted=True,
        timeout=timeout,
        stream=stream,
    )


def privacy_scan(target: Path, stream: TextIO | None = None) -> int:
    """Run the privacy scanner (:func:`tppo_analysis.privacy.scan.scan_paths`) over ``target``; print and return the number of findings.

    Findings are printed as the scanner formats them (file relative to ``target``, where, kind, masked value).

    Parameters
    ----------
    target : Path
        The folder scanned.
    stream : file-like, optional
        Where findings are printed (default standard output).

    Returns
    -------
    int
        The number of findings (0 when nothing identifying was found).
    """
    out = stream if stream is not None else sys.stdout
    print(f"privacy scan of {target} ... ", end="", file=out, flush=True)
    findings, scanned = scan.scan_paths([target], root=target)
    n = len(findings)
    if n == 0:
        print(f"no personal identifiers found in {scanned} files", file=out, flush=True)
    else:
        print(
            f"{n} possible personal identifier{'s' if n != 1 else ''} in {scanned} files (values masked):",
            file=out,
            flush=True,
        )
        for f in findings[:100]:
            print(f"  {f}", file=out, flush=True)
        if n > 100:
            print(f"  ... and {n - 100} more", file=out, flush=True)
    return n
