"""Formats of the restricted extracts the program-effect analysis expects from the ministry (Ditjen Imigrasi).

Three kinds, validated by ``tppo validate --kind KIND FILE`` (the lead's :mod:`tppo_analysis.validate` looks the kind
up in :data:`RESTRICTED_KINDS`); documented for analysts in ``docs/restricted_extract_formats.md``:

``deferral_records``   one row per departure deferral (penundaan keberangkatan) at a TPI, the person's village of
                       residence mapped to a Kemendagri village code;
``passport_records``   one row per passport application deferred/refused on suspicion of non-procedural migrant work
                       (penundaan/penolakan paspor), mapped to the applicant's village;
``village_panel``      village x month counts (the aggregate the analysis needs when record-level data cannot leave
                       the ministry): one row per village and month, zeros included.

The schemas check files read **as text** (every cell a string, '' for empty; see
:func:`tppo_analysis.validation.read_text_table`), so a bad cell is reported with its line and column instead of
being coerced. No column may hold a personal identifier: persons appear only as a pseudonymous ``person_key``
(a salted hash made inside the ministry), never as NIK, passport number, name or phone number.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

__all__ = ["RESTRICTED_KINDS", "COLUMN_DOCS", "REQUIRED_COLUMNS", "schema_for", "markdown_tables"]

_VILLAGE = r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$"
_DATE = r"^\d{4}-\d{2}-\d{2}$"
_MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"
_INT = r"^(0|[1-9]\d*)$"
_KEY = r"^[0-9a-f]{16,64}$"

DEFERRAL_REASONS = ("suspected_pmi_nonprosedural", "incomplete_documents", "inconsistent_purpose", "other")
PASSPORT_DECISIONS = ("deferred", "refused", "withdrawn")
CHECKPOINT_TYPES = ("airport", "seaport", "land_border")
MATCH_QUALITY = ("exact", "fuzzy", "district_only", "unmatched")


def _valid_dates(s: pd.Series) -> pd.Series:
    ok = s.str.fullmatch(_DATE)
    parsed = pd.to_datetime(s.where(ok), format="%Y-%m-%d", errors="coerce")
    return ok & parsed.notna() & (parsed >= "2015-01-01") & (parsed <= "2035-12-31")


def _text(*checks, nullable: bool = False, required: bool = True) -> pa.Column:
    return pa.Column(str, list(checks), nullable=nullable, required=required)


def _code_or_blank(pattern: str) -> pa.Check:
    return pa.Check(lambda s: (s == "") | s.str.fullmatch(pattern), error=f"must match {pattern} or be empty")


_DATE_CHECK = pa.Check(_valid_dates, error="not a date YYYY-MM-DD between 2015-01-01 and 2035-12-31")
_VILLAGE_CHECK = _code_or_blank(_VILLAGE)

COLUMN_DOCS: dict[str, dict[str, str]] = {
    "deferral_records": {
        "record_id": "unique id of the deferral record within the extract (any text without personal data)",
        "person_key": "pseudonymous person key: lower-case hex salted hash (16-64 chars) of the NIK, made inside the "
        "ministry; lets repeat attempts be counted without identifying anyone. Never the NIK itself",
        "deferral_date": "date of the deferral, YYYY-MM-DD (local date at the checkpoint)",
        "checkpoint": "TPI name (e.g. 'Bandara Soekarno-Hatta')",
        "checkpoint_type": "airport | seaport | land_border",
        "immigration_office": "Kanim responsible for the TPI",
        "reason": "suspected_pmi_nonprosedural | incomplete_documents | inconsistent_purpose | other",
        "village_code": "Kemendagri code PP.KK.CC.VVVV of the village of residence (KTP address); empty if not "
        "mapped (then match_quality = unmatched)",
        "match_quality": "how the address was mapped: exact | fuzzy | district_only | unmatched",
        "age_band": "age at deferral in 5-year bands ('15-19', '20-24', ... '60+'), or empty",
        "sex": "F | M | empty",
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
    },
    "village_panel": {
        "village_code": "Kemendagri code PP.KK.CC.VVVV (every village of the geography, not only villages with "
        "events)",
        "month": "calendar month YYYY-MM",
        "deferrals": "departure deferrals of residents on suspicion of PMI nonprosedural in the month (integer >= 0)",
        "passport_deferrals": "passport applications of residents deferred/refused on that suspicion (integer >= 0)",
        "passports_issued": "ordinary passports issued to residents in the month (integer >= 0; the denominator); "
        "may be empty if not available",
    },
}

REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "deferral_records": ("record_id", "person_key", "deferral_date", "checkpoint", "checkpoint_type", "reason",
                         "village_code", "match_quality"),
    "passport_records": ("record_id", "person_key", "application_date", "decision_date", "decision",
                         "immigration_office", "suspected_pmi_nonprosedural", "village_code", "match_quality"),
    "village_panel": ("village_code", "month", "deferrals", "passport_deferrals"),
}

_AGE = pa.Check(lambda s: (s == "") | s.str.fullmatch(r"^(\d{2}-\d{2}|60\+)$"), error="age band like '20-24' or '60+'")
_SEX = pa.Check.isin(["F", "M", ""])


def _match_consistent(df: pd.DataFrame) -> pd.Series:
    return (df["village_code"] == "") == (df["match_quality"].isin(["unmatched", "district_only"]))


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
        },
        checks=[pa.Check(_match_consistent, error="village_code must be empty exactly when match_quality is "
                                                   "unmatched or district_only")],
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
        },
        checks=[
            pa.Check(_match_consistent, error="village_code must be empty exactly when match_quality is unmatched "
                                              "or district_only"),
            pa.Check(lambda df: ~(_valid_dates(df["application_date"]) & _valid_dates(df["decision_date"]))
                     | (df["decision_date"] >= df["application_date"]),
                     error="decision_date is before application_date"),
        ],
        strict=True,
        coerce=False,
    )


def _panel_schema() -> pa.DataFrameSchema:
    count = pa.Check.str_matches(_INT)
    return pa.DataFrameSchema(
        {
            "village_code": _text(pa.Check.str_matches(_VILLAGE)),
            "month": _text(pa.Check.str_matches(_MONTH)),
            "deferrals": _text(count),
            "passport_deferrals": _text(count),
            "passports_issued": _text(pa.Check(lambda s: (s == "") | s.str.fullmatch(_INT),
                                               error="integer >= 0 or empty"), required=False),
        },
        unique=["village_code", "month"],
        checks=[
            pa.Check(lambda df: df.groupby("village_code")["month"].transform("size")
                     == df["month"].nunique(), error="panel is not balanced: every village needs every month "
                                                     "(write zeros)"),
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
    """The schema of a restricted kind; a clear error for an unknown kind."""
    from .errors import TppoError

    if kind not in RESTRICTED_KINDS:
        raise TppoError(f"unknown restricted kind {kind!r}; choose one of {', '.join(RESTRICTED_KINDS)}")
    return RESTRICTED_KINDS[kind]


def markdown_tables() -> str:
    """The column documentation as Markdown tables (used to write docs/restricted_extract_formats.md)."""
    out = []
    for kind, cols in COLUMN_DOCS.items():
        out.append(f"### `{kind}`\n\n| column | required | meaning |\n|---|---|---|")
        for col, doc in cols.items():
            req = "yes" if col in REQUIRED_COLUMNS[kind] else "optional"
            out.append(f"| `{col}` | {req} | {doc} |")
        out.append("")
    return "\n".join(out)
