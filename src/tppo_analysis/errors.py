"""Every error the package raises, in one place: errors that speak to a researcher.

Data errors say which file, which line, which column and what is wrong; line numbers are counted as in the file,
the header being line 1 (so the first data row is line 2). :class:`TppoError` is a :class:`ValueError`, so every
error here is one too: ``except ValueError`` keeps working for callers that do not know this package.

Callers tell errors apart by class, never by message text. Fits never raise for data they can represent: they
return a result whose ``identified`` / flags say what the data could not support; :class:`NotIdentifiedError`,
:class:`NoOverdispersionError` and :class:`BoundaryError` are raised only when a caller asks for a strict fit.
The ``tppo`` command prints any of these as one message, never a traceback.

Written by hand (after ``pyfixest/errors/__init__.py``: one class per failure a caller may catch) because the
``Problem`` record with file, line, column and value is specific to this project's inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
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
    "AmbiguousPeriodError",
    "InsufficientDataError",
    "NotIdentifiedError",
    "NoOverdispersionError",
    "IdentifierError",
    "DisclosureError",
    "OutputLocationError",
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
        """Return ``file line N, column C: 'value': reason``."""
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


class TppoError(ValueError):
    """A user-facing error (bad input, bad option, data a strict call cannot use).

    The base of every error the package raises; a :class:`ValueError`, so every subclass is one. The ``tppo``
    command prints its message without a traceback.
    """


class DataValidationError(TppoError):
    """An input file failed validation; ``problems`` lists every problem found, not only the first.

    Parameters
    ----------
    problems : list of Problem
        Every problem found, each with file, line, column, value and reason.
    file : str, optional
        The file named in the message (default: the file of the first problem).
    """

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


class CellError(TppoError):
    """One cell cannot be read. The message says why and what to write instead (no file/line: the caller adds it)."""


class VillageCodeError(TppoError):
    """A village code that is neither ``PP.KK.CC.VVVV`` nor ten digits."""


class BoundaryError(TppoError):
    """A coefficient ran off to the edge of the parameter space: the windows cannot bound it.

    For example a holiday effect estimated as a rate ratio of ~0; its Wald interval and every prediction using it
    are meaningless. For strict callers of the interval model (docs/CONTRACTS.md: by default a fit marks such
    terms not identified). ``terms`` maps each term to ``(estimate, se)``.

    Parameters
    ----------
    terms : dict of str to tuple of float
        Each term at the boundary mapped to its ``(estimate, se)`` on the log scale.
    """

    def __init__(self, terms: dict[str, tuple[float, float]]):
        self.terms = terms
        shown = "; ".join(f"{t}: estimate {e:.3g}, se {s:.3g}" for t, (e, s) in terms.items())
        super().__init__(f"coefficient(s) at the boundary, not bounded by these windows ({shown}); drop these terms")


class FigureError(TppoError):
    """A figure cannot be saved as it is (no title, no source, a missing sidecar field, a bad name)."""


class InsufficientDataError(TppoError):
    """Input a model cannot represent at all: no windows, zero exposure, an empty panel.

    Raised before fitting. Data a model can represent but not bound (a term without variation, a cohort without
    pre-periods) is not an error: the fit returns and its result says what is not identified.
    """


class NotIdentifiedError(TppoError):
    """A term the data cannot bound, raised only when a caller asks for a strict fit.

    By default the fit returns and marks the term ``identified = "no"`` (estimate and interval left empty, note
    "not bounded"); this class is for callers that would rather stop.
    """


class NoOverdispersionError(TppoError):
    """The NB2 dispersion ``alpha`` is estimated at 0: the windows show no over-dispersion beyond Poisson.

    Meant for strict negative-binomial fits (by default a fit whose dispersion goes to 0 returns the Poisson fit
    with ``alpha = 0`` and a flag, docs/CONTRACTS.md). Callers such as
    :func:`tppo_analysis.design.power.detection_power` catch it by class and refit with ``family="poisson"``.
    """


class IdentifierError(DataValidationError):
    """A personal identifier (a name, NIK, passport or phone number, e-mail, NPWP) was found where none may be.

    Raised by the guards on everything read in or written out; a :class:`DataValidationError` whose ``problems``
    name each file, line and column and the kind of identifier, with the value masked, never the identifier itself.
    A plain message (one finding, no file line) is accepted too.

    Parameters
    ----------
    problems : list of Problem or str
        Every identifier found (value masked), or one message.
    file : str, optional
        The file the identifiers were found in (default: the first problem's file).
    """

    def __init__(self, problems: list[Problem] | str, *, file: str | None = None):
        if isinstance(problems, str):
            problems = [Problem(file or "<input>", None, None, None, problems)]
        super().__init__(problems, file=file)


class DisclosureError(TppoError):
    """A set of published tables would let a suppressed small cell (1-9 persons) be recovered.

    Raised by the privacy checks before a table is saved, e.g. when a suppressed cell equals a margin minus the
    shown cells.
    """


class OutputLocationError(TppoError):
    """``--out`` is not a safe place for restricted output.

    Raised when the output folder is an input folder, a symlink, inside the repository (outside ``build/``) or
    contains the repository, so that restricted results could be committed or overwrite their own inputs.
    """


def problems_frame(problems: list[Problem]) -> pd.DataFrame:
    """Return problems as a tidy frame with columns file, line, column, value, reason.

    Parameters
    ----------
    problems : list of Problem
        The problems, in the order to show them.

    Returns
    -------
    pandas.DataFrame
        One row per problem; ``line`` is a nullable integer (blank for file-level problems).
    """
    return pd.DataFrame(
        [(p.file, p.line, p.column, p.value, p.reason) for p in problems],
        columns=["file", "line", "column", "value", "reason"],
    ).astype({"line": "Int64"})


def display_path(path: str | Path) -> str:
    """Return a path as users should see it: relative to the repository when inside it, else as given.

    Parameters
    ----------
    path : str or Path
        A file or folder.

    Returns
    -------
    str
        The path relative to the repository root when inside it, else ``path`` as given.
    """
    from .paths import repo_root

    p = Path(path)
    try:
        return str(p.resolve().relative_to(repo_root()))
    except ValueError:
        return str(path)


class AmbiguousPeriodError(TppoError):
    """A period phrase that names no exact window of days (vague, unreadable, or after publication).

    The message quotes the phrase, says why, and suggests writing explicit dates; see
    :func:`tppo_analysis.sources.periods.parse_period`.
    """
