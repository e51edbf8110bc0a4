"""Execute project notebooks reproducibly and write them back with stable bytes.

A committed notebook must be byte-identical after a rerun on the same inputs, so after execution this module
strips what varies between runs or machines: per-cell execution timing, the kernel's Python patch version, widget
state. Execution counts are kept (they are sequential and deterministic).

:func:`run_notebooks` executes a list of notebooks in order with one progress line each (what ``tppo report`` does).

Command line (used by ``make notebooks`` and by developers after editing a notebook)::

    python -m tppo_analysis.output.notebooks notebooks/00_public_record.ipynb [more.ipynb ...]
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

import nbformat

from ..errors import TppoError

__all__ = ["execute_notebook", "normalise_notebook", "write_notebook", "run_notebooks"]

KERNEL_NAME = "python3"
_STABLE_KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": KERNEL_NAME}
_STABLE_LANGUAGE_INFO = {"name": "python", "file_extension": ".py", "mimetype": "text/x-python"}


def normalise_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Remove volatile metadata (timings, patch versions, widget state) in place and return the notebook.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The notebook, changed in place.

    Returns
    -------
    nbformat.NotebookNode
        The same notebook.
    """
    nb.metadata = nbformat.from_dict(
        {
            "kernelspec": dict(_STABLE_KERNELSPEC),
            "language_info": dict(_STABLE_LANGUAGE_INFO),
            **({"tppo": nb.metadata["tppo"]} if "tppo" in nb.metadata else {}),
        }
    )
    for i, cell in enumerate(nb.cells):
        cell.metadata.pop("execution", None)
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("collapsed", None)
        cell.metadata.pop("scrolled", None)
        cell["id"] = f"cell-{i:03d}"
        if cell.cell_type == "code":
            for out in cell.get("outputs", []):
                out.get("metadata", {}).pop("execution", None)
    nb.nbformat, nb.nbformat_minor = 4, 5
    return nb


def write_notebook(nb: nbformat.NotebookNode, path: str | os.PathLike) -> None:
    """Write a notebook with stable formatting (sorted keys, one-space indent, trailing newline).

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The notebook.
    path : str or os.PathLike
        Where to write it.
    """
    text = nbformat.writes(nb, version=4)
    if not text.endswith("\n"):
        text += "\n"
    Path(path).write_text(text, encoding="utf-8")


def execute_notebook(
    path: str | os.PathLike,
    *,
    output: str | os.PathLike | None = None,
    parameters: Mapping[str, Any] | None = None,
    timeout: int = 600,
    env: Mapping[str, str] | None = None,
) -> nbformat.NotebookNode:
    """Run a notebook top to bottom and write the normalised result.

    ``output`` defaults to the notebook itself (the committed-outputs workflow). ``parameters`` are injected after
    the cell tagged ``parameters`` (papermill's convention) — use them with ``output`` pointing outside the
    repository for restricted data, so committed notebooks are never overwritten. Raises if a cell errors.

    Parameters
    ----------
    path : str or os.PathLike
        The notebook to run.
    output : str or os.PathLike, optional
        Where to write the executed notebook (default: ``path`` itself).
    parameters : mapping, optional
        Papermill-style parameters injected after the ``parameters`` cell.
    timeout : int
        Seconds allowed per cell.
    env : mapping of str to str, optional
        Environment variables added for the kernel.

    Returns
    -------
    nbformat.NotebookNode
        The executed, normalised notebook.
    """
    from nbclient import NotebookClient

    src = Path(path)
    nb = nbformat.read(src, as_version=4)
    if parameters:
        nb = _inject_parameters(nb, parameters)
    run_env = {**os.environ, **(env or {})}
    run_env.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    run_env["PYTHONHASHSEED"] = "0"
    run_env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    old_env = dict(os.environ)
    os.environ.clear()
    os.environ.update(run_env)
    try:
        client = NotebookClient(
            nb,
            timeout=timeout,
            kernel_name=KERNEL_NAME,
            resources={"metadata": {"path": str(src.parent.resolve())}},
            record_timing=False,
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
        )
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(old_env)
    normalise_notebook(nb)
    write_notebook(nb, output if output is not None else src)
    return nb


class FromEnv:
    """A papermill parameter read from an environment variable in the kernel.

    Its value — an absolute path, which can itself identify a person or an office — then never enters the executed
    notebook or its HTML. ``shown`` is what the injected cell's comment says instead (e.g. the last component).

    Parameters
    ----------
    variable : str
        The environment variable holding the value in the kernel.
    shown : str
        What the injected cell's comment shows instead of the value.
    """

    def __init__(self, variable: str, shown: str = "") -> None:
        self.variable, self.shown = variable, shown

    def __repr__(self) -> str:
        note = f"  # {self.shown}" if self.shown else ""
        return f"__import__('os').environ[{self.variable!r}]{note}"


def _inject_parameters(nb: nbformat.NotebookNode, parameters: Mapping[str, Any]) -> nbformat.NotebookNode:
    lines = ["# Parameters injected for this run"] + [f"{k} = {v!r}" for k, v in parameters.items()]
    cell = nbformat.v4.new_code_cell("\n".join(lines))
    cell.metadata["tags"] = ["injected-parameters"]
    idx = next(
        (i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])),
        -1,
    )
    nb.cells.insert(idx + 1, cell)
    return nb


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _snapshot(folder: Path) -> dict[str, int]:
    return {p.stem: p.stat().st_mtime_ns for p in folder.glob("*.png")} if folder.is_dir() else {}


def run_notebooks(
    notebooks: list[Path],
    *,
    executed_dir: Path | None,
    figures_dir: Path,
    parameters: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    timeout: int = 600,
    stream: TextIO | None = None,
) -> dict[str, str]:
    """Execute ``notebooks`` in order, one progress line each; return figure name -> notebook stem written.

    ``executed_dir=None`` executes in place (the committed-outputs workflow); otherwise each executed notebook is
    written to ``executed_dir/<name>.ipynb`` and the source is left untouched.

    Parameters
    ----------
    notebooks : list of Path
        The notebooks, in run order.
    executed_dir : Path or None
        Where executed copies go; None runs them in place.
    figures_dir : Path
        The folder the notebooks save figures in (to record which notebook wrote which figure).
    parameters : mapping, optional
        Papermill-style parameters injected into every notebook.
    env : mapping of str to str, optional
        Environment variables added for the kernels.
    timeout : int
        Seconds allowed per cell.
    stream : file-like, optional
        Where the progress lines go (default: standard error).

    Returns
    -------
    dict of str to str
        Figure name -> stem of the notebook that wrote it.
    """
    from nbclient.exceptions import CellExecutionError

    out = stream if stream is not None else sys.stdout
    written_by: dict[str, str] = {}
    n = len(notebooks)
    if n == 0:
        print("no notebooks to run", file=out, flush=True)
    for i, nb in enumerate(notebooks, 1):
        target = nb if executed_dir is None else executed_dir / nb.name
        print(f"[{i}/{n}] {nb.name} ... ", end="", file=out, flush=True)
        before = _snapshot(figures_dir)
        start = time.perf_counter()
        try:
            execute_notebook(nb, output=target, parameters=parameters, env=env, timeout=timeout)
        except CellExecutionError as exc:
            print("FAILED", file=out, flush=True)
            detail = f"{exc.ename}: {_ANSI.sub('', str(exc.evalue)).strip()}"
            raise TppoError(
                f"notebook {nb.name} failed; nothing after it was run. {detail} (open the notebook in Jupyter for "
                "the traceback)"
            ) from None
        except Exception:
            print("FAILED", file=out, flush=True)
            raise
        after = _snapshot(figures_dir)
        made = sorted(k for k, t in after.items() if before.get(k) != t)
        for name in made:
            written_by.setdefault(name, nb.stem)
        print(
            f"ok, {len(made)} figure{'s' if len(made) != 1 else ''} ({time.perf_counter() - start:.1f} s)",
            file=out,
            flush=True,
        )
    return written_by


def main(argv: list[str] | None = None) -> int:
    """Execute the notebooks named on the command line in place (``python -m tppo_analysis.output.notebooks``).

    Parameters
    ----------
    argv : list of str, optional
        Notebook paths (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit status: 0, or 2 without a notebook.
    """
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("usage: python -m tppo_analysis.output.notebooks NOTEBOOK.ipynb [...]", file=sys.stderr)
        return 2
    for p in args:
        print(f"executing {p}", flush=True)
        execute_notebook(p)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
