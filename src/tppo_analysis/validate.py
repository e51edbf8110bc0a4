"""``tppo validate PATH [--kind KIND]``: check an input file against its schema and list every problem.

Kinds: ``public_record`` (the cited public record), ``desa_binaan`` (the Desa Binaan roster) and the restricted
extracts defined in :mod:`tppo_analysis.schemas_restricted` (e.g. ``deferral_records``, ``village_panel``). Without
``--kind`` the kind is inferred from the header. Exit status 0 with a one-line summary when the file is valid; 1 with
one line per problem (file, line — the header is line 1 — column, value, reason) otherwise.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from .errors import DataValidationError, TppoError, display_path

__all__ = ["validate_file", "infer_kind", "KINDS", "configure_parser", "run"]


def _public_record(path: Path) -> pd.DataFrame:
    from .sources.public_record import load_public_record

    return load_public_record(path)


def _desa_binaan(path: Path) -> pd.DataFrame:
    from .sources.roster import load_desa_binaan

    return load_desa_binaan(path)


def _restricted_kinds() -> dict:
    try:
        from .schemas_restricted import RESTRICTED_KINDS
    except ImportError:
        return {}
    return dict(RESTRICTED_KINDS)


def _restricted(kind: str) -> Callable[[Path], pd.DataFrame]:
    def check(path: Path) -> pd.DataFrame:
        from . import schemas_restricted

        if hasattr(schemas_restricted, "validate_restricted"):
            return schemas_restricted.validate_restricted(path, kind)
        from .validation import finish, missing_column_problems, read_text_table, schema_problems

        schema = schemas_restricted.RESTRICTED_KINDS[kind]
        df = read_text_table(path)
        file = display_path(path)
        required = getattr(schemas_restricted, "REQUIRED_COLUMNS", {}).get(
            kind, [c for c, col in schema.columns.items() if col.required])
        problems = missing_column_problems(df, required, file)
        if not problems:
            problems = schema_problems(df, schema, file)
        return finish(df, problems, file=file, on_error="raise", convert=lambda d: d)

    return check


def kinds() -> dict[str, Callable[[Path], pd.DataFrame]]:
    """Every kind ``tppo validate`` knows, mapped to a checker returning the validated frame."""
    out: dict[str, Callable[[Path], pd.DataFrame]] = {"public_record": _public_record, "desa_binaan": _desa_binaan}
    for name in _restricted_kinds():
        out[name] = _restricted(name)
    return out


KINDS = ("public_record", "desa_binaan")  # plus the restricted kinds, see kinds()

_SIGNATURES = {
    "public_record": {"figure_id", "measure", "period_end", "source_url"},
    "desa_binaan": {"village", "launch_date", "launch_date_precision"},
}


def infer_kind(path: str | os.PathLike) -> str:
    """Guess the kind of an input file from its header line."""
    from .validation import read_text_table

    header = set(read_text_table(path).columns)
    candidates = [k for k, cols in _SIGNATURES.items() if cols <= header]
    for name, schema in _restricted_kinds().items():
        required = {c for c, col in schema.columns.items() if col.required}
        if required and required <= header:
            candidates.append(name)
    if len(candidates) == 1:
        return candidates[0]
    known = ", ".join(sorted(kinds()))
    if not candidates:
        raise TppoError(f"{display_path(path)}: cannot tell what kind of file this is from its header; "
                        f"pass --kind (one of: {known})")
    raise TppoError(f"{display_path(path)}: header fits several kinds ({', '.join(candidates)}); pass --kind")


def validate_file(path: str | os.PathLike, kind: str | None = None) -> tuple[str, int, list[str]]:
    """Validate one file; return ``(kind, number of rows, read notes)`` or raise with every problem.

    The read notes say what was normalised on reading (encoding, separator, skipped blank lines), so nothing changes
    without being said.
    """
    p = Path(path)
    available = kinds()
    kind = kind or infer_kind(p)
    if kind not in available:
        raise TppoError(f"unknown kind {kind!r}; choose one of: {', '.join(sorted(available))}")
    result = available[kind](p)
    notes = list(getattr(result, "attrs", {}).get("read_notes", []))
    return kind, len(result), notes


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", help="the file to check (CSV)")
    parser.add_argument("--kind", help="file kind (default: inferred from the header)")


def run(args: argparse.Namespace) -> int:
    try:
        kind, n, notes = validate_file(args.path, args.kind)
    except DataValidationError as exc:
        print(f"{exc.file}: {len(exc.problems)} problem{'s' if len(exc.problems) != 1 else ''} ({args.kind or 'kind inferred'})",
              file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    for note in notes:
        print(f"  note: {note}", file=sys.stderr)
    print(f"{display_path(args.path)}: valid {kind}, {n} rows")
    return 0
