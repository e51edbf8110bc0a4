"""Counts in the record's documentation are generated from the data: a hand edit or a stale count fails here."""

from __future__ import annotations

import pytest

import tppo_analysis as tppo
from tppo_analysis.errors import TppoError
from tppo_analysis.sources.record_docs import DOC_FILES, doc_blocks, render, stale_docs


def test_the_committed_documentation_says_what_the_data_say():
    assert stale_docs() == [], "run: python scripts/update_record_docs.py"


def test_every_generated_passage_is_used_and_every_marker_is_known(repo_root):
    blocks = doc_blocks()
    text = "".join((repo_root / name).read_text(encoding="utf-8") for name in DOC_FILES)
    used = {name for name in blocks if f"<!-- generated: {name} -->" in text}
    assert used == set(blocks)
    with pytest.raises(TppoError, match="'roster_typo' is unknown"):
        render("a <!-- generated: roster_typo -->1<!-- /generated --> b", blocks)


def test_counts_follow_the_data_not_the_text():
    figures, roster = tppo.load_public_record(), tppo.load_desa_binaan()
    blocks = doc_blocks(figures, roster)
    # the precision counts of section 7 that once read 42/6/3/22 while the data said otherwise
    day = int((roster["precision"].astype(str) == "day").sum())
    assert blocks["roster_precision"].startswith(f"day {day}, ")
    fewer = doc_blocks(figures.iloc[:-1], roster.iloc[:-2])
    assert fewer["record_rows"].startswith(f"{len(figures) - 1} ") and fewer["roster_rows"] == str(len(roster) - 2)
    page = "n = <!-- generated: roster_rows -->999<!-- /generated -->"
    assert render(page, blocks) == f"n = <!-- generated: roster_rows -->{len(roster)}<!-- /generated -->"
