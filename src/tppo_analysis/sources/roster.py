"""The Desa Binaan Imigrasi roster: named villages, their Kemendagri codes and when they joined the program.

Source: ``data/public/desa_binaan_reported.csv`` (compiled from news and immigration-office pages; each row cites
one). The roster is a sample of what is public, not the program's census (185 villages were stated nationally in May
2025; the roster names far fewer).

Codes come from :func:`tppo_analysis.sources.match_villages`; a code written in the file (``village_code``)
must exist in the Kemendagri list and agree with the name match (a code chosen by hand where the name match is
ambiguous is kept and marked ``curated``). Nothing is guessed: villages without a unique match keep a missing code
and say why (``unmatched_reason``).

Launch dates carry a precision from a fixed vocabulary:

``day``          the designation (SK handover, "pengukuhan", launch event) date is reported;
``month``        only the month is known (date stored as the 1st of the month);
``year``         only the year is known (stored as 1 January);
``approximate``  a date near the designation (a release or announcement date), not the event itself;
``unknown``      no launch date; ``existing_by`` then gives the first date the village is reported as a desa binaan,
                 when a source shows one.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from ..errors import Problem, TppoError, display_path
from . import _village_match, geography
from .schemas import PRECISIONS, ROSTER_FILE_COLUMNS, ROSTER_SCHEMA
from .validation import finish, missing_column_problems, read_text_table, schema_problems

__all__ = [
    "PRECISIONS",
    "ROSTER_FILE_COLUMNS",
    "ROSTER_COLUMNS",
    "ROSTER_SCHEMA",
    "load_desa_binaan",
    "roster_problems",
    "roster_match_report",
    "unmatched_villages",
    "launches_by_year",
    "villages_by_province",
]

#: Columns returned by :func:`load_desa_binaan`, in order.
ROSTER_COLUMNS = (
    "village_code",
    "match_status",
    "match_method",
    "unmatched_reason",
    "candidates",
    "village",
    "village_type",
    "kecamatan",
    "regency_city",
    "province",
    "immigration_office",
    "launch_date",
    "precision",
    "existing_by",
    "source",
    "source_url",
    "source_outlet",
    "notes",
    "synthetic",
)

_DATE_FORMS = {
    "day": r"^\d{4}-\d{2}-\d{2}$",
    "approximate": r"^\d{4}-\d{2}-\d{2}$",
    "month": r"^\d{4}-\d{2}$",
    "year": r"^\d{4}$",
    "unknown": r"^$",
}
_DATE_WORDING = {
    "day": "YYYY-MM-DD",
    "approximate": "YYYY-MM-DD",
    "month": "YYYY-MM",
    "year": "YYYY",
    "unknown": "blank",
}


def _default_path() -> Path:
    from ..paths import public_data_dir

    return public_data_dir() / "desa_binaan_reported.csv"


def _parse_date(text: str) -> pd.Timestamp | None:
    """Return a real calendar date from YYYY-MM-DD / YYYY-MM / YYYY, else None."""
    try:
        return pd.Timestamp(text) if text else None
    except (ValueError, TypeError):
        return None


def _row_problems(df: pd.DataFrame, file: str) -> tuple[list[Problem], pd.DataFrame]:
    """Cross-column rules and the village-code check; returns problems and the name-match result."""
    import re

    problems: list[Problem] = []
    line = lambda i: int(i) + 2  # noqa: E731  (header is line 1)
    for i, row in df.iterrows():
        precision, launch = row["launch_date_precision"], row["launch_date"]
        form = _DATE_FORMS.get(precision)
        if form is not None and not re.match(form, launch):
            want = _DATE_WORDING[precision]
            problems.append(
                Problem(
                    file,
                    line(i),
                    "launch_date",
                    launch or "(blank)",
                    f"precision {precision!r} needs a launch_date written {want}",
                )
            )
        for column in ("launch_date", "existing_by"):
            value = row[column]
            if value and re.match(r"^\d{4}(-\d{2}(-\d{2})?)?$", value) and _parse_date(value) is None:
                problems.append(Problem(file, line(i), column, value, "not a calendar date"))
        start, seen = _parse_date(launch), _parse_date(row["existing_by"])
        if start is not None and seen is not None and seen < start:
            problems.append(
                Problem(file, line(i), "existing_by", row["existing_by"], f"existing_by is before launch_date {launch}")
            )

    matched = _village_match.match_villages(df, regency="regency_city")
    known = set(geography._villages_cached()["village_code"])
    for i, row in df.iterrows():
        code = row["village_code"]
        if not code or not geography.is_village_code(code):
            continue  # blank, or already reported as malformed by the schema
        if code not in known:
            problems.append(
                Problem(
                    file,
                    line(i),
                    "village_code",
                    code,
                    "village code not in the Kemendagri list (Kepmendagri 300.2.2-2138/2025)",
                )
            )
            continue
        auto = matched.at[i, "village_code"]
        if matched.at[i, "match_status"] == "matched" and auto != code:
            problems.append(
                Problem(
                    file, line(i), "village_code", code, f"disagrees with the name match {auto} for {row['village']!r}"
                )
            )
        elif code[:5] not in _village_match._resolve_regency(row["regency_city"], None)[0]:
            problems.append(
                Problem(file, line(i), "village_code", code, f"code is not in regency/city {row['regency_city']!r}")
            )

    keyed = df.assign(_code=df["village_code"].where(df["village_code"] != "", matched["village_code"].fillna("")))
    dup = keyed[(keyed["_code"] != "") & keyed.duplicated("_code", keep="first")]
    for i, row in dup.iterrows():
        first = int(keyed.index[keyed["_code"] == row["_code"]][0])
        problems.append(
            Problem(file, line(i), "village_code", row["_code"], f"village listed twice (first at line {line(first)})")
        )
    return problems, matched


def _convert(df: pd.DataFrame, matched: pd.DataFrame) -> pd.DataFrame:
    m = matched.loc[df.index]
    given = df["village_code"].replace("", pd.NA)
    out = pd.DataFrame(index=df.index)
    out["village_code"] = given.fillna(m["village_code"]).astype("string")
    curated = given.notna() & (m["match_status"] != "matched")
    out["match_status"] = m["match_status"].where(~curated, "matched").astype("string")
    out["match_method"] = m["match_method"].where(~curated, "curated").astype("string")
    out["unmatched_reason"] = m["unmatched_reason"].where(~curated, pd.NA).astype("string")
    out["candidates"] = m["candidates"].where(~curated, pd.NA).astype("string")
    for column in ("village", "village_type", "kecamatan", "regency_city", "province", "immigration_office"):
        out[column] = df[column].replace("", pd.NA).astype("string")
    out["launch_date"] = pd.to_datetime(df["launch_date"].map(lambda s: _parse_date(s) if s else pd.NaT))
    out["precision"] = pd.Categorical(df["launch_date_precision"], categories=list(PRECISIONS))
    out["existing_by"] = pd.to_datetime(df["existing_by"].map(lambda s: _parse_date(s) if s else pd.NaT))
    for column in ("source_url", "source_outlet", "notes"):
        out[column] = df[column].replace("", pd.NA).astype("string")
    # one citation string per village ("Outlet, URL"), the ``source`` column of the public API
    out["source"] = (out["source_outlet"].fillna("") + ", " + out["source_url"].fillna("(no URL)")).astype("string")
    out["synthetic"] = False
    out = out[list(ROSTER_COLUMNS)].reset_index(drop=True)
    n = len(out)
    out.attrs["match_rate"] = float((out["match_status"] == "matched").sum() / n) if n else float("nan")
    out.attrs["source"] = "Desa Binaan Imigrasi roster compiled from cited public sources (not synthetic)"
    return out


def roster_problems(df: pd.DataFrame, file: str) -> tuple[list[Problem], pd.DataFrame | None]:
    """Return every problem of a roster read as text (schema, cross-column rules, codes), and the name-match result.

    Parameters
    ----------
    df : pandas.DataFrame
        The roster as read, every cell a string.
    file : str
        The file named in each problem.

    Returns
    -------
    tuple
        ``(problems, matched)``: the list of :class:`~tppo_analysis.errors.Problem` and the matched roster (None when
        the schema already failed).
    """
    problems = missing_column_problems(df, ROSTER_FILE_COLUMNS, file)
    if problems:
        return problems, None
    problems = schema_problems(df, ROSTER_SCHEMA, file)
    more, matched = _row_problems(df, file)
    return problems + more, matched


def load_desa_binaan(path: str | os.PathLike | None = None, *, on_error: str = "raise"):
    """Load and validate the Desa Binaan roster and attach Kemendagri village codes.

    Parameters
    ----------
    path : str or os.PathLike, optional
        CSV file; default ``public_data_dir() / "desa_binaan_reported.csv"``.
    on_error : {"raise", "exclude"}
        ``"raise"`` (default): any problem raises :class:`~tppo_analysis.errors.DataValidationError` listing every
        problem with file, line (header = line 1), column, value and reason. ``"exclude"``: return
        ``(roster, excluded)`` where ``excluded`` holds the bad rows as read with ``line`` and ``reasons``.

    Returns
    -------
    DataFrame
        One row per named village, columns :data:`ROSTER_COLUMNS`:
        ``village_code`` (dotted ``PP.KK.CC.VVVV``; missing when not matched), ``match_status``
        (``matched``/``ambiguous``/``unmatched``), ``match_method`` (see :func:`~tppo_analysis.sources.match_villages`;
        ``curated`` when the file's code settles a name the matcher could not), ``unmatched_reason``,
        ``candidates``, the names as reported, ``launch_date`` (datetime64; day-precision dates as given,
        ``month`` → 1st of month, ``year`` → 1 January; NaT when ``unknown``), ``precision`` (categorical, see
        the module doc), ``existing_by`` (datetime64, NaT if none), ``source`` ("outlet, URL"), ``source_url``, ``source_outlet``, ``notes``,
        ``synthetic`` (always False). ``attrs["match_rate"]`` is the share of rows with a code.
    """
    p = Path(path) if path is not None else _default_path()
    file = display_path(p)
    df = read_text_table(p)
    problems, matched = roster_problems(df, file)
    if matched is None:  # a missing column: nothing else can be checked
        matched = pd.DataFrame(index=df.index)
    return finish(df, problems, file=file, on_error=on_error, convert=lambda clean: _convert(clean, matched))


def roster_match_report(roster: pd.DataFrame | None = None) -> pd.DataFrame:
    """Count how many roster villages were matched to a Kemendagri code: one row per status, plus a total.

    ``attrs["match_rate"]`` carries the matched share.

    Parameters
    ----------
    roster : pandas.DataFrame, optional
        The roster (default: :func:`load_desa_binaan`).

    Returns
    -------
    pandas.DataFrame
        Columns ``match_status``, ``n``, ``share``.
    """
    roster = load_desa_binaan() if roster is None else roster
    if "match_status" not in roster.columns:
        raise TppoError("roster_match_report needs a roster from load_desa_binaan (no match_status column)")
    statuses = ["matched", "ambiguous", "unmatched"]
    counts = roster["match_status"].value_counts().reindex(statuses, fill_value=0).astype("int64")
    n = int(counts.sum())
    report = pd.DataFrame({"match_status": statuses + ["total"], "n": [*counts.tolist(), n]})
    report["share"] = (report["n"] / n).round(4) if n else float("nan")
    report.attrs["match_rate"] = float(counts["matched"] / n) if n else float("nan")
    return report


def unmatched_villages(roster: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return the roster villages without a code: names as reported, status, candidates and the reason (never guessed).

    Parameters
    ----------
    roster : pandas.DataFrame, optional
        The roster (default: :func:`load_desa_binaan`).

    Returns
    -------
    pandas.DataFrame
        One row per village without a code.
    """
    roster = load_desa_binaan() if roster is None else roster
    keep = ["village", "kecamatan", "regency_city", "province", "match_status", "candidates", "unmatched_reason"]
    return roster.loc[roster["match_status"] != "matched", keep].reset_index(drop=True)


def launches_by_year(roster: pd.DataFrame | None = None) -> pd.DataFrame:
    """Count the named villages by the year they became a Desa Binaan, split by how precisely that is known.

    Parameters
    ----------
    roster : pandas.DataFrame, optional
        The roster (default: :func:`load_desa_binaan`).

    Returns
    -------
    pandas.DataFrame
        One row per launch year (``no launch date`` for the ``unknown`` rows, which have at most an ``existing_by``
        date), one column per precision (``day``, ``month``, ``year``, ``approximate``), and ``villages``.
    """
    roster = load_desa_binaan() if roster is None else roster
    year = roster["launch_date"].dt.year.astype("Int64").astype("string").fillna("no launch date")
    table = pd.crosstab(year.rename("launch year"), roster["precision"].astype(str))
    order = [c for c in ("day", "month", "year", "approximate", "unknown") if c in table.columns]
    table = table[order]
    table["villages"] = table.sum(axis=1)
    table.columns.name = None
    return table


def villages_by_province(roster: pd.DataFrame | None = None) -> pd.DataFrame:
    """Count the named villages, their immigration offices and regencies, and the first launch, by province.

    Parameters
    ----------
    roster : pandas.DataFrame, optional
        The roster (default: :func:`load_desa_binaan`).

    Returns
    -------
    pandas.DataFrame
        Indexed by province (as the roster writes it), sorted by ``villages`` (descending): ``villages``,
        ``with_launch_date``, ``offices``, ``regencies``, ``first_launch`` (the earliest launch date, NaT if none).
    """
    roster = load_desa_binaan() if roster is None else roster
    table = roster.groupby("province").agg(
        villages=("village", "size"),
        with_launch_date=("launch_date", "count"),
        offices=("immigration_office", "nunique"),
        regencies=("regency_city", "nunique"),
        first_launch=("launch_date", "min"),
    )
    return table.sort_values(["villages", "first_launch"], ascending=[False, True])
