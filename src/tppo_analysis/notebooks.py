"""Moved to :mod:`tppo_analysis.output.notebooks` in 0.2 (the package is laid out by flow stage).

This old path keeps working for one release: every name warns (DeprecationWarning) and forwards to its new
home.
"""

from ._deprecated import forward

__all__ = ["execute_notebook", "normalise_notebook", "write_notebook", "main"]

__getattr__, __dir__ = forward(
    "tppo_analysis.notebooks",
    {
        "execute_notebook": "tppo_analysis.output.notebooks",
        "normalise_notebook": "tppo_analysis.output.notebooks",
        "write_notebook": "tppo_analysis.output.notebooks",
        "main": "tppo_analysis.output.notebooks",
    },
    default="tppo_analysis.output.notebooks",
)

if __name__ == "__main__":  # ``python -m tppo_analysis.notebooks``: warns, then runs the new module's main
    raise SystemExit(__getattr__("main")())  # type: ignore[operator]  # forwarded at run time
