"""The cited public record: figures Indonesian officials reported about deferrals, passports and Desa Binaan.

``data/public/public_reported_figures.csv`` holds one row per distinct publicly reported figure, each with its source
URL, outlet, publication date and reference period (inclusive dates). See ``data/public/public_reported_figures.md``
for the column conventions and ``data/public/README.md`` for sources and licences. The loader validates every row,
maps the raw office/TPI name to a stable series key through the committed alias table
``data/reference/series_aliases.csv``, and returns a tidy frame.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from .. import paths
from ..errors import Problem, TppoError, display_path
from . import record_rules
from .destinations import destination_problems
from .schemas import DATE_MAX, DATE_MIN, MEASURE_GROUP, PUBLIC_RECORD_COLUMNS, PUBLIC_RECORD_SCHEMA
from .series_keys import ALIAS_FILE, LOOKUP_COLUMNS, alias_group, load_series_aliases, place_key, split_key
from .validation import finish, line_of, missing_column_problems, read_text_table, schema_problems

__all__ = [
    "load_public_record",
    "load_series_aliases",
    "PUBLIC_RECORD_FILE",
    "ALIAS_FILE",
    "validate_public_record",
    "check_public_record",
    "record_files",
    "record_warnings",
]

PUBLIC_RECORD_FILE = "public_reported_figures.csv"

#: Columns of the frame :func:`load_public_record` returns.
OUTPUT_COLUMNS = (
    "figure_id",
    "measure",
    "measure_group",
    "value",
    "unit",
    "period_start",
    "period_end",
    "start_stated",
    "geography_level",
    "geography_name",
    "tpi_or_office",
    "series",
    "series_label",
    "destination",
    "source_url",
    "source_outlet",
    "published_date",
    "published",
    "published_precision",
    "notes",
)


def record_warnings(path: str | os.PathLike) -> list[Problem]:
    """Return the warnings of a public-record file: problems reported that do not stop the loader.

    Parameters
    ----------
    path : str or os.PathLike
        The record file.

    Returns
    -------
    list of Problem
        Each naming file, line and column.
    """
    p = Path(path)
    return check_public_record(read_text_table(p), display_path(p))[1]


def record_files() -> list[Path]:
    """Return the files the public record is built from, for a provenance line.

    Returns
    -------
    list of pathlib.Path
        The record, the Desa Binaan roster and the series alias table, where the loaders read them.
    """
    from .series_keys import _alias_path

    public = paths.public_data_dir()
    return [public / PUBLIC_RECORD_FILE, public / "desa_binaan_reported.csv", _alias_path(None)]


def _parse_iso(text: pd.Series) -> pd.Series:
    return pd.to_datetime(text.where(text != ""), format="%Y-%m-%d", errors="coerce")


def _cross_checks(df: pd.DataFrame, file: str, aliases: pd.DataFrame) -> list[Problem]:
    """Rules pandera's per-column checks cannot express: real dates, ranges, order, duplicates, aliases."""
    problems: list[Problem] = []
    lo, hi = pd.Timestamp(DATE_MIN), pd.Timestamp(DATE_MAX)
    iso = r"^\d{4}-\d{2}-\d{2}$"
    parsed = {}
    for col in ("period_start", "period_end"):
        text = df[col]
        values = _parse_iso(text)
        parsed[col] = values
        shaped = text.str.fullmatch(iso)
        for idx in df.index[shaped & values.isna()]:
            problems.append(Problem(file, line_of(idx, df), col, text[idx], "is not a calendar date"))
        for idx in df.index[values.notna() & ((values < lo) | (values > hi))]:
            problems.append(
                Problem(
                    file,
                    line_of(idx, df),
                    col,
                    text[idx],
                    f"date outside the supported range {DATE_MIN[:4]}–{DATE_MAX[:4]}",
                )
            )
    pub = df["published_date"]
    padded = pub.where(pub.str.len() != 7, pub + "-01")
    for idx in df.index[pub.str.fullmatch(r"\d{4}-\d{2}(?:-\d{2})?") & _parse_iso(padded).isna()]:
        problems.append(Problem(file, line_of(idx, df), "published_date", pub[idx], "is not a calendar date"))
    start, end = parsed["period_start"], parsed["period_end"]
    for idx in df.index[start.notna() & end.notna() & (end < start)]:
        problems.append(
            Problem(
                file,
                line_of(idx, df),
                "period_end",
                df.at[idx, "period_end"],
                f"period_end is before period_start ({df.at[idx, 'period_start']})",
            )
        )
    dup = df["figure_id"].duplicated(keep="first") & (df["figure_id"] != "")
    first_line = {fid: line_of(i, df) for i, fid in df["figure_id"].items() if not dup[i]}
    for idx in df.index[dup]:
        fid = df.at[idx, "figure_id"]
        problems.append(
            Problem(
                file,
                line_of(idx, df),
                "figure_id",
                fid,
                f"duplicated figure ID (first used on line {first_line.get(fid)})",
            )
        )
    blank_url = df["source_url"] == ""
    for idx in df.index[blank_url & (df["notes"].str.strip() == "")]:
        problems.append(
            Problem(
                file,
                line_of(idx, df),
                "source_url",
                "",
                "a figure without a source URL must say in notes where it was stated",
            )
        )
    keys = series_of(df, aliases)
    known_measure = df["measure"].isin(list(MEASURE_GROUP))
    for idx in df.index[keys.isna() & known_measure]:
        problems.append(
            Problem(
                file,
                line_of(idx, df),
                "tpi_or_office",
                df.at[idx, "tpi_or_office"],
                f"office/TPI not in the alias table data/reference/{ALIAS_FILE} for this place "
                f"(geography_level {df.at[idx, 'geography_level']}, geography_name {df.at[idx, 'geography_name']!r}, "
                f"measure group {alias_group(df.at[idx, 'measure'])}); add a row there (tppo add-figure does)",
            )
        )
    problems += series_key_problems(df, keys, file)
    problems += destination_problems(df, keys, df["measure"].map(alias_group), aliases, file, line_of)
    return problems


def series_of(df: pd.DataFrame, aliases: pd.DataFrame, column: str = "series") -> pd.Series:
    """Return the alias table's ``series`` (or another column) for each row of a record read as text.

    A row whose ``destination`` cell has an alias row of its own (a one-country destination, declared as a breakdown
    or as context) takes that row; every other row the alias row with a blank ``destination``.

    Parameters
    ----------
    df : pandas.DataFrame
        The record read as text.
    aliases : pandas.DataFrame
        The alias table (:func:`load_series_aliases`).
    column : str
        The alias column to return (``series`` or ``series_label``).

    Returns
    -------
    pandas.Series
        Aligned with ``df``; missing where the (level, place, office, measure group) is not in the table.
    """
    keyed = df[list(LOOKUP_COLUMNS[:3])].assign(measure_group=df["measure"].map(alias_group))
    table = aliases[[*LOOKUP_COLUMNS, column]]
    exact = keyed.assign(destination=df["destination"].str.strip()).merge(table, on=list(LOOKUP_COLUMNS), how="left")
    total = keyed.assign(destination="").merge(table, on=list(LOOKUP_COLUMNS), how="left")
    return pd.Series(exact[column].fillna(total[column]).to_numpy(), index=df.index)


def series_key_problems(df: pd.DataFrame, keys: pd.Series, file: str) -> list[Problem]:
    """Find regional and national rows whose series key names another place than their ``geography_name``.

    Parameters
    ----------
    df : pandas.DataFrame
        The record read as text.
    keys : pandas.Series
        The series key of each row (:func:`series_of`), aligned with ``df``.
    file : str
        The file name shown in each problem.

    Returns
    -------
    list of Problem
        One per row whose key names another place.
    """
    problems = []
    rows = zip(df.index, keys.reindex(df.index), df["geography_level"], df["geography_name"], strict=True)
    for idx, key, level, name in rows:
        if not isinstance(key, str) or level not in ("national", "province", "regency", "city", "subdistrict"):
            continue
        try:
            expected = place_key(level, name)
        except TppoError as exc:
            problems.append(Problem(file, line_of(idx, df), "geography_name", name, str(exc)))
            continue
        base = split_key(key)[0]
        if base != expected and not (level == "national" and base.startswith("national:")):
            problems.append(
                Problem(
                    file,
                    line_of(idx, df),
                    "geography_name",
                    name,
                    f"its series key {key} names another place than this row ({expected})",
                )
            )
    return problems


def _convert(df: pd.DataFrame, aliases: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["measure_group"] = out["measure"].map(MEASURE_GROUP)
    out["series"] = series_of(df, aliases)
    out["series_label"] = series_of(df, aliases, "series_label")
    out["value"] = out["value"].astype("int64")
    out["start_stated"] = out["period_start"] != ""
    out["period_start"] = _parse_iso(out["period_start"])
    out["period_end"] = _parse_iso(out["period_end"])
    pub = out["published_date"]
    out["published_precision"] = pub.str.len().map({10: "day", 7: "month", 4: "year"}).fillna("unknown")
    padded = pub.where(pub.str.len() != 7, pub + "-01").where(pub.str.len() != 4, pub + "-01-01")
    out["published"] = _parse_iso(padded)
    notes = list(df.attrs.get("read_notes", []))
    warnings = list(df.attrs.get("warnings", []))
    out = out[list(OUTPUT_COLUMNS)].reset_index(drop=True)
    out.attrs = {"read_notes": notes, "warnings": warnings}
    return out


def check_public_record(
    df: pd.DataFrame, file: str, aliases: pd.DataFrame | None = None
) -> tuple[list[Problem], list[Problem]]:
    """Return ``(errors, warnings)`` for a public-record table read as text.

    Checks the schema, the cross-column rules and the record rules (see :mod:`tppo_analysis.sources.record_rules`).
    Errors stop the loader; warnings are reported.

    Parameters
    ----------
    df : pandas.DataFrame
        The record read as text (:func:`~tppo_analysis.sources.validation.read_text_table`).
    file : str
        The file name shown in each problem.
    aliases : pandas.DataFrame, optional
        The alias table (default: the committed one).

    Returns
    -------
    tuple of (list of Problem, list of Problem)
        ``(errors, warnings)``.
    """
    problems = missing_column_problems(df, PUBLIC_RECORD_COLUMNS, file)
    if problems:
        return problems, []
    aliases = load_series_aliases() if aliases is None else aliases
    subset = df[list(PUBLIC_RECORD_COLUMNS)]
    subset.attrs = dict(df.attrs)
    errors = [_with_hint(p) for p in schema_problems(subset, PUBLIC_RECORD_SCHEMA, file)]
    errors += _cross_checks(df, file, aliases)
    errors += record_rules.period_problems(df, file)
    errors += record_rules.url_problems(df, file)
    errors += record_rules.duplicate_problems(df, file)
    errors += record_rules.place_problems(df, file)
    warnings = record_rules.same_value_warnings(df, file)
    return errors, warnings


def validate_public_record(df: pd.DataFrame, file: str, aliases: pd.DataFrame | None = None) -> list[Problem]:
    """Return every error in a public-record table read as text (warnings: :func:`check_public_record`).

    Parameters
    ----------
    df : pandas.DataFrame
        The record read as text.
    file : str
        The file name shown in each problem.
    aliases : pandas.DataFrame, optional
        The alias table (default: the committed one).

    Returns
    -------
    list of Problem
        The errors.
    """
    return check_public_record(df, file, aliases)[0]


def _with_hint(problem: Problem) -> Problem:
    """Add what the cell probably means, without changing the data.

    Add what the cell probably means ("5.000" -> 5000, an Excel serial -> a date) without changing the data:
    the public record is stored canonically, so the fix belongs in the file.
    """
    from dataclasses import replace

    from ..errors import CellError
    from ._read import parse_count, parse_date_cell

    if problem.value in (None, ""):
        return problem
    try:
        if problem.column == "value":
            hint = f"did you mean {parse_count(problem.value, allow_approximate=True)}? write it as digits only"
        elif problem.column in ("period_start", "period_end"):
            hint = f"did you mean {parse_date_cell(problem.value):%Y-%m-%d}? write it as YYYY-MM-DD"
        else:
            return problem
    except CellError as exc:
        hint = str(exc)
    except (TypeError, ValueError):
        return problem
    return replace(problem, reason=f"{problem.reason} ({hint})")


def load_public_record(
    path: str | os.PathLike | None = None,
    *,
    on_error: str = "raise",
    aliases: str | os.PathLike | pd.DataFrame | None = None,
):
    """Load and validate the public record: one row per reported figure.

    Parameters
    ----------
    path : str or os.PathLike, optional
        A CSV file, or a folder holding ``public_reported_figures.csv``. Default: ``data/public/`` (or
        ``$TPPO_DATA_DIR/public``).
    on_error : {"raise", "exclude"}
        ``"raise"`` (default): any problem raises :class:`~tppo_analysis.errors.DataValidationError` listing every
        problem (file, line — the header is line 1 — column, value, reason). ``"exclude"``: load the valid rows and
        return ``(figures, excluded)``, ``excluded`` holding each bad row with its line and reasons.
    aliases : str, os.PathLike or pandas.DataFrame, optional
        The series alias table: a path, or a frame from :func:`load_series_aliases` (default: the committed
        ``data/reference/series_aliases.csv``).

    Returns
    -------
    DataFrame
        Columns ``figure_id``, ``measure`` (controlled vocabulary), ``measure_group``
        (departure/passport/program/denominator/context), ``value`` (int64, as reported), ``unit``, ``period_start`` and
        ``period_end`` (inclusive dates; ``period_start`` is NaT when the source did not state a start, see
        ``start_stated``), ``geography_level``, ``geography_name``, ``tpi_or_office`` (as in the source), ``series``
        (stable key, e.g. ``national``, ``tpi:soekarno-hatta``, ``office:blitar``, ``regency:kab-semarang``; see
        :mod:`~tppo_analysis.sources.series_keys`), ``series_label`` (names the place), ``destination``,
        ``source_url``, ``source_outlet``, ``published_date`` (as written), ``published`` (date; a partial date is its
        first day) and ``published_precision`` (day/month/year/unknown), ``notes``. ``attrs["warnings"]`` holds the
        warnings (problems that do not stop loading), ``attrs["read_notes"]`` what was normalised on reading.
    """
    p = Path(path) if path is not None else paths.public_data_dir()
    if p.is_dir():
        p = p / PUBLIC_RECORD_FILE
    file = display_path(p)
    df = read_text_table(p)
    if len(df) == 0:
        raise TppoError(f"{file}: has a header but no data rows")
    if aliases is None or not isinstance(aliases, pd.DataFrame):
        aliases = load_series_aliases(aliases)
    errors, warnings = check_public_record(df, file, aliases)
    df.attrs["warnings"] = warnings
    return finish(df, errors, file=file, on_error=on_error, convert=lambda d: _convert(d, aliases))
