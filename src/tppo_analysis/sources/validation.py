"""Shared machinery for validating input tables and reporting every problem at once.

Loaders read files with every cell as text (so nothing is coerced silently), validate with a lazy pandera schema plus
cross-column rules, and turn each failure into a :class:`~tppo_analysis.errors.Problem` that names the file, the line
(the header is line 1, so the row at index ``i`` is line ``i + 2``), the column and the value.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

from ..errors import DataValidationError, Problem, TppoError, display_path
from ._pandera import pa
from ._read import read_table

__all__ = ["read_text_table", "schema_problems", "missing_column_problems", "finish", "line_of"]


def line_of(index: int, df: pd.DataFrame | None = None) -> int:
    """Return the file line of the data row at ``index``.

    The exact line recorded by the reader (``df.attrs["lines"]``, which accounts for skipped blank lines and quoted
    cells spanning lines), else ``index + 2`` (header = line 1).

    Parameters
    ----------
    index : int
        Position of the row in ``df`` (0 = first data row).
    df : pandas.DataFrame, optional
        The frame as read, carrying ``attrs["lines"]``.

    Returns
    -------
    int
        The line number in the file.
    """
    lines = None if df is None else df.attrs.get("lines")
    if lines is not None and 0 <= int(index) < len(lines):
        return int(lines[int(index)])
    return int(index) + 2


def read_text_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read a delimited text file with every cell as a string ('' for empty), keeping every row.

    Encoding (UTF-8, UTF-8 with BOM, Latin-1) and separator (comma, semicolon, tab) are detected by
    :func:`tppo_analysis.sources._read.read_table`; what was normalised is stored in ``df.attrs["read_notes"]``.

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    pandas.DataFrame
        Every cell a string; ``attrs["read_notes"]`` and ``attrs["lines"]`` say how it was read.
    """
    p = Path(path)
    if not p.exists():
        raise TppoError(f"{display_path(p)}: file not found")
    if p.is_dir():
        raise TppoError(f"{display_path(p)}: is a folder, expected a CSV file")
    df, notes = read_table(p)
    df.attrs["read_notes"] = list(notes)
    return df


def missing_column_problems(df: pd.DataFrame, required: Iterable[str], file: str) -> list[Problem]:
    """Return one problem per required column absent from the header (line 1).

    Parameters
    ----------
    df : pandas.DataFrame
        The table as read.
    required : iterable of str
        The columns the kind requires.
    file : str
        The file named in each problem.

    Returns
    -------
    list of Problem
        Empty when every required column is there.
    """
    present = set(df.columns)
    required = list(required)
    unexpected = present - set(required)
    problems = []
    for col in required:
        if col not in present:
            hint = _closest(col, unexpected)
            reason = "required column is missing" + (f" (found {hint!r} — renamed?)" if hint else "")
            problems.append(Problem(file, 1, col, None, reason))
    return problems


def _closest(name: str, candidates: Iterable[str]) -> str | None:
    import difflib

    match = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return match[0] if match else None


def schema_problems(df: pd.DataFrame, schema: pa.DataFrameSchema, file: str) -> list[Problem]:
    """Validate lazily against a pandera schema; every failure becomes a Problem (line = index + 2).

    Parameters
    ----------
    df : pandas.DataFrame
        The table as read.
    schema : pandera.DataFrameSchema
        The schema of its kind.
    file : str
        The file named in each problem.

    Returns
    -------
    list of Problem
        Every failure, empty when the table passes.
    """
    try:
        schema.validate(df, lazy=True)
    except pa.errors.SchemaErrors as exc:
        problems = []
        fc = exc.failure_cases
        # a frame-wide check named after a column (e.g. "population") is reported on that column only
        focus = {c.error: c.name for c in schema.checks if c.error and c.name in schema.columns}
        for row in fc.itertuples(index=False):
            if str(row.check) in focus and row.column != focus[str(row.check)]:
                continue
            idx = row.index
            line = None if idx is None or pd.isna(idx) else line_of(int(idx), df)
            column = None if row.column is None or pd.isna(row.column) else str(row.column)
            value = None if row.failure_case is None or pd.isna(row.failure_case) else str(row.failure_case)
            check = str(row.check)
            if check == "column_in_schema":
                problems.append(
                    Problem(
                        file,
                        1,
                        value,
                        None,
                        "unexpected column for this kind of file (not in its schema); remove it "
                        "or check --kind — free-text columns may hold personal data",
                    )
                )
                continue
            if check == "column_in_dataframe":
                problems.append(Problem(file, 1, value, None, "required column is missing"))
                continue
            reason = _describe_check(check, schema, column)
            if line is None and column is not None and reason.startswith("column_in_dataframe"):
                problems.append(Problem(file, 1, column, None, "required column is missing"))
                continue
            problems.append(Problem(file, line, column, value, reason))
        return problems
    return []


def _describe_check(check: str, schema: pa.DataFrameSchema, column: str | None) -> str:
    if column is not None and column in schema.columns:
        for c in schema.columns[column].checks:
            if c.name == check or str(c) == check or (c.error and check == c.error):
                return c.error or check
    return check


def finish(
    df: pd.DataFrame,
    problems: list[Problem],
    *,
    file: str,
    on_error: str,
    convert: Callable[[pd.DataFrame], pd.DataFrame],
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Raise with every problem (``on_error="raise"``) or drop the bad rows and return them with reasons.

    With ``on_error="exclude"`` returns ``(clean, excluded)``; ``excluded`` holds every excluded row as read, plus
    ``line`` and ``reasons`` (all problems of that row joined with "; "). Problems not tied to a row (a missing column)
    always raise, since no row could be loaded correctly.

    Parameters
    ----------
    df : pandas.DataFrame
        The table as read.
    problems : list of Problem
        Every problem found in it.
    file : str
        The file named in the error.
    on_error : {"raise", "exclude"}
        Raise with every problem, or drop the bad rows and return them.
    convert : callable
        Turns the clean text table into typed columns.

    Returns
    -------
    pandas.DataFrame or tuple of pandas.DataFrame
        The converted table, or ``(clean, excluded)`` with ``on_error="exclude"``.
    """
    if on_error not in ("raise", "exclude"):
        raise TppoError(f"on_error must be 'raise' or 'exclude', not {on_error!r}")
    problems = sorted(problems, key=lambda p: (p.line or 0, p.column or ""))
    if not problems:
        return convert(df) if on_error == "raise" else (convert(df), _empty_excluded(df))
    file_level = [p for p in problems if p.line is None or p.line <= 1]
    if on_error == "raise" or file_level:
        raise DataValidationError(problems, file=file)
    bad_lines = sorted({p.line for p in problems if p.line is not None})  # file-level problems raised above
    index_of_line = {line_of(i, df): i for i in range(len(df))}
    bad_index = [index_of_line[line] for line in bad_lines]
    excluded = df.loc[bad_index].copy()
    excluded.insert(0, "line", bad_lines)
    excluded["reasons"] = [
        "; ".join(f"{p.column}: {p.reason}" for p in problems if p.line == line) for line in bad_lines
    ]
    clean = df.drop(index=bad_index)
    return convert(clean), excluded.reset_index(drop=True)


def _empty_excluded(df: pd.DataFrame) -> pd.DataFrame:
    out = df.iloc[0:0].copy()
    out.insert(0, "line", pd.Series(dtype="int64"))
    out["reasons"] = pd.Series(dtype="object")
    return out
