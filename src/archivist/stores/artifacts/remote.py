"""Artifacts on a tracking server, sent and fetched by digest (dedup-aware transfer).

Logging hashes files locally, asks the server which digests it lacks for the run (or
logged model), sends only those, then commits the tree entries by digest: a file the
server already has costs two small requests. Blobs over ``PART_SIZE`` go in parts, each a
blob of its own streamed from the file (bounded memory, a failed part is retried alone, an
interrupted upload resumes from the parts already there); the server joins them and checks
the whole digest before the blob exists. Downloads stream to ``<file>.archivist-part``,
resume from it with a ``Range`` request, verify the digest, then move the file into place.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from archivist.entities import TreeEntry
from archivist.errors import ArtifactCorrupted, InvalidArgument
from archivist.paths import join, validate_artifact_path
from archivist.stores.artifacts.store import (
    ArtifactStore,
    _already_there,
    _artifact_name,
    _progress,
    _walk_files,
    check_local_dir,
    check_local_file,
)
from archivist.stores.blobs.hashing import hash_bytes, hash_file, new_hasher, split

if TYPE_CHECKING:
    from archivist.stores.tracking.rest import RestTrackingStore

__all__ = ["PART_SIZE", "RemoteArtifactStore"]

PART_SIZE = 64 << 20
_READ = 1 << 20
_PARTIAL = ".archivist-part"


def _file_range(path: str, start: int, length: int) -> Iterator[bytes]:
    with open(path, "rb") as f:
        f.seek(start)
        left = length
        while left > 0:
            block = f.read(min(_READ, left))
            if not block:
                raise InvalidArgument(f"local file {path!r} shrank while it was being sent")
            left -= len(block)
            yield block


def _part_digests(path: str, size: int, algorithm: str) -> list[str]:
    out = []
    for start in range(0, size, PART_SIZE):
        h = new_hasher(algorithm)
        for block in _file_range(path, start, min(PART_SIZE, size - start)):
            h.update(block)
        out.append(f"{algorithm}:{h.hexdigest()}")
    return out


class RemoteArtifactStore(ArtifactStore):
    """The :class:`ArtifactStore` interface over Archivist's native endpoints."""

    tracking: RestTrackingStore  # type: ignore[assignment]

    def __init__(self, tracking: RestTrackingStore) -> None:
        super().__init__(tracking, None)  # type: ignore[arg-type]
        self.http = tracking.http
        from archivist.stores.tracking.rest import NATIVE

        self._base = NATIVE
        #: bytes of blob content sent by this store (for reports and benchmarks)
        self.bytes_sent = 0

    @property  # type: ignore[override]
    def blobs(self) -> Any:
        raise InvalidArgument(
            f"{self.tracking.uri} is a tracking server: its blobs are reached through the "
            "server, and 'archivist gc' / 'archivist verify' run on the server's machine "
            "(with --tracking-uri set to its --backend-store-uri)"
        )

    @blobs.setter
    def blobs(self, value: Any) -> None:
        pass  # ArtifactStore.__init__ sets it; a remote store has none

    def _blob_url(self, owner_id: str, digest: str) -> str:
        return f"{self._base}/owners/{owner_id}/blobs/{digest}"

    # -- transfer primitives ------------------------------------------------------------------
    def missing_blobs(self, owner_id: str, digests: Any) -> set[str]:
        wanted = sorted(set(digests))
        out: set[str] = set()
        for i in range(0, len(wanted), 5000):
            got = self.tracking._call(
                "POST", f"{self._base}/owners/{owner_id}/blobs/missing",
                {"digests": wanted[i : i + 5000]},
            )
            out.update(got.get("missing") or ())
        return out

    def put_blob(self, owner_id: str, digest: str, data: BinaryIO, size: int) -> None:
        """Send bytes read from ``data`` (not re-readable: one attempt, streamed)."""
        def body() -> Iterator[bytes]:
            while block := data.read(_READ):
                yield block

        self.http.upload("PUT", self._blob_url(owner_id, digest), body)
        self.bytes_sent += size

    def _send_file(
        self, owner_id: str, path: str, digest: str, size: int, advance: Callable[[int], object]
    ) -> None:
        if size <= PART_SIZE:
            self.http.upload(
                "PUT", self._blob_url(owner_id, digest),
                lambda: _file_range(path, 0, size),
            )
            self.bytes_sent += size
            advance(size)
            return
        parts = _part_digests(path, size, split(digest)[0])
        todo = self.missing_blobs(owner_id, parts)
        for n, part in enumerate(parts):
            start = n * PART_SIZE
            length = min(PART_SIZE, size - start)
            if part in todo:
                self.http.upload(
                    "PUT", self._blob_url(owner_id, part),
                    lambda s=start, n=length: _file_range(path, s, n),  # type: ignore[misc]
                )
                self.bytes_sent += length
                todo.discard(part)
            advance(length)
        self.tracking._call("POST", self._blob_url(owner_id, digest) + "/compose",
                            {"parts": parts})

    def open_blob(self, owner_id: str, digest: str) -> BinaryIO:
        return self._open(owner_id, digest)

    def commit_entries(self, owner_id: str, entries: list[TreeEntry]) -> None:
        self.tracking.put_tree_entries(owner_id, entries)

    # -- writing ----------------------------------------------------------------------------
    def _log_files(self, owner_id: str, files: list[tuple[str, str]]) -> list[TreeEntry]:
        """Hash ``(local path, artifact path)`` pairs, send what is missing, commit the tree."""
        hashed = [(local, rel, *hash_file(local)) for local, rel in files]
        missing = self.missing_blobs(owner_id, {d for _, _, d, _ in hashed})
        total = sum(size for _, _, d, size in hashed if d in missing)
        with _progress("uploading", total) as advance:
            for local, _, digest, size in hashed:
                if digest in missing:
                    self._send_file(owner_id, local, digest, size, advance)
                    missing.discard(digest)
        entries = [TreeEntry(rel, digest, size) for _, rel, digest, size in hashed]
        self.tracking.put_tree_entries(owner_id, entries)
        return entries

    def log_file(
        self, owner_id: str, local_path: str | os.PathLike[str], artifact_path: str | None = None
    ) -> TreeEntry:
        base = validate_artifact_path(artifact_path)
        path = check_local_file(local_path)
        name = _artifact_name(path, path.name)
        if path.is_dir():
            self.log_dir(owner_id, path, join(base, name))
            return TreeEntry(join(base, name), "", 0)
        return self._log_files(owner_id, [(str(path), join(base, name))])[0]

    def log_dir(
        self, owner_id: str, local_dir: str | os.PathLike[str], artifact_path: str | None = None
    ) -> list[TreeEntry]:
        base = validate_artifact_path(artifact_path)
        root = check_local_dir(local_dir)
        files = _walk_files(root)
        for local, rel in files:
            _artifact_name(local, rel)
        return self._log_files(owner_id, [(local, join(base, rel)) for local, rel in files])

    def log_many_bytes(self, owner_id: str, files: list[tuple[str, bytes]]) -> list[TreeEntry]:
        """Log several small in-memory files with one dedup query and one commit."""
        entries = [TreeEntry(validate_artifact_path(p, name="artifact_file"), hash_bytes(d), len(d))
                   for p, d in files]
        missing = self.missing_blobs(owner_id, {e.digest for e in entries})
        for e, (_, data) in zip(entries, files, strict=True):
            if e.digest in missing:
                self.http.upload("PUT", self._blob_url(owner_id, e.digest),
                                 lambda d=data: d)  # type: ignore[misc]
                self.bytes_sent += len(data)
                missing.discard(e.digest)
        self.tracking.put_tree_entries(owner_id, entries)
        return entries

    def log_bytes(self, owner_id: str, artifact_file: str, data: bytes) -> TreeEntry:
        path = validate_artifact_path(artifact_file, name="artifact_file")
        if not path:
            raise InvalidArgument(
                f"artifact_file {artifact_file!r} names no file; give a file name such as "
                "'notes.txt'"
            )
        digest = hash_bytes(data)
        if self.missing_blobs(owner_id, [digest]):
            self.http.upload("PUT", self._blob_url(owner_id, digest), lambda: data)
            self.bytes_sent += len(data)
        entry = TreeEntry(path, digest, len(data))
        self.tracking.put_tree_entries(owner_id, [entry])
        return entry

    # -- reading ----------------------------------------------------------------------------
    def _open(self, owner_id: str, digest: str) -> BinaryIO:
        from archivist.stores.blobs.base import VerifyingReader

        raw = _StreamReader(self.http, self._blob_url(owner_id, digest))
        return io.BufferedReader(VerifyingReader(raw, digest, self.tracking.uri), _READ)  # type: ignore[arg-type,return-value]

    def open(self, owner_id: str, path: str) -> BinaryIO:
        return self._open(owner_id, self._entry(owner_id, path).digest)

    def read_bytes(self, owner_id: str, path: str) -> bytes:
        with self.open(owner_id, path) as f:
            return f.read()

    def download(
        self, owner_id: str, path: str | None, dst_dir: str | os.PathLike[str], *, link: bool = False
    ) -> str:
        """Fetch ``path`` (a file, a folder, or '' for all) under ``dst_dir``; resumable."""
        from archivist.errors import ResourceNotFound

        prefix = validate_artifact_path(path)
        entries = self.tracking.list_tree_entries(owner_id, prefix)
        if not entries and prefix:
            raise ResourceNotFound(
                f"artifact path {prefix!r} does not exist in {owner_id}; list what is "
                f"there with list_artifacts({owner_id!r})"
            )
        dst = Path(dst_dir).absolute()
        dst.mkdir(parents=True, exist_ok=True)
        with _progress("downloading", sum(e.size for e in entries)) as advance:
            for e in entries:
                target = dst / e.path
                target.parent.mkdir(parents=True, exist_ok=True)
                if not _already_there(target, e):
                    self._fetch(owner_id, e, target, advance)
                else:
                    advance(e.size)
        return str(dst / prefix) if prefix else str(dst)

    def _fetch(
        self, owner_id: str, entry: TreeEntry, target: Path, advance: Callable[[int], object]
    ) -> None:
        partial = target.with_name(target.name + _PARTIAL)
        algorithm = split(entry.digest)[0]
        h = new_hasher(algorithm)
        have = 0
        if partial.exists() and partial.stat().st_size <= entry.size:
            with open(partial, "rb") as f:
                while block := f.read(_READ):
                    h.update(block)
                    have += len(block)
        else:
            partial.unlink(missing_ok=True)
        advance(have)
        headers = {"Range": f"bytes={have}-"} if have else None
        if have < entry.size or entry.size == 0:
            with self.http.stream(self._blob_url(owner_id, entry.digest), headers=headers) as r, \
                    open(partial, "ab") as out:
                for block in r.iter_bytes(_READ):
                    h.update(block)
                    out.write(block)
                    advance(len(block))
        actual = f"{algorithm}:{h.hexdigest()}"
        if actual != entry.digest:
            partial.unlink(missing_ok=True)
            raise ArtifactCorrupted(
                f"artifact {entry.path!r} of {owner_id} downloaded from {self.tracking.uri} "
                f"hashes to {actual}, not {entry.digest}; the partial file was removed, "
                "download again"
            )
        os.replace(partial, target)


class _StreamReader(io.RawIOBase):
    """A raw reader over a streamed GET (opened on first read)."""

    def __init__(self, http: Any, url: str) -> None:
        super().__init__()
        self._http, self._url = http, url
        self._cm: Any = None
        self._chunks: Iterator[bytes] | None = None
        self._buf = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        if self._chunks is None:
            self._cm = self._http.stream(self._url)
            self._chunks = self._cm.__enter__().iter_bytes(_READ)
        while not self._buf:
            try:
                self._buf = memoryview(next(self._chunks))  # type: ignore[arg-type]
            except StopIteration:
                return 0
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n

    def close(self) -> None:
        if self._cm is not None:
            self._cm.__exit__(None, None, None)
            self._cm = None
        super().close()
