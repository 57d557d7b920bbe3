"""The model registry: the store protocol and its SQL implementation (imported on use)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from archivist._lazy import lazy_getattr
from archivist.stores.registry.base import RegistryStore

if TYPE_CHECKING:
    from archivist.stores.registry.sql import SqlRegistryStore

__all__ = ["RegistryStore", "SqlRegistryStore"]

__getattr__ = lazy_getattr(
    __name__, {"SqlRegistryStore": "archivist.stores.registry.sql:SqlRegistryStore"}
)
