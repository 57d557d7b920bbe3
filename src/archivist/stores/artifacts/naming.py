"""Corruption errors that name what is affected: the run or logged model, and the path.

A blob store only knows digests; an ``ArtifactCorrupted`` raised while reading one is
re-raised here with the artifact (or artifacts) it backs, so the message says what to
re-log.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from typing import BinaryIO

from archivist.errors import ArtifactCorrupted

__all__ = ["NamingReader", "describe_owner", "naming_corruption"]


def describe_owner(owner_id: str) -> str:
    """``'run <id>'`` or ``'logged model m-…'``: what owns an artifact tree."""
    return f"logged model {owner_id}" if owner_id.startswith("m-") else f"run {owner_id}"


def _renamed(e: ArtifactCorrupted, owner_id: str, path: str) -> ArtifactCorrupted:
    what = f"artifact {path!r} of {describe_owner(owner_id)}" if path else describe_owner(owner_id)
    if e.message.startswith(what):
        return e
    return ArtifactCorrupted(f"{what} cannot be read: {e.message}")


@contextlib.contextmanager
def naming_corruption(owner_id: str, path: str) -> Iterator[None]:
    """Re-raise ``ArtifactCorrupted`` with the artifact it concerns."""
    try:
        yield
    except ArtifactCorrupted as e:
        raise _renamed(e, owner_id, path) from None


class NamingReader(io.RawIOBase):
    """A reader whose corruption errors (raised at any read) name the artifact."""

    def __init__(self, raw: BinaryIO, owner_id: str, path: str) -> None:
        super().__init__()
        self._raw = raw
        self._owner_id = owner_id
        self._path = path

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        with naming_corruption(self._owner_id, self._path):
            data = self._raw.read(len(b))
        n = len(data)
        b[:n] = data
        return n

    def close(self) -> None:
        try:
            self._raw.close()
        finally:
            super().close()
