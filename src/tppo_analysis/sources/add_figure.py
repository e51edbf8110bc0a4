"""Add one reported figure to the public record the way an article states it: ``tppo add-figure``.

Keeping the record alive is daily work: a researcher reads "sepanjang Januari hingga April 2025, 5.000 calon PMI
dicegah berangkat" and wants it in ``data/public/public_reported_figures.csv`` with its window, its source and the
next stable ID, checked by the same rules as every other row. :func:`prepare_figure` does everything but write:

1. reads the period as the article states it with :func:`~tppo_analysis.sources.periods.parse_period` (Indonesian
   or English; vague phrases are refused with :class:`~tppo_analysis.errors.AmbiguousPeriodError`);
2. infers ``geography_level`` from the place and office when not given, the unit from the measure (the unit the
   record already uses for it), and reads the value with the record's count reader ("5.000" -> 5000);
3. assigns the next ``PRF-nnnn`` (one past the highest ID ever used: IDs never move and are never reused);
4. finds the row's series key in ``data/reference/series_aliases.csv``, or derives one from the key grammar
   (:func:`~tppo_analysis.sources.series_keys.derived_key`) and prepares the alias row that will be appended;
5. validates the record *with the new row* by every rule of :func:`~tppo_analysis.sources.public_record.check_public_record`
   and refuses, naming the line the row would take, when the new row breaks one (unknown measure, a period after
   publication, a duplicate, a share link, a place Kemendagri does not know ...).

:func:`append_figure` then appends the row (and the alias row, if any) to the end of the file(s) with the file's own
line ending and quoting, so no existing byte changes. What reconciliation does with the new row (a new window, a new
vintage, a conflict set aside) is described by :func:`tppo_analysis.record.reconciled.describe_change`, which the
command prints (the record stage reads the sources, not the other way round).

Written by hand: no library edits a CSV in place by appending a validated row.
"""

from __future__ import annotations

import csv
import difflib
import io
import os
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from .. import paths
from ..errors import DataValidationError, Problem, TppoError, display_path
from ._read import parse_count
from .destinations import IMPLIED_DESTINATION, destination_place
from .periods import Period, parse_period
from .places import parse_place
from .public_record import PUBLIC_RECORD_FILE, check_public_record
from .schemas import MEASURES, PUBLIC_RECORD_COLUMNS, UNITS
from .series_keys import ALIAS_COLUMNS, ALIAS_FILE, alias_group, derived_key, load_series_aliases, slug
from .validation import read_text_table

__all__ = ["NewFigure", "prepare_figure", "append_figure", "infer_level", "CLI_OPTIONS"]


#: The options of ``tppo add-figure``: flag -> (required, metavar, help); each is a :func:`prepare_figure` argument
#: of the same name (``--file`` is ``path``).
CLI_OPTIONS: dict[str, tuple[bool, str | None, str]] = {
    "--measure": (True, None, "measure of the vocabulary, e.g. dep_deferral_wni_pmi_suspected"),
    "--value": (True, None, "the number ('5.000' and '5000' both read as 5000)"),
    "--place": (True, None, "geography_name: 'Jawa Timur', 'Jawa Tengah (Kab. Semarang)', 'Indonesia'"),
    "--office": (True, None, "tpi_or_office: 'Kanim Blitar', 'TPI Bandara Juanda', 'all TPI'"),
    "--url": (True, None, "the article's own URL (not a share link)"),
    "--outlet": (True, None, "the outlet, e.g. 'ANTARA Jatim'"),
    "--published": (True, "YYYY-MM-DD", "publication (statement) day"),
    "--period": (True, "PHRASE", "the period as written: 'Januari-April 2025', 'sepanjang 2024'"),
    "--notes": (False, None, "own-words context (who said it, other outlets)"),
    "--unit": (False, None, "unit (default: the one the record uses for the measure)"),
    "--level": (False, None, "geography_level (default: inferred from place and office)"),
    "--destination": (False, None, "destinations named with the figure, ';'-separated"),
    "--file": (False, "PATH", "the record to add to (default: data/public/public_reported_figures.csv)"),
    "--aliases": (False, "PATH", "the series alias table (default: the one beside the record's folder)"),
}


@dataclass(frozen=True)
class NewFigure:
    """A figure ready to append: the row as it will be written, its window and series, and where it goes."""

    row: dict[str, str]
    period: Period
    series: str
    series_label: str
    record_path: Path
    alias_path: Path
    alias_row: dict[str, str] | None = None
    warnings: tuple[Problem, ...] = field(default_factory=tuple)

    @property
    def figure_id(self) -> str:
        """The new row's ID (``PRF-nnnn``)."""
        return self.row["figure_id"]

    def describe(self) -> str:
        """Describe what will be written, in a few lines (the command prints it before asking to confirm).

        Returns
        -------
        str
            The row, its window, place, series and source, and any warning.
        """
        r = self.row
        lines = [
            f"{r['figure_id']}: {r['measure']} = {r['value']} {r['unit']}",
            f"  window   {r['period_start'] or '(start not stated)'} .. {r['period_end']} "
            f"({(self.period.end - self.period.start).days + 1} days)",
            f"  place    {r['geography_level']}: {r['geography_name']} / {r['tpi_or_office']}",
            f"  series   {self.series} ({self.series_label})" + ("  [new alias row]" if self.alias_row else ""),
            f"  source   {r['source_outlet']}, {r['published_date']}: {r['source_url']}",
        ]
        lines += [f"  warning  {w.reason}" for w in self.warnings]
        return "\n".join(lines)


def infer_level(place: str, office: str) -> str:
    """``geography_level`` from the place and office as the record writes them.

    "Indonesia" -> national; "Prov (Kab. X)" -> regency; "Prov (Kab. X, Kec. Y)" -> subdistrict; other places in
    parentheses -> city; a bare province -> ``tpi`` for a checkpoint ("TPI …", "PLBN …"), ``office`` for an
    immigration office ("Kanim …", "Kantor Imigrasi …"), else ``province`` (a regional office or agency).

    Parameters
    ----------
    place : str
        ``geography_name`` as the record writes it.
    office : str
        ``tpi_or_office`` as the record writes it.

    Returns
    -------
    str
        The level.
    """
    p = parse_place(place)
    if p.province == "Indonesia" and not p.inner:
        return "national"
    if p.inner:
        if len(p.inner) == 2 and re.match(r"(?i)kec", p.inner[1]):
            return "subdistrict"
        if len(p.inner) == 1 and re.match(r"(?i)(kab|kota)\b", p.inner[0]):
            return "regency"
        return "city"
    if re.match(r"(?i)(tpi|plbn)\b", office.strip()):
        return "tpi"
    if re.match(r"(?i)(kanim|kantor imigrasi)\b", office.strip()):
        return "office"
    return "province"


def _record_path(path: str | os.PathLike | None) -> Path:
    p = Path(path) if path is not None else paths.public_data_dir() / PUBLIC_RECORD_FILE
    return p / PUBLIC_RECORD_FILE if p.is_dir() else p


def _alias_path_for(record: Path, aliases: str | os.PathLike | None) -> Path:
    if aliases is not None:
        return Path(aliases)
    sibling = record.parent.parent / "reference" / ALIAS_FILE
    return sibling if sibling.exists() else paths.repo_root() / "data" / "reference" / ALIAS_FILE


def _next_id(ids: pd.Series) -> str:
    numbers = [int(m.group(1)) for m in (re.fullmatch(r"PRF-(\d{4})", str(i)) for i in ids) if m]
    return f"PRF-{(max(numbers) if numbers else 0) + 1:04d}"


def _unit_for(measure: str, record: pd.DataFrame) -> str:
    used = record.loc[record["measure"] == measure, "unit"]
    if len(used):
        return str(used.mode().iloc[0])
    raise TppoError(f"no row of {measure} yet to take its unit from: pass --unit (one of {', '.join(UNITS)})")


def _label_for(key: str, level: str, place: str, office: str) -> str:
    p = parse_place(place)
    if level == "province":
        return f"{p.province} (province)"
    if level in ("regency", "city"):
        return " and ".join(p.inner) + f", {p.province}"
    if level == "subdistrict":
        return ", ".join(reversed(p.inner)) + f", {p.province}"
    if level == "office":
        return key.split(":", 1)[1].replace("-", " ").title() + f" immigration office ({p.province})"
    return re.sub(r"\s*\([^)]*\)", "", office).strip() + f" ({p.province})"


_SHARED_REASON = {
    "national": "national figure: the office column names the body that reported it, not a part of the country",
    "office": "one office: named with or without a unit or class in parentheses (added by tppo add-figure)",
    "tpi": "one checkpoint: named with or without its office (added by tppo add-figure)",
}


def _series_for(
    alias_table: pd.DataFrame, level: str, row: dict, measure: str, place: str, office: str
) -> tuple[str, str, dict[str, str] | None]:
    """Find the new row's series and label: its alias row, else the key grammar and a new alias row.

    A one-country destination (:mod:`~tppo_analysis.sources.destinations`) not declared yet is keyed as a breakdown,
    ``<place key>@<country>``: never merged into the total, and the new alias row says how to undo it if the country
    is only context.
    """
    group = alias_group(measure)
    same_place = alias_table[
        (alias_table["geography_level"] == level)
        & (alias_table["geography_name"] == row["geography_name"])
        & (alias_table["tpi_or_office"] == row["tpi_or_office"])
        & (alias_table["measure_group"] == group)
    ]
    dest = row["destination"]
    country = destination_place(dest)
    breakdown = country is not None and IMPLIED_DESTINATION.get(measure) != country
    exact = same_place[same_place["destination"] == dest] if dest else same_place.iloc[0:0]
    total = same_place[same_place["destination"] == ""]
    if len(exact):
        return exact["series"].iloc[0], exact["series_label"].iloc[0], None
    if len(total) and not breakdown:
        return total["series"].iloc[0], total["series_label"].iloc[0], None
    if len(total):
        series, label = total["series"].iloc[0], total["series_label"].iloc[0]
    else:
        series = derived_key(level, row["geography_name"], row["tpi_or_office"])
        same_key = alias_table[alias_table["series"] == series]
        label = same_key["series_label"].iloc[0] if len(same_key) else _label_for(series, level, place, office)
    reason, alias_dest = "", ""
    if breakdown and country is not None:
        base = series
        series, alias_dest = f"{base}@{slug(country)}", dest
        label = f"{'Indonesia' if base.startswith('national') else label}, {country} only"
        reason = (
            f"destination breakdown (added by tppo add-figure): the figure counts only {country}; if {country} is all "
            "this place can count, give this row the total's key and say why it is context"
        )
    same_key = alias_table[alias_table["series"] == series]
    if len(same_key):
        label = same_key["series_label"].iloc[0]
    shared = len(same_key) and set(zip(same_key["geography_name"], same_key["tpi_or_office"], strict=True)) != {
        (row["geography_name"], row["tpi_or_office"])
    }
    if shared and not reason:
        reason = _SHARED_REASON.get(
            level, "one place: the office column names the body that reported it (added by tppo add-figure)"
        )
    values = (level, row["geography_name"], row["tpi_or_office"], group, alias_dest, series, label, reason)
    return series, label, dict(zip(ALIAS_COLUMNS, values, strict=True))


def prepare_figure(
    *,
    measure: str,
    value: str | int,
    place: str,
    office: str,
    url: str,
    outlet: str,
    published: str | date,
    period: str,
    notes: str = "",
    unit: str | None = None,
    level: str | None = None,
    destination: str = "",
    path: str | os.PathLike | None = None,
    aliases: str | os.PathLike | None = None,
) -> NewFigure:
    """Build and validate the row for one reported figure without writing it (see the module docstring).

    Parameters
    ----------
    measure : str
        A measure of the record's vocabulary (``dep_deferral_wni_pmi_suspected``, ...).
    value : str or int
        The number as the article writes it ("5.000", 5000); approximate wording is refused (put it in ``notes``).
    place : str
        ``geography_name`` as the record writes it ("Jawa Timur", "Jawa Tengah (Kab. Semarang)", "Indonesia").
    office : str
        ``tpi_or_office`` as the record writes it ("Kanim Blitar", "TPI Bandara Juanda", "all TPI").
    url : str
        The article's own URL (not a share link).
    outlet : str
        The outlet.
    published : str or datetime.date
        The publication (statement) day, ``YYYY-MM-DD``.
    period : str
        The period as the article states it ("Januari-April 2025", "sepanjang 2024", "last three months").
    notes : str
        Own-words context; the command adds the period phrase as stated.
    unit : str, optional
        The unit (default: the unit the record already uses for the measure).
    level : str, optional
        ``geography_level`` (default: :func:`infer_level`).
    destination : str
        Destinations named with the figure (``;``-separated).
    path : str or os.PathLike, optional
        The record file (default ``data/public/public_reported_figures.csv``).
    aliases : str or os.PathLike, optional
        The alias table (default: the ``reference/series_aliases.csv`` beside the record's folder, else the
        repository's).

    Returns
    -------
    NewFigure
        The row as it will be written, its window, series and label, and the alias row to append (if any).

    Raises
    ------
    TppoError
        Unknown measure (with the closest names), an unreadable value or date.
    AmbiguousPeriodError
        A vague period phrase, or one that ends after publication.
    DataValidationError
        When the record with this row breaks a rule: the problems of the new row, at the line it would take.
    """
    if measure not in MEASURES:
        close = difflib.get_close_matches(str(measure), sorted(MEASURES), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise TppoError(
            f"unknown measure {measure!r}{hint} (the vocabulary is in data/public/public_reported_figures.md §2)"
        )
    try:
        pub = published if isinstance(published, date) else date.fromisoformat(str(published).strip())
    except ValueError:
        raise TppoError(f"--published {published!r}: write the publication (statement) day as YYYY-MM-DD") from None
    try:
        count = value if isinstance(value, int) else parse_count(value)
    except TppoError as exc:
        raise TppoError(f"--value {value!r}: {exc}") from None
    window = parse_period(period, pub)
    record_path = _record_path(path)
    alias_path = _alias_path_for(record_path, aliases)
    record = read_text_table(record_path)
    level = level or infer_level(place, office)
    row = {c: "" for c in PUBLIC_RECORD_COLUMNS}
    row.update(
        figure_id=_next_id(record["figure_id"]),
        measure=measure,
        value=str(count),
        unit=unit or _unit_for(measure, record),
        period_start=window.start.isoformat(),
        period_end=window.end.isoformat(),
        geography_level=level,
        geography_name=place.strip(),
        tpi_or_office=office.strip(),
        destination=destination.strip(),
        source_url=url.strip(),
        source_outlet=outlet.strip(),
        published_date=pub.isoformat(),
        notes=(notes.strip() + " " if notes.strip() else "") + f'Period as stated: "{period.strip()}".',
    )
    alias_table = load_series_aliases(alias_path)
    series, label, alias_row = _series_for(alias_table, level, row, measure, place, office)
    # validate the record with the new row (and the alias table with the new alias row)
    trial = pd.concat([record, pd.DataFrame([row])], ignore_index=True).fillna("")
    trial.attrs = dict(record.attrs)
    lines = list(record.attrs.get("lines", range(2, len(record) + 2)))
    new_line = (max(lines) if lines else 1) + 1
    trial.attrs["lines"] = [*lines, new_line]
    trial_aliases = (
        alias_table if alias_row is None else pd.concat([alias_table, pd.DataFrame([alias_row])], ignore_index=True)
    )
    errors, warnings = check_public_record(trial, display_path(record_path), aliases=trial_aliases)
    mine = [p for p in errors if p.line == new_line]
    if mine:
        raise DataValidationError(mine, file=f"{display_path(record_path)} (new row {row['figure_id']})")
    if errors:
        raise DataValidationError(errors, file=display_path(record_path))
    return NewFigure(
        row, window, series, label, record_path, alias_path, alias_row, tuple(p for p in warnings if p.line == new_line)
    )


def _append_csv_row(path: Path, columns: list[str], row: dict[str, str]) -> None:
    raw = path.read_bytes()
    newline = "\r\n" if b"\r\n" in raw[: raw.find(b"\n") + 1] else "\n"
    buf = io.StringIO()
    csv.writer(buf, lineterminator=newline).writerow([row.get(c, "") for c in columns])
    with path.open("ab") as fh:
        if raw and not raw.endswith(b"\n"):
            fh.write(newline.encode())
        fh.write(buf.getvalue().encode("utf-8"))


def append_figure(new: NewFigure) -> None:
    """Append the prepared row (and its alias row) to the end of the file(s); no existing byte changes.

    Parameters
    ----------
    new : NewFigure
        A figure from :func:`prepare_figure`.
    """
    header = read_text_table(new.record_path).columns.tolist()
    _append_csv_row(new.record_path, header, new.row)
    if new.alias_row is not None:
        _append_csv_row(new.alias_path, list(ALIAS_COLUMNS), new.alias_row)
