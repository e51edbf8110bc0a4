"""Identifiers: refuse personal-identifier columns and values at ingestion, find identifier-shaped values anywhere.

* :func:`find_identifiers` (detectors in :mod:`._detect`): NIK/KK, mobile numbers, passports, MRZ lines, e-mail,
  NPWP and names next to identifying words, with the project's context filters and the public-officials exemption;
* :func:`identifier_column_kind`: column names that announce an identifier (nama, nik, no_hp, kontak, mrz, foto …);
* the guards, which look at **every row and every column**: :func:`guard_columns` / :func:`value_problems` for a frame
  in memory (each distinct value checked once), :func:`guard_relation` for a DuckDB relation (a regular-expression
  pre-filter over all cells in SQL, then the exact checks on the distinct candidates only; records never enter
  Python);
* the fixed fake identities planted on purpose in test fixtures (:data:`KNOWN_FAKE_IDENTIFIERS`) and in SYNTHETIC
  records (``CANARY_*``), which ``tppo scan`` reports anywhere but in the files that define them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence

import pandas as pd

from ..errors import IdentifierError, Problem, TppoError
from ._detect import KNOWN_FAKE_IDENTIFIERS, IdentifierMatch, candidate_pattern, find_identifiers, mask_value

__all__ = [
    "guard_columns",
    "guard_relation",
    "value_problems",
    "identifier_column_kind",
    "find_identifiers",
    "candidate_pattern",
    "IdentifierMatch",
    "mask_value",
    "KNOWN_FAKE_IDENTIFIERS",
    "CANARY_NIKS",
    "CANARY_PHONES",
    "CANARY_NAMES",
]

# Canary identities planted in SYNTHETIC records (:func:`tppo_analysis.design.synthetic.generate_records`): fake,
# fixed, syntactically valid. NIK = 6-digit kecamatan code (real prefix: 32.01.01 Kab. Bogor/Cibinong, 35.07.01,
# 52.03.01) + birth date DDMMYY (women: day + 40) + 4-digit serial.
CANARY_NIKS = ("3201011208850001", "3507015203900002", "5203014710920003")
CANARY_PHONES = ("+6281234500001", "081234500002", "0857-1234-0003")
CANARY_NAMES = ("Siti Canary Rahayu", "Budi Canary Santoso", "Dewi Canary Lestari")


# ------------------------------------------------------------------------------------------------ column names

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
    "geography",
    "geo",
    "place",
    "location",
    "lokasi",
    "site",
    "region",
    "area",
    "label",
    "title",
    "judul",
    "station",
    "stasiun",
    "program",
    "project",
    "unit",
    "media",
    "event",
    "holiday",
    "libur",
    "figure",
    "dataset",
    "study",
    "model",
    "estimator",
    "method",
    "term",
    "parameter",
    "series_label",
    "rate",
    "statistic",
    "metric",
    "variable",
    "table",
    "notebook",
    "package",
    "dependency",
}
_ID_WORDS = {
    "NAME": {"nama", "name", "fullname", "surname", "namalengkap"},
    "NIK": {"nik", "ktp", "noktp", "nomorktp", "nationalid"},
    "KK": {"nokk", "nomorkk", "kartukeluarga"},
    "PHONE": {"hp", "nohp", "nomorhp", "telp", "telepon", "telpon", "phone", "handphone", "whatsapp", "wa", "msisdn"},
    "CONTACT": {"contact", "kontak", "contacts"},
    "ADDRESS": {"alamat", "address", "domisili"},
    "BIRTH_DATE": {"tgllahir", "tanggallahir", "tempatlahir", "dob", "birthdate", "dateofbirth", "ttl"},
    "EMAIL": {"email", "surel"},
    "PASSPORT": {"mrz"},
    "BIOMETRIC": {"foto", "photo", "pasfoto", "sidikjari", "fingerprint", "biometrik", "biometric", "wajah"},
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
    """Return the kind of identifier a column name announces (``"NIK"``, ``"NAME"``, ``"CONTACT"`` …), or None.

    Names of places and organisations (``nama_desa``, ``tpi_name``, ``alamat_kantor``) and salted-hash columns
    (``nik_sha256``) are not identifiers.

    Parameters
    ----------
    name : str
        A column name.
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
    return str(lokal_kind) if lokal_kind in _LOKAL_IDENTIFIER_TYPES else None


# ------------------------------------------------------------------------------------------------ every cell, in SQL

_NUMERIC = ("BIGINT", "INTEGER", "HUGEINT", "UBIGINT", "UINTEGER", "DOUBLE", "FLOAT", "DECIMAL", "REAL")
# Integer ranges where a NIK/KK (16 digits) or a mobile number that lost its leading 0 / kept 62 can sit.
_NUMERIC_RANGES = (
    (1_100_000_000_000_000, 9_999_999_999_999_999),
    (800_000_000, 899_999_999_999),
    (62_800_000_000, 62_899_999_999_999),
)


def _q(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _numeric_text(value) -> str:
    v = int(float(value))
    s = str(v)
    return "0" + s if s.startswith("8") and 9 <= len(s) <= 12 else s


def guard_relation(con, source: str, types: dict[str, str], *, locate, file: str) -> list:
    """Return problems for every personal identifier in any cell of any row and column of a DuckDB relation.

    One scan collects, per column, the distinct values that match :func:`candidate_pattern` (text) or fall in a
    NIK/phone range (numbers); :func:`find_identifiers` (``mode="cell"``) then checks those candidates exactly. The
    records never enter Python: only distinct candidates do, and for an extract without identifiers they are the few
    category values that look like words.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The connection holding the relation.
    source : str
        The relation (table name or table function).
    types : dict of str to str
        Column -> DuckDB type.
    locate : callable
        ``locate(condition_sql, column, reason, mask)`` turns a hit into problems with file lines (the caller's reader
        knows them).
    file : str
        The file named in the problems.

    Returns
    -------
    list of Problem
        The problems (values masked); the caller raises :class:`~tppo_analysis.errors.IdentifierError` with them and
        with any identifier-named column.
    """
    pat = "'" + candidate_pattern().replace("'", "''") + "'"
    exprs, cols = [], []
    for col, typ in types.items():
        c = _q(col)
        if typ.upper().startswith(("VARCHAR", "TEXT", "STRING")):
            # one pass; DuckDB evaluates the pattern once per dictionary entry of a Parquet column
            exprs.append(f"list(DISTINCT {c}) FILTER (WHERE regexp_matches({c}, {pat}))")
        elif typ.upper().startswith(_NUMERIC):
            cond = " OR ".join(f"({c} BETWEEN {lo} AND {hi} AND {c} = floor({c}))" for lo, hi in _NUMERIC_RANGES)
            # filter first, then DISTINCT over the few candidates (a DISTINCT aggregate over every number is slow)
            exprs.append(f"(SELECT list(v) FROM (SELECT DISTINCT {c} AS v FROM {source} WHERE {cond}))")
        else:
            continue
        cols.append((col, typ))
    if not exprs:
        return []
    lists = con.sql(f"SELECT {', '.join(exprs)} FROM {source}").fetchall()[0]
    problems = []
    for (col, typ), values in zip(cols, lists, strict=True):
        numeric = not typ.upper().startswith(("VARCHAR", "TEXT", "STRING"))
        hits: dict[str, list[IdentifierMatch]] = {}
        for v in values or []:
            text = _numeric_text(v) if numeric else str(v)
            found = find_identifiers(text, mode="cell")
            if found:
                hits[str(v)] = found
        if not hits:
            continue
        shown = {k: "; ".join(f"{m.kind} {m.masked}" for m in ms) for k, ms in hits.items()}
        inlist = ", ".join("'" + k.replace("'", "''") + "'" for k in hits)
        cond = f"CAST({_q(col)} AS VARCHAR) IN ({inlist})"
        kinds = ", ".join(sorted({m.kind for ms in hits.values() for m in ms}))
        problems += locate(
            cond,
            col,
            f"value looks like a personal identifier ({kinds}); remove it from the extract",
            lambda raw, shown=shown: shown.get(str(raw), "•••"),
        )
    return problems


def value_problems(
    df: pd.DataFrame, *, file: str, lines: Sequence[int] | None = None, mode: str = "cell", skip: Iterable[str] = ()
) -> list[Problem]:
    """Return every identifier-shaped value in the text cells of ``df``: one problem per cell (file, line, column, masked).

    Each distinct value is checked once (:func:`find_identifiers`), so the cost follows the number of distinct values,
    not of rows.

    Parameters
    ----------
    df : pandas.DataFrame
        The table as read.
    file : str
        The file named in the problems.
    lines : sequence of int, optional
        Each row's file line (default: row ``i`` is line ``i + 2``).
    mode : {"cell", "text"}
        ``"cell"`` for extracts, ``"text"`` for free text such as the public record's notes.
    skip : iterable of str
        Columns not checked.
    """
    skip = set(skip)
    lines = list(lines) if lines is not None and len(lines) == len(df) else [i + 2 for i in range(len(df))]
    problems = []
    for col in df.columns:
        if col in skip or str(col).endswith("_sha256"):
            continue
        s = df[col]
        if not (pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)):
            continue
        hits = {}
        for value in s.dropna().unique():
            if isinstance(value, str) and value:
                found = find_identifiers(value, mode=mode)
                if found:
                    hits[value] = found
        if not hits:
            continue
        for i in [i for i, v in enumerate(s.tolist()) if v in hits]:
            found = hits[s.iloc[i]]
            kinds = ", ".join(sorted({m.kind for m in found}))
            problems.append(
                Problem(
                    file,
                    lines[i],
                    str(col),
                    " ".join(m.masked for m in found),
                    f"value looks like a personal identifier ({kinds}); remove it from the file",
                )
            )
    return problems


def guard_columns(
    df: pd.DataFrame,
    *,
    file: str = "<input>",
    drop: Iterable[str] = (),
    hash_columns: Iterable[str] = (),
    salt: str | None = None,
    allow: Iterable[str] = (),
    check_values: bool = True,
    lines: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Refuse personal identifiers at ingestion; return the frame with the named columns dropped or hashed.

    Parameters
    ----------
    df : pandas.DataFrame
        The frame as read.
    file : str
        The file it came from (for messages).
    drop : iterable of str
        Identifier columns to remove before anything else sees them.
    hash_columns : iterable of str
        Identifier columns to replace by ``<column>_sha256``: sha256 of ``salt + value`` (a pseudonym that still
        links records of one person; keep the salt out of git, and remember pseudonymised data is still personal
        data under UU PDP).
    salt : str, optional
        Required with ``hash_columns``; at least 16 characters.
    allow : iterable of str
        Columns whose name looks like an identifier but is not (e.g. ``name`` holding a village name). Use sparingly.
    check_values : bool
        Also look for identifier-shaped values (NIK/KK, phones, e-mail, NPWP, passports, MRZ, names) in **every row**
        of the remaining text columns (:func:`value_problems`).
    lines : sequence of int, optional
        File line of each row (default: row ``i`` is line ``i + 2``, header = line 1).

    Raises
    ------
    IdentifierError
        Listing every identifier column and every identifier-shaped value not dropped or hashed (values masked).
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
    for col in hash_columns:
        hashed = out[col].map(lambda v: None if pd.isna(v) else _salted_sha256(str(v), str(salt)))
        pos = out.columns.get_loc(col)
        out = out.drop(columns=[col])
        out.insert(pos, f"{col}_sha256", hashed)
    if check_values:
        problems += value_problems(out, file=file, lines=lines, skip=allow)
    if problems:
        raise IdentifierError(problems, file=file)
    return out


def _salted_sha256(value: str, salt: str) -> str:
    return hashlib.sha256((salt + value).encode("utf-8")).hexdigest()
