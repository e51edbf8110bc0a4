"""Read the delimited text files researchers actually hand over, losslessly, and say what was normalised.

Spreadsheets saved on Indonesian Windows machines arrive as Windows-1252/Latin-1, with a UTF-8 byte-order mark, with
semicolons (Excel's list separator where the decimal mark is a comma) or tabs, with trailing empty columns, and with
numbers written "5.000" or "1,5 ribu" and dates as Excel serial numbers. :func:`read_table` decodes and splits such
files keeping **every cell as the exact string written** (nothing coerced, no row dropped without a note);
:func:`parse_count` and :func:`parse_date_cell` then read a single cell strictly, raising :class:`CellError` with a
reason a researcher can act on. Loaders turn a ``CellError`` into a :class:`~tppo_analysis.errors.Problem` naming the
file, line (header = line 1) and column.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
from pathlib import Path

import pandas as pd

from ..errors import CellError, DataValidationError, Problem, TppoError, display_path

__all__ = [
    "read_table",
    "parse_count",
    "parse_date_cell",
    "parse_count_column",
    "parse_date_column",
    "CellError",
    "EXCEL_EPOCH",
]

#: Day 0 of Excel's (1900, Windows) date system as used by every serial after 1 March 1900.
EXCEL_EPOCH = dt.date(1899, 12, 30)


# ---------------------------------------------------------------------------------------------- whole files


def _decode(raw: bytes, file: str) -> tuple[str, list[str]]:
    notes: list[str] = []
    if raw.startswith(b"PK\x03\x04"):
        raise TppoError(
            f"{file}: this is an Excel workbook (.xlsx) or a zip archive, not a CSV text file; "
            "in Excel use File > Save As > 'CSV UTF-8 (Comma delimited)'"
        )
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise TppoError(
            f"{file}: this is an old Excel workbook (.xls), not a CSV text file; "
            "in Excel use File > Save As > 'CSV UTF-8 (Comma delimited)'"
        )
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        notes.append("decoded as UTF-16 (Excel 'Unicode text'); byte-order mark removed")
        return raw.decode("utf-16"), notes
    if raw.startswith(b"\xef\xbb\xbf"):
        notes.append("UTF-8 byte-order mark (BOM) removed from the start of the file")
        raw = raw[3:]
    if b"\x00" in raw:
        raise TppoError(f"{file}: contains NUL bytes: a binary file, not CSV text")
    try:
        return raw.decode("utf-8"), notes
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        head = raw[: exc.start]
        if any(b >= 0x80 for b in head) and _utf8_ok(head):
            first = next(i for i, b in enumerate(head) if b >= 0x80)
            utf8_line = head[:first].count(b"\n") + 1
            raise TppoError(
                f"{file} line {line}: not UTF-8 (byte 0x{raw[exc.start]:02x}) although line "
                f"{utf8_line} is UTF-8: the file mixes two encodings, and reading it either way "
                "would change some rows; save the whole file as 'CSV UTF-8'"
            ) from None
        try:
            text, enc = raw.decode("cp1252"), "Windows-1252"
        except UnicodeDecodeError:
            text, enc = raw.decode("latin-1"), "Latin-1 (ISO-8859-1)"
        notes.append(
            f"not UTF-8 (first non-UTF-8 byte 0x{raw[exc.start]:02x} on line {line}): decoded as {enc}; "
            "save as 'CSV UTF-8' to avoid this"
        )
        return text, notes


def _utf8_ok(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(raw) - 3  # only a multi-byte character cut at the end
    return True


def _separator(header: str) -> str:
    counts = {}
    for sep in (",", ";", "\t"):
        try:
            counts[sep] = len(next(csv.reader([header], delimiter=sep))) - 1
        except (csv.Error, StopIteration):
            counts[sep] = 0
    best = max(counts, key=lambda s: (counts[s], s == ","))
    return best if counts[best] > 0 else ","


def read_table(path: str | os.PathLike) -> tuple[pd.DataFrame, list[str]]:
    """Read a CSV-like file; every cell is the string written in the file ('' when empty).

    Detects the encoding (UTF-8, UTF-8 with BOM, UTF-16 with BOM, else Windows-1252/Latin-1, reported) and the
    separator (comma, semicolon or tab, from the header line). Blank lines and rows that are only separators are
    skipped and reported; trailing separators (empty extra fields) are ignored. Anything that cannot be read
    losslessly raises: an empty file, a binary/Excel file, duplicated or blank column names, a row with more or fewer
    fields than the header (:class:`~tppo_analysis.errors.DataValidationError` listing every such line).

    Returns
    -------
    (DataFrame, notes)
        Columns as in the header (surrounding spaces removed), one row per data row in file order with a
        ``RangeIndex`` (row ``i`` is line ``i + 2`` unless a quoted cell spans lines; ``df.attrs["lines"]`` holds the
        exact first line of every row). ``notes`` lists each normalisation in plain words.
    """
    p = Path(path)
    file = display_path(p)
    if not p.exists():
        raise TppoError(f"{file}: file not found")
    if p.is_dir():
        raise TppoError(f"{file}: is a folder, expected a CSV file")
    raw = p.read_bytes()
    if not raw.strip(b" \t\r\n\xef\xbb\xbf"):
        raise TppoError(f"{file}: the file is empty (expected a header line)")
    text, notes = _decode(raw, file)
    first_line = text.lstrip("\r\n").split("\n", 1)[0].rstrip("\r")
    sep = _separator(first_line)
    if sep != ",":
        notes.append(f"separator {'tab' if sep == chr(9) else repr(sep)} detected (not comma)")

    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
    rows: list[list[str]] = []
    lines: list[int] = []
    skipped: list[int] = []
    problems: list[Problem] = []
    header: list[str] | None = None
    header_line = 1
    prev_end = 0
    try:
        for fields in reader:
            start = prev_end + 1
            prev_end = reader.line_num
            if header is None:
                if not fields or all(f.strip() == "" for f in fields):
                    skipped.append(start)
                    continue
                header, header_line = fields, start
                continue
            if not fields or all(f.strip() == "" for f in fields):
                skipped.append(start)
                continue
            rows.append(fields)
            lines.append(start)
    except csv.Error as exc:
        raise TppoError(
            f"{file} line {prev_end + 1}: cannot be read as CSV ({exc}); check for a stray or unclosed double quote"
        ) from None
    if header is None:
        raise TppoError(f"{file}: the file is empty (expected a header line)")
    if header_line != 1:
        notes.append(f"{header_line - 1} blank line(s) before the header skipped")

    names = [h.strip() for h in header]
    while names and names[-1] == "" and all(len(r) < len(names) or r[len(names) - 1] == "" for r in rows):
        names.pop()
        notes.append("an empty trailing column (separator at the end of the header) ignored")
    if [h for h in header[: len(names)]] != names:
        notes.append("spaces around column names removed")
    seen: dict[str, int] = {}
    for j, name in enumerate(names, start=1):
        if name == "":
            problems.append(Problem(file, header_line, f"#{j}", None, "column has no name in the header"))
        elif name in seen:
            problems.append(
                Problem(file, header_line, name, None, f"column name used twice (columns {seen[name]} and {j})")
            )
        else:
            seen[name] = j
    n = len(names)
    data: list[list[str]] = []
    for fields, line in zip(rows, lines, strict=True):
        if len(fields) > n and all(f.strip() == "" for f in fields[n:]):
            fields = fields[:n]
        if len(fields) != n:
            what = "more" if len(fields) > n else "fewer"
            hint = (
                "an unquoted separator inside a cell?"
                if what == "more"
                else "a missing separator or a line break inside a cell?"
            )
            reason = f"row has {len(fields)} fields, {what} than the {n} columns of the header ({hint})"
            problems.append(Problem(file, line, None, None, reason))
            continue
        data.append(fields)
    if problems:
        raise DataValidationError(problems, file=file)
    if skipped:
        shown = ", ".join(map(str, skipped[:10])) + (" …" if len(skipped) > 10 else "")
        notes.append(f"{len(skipped)} blank line(s) skipped (line {shown})")
    if any(b - a != 1 for a, b in zip([header_line, *lines], lines, strict=False)) and lines:
        notes.append("some quoted cells contain line breaks: df.attrs['lines'] gives each row's first line")
    if not data:
        notes.append("header only: no data rows")
    df = pd.DataFrame(data, columns=names, dtype=object) if data else pd.DataFrame(columns=names, dtype=object)
    df.attrs["lines"] = lines
    df.attrs["file"] = file
    return df, notes


# ---------------------------------------------------------------------------------------------- single cells

_APPROX = re.compile(
    r"^(?:sekitar|kurang\s+lebih|kurang\s+dari|lebih\s+dari|hampir|ada|±|~|\+/-|>|<|about|around|over|"
    r"nearly|approximately|approx\.?|ca\.?)\s*",
    re.IGNORECASE,
)
_MULTIPLIER = {
    "ribu": 1_000,
    "rb": 1_000,
    "ribuan": 1_000,
    "k": 1_000,
    "juta": 1_000_000,
    "jt": 1_000_000,
    "million": 1_000_000,
    "thousand": 1_000,
    "miliar": 1_000_000_000,
    "milyar": 1_000_000_000,
}
_NUMBER = re.compile(r"^(?P<num>[0-9][0-9., \u00a0\u202f]*)\s*(?P<mult>[A-Za-z]+)?\.?$")


def parse_count(text: object, *, allow_approximate: bool = False) -> int:
    """Read a count written the Indonesian way; raise :class:`CellError` when it is not a whole, certain number.

    ``"5000"``, ``"5.000"`` and ``"1.234.567"`` (dot = thousands separator) → 5000 / 1234567; ``"1,234,567"``
    (English groups, more than one) → 1234567; ``"1,5 ribu"`` / ``"1.5 ribu"`` → 1500, ``"2 juta"`` → 2000000,
    ``"5 000"`` → 5000. Refused with a reason: blanks, negatives, fractions (``"12,5"``), ambiguous ``"5,000"``
    (Indonesian 5 or English 5000?), scientific notation, other words, and approximate wording (``"sekitar 5.000"``)
    unless ``allow_approximate=True`` (then the number is returned; record that it was approximate).
    """
    raw = "" if text is None else str(text)
    s = raw.strip()
    if s == "":
        raise CellError("empty: a count is required (write 0 for none)")
    approx = _APPROX.match(s)
    if approx:
        if not allow_approximate:
            raise CellError(
                f"{raw!r} is approximate ({approx.group(0).strip()!r}): store the number and say 'approximate' in notes"
            )
        s = s[approx.end() :].strip()
    if s.startswith(("-", "−")):
        raise CellError(f"{raw!r} is negative: a count cannot be below 0")
    if re.fullmatch(r"[0-9.,]+[eE][+-]?[0-9]+", s):
        raise CellError(f"{raw!r} is in scientific notation (Excel): format the column as a whole number and re-save")
    m = _NUMBER.match(s)
    if not m:
        raise CellError(f"{raw!r} is not a count: write digits only, e.g. 5000")
    num, word = m.group("num").strip(), (m.group("mult") or "").lower()
    if word and word not in _MULTIPLIER:
        raise CellError(f"{raw!r} is not a count: unknown word {word!r} (write digits only, e.g. 5000)")
    mult = _MULTIPLIER.get(word, 1)
    num = re.sub(r"[ \u00a0\u202f]", "", num) if re.fullmatch(r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+", num) else num
    if re.search(r"\s", num):
        raise CellError(f"{raw!r} is not a count: unexpected space")
    if re.fullmatch(r"\d+", num):
        return int(num) * mult
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", num):  # 5.000, 1.234.567: Indonesian thousands
        if mult != 1 and num.count(".") == 1:
            raise CellError(
                f"{raw!r} is ambiguous: {num} {word} could mean {num.replace('.', '')} {word}; "
                f"write the full number, e.g. {int(num.replace('.', '')) * mult}"
            )
        return int(num.replace(".", "")) * mult
    if re.fullmatch(r"\d{1,3}(?:,\d{3}){2,}", num):  # 1,234,567: English thousands (unambiguous)
        return int(num.replace(",", "")) * mult
    if re.fullmatch(r"\d{1,3},\d{3}", num):
        raise CellError(
            f"{raw!r} is ambiguous: Indonesian {num.replace(',', '.')} (decimal comma) or English "
            f"{num.replace(',', '')}? write digits only, e.g. {num.replace(',', '')}"
        )
    dec = re.fullmatch(r"(\d+)[.,](\d+)", num)
    if dec:
        value = int(dec.group(1)) * mult + round(int(dec.group(2)) * mult / 10 ** len(dec.group(2)), 9)
        if mult != 1 and float(value).is_integer():
            return int(value)
        raise CellError(f"{raw!r} is not a whole number: a count of people cannot have a fraction")
    raise CellError(f"{raw!r} is not a count: write digits only, e.g. 5000")


_BULAN = {
    "januari": 1,
    "jan": 1,
    "februari": 2,
    "pebruari": 2,
    "feb": 2,
    "peb": 2,
    "maret": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "mei": 5,
    "juni": 6,
    "jun": 6,
    "juli": 7,
    "jul": 7,
    "agustus": 8,
    "agu": 8,
    "agt": 8,
    "agus": 8,
    "september": 9,
    "sep": 9,
    "sept": 9,
    "oktober": 10,
    "okt": 10,
    "november": 11,
    "nov": 11,
    "nopember": 11,
    "nop": 11,
    "desember": 12,
    "des": 12,
    "january": 1,
    "february": 2,
    "march": 3,
    "may": 5,
    "june": 6,
    "july": 7,
    "august": 8,
    "aug": 8,
    "october": 10,
    "oct": 10,
    "december": 12,
    "dec": 12,
}


def _date(y: int, m: int, d: int, raw: str) -> dt.date:
    try:
        return dt.date(y, m, d)
    except ValueError:
        raise CellError(f"{raw!r} is not a calendar date (day {d}, month {m}, year {y})") from None


def parse_date_cell(
    text: object,
    *,
    excel_serial: bool = True,
    earliest: dt.date | str | None = None,
    latest: dt.date | str | None = None,
) -> dt.date:
    """Read one date cell strictly; raise :class:`CellError` with the reason.

    Accepted: ISO ``2023-05-01`` (also with a midnight time ``2023-05-01 00:00:00``), day-first ``01/05/2023``,
    ``1-5-2023`` or ``01.05.2023`` (Indonesian order), ``1 Mei 2023`` / ``1 Agustus 2023`` (Indonesian or English
    month names), and Excel serial day numbers (``45047`` = 2023-05-01, 1900 date system) when ``excel_serial``.
    Refused: two-digit years, US month-first dates (``05/31/2023``), times other than midnight, serials with a
    fraction, and dates outside ``earliest``..``latest`` when given.
    """
    raw = "" if text is None else str(text)
    s = raw.strip()
    if s == "":
        raise CellError("empty: a date is required")
    d: dt.date | None = None
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.0+)?)?)?", s)
    if m:
        if m.group(4) and (int(m.group(4)), int(m.group(5)), int(m.group(6) or 0)) != (0, 0, 0):
            raise CellError(f"{raw!r} has a time of day: give the date only (YYYY-MM-DD)")
        d = _date(int(m.group(1)), int(m.group(2)), int(m.group(3)), raw)
    if d is None:
        m = re.fullmatch(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{2,4})", s)
        if m:
            day, month, year = int(m.group(1)), int(m.group(3)), m.group(4)
            if len(year) != 4:
                raise CellError(f"{raw!r} has a two-digit year: write the year in full (YYYY-MM-DD)")
            if month > 12 and day <= 12:
                raise CellError(f"{raw!r} looks like month/day (US order); dates here are day/month/year or YYYY-MM-DD")
            d = _date(int(year), month, day, raw)
    if d is None:
        m = re.fullmatch(r"(\d{1,2})\s+([A-Za-z]+)\.?\s+(\d{4})", s)
        if m:
            named = _BULAN.get(m.group(2).lower())
            if named is None:
                raise CellError(f"{raw!r}: unknown month name {m.group(2)!r}")
            d = _date(int(m.group(3)), named, int(m.group(1)), raw)
    if d is None and re.fullmatch(r"\d+(?:[.,]\d+)?", s):
        if not excel_serial:
            raise CellError(f"{raw!r} is a number, not a date: write YYYY-MM-DD")
        if not re.fullmatch(r"\d+", s):
            raise CellError(f"{raw!r} is an Excel date-time serial with a time part: give the date only")
        n = int(s)
        if not 61 <= n <= 2_958_465:
            raise CellError(f"{raw!r} is a number, not a date: write YYYY-MM-DD")
        d = EXCEL_EPOCH + dt.timedelta(days=n)
    if d is None:
        raise CellError(f"{raw!r} is not a date: write YYYY-MM-DD")
    lo = dt.date.fromisoformat(earliest) if isinstance(earliest, str) else earliest
    hi = dt.date.fromisoformat(latest) if isinstance(latest, str) else latest
    if (lo and d < lo) or (hi and d > hi):
        raise CellError(
            f"{raw!r} ({d.isoformat()}) is outside the supported range "
            f"{lo.isoformat() if lo else '…'} to {hi.isoformat() if hi else '…'}"
        )
    return d


def _lines_for(series: pd.Series, lines: list[int] | None) -> list[int]:
    if lines is not None and len(lines) == len(series):
        return list(lines)
    return [int(i) + 2 for i in range(len(series))]


def parse_count_column(
    series: pd.Series,
    *,
    file: str,
    column: str | None = None,
    lines: list[int] | None = None,
    allow_approximate: bool = False,
) -> tuple[pd.Series, list[Problem], list[str]]:
    """:func:`parse_count` over a text column: ``(Int64 values, problems, notes)``.

    Every unreadable cell becomes a Problem (file, line, column, value, reason) and ``<NA>`` in the values; notes
    report how many cells were normalised (e.g. "5.000" → 5000), so nothing changes silently.
    """
    column = column or str(series.name)
    lines = _lines_for(series, lines)
    values, problems, changed = [], [], 0
    for raw, line in zip(series.tolist(), lines, strict=True):
        try:
            v = parse_count(raw, allow_approximate=allow_approximate)
        except CellError as exc:
            problems.append(Problem(file, line, column, str(raw), str(exc)))
            values.append(pd.NA)
            continue
        changed += str(raw).strip() != str(v)
        values.append(v)
    what = "count(s) normalised (thousands separators / 'ribu' / 'juta')"
    notes = [f"column {column}: {changed} {what}"] if changed else []
    return pd.Series(values, index=series.index, dtype="Int64", name=series.name), problems, notes


def parse_date_column(
    series: pd.Series,
    *,
    file: str,
    column: str | None = None,
    lines: list[int] | None = None,
    earliest: dt.date | str | None = None,
    latest: dt.date | str | None = None,
    required: bool = True,
) -> tuple[pd.Series, list[Problem], list[str]]:
    """Parse a text column of dates with :func:`parse_date_cell`.

    :func:`parse_date_cell` over a text column: ``(datetime64 values, problems, notes)``; blanks allowed unless
    ``required``. Notes count cells read from Excel serials or day/month/year forms.
    """
    column = column or str(series.name)
    lines = _lines_for(series, lines)
    values, problems, changed = [], [], 0
    for raw, line in zip(series.tolist(), lines, strict=True):
        if not required and (raw is None or str(raw).strip() == ""):
            values.append(pd.NaT)
            continue
        try:
            d = parse_date_cell(raw, earliest=earliest, latest=latest)
        except CellError as exc:
            problems.append(Problem(file, line, column, str(raw), str(exc)))
            values.append(pd.NaT)
            continue
        changed += str(raw).strip() != d.isoformat()
        values.append(pd.Timestamp(d))
    what = "date(s) normalised to YYYY-MM-DD (Excel serials, day/month/year)"
    notes = [f"column {column}: {changed} {what}"] if changed else []
    return pd.Series(pd.to_datetime(values), index=series.index, name=series.name), problems, notes
