"""The one result protocol, and the one place where shown and saved numbers are rounded.

Every estimate the package returns (interval-model fits, pooled fits, the monthly model, program-effect estimators)
answers the same four calls, so a notebook, a test or a reviewer's script can treat them alike:

* ``tidy()`` — a DataFrame with the columns of :data:`TIDY_COLUMNS` (a row per term; identifying columns such as
  ``series`` may come first);
* ``conf_int(level=0.95)`` — ``ci_lower`` and ``ci_upper`` indexed by term, at the requested confidence level;
* ``summary()`` — a small deterministic :class:`Summary` (text and HTML; rounded; no clock, no ids, no paths), so it
  can sit in a notebook whose outputs strict nbval compares on any machine;
* ``plot(ax=None)`` — draws the result and returns ``(fig, ax)``.

``level`` is the only name of a confidence level. ``alpha`` names the NB2 dispersion and nothing else.

Rounding happens here (:func:`round_sig`, :func:`round_frame`) and nowhere else: estimates and interval ends are
shown and saved to 3 significant digits, counts stay integers. Fits converge well below that precision, so what is
shown does not depend on the last bits of an optimiser or on the number of BLAS threads.

Written by hand because no library offers a clock-free, rounded, HTML-capable summary object (statsmodels and
linearmodels print the date; CausalPy's print and return ``None``).
"""

from __future__ import annotations

import html
import math
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "TIDY_COLUMNS",
    "SCALES",
    "Summary",
    "Result",
    "round_sig",
    "round_frame",
    "format_sig",
    "check_level",
]

#: Columns of ``tidy()``, in order.
TIDY_COLUMNS: tuple[str, ...] = ("term", "estimate", "se", "ci_lower", "ci_upper", "scale", "level")

#: Allowed values of the ``scale`` column.
SCALES: frozenset[str] = frozenset({"log", "ratio", "count", "rate", "difference"})

#: Significant digits of shown and saved estimates.
SIGNIFICANT_DIGITS = 3


def round_sig(value: Any, digits: int = SIGNIFICANT_DIGITS) -> Any:
    """Round a number to ``digits`` significant digits; leave missing values and non-numbers as they are.

    Parameters
    ----------
    value : Any
        A number (int, float, numpy scalar) or anything else.
    digits : int
        Significant digits kept (3 by default).

    Returns
    -------
    Any
        The rounded float, or ``value`` unchanged when it is not a finite real number. Integers (counts) are
        returned unchanged.
    """
    if isinstance(value, bool | np.bool_) or isinstance(value, int | np.integer):
        return value
    try:
        x = float(value)
    except (TypeError, ValueError):
        return value
    if not math.isfinite(x) or x == 0.0:
        return x
    decimals = digits - 1 - math.floor(math.log10(abs(x)))
    out = round(x, decimals)
    # Guard against 0.99949 -> 0.9995 -> 1.0 style carries producing a 4th digit: round once more.
    return float(f"{out:.{digits}g}")


def round_frame(frame: pd.DataFrame, digits: int = SIGNIFICANT_DIGITS, *, exclude: Iterable[str] = ()) -> pd.DataFrame:
    """Return a copy of ``frame`` with every float column rounded to ``digits`` significant digits.

    Integer columns (counts) are left as they are, as are the columns named in ``exclude`` (for example p-values
    or shares that a table rounds to fixed decimals itself).

    Parameters
    ----------
    frame : pandas.DataFrame
        The table to round.
    digits : int
        Significant digits kept (3 by default).
    exclude : iterable of str
        Columns left as they are.

    Returns
    -------
    pandas.DataFrame
        A rounded copy; ``frame`` is not changed.
    """
    out = frame.copy()
    skip = set(exclude)
    for col in out.columns:
        if col in skip:
            continue
        if pd.api.types.is_float_dtype(out[col].dtype):
            out[col] = out[col].map(lambda v: round_sig(v, digits) if pd.notna(v) else v).astype(out[col].dtype)
    return out


def format_sig(value: Any, digits: int = SIGNIFICANT_DIGITS) -> str:
    """Format a number for display with ``digits`` significant digits (the display form of :func:`round_sig`).

    Thousands are grouped (``368,000``), trailing zeros that are significant are kept (``1.50``), and very large or
    very small magnitudes use scientific notation (``1.23e-05``). Used as pandas' ``display.float_format`` by
    :func:`tppo_analysis.setup`, so every float a notebook shows is rounded here and nowhere else.

    Parameters
    ----------
    value : Any
        A number; anything else is shown with ``str``.
    digits : int
        Significant digits shown (3 by default).

    Returns
    -------
    str
        The formatted number; ``nan`` and ``inf`` as Python writes them.
    """
    x = round_sig(value, digits)
    if isinstance(x, bool | np.bool_) or isinstance(x, int | np.integer):
        return f"{x:,}"
    if not isinstance(x, float):
        return str(x)
    if not math.isfinite(x):
        return str(x)
    if x == 0.0:
        return "0"
    magnitude = math.floor(math.log10(abs(x)))
    if -5 < magnitude < 15:
        return f"{x:,.{max(0, digits - 1 - magnitude)}f}"
    return f"{x:.{digits - 1}e}"


def check_level(level: float) -> float:
    """Validate a confidence level (a probability strictly between 0 and 1) and return it as a float.

    Parameters
    ----------
    level : float
        The confidence level, e.g. 0.95.

    Returns
    -------
    float
        ``level`` as a float.

    Raises
    ------
    TppoError
        When ``level`` is not strictly between 0 and 1.
    """
    lv = float(level)
    if not 0.0 < lv < 1.0:
        from .errors import TppoError

        raise TppoError(f"level must be between 0 and 1 (e.g. 0.95), got {level!r}")
    return lv


@dataclass(frozen=True)
class Summary:
    """A small, deterministic summary of a result: a title, a rounded table and notes.

    No clock, no ids, no paths: two processes on two machines print the same text.

    Attributes
    ----------
    title : str
        One line naming the estimate (what, where, when).
    table : pandas.DataFrame
        The rounded tidy table (or a selection of it) shown under the title.
    notes : tuple of str
        Plain-language caveats (identification, reliability, method).
    """

    title: str
    table: pd.DataFrame
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def text(self) -> str:
        """The summary as plain text."""
        lines = [self.title, "=" * len(self.title)]
        if len(self.table):
            lines.append(self.table.to_string(index=False, na_rep="not bounded"))
        lines.extend(f"Note: {n}" for n in self.notes)
        return "\n".join(lines)

    def __str__(self) -> str:
        """Return :attr:`text`."""
        return self.text

    def __repr__(self) -> str:
        """Return :attr:`text` (so a notebook shows the summary, not an object address)."""
        return self.text

    def _repr_html_(self) -> str:
        table = self.table.to_html(index=False, na_rep="not bounded", border=0)
        notes = "".join(f"<p><em>Note:</em> {html.escape(n)}</p>" for n in self.notes)
        return f"<div class='tppo-summary'><h4>{html.escape(self.title)}</h4>{table}{notes}</div>"


class Result(ABC):
    """Base of every estimate's result: the four calls of the protocol.

    Subclasses implement :meth:`tidy` (taking ``level``) and :meth:`plot`; :meth:`conf_int` has a default that
    reads the intervals off ``tidy(level)``, and :meth:`summary` a default built from the rounded tidy table,
    :attr:`title` and :meth:`notes`.
    """

    #: One line naming the estimate; subclasses override.
    title: str = "Estimate"

    @abstractmethod
    def tidy(self) -> pd.DataFrame:
        """Estimates as a tidy frame with the columns of :data:`TIDY_COLUMNS`."""

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Return confidence intervals at ``level``: columns ``ci_lower``, ``ci_upper``, indexed by term.

        The default reads them off ``tidy(level)``; a result whose rows are not keyed by ``term`` alone overrides it.

        Parameters
        ----------
        level : float
            Confidence level (0.95 by default).

        Returns
        -------
        pandas.DataFrame
            ``ci_lower`` and ``ci_upper`` by term, on the scale of :meth:`tidy`.
        """
        return self.tidy(level).set_index("term")[["ci_lower", "ci_upper"]]  # type: ignore[call-arg]

    @abstractmethod
    def plot(self, ax: Any = None) -> tuple[Any, Any]:
        """Draw the result on ``ax`` (a new figure when ``None``) and return ``(fig, ax)``.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure is made when None.

        Returns
        -------
        tuple
            ``(fig, ax)``: the figure and the axes drawn on.
        """

    def notes(self) -> Sequence[str]:
        """Plain-language caveats shown under the summary table (none by default)."""
        return ()

    def summary(self) -> Summary:
        """Return a deterministic, rounded :class:`Summary` of :meth:`tidy`."""
        return Summary(self.title, round_frame(self.tidy()), tuple(self.notes()))
