"""Artifact listings."""

from __future__ import annotations

from dataclasses import dataclass

from archivist.entities._base import Entity

__all__ = ["FileInfo", "TreeEntry"]


@dataclass(frozen=True, slots=True)
class FileInfo(Entity):
    """One entry of an artifact listing: a file (with size) or a directory (size None)."""

    path: str
    is_dir: bool
    file_size: int | None = None


@dataclass(frozen=True, slots=True)
class TreeEntry(Entity):
    """One file of an artifact tree: where it is and which bytes it holds."""

    path: str
    digest: str
    size: int
