"""Counts quoted in the record's documentation, generated from the data so that the text cannot drift from the files.

``data/public/public_reported_figures.md`` and ``data/public/README.md`` quote counts of the two files (rows and IDs,
rows per measure and year, villages matched, launch-date precision). Each such passage sits between the markers
``<!-- generated: NAME -->`` and ``<!-- /generated -->``. :func:`doc_blocks` computes every passage from the committed
data, :func:`render` puts them in place, ``scripts/update_record_docs.py`` rewrites the files, and
``tests/test_record_docs.py`` fails when a committed file differs from what the data give (a hand edit, or data
changed without regenerating). Written by hand: a few string templates; no library fills Markdown from data.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from .. import paths
from ..errors import TppoError

__all__ = ["DOC_FILES", "doc_blocks", "render", "stale_docs"]

#: The documentation files whose counts are generated (relative to the repository).
DOC_FILES = ("data/public/public_reported_figures.md", "data/public/README.md")

_BLOCK = re.compile(r"(<!-- generated: (?P<name>[a-z_]+) -->)(?P<body>.*?)(<!-- /generated -->)", re.S)
_DEFERRAL_GROUPS = ("departure", "passport")
_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine"}


def doc_blocks(figures: pd.DataFrame | None = None, roster: pd.DataFrame | None = None) -> dict[str, str]:
    """Compute every generated passage from the record and the roster.

    Parameters
    ----------
    figures : pandas.DataFrame, optional
        The public record (default: :func:`~tppo_analysis.load_public_record` on the committed file).
    roster : pandas.DataFrame, optional
        The Desa Binaan roster (default: :func:`~tppo_analysis.load_desa_binaan` on the committed file).

    Returns
    -------
    dict
        Marker name -> the text that goes between its markers.
    """
    from .public_record import load_public_record
    from .roster import load_desa_binaan

    figures = load_public_record() if figures is None else figures
    roster = load_desa_binaan() if roster is None else roster
    ids = figures["figure_id"]
    by_measure = figures["measure"].value_counts()
    common, rare = by_measure[by_measure >= 7], by_measure[by_measure < 7]
    measure_text = "; ".join(f"{m} {n}" for m, n in common.items())
    if len(rare):
        measure_text += f"; others ≤ {int(rare.max())} each"
    deferrals = figures[figures["measure_group"].isin(_DEFERRAL_GROUPS)]
    years = deferrals["period_end"].dt.year.value_counts().sort_index()
    year_text = ", ".join(f"{y} ({n}{' rows' if i == 0 else ''})" for i, (y, n) in enumerate(years.items()))
    precision = roster["precision"].astype(str).value_counts()
    unknown = roster[roster["precision"].astype(str) == "unknown"]
    with_by = int(unknown["existing_by"].notna().sum())
    n_unknown = int(precision.get("unknown", 0))
    matched = roster[roster["match_status"] == "matched"]
    unmatched = roster.loc[roster["match_status"] != "matched", "village"].tolist()
    curated = int((matched["match_method"] == "curated").sum())
    return {
        "record_rows": f"{len(figures)} (`{ids.min()}` … `{ids.max()}`)",
        "record_rows_md": f"{len(figures)} rows, one per distinct publicly reported figure (IDs `{ids.min()}` … "
        f"`{ids.max()}`)",
        "roster_rows": str(len(roster)),
        "roster_md": f"{len(roster)} named Desa Binaan Imigrasi villages/kelurahan "
        f"({roster['immigration_office'].nunique()} immigration offices; {roster['province'].nunique()} provinces)",
        "measure_counts": measure_text,
        "deferral_years": year_text,
        "destination_rows": str(int((figures["destination"].str.strip() != "").sum())),
        "roster_match": f"{len(matched)} of {len(roster)} villages matched ({100 * len(matched) / len(roster):.1f} %)",
        "roster_curated": _WORDS.get(curated, str(curated)),
        "roster_unmatched": f"{len(unmatched)} unmatched ones ({', '.join(unmatched)})",
        "roster_precision": (
            f"day {int(precision.get('day', 0))}, unknown {n_unknown} ({with_by} with an `existing_by` date, "
            f"{n_unknown - with_by} with none), month {int(precision.get('month', 0))}, year "
            f"{int(precision.get('year', 0))}, approximate {int(precision.get('approximate', 0))}"
        ),
        "roster_precision_md": (
            f"exact to the day for {int(precision.get('day', 0))} villages, approximate (announcement/release date) "
            f"for {int(precision.get('approximate', 0))}, month or year only for "
            f"{int(precision.get('month', 0)) + int(precision.get('year', 0))}; the other {n_unknown} have only an "
            f'"existing by" date ({with_by}) or none ({n_unknown - with_by})'
        ),
    }


def render(text: str, blocks: dict[str, str]) -> str:
    """Fill every ``<!-- generated: NAME -->…<!-- /generated -->`` passage of a document.

    Parameters
    ----------
    text : str
        The document.
    blocks : dict
        Marker name -> text (:func:`doc_blocks`).

    Returns
    -------
    str
        The document with each passage replaced by its block.

    Raises
    ------
    TppoError
        For a marker whose name has no block (a typo in the document).
    """

    def fill(m: re.Match[str]) -> str:
        name = m.group("name")
        if name not in blocks:
            raise TppoError(f"generated passage {name!r} is unknown; known: {', '.join(sorted(blocks))}")
        return f"{m.group(1)}{blocks[name]}{m.group(4)}"

    return _BLOCK.sub(fill, text)


def stale_docs(root: str | Path | None = None) -> list[str]:
    """List the documentation files whose generated passages differ from what the committed data give.

    Parameters
    ----------
    root : str or pathlib.Path, optional
        The repository (default: this one).

    Returns
    -------
    list of str
        Paths (relative to ``root``) of :data:`DOC_FILES` that need ``scripts/update_record_docs.py``.
    """
    base = paths.repo_root() if root is None else Path(root)
    blocks = doc_blocks()
    stale = []
    for name in DOC_FILES:
        text = (base / name).read_text(encoding="utf-8")
        if render(text, blocks) != text:
            stale.append(name)
    return stale
