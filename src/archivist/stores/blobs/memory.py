"""Blobs in a dict: for tests and dry runs."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from typing import BinaryIO

from archivist.errors import ArtifactCorrupted
from archivist.stores.blobs.base import BlobStore, SourceChanged, VerifyingReader
from archivist.stores.blobs.hashing import hash_bytes, split

__all__ = ["MemoryBlobStore"]


class MemoryBlobStore(BlobStore):
    def __init__(self, root: str = "") -> None:
        self.uri = "memory://"
        self._blobs: dict[str, bytes] = {}
        self._mtimes: dict[str, float] = {}
        self._lock = threading.Lock()

    def has(self, digest: str) -> bool:
        split(digest)
        return digest in self._blobs

    def put(self, digest: str, data: BinaryIO) -> None:
        algorithm, _ = split(digest)
        content = data.read()
        actual = hash_bytes(content, algorithm)
        if actual != digest:
            raise SourceChanged(f"bytes given for blob {digest} hash to {actual}")
        with self._lock:
            self._blobs[digest] = content
            self._mtimes[digest] = time.time()

    def open(self, digest: str) -> BinaryIO:
        try:
            content = self._blobs[digest]
        except KeyError:
            raise ArtifactCorrupted(f"blob {digest} is missing from {self.uri}") from None
        return io.BufferedReader(VerifyingReader(io.BytesIO(content), digest, self.uri))  # type: ignore[return-value]

    def delete(self, digest: str) -> None:
        with self._lock:
            self._blobs.pop(digest, None)
            self._mtimes.pop(digest, None)

    def iter_digests(self) -> Iterator[str]:
        yield from list(self._blobs)

    def touch(self, digest: str) -> bool:
        with self._lock:
            if digest not in self._blobs:
                return False
            self._mtimes[digest] = time.time()
            return True

    def stored_size(self, digest: str) -> int:
        return len(self._blobs.get(digest, b""))

    def age_seconds(self, digest: str) -> float:
        return time.time() - self._mtimes.get(digest, time.time())
