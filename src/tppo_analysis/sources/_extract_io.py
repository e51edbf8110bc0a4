"""File-level checks for record-level extracts, before and after DuckDB reads them.

DuckDB's CSV sniffer looks at the first 20,480 rows only: a quoted cell or a short row further down then becomes a
traceback or, worse, a silently different reading. So the dialect is fixed here from the header line (separator
``,`` ``;`` or tab; double quotes; UTF-8, UTF-8 with BOM or UTF-16 with BOM) and passed to DuckDB explicitly, and
when DuckDB still refuses a file, a streaming pass with Python's ``csv`` module (the same rules as
:func:`tppo_analysis.sources._read.read_table`) finds the exact file lines: quoted cells that span lines and blank
lines are counted as in the file (header = line 1). Options and output locations are checked here too, so that a
bad value is one sentence rather than a DuckDB traceback. The columns of the documented formats (``COLUMN_DOCS``, the
text of ``docs/restricted_extract_formats.md``) and the rules of the optional columns requested by issue 14
(``RECORD_EXTRAS``) live here too, so that the pandera schemas, DuckDB and Spark share one definition.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import DataValidationError, OutputLocationError, Problem, TppoError, display_path

__all__ = [
    "CsvDialect",
    "csv_dialect",
    "data_rows",
    "line_problems",
    "lines_of_rows",
    "check_options",
    "check_output",
    "inside",
    "RECORD_EXTRAS",
    "extra_problem_condition",
    "iso_countries",
    "COLUMN_DOCS",
]

_MEMORY = re.compile(r"^\s*\d+(?:\.\d+)?\s*(?:B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.IGNORECASE)
_MAX_PROBLEMS = 50
#: Kemendagri village code, dotted; the first year a record date may have.
VILLAGE_PATTERN = r"^[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[0-9]{4}$"
FIRST_YEAR = 2000


def iso_countries() -> tuple[str, ...]:
    """Return the assigned ISO 3166-1 alpha-2 codes, from the IANA tz database's ``iso3166.tab`` (shipped by ``tzdata``).

    Read from the installed database rather than typed here, so that a new or withdrawn code follows ``tzdata``.
    """
    from importlib.resources import files

    text = (files("tzdata") / "zoneinfo" / "iso3166.tab").read_text(encoding="utf-8")
    return tuple(sorted({ln.split("\t", 1)[0] for ln in text.splitlines() if ln and not ln.startswith("#")}))


def _extras() -> dict[str, tuple[str, str]]:
    country = "(" + "|".join(iso_countries()) + ")"
    return {
        "destination_country": (f"^{country}$", "not an ISO 3166 alpha-2 country code in capitals (e.g. MY, KH)"),
        "visa_type": ("^(work|visa_free|tourist|other|none)$", "not one of work, visa_free, tourist, other, none"),
        "route": (
            f"^{country}(>{country})*$",
            "not transit countries as ISO 3166 alpha-2 codes in capitals separated by '>' (e.g. MY>KH)",
        ),
    }


#: Optional columns of record-level extracts (requested by issue 14): column -> (anchored regular expression a
#: non-empty value must match in full, the reason shown when it does not). Empty cells are allowed (not known). The
#: same expression is used by pandera (pandas), DuckDB (``regexp_full_match``) and Spark (``RLIKE``), so the three
#: paths accept and refuse the same values.
RECORD_EXTRAS: dict[str, tuple[str, str]] = _extras()


#: kind -> column -> meaning, the text of the format tables of ``docs/restricted_extract_formats.md`` (the schemas
#: that check them are in :mod:`tppo_analysis.sources.schemas`, which re-exports this).
COLUMN_DOCS: dict[str, dict[str, str]] = {
    "deferral_records": {
        "record_id": "unique id of the deferral record within the extract (any text without personal data)",
        "person_key": "pseudonymous person key: lower-case hex sha256 of the NIK with a secret salt (64 characters, or "
        "its first 16 with at least one letter a-f), made inside the ministry; lets repeat attempts be counted "
        "without identifying anyone. Never the NIK itself",
        "deferral_date": "date of the deferral, YYYY-MM-DD (local date at the checkpoint)",
        "checkpoint": "TPI name with its kind (e.g. 'Bandara Soekarno-Hatta', 'Pelabuhan Tanjung Perak')",
        "checkpoint_type": "airport | seaport | land_border",
        "immigration_office": "Kanim responsible for the TPI",
        "reason": "suspected_pmi_nonprosedural | incomplete_documents | inconsistent_purpose | other",
        "village_code": "Kemendagri code PP.KK.CC.VVVV of the village of residence (KTP address); empty if not "
        "mapped (then match_quality = unmatched)",
        "match_quality": "how the address was mapped: exact | fuzzy | district_only | unmatched",
        "age_band": "age at deferral in 5-year bands ('15-19', '20-24', ... '60+'), or empty",
        "sex": "F | M | empty",
        "destination_country": "destination stated or found at the checkpoint (ISO 3166 alpha-2, e.g. MY, KH), or "
        "empty",
        "visa_type": "visa or entry type held: work | visa_free | tourist | other | none, or empty",
        "route": "transit countries in order, ISO alpha-2 separated by '>' (e.g. 'MY>KH'), or empty",
    },
    "passport_records": {
        "record_id": "unique id of the application record within the extract",
        "person_key": "pseudonymous person key (as in deferral_records, same salt so the two can be linked)",
        "application_date": "date the passport application was lodged, YYYY-MM-DD",
        "decision_date": "date of the deferral/refusal decision, YYYY-MM-DD",
        "decision": "deferred | refused | withdrawn",
        "immigration_office": "Kanim or ULP that took the decision",
        "suspected_pmi_nonprosedural": "1 if the decision cites suspected non-procedural migrant work, else 0",
        "village_code": "Kemendagri code PP.KK.CC.VVVV of the applicant's village (KTP address), empty if not mapped",
        "match_quality": "exact | fuzzy | district_only | unmatched",
        "age_band": "age band as in deferral_records, or empty",
        "sex": "F | M | empty",
        "destination_country": "destination stated on the application (ISO 3166 alpha-2), or empty",
        "visa_type": "visa type held or applied for, as in deferral_records, or empty",
        "route": "planned transit countries, as in deferral_records, or empty",
    },
    "village_panel": {
        "village_code": "Kemendagri code PP.KK.CC.VVVV (every village of the geography, not only villages with events)",
        "month": "calendar month YYYY-MM",
        "deferrals": "departure deferrals of residents on suspicion of PMI nonprosedural in the month (integer >= 0)",
        "passport_deferrals": "passport applications of residents deferred/refused on that suspicion (integer >= 0)",
        "passports_issued": "ordinary passports issued to residents in the month (integer >= 0; the denominator); "
        "may be empty if not available",
        "population": "working-age residents (15-64) of the village, the exposure offset of docs/pre_analysis_plan.md; "
        "one value per village (repeated every month), integer > 0",
    },
}


def extra_problem_condition(column: str, quoted: str, cast: str = "VARCHAR", match: str = "regexp_full_match") -> str:
    """Return the SQL condition true for a non-empty value of a :data:`RECORD_EXTRAS` column that breaks its rule.

    ``quoted`` is the column as the engine quotes it; ``cast``/``match`` name the engine's text type and regular
    expression test (DuckDB: ``VARCHAR``/``regexp_full_match``; Spark: ``STRING`` and ``RLIKE`` via ``match="rlike"``).
    """
    pattern = RECORD_EXTRAS[column][0]
    v = f"CAST({quoted} AS {cast})"
    test = f"{v} RLIKE '{pattern}'" if match == "rlike" else f"{match}({v}, '{pattern}')"
    return f"({quoted} IS NOT NULL AND {v} <> '' AND NOT coalesce({test}, false))"


def slug(value: object) -> str:
    """Write a category value as part of a column name: lower-case letters and digits joined by ``_``."""
    s = re.sub(r"[^0-9a-z]+", "_", str(value).strip().lower()).strip("_")
    return s or "blank"


@dataclass(frozen=True)
class CsvDialect:
    """How to read one CSV: separator, encoding (for DuckDB and Python) and the header's column names."""

    path: Path
    delim: str
    encoding: str  # "utf-8" (BOM allowed) or "utf-16"
    columns: tuple[str, ...]


def _open_text(path: Path, encoding: str) -> io.TextIOWrapper:
    return open(path, encoding="utf-16" if encoding == "utf-16" else "utf-8-sig", newline="", errors="strict")


def csv_dialect(path: Path) -> CsvDialect:
    """Read the header line: separator, encoding and column names; refuse empty, binary or duplicated headers."""
    file = display_path(path)
    with open(path, "rb") as fh:
        head = fh.read(65536)
    if not head.strip(b" \t\r\n\xef\xbb\xbf"):
        raise DataValidationError([Problem(file, None, None, None, "the file is empty (expected a header line)")])
    if head.startswith(b"PK\x03\x04") or head.startswith(b"\xd0\xcf\x11\xe0"):
        raise TppoError(f"{file}: this is an Excel workbook, not a CSV text file; save it as 'CSV UTF-8'")
    encoding = "utf-16" if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "utf-8"
    if encoding == "utf-8" and b"\x00" in head:
        raise TppoError(f"{file}: contains NUL bytes: a binary file, not CSV text")
    try:
        with _open_text(path, encoding) as fh:
            first = ""
            for line in fh:
                if line.strip():
                    first = line
                    break
    except UnicodeDecodeError:
        first = head.split(b"\n", 1)[0].decode("utf-8", errors="replace")
    counts = {}
    for sep in (",", ";", "\t"):
        counts[sep] = len(next(csv.reader([first], delimiter=sep))) - 1 if first else 0
    delim = max(counts, key=lambda s: (counts[s], s == ","))
    names = [c.strip() for c in next(csv.reader([first.rstrip("\r\n")], delimiter=delim))] if first else []
    while names and names[-1] == "":
        names.pop()
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for j, name in enumerate(names, start=1):
        if name == "":
            problems.append(Problem(file, 1, f"#{j}", None, "column has no name in the header"))
        elif name in seen:
            problems.append(Problem(file, 1, name, None, f"column name used twice (columns {seen[name]} and {j})"))
        else:
            seen[name] = j
    if problems:
        raise DataValidationError(problems, file=file)
    return CsvDialect(path, delim, encoding, tuple(names))


def data_rows(d: CsvDialect) -> Iterator[tuple[int, list[str]]]:
    """``(file line, fields)`` for every data row, in file order; blank lines skipped as DuckDB skips them."""
    with _open_text(d.path, d.encoding) as fh:
        reader = csv.reader(fh, delimiter=d.delim, strict=True)
        prev_end, header_seen = 0, False
        for fields in reader:
            start, prev_end = prev_end + 1, reader.line_num
            if not fields or all(f.strip() == "" for f in fields):
                continue
            if not header_seen:
                header_seen = True
                continue
            yield start, fields


def line_problems(d: CsvDialect, limit: int = _MAX_PROBLEMS) -> list[Problem]:
    """Rows DuckDB cannot read: wrong number of fields, an unclosed quote, a byte that is not UTF-8."""
    file, n, out = display_path(d.path), len(d.columns), []
    line = 1
    try:
        for line, fields in data_rows(d):
            extra = fields[n:]
            if len(fields) != n and not (len(fields) > n and all(f.strip() == "" for f in extra)):
                what = "more" if len(fields) > n else "fewer"
                hint = "an unquoted separator inside a cell?" if what == "more" else "a missing separator?"
                out.append(
                    Problem(
                        file,
                        line,
                        None,
                        None,
                        f"row has {len(fields)} fields, {what} than the {n} columns of the header ({hint})",
                    )
                )
                if len(out) >= limit:
                    break
    except UnicodeDecodeError:
        bad_line, byte = _first_bad_utf8_line(d.path)
        out.append(
            Problem(file, bad_line, None, None, f"not UTF-8 text (byte 0x{byte:02x}); save the file as 'CSV UTF-8'")
        )
    except csv.Error as exc:
        out.append(Problem(file, line + 1, None, None, f"cannot be read as CSV ({exc}); check for an unclosed quote"))
    return out


def _first_bad_utf8_line(path: Path) -> tuple[int, int]:
    """File line and value of the first byte that is not UTF-8 (physical lines, as an editor counts them)."""
    with open(path, "rb") as fh:
        for n, raw in enumerate(fh, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                return n, raw[exc.start]
    return 1, 0


def lines_of_rows(d: CsvDialect, rows: Sequence[int]) -> dict[int, int]:
    """File line of each data row number (1 = first data row)."""
    wanted, out = set(rows), dict[int, int]()
    if not wanted:
        return out
    last = max(wanted)
    for i, (line, _) in enumerate(data_rows(d), start=1):
        if i in wanted:
            out[i] = line
        if i >= last:
            break
    return out


def check_options(memory_limit: str | None, threads: int | None, temp_dir: str | os.PathLike | None) -> None:
    """One-sentence errors for option values DuckDB would answer with a traceback."""
    if memory_limit is not None and not _MEMORY.match(str(memory_limit)):
        raise TppoError(f"--memory-limit {memory_limit!r}: write a size such as 1GB, 512MB or 2.5GiB")
    if threads is not None and int(threads) < 1:
        raise TppoError(f"--threads {threads}: at least 1")
    if temp_dir is not None and Path(temp_dir).exists() and not Path(temp_dir).is_dir():
        raise TppoError(f"--temp-dir {temp_dir}: is a file; give a folder (it is created if missing)")


def inside(child: Path, parent: Path) -> bool:
    """``child`` is ``parent`` or lies under it (both resolved)."""
    try:
        child.relative_to(parent)
        return True
    except ValueError:
        return False


def check_output(out: Path, inputs: Sequence[Path]) -> Path:
    """Refuse an output that would overwrite an input, is a folder or a link, or lies in the repository.

    The panel counts restricted records, so it is restricted data itself: it may be written inside the repository
    only under the git-ignored ``build/`` folder (and never where ``build/`` has been pointed at a folder that holds
    the repository).
    """
    from .. import paths

    if out.suffix.lower() not in (".parquet", ".csv"):
        raise OutputLocationError(f"--out {display_path(out)}: the panel file must end in .parquet or .csv")
    if out.is_symlink():
        raise OutputLocationError(f"--out {display_path(out)}: is a symbolic link; give a plain file name")
    if out.exists() and out.is_dir():
        raise OutputLocationError(f"--out {display_path(out)}: is a folder; give a file name ending in .parquet/.csv")
    target = out.expanduser().resolve()
    for p in inputs:
        if p.resolve() == target:
            raise OutputLocationError(
                f"--out {display_path(out)}: is one of the input files; the extract would be "
                "overwritten by its own panel"
            )
    repo = paths.repo_root().resolve()
    build = paths.build_dir().resolve()
    if inside(target, repo) and not (inside(target, build) and not inside(repo, build)):
        raise OutputLocationError(
            f"--out {display_path(out)}: inside the repository; the panel is restricted data: "
            "write it outside the repository or under build/ (git-ignored)"
        )
    return target
