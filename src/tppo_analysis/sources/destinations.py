"""Destinations: when a row's ``destination`` makes it a breakdown with its own series, and when it is only context.

The record's ``destination`` column says where the counted people were going (for deportations and scam cases, the
country they came back from). Most cells describe a total: "Cambodia; Myanmar; Malaysia" lists where a month's
deferred passengers were bound. Some cells name the one country a figure is restricted to: BP2MI's placements to
Taiwan in 2023, Kemlu's scam cases in Cambodia, two passengers to Phnom Penh on 3 Mar 2024. Such a figure is a part
of its place's total, not a vintage of it. In the total's series reconciliation read it as one (the latest-vintage
rule replaced the 274,965 placements of 2023 by Cambodia's 49), so a breakdown gets its own series,
``<place key>@<country>`` (``docs/CONTRACTS.md`` §3). The rule, read off every row of the record:

1. **A list, a region, a hedge or a count is context.** A cell naming several places ("A; B", "Malaysia (60); other
   (110)"), a region ("Middle East", "ASEAN", "Southeast Asia scam hubs", "10 Asian countries"), a hedge ("Mostly
   Malaysia", "(mainly)") or a count inside the text ("India (5, kidney sale)": 5 of the row's 1,252) describes the
   row's total. The row stays in its place's series; a breakdown given only in the text is not a row.
2. **One country is a breakdown**: :func:`destination_place` returns it (the text before any parenthesis, which may
   add a city or a route: "Malaysia (Tawau)", "Cambodia (via Thailand)"). The alias table declares each such cell
   (its ``destination`` column holds the cell as written) with the key ``<place key>@<country slug>`` and a label
   naming the country ("Indonesia, Taiwan only").
3. **Unless that country is all there is.** Where every person the place and measure can count goes to that one
   country, or the source's country is its description of the total, the country is context: the alias row for that
   destination keeps the total's key and its ``reason`` says why (Tunon Taka's ferries sail only to Tawau; PLBN
   Entikong borders only Sarawak; the Batam ports' monthly totals "to Malaysia" are the checkpoints' totals, Alurnews
   14 Jun 2023). A measure whose definition names the country carries it as context everywhere:
   :data:`IMPLIED_DESTINATION` (non-procedural hajj: Saudi Arabia).

:func:`destination_problems` enforces it on every load, each problem naming file, line and the ``destination``
column: a one-country cell the alias table does not declare (neither breakdown nor context) is an error, and so are
two rows of one series and measure whose windows overlap and that name different single countries.

Written by hand: the rule is the record's own convention; no library classifies these free-text cells.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pandas as pd

from ..errors import Problem
from .places import slug

__all__ = ["IMPLIED_DESTINATION", "destination_place", "destination_problems"]

#: Measures whose definition names the destination, which is therefore context on every row.
IMPLIED_DESTINATION = {"dep_deferral_wni_hajj_nonprocedural": "Saudi Arabia"}

_REGION = re.compile(r"(?i)\b(asia|asian|asean|middle east|europe|africa|countries|hubs|other|others)\b")
_HEDGE = re.compile(r"(?i)\b(mostly|mainly|largely|including)\b")


def destination_place(cell: str) -> str | None:
    """Return the one country a ``destination`` cell restricts its figure to, or ``None`` when the cell is context.

    Parameters
    ----------
    cell : str
        A ``destination`` cell as written in the record.

    Returns
    -------
    str or None
        ``"Malaysia"`` for "Malaysia (Tawau)", ``"Cambodia"`` for "Cambodia (via Thailand)"; ``None`` for a blank
        cell, a list ("A; B"), a region, a hedge or a cell holding a count (rule 1 of the module docstring).
    """
    text = str(cell).strip()
    if not text or ";" in text or re.search(r"\d", text) or _HEDGE.search(text) or _REGION.search(text):
        return None
    place = re.sub(r"\s*\(.*$", "", text).strip()
    return place or None


def _windows(df: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    start = pd.to_datetime(df["period_start"].where(df["period_start"] != ""), format="%Y-%m-%d", errors="coerce")
    end = pd.to_datetime(df["period_end"].where(df["period_end"] != ""), format="%Y-%m-%d", errors="coerce")
    return start.fillna(end), end  # a "to date" figure is checked at its end day at least


def destination_problems(
    df: pd.DataFrame,
    keys: pd.Series,
    groups: pd.Series,
    aliases: pd.DataFrame,
    file: str,
    line_of: Callable[[Any, pd.DataFrame], int],
) -> list[Problem]:
    """Return the rows that break the destination rule of the module docstring.

    Parameters
    ----------
    df : pandas.DataFrame
        The record read as text.
    keys : pandas.Series
        The series key of each row, aligned with ``df``.
    groups : pandas.Series
        The alias table's ``measure_group`` of each row's measure, aligned with ``df``.
    aliases : pandas.DataFrame
        The alias table (with its ``destination`` column).
    file : str
        The file name shown in each problem.
    line_of : callable
        ``line_of(index, df)``: the file line of a row.

    Returns
    -------
    list of Problem
        An undeclared one-country cell; two overlapping rows of one series and measure naming different countries.
    """
    problems: list[Problem] = []
    declared = aliases.loc[aliases["destination"].str.strip() != ""]
    declared_keys = set(
        zip(
            declared["geography_level"],
            declared["geography_name"],
            declared["tpi_or_office"],
            declared["measure_group"],
            declared["destination"],
            strict=True,
        )
    )
    place = df["destination"].map(destination_place)
    for idx in df.index[place.notna()]:
        country, measure = place[idx], df.at[idx, "measure"]
        if IMPLIED_DESTINATION.get(measure) == country or not isinstance(keys.get(idx), str):
            continue
        lookup = (
            df.at[idx, "geography_level"],
            df.at[idx, "geography_name"],
            df.at[idx, "tpi_or_office"],
            groups[idx],
            df.at[idx, "destination"],
        )
        if lookup not in declared_keys:
            key = keys[idx]
            problems.append(
                Problem(
                    file,
                    line_of(idx, df),
                    "destination",
                    df.at[idx, "destination"],
                    f"names one country ({country}): a figure for one country is a breakdown, not a vintage of "
                    f"{key}'s total; declare it in data/reference/series_aliases.csv (a row with this destination): "
                    f"the series {key.split('@')[0]}@{slug(country)}, or {key} with a reason saying why "
                    f"{country} is only context",
                )
            )
    start, end = _windows(df)
    single = df.index[place.notna() & start.notna()]
    frame = pd.DataFrame({"key": keys.reindex(single), "measure": df.loc[single, "measure"], "place": place[single]})
    for _, grp in frame.groupby(["key", "measure"], sort=False):
        if grp["place"].nunique() < 2:
            continue
        ids = list(grp.index)
        for i, a in enumerate(ids):
            for b in ids[i + 1 :]:
                if grp.at[a, "place"] != grp.at[b, "place"] and start[a] <= end[b] and start[b] <= end[a]:
                    problems.append(
                        Problem(
                            file,
                            line_of(b, df),
                            "destination",
                            df.at[b, "destination"],
                            f"{df.at[b, 'figure_id']} ({grp.at[b, 'place']}) and {df.at[a, 'figure_id']} "
                            f"({grp.at[a, 'place']}) share series {grp.at[a, 'key']} and overlapping windows: "
                            "one series holds one destination (declare each as a breakdown)",
                        )
                    )
    return problems
