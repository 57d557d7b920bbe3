"""Readers over bytes produced piece by piece, for the layers that stream objects."""

from __future__ import annotations

import io
from collections.abc import Iterator

__all__ = ["IterReader"]


class IterReader(io.RawIOBase):
    """A reader of the byte strings an iterator yields, in order."""

    def __init__(self, parts: Iterator[bytes | memoryview]) -> None:
        super().__init__()
        self._parts = parts
        self._buf = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._buf:
            nxt = next(self._parts, None)
            if nxt is None:
                return 0
            self._buf = memoryview(nxt)
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n
