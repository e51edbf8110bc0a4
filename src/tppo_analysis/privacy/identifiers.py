"""Identifiers: refuse personal-identifier columns at ingestion, find identifier-shaped values anywhere.

:func:`guard_columns` refuses columns named like personal identifiers (nama, nik, no_kk, paspor, no_hp, alamat,
tgl_lahir, …) unless the caller drops or hashes them; :func:`find_identifiers` finds NIK/KK, Indonesian mobile numbers,
passport numbers next to a passport word and ICAO passport MRZ lines in text. The fixed fake identities planted on
purpose in test fixtures (:data:`KNOWN_FAKE_IDENTIFIERS`) and in SYNTHETIC records (``CANARY_*``) live here too, next
to the detectors that must catch them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataValidationError, Problem, TppoError

__all__ = [
    "guard_columns",
    "identifier_column_kind",
    "find_identifiers",
    "IdentifierMatch",
    "mask_value",
    "KNOWN_FAKE_IDENTIFIERS",
    "CANARY_NIKS",
    "CANARY_PHONES",
    "CANARY_NAMES",
]

#: Fake identifiers written on purpose into test fixtures and the synthetic generator. ``tppo scan`` still reports
#: them everywhere except in the files that define them (see ``tppo_analysis.privacy.scan``). Structurally valid,
#: not real people: the serials are the test pattern 999x.
KNOWN_FAKE_IDENTIFIERS: frozenset[str] = frozenset(
    {
        "3201015501909991",  # NIK: Kab. Bogor / Cibinong, woman born 15-01-1990, serial 9991
        "3578012208859992",  # NIK: Kota Surabaya, man born 22-08-1985, serial 9992
        "081299990001",  # mobile (Telkomsel prefix)
        "081234567890",  # the documentation example number (lokal-id, operator pages), used in tests
        "X9999001",  # passport number
    }
)

# Canary identities planted in SYNTHETIC records (:func:`tppo_analysis.design.synthetic.generate_records`): fake,
# fixed, syntactically valid. NIK = 6-digit kecamatan code (real prefix: 32.01.01 Kab. Bogor/Cibinong, 35.07.01,
# 52.03.01) + birth date DDMMYY (women: day + 40) + 4-digit serial.
CANARY_NIKS = ("3201011208850001", "3507015203900002", "5203014710920003")
CANARY_PHONES = ("+6281234500001", "081234500002", "0857-1234-0003")
CANARY_NAMES = ("Siti Canary Rahayu", "Budi Canary Santoso", "Dewi Canary Lestari")

_NON_PERSON_WORDS = {
    "desa",
    "kelurahan",
    "kecamatan",
    "kabupaten",
    "kota",
    "provinsi",
    "kanim",
    "kantor",
    "tpi",
    "bandara",
    "pelabuhan",
    "negara",
    "perusahaan",
    "p3mi",
    "village",
    "office",
    "district",
    "regency",
    "province",
    "country",
    "company",
    "agency",
    "outlet",
    "source",
    "measure",
    "series",
    "file",
    "column",
    "wilayah",
    "daerah",
    "plbn",
    "hash",
    "sha256",
    "hashed",
    "checkpoint",
    "port",
    "airport",
    "destination",
    "tujuan",
    "bank",
    "instansi",
}
_ID_WORDS = {
    "NAME": {"nama", "name", "fullname", "surname", "namalengkap"},
    "NIK": {"nik", "ktp", "noktp", "nomorktp", "nationalid"},
    "KK": {"nokk", "nomorkk", "kartukeluarga"},
    "PHONE": {"hp", "nohp", "nomorhp", "telp", "telepon", "telpon", "phone", "handphone", "whatsapp", "wa", "msisdn"},
    "ADDRESS": {"alamat", "address", "domisili"},
    "BIRTH_DATE": {"tgllahir", "tanggallahir", "tempatlahir", "dob", "birthdate", "dateofbirth", "ttl"},
    "EMAIL": {"email", "surel"},
}
_PASSPORT_KEY = re.compile(
    r"(?:no|nomor|number|num|id)_?(?:paspor|passport)|(?:paspor|passport)(?:_?(?:no|nomor|number|num|id))?"
)
_LOKAL_IDENTIFIER_TYPES = {
    "NIK",
    "KK",
    "PASSPORT",
    "PHONE",
    "ADDRESS",
    "BIRTH_DATE",
    "EMAIL",
    "NPWP",
    "SIM",
    "BPJS",
    "BANK_ACCOUNT",
    "CARD",
    "AKTA",
    "NIP",
    "NISN",
    "BIOMETRIC",
}


def identifier_column_kind(name: str) -> str | None:
    """Return the kind of personal identifier a column name announces (``"NIK"``, ``"NAME"``, …), or None.

    Names of places and organisations (``nama_desa``, ``tpi_name``, ``alamat_kantor``) and hashed columns
    (``nik_sha256``) are not identifiers.
    """
    from lokal.samaran.fields import field_type, normalize_key

    key = normalize_key(str(name))
    if not key:
        return None
    tokens = key.split("_")
    if any(t in _NON_PERSON_WORDS for t in tokens):
        return None
    if _PASSPORT_KEY.fullmatch(key):
        return "PASSPORT"
    joined = {"".join(tokens[i:j]) for i in range(len(tokens)) for j in range(i + 1, min(len(tokens), i + 3) + 1)}
    for kind, words in _ID_WORDS.items():
        if joined & words:
            return kind
    lokal_kind = field_type(key)
    if lokal_kind in _LOKAL_IDENTIFIER_TYPES:
        return lokal_kind
    return None


def guard_columns(
    df: pd.DataFrame,
    *,
    file: str = "<input>",
    drop: Iterable[str] = (),
    hash_columns: Iterable[str] = (),
    salt: str | None = None,
    allow: Iterable[str] = (),
    check_values: bool = True,
    max_value_rows: int | None = 100_000,
) -> pd.DataFrame:
    """Refuse personal identifiers at ingestion; return the frame with the named columns dropped or hashed.

    Parameters
    ----------
    df, file
        The frame as read and the file it came from (for messages). Rows are assumed in file order, so data row
        ``i`` is file line ``i + 2`` (header = line 1).
    drop
        Identifier columns to remove before anything else sees them.
    hash_columns
        Identifier columns to replace by ``<column>_sha256``: sha256 of ``salt + value`` (a pseudonym that still
        links records of one person; keep the salt out of git, and remember pseudonymised data is still personal
        data under UU PDP).
    salt
        Required with ``hash_columns``; at least 16 characters.
    allow
        Columns whose name looks like an identifier but is not (e.g. ``name`` holding a village name). Use sparingly.
    check_values
        Also look for NIK/KK, phone, passport and MRZ values in the remaining text columns
        (:func:`find_identifiers`); refuse with file, line and column, never printing the value in full.
    max_value_rows
        Check at most this many rows' values (None = all).

    Raises
    ------
    DataValidationError
        Listing every identifier column (and every identifier-shaped value) not dropped or hashed.
    """
    drop, hash_columns, allow = list(drop), list(hash_columns), set(allow)
    for col in [*drop, *hash_columns]:
        if col not in df.columns:
            raise TppoError(f"{file}: column {col!r} named in drop/hash_columns is not in the file")
    if hash_columns and (not salt or len(salt) < 16):
        raise TppoError(
            f"{file}: hashing identifier columns needs a secret salt of at least 16 characters (salt=...), kept "
            "outside the repository; unsalted hashes of NIKs can be reversed by trying every valid NIK"
        )
    problems = []
    for col in df.columns:
        if col in drop or col in hash_columns or col in allow:
            continue
        kind = identifier_column_kind(col)
        if kind:
            problems.append(
                Problem(
                    file,
                    1,
                    str(col),
                    None,
                    f"column looks like a personal identifier ({kind}); drop it (drop=[{str(col)!r}]) or "
                    f"pseudonymise it (hash_columns=[{str(col)!r}], salt=...) before loading",
                )
            )
    out = df.drop(columns=drop)
    key = salt or ""  # hash_columns without a salt of 16+ characters was refused above
    for col in hash_columns:
        hashed = out[col].map(lambda v: None if pd.isna(v) else _salted_sha256(str(v), key))
        pos = out.columns.get_loc(col)
        out = out.drop(columns=[col])
        out.insert(pos, f"{col}_sha256", hashed)
    if check_values:
        rows = out if max_value_rows is None else out.head(max_value_rows)
        for col in rows.columns:
            if col in allow or str(col).endswith("_sha256"):
                continue
            s = rows[col]
            if not (pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)):
                continue
            for pos_i, value in enumerate(s.tolist()):
                if not isinstance(value, str):
                    continue
                for m in find_identifiers(value):
                    problems.append(
                        Problem(
                            file,
                            pos_i + 2,
                            str(col),
                            m.masked,
                            f"value looks like a personal identifier ({m.kind}); remove it from the extract",
                        )
                    )
    if problems:
        raise DataValidationError(problems, file=file)
    return out


def _salted_sha256(value: str, salt: str) -> str:
    return hashlib.sha256((salt + value).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IdentifierMatch:
    """One identifier-shaped value found in text: its kind, position and a masked form (never the full value)."""

    kind: str  # NIK, KK, PHONE, PASSPORT, MRZ
    start: int
    end: int
    masked: str
    item: int | None = None  # position in the input sequence, when a sequence of values was searched


def mask_value(value: str) -> str:
    """Mask a 16-digit NIK as ``3201••••••••0001``.

    Enough to find the leak, not enough to identify anyone.
    """
    v = str(value).strip()
    if len(v) >= 12:
        return v[:4] + "•" * (len(v) - 8) + v[-4:]
    if len(v) >= 6:
        return v[:2] + "•" * (len(v) - 4) + v[-2:]
    return "•" * len(v)


_URL = re.compile(
    r"(?:https?://|ftp://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|id|net|org|info|io|tv|my|sg|co)/\S*", re.IGNORECASE
)
_NIK_RUN = re.compile(
    r"(?<![0-9A-Za-z_])(?<!\d[.,])(\d{16}|\d{4}(?:[ -]\d{4}){3}|\d{6} \d{6} \d{4})(?![0-9A-Za-z_])(?![.,]\d)"
)
_KK_WORD = re.compile(r"\b(?:kk|no\.?\s*kk|kartu\s+keluarga|family\s+card)\b[^0-9]{0,20}$", re.IGNORECASE)
_MOBILE = re.compile(
    r"(?<![0-9A-Za-z_+.,/=-])(?:\+62|0062|62|0)[ -]?8\d{1,2}(?:[ -]?\d{3,5}){2,3}(?![0-9A-Za-z_])(?![.,]\d)"
)
_PASSPORT_NO = re.compile(r"(?<![A-Za-z0-9])[A-Z]{1,2} ?\d{6,8}(?![A-Za-z0-9])")
_PASSPORT_WORD = re.compile(r"\b(?:paspor|passport|pasport|no\.?\s*paspor)\b", re.IGNORECASE)
_MRZ_LINE1 = re.compile(r"P[A-Z<]IDN[A-Z<]{5,}")
_MRZ_LINE2 = re.compile(r"[A-Z0-9<]{9}\dIDN\d{6}\d[MF<]\d{6}\d")


def _regency_known(nik: str) -> bool:
    from lokal.wilayah import wilayah_name

    return wilayah_name(f"{nik[0:2]}.{nik[2:4]}") is not None


def find_identifiers(text_or_values: str | Iterable[object]) -> list[IdentifierMatch]:
    """Find identifier-shaped values: NIK/KK, Indonesian mobile numbers, passport numbers, passport MRZ lines.

    A NIK/KK is 16 digits (optionally in groups) that lokal-id parses as valid (a known province, regency and
    district code that is not 00, a real birth date with women's day + 40, serial not 0000) *and* whose regency is in
    the Kemendagri table, not inside a URL, a longer digit run, a decimal or a hex hash. A 16-digit number right after
    "KK"/"kartu keluarga" is reported as KK. Mobile numbers need a known operator prefix and a valid length;
    passport numbers (letter(s) + 6–8 digits) count only within 30 characters after "paspor"/"passport". MRZ lines
    are the ICAO 9303 TD3 lines of an Indonesian passport (``P<IDN…``).

    Returns matches in text order; with a sequence of values, each match carries ``item`` (the value's position).
    """
    if isinstance(text_or_values, str):
        return _find_in_text(text_or_values)
    found: list[IdentifierMatch] = []
    for i, v in enumerate(text_or_values):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            continue
        for m in _find_in_text(str(v)):
            found.append(IdentifierMatch(m.kind, m.start, m.end, m.masked, i))
    return found


def _find_in_text(text: str) -> list[IdentifierMatch]:
    from lokal import parse_nik, parse_phone

    if not any(ch.isdigit() for ch in text) and "<" not in text:
        return []
    urls = [m.span() for m in _URL.finditer(text)]

    def in_url(a: int, b: int) -> bool:
        return any(s <= a and b <= e for s, e in urls)

    out: list[IdentifierMatch] = []
    for m in _NIK_RUN.finditer(text):
        if in_url(*m.span()):
            continue
        digits = re.sub(r"\D", "", m.group(0))
        info = parse_nik(digits)
        if not info.valid or not _regency_known(digits):
            continue
        kind = "KK" if _KK_WORD.search(text[max(0, m.start() - 40) : m.start()]) else "NIK"
        out.append(IdentifierMatch(kind, m.start(), m.end(), mask_value(digits)))
    for m in _MOBILE.finditer(text):
        if in_url(*m.span()):
            continue
        phone = parse_phone(m.group(0))
        if phone.valid and phone.type == "mobile" and phone.operator:
            out.append(IdentifierMatch("PHONE", m.start(), m.end(), mask_value(re.sub(r"\D", "", m.group(0)))))
    for m in _PASSPORT_NO.finditer(text):
        if in_url(*m.span()):
            continue
        before = text[max(0, m.start() - 30) : m.start()]
        before = before[before.rfind("\n") + 1 :]
        if _PASSPORT_WORD.search(before):
            out.append(IdentifierMatch("PASSPORT", m.start(), m.end(), mask_value(m.group(0).replace(" ", ""))))
    for pattern in (_MRZ_LINE1, _MRZ_LINE2):
        for m in pattern.finditer(text):
            out.append(IdentifierMatch("MRZ", m.start(), m.end(), m.group(0)[:5] + "•" * (m.end() - m.start() - 5)))
    out.sort(key=lambda x: (x.start, x.kind))
    return out
