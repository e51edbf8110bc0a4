"""The package layout keeps its shape: small modules, no import cycle, imports running one way down the flow stages.

The stages, in flow order (docs/CONTRACTS.md): core (``paths``, ``errors``, ``provenance``, ...) -> ``privacy`` (the
guards every later stage uses; it depends on core only) -> ``sources`` -> ``record`` -> ``models`` / ``effects`` ->
``design`` -> ``output``; ``cli`` is the command on top of everything. A module may import its own stage and the
stages before it, never a later one, except for edges listed in :data:`ALLOWED` with the reason each is there (none
since issue 10 moved the trend tables to ``models`` and the house style of figures below ``record``). Imports are
read from the source (every ``import`` statement, inside functions too, except under ``if TYPE_CHECKING:``); the
deprecation shims at old paths forward by name at run time and are not imports.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = "tppo_analysis"
SRC = Path(__file__).resolve().parents[1] / "src" / PACKAGE
MAX_LINES = 500

RANK = {
    "core": 0,
    "privacy": 1,
    "sources": 2,
    "record": 3,
    "models": 4,
    "effects": 4,
    "design": 5,
    "output": 6,
    "cli": 7,
}

#: (importing module, imported stage) -> why the edge runs against the flow. Kept short; a new entry needs a reason.
ALLOWED: dict[tuple[str, str], str] = {}


#: Core modules of the public API that reach later stages only inside their functions (as ``__init__`` resolves its
#: names lazily): the notebook's set-up call and the data set registry. Their module-level imports still follow the
#: flow; only the imports inside function bodies may name a later stage. module -> reason.
LAZY_FACADES = {
    "tppo_analysis.session": "tppo.setup applies the plotting style of output.plotting when a session starts",
    "tppo_analysis.datasets": "tppo.load_data loads each data set with the loader of its own stage",
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.AST, *, module_level_only: bool = False):
    """Yield every Import/ImportFrom node, skipping ``if TYPE_CHECKING:`` bodies (and function bodies if asked)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if module_level_only and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _imports(name: str, path: Path, modules: dict[str, Path], *, module_level_only: bool = False) -> set[str]:
    """Return the package modules ``name`` imports.

    A name imported from a package that is a submodule counts as that submodule.
    """
    is_pkg = path.name == "__init__.py"
    out: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in _import_nodes(tree, module_level_only=module_level_only):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            if node.level:
                base = name.split(".") if is_pkg else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            targets = [f"{module}.{a.name}" if f"{module}.{a.name}" in modules else module for a in node.names]
        for target in targets:
            while target and target not in modules:  # ``import a.b.c`` of a name inside a module
                target = target.rpartition(".")[0]
            if target.startswith(PACKAGE) and target != name:
                out.add(target)
    return out


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _flow_graph() -> dict[str, set[str]]:
    """Return the import graph for the flow rule: the lazy facades count with their module-level imports only."""
    modules = _modules()
    return {
        name: _imports(name, path, modules, module_level_only=name in LAZY_FACADES) for name, path in modules.items()
    }


def _shims(graph: dict[str, set[str]]) -> set[str]:
    """Return the deprecation shims at old paths.

    Shims are modules (not packages) whose only package import is the forwarding helper.
    """
    modules = _modules()
    return {
        name
        for name, deps in graph.items()
        if deps == {f"{PACKAGE}._deprecated"} and modules[name].name != "__init__.py"
    }


def _stage(name: str) -> str:
    parts = name.split(".")
    if len(parts) == 1:
        return "core"
    if parts[1] in RANK:
        return parts[1]
    return "cli" if parts[1] == "cli" else "core"


def test_every_module_is_under_500_lines():
    long = {
        name: n
        for name, path in _modules().items()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) >= MAX_LINES
    }
    assert not long, f"modules of {MAX_LINES} lines or more: {long}"


def test_stages_run_one_way_down_the_flow():
    graph = _flow_graph()
    shims = _shims(graph)
    against, seen_allowed = [], set()
    for name, deps in graph.items():
        if name in shims:
            continue
        for dep in deps:
            a, b = _stage(name), _stage(dep)
            if a == b:
                continue
            if RANK[b] >= RANK[a]:  # a later stage, or the sibling models <-> effects
                if (name, b) in ALLOWED:
                    seen_allowed.add((name, b))
                else:
                    against.append(f"{name} ({a}) imports {dep} ({b})")
    assert not against, "imports against the flow: " + "; ".join(sorted(against))
    assert seen_allowed == set(ALLOWED), f"stale ALLOWED entries: {set(ALLOWED) - seen_allowed}"


def test_no_import_cycle_between_stages():
    graph = _flow_graph()
    shims = _shims(graph)
    edges: dict[str, set[str]] = {s: set() for s in RANK}
    for name, deps in graph.items():
        if name in shims:
            continue
        for dep in deps:
            if _stage(name) != _stage(dep):
                edges[_stage(name)].add(_stage(dep))
    assert _cycle(edges) is None, f"import cycle between stages: {_cycle(edges)}"


def test_no_import_cycle_between_modules():
    graph = _graph()
    # A package's __init__ importing its own submodules is how packages work, not a cycle.
    edges = {name: {d for d in deps if not name.startswith(d + ".")} for name, deps in graph.items()}
    assert _cycle(edges) is None, f"import cycle between modules: {_cycle(edges)}"


def test_synthetic_data_does_not_depend_on_the_power_studies():
    graph = _graph()
    for name, deps in graph.items():
        if name.startswith(f"{PACKAGE}.design.synthetic"):
            assert f"{PACKAGE}.design.power" not in deps, name


def test_the_package_never_imports_its_own_deprecation_shims():
    graph = _graph()
    shims = _shims(graph)
    assert shims, "no shims found: the detection in this test is broken"
    users = {name: deps & shims for name, deps in graph.items() if deps & shims and name not in shims}
    assert not users, f"package modules importing old paths: {users}"


@pytest.mark.parametrize("stage", [s for s in RANK if s not in ("core", "cli")])
def test_every_stage_is_a_folder(stage):
    assert (SRC / stage / "__init__.py").exists()


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the directed graph as a list of nodes, or None."""
    colour: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        colour[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if colour.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if colour.get(nxt) is None:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        colour[node] = 2
        return None

    for start in sorted(edges):
        if colour.get(start) is None:
            found = visit(start)
            if found:
                return found
    return None


def test_no_package_file_is_hidden_by_gitignore():
    """Check that no file of the package is hidden by ``.gitignore``.

    A ``.gitignore`` pattern once hid ``output/report/`` (``report/`` matched the package folder too), so a clean
    clone lacked the report builder while every working copy had it.
    """
    import shutil
    import subprocess

    if shutil.which("git") is None or not (SRC.parents[1] / ".git").exists():
        pytest.skip("not a git checkout")
    files = [str(p.relative_to(SRC.parents[1])) for p in SRC.rglob("*.py") if "__pycache__" not in p.parts]
    out = subprocess.run(
        ["git", "check-ignore", "--no-index", *files], cwd=SRC.parents[1], capture_output=True, text=True
    )
    assert out.stdout.strip() == "", f"ignored by .gitignore: {out.stdout.split()}"


def test_lazy_facades_exist_and_reach_later_stages_only_inside_functions():
    modules = _modules()
    for name in LAZY_FACADES:
        assert name in modules, f"stale LAZY_FACADES entry: {name}"
        eager = _imports(name, modules[name], modules, module_level_only=True)
        assert all(RANK[_stage(dep)] == RANK["core"] for dep in eager), f"{name} imports {eager} at module level"
