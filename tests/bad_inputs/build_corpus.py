"""Rebuild the bad-input corpus (``tests/bad_inputs/*.csv`` and ``MANIFEST.csv``).

Each file is a small, realistic mistake a researcher might hand over, derived from the first rows of the committed
public data. The manifest says what must happen: ``error`` (a clear message naming file, line — the header is line 1
— and column) or ``normalised`` (read losslessly; the message fragment is the note that says what was normalised,
``rows`` the number of data rows that must come out — none dropped).

    .venv/bin/python tests/bad_inputs/build_corpus.py

The files are committed; tests read them, never this script's output at test time. The fake identifiers in the
``rec_*`` files are the fixed test fakes of :data:`tppo_analysis.privacy.KNOWN_FAKE_IDENTIFIERS`.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]

PR_HEADER = [
    "figure_id",
    "measure",
    "value",
    "unit",
    "period_start",
    "period_end",
    "geography_level",
    "geography_name",
    "tpi_or_office",
    "destination",
    "source_url",
    "source_outlet",
    "published_date",
    "notes",
]
DB_HEADER = [
    "village",
    "village_type",
    "kecamatan",
    "regency_city",
    "province",
    "immigration_office",
    "village_code",
    "launch_date",
    "launch_date_precision",
    "existing_by",
    "source_url",
    "source_outlet",
    "notes",
]
FAKE_NIK = "3201015501909991"
FAKE_PHONE = "081299990001"


def _rows(name: str, n: int) -> list[dict[str, str]]:
    with open(REPO / "data" / "public" / name, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))[:n]
    for r in rows:
        r["notes"] = r["notes"][:80]
    return rows


def _csv(header: list[str], rows: list[dict[str, str]] | list[list[str]], sep: str = ",", eol: str = "\n") -> str:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep, lineterminator=eol)
    w.writerow(header)
    for r in rows:
        w.writerow([r.get(h, "") for h in header] if isinstance(r, dict) else r)
    return buf.getvalue()


def _with(rows, i, **changes):
    out = [dict(r) for r in rows]
    out[i].update(changes)
    return out


def build() -> list[tuple[str, ...]]:
    pr = _rows("public_reported_figures.csv", 5)
    db = _rows("desa_binaan_reported.csv", 4)
    files: dict[str, bytes] = {}
    manifest: list[tuple[str, ...]] = []

    def add(name, kind, outcome, message, line, column, data):
        files[name] = data if isinstance(data, bytes) else data.encode("utf-8")
        rows = {"public_record": len(pr), "desa_binaan": len(db)}.get(kind, "") if outcome == "normalised" else ""
        manifest.append((name, kind, outcome, message, "" if line is None else str(line), column or "", str(rows)))

    P = "public_record"
    # --- columns
    add(
        "pr_missing_column.csv",
        P,
        "error",
        "required column is missing",
        1,
        "period_end",
        _csv([h for h in PR_HEADER if h != "period_end"], pr),
    )
    add(
        "pr_renamed_column.csv",
        P,
        "error",
        "found 'period_ends'",
        1,
        "period_end",
        _csv([h if h != "period_end" else "period_ends" for h in PR_HEADER], [[r[h] for h in PR_HEADER] for r in pr]),
    )
    add(
        "pr_duplicated_column.csv",
        P,
        "error",
        "column name used twice",
        1,
        "notes",
        _csv(PR_HEADER + ["notes"], [[r[h] for h in PR_HEADER] + ["x"] for r in pr]),
    )
    # --- counts
    add(
        "pr_value_text.csv",
        P,
        "error",
        "value must be a non-negative whole number",
        3,
        "value",
        _csv(PR_HEADER, _with(pr, 1, value="banyak")),
    )
    add(
        "pr_value_negative.csv",
        P,
        "error",
        "value must be a non-negative whole number",
        4,
        "value",
        _csv(PR_HEADER, _with(pr, 2, value="-31")),
    )
    add(
        "pr_value_fraction.csv",
        P,
        "error",
        "value must be a non-negative whole number",
        5,
        "value",
        _csv(PR_HEADER, _with(pr, 3, value="14.5")),
    )
    add(
        "pr_value_thousands_dot.csv",
        P,
        "error",
        "value must be a non-negative whole number",
        2,
        "value",
        _csv(PR_HEADER, _with(pr, 0, value="5.000")),
    )
    add(
        "pr_value_ribu.csv",
        P,
        "error",
        "value must be a non-negative whole number",
        2,
        "value",
        _csv(PR_HEADER, _with(pr, 0, value="1,5 ribu")),
    )
    add(
        "pr_value_blank.csv",
        P,
        "error",
        "value must be a non-negative whole number",
        6,
        "value",
        _csv(PR_HEADER, _with(pr, 4, value="")),
    )
    # --- dates
    add(
        "pr_end_before_start.csv",
        P,
        "error",
        "period_end is before period_start",
        3,
        "period_end",
        _csv(PR_HEADER, _with(pr, 1, period_start="2017-03-01", period_end="2017-02-17")),
    )
    add(
        "pr_date_before_2010.csv",
        P,
        "error",
        "date outside the supported range 2010",
        2,
        "period_start",
        _csv(PR_HEADER, _with(pr, 0, period_start="2009-12-01")),
    )
    add(
        "pr_date_after_2030.csv",
        P,
        "error",
        "date outside the supported range 2010",
        4,
        "period_end",
        _csv(PR_HEADER, _with(pr, 2, period_end="2031-01-31")),
    )
    add(
        "pr_date_not_calendar.csv",
        P,
        "error",
        "is not a calendar date",
        5,
        "period_end",
        _csv(PR_HEADER, _with(pr, 3, period_end="2017-02-30")),
    )
    add(
        "pr_date_excel_serial.csv",
        P,
        "error",
        "period_end must be an ISO date YYYY-MM-DD",
        2,
        "period_end",
        _csv(PR_HEADER, _with(pr, 0, period_end="42783")),
    )
    add(
        "pr_date_day_first.csv",
        P,
        "error",
        "period_start must be an ISO date YYYY-MM-DD or blank",
        3,
        "period_start",
        _csv(PR_HEADER, _with(pr, 1, period_start="01/01/2017")),
    )
    add(
        "pr_published_date_words.csv",
        P,
        "error",
        "published_date must be YYYY-MM-DD, YYYY-MM, YYYY or blank",
        2,
        "published_date",
        _csv(PR_HEADER, _with(pr, 0, published_date="18 Februari 2017")),
    )
    # --- vocabularies, IDs, aliases
    add(
        "pr_unknown_office.csv",
        P,
        "error",
        "office/TPI not in the alias table",
        4,
        "tpi_or_office",
        _csv(PR_HEADER, _with(pr, 2, tpi_or_office="Kanim Atlantis")),
    )
    add(
        "pr_duplicate_id.csv",
        P,
        "error",
        "duplicated figure ID (first used on line 2)",
        5,
        "figure_id",
        _csv(PR_HEADER, _with(pr, 3, figure_id="PRF-0001")),
    )
    add(
        "pr_bad_figure_id.csv",
        P,
        "error",
        "figure_id must look like PRF-0001",
        3,
        "figure_id",
        _csv(PR_HEADER, _with(pr, 1, figure_id="PRF-2")),
    )
    add(
        "pr_unknown_measure.csv",
        P,
        "error",
        "unknown measure",
        2,
        "measure",
        _csv(PR_HEADER, _with(pr, 0, measure="deferrals")),
    )
    add(
        "pr_unknown_unit.csv", P, "error", "unit must be one of", 3, "unit", _csv(PR_HEADER, _with(pr, 1, unit="orang"))
    )
    add(
        "pr_blank_geography.csv",
        P,
        "error",
        "geography_name is empty",
        6,
        "geography_name",
        _csv(PR_HEADER, _with(pr, 4, geography_name="")),
    )
    add(
        "pr_no_source.csv",
        P,
        "error",
        "a figure without a source URL must say in notes where it was stated",
        3,
        "source_url",
        _csv(PR_HEADER, _with(pr, 1, source_url="", notes="")),
    )
    # --- file-level problems
    add("pr_empty.csv", P, "error", "the file is empty", None, None, b"")
    add("pr_header_only.csv", P, "error", "has a header but no data rows", None, None, _csv(PR_HEADER, []))
    add(
        "pr_fewer_fields.csv",
        P,
        "error",
        "row has 13 fields, fewer than the 14 columns",
        4,
        None,
        _csv(PR_HEADER, pr)
        .replace(",Kompas.com,2017-02-18,", ",Kompas.com2017-02-18,", 3)
        .replace(",Kompas.com2017-02-18,", ",Kompas.com,2017-02-18,", 2),
    )
    add(
        "pr_unclosed_quote.csv",
        P,
        "error",
        "cannot be read as CSV",
        6,
        None,
        _csv(PR_HEADER, pr).rstrip("\n") + ',"unclosed note\n',
    )
    add(
        "pr_excel_workbook.csv",
        P,
        "error",
        "Excel workbook",
        None,
        None,
        b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00[Content_Types].xml",
    )
    # --- lossless normalisations
    latin = _with(pr, 3, notes="Kanim Medan; pernyataan Kepala Seksi (caf\u00e9 Ca\u00f1a)")
    add("pr_latin1.csv", P, "normalised", "not UTF-8", None, None, _csv(PR_HEADER, latin).encode("cp1252"))
    add(
        "pr_utf8_bom.csv",
        P,
        "normalised",
        "byte-order mark (BOM) removed",
        None,
        None,
        b"\xef\xbb\xbf" + _csv(PR_HEADER, pr).encode("utf-8"),
    )
    add("pr_semicolon.csv", P, "normalised", "separator ';' detected", None, None, _csv(PR_HEADER, pr, sep=";"))
    add("pr_tab_separated.csv", P, "normalised", "separator tab detected", None, None, _csv(PR_HEADER, pr, sep="\t"))
    add("pr_windows_line_endings.csv", P, "normalised", "", None, None, _csv(PR_HEADER, pr, eol="\r\n"))
    add(
        "pr_trailing_blank_lines.csv",
        P,
        "normalised",
        "blank line(s) skipped",
        None,
        None,
        _csv(PR_HEADER, pr) + "\n,,,,,,,,,,,,,\n\n",
    )
    add(
        "pr_trailing_separators.csv",
        P,
        "normalised",
        "empty trailing column",
        None,
        None,
        _csv(PR_HEADER + [""], [[r[h] for h in PR_HEADER] + [""] for r in pr]),
    )

    D = "desa_binaan"
    add(
        "db_missing_column.csv",
        D,
        "error",
        "required column is missing",
        1,
        "launch_date_precision",
        _csv([h for h in DB_HEADER if h != "launch_date_precision"], db),
    )
    add(
        "db_village_code_malformed.csv",
        D,
        "error",
        "malformed village code",
        3,
        "village_code",
        _csv(DB_HEADER, _with(db, 1, village_code="35.19.12.203")),
    )
    add(
        "db_village_code_10_digit.csv",
        D,
        "error",
        "malformed village code",
        4,
        "village_code",
        _csv(DB_HEADER, _with(db, 2, village_code="3519062005")),
    )
    add(
        "db_village_code_unknown.csv",
        D,
        "error",
        "village code not in the Kemendagri list",
        5,
        "village_code",
        _csv(DB_HEADER, _with(db, 3, village_code="21.02.01.2999")),
    )
    add(
        "db_duplicate_village.csv",
        D,
        "error",
        "village listed twice (first at line 2)",
        5,
        "village_code",
        _csv(DB_HEADER, [*db[:3], dict(db[0])]),
    )
    add(
        "db_precision_mismatch.csv",
        D,
        "error",
        "precision 'day' needs a launch_date written YYYY-MM-DD",
        3,
        "launch_date",
        _csv(DB_HEADER, _with(db, 1, launch_date="2024-04")),
    )
    add(
        "db_unknown_precision.csv",
        D,
        "error",
        "launch_date_precision must be one of",
        4,
        "launch_date_precision",
        _csv(DB_HEADER, _with(db, 2, launch_date_precision="exact")),
    )
    add(
        "db_launch_excel_serial.csv",
        D,
        "error",
        "launch_date must be YYYY-MM-DD, YYYY-MM, YYYY or blank",
        5,
        "launch_date",
        _csv(DB_HEADER, _with(db, 3, launch_date="45351")),
    )
    add(
        "db_launch_not_calendar.csv",
        D,
        "error",
        "not a calendar date",
        3,
        "launch_date",
        _csv(DB_HEADER, _with(db, 1, launch_date="2024-04-31")),
    )
    add(
        "db_existing_before_launch.csv",
        D,
        "error",
        "existing_by is before launch_date",
        4,
        "existing_by",
        _csv(DB_HEADER, _with(db, 2, existing_by="2024-01-15")),
    )
    add(
        "db_semicolon_bom.csv",
        D,
        "normalised",
        "separator ';' detected",
        None,
        None,
        b"\xef\xbb\xbf" + _csv(DB_HEADER, db, sep=";", eol="\r\n").encode("utf-8"),
    )

    R = "records"  # restricted record-level extract: identifier guard (privacy.guard_columns)
    rec_header = ["event_date", "tpi", "village_code", "reason"]
    rec = [
        ["2023-05-01", "Soekarno-Hatta", "35.19.02.2009", "pmi_nonprosedural"],
        ["2023-05-02", "Juanda", "35.19.12.2003", "pmi_nonprosedural"],
    ]
    add(
        "rec_name_column.csv",
        R,
        "error",
        "column looks like a personal identifier (NAME)",
        1,
        "nama",
        _csv(["nama", *rec_header], [["Budi", *r] for r in rec]),
    )
    add(
        "rec_nik_column.csv",
        R,
        "error",
        "column looks like a personal identifier (NIK)",
        1,
        "nik",
        _csv([*rec_header, "nik"], [[*r, "redacted"] for r in rec]),
    )
    add(
        "rec_passport_phone_columns.csv",
        R,
        "error",
        "column looks like a personal identifier (PASSPORT)",
        1,
        "no_paspor",
        _csv(["no_paspor", "no_hp", *rec_header], [["x", "y", *r] for r in rec]),
    )
    add(
        "rec_birth_address_columns.csv",
        R,
        "error",
        "column looks like a personal identifier (BIRTH_DATE)",
        1,
        "tgl_lahir",
        _csv([*rec_header, "tgl_lahir", "alamat"], [[*r, "", ""] for r in rec]),
    )
    add(
        "rec_nik_in_notes.csv",
        R,
        "error",
        "value looks like a personal identifier (NIK)",
        3,
        "notes",
        _csv([*rec_header, "notes"], [[*rec[0], "tidak ada"], [*rec[1], f"NIK {FAKE_NIK} ditunda"]]),
    )
    add(
        "rec_phone_in_notes.csv",
        R,
        "error",
        "value looks like a personal identifier (PHONE)",
        2,
        "notes",
        _csv([*rec_header, "notes"], [[*rec[0], f"hubungi {FAKE_PHONE}"], [*rec[1], ""]]),
    )

    for old in HERE.glob("*.csv"):
        old.unlink()
    for name, data in files.items():
        (HERE / name).write_bytes(data)
    with open(HERE / "MANIFEST.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["file", "kind", "outcome", "message", "line", "column", "rows"])
        w.writerows(manifest)
    return manifest


if __name__ == "__main__":
    m = build()
    print(f"wrote {len(m)} files and MANIFEST.csv to {HERE}")
