"""Regenerate the counts quoted in data/public/*.md from the committed data (tppo_analysis.sources.record_docs).

Run after changing ``data/public/public_reported_figures.csv`` or ``desa_binaan_reported.csv``::

    python scripts/update_record_docs.py

``tests/test_record_docs.py`` fails until the committed documentation says what the data say.
"""

from __future__ import annotations

from tppo_analysis import paths
from tppo_analysis.sources.record_docs import DOC_FILES, doc_blocks, render


def main() -> int:
    blocks = doc_blocks()
    for name in DOC_FILES:
        path = paths.repo_root() / name
        text = path.read_text(encoding="utf-8")
        new = render(text, blocks)
        if new != text:
            path.write_text(new, encoding="utf-8")
            print(f"updated {name}")
        else:
            print(f"unchanged {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
