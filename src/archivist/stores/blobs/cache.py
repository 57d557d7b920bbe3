"""A bounded local cache in front of a remote blob store (S3 today, a server later).

Content-addressed: a blob is cached once, under its digest, however many runs, models
or stores use it. Layout under the cache folder (``ARCHIVIST_CACHE_DIR``, default
``~/.cache/archivist/blobs``)::

    objects/<algorithm>/<ab>/<hex>   the blob's original bytes (read-only)
    tmp/                             downloads in progress
    index.sqlite                     digest -> (size, last use), for LRU eviction

Safe with concurrent processes: a download goes to ``tmp/`` and is renamed into place
only once its digest checked out, so a cached file is always complete; the index is a
SQLite database in WAL mode, and eviction runs in one write transaction at a time. A
reader holding a cached file open keeps its bytes even if another process evicts it, and
a file evicted between lookup and open is read from the remote store instead. Reads of a
cached file verify its digest, as every read does.

Above ``ARCHIVIST_CACHE_MAX_BYTES`` (default 4 GiB) the least recently used blobs are
evicted after each download; ``archivist cache prune`` does it on demand.
"""

from __future__ import annotations

import contextlib
import io
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, BinaryIO

from archivist import config
from archivist.errors import InvalidArgument
from archivist.stores.blobs.base import BlobStore, VerifyingReader
from archivist.stores.blobs.hashing import CHUNK, split

__all__ = ["BlobCache", "CacheInfo", "CachedBlobStore", "PruneReport", "default_cache_dir", "with_cache"]

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS blobs ("
    " digest TEXT PRIMARY KEY, size INTEGER NOT NULL, used REAL NOT NULL)"
)


def default_cache_dir() -> Path:
    """``ARCHIVIST_CACHE_DIR``, else ``$XDG_CACHE_HOME/archivist/blobs`` (``~/.cache/...``)."""
    chosen = config.CACHE_DIR.get()
    if chosen:
        return Path(chosen).expanduser().absolute()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base, "archivist", "blobs").absolute()


class _Report:
    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = asdict(self)  # type: ignore[call-overload]
        return out


@dataclass(frozen=True, slots=True)
class CacheInfo(_Report):
    """What the cache holds: ``blobs`` files of ``bytes`` in total, limit ``max_bytes``."""

    path: str
    blobs: int
    bytes: int
    max_bytes: int


@dataclass(frozen=True, slots=True)
class PruneReport(_Report):
    """What a prune removed and what is left."""

    evicted: int
    bytes_freed: int
    blobs: int
    bytes: int
    max_bytes: int


class BlobCache:
    """Blob files under a folder, with an LRU index; shared by every process that uses it.

    Args:
        path: the cache folder (created if missing).
        max_bytes: size limit; least recently used blobs are evicted beyond it.
    """

    def __init__(self, path: str | os.PathLike[str], *, max_bytes: int) -> None:
        if max_bytes < 0:
            raise InvalidArgument(
                f"cache size limit {max_bytes} is negative; give a number of bytes (0 turns "
                "the cache off)"
            )
        self.path = Path(path).absolute()
        self.max_bytes = max_bytes
        self._objects = self.path / "objects"
        self._tmp = self.path / "tmp"
        self._tmp.mkdir(parents=True, exist_ok=True)
        self._objects.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._conn().execute(_SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None or self._local.pid != os.getpid():
            conn = sqlite3.connect(
                self.path / "index.sqlite", timeout=60, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def file(self, digest: str) -> Path:
        algorithm, hexpart = split(digest)
        return self._objects / algorithm / hexpart[:2] / hexpart

    def lookup(self, digest: str) -> Path | None:
        """The cached file of ``digest`` (its use recorded), or None."""
        path = self.file(digest)
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            return None
        self._record(digest, size)
        return path

    def _record(self, digest: str, size: int) -> None:
        self._conn().execute(
            "INSERT INTO blobs (digest, size, used) VALUES (?, ?, ?) "
            "ON CONFLICT (digest) DO UPDATE SET used = excluded.used, size = excluded.size",
            (digest, size, time.time()),
        )

    def fill(self, digest: str, download: Callable[[str], None]) -> Path:
        """Download ``digest`` with ``download(tmp_path)`` (which verifies it) and install it."""
        tmp = self._tmp / f"{uuid.uuid4().hex}.part"
        final = self.file(digest)
        try:
            download(str(tmp))
            os.chmod(tmp, 0o444)
            size = os.stat(tmp).st_size  # not of ``final``: another process may evict it at once
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, final)  # another process may have installed the same bytes: fine
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        self._record(digest, size)
        return final

    def evict(self, digest: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.file(digest))
        self._conn().execute("DELETE FROM blobs WHERE digest = ?", (digest,))

    def info(self) -> CacheInfo:
        n, total = self._conn().execute("SELECT count(*), coalesce(sum(size), 0) FROM blobs").fetchone()
        return CacheInfo(str(self.path), int(n), int(total), self.max_bytes)

    def _iter_files(self) -> Iterator[tuple[str, Path]]:
        for algo_dir in self._objects.iterdir() if self._objects.exists() else ():
            for dirpath, _dirs, files in os.walk(algo_dir):
                for name in files:
                    yield f"{algo_dir.name}:{name}", Path(dirpath, name)

    def prune(self, max_bytes: int | None = None, *, rescan: bool = False) -> PruneReport:
        """Evict least recently used blobs until the cache holds at most ``max_bytes``.

        Args:
            max_bytes: the limit to prune to (default: the cache's own; 0 empties it).
            rescan: first reconcile the index with the files on disk (files a crashed
                process installed without indexing them, index rows whose file is gone)
                and remove stale downloads from ``tmp/``.
        """
        limit = self.max_bytes if max_bytes is None else max_bytes
        conn = self._conn()
        evicted = freed = 0
        conn.execute("BEGIN IMMEDIATE")  # one pruner at a time; readers go on
        try:
            if rescan:
                self._rescan(conn)
            total = int(conn.execute("SELECT coalesce(sum(size), 0) FROM blobs").fetchone()[0])
            if total > limit:
                rows = conn.execute("SELECT digest, size FROM blobs ORDER BY used").fetchall()
                for digest, size in rows:
                    if total <= limit:
                        break
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(self.file(digest))
                    conn.execute("DELETE FROM blobs WHERE digest = ?", (digest,))
                    total -= int(size)
                    evicted += 1
                    freed += int(size)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        info = self.info()
        return PruneReport(evicted, freed, info.blobs, info.bytes, limit)

    def _rescan(self, conn: sqlite3.Connection) -> None:
        on_disk = {d: p.stat().st_size for d, p in self._iter_files()}
        indexed = {str(d) for (d,) in conn.execute("SELECT digest FROM blobs")}
        now = time.time()
        for digest in indexed - on_disk.keys():
            conn.execute("DELETE FROM blobs WHERE digest = ?", (digest,))
        conn.executemany(
            "INSERT INTO blobs (digest, size, used) VALUES (?, ?, ?)",
            [(d, s, now) for d, s in on_disk.items() if d not in indexed],
        )
        for entry in os.scandir(self._tmp):
            with contextlib.suppress(FileNotFoundError):
                if now - entry.stat().st_mtime > 3600:
                    os.unlink(entry.path)


class CachedBlobStore(BlobStore):
    """A remote blob store (``origin``) whose reads go through a :class:`BlobCache`.

    Writes, listings, deletes and gc go to the origin (a delete also evicts the cached
    copy); ``open`` and ``copy_to`` read the cached file, downloading it first on a miss.
    ``archivist verify`` checks the origin itself, not the cache.
    """

    def __init__(self, origin: BlobStore, cache: BlobCache) -> None:
        self.origin = origin
        self.cache = cache
        self.uri = origin.uri
        self.algorithm = origin.algorithm

    # -- primitives --------------------------------------------------------------------
    def has(self, digest: str) -> bool:
        return self.origin.has(digest)

    def put(self, digest: str, data: BinaryIO) -> None:
        self.origin.put(digest, data)

    def open(self, digest: str) -> BinaryIO:
        found = self.cache.lookup(digest)
        filled = found is None
        if found is None:
            found = self.cache.fill(digest, lambda tmp: self.origin.copy_to(digest, tmp))
        try:
            raw: BinaryIO = open(found, "rb")  # noqa: SIM115 - handed to the reader
        except FileNotFoundError:  # evicted by another process just now
            return self.origin.open(digest)
        if filled:  # evict only now: a blob larger than the whole cache is still read once
            self.cache.prune()
        where = f"{self.cache.file(digest)} (cache of {self.origin.uri})"
        reader = VerifyingReader(raw, digest, where, on_corrupt=lambda: self.cache.evict(digest))
        return io.BufferedReader(reader, CHUNK)  # type: ignore[return-value]

    def delete(self, digest: str) -> None:
        self.origin.delete(digest)
        self.cache.evict(digest)

    def iter_digests(self) -> Iterator[str]:
        return self.origin.iter_digests()

    # -- derived: the origin's own ------------------------------------------------------
    def touch(self, digest: str) -> bool:
        return self.origin.touch(digest)

    def reuse(self, digest: str) -> bool:
        return self.origin.reuse(digest)

    def quarantine(self, digest: str) -> str | None:
        self.cache.evict(digest)
        return self.origin.quarantine(digest)

    def quarantined(self, digest: str) -> list[str]:
        return self.origin.quarantined(digest)

    def age_seconds(self, digest: str) -> float:
        return self.origin.age_seconds(digest)

    def delete_if_older(self, digest: str, seconds: float) -> bool:
        gone = self.origin.delete_if_older(digest, seconds)
        if gone:
            self.cache.evict(digest)
        return gone

    def stored_size(self, digest: str) -> int:
        return self.origin.stored_size(digest)

    def clean_tmp(self, older_than: float) -> int:
        return self.origin.clean_tmp(older_than)

    def collect_chunks(self, grace_seconds: float, dry_run: bool = False, dropped: Iterable[str] = ()) -> Any:
        """The origin's chunk-level gc (a chunked origin's packs); None when it has none."""
        collect = getattr(self.origin, "collect_chunks", None)
        return None if collect is None else collect(grace_seconds, dry_run, dropped)

    def has_many(self, digests: Iterable[str]) -> set[str]:
        return self.origin.has_many(digests)

    def put_bytes(self, data: bytes) -> tuple[str, int]:
        return self.origin.put_bytes(data)

    def put_file(self, path: str | os.PathLike[str]) -> tuple[str, int]:
        return self.origin.put_file(path)

    def put_files(
        self, paths: list[str], progress: Callable[[int], object] | None = None
    ) -> list[tuple[str, int]]:
        return self.origin.put_files(paths, progress)


def with_cache(store: Any) -> Any:
    """``store`` fronted by the local cache when it is remote and the cache is on."""
    if not getattr(store, "remote", False):
        return store
    limit = config.CACHE_MAX_BYTES.get()
    if limit <= 0:
        return store
    return CachedBlobStore(store, BlobCache(default_cache_dir(), max_bytes=limit))
