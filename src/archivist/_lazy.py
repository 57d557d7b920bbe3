"""A module-level ``__getattr__`` that imports attributes on first use."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

__all__ = ["lazy_getattr"]


def lazy_getattr(module_name: str, table: dict[str, str]) -> Callable[[str], Any]:
    """``table`` maps attribute -> "module" (a submodule) or "module:attr"."""

    def __getattr__(name: str) -> Any:
        target = table.get(name)
        if target is None:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        mod_name, _, attr = target.partition(":")
        module = importlib.import_module(mod_name)
        value = getattr(module, attr) if attr else module
        import sys

        setattr(sys.modules[module_name], name, value)
        return value

    return __getattr__
