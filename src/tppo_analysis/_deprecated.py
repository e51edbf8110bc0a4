"""Old import paths that keep working for one release: each warns and forwards to the new home of the name.

In 0.2 the package was laid out by flow stage (``sources``, ``record``, ``models``, ``effects``, ``design``,
``privacy``, ``output``). A module that moved leaves a small shim at its old path whose module ``__getattr__`` issues
a :class:`DeprecationWarning` naming the new path and returns the very same object, as QuantEcon's
``quantecon/kalman.py`` does. The new modules are imported only when an old name is used, so the shims add no
import-time cost and no dependency between stages.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Mapping

__all__ = ["forward"]


def forward(
    old: str, targets: Mapping[str, str], *, default: str | None = None
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """Return a module ``__getattr__`` and ``__dir__`` that forward the names of the moved module ``old``.

    Parameters
    ----------
    old
        The old dotted module path (named in the warning).
    targets
        Old public name -> ``"new.module"`` (same name there) or ``"new.module:new_name"`` (renamed).
    default
        The module any other (private) name is looked up in; ``None`` = only the names in ``targets``.

    Returns
    -------
    tuple
        ``(__getattr__, __dir__)`` to assign at module level in the shim.
    """

    def __getattr__(name: str) -> object:
        target = targets.get(name, default if not name.startswith("__") else None)
        if target is None:
            raise AttributeError(f"module {old!r} has no attribute {name!r}")
        module_name, _, new_name = target.partition(":")
        new_name = new_name or name
        try:
            value = getattr(importlib.import_module(module_name), new_name)
        except AttributeError:
            raise AttributeError(f"module {old!r} has no attribute {name!r}") from None
        warnings.warn(
            f"{old}.{name} is deprecated: use {module_name}.{new_name} (the package is laid out by flow stage since "
            "0.2; the old path is removed in the next release)",
            DeprecationWarning,
            stacklevel=2,
        )
        return value

    def __dir__() -> list[str]:
        return sorted(targets)

    return __getattr__, __dir__
