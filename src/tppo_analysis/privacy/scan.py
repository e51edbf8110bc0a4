"""``tppo scan [PATH ...]``: look for personal identifiers in everything the project commits or publishes.

Scanned: notebooks (cell sources, every output — stdout/stderr streams, tracebacks, every MIME type of display and
execute results including HTML, SVG, JSON, LaTeX and image alt text/metadata — and attachments' names), data and
text files (CSV/TSV/JSON/Markdown/text/YAML/Python…), SVG and HTML, the figure sidecars and the rendered ``report/``.
Default scope: the files git would commit (``git ls-files --cached --others --exclude-standard``) in the git checkout
of the **current directory** (printed), plus its ``report/`` and ``figures/``. Text is decoded as
:mod:`tppo_analysis.sources._read` decodes it (UTF-8, UTF-8 with BOM, UTF-16 with BOM — Excel's "Unicode text" —
else Windows-1252); Parquet files are read through DuckDB (every column name and every cell); other binary files
(PNG, PDF …) are skipped, their SVG twins and JSON sidecars are scanned. What counts as an identifier, and the
context rules (SVG drawing data, officials, names only next to identifying words), are those of
:mod:`tppo_analysis.sources._identifiers`; names are not looked for in Python source.

Findings print the file, the notebook cell (or line) and the kind of identifier, with the value masked
(``3201••••••••0001``); exit status 1. Otherwise one summary line and exit status 0.

The fixed fake identifiers the test fixtures and the synthetic generator plant on purpose
(:data:`tppo_analysis.privacy.identifiers.KNOWN_FAKE_IDENTIFIERS` and ``CANARY_*``) are ignored only in the files that
define them (:data:`CANARY_HOMES`); anywhere else — a notebook output, a figure, a results table — they are reported
like any other identifier, which is the point of planting them.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .. import paths
from ..errors import TppoError
from .identifiers import CANARY_NAMES, CANARY_NIKS, CANARY_PHONES, KNOWN_FAKE_IDENTIFIERS, find_identifiers

__all__ = [
    "Finding",
    "scan_paths",
    "scan_text",
    "scan_notebook",
    "scan_parquet",
    "default_scope",
    "default_root",
    "CANARY_HOMES",
]

#: Files that define the planted fake identifiers (source and test fixtures): canaries are not reported there.
CANARY_HOMES = (
    "src/tppo_analysis/privacy/identifiers.py",
    "src/tppo_analysis/privacy/_detect.py",
    "tests/*",
)

_BINARY_SUFFIXES = {
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".webp",
    ".ico",
    ".pdf",
    ".feather",
    ".arrow",
    ".gz",
    ".zip",
    ".xz",
    ".bz2",
    ".whl",
    ".pyc",
    ".so",
    ".db",
    ".duckdb",
    ".sqlite",
    ".xlsx",
    ".xls",
    ".pkl",
    ".pickle",
    ".npy",
    ".npz",
    ".woff",
    ".woff2",
    ".ttf",
    ".otf",
}
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# Embedded images (``<img src="data:image/png;base64,...">``): pixels, not text; blanked to the same length.
_DATA_URI = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=]+")


@dataclass(frozen=True)
class Finding:
    """One identifier-shaped value: file, where in it (``cell 3 output 1 text/html`` or ``line 12``), kind, masked."""

    file: str
    where: str
    kind: str
    masked: str

    def __str__(self) -> str:
        """Return ``file: where: KIND masked-value``."""
        return f"{self.file}: {self.where}: {self.kind} {self.masked}"


def canonical(value: str) -> str:
    """Return letters and digits only; Indonesian phone numbers in national form (``+62 812…`` → ``0812…``).

    Parameters
    ----------
    value : str
        A found value.

    Returns
    -------
    str
        The form values are compared in (canary lists, ignore sets).
    """
    v = re.sub(r"[^0-9A-Za-z]", "", str(value)).upper()
    for prefix in ("0062", "62"):
        if v.startswith(prefix + "8") and 10 <= len(v) - len(prefix) + 1 <= 14:
            return "0" + v[len(prefix) :]
    return v


def _canary_values() -> set[str]:
    """Canonical forms of every planted fake value (the names too: harmless, they are not identifier-shaped).

    A fake NIK written as a float in scientific notation loses its serial (``3.2010141079…E+15``): its
    ``…0000`` form is a fake too.
    """
    values = {canonical(v) for v in (*KNOWN_FAKE_IDENTIFIERS, *CANARY_NAMES, *CANARY_NIKS, *CANARY_PHONES)}
    return values | {v[:12] + "0000" for v in values if v.isdigit() and len(v) == 16}


def _is_canary_home(rel: str) -> bool:
    rel = rel.replace(os.sep, "/")
    return any(fnmatch.fnmatch(rel, pattern) for pattern in CANARY_HOMES)


def _canary_names() -> tuple[str, ...]:
    return tuple(str(n) for n in CANARY_NAMES)


def scan_text(
    text: str,
    *,
    file: str,
    where_prefix: str = "",
    line_numbers: bool = True,
    ignore: set[str] | frozenset[str] = frozenset(),
    names: Iterable[str] = (),
    person_names: bool = True,
) -> list[Finding]:
    """Return the findings in one piece of text.

    Parameters
    ----------
    text : str
        The text.
    file : str
        The file named in each finding.
    where_prefix : str
        Prefix of each finding's ``where`` (e.g. a notebook cell).
    line_numbers : bool
        Add ``line N`` to ``where`` (False: the prefix alone).
    ignore : set of str
        Canonical values not to report (canaries in their home files).
    names : iterable of str
        The synthetic generator's canary names, reported as ``CANARY_NAME`` wherever they appear.
    person_names : bool
        Run the NAME detector (False for Python source, where ``owner: str`` is a type annotation).

    Returns
    -------
    list of Finding
        One per identifier found, values masked.
    """
    text = _DATA_URI.sub(lambda m: "x" * len(m.group(0)), text)  # embedded images are pixels, not text
    hits = [
        (m.start, m.kind, m.masked)
        for m in find_identifiers(text)
        if (person_names or m.kind != "NAME") and not (ignore and canonical(m.value or text[m.start : m.end]) in ignore)
    ]
    lowered = text.lower()
    for name in names:
        start = lowered.find(name.lower())
        while start >= 0:
            hits.append((start, "CANARY_NAME", name[:2] + "•" * (len(name) - 2)))
            start = lowered.find(name.lower(), start + 1)
    out = []
    for start, kind, masked in sorted(hits):
        parts = [p for p in (where_prefix, f"line {text.count(chr(10), 0, start) + 1}" if line_numbers else "") if p]
        out.append(Finding(file, ", ".join(parts) or "text", kind, masked))
    return out


def _output_texts(output: dict) -> Iterator[tuple[str, str]]:
    """(label, text) for everything a notebook output can show."""
    kind = output.get("output_type", "")
    if kind == "stream":
        yield output.get("name", "stream"), _join(output.get("text", ""))
    elif kind == "error":
        yield "error", f"{output.get('ename', '')}: {output.get('evalue', '')}"
        yield "traceback", _ANSI.sub("", "\n".join(output.get("traceback", [])))
    for mime, data in (output.get("data") or {}).items():
        if mime.startswith("image/") and mime != "image/svg+xml":
            continue  # base64 pixels; alt text and titles live in metadata/HTML, scanned below
        if isinstance(data, (dict, list)) and "json" in mime:
            yield mime, json.dumps(data, ensure_ascii=False)
        else:
            yield mime, _join(data)
    if output.get("metadata"):
        yield "metadata", json.dumps(output["metadata"], ensure_ascii=False)


def _join(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def scan_notebook(
    path: Path, rel: str, ignore: set[str] | frozenset[str] = frozenset(), names: Iterable[str] = ()
) -> list[Finding]:
    """Return the findings in a notebook's cell sources, outputs (all MIME types, streams, tracebacks) and metadata.

    Parameters
    ----------
    path : Path
        The file.
    rel : str
        Its name as reported.
    ignore : set of str
        Canonical values not to report.
    names : iterable of str
        Canary names to report as ``CANARY_NAME``.

    Returns
    -------
    list of Finding
        One per identifier found, values masked.
    """
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TppoError(f"{rel}: not a readable notebook ({exc})") from None
    findings: list[Finding] = []
    for i, cell in enumerate(nb.get("cells", []), start=1):
        label = f"cell {i}"
        findings += scan_text(
            _join(cell.get("source", "")), file=rel, where_prefix=f"{label} source", ignore=ignore, names=names
        )
        if cell.get("metadata"):
            findings += scan_text(
                json.dumps(cell["metadata"], ensure_ascii=False),
                file=rel,
                where_prefix=f"{label} metadata",
                line_numbers=False,
                ignore=ignore,
                names=names,
            )
        for name in cell.get("attachments") or {}:
            findings += scan_text(
                name, file=rel, where_prefix=f"{label} attachment name", line_numbers=False, ignore=ignore, names=names
            )
        for j, output in enumerate(cell.get("outputs", []), start=1):
            for mime, text in _output_texts(output):
                findings += scan_text(
                    text, file=rel, where_prefix=f"{label} output {j} {mime}", ignore=ignore, names=names
                )
    findings += scan_text(
        json.dumps(nb.get("metadata", {}), ensure_ascii=False),
        file=rel,
        where_prefix="notebook metadata",
        line_numbers=False,
        ignore=ignore,
        names=names,
    )
    return findings


def _decode(raw: bytes) -> str | None:
    """Text as :mod:`tppo_analysis.sources._read` reads it (UTF-16/UTF-8 BOMs, else UTF-8, else cp1252); None = binary."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", errors="replace")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if b"\x00" in raw[:8192]:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def scan_parquet(path: Path, rel: str, ignore: set[str] | frozenset[str] = frozenset()) -> list[Finding]:
    """Scan a Parquet file through DuckDB: every column name, and every distinct cell value.

    Parameters
    ----------
    path : Path
        The file.
    rel : str
        Its name as reported.
    ignore : set of str
        Canonical values not to report.

    Returns
    -------
    list of Finding
        One per identifier found, values masked.
    """
    import duckdb

    from .identifiers import guard_relation

    con = duckdb.connect()
    src = "read_parquet('" + str(path).replace("'", "''") + "')"
    try:
        types = {r[0]: str(r[1]) for r in con.sql(f"DESCRIBE SELECT * FROM {src}").fetchall()}
    except duckdb.Error as exc:
        raise TppoError(f"{rel}: not a readable Parquet file ({str(exc).splitlines()[0]})") from None
    findings = scan_text(
        "\n".join(map(str, types)), file=rel, where_prefix="column names", line_numbers=False, ignore=ignore
    )
    found: list[Finding] = []

    def locate(cond, col, reason, mask):
        rows = con.sql(
            f'SELECT DISTINCT CAST("{col.replace(chr(34), chr(34) * 2)}" AS VARCHAR) FROM {src} WHERE {cond}'
        ).fetchall()
        for (raw,) in rows:
            for part in mask(raw).split("; "):
                kind, _, masked = part.partition(" ")
                found.append(Finding(rel, f"column {col}", kind, masked))
        return []

    guard_relation(con, src, types, locate=locate, file=rel)
    con.close()
    return findings + [f for f in found if not ignore or canonical(f.masked) not in ignore]


def _scan_file(path: Path, rel: str, canaries: set[str], names: tuple[str, ...] = ()) -> tuple[list[Finding], bool]:
    """Return the findings in one file and whether it was scanned (False for binary files)."""
    home = _is_canary_home(rel)
    ignore: set[str] | frozenset[str] = canaries if home else frozenset()
    names = () if home else names
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return scan_parquet(path, rel, ignore), True
    if suffix in _BINARY_SUFFIXES:
        return [], False
    if suffix == ".ipynb":
        return scan_notebook(path, rel, ignore, names), True
    text = _decode(path.read_bytes())
    if text is None:
        return [], False
    return scan_text(text, file=rel, ignore=ignore, names=names, person_names=suffix != ".py"), True


def default_root(start: str | os.PathLike | None = None) -> Path:
    """Return the git checkout holding ``start`` (default: the current directory), else the package's checkout.

    Parameters
    ----------
    start : str or os.PathLike, optional
        Where to start looking (default: the current directory).

    Returns
    -------
    Path
        The checkout's top folder.
    """
    try:
        res = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"], cwd=start or Path.cwd(), capture_output=True, check=True, text=True
        )
        return Path(res.stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        return paths.repo_root()


def default_scope(root: Path | None = None) -> list[Path]:
    """Return the files git would commit (tracked + untracked but not ignored) plus ``report/`` and ``figures/``.

    Parameters
    ----------
    root : Path, optional
        The checkout (default: :func:`default_root`).

    Returns
    -------
    list of Path
        The files to scan.
    """
    root = root or default_root()
    files: set[Path] = set()
    try:
        res = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=root,
            capture_output=True,
            check=True,
        )
        files.update(root / f for f in res.stdout.decode("utf-8", "replace").split("\0") if f)
    except (OSError, subprocess.CalledProcessError):
        for p in root.rglob("*"):
            rel = p.relative_to(root).parts
            if p.is_file() and not any(part.startswith(".") or part in ("build", "__pycache__") for part in rel):
                files.add(p)
    for extra in (root / "report", root / "figures"):
        if extra.is_dir():
            files.update(p for p in extra.rglob("*") if p.is_file())
    return sorted(p for p in files if p.is_file())


def _expand(targets: Iterable[str | os.PathLike]) -> list[Path]:
    out: list[Path] = []
    for t in targets:
        p = Path(t)
        if not p.exists():
            raise TppoError(f"tppo scan: {t}: no such file or folder")
        out.extend(sorted(q for q in p.rglob("*") if q.is_file()) if p.is_dir() else [p])
    return out


def _relative(p: Path, root: Path) -> str:
    try:
        return str(p.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(p)


def scan_paths(
    targets: Iterable[str | os.PathLike] | None = None,
    *,
    root: str | os.PathLike | None = None,
) -> tuple[list[Finding], int]:
    """Scan files (folders recursively; default: :func:`default_scope`).

    Parameters
    ----------
    targets : iterable of str or os.PathLike, optional
        Files or folders (default: :func:`default_scope`).
    root : str or os.PathLike, optional
        The folder paths are reported relative to (and where canary homes are looked up); default: the git checkout
        of the current directory (:func:`default_root`), or the single folder given.

    Returns
    -------
    tuple
        ``(findings, number of files scanned)``.
    """
    targets = list(targets or [])
    base = (
        Path(root)
        if root is not None
        else (Path(targets[0]) if len(targets) == 1 and Path(targets[0]).is_dir() else default_root())
    )
    files = _expand(targets) if targets else default_scope(base)
    canaries = _canary_values()
    names = _canary_names()
    findings: list[Finding] = []
    scanned = 0
    for f in files:
        found, done = _scan_file(f, _relative(f, base), canaries, names)
        findings += found
        scanned += done
    return findings, scanned
