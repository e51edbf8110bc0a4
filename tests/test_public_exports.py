"""Every name the package exports resolves, and type checkers and IDEs see it.

``tppo_analysis/__init__.py`` resolves its public names lazily from ``_EXPORTS`` (cheap imports in notebooks), so
type checkers only see the imports under ``if TYPE_CHECKING:``. This test keeps the two lists in step, as CausalPy's
``scripts/check_public_exports.py`` does: a name added to one and forgotten in the other fails here.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import tppo_analysis

INIT = Path(tppo_analysis.__file__)


def _type_checking_imports() -> dict[str, str]:
    """Map each name bound under ``if TYPE_CHECKING:`` to the dotted path it is imported from."""
    tree = ast.parse(INIT.read_text(encoding="utf-8"))
    out: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for imp in node.body:
                assert isinstance(imp, ast.ImportFrom), "only 'from ... import ...' under TYPE_CHECKING"
                base = "tppo_analysis" + ("." + imp.module if imp.module else "")
                for alias in imp.names:
                    out[alias.asname or alias.name] = f"{base}.{alias.name}"
    return out


@pytest.mark.parametrize("name", sorted(tppo_analysis._EXPORTS))
def test_every_export_resolves_to_its_declared_object(name):
    module_name, attr = tppo_analysis._EXPORTS[name]
    module = importlib.import_module(module_name)
    want = module if attr is None else getattr(module, attr)
    assert getattr(tppo_analysis, name) is want
    assert name in tppo_analysis.__all__ and name in dir(tppo_analysis)


def test_every_export_is_visible_to_type_checkers():
    seen = _type_checking_imports()
    missing = sorted(set(tppo_analysis._EXPORTS) - set(seen))
    extra = sorted(set(seen) - set(tppo_analysis._EXPORTS))
    assert missing == [] and extra == [], f"not under TYPE_CHECKING: {missing}; not exported: {extra}"


@pytest.mark.parametrize("name", sorted(tppo_analysis._EXPORTS))
def test_type_checking_import_names_the_same_object(name):
    module_name, attr = tppo_analysis._EXPORTS[name]
    dotted = _type_checking_imports()[name]
    parent, _, leaf = dotted.rpartition(".")
    parent_module = importlib.import_module(parent)
    got = getattr(parent_module, leaf, None)
    if got is None:  # ``from .pkg import submodule``
        got = importlib.import_module(dotted)
    want = importlib.import_module(module_name) if attr is None else getattr(importlib.import_module(module_name), attr)
    assert got is want, f"{name}: TYPE_CHECKING imports {dotted}, _EXPORTS says {module_name}:{attr}"


def test_the_package_ships_its_type_information():
    assert (INIT.parent / "py.typed").is_file()
    pyproject = (INIT.parents[2] / "pyproject.toml").read_text(encoding="utf-8")
    assert 'tppo_analysis = ["py.typed"]' in pyproject
