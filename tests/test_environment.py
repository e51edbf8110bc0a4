"""The conda environment, pyproject and lock file describe the same environment."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _name(req: str) -> str:
    return re.split(r"[<>=!~ \[;]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def pyproject_dependencies() -> set[str]:
    meta = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    deps = {_name(d) for d in meta["dependencies"]}
    for extra in ("test", "lint"):
        deps |= {_name(d) for d in meta["optional-dependencies"][extra]}
    return deps


def conda_dependencies() -> set[str]:
    names = set()
    text = (REPO / "environment.yml").read_text()
    for line in text.split("\ndependencies:", 1)[1].splitlines():
        m = re.match(r"^\s+- ([A-Za-z0-9_.\-]+)", line)
        if m and not line.strip().startswith("- -e"):
            names.add(_name(m.group(1)))
    return names - {"python", "pip", "openjdk"}


def test_environment_yml_lists_the_same_top_level_dependencies_as_pyproject():
    assert conda_dependencies() == pyproject_dependencies()


def test_every_dependency_is_pinned_in_the_lock_file():
    lock = (REPO / "requirements.lock").read_text().splitlines()
    pinned = {_name(l) for l in lock if re.match(r"^[A-Za-z0-9]", l) and "==" in l}
    missing = pyproject_dependencies() - pinned
    assert not missing, f"not pinned in requirements.lock (run `make lock`): {sorted(missing)}"


def test_lock_file_pins_exact_versions_only():
    for line in (REPO / "requirements.lock").read_text().splitlines():
        if re.match(r"^[A-Za-z0-9]", line):
            assert "==" in line, line
