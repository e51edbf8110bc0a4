"""The event timeline: closures, reopenings, institutions, enforcement pushes and repatriations, each with a source.

``data/reference/events.csv`` holds one row per event (docs/CONTRACTS.md §7). Columns, in order:

``event_id``       stable key (lower-case letters, digits, hyphens), unique;
``start``          ``YYYY-MM-DD``; for a span known only to the month or year, the first day of that period;
``end``            blank for a dated event, else the last day of the span (inclusive, ``end >= start``);
``kind``           one of :data:`EVENT_KINDS`;
``label``          one line in plain English;
``scope``          ``national`` (Indonesia-wide, or not tied to one destination) or a destination country in
                   English (``Malaysia``, ``Saudi Arabia``); ``Middle East`` is used once, for a ban covering 21 countries;
``source_url``     the public source the row was checked against (http or https), required;
``source_outlet``  who published it;
``notes``          precision (``Year-only``/``Month precision`` when the source gives no day), other sources, caveats.

:func:`load_events` validates every row and raises :class:`~tppo_analysis.errors.DataValidationError` naming the
file, line (header = line 1), column and value of each problem. :func:`regimes` turns the timeline into the trend
regimes that the interval models and the effect designs use as breaks.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

from .. import paths
from ..errors import DataValidationError, Problem, TppoError, display_path
from .validation import line_of, missing_column_problems, read_text_table

__all__ = [
    "EVENTS_FILE",
    "EVENT_COLUMNS",
    "EVENT_KINDS",
    "CLOSURE_EVENT",
    "REOPENING_EVENT",
    "load_events",
    "event_problems",
    "regimes",
]

EVENTS_FILE = "events.csv"

#: Columns of the CSV file and of the frame :func:`load_events` returns, in order.
EVENT_COLUMNS = ("event_id", "start", "end", "kind", "label", "scope", "source_url", "source_outlet", "notes")

#: Allowed values of ``kind``.
EVENT_KINDS = ("closure", "reopening", "institution", "enforcement", "policy", "repatriation", "moratorium")

#: The event whose start opens the ``closure`` regime: Indonesia's suspension of placements (Kepmenaker 151/2020).
CLOSURE_EVENT = "pmi-placement-suspension-2020"

#: The event whose start opens the ``post_reopening`` regime by default: Malaysia's border reopening, 1 Apr 2022.
REOPENING_EVENT = "malaysia-border-reopening-2022"

_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_REQUIRED_TEXT = ("event_id", "kind", "label", "scope", "source_url", "source_outlet")


def _default_path() -> Path:
    p = paths.data_dir() / "reference" / EVENTS_FILE
    return p if p.exists() else paths.repo_root() / "data" / "reference" / EVENTS_FILE


def _date(text: str) -> pd.Timestamp | None:
    """Parse a calendar date from ``YYYY-MM-DD`` text; None when the text is not one."""
    if not _ISO.match(text):
        return None
    try:
        return pd.Timestamp(text)
    except ValueError:
        return None


def event_problems(df: pd.DataFrame, file: str) -> list[Problem]:
    """Every problem in an event table read as text (every cell a string).

    Parameters
    ----------
    df : pandas.DataFrame
        The table as read by :func:`tppo_analysis.validation.read_text_table`.
    file : str
        Name shown in each :class:`~tppo_analysis.errors.Problem`.

    Returns
    -------
    list of Problem
        Empty when the table is valid. Header problems come first, on line 1.
    """
    problems = missing_column_problems(df, EVENT_COLUMNS, file)
    for col in df.columns:
        if col not in EVENT_COLUMNS:
            problems.append(
                Problem(
                    file, 1, col, None, "unexpected column (events.csv has exactly: " + ", ".join(EVENT_COLUMNS) + ")"
                )
            )
    if problems:
        return problems
    first_line: dict[str, int] = {}
    for idx in df.index:
        line = line_of(idx, df)
        cell = {c: str(df.at[idx, c]).strip() for c in EVENT_COLUMNS}
        for col in _REQUIRED_TEXT:
            if cell[col] == "":
                problems.append(Problem(file, line, col, "", "required; must not be blank"))
        eid = cell["event_id"]
        if eid and not _ID.match(eid):
            problems.append(Problem(file, line, "event_id", eid, "use lower-case letters, digits and hyphens only"))
        elif eid in first_line:
            problems.append(Problem(file, line, "event_id", eid, f"duplicated (first used on line {first_line[eid]})"))
        elif eid:
            first_line[eid] = line
        start = _date(cell["start"])
        if start is None:
            problems.append(Problem(file, line, "start", cell["start"], "must be a calendar date written YYYY-MM-DD"))
        end = None
        if cell["end"]:
            end = _date(cell["end"])
            if end is None:
                problems.append(
                    Problem(
                        file,
                        line,
                        "end",
                        cell["end"],
                        "must be blank (dated event) or a calendar date written YYYY-MM-DD",
                    )
                )
        if start is not None and end is not None and end < start:
            problems.append(Problem(file, line, "end", cell["end"], f"is before start ({cell['start']})"))
        if cell["kind"] and cell["kind"] not in EVENT_KINDS:
            problems.append(
                Problem(file, line, "kind", cell["kind"], "unknown kind; use one of " + ", ".join(EVENT_KINDS))
            )
        if cell["scope"] and cell["scope"] != "national" and not cell["scope"][0].isupper():
            problems.append(
                Problem(
                    file,
                    line,
                    "scope",
                    cell["scope"],
                    "use 'national' or a destination country in English, e.g. 'Malaysia'",
                )
            )
        if cell["source_url"] and not re.match(r"^https?://\S+$", cell["source_url"]):
            problems.append(Problem(file, line, "source_url", cell["source_url"], "must be an http(s) URL"))
    return problems


def load_events(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """Load and validate the event timeline.

    Parameters
    ----------
    path : str or os.PathLike, optional
        A CSV file, or a folder holding ``events.csv``. Default: ``<data_dir>/reference/events.csv``
        (falls back to the repository's ``data/reference/``).

    Returns
    -------
    DataFrame
        Columns :data:`EVENT_COLUMNS`, one row per event in file order. ``start`` and ``end`` are dates
        (``datetime64``); ``end`` is NaT for a dated event. Text columns are stripped strings.

    Raises
    ------
    DataValidationError
        Listing every problem (file, line, column, value, reason): missing or extra columns, blank required cells,
        dates that are not ``YYYY-MM-DD`` calendar dates, ``end`` before ``start``, unknown ``kind``, a missing or
        non-http ``source_url``, duplicated ``event_id``.
    TppoError
        The file is missing, or has a header but no rows.
    """
    p = Path(path) if path is not None else _default_path()
    if p.is_dir():
        p = p / EVENTS_FILE
    file = display_path(p)
    df = read_text_table(p)
    if len(df) == 0:
        raise TppoError(f"{file}: has a header but no data rows")
    problems = event_problems(df, file)
    if problems:
        raise DataValidationError(sorted(problems, key=lambda q: (q.line or 0, q.column or "")), file=file)
    out = pd.DataFrame({c: df[c].astype(str).str.strip() for c in EVENT_COLUMNS}).reset_index(drop=True)
    out["start"] = pd.to_datetime(out["start"], format="%Y-%m-%d")
    out["end"] = pd.to_datetime(out["end"].where(out["end"] != ""), format="%Y-%m-%d")
    return out


def regimes(events: pd.DataFrame | None = None, *, reopening: str = REOPENING_EVENT) -> pd.DataFrame:
    """Return the trend regimes with their dates, read from the event timeline.

    Boundaries:

    * ``pre_closure`` runs up to the day before the ``closure`` regime starts (open start).
    * ``closure`` starts on the start of :data:`CLOSURE_EVENT`, 20 Mar 2020: Kepmenaker 151/2020 suspended all
      placement of Indonesian migrant workers. It is the first measure that stopped procedural migration from
      Indonesia as a whole; destination closures (Malaysia's Movement Control Order of 18 Mar 2020) fall within two
      days of it.
    * ``post_reopening`` starts on the start of ``reopening`` (default :data:`REOPENING_EVENT`, 1 Apr 2022: Malaysia
      reopens its borders, the same day as the Indonesia-Malaysia domestic-worker MoU). This is the main reopening
      because it is the first date from which the routes that dominate the record were open again: Malaysia was the
      top pre-pandemic destination and the main destination named in 2017-2023 deferral rows; within three weeks
      Indonesia restored visa-free entry for ASEAN nationals (6 Apr 2022) and Kemnaker opened placement to 65
      countries including Malaysia (18 Apr 2022). The earlier reopening by Kepmenaker 294/2020 (29 Jul 2020) was
      partial: 14 countries and selected sectors, without Malaysia or Saudi Arabia, while Taiwan barred Indonesian
      workers from Dec 2020 to Nov 2021, Hong Kong readmitted helpers only from 30 Aug 2021 and Japan from Mar 2022.
      Pass ``reopening="pmi-placement-reopening-2020"`` (or any ``reopening`` event) for a sensitivity analysis.

    Parameters
    ----------
    events : pandas.DataFrame, optional
        The timeline from :func:`load_events`; loaded when omitted.
    reopening : str
        ``event_id`` of the ``reopening`` event that opens ``post_reopening``.

    Returns
    -------
    DataFrame
        One row per regime, in time order, with columns ``regime``, ``start``, ``end`` (inclusive dates; NaT for the
        open start of ``pre_closure`` and the open end of ``post_reopening``), ``defined_by`` (the ``event_id`` whose
        start opens the regime; blank for ``pre_closure``) and ``reason``. Consecutive regimes are contiguous: each
        ``end`` is the day before the next ``start``.

    Raises
    ------
    TppoError
        An event is missing, ``reopening`` is not of kind ``reopening``, or the reopening is not after the closure.
    """
    ev = load_events() if events is None else events
    by_id = ev.set_index("event_id")
    for eid in (CLOSURE_EVENT, reopening):
        if eid not in by_id.index:
            raise TppoError(f"event {eid!r} is not in the event timeline (data/reference/{EVENTS_FILE})")
    if by_id.at[reopening, "kind"] != "reopening":
        raise TppoError(f"event {reopening!r} is of kind {by_id.at[reopening, 'kind']!r}, not 'reopening'")
    closure_start = pd.Timestamp(by_id.at[CLOSURE_EVENT, "start"])
    reopen_start = pd.Timestamp(by_id.at[reopening, "start"])
    if reopen_start <= closure_start:
        raise TppoError(
            f"reopening {reopening!r} ({reopen_start:%Y-%m-%d}) is not after the closure ({closure_start:%Y-%m-%d})"
        )
    day = pd.Timedelta(days=1)
    rows = [
        (
            "pre_closure",
            pd.NaT,
            closure_start - day,
            "",
            "before Indonesia suspended migrant-worker placement (open start)",
        ),
        ("closure", closure_start, reopen_start - day, CLOSURE_EVENT, by_id.at[CLOSURE_EVENT, "label"]),
        ("post_reopening", reopen_start, pd.NaT, reopening, by_id.at[reopening, "label"] + " (open end)"),
    ]
    out = pd.DataFrame(rows, columns=["regime", "start", "end", "defined_by", "reason"])
    out["start"] = pd.to_datetime(out["start"])
    out["end"] = pd.to_datetime(out["end"])
    return out
