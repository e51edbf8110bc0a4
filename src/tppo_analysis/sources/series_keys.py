"""Series keys: which rows of the public record are one series, named so that a key can never merge two places.

A *series* is the unit reconciliation, trends and rates group by (with the measure). Its key is written
``LEVEL:place-slug`` for regional rows, ``tpi:checkpoint-slug`` for a checkpoint, ``office:office-slug`` for an
immigration office, and ``national`` (or ``national:subset``) for the country (``docs/CONTRACTS.md`` §3); a figure
restricted to one country adds a destination part, ``KEY@country-slug`` (``national@taiwan``). The committed alias
table ``data/reference/series_aliases.csv`` maps each (``geography_level``, ``geography_name``, ``tpi_or_office``,
``measure_group``, ``destination``) of the record to its ``series`` and the human ``series_label``; the place is
part of the lookup, so rows of two places that share an office name cannot fall into one series. ``destination`` is
blank on most alias rows; a row whose one-country ``destination`` cell has an alias row of its own takes that row,
every other row the blank one (when a destination is a breakdown and when context:
:mod:`~tppo_analysis.sources.destinations`).

Rules the table must follow (:func:`alias_problems`; the loader refuses a table that breaks one):

1. A regional key (province, regency, city, subdistrict) is the place itself, as :func:`place_key` writes it from
   ``geography_name`` ("Jawa Tengah (Kab. Semarang)" -> ``regency:kab-semarang``); nothing may override it.
2. National rows map to ``national``; a ``national:subset`` key (e.g. airports only) needs a ``reason``.
3. Office and checkpoint rows map to ``office:`` or ``tpi:`` keys. A key whose words do not all appear in the
   office text ("Kanim Batam" -> ``tpi:hang-nadim``) needs a ``reason`` (e.g. the source names the checkpoint).
   Every row of one office or checkpoint key lies in one province.
4. A key shared by two or more distinct (``geography_name``, ``tpi_or_office``) pairs needs a ``reason`` on each of
   those rows (e.g. "one checkpoint, named with or without its office").
5. One label per key; the label names the place (figures and tables show it, never the key).
6. An alias row with a ``destination`` names one country (:func:`~tppo_analysis.sources.destinations.destination_place`)
   and either keys it as a breakdown, ``<the place's key>@<country slug>``, with a label naming the country, or keeps
   the place's key and says in ``reason`` why the country is only context. Rules 1-4 apply to the part before ``@``.

Frozen keys (other issues and reviewers' scripts use them): :data:`FROZEN_KEYS`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

from .. import paths
from ..errors import DataValidationError, Problem, TppoError, display_path
from .places import REGIONAL_LEVELS, parse_place, slug
from .schemas import MEASURE_GROUP
from .validation import line_of, missing_column_problems, read_text_table

__all__ = [
    "ALIAS_FILE",
    "ALIAS_COLUMNS",
    "FROZEN_KEYS",
    "alias_group",
    "split_key",
    "slug",
    "place_key",
    "derived_key",
    "alias_problems",
    "load_series_aliases",
]

ALIAS_FILE = "series_aliases.csv"
ALIAS_COLUMNS = (
    "geography_level",
    "geography_name",
    "tpi_or_office",
    "measure_group",
    "destination",
    "series",
    "series_label",
    "reason",
)
LOOKUP_COLUMNS = ("geography_level", "geography_name", "tpi_or_office", "measure_group", "destination")
#: Keys other issues and reviewers' scripts rely on (docs/CONTRACTS.md §3).
FROZEN_KEYS = ("national", "tpi:soekarno-hatta", "tpi:juanda", "tpi:batam-seaports")

_KEY = re.compile(
    r"^(national(:[a-z0-9-]+)?|(province|regency|city|subdistrict|office|tpi):[a-z0-9]+(-[a-z0-9]+)*)"
    r"(@[a-z0-9]+(-[a-z0-9]+)*)?$"
)


def split_key(key: str) -> tuple[str, str]:
    """Split a series key into its place part and its destination slug (``""`` for a total).

    Parameters
    ----------
    key : str
        A series key: ``"national@taiwan"`` -> ``("national", "taiwan")``; ``"tpi:juanda"`` -> ``("tpi:juanda", "")``.

    Returns
    -------
    tuple of str
        ``(place key, destination slug)``.
    """
    base, _, dest = str(key).partition("@")
    return base, dest


def alias_group(measure: str) -> str:
    """Return the alias table's ``measure_group`` of a measure: ``departure``, ``passport`` or ``other``.

    The group lets one office name map to its checkpoint for departure deferrals (Kanim Soekarno-Hatta ->
    ``tpi:soekarno-hatta``) and to the office for everything else.

    Parameters
    ----------
    measure : str
        A measure code.

    Returns
    -------
    str
        The group.
    """
    group = MEASURE_GROUP.get(measure, "other")
    return group if group in ("departure", "passport") else "other"


def place_key(level: str, geography_name: str) -> str | None:
    """Return the key a regional or national row must have, from its place; ``None`` for offices and checkpoints.

    ``province`` -> ``province:jawa-timur``; ``regency`` "Jawa Tengah (Kab. Semarang)" -> ``regency:kab-semarang``;
    ``city`` "DKI Jakarta (Jakarta Utara / Kep. Seribu)" -> ``city:jakarta-utara-kep-seribu``; ``subdistrict``
    "Jawa Timur (Kab. Mojokerto, Kec. Ngoro)" -> ``subdistrict:kab-mojokerto-kec-ngoro``; ``national`` ->
    ``national``.

    Parameters
    ----------
    level : str
        The row's ``geography_level``.
    geography_name : str
        The row's ``geography_name``.

    Returns
    -------
    str or None
        The key; ``None`` for office and checkpoint rows, whose key is not their place.
    """
    if level == "national":
        return "national"
    if level not in REGIONAL_LEVELS:
        return None
    place = parse_place(geography_name)
    if level == "province":
        return "province:" + slug(place.province)
    return f"{level}:" + "-".join(slug(p) for p in place.inner)


def _office_words(office: str) -> str:
    text = re.sub(r"\s*\([^)]*\)", "", str(office)).strip()
    text = re.sub(r"^(Kanim|Kantor Imigrasi)\s+", "", text)
    return re.sub(r"^(Kelas\s+I+\s+)?(Khusus\s+)?(Non[- ]TPI\s+|TPI\s+)?", "", text)


def _checkpoint_words(office: str) -> str:
    text = re.sub(r"\s*\([^)]*\)", "", str(office)).strip()
    text = re.sub(r"^(TPI|PLBN)\s+", "", text)
    text = re.sub(r"^(PLBN|Bandara|Pelabuhan)\s+", "", text)
    return re.sub(r"^Internasional\s+", "", text)


def derived_key(level: str, geography_name: str, tpi_or_office: str) -> str:
    """Return the key the grammar gives a row.

    :func:`place_key` for national and regional rows, ``office:<name>`` for an office ("Kanim Blitar" ->
    ``office:blitar``), ``tpi:<name>`` for a checkpoint ("TPI Bandara Juanda (...)" -> ``tpi:juanda``). Used for new
    rows (``tppo add-figure``) and as the reference the alias table is checked against.

    Parameters
    ----------
    level : str
        The row's ``geography_level``.
    geography_name : str
        The row's ``geography_name``.
    tpi_or_office : str
        The row's ``tpi_or_office``.

    Returns
    -------
    str
        The key.
    """
    key = place_key(level, geography_name)
    if key is not None:
        return key
    if level == "office":
        return "office:" + slug(_office_words(tpi_or_office))
    if level == "tpi":
        return "tpi:" + slug(_checkpoint_words(tpi_or_office))
    raise TppoError(f"unknown geography_level {level!r}")


def _words_in(key: str, text: str) -> bool:
    words = set(slug(text).split("-"))
    return set(key.split(":", 1)[1].split("-")) <= words


def alias_problems(aliases: pd.DataFrame, file: str) -> list[Problem]:
    """Return every rule of the module docstring the alias table breaks, each naming its file line and column.

    Parameters
    ----------
    aliases : pandas.DataFrame
        The alias table read as text (:func:`~tppo_analysis.sources.validation.read_text_table`).
    file : str
        The file name shown in each problem.

    Returns
    -------
    list of Problem
        One per broken rule and row.
    """
    problems = missing_column_problems(aliases, ALIAS_COLUMNS, file)
    if problems:
        return problems
    df = aliases.copy()
    df.attrs = {}  # column access copies attrs (the file line list); the lines come from `aliases`
    dup = df.duplicated(list(LOOKUP_COLUMNS), keep="first")
    for idx in df.index[dup]:
        problems.append(
            Problem(
                file,
                line_of(idx, aliases),
                "tpi_or_office",
                df.at[idx, "tpi_or_office"],
                "alias listed twice for the same level, place, office and measure group",
            )
        )
    for idx, row in df.iterrows():
        line, full_key, level = line_of(idx, aliases), row["series"], row["geography_level"]
        key = split_key(full_key)[0]
        if row["measure_group"] not in ("departure", "passport", "other"):
            problems.append(
                Problem(
                    file,
                    line,
                    "measure_group",
                    row["measure_group"],
                    "measure_group is one of departure, passport, other",
                )
            )
        if not _KEY.match(full_key):
            problems.append(
                Problem(
                    file,
                    line,
                    "series",
                    full_key,
                    "a key is LEVEL:words-with-dashes (e.g. regency:kab-semarang), with @country for a breakdown",
                )
            )
            continue
        problems += _destination_rule(row, full_key, file, line)
        if not row["series_label"].strip():
            problems.append(
                Problem(file, line, "series_label", "", "every key needs a human label that names the place")
            )
        try:
            expected = place_key(level, row["geography_name"])
        except TppoError as exc:
            problems.append(Problem(file, line, "geography_name", row["geography_name"], str(exc)))
            continue
        if level in REGIONAL_LEVELS and key != expected:
            problems.append(
                Problem(
                    file,
                    line,
                    "series",
                    full_key,
                    f"series key names another place: {row['geography_name']!r} is {expected}",
                )
            )
        elif level == "national" and not key.startswith("national"):
            problems.append(Problem(file, line, "series", key, "a national row maps to national or national:<subset>"))
        elif level == "national" and key != "national" and not row["reason"].strip():
            problems.append(Problem(file, line, "reason", "", f"{key} is a subset of the national series: say why"))
        elif level in ("office", "tpi"):
            if not key.startswith(("office:", "tpi:")):
                problems.append(
                    Problem(file, line, "series", key, "an office or checkpoint row maps to office: or tpi:")
                )
            elif not _words_in(key, row["tpi_or_office"]) and not row["reason"].strip():
                problems.append(
                    Problem(
                        file,
                        line,
                        "reason",
                        "",
                        f"{key} is not named in {row['tpi_or_office']!r}: say which checkpoint or office "
                        "the source means and why",
                    )
                )
    problems += _breakdown_base_problems(df, aliases, file)
    for key, grp in df.groupby("series", sort=True):
        pairs = set(zip(grp["geography_name"], grp["tpi_or_office"], strict=True))
        if len(pairs) > 1:
            for idx in grp.index[grp["reason"].str.strip() == ""]:
                others = "; ".join(
                    sorted(
                        f"{n} / {o}"
                        for n, o in pairs
                        if (n, o) != (grp.at[idx, "geography_name"], grp.at[idx, "tpi_or_office"])
                    )[:3]
                )
                problems.append(
                    Problem(
                        file,
                        line_of(idx, aliases),
                        "reason",
                        "",
                        f"{key} also holds {others}: a shared key needs a reason on each row",
                    )
                )
        labels = set(grp["series_label"])
        if len(labels) > 1:
            for idx in grp.index[1:]:
                if grp.at[idx, "series_label"] != grp["series_label"].iloc[0]:
                    problems.append(
                        Problem(
                            file,
                            line_of(idx, aliases),
                            "series_label",
                            grp.at[idx, "series_label"],
                            f"one label per key: {key} is labelled {grp['series_label'].iloc[0]!r} on line "
                            f"{line_of(grp.index[0], aliases)}",
                        )
                    )
        if key.startswith(("office:", "tpi:")):
            provinces = {parse_place(n).province for n in grp["geography_name"]}
            if len(provinces) > 1:
                for idx in grp.index:
                    problems.append(
                        Problem(
                            file,
                            line_of(idx, aliases),
                            "geography_name",
                            grp.at[idx, "geography_name"],
                            f"{key} lies in one province; its rows name {sorted(provinces)}",
                        )
                    )
    return problems


def _destination_rule(row: pd.Series, full_key: str, file: str, line: int) -> list[Problem]:
    """Rule 6: an alias row with a destination keys one country as a breakdown, or says why it is context."""
    from .destinations import destination_place

    dest_cell, (_, dest_slug) = row["destination"].strip(), split_key(full_key)
    if not dest_cell:
        if dest_slug:
            return [Problem(file, line, "destination", "", f"{full_key} is a destination breakdown: name the country")]
        return []
    country = destination_place(dest_cell)
    if country is None:
        return [
            Problem(
                file,
                line,
                "destination",
                dest_cell,
                "a list, region, hedge or count is context by rule (sources.destinations); only a one-country "
                "destination is declared here",
            )
        ]
    if dest_slug and dest_slug != slug(country):
        return [Problem(file, line, "series", full_key, f"the destination part of the key is @{slug(country)}")]
    if dest_slug and country.lower() not in row["series_label"].lower():
        return [Problem(file, line, "series_label", row["series_label"], f"a breakdown's label names {country}")]
    if not dest_slug and not row["reason"].strip():
        return [
            Problem(
                file,
                line,
                "reason",
                "",
                f"{full_key} keeps the total's key for the one-country destination {dest_cell!r}: say why {country} "
                f"is only context, or key it {full_key}@{slug(country)}",
            )
        ]
    return []


def _breakdown_base_problems(df: pd.DataFrame, aliases: pd.DataFrame, file: str) -> list[Problem]:
    """Check that a breakdown's place part is the key its place and office have without a destination."""
    blank = df["destination"].str.strip() == ""
    base_of = {
        (r.geography_level, r.geography_name, r.tpi_or_office, r.measure_group): r.series
        for r in df[blank].itertuples()
    }
    problems = []
    for idx in df.index[~blank]:
        row = df.loc[idx]
        total = base_of.get((row["geography_level"], row["geography_name"], row["tpi_or_office"], row["measure_group"]))
        if total is not None and split_key(row["series"])[0] != total:
            problems.append(
                Problem(
                    file,
                    line_of(idx, aliases),
                    "series",
                    row["series"],
                    f"this place and office's total is {total}: its destination rows are {total} or {total}@country",
                )
            )
    return problems


def _alias_path(path: str | os.PathLike | None) -> Path:
    if path is not None:
        return Path(path)
    p = paths.data_dir() / "reference" / ALIAS_FILE
    return p if p.exists() else paths.repo_root() / "data" / "reference" / ALIAS_FILE


def load_series_aliases(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """Load the alias table (columns :data:`ALIAS_COLUMNS`), validated against the rules of the module docstring.

    Parameters
    ----------
    path : str or os.PathLike, optional
        The table (default: ``data/reference/series_aliases.csv``).

    Returns
    -------
    pandas.DataFrame
        The table, every cell as text.

    Raises
    ------
    DataValidationError
        Listing every broken rule with its file line and column.
    """
    p = _alias_path(path)
    file = display_path(p)
    df = read_text_table(p)
    problems = alias_problems(df, file)
    if problems:
        raise DataValidationError(problems, file=file)
    return df[list(ALIAS_COLUMNS)].reset_index(drop=True)
