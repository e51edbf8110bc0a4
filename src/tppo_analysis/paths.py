"""Where the project's data, figures, results and report live.

This is the one module that knows locations. Everything else asks it.

* ``data_dir()`` — input data. Default: ``data/`` at the top of the repository. The environment variable
  ``TPPO_DATA_DIR`` (or :func:`configure`) points it elsewhere, e.g. at a restricted extract that never enters git.
* ``figures_dir()`` — saved figures. Default ``figures/``; ``TPPO_FIGURES_DIR`` overrides.
* ``results_dir()`` — result tables written by notebooks (CSV with provenance). Default ``results/``;
  ``TPPO_RESULTS_DIR`` overrides.
* ``report_dir()`` — the rendered HTML report (generated, git-ignored). Default ``report/``.
* ``build_dir()`` — scratch output for runs on restricted data (git-ignored). Default ``build/``.

Paths are resolved at call time (not at import), so a notebook's papermill parameters can redirect them.
Nothing here prints or logs.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "repo_root",
    "data_dir",
    "public_data_dir",
    "figures_dir",
    "results_dir",
    "report_dir",
    "build_dir",
    "configure",
]

_OVERRIDES: dict[str, Path] = {}


def repo_root() -> Path:
    """Return the top of the source checkout (the folder holding ``pyproject.toml``)."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").exists() and (parent / "src" / "tppo_analysis").exists():
            return parent
    # Installed without a checkout: fall back to the current directory.
    return Path.cwd()


def _resolve(key: str, env: str, default: str) -> Path:
    if key in _OVERRIDES:
        return _OVERRIDES[key]
    value = os.environ.get(env)
    if value:
        return Path(value).expanduser().resolve()
    return repo_root() / default


def data_dir() -> Path:
    """Input data folder (``TPPO_DATA_DIR`` or ``data/``)."""
    return _resolve("data", "TPPO_DATA_DIR", "data")


def public_data_dir() -> Path:
    """Return the cited public record: ``<data_dir>/public`` when that folder exists, else the repository's.

    A restricted data folder (``tppo report --data-dir DIR``) holds ``DIR/restricted/`` and only optionally its own
    ``DIR/public/``: without it, the notebooks read the public record from the repository's ``data/public``.
    """
    folder = data_dir() / "public"
    return folder if folder.is_dir() else repo_root() / "data" / "public"


def figures_dir() -> Path:
    """Return the folder of saved figures (``TPPO_FIGURES_DIR`` or ``figures/``)."""
    return _resolve("figures", "TPPO_FIGURES_DIR", "figures")


def results_dir() -> Path:
    """Return the folder of result tables written by notebooks (``TPPO_RESULTS_DIR`` or ``results/``)."""
    return _resolve("results", "TPPO_RESULTS_DIR", "results")


def report_dir() -> Path:
    """Return the folder of the rendered HTML report (``TPPO_REPORT_DIR`` or ``report/``; generated, git-ignored)."""
    return _resolve("report", "TPPO_REPORT_DIR", "report")


def build_dir() -> Path:
    """Scratch output for restricted-data runs (``TPPO_BUILD_DIR`` or ``build/``; git-ignored)."""
    return _resolve("build", "TPPO_BUILD_DIR", "build")


def configure(
    *,
    data_dir: str | os.PathLike | None = None,
    figures_dir: str | os.PathLike | None = None,
    results_dir: str | os.PathLike | None = None,
    report_dir: str | os.PathLike | None = None,
    build_dir: str | os.PathLike | None = None,
) -> None:
    """Point the project at other folders for this process (``None`` leaves a location as it is).

    Notebooks call this with their papermill parameters, so one notebook runs unchanged on the embedded public data
    or on a restricted extract.

    Parameters
    ----------
    data_dir : str or os.PathLike, optional
        Folder holding ``public/``, ``reference/`` and ``geography/`` (default: ``data/`` of the repository).
    figures_dir : str or os.PathLike, optional
        Where figures are saved (default: ``figures/``).
    results_dir : str or os.PathLike, optional
        Where result tables are saved (default: ``results/``).
    report_dir : str or os.PathLike, optional
        Where the HTML report is rendered (default: ``report/``).
    build_dir : str or os.PathLike, optional
        Scratch folder for executed notebooks (default: ``build/``).
    """
    for key, value in {
        "data": data_dir,
        "figures": figures_dir,
        "results": results_dir,
        "report": report_dir,
        "build": build_dir,
    }.items():
        if value is not None:
            _OVERRIDES[key] = Path(value).expanduser().resolve()


def reset() -> None:
    """Forget every :func:`configure` override (environment variables still apply)."""
    _OVERRIDES.clear()
