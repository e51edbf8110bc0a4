"""Validate the docstrings of the package's public callables with numpydoc (one Parameters style everywhere).

Run by ``make lint`` and the pre-commit hook: ``python scripts/check_docstrings.py [FILE ...]`` (default: every module
of ``src/tppo_analysis``). The checks are those listed in ``[tool.numpydoc_validation]`` of ``pyproject.toml``.

Scope: module-level functions and classes whose names do not start with ``_``, and the public methods and properties
of those classes, in modules that are not private (no path component starting with ``_`` other than ``__init__``).
Functions nested inside other functions are implementation details and are not checked. A class's docstring
documents the parameters of its ``__init__``. Modules matched by ``exclude_files`` (pending rewrites, each with its
owner) are skipped.

Written rather than using ``python -m numpydoc lint`` because that command validates every function it meets,
nested closures included, and has no notion of a private module; this script reuses its AST validator
(``numpydoc.hooks.validate_docstrings.AstValidator``), so the checks themselves are numpydoc's.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

from numpydoc import validate
from numpydoc.hooks.validate_docstrings import AstValidator, parse_config

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "tppo_analysis"


def _is_public_module(path: Path) -> bool:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return not any(p.startswith("_") and p != "__init__" for p in parts)


def _is_overload(node: ast.AST) -> bool:
    decorators = getattr(node, "decorator_list", [])
    return any(
        (isinstance(d, ast.Name) and d.id == "overload") or getattr(d, "attr", "") == "overload" for d in decorators
    )


def _public_nodes(tree: ast.Module, module: str) -> Iterator[tuple[str, ast.AST, list[ast.AST]]]:
    """Yield ``(dotted name, node, ancestry)`` for every public function, class and method of a module.

    ``typing.overload`` stubs are skipped: the implementation that follows them carries the docstring.
    """
    for node in tree.body:
        if _is_overload(node):
            continue
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not node.name.startswith("_"):
            yield f"{module}.{node.name}", node, [tree]
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            yield f"{module}.{node.name}", node, [tree]
            for child in node.body:
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) and not child.name.startswith("_"):
                    yield f"{module}.{node.name}.{child.name}", child, [tree, node]


def check_file(path: Path, checks: set[str]) -> list[str]:
    """Return one line per finding in ``path``: ``file:line: CODE message (name)``.

    Parameters
    ----------
    path : Path
        A Python module.
    checks : set of str
        The numpydoc check codes to report.

    Returns
    -------
    list of str
        The findings, in source order.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    inside = path.is_relative_to(PACKAGE.parent)
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts) if inside else path.stem
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    out = []
    for name, node, ancestry in _public_nodes(tree, module):
        report = validate.validate(name, AstValidator, ast_node=node, filename=path, ancestry=ancestry)
        for code, message in report["errors"]:
            if code in checks:
                out.append(f"{shown}:{node.lineno}: {code} {message} ({name})")
    return out


def main(argv: list[str]) -> int:
    """Check the given files (default: the whole package) and print every finding; return 1 if any.

    Parameters
    ----------
    argv : list of str
        Files to check; the whole package when empty.

    Returns
    -------
    int
        0 when every checked docstring passes, 1 otherwise.
    """
    config = parse_config(ROOT)
    checks, pending = set(config["checks"]), config["exclude_files"]
    files = [Path(a).resolve() for a in argv] or sorted(PACKAGE.rglob("*.py"))
    findings, skipped = [], 0
    for path in files:
        if path.suffix != ".py" or not path.is_relative_to(PACKAGE) or not _is_public_module(path):
            continue
        if pending is not None and pending.match(path.relative_to(ROOT).as_posix()):
            skipped += 1
            continue
        findings.extend(check_file(path, checks))
    note = f" ({skipped} pending module(s) skipped: exclude_files in pyproject.toml)" if skipped else ""
    print("\n".join(findings) if findings else f"numpydoc: all public docstrings pass{note}", file=sys.stderr)
    return 1 if findings else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
