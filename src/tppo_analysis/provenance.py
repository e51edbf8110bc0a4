"""Provenance: which package version and which data produced a result.

Notebooks print :func:`provenance_line` in a cell tagged ``nbval-ignore-output`` (the hash changes when the data
does, which is the point; nbval must not fail on it), and result CSVs carry :func:`provenance_header`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

__all__ = ["sha256_file", "data_fingerprint", "provenance_line", "package_version"]


def package_version() -> str:
    """The installed version of tppo-analysis."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tppo-analysis")
    except PackageNotFoundError:  # running from a source tree without install
        return "0+unknown"


def sha256_file(path: str | os.PathLike) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def data_fingerprint(paths: Iterable[str | os.PathLike]) -> str:
    """One short sha256 over the named files (name and bytes, sorted by name): changes when any input does."""
    h = hashlib.sha256()
    for p in sorted(Path(x) for x in paths):
        h.update(p.name.encode())
        h.update(sha256_file(p).encode())
    return h.hexdigest()[:16]


def provenance_line(paths: Iterable[str | os.PathLike]) -> str:
    """``tppo-analysis X.Y.Z; data sha256 <16 hex> over N files`` for a notebook's version cell."""
    paths = list(paths)
    return f"tppo-analysis {package_version()}; data sha256 {data_fingerprint(paths)} over {len(paths)} files"
