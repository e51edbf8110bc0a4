"""Errors that speak to a researcher: which file, which line, which column, what is wrong.

Line numbers are counted as in the file, the header being line 1 (so the first data row is line 2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

__all__ = [
    "Problem",
    "TppoError",
    "DataValidationError",
    "CellError",
    "VillageCodeError",
    "BoundaryError",
    "FigureError",
    "problems_frame",
    "display_path",
]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where (file, line, column), the offending value and why."""

    file: str
    line: int | None
    column: str | None
    value: str | None
    reason: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f" line {self.line}"
        if self.column is not None:
            where += f", column {self.column}"
        if self.value is None:
            value = ""
        elif str(self.value) == "":
            value = "(blank): "
        else:
            value = f"{_short(self.value)!r}: "
        return f"{where}: {value}{self.reason}"


def _short(value: str, limit: int = 60) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class TppoError(Exception):
    """A user-facing error (bad input, bad option). The CLI prints its message without a traceback."""


class DataValidationError(TppoError, ValueError):
    """An input file failed validation. ``problems`` lists every problem found, not only the first."""

    def __init__(self, problems: list[Problem], *, file: str | None = None):
        self.problems = list(problems)
        self.file = file or (self.problems[0].file if self.problems else "<input>")
        super().__init__(self._message())

    def _message(self) -> str:
        n = len(self.problems)
        head = f"{self.file}: {n} problem{'s' if n != 1 else ''} found"
        shown = [f"  - {p}" for p in self.problems[:50]]
        if n > 50:
            shown.append(f"  … and {n - 50} more (see .problems)")
        return "\n".join([head, *shown])

    @property
    def table(self) -> pd.DataFrame:
        """The problems as a tidy frame: file, line, column, value, reason."""
        return problems_frame(self.problems)


class CellError(TppoError, ValueError):
    """One cell cannot be read. The message says why and what to write instead (no file/line: the caller adds it)."""


class VillageCodeError(TppoError, ValueError):
    """A village code that is neither ``PP.KK.CC.VVVV`` nor ten digits."""


class BoundaryError(TppoError):
    """A coefficient ran off to the edge of the parameter space (e.g. a holiday effect estimated as a rate ratio of
    ~0): the windows cannot bound it, so its Wald interval and every prediction using it are meaningless."""

    def __init__(self, terms: dict[str, tuple[float, float]]):
        self.terms = terms
        shown = "; ".join(f"{t}: estimate {e:.3g}, se {s:.3g}" for t, (e, s) in terms.items())
        super().__init__(f"coefficient(s) at the boundary, not bounded by these windows ({shown}); drop these terms")


class FigureError(TppoError, ValueError):
    """A figure cannot be saved as it is (no title, no source, bad name)."""


def problems_frame(problems: list[Problem]) -> pd.DataFrame:
    """Problems as a tidy frame with columns file, line, column, value, reason."""
    return pd.DataFrame(
        [(p.file, p.line, p.column, p.value, p.reason) for p in problems],
        columns=["file", "line", "column", "value", "reason"],
    ).astype({"line": "Int64"})


def display_path(path: str | Path) -> str:
    """A path as users should see it: relative to the repository when inside it, else as given."""
    from .paths import repo_root

    p = Path(path)
    try:
        return str(p.resolve().relative_to(repo_root()))
    except ValueError:
        return str(path)
