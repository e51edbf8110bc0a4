"""Rules the public record must follow beyond its column schema; each returns problems naming file, line, column.

``check_public_record`` (in :mod:`~tppo_analysis.sources.public_record`) runs them. *Errors* stop the loader;
*warnings* are reported by ``tppo validate`` and kept on the loaded frame (``attrs["warnings"]``) but load.

Errors:

* **period after publication** — ``period_end`` after ``published_date``, compared at the published date's precision
  (``2017-12`` allows any day of December 2017, ``2017`` any day of 2017: a partial date is the end of its month or
  year at the earliest); allowed only when ``notes`` says the figure is ``planned`` or a ``target``;
* **published before the period** — ``published_date`` (at its latest possible day) before ``period_start``;
* **share link** — a ``source_url`` that is a share button or a mangled link rather than the article: a path ending
  in a bare domain (``…/08225401/twitter.com``), a ``whatsapp:``/``wa.me``/``sharer``/``intent/tweet`` target;
* **duplicate** — the same value, URL, measure, place, office and period twice;
* **place** — a ``geography_name`` that is not a Kemendagri place at its ``geography_level``
  (:func:`~tppo_analysis.sources.places.place_problem`);
* **series key** — a regional or national row whose series key (from the alias table) names another place
  (checked in :mod:`~tppo_analysis.sources.public_record` with the alias lookup).

Warnings
--------
* **same value, same source, different places** — e.g. one article giving 125 for Batam and 125 for Kualanamu.
  Pairs that are right as they are sit in the allow-list ``data/reference/validation_allowlist.csv`` (``rule``,
  ``figure_ids`` ``;``-separated, ``reason``), which silences them.
"""

from __future__ import annotations

import calendar
import os
import re
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd

from .. import paths
from ..errors import Problem
from .places import place_problem
from .validation import line_of

__all__ = [
    "ALLOWLIST_FILE",
    "latest_day",
    "is_share_link",
    "period_problems",
    "url_problems",
    "duplicate_problems",
    "same_value_warnings",
    "place_problems",
    "load_allowlist",
]

ALLOWLIST_FILE = "validation_allowlist.csv"
_PLANNED = re.compile(r"\b(planned|target)\b", re.I)
_BARE_DOMAIN = re.compile(r"^(?:[a-z0-9-]+\.)+(?:com|id|co|net|org|news|me|io|tv|asia)$", re.I)
_SHARE = re.compile(r"(whatsapp:|wa\.me|sharer|intent/tweet|share\?|/share/|t\.me/share)", re.I)


def latest_day(published: str) -> date | None:
    """Return the latest day a ``YYYY-MM-DD`` / ``YYYY-MM`` / ``YYYY`` date can mean.

    Parameters
    ----------
    published : str
        A ``published_date`` cell.

    Returns
    -------
    datetime.date or None
        The last day of the month or year for a partial date; ``None`` when blank or unreadable.
    """
    text = str(published).strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
        if re.fullmatch(r"\d{4}-\d{2}", text):
            y, m = int(text[:4]), int(text[5:])
            return date(y, m, calendar.monthrange(y, m)[1])
        if re.fullmatch(r"\d{4}", text):
            return date(int(text), 12, 31)
    except ValueError:
        return None
    return None


def _iso(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
    except ValueError:
        return None


def is_share_link(url: str) -> bool:
    """Tell a share button or a mangled link from an article URL.

    Parameters
    ----------
    url : str
        A ``source_url`` cell.

    Returns
    -------
    bool
        True for ``…/twitter.com``, ``…/whatsapp:/send``, ``…/memorandum.co.id`` and sharer links.
    """
    text = str(url).strip()
    if not text:
        return False
    if _SHARE.search(text):
        return True
    segments = [s for s in urlsplit(text).path.split("/") if s]
    return len(segments) >= 2 and bool(_BARE_DOMAIN.match(segments[-1]))


def period_problems(df: pd.DataFrame, file: str) -> list[Problem]:
    """Find ``period_end`` after publication (unless planned/target) and publication before ``period_start``.

    Parameters
    ----------
    df : pandas.DataFrame
        The record read as text.
    file : str
        The file name shown in each problem.

    Returns
    -------
    list of Problem
        One per offending cell.
    """
    problems = []
    cols = ("period_start", "period_end", "published_date", "notes")
    for idx, start_text, end_text, published, notes in zip(df.index, *(df[c] for c in cols), strict=True):
        pub = latest_day(published)
        if pub is None:
            continue
        end, start = _iso(end_text), _iso(start_text)
        if end is not None and end > pub and not _PLANNED.search(notes):
            problems.append(
                Problem(
                    file,
                    line_of(idx, df),
                    "period_end",
                    end_text,
                    f"period_end is after publication ({published}): a count cannot cover days "
                    "not yet over; end it on the statement day, or say 'planned'/'target' in notes",
                )
            )
        if start is not None and pub < start:
            problems.append(
                Problem(
                    file,
                    line_of(idx, df),
                    "published_date",
                    published,
                    f"published before the period starts ({start_text})",
                )
            )
    return problems


def url_problems(df: pd.DataFrame, file: str) -> list[Problem]:
    """Find share-button or mangled ``source_url`` cells.

    Parameters
    ----------
    df : pandas.DataFrame
        The record read as text.
    file : str
        The file name shown in each problem.

    Returns
    -------
    list of Problem
        One per offending cell.
    """
    return [
        Problem(
            file,
            line_of(idx, df),
            "source_url",
            url,
            "this is a share button or a mangled link, not the article: cite the article's own URL",
        )
        for idx, url in df["source_url"].items()
        if is_share_link(url)
    ]


_SAME = ["value", "source_url", "measure", "geography_name", "tpi_or_office", "period_start", "period_end"]


def duplicate_problems(df: pd.DataFrame, file: str) -> list[Problem]:
    """Find the same value, URL, measure, place, office and period entered twice.

    Parameters
    ----------
    df : pandas.DataFrame
        The record read as text.
    file : str
        The file name shown in each problem.

    Returns
    -------
    list of Problem
        One per repeated row, naming the line of the first.
    """
    problems = []
    first: dict[tuple, int] = {}
    for idx, key in zip(df.index, df[_SAME].itertuples(index=False, name=None), strict=True):
        if key in first:
            problems.append(
                Problem(
                    file,
                    line_of(idx, df),
                    "figure_id",
                    df.at[idx, "figure_id"],
                    f"duplicate of the figure on line {line_of(first[key], df)} "
                    f"({df.at[first[key], 'figure_id']}): same value, source, measure, place and period",
                )
            )
        else:
            first[key] = idx
    return problems


def load_allowlist(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """Load the allow-list of warnings judged right as they are.

    Parameters
    ----------
    path : str or os.PathLike, optional
        The list (default: ``data/reference/validation_allowlist.csv``).

    Returns
    -------
    pandas.DataFrame
        ``rule``, ``figure_ids`` (``;``-joined), ``reason``; empty when the file does not exist.
    """
    from .validation import read_text_table

    p = Path(path) if path is not None else paths.repo_root() / "data" / "reference" / ALLOWLIST_FILE
    if not p.exists():
        return pd.DataFrame(columns=["rule", "figure_ids", "reason"])
    return read_text_table(p)


def same_value_warnings(df: pd.DataFrame, file: str, allowlist: pd.DataFrame | None = None) -> list[Problem]:
    """Warn where the same value and URL are given for different places, unless allow-listed.

    Parameters
    ----------
    df : pandas.DataFrame
        The record read as text.
    file : str
        The file name shown in each problem.
    allowlist : pandas.DataFrame, optional
        The allow-list (default: :func:`load_allowlist`).

    Returns
    -------
    list of Problem
        One warning per row of each such group.
    """
    allow = load_allowlist() if allowlist is None else allowlist
    allowed = [set(ids.split(";")) for ids in allow.loc[allow["rule"] == "same_value_url", "figure_ids"]]
    problems = []
    cols = ["figure_id", "value", "source_url", "geography_name", "tpi_or_office"]
    plain = pd.DataFrame({c: df[c].to_numpy() for c in cols}, index=df.index)  # no attrs: groupby copies them
    for _, grp in plain[plain["source_url"] != ""].groupby(["value", "source_url"], sort=False):
        places = set(zip(grp["geography_name"], grp["tpi_or_office"], strict=True))
        ids = set(grp["figure_id"])
        if len(places) < 2 or any(ids <= a for a in allowed):
            continue
        for idx in grp.index:
            others = ", ".join(sorted(ids - {plain.at[idx, "figure_id"]}))
            problems.append(
                Problem(
                    file,
                    line_of(idx, df),
                    "value",
                    df.at[idx, "value"],
                    f"same value and source as {others} for another place: check it was not copied "
                    f"to the wrong row, or add the pair to data/reference/{ALLOWLIST_FILE} with a reason",
                )
            )
    return problems


def place_problems(df: pd.DataFrame, file: str) -> list[Problem]:
    """Find ``geography_name`` cells that are not Kemendagri places at their level.

    Parameters
    ----------
    df : pandas.DataFrame
        The record read as text.
    file : str
        The file name shown in each problem.

    Returns
    -------
    list of Problem
        One per offending cell.
    """
    problems = []
    for idx, level, name in zip(df.index, df["geography_level"], df["geography_name"], strict=True):
        why = place_problem(level, name)
        if why:
            problems.append(Problem(file, line_of(idx, df), "geography_name", name, why))
    return problems
