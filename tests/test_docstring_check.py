"""The numpydoc check run by ``make lint`` finds what it is configured to find, and skips what it should."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _script():
    spec = importlib.util.spec_from_file_location("check_docstrings", ROOT / "scripts" / "check_docstrings.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SOURCE = '''"""A module."""

from typing import overload


def documented(path: str) -> int:
    """Do one thing.

    Parameters
    ----------
    path : str
        A file.

    Returns
    -------
    int
        A number.
    """
    return 1


def name_only_style(path: str) -> int:
    """Do one thing.

    Parameters
    ----------
    path
        A file.

    Returns
    -------
    int
        A number.
    """
    return 1


def undocumented_parameter(path: str, kind: str) -> None:
    """Do one thing."""

    def nested(x):
        return x


def _private(x):
    return x


@overload
def stub(x: int) -> int: ...
def stub(x):
    """Do one thing.

    Parameters
    ----------
    x : int
        A number.
    """
    return x


class Public:
    """A class."""

    def method(self, level: float) -> None:
        """Do one thing."""
'''


def test_check_reports_missing_and_name_only_parameters_and_skips_private_and_nested(tmp_path):
    check = _script()
    path = tmp_path / "sample.py"
    path.write_text(SOURCE, encoding="utf-8")
    findings = check.check_file(path, {"PR01", "PR02", "PR04", "PR07", "RT03", "GL08"})
    text = "\n".join(findings)
    assert "PR04" in text and "name_only_style" in text
    assert "PR01" in text and "undocumented_parameter" in text and "Public.method" in text
    assert "documented)" not in text.replace("undocumented", "")
    assert "nested" not in text and "_private" not in text
    assert len(findings) == 3, findings


def test_the_package_passes_the_configured_check():
    assert _script().main([]) == 0
