"""The report's figures: the project notebooks in run order and one card per saved figure (sidecar + notebook)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ... import paths
from ...errors import TppoError

__all__ = ["FigureCard", "discover_notebooks", "collect_figures"]


@dataclass(frozen=True)
class FigureCard:
    """One figure as shown on the index: files, sidecar text and where it was produced."""

    name: str
    title: str
    caption: str
    source: str
    synthetic: bool
    png: str
    svg: str | None
    notebook: str | None = None  # notebook stem
    cell_id: str | None = None  # nbformat cell id of the code cell that names the figure
    problems: tuple[str, ...] = field(default_factory=tuple)


def discover_notebooks(notebooks_dir: str | os.PathLike | None = None) -> list[Path]:
    """Return the project notebooks in run order (``NN_name.ipynb``, sorted by name; checkpoints skipped).

    Parameters
    ----------
    notebooks_dir : str or os.PathLike, optional
        Folder of notebooks (default: ``notebooks/`` of the repository).

    Returns
    -------
    list of Path
        The notebooks, sorted by name.
    """
    folder = Path(notebooks_dir) if notebooks_dir is not None else paths.repo_root() / "notebooks"
    if not folder.is_dir():
        raise TppoError(f"notebook folder {folder} does not exist")
    return sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))


def _figure_mentions(nb_path: Path, name: str) -> str | None:
    """Cell id of the first code cell whose source names the figure, else ``None``."""
    import nbformat

    nb = nbformat.read(nb_path, as_version=4)
    pattern = re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])")
    for cell in nb.cells:
        if cell.cell_type == "code" and pattern.search(cell.source):
            return cell.get("id")
    return None


def collect_figures(
    figures_dir: Path,
    notebooks: list[Path],
    written_by: Mapping[str, str] | None = None,
) -> list[FigureCard]:
    """Return one card per ``<figures>/*.png``, described by its JSON sidecar and linked to the notebook that made it.

    The producing notebook is found by searching the notebook sources for the figure name; ``written_by`` (figure
    name -> notebook stem, recorded while executing) is the fallback for names built at run time.

    Parameters
    ----------
    figures_dir : Path
        Folder of saved figures (``.png`` with ``.json`` sidecars).
    notebooks : list of Path
        The notebooks that may have written them.
    written_by : mapping of str to str, optional
        Figure name -> notebook stem, recorded while executing.

    Returns
    -------
    list of FigureCard
        One card per figure, sorted by name.
    """
    written_by = dict(written_by or {})
    order = {nb.stem: i for i, nb in enumerate(notebooks)}
    cards = []
    for png in sorted(figures_dir.glob("*.png")) if figures_dir.is_dir() else []:
        name = png.stem
        problems: list[str] = []
        sidecar_path = png.with_suffix(".json")
        meta: dict[str, Any] = {}
        if sidecar_path.exists():
            try:
                meta = json.loads(sidecar_path.read_text(encoding="utf-8"))
            except json.JSONDecodeError as exc:
                problems.append(f"sidecar {sidecar_path.name} is not valid JSON ({exc.msg}, line {exc.lineno})")
        else:
            problems.append(f"no sidecar {sidecar_path.name}: saved without tppo_analysis.output.plotting.save_figure?")
        notebook = cell_id = None
        for nb in notebooks:
            found = _figure_mentions(nb, name)
            if found is not None:
                notebook, cell_id = nb.stem, found
                break
        if notebook is None and name in written_by:
            notebook = written_by[name]
        if notebook is None:
            problems.append("no notebook names this figure")
        svg = png.with_suffix(".svg")
        synthetic = bool(meta.get("synthetic", False))
        if svg.exists() and meta:
            from ..plotting import SYNTHETIC_LABEL

            marked = SYNTHETIC_LABEL in svg.read_text(encoding="utf-8", errors="replace")
            if synthetic and not marked:
                problems.append("sidecar says synthetic but the figure carries no SYNTHETIC mark")
            elif marked and not synthetic:
                problems.append("figure carries the SYNTHETIC mark but its sidecar says it is not synthetic")
        cards.append(
            FigureCard(
                name=name,
                title=str(meta.get("title") or name),
                caption=str(meta.get("caption") or ""),
                source=str(meta.get("source") or ""),
                synthetic=synthetic,
                png=png.name,
                svg=svg.name if svg.exists() else None,
                notebook=notebook,
                cell_id=cell_id,
                problems=tuple(problems),
            )
        )
    cards.sort(key=lambda c: (order.get(c.notebook, len(order)) if c.notebook else len(order) + 1, c.name))
    return cards
