"""The blob-store contract: content-addressed bytes.

A backend implements five methods (``has``, ``put``, ``open``, ``delete``,
``iter_digests``); everything else (put a file, put many, read verified, copy out) is
derived here, and a backend may override a derived method when it can do better (the
local store links and batches fsyncs).
"""

from __future__ import annotations

import io
import os
import shutil
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO

from archivist.errors import ArtifactCorrupted, InvalidArgument
from archivist.stores.blobs.hashing import (
    CHUNK,
    DEFAULT_ALGORITHM,
    Hasher,
    hash_bytes,
    hash_file,
    new_hasher,
    split,
)

__all__ = ["BlobStore", "SourceChanged", "VerifyingReader", "corrupted", "download_tmp"]


def corrupted(digest: str, where: str, actual: str) -> ArtifactCorrupted:
    """The error for a blob at ``where`` whose bytes hash to ``actual``, not ``digest``."""
    return ArtifactCorrupted(
        f"blob {digest} at {where} is corrupted: its bytes hash to {actual}; restore it "
        "from a backup or re-log the artifact, then run 'archivist verify'"
    )


class SourceChanged(InvalidArgument):
    """The bytes read to store a blob do not hash to the digest computed just before:
    the source file changed in between. Callers read it again (a bounded number of times)."""


def download_tmp(dest: str) -> str:
    """A temporary name beside ``dest``, short enough for any file system even when
    ``dest``'s own name is as long as a name can be."""
    return os.path.join(os.path.dirname(dest), f".archivist-tmp-{os.urandom(6).hex()}")


class BlobStore(ABC):
    """Bytes stored once under the digest of their content."""

    algorithm: str = DEFAULT_ALGORITHM
    #: A URI naming this store; tree rows do not record it, but errors do.
    uri: str = ""

    # -- the five primitives -------------------------------------------------------
    @abstractmethod
    def has(self, digest: str) -> bool:
        """Whether a blob with this digest is stored."""

    @abstractmethod
    def put(self, digest: str, data: BinaryIO) -> None:
        """Store the bytes read from ``data`` under ``digest`` (already computed by the caller).

        Implementations must make the blob visible atomically and must reject bytes
        that do not hash to ``digest``.
        """

    @abstractmethod
    def open(self, digest: str) -> BinaryIO:
        """A reader of the original bytes; verifies the digest when read to the end."""

    @abstractmethod
    def delete(self, digest: str) -> None:
        """Remove a blob; deleting a missing blob is not an error."""

    @abstractmethod
    def iter_digests(self) -> Iterator[str]:
        """Every stored digest, in no particular order."""

    # -- derived ---------------------------------------------------------------------
    def touch(self, digest: str) -> bool:
        """Mark a blob as just used, so a concurrent gc's grace period protects it.

        Returns whether the blob still exists afterwards (a gc may have just removed it).
        """
        return self.has(digest)

    def reuse(self, digest: str) -> bool:
        """True when the stored blob can stand for new bytes with this digest.

        That is: it is stored, not known to be damaged, and now protected from gc. A
        backend that can tell a damaged blob cheaply checks here, and moves a damaged one
        aside (:meth:`quarantine`) so that the caller writes the good bytes again.
        """
        return self.has(digest) and self.touch(digest)

    def quarantine(self, digest: str) -> str | None:
        """Take a damaged blob out of the store, so nothing reads or reuses it again.

        Returns where its bytes were kept for inspection, or None when this backend
        cannot keep them (the blob is then deleted). Backends that can keep a copy aside
        override this.
        """
        self.delete(digest)
        return None

    def quarantined(self, digest: str) -> list[str]:
        """Where damaged copies of ``digest`` were kept by :meth:`quarantine`, oldest first."""
        return []

    def age_seconds(self, digest: str) -> float:
        """Seconds since the blob was written or touched (0 when unknown: never collected)."""
        return 0.0

    def delete_if_older(self, digest: str, seconds: float) -> bool:
        """Delete the blob only if nothing wrote or touched it for ``seconds`` (gc's sweep)."""
        if self.age_seconds(digest) < seconds:
            return False
        self.delete(digest)
        return True

    def stored_size(self, digest: str) -> int:
        """Bytes the blob takes in the store (after compression); 0 when unknown."""
        return 0

    def clean_tmp(self, older_than: float) -> int:
        """Remove temporary files left by crashed writers; returns how many."""
        return 0

    def has_many(self, digests: Iterable[str]) -> set[str]:
        """The subset of ``digests`` that is stored."""
        return {d for d in digests if self.has(d)}

    def put_bytes(self, data: bytes) -> tuple[str, int]:
        digest = hash_bytes(data, self.algorithm)
        if not self.reuse(digest):
            self.put(digest, io.BytesIO(data))
        return digest, len(data)

    def put_file(self, path: str | os.PathLike[str]) -> tuple[str, int]:
        digest, size = hash_file(path, self.algorithm)
        if self.reuse(digest):
            return digest, size
        with open(path, "rb") as f:
            self.put(digest, f)  # type: ignore[arg-type]
        return digest, size

    def put_files(
        self, paths: list[str], progress: Callable[[int], object] | None = None
    ) -> list[tuple[str, int]]:
        """Store many files; backends batch what they can.

        ``progress(n)`` is called with the bytes of each file (or batch) once stored.
        """
        out = []
        for p in paths:
            out.append(self.put_file(p))
            if progress is not None:
                progress(out[-1][1])
        return out

    def check(self, digest: str) -> int:
        """Read a blob to the end, verifying it; returns its size.

        Raises:
            ArtifactCorrupted: the blob is missing, damaged or holds other bytes.
        """
        size = 0
        with self.open(digest) as f:
            while chunk := f.read(CHUNK):
                size += len(chunk)
        return size

    def local_file(self, digest: str) -> str | None:
        """A local file holding exactly the object's stored bytes, uncompressed, for
        readers that map it into memory; None when the backend has no such file."""
        return None

    def read_range(self, digest: str, offset: int, length: int) -> bytes:
        """Up to ``length`` stored bytes from ``offset`` of an object, *not* verified.

        For layers that check what they read themselves (the chunk layer checks each
        chunk). Backends that can seek override this; here the object is read through.
        """
        with self.open(digest) as f:
            skip = offset
            while skip > 0:
                part = f.read(min(skip, CHUNK))
                if not part:
                    return b""
                skip -= len(part)
            return f.read(length)

    def read_bytes(self, digest: str) -> bytes:
        with self.open(digest) as f:
            return f.read()

    def copy_to(self, digest: str, dest: str, *, link: bool = False) -> None:
        """Write the blob's verified bytes to ``dest`` (replaced atomically)."""
        tmp = download_tmp(dest)
        try:
            with self.open(digest) as src, open(tmp, "wb") as out:
                shutil.copyfileobj(src, out, CHUNK)  # type: ignore[misc]
            os.replace(tmp, dest)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)


class VerifyingReader(io.RawIOBase):
    """Wraps a reader of a blob's original bytes; raises at EOF if they do not match."""

    def __init__(
        self,
        raw: BinaryIO,
        digest: str,
        where: str,
        on_corrupt: Callable[[], object] | None = None,
    ) -> None:
        super().__init__()
        self._on_corrupt = on_corrupt
        algorithm, self._expected = split(digest)
        self._raw = raw
        self._digest = digest
        self._where = where
        self._hasher: Hasher = new_hasher(algorithm)
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        try:
            data = self._raw.read(len(b))
        except Exception as e:  # e.g. a damaged zstd frame
            self._corrupt()
            raise ArtifactCorrupted(
                f"blob {self._digest} at {self._where} is corrupted and cannot be decoded "
                f"({type(e).__name__}: {e}); restore it from a backup or re-log the artifact"
            ) from None
        n = len(data)
        if n:
            b[:n] = data
            self._hasher.update(data)
        elif not self._done:
            self._done = True
            actual = self._hasher.hexdigest()
            if actual != self._expected:
                self._corrupt()
                raise corrupted(self._digest, self._where, actual)
        return n

    def _corrupt(self) -> None:
        if self._on_corrupt is not None:
            self._on_corrupt()

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            chunks = []
            while chunk := super().read(CHUNK):
                chunks.append(chunk)
            return b"".join(chunks)
        return super().read(size) or b""

    def close(self) -> None:
        try:
            self._raw.close()
        finally:
            super().close()
