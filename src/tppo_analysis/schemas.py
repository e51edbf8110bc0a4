"""Controlled vocabularies and pandera schemas for the public record.

The public record (``data/public/public_reported_figures.csv``) is read with every cell as text and checked here
before any conversion, so a bad cell is reported (file, line, column, value) instead of being coerced.
Schemas of the restricted extracts live in :mod:`tppo_analysis.schemas_restricted`; the Desa Binaan roster's in
:mod:`tppo_analysis.sources.roster`.
"""

from __future__ import annotations

import pandera.pandas as pa

__all__ = [
    "MEASURES",
    "MEASURE_GROUP",
    "UNITS",
    "GEOGRAPHY_LEVELS",
    "PUBLIC_RECORD_COLUMNS",
    "PUBLIC_RECORD_SCHEMA",
    "DATE_MIN",
    "DATE_MAX",
]

#: measure -> (group, definition). Groups: departure, passport, program, denominator, context.
MEASURES: dict[str, tuple[str, str]] = {
    "dep_deferral_wni_pmi_suspected": ("departure", "WNI departures deferred/refused at a TPI on suspicion of non-procedural migrant work (PMI nonprosedural)"),
    "dep_deferral_wni_all_reasons": ("departure", "all WNI departure deferrals at a TPI, PMI-NP mixed with other reasons"),
    "dep_deferral_wni_wna_all": ("departure", "departure deferrals of WNI and WNA together"),
    "dep_deferral_wni_hajj_nonprocedural": ("departure", "WNI deferred as suspected non-procedural hajj pilgrims (2025 season)"),
    "passport_deferral_pmi_suspected": ("passport", "passport applications deferred/refused on suspicion of intended non-procedural migrant work"),
    "passport_refusal_all_reasons": ("passport", "passport refusals/cancellations for several reasons, PMI-NP among them"),
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
    "figure_id", "measure", "value", "unit", "period_start", "period_end", "geography_level", "geography_name",
    "tpi_or_office", "destination", "source_url", "source_outlet", "published_date", "notes",
)

_ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"


def _text(*checks: pa.Check, required: bool = True) -> pa.Column:
    return pa.Column(str, checks=list(checks), nullable=False, required=required)


PUBLIC_RECORD_SCHEMA = pa.DataFrameSchema(
    {
        "figure_id": _text(
            pa.Check.str_matches(r"^PRF-\d{4}$", error="figure_id must look like PRF-0001"),
        ),
        "measure": _text(pa.Check.isin(sorted(MEASURES), error="unknown measure (see the measure vocabulary)")),
        "value": _text(
            pa.Check.str_matches(r"^\d+$", error="value must be a non-negative whole number (no sign, decimals or separators)"),
        ),
        "unit": _text(pa.Check.isin(UNITS, error=f"unit must be one of {', '.join(UNITS)}")),
        "period_start": _text(
            pa.Check.str_matches(r"^(\d{4}-\d{2}-\d{2})?$", error="period_start must be an ISO date YYYY-MM-DD or blank"),
        ),
        "period_end": _text(pa.Check.str_matches(_ISO_DATE, error="period_end must be an ISO date YYYY-MM-DD")),
        "geography_level": _text(
            pa.Check.isin(GEOGRAPHY_LEVELS, error=f"geography_level must be one of {', '.join(GEOGRAPHY_LEVELS)}"),
        ),
        "geography_name": _text(pa.Check.str_length(min_value=1, error="geography_name is empty")),
        "tpi_or_office": _text(pa.Check.str_length(min_value=1, error="tpi_or_office is empty")),
        "destination": _text(),
        "source_url": _text(
            pa.Check.str_matches(r"^(https?://\S+)?$", error="source_url must be an http(s) URL or blank (with a note)"),
        ),
        "source_outlet": _text(pa.Check.str_length(min_value=1, error="source_outlet is empty")),
        "published_date": _text(
            pa.Check.str_matches(r"^(\d{4}(-\d{2}(-\d{2})?)?)?$",
                                 error="published_date must be YYYY-MM-DD, YYYY-MM, YYYY or blank"),
        ),
        "notes": _text(),
    },
    strict=False,
    coerce=False,
)
