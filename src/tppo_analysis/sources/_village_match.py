"""Match named villages (village, kecamatan, regency/city, province as written in a source) to Kemendagri codes.

Nothing is guessed: a name that fits several villages stays ``ambiguous`` (candidates listed), one that fits none is
``unmatched`` (with the reason). The codes come from :func:`tppo_analysis.sources.geography.load_villages`.
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache
from typing import Any

import pandas as pd

from ..errors import TppoError
from .geography import _villages_cached

__all__ = ["MATCH_COLUMNS", "match_villages"]

#: Columns :func:`match_villages` adds to its input.
MATCH_COLUMNS = ["village_code", "match_status", "match_method", "candidates", "unmatched_reason"]

_PROVINCE_ALIASES = {
    "dki jakarta": "daerah khusus ibukota jakarta",
    "dki": "daerah khusus ibukota jakarta",
    "jakarta": "daerah khusus ibukota jakarta",
    "daerah khusus jakarta": "daerah khusus ibukota jakarta",
    "di yogyakarta": "daerah istimewa yogyakarta",
    "diy": "daerah istimewa yogyakarta",
    "yogyakarta": "daerah istimewa yogyakarta",
    "jogja": "daerah istimewa yogyakarta",
    "babel": "kepulauan bangka belitung",
    "bangka belitung": "kepulauan bangka belitung",
    "kepri": "kepulauan riau",
    "ntb": "nusa tenggara barat",
    "ntt": "nusa tenggara timur",
    "jabar": "jawa barat",
    "jateng": "jawa tengah",
    "jatim": "jawa timur",
    "kalbar": "kalimantan barat",
    "kalteng": "kalimantan tengah",
    "kalsel": "kalimantan selatan",
    "kaltim": "kalimantan timur",
    "kaltara": "kalimantan utara",
    "sulut": "sulawesi utara",
    "sulteng": "sulawesi tengah",
    "sulsel": "sulawesi selatan",
    "sultra": "sulawesi tenggara",
    "sulbar": "sulawesi barat",
    "sumut": "sumatera utara",
    "sumbar": "sumatera barat",
    "sumsel": "sumatera selatan",
    "nad": "aceh",
    "nanggroe aceh darussalam": "aceh",
}

# Token-level spelling variants (abbreviations and the pre-1972 spelling), applied to every name compared.
_TOKEN_VARIANTS = {
    "sei": "sungai",
    "sg": "sungai",
    "sui": "sungai",
    "kep": "kepulauan",
    "tg": "tanjung",
    "tj": "tanjung",
    "kp": "kampung",
    "pulo": "pulau",
    "p": "pulau",
    "ds": "",
}
_OLD_SPELLING = [("oe", "u"), ("dj", "j"), ("tj", "c"), ("nj", "ny"), ("sj", "sy"), ("ch", "kh")]

_NOISE = re.compile(r"[^a-z0-9 ]+")
_SPACES = re.compile(r"\s+")
_VILLAGE_PREFIX = re.compile(r"^(desa adat|desa|kelurahan|kel|ohoi|nagari|gampong|kampung adat)\s+")
_DISTRICT_PREFIX = re.compile(r"^(kecamatan|kec|distrik)\s+")
_PROVINCE_PREFIX = re.compile(r"^(provinsi|prov)\s+")
_REGENCY_PREFIX = re.compile(
    r"^(kabupaten administrasi|kabupaten adm|kab adm|kabupaten|kab|kota administrasi|kota adm|kotamadya|kodya|kota)\s+"
)
_ANNOTATION = re.compile(r"\(([^)]*)\)")


def _clean(text: object) -> str:
    """Lower case, punctuation to spaces, single spaces ("Kab. Lombok-Timur " → "kab lombok timur")."""
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return ""
    s = str(text).lower().replace("'", "").replace("’", "")
    s = _NOISE.sub(" ", s)
    return _SPACES.sub(" ", s).strip()


def _variant_key(clean: str) -> str:
    """Spacing- and spelling-insensitive key: abbreviations expanded, old spelling modernised, spaces dropped."""
    tokens = [_TOKEN_VARIANTS.get(t, t) for t in clean.split(" ")]
    s = "".join(tokens)
    for old, new in _OLD_SPELLING:
        s = s.replace(old, new)
    return s


def _keys(name: str, prefix: re.Pattern[str]) -> tuple[str, str, str]:
    """(exact, compact, variant) keys of a name with its administrative prefix removed."""
    clean = prefix.sub("", _clean(name), count=1)
    return clean, clean.replace(" ", ""), _variant_key(clean)


def _split_regency(text: str) -> tuple[str | None, str]:
    """("kab"|"kota"|None, core name) from "Kab. Madiun", "Kota Administrasi Jakarta Barat", "Madiun"."""
    clean = _clean(text)
    m = _REGENCY_PREFIX.match(clean)
    if not m:
        return None, clean
    kind = "kota" if m.group(1).startswith(("kota", "kodya")) else "kab"
    return kind, clean[m.end() :]


def _strip_annotation(text: object) -> tuple[str, bool]:
    """Split "Pulo Ampel (not stated in source)" into ("Pulo Ampel", hint=True); "(not stated)" → ("", True).

    A parenthesised remark marks the kecamatan as a hint to prefer, not a constraint.
    """
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return "", False
    s = str(text)
    hint = bool(_ANNOTATION.search(s))
    return _ANNOTATION.sub("", s).strip(), hint


@lru_cache(maxsize=1)
def _index() -> dict[str, Any]:
    v = _villages_cached()
    prov = v.drop_duplicates("province_code")[["province_code", "province"]]
    reg = v.drop_duplicates("regency_code")[["regency_code", "regency", "province_code"]]
    dist = v.drop_duplicates("district_code")[["district_code", "district"]]
    province_by_key: dict[str, list[str]] = {}
    for code, name in zip(prov["province_code"], prov["province"], strict=True):
        province_by_key.setdefault(_keys(name, _PROVINCE_PREFIX)[2], []).append(code)
    regencies = []
    for code, name, pcode in zip(reg["regency_code"], reg["regency"], reg["province_code"], strict=True):
        kind, core = _split_regency(name)
        regencies.append((code, pcode, kind, _variant_key(core)))
    district_key = {
        code: _keys(name, _DISTRICT_PREFIX)[2]
        for code, name in zip(dist["district_code"], dist["district"], strict=True)
    }
    village_keys = [_keys(n, _VILLAGE_PREFIX) for n in v["name"]]
    vk = pd.DataFrame(village_keys, columns=["k_exact", "k_compact", "k_variant"])
    vk["village_code"] = v["village_code"].to_numpy()
    vk["regency_code"] = v["regency_code"].to_numpy()
    vk["district_code"] = v["district_code"].to_numpy()
    vk["label"] = (v["village_code"] + " " + v["name"] + " (Kec. " + v["district"] + ")").to_numpy()
    return {
        "province_by_key": province_by_key,
        "regencies": regencies,
        "district_key": district_key,
        "villages_by_regency": {code: grp for code, grp in vk.groupby("regency_code", sort=True)},
    }


def _resolve_province(text: object) -> tuple[list[str] | None, str | None]:
    """Province codes for a name (None = not given → any province) and a reason when not found."""
    idx = _index()
    clean = _PROVINCE_PREFIX.sub("", _clean(text), count=1)
    if not clean:
        return None, None
    clean = _PROVINCE_ALIASES.get(clean, clean)
    codes = idx["province_by_key"].get(_variant_key(clean))
    if not codes:
        return [], f"province {text!r} not found"
    return list(codes), None


def _resolve_regency(text: object, provinces: list[str] | None) -> tuple[list[str], str | None]:
    idx = _index()
    kind, core = _split_regency("" if text is None or (isinstance(text, float) and pd.isna(text)) else str(text))
    if not core:
        return [], "regency/city not given"
    key = _variant_key(core)
    hits = [
        code
        for code, pcode, rkind, rkey in idx["regencies"]
        if rkey == key and (kind is None or rkind == kind) and (provinces is None or pcode in provinces)
    ]
    if not hits:
        where = "" if provinces is None else f" in province {','.join(provinces)}"
        return [], f"regency/city {text!r} not found{where}"
    return hits, None


def _match_one(village: object, kecamatan: object, regency: object, province: object) -> dict[str, object]:
    out: dict[str, object] = {
        "village_code": None,
        "match_status": "unmatched",
        "match_method": None,
        "candidates": None,
        "unmatched_reason": None,
    }
    exact, compact, variant = _keys("" if village is None or pd.isna(village) else str(village), _VILLAGE_PREFIX)
    if not exact:
        out["unmatched_reason"] = "village name missing"
        return out
    provinces, reason = _resolve_province(province)
    if reason:
        out["unmatched_reason"] = reason
        return out
    regencies, reason = _resolve_regency(regency, provinces)
    if reason:
        out["unmatched_reason"] = reason
        return out
    idx = _index()
    pool = pd.concat([idx["villages_by_regency"][c] for c in regencies])
    found = None
    for method, column, key in (
        ("exact", "k_exact", exact),
        ("compact", "k_compact", compact),
        ("variant", "k_variant", variant),
    ):
        hit = pool[pool[column] == key]
        if len(hit):
            found, out["match_method"] = hit, method
            break
    if found is None:
        near = difflib.get_close_matches(variant, list(pool["k_variant"]), n=3, cutoff=0.75)
        hint = ""
        if near:
            similar = pool[pool["k_variant"].isin(near)]
            hint = "; similar names (not matched): " + "; ".join(similar["label"])
        out["unmatched_reason"] = f"no village named {village!r} in {regency!r}{hint}"
        return out

    kec_name, kec_is_hint = _strip_annotation(kecamatan)
    labels = lambda frame: "; ".join(frame["label"])  # noqa: E731
    if kec_name:
        kec_key = _keys(kec_name, _DISTRICT_PREFIX)[2]
        in_kec = found[found["district_code"].map(idx["district_key"]) == kec_key]
        if len(in_kec) == 1:
            out.update(village_code=in_kec["village_code"].iloc[0], match_status="matched")
            return out
        if len(in_kec) > 1:
            out.update(
                match_status="ambiguous",
                candidates=labels(in_kec),
                unmatched_reason=f"{len(in_kec)} villages named {village!r} in Kec. {kec_name}",
            )
            return out
        if not kec_is_hint:
            out.update(
                match_status="ambiguous",
                candidates=labels(found),
                unmatched_reason=(
                    f"no village named {village!r} in Kec. {kec_name}; {len(found)} elsewhere in {regency!r} "
                    "(kecamatan in the source may be wrong; resolve by hand)"
                ),
            )
            return out
    # No kecamatan, or only a hint that did not hold: the name must be unique in the regency.
    if len(found) == 1:
        out.update(village_code=found["village_code"].iloc[0], match_status="matched")
        out["match_method"] = f"{out['match_method']} (unique in regency)"
        return out
    out.update(
        match_status="ambiguous",
        candidates=labels(found),
        unmatched_reason=f"{len(found)} villages named {village!r} in {regency!r} and no usable kecamatan",
    )
    return out


def match_villages(
    names: pd.DataFrame,
    *,
    village: str = "village",
    kecamatan: str = "kecamatan",
    regency: str | None = None,
    province: str = "province",
) -> pd.DataFrame:
    """Match named villages to Kemendagri codes, never guessing.

    Parameters
    ----------
    names
        One row per named village. Columns (names configurable): ``village``, ``kecamatan`` (may be blank; a
        parenthesised remark such as ``"Narmada (not explicit in source)"`` makes it a preference, not a
        constraint), ``regency`` or ``regency_city`` (``"Kab. Madiun"``, ``"Kota Jakarta Barat"``, ``"Madiun"``),
        ``province`` (full name or a common short form: ``DKI Jakarta``, ``DIY``, ``NTB``, ``Kepri`` …).

    Returns
    -------
    DataFrame
        The input with :data:`MATCH_COLUMNS` added: ``village_code`` (dotted, or missing), ``match_status``
        (``matched`` / ``ambiguous`` / ``unmatched``), ``match_method`` (``exact``, ``compact`` = spacing ignored,
        ``variant`` = abbreviations such as Sei → Sungai and old spelling such as oe → u; ``(unique in regency)``
        when no kecamatan constrained the match), ``candidates`` (``"code name (Kec. …)"`` joined by ``"; "``
        for ambiguous rows) and ``unmatched_reason`` (why a row is not matched).

    Notes
    -----
    The regency/city must be found first ("Kab." and "Kota" are kept apart: Kab. Madiun is not Kota Madiun; a bare
    name matches either). Within it the village name is compared exactly, then ignoring spaces, then with spelling
    variants, stopping at the first level with any hit. Two or more candidates that the kecamatan cannot separate
    stay ``ambiguous``; a village not in the stated kecamatan but elsewhere in the regency is also ``ambiguous``.
    """
    if regency is None:
        regency = "regency" if "regency" in names.columns else "regency_city"
    missing = [c for c in (village, kecamatan, regency, province) if c not in names.columns]
    if missing:
        raise TppoError(f"match_villages: input lacks column(s) {', '.join(missing)}")
    rows = [
        _match_one(v, k, r, p)
        for v, k, r, p in zip(names[village], names[kecamatan], names[regency], names[province], strict=True)
    ]
    result = pd.DataFrame(rows, index=names.index, columns=MATCH_COLUMNS)
    out = names.drop(columns=[c for c in MATCH_COLUMNS if c in names.columns]).copy()
    for column in MATCH_COLUMNS:
        out[column] = result[column].astype("string")
    return out
