"""Small blobs packed into one SQLite file inside a local blob store.

A file per blob costs a handful of syscalls and, with fan-out folders, often a new
directory; for thousands of 1 KiB files that dominates. Blobs up to ``MAX_SIZE`` bytes
therefore live as rows of ``<root>/pack.sqlite`` instead: one transaction (one fsync)
stores a whole batch atomically, an upsert both adds new blobs and rewrites existing ones
(fresh ``mtime``, and the good bytes over a damaged row), and gc's "delete if older" is a single conditional DELETE,
so it cannot race a writer that is reusing the blob.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from archivist.stores.blobs._sqlite import ThreadConnections

__all__ = ["MAX_SIZE", "Pack"]

MAX_SIZE = 64 << 10
RAW, ZSTD = 0, 1

# A rowid table: rows carry up to 64 KiB, which WITHOUT ROWID B-trees handle badly.
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS blobs ("
    " digest TEXT NOT NULL UNIQUE,"
    " data BLOB NOT NULL,"
    " codec INTEGER NOT NULL,"
    " size INTEGER NOT NULL,"
    " mtime REAL NOT NULL"
    ")"
)
_UPSERT = (
    "INSERT INTO blobs (digest, data, codec, size, mtime) VALUES (?, ?, ?, ?, ?) "
    # rewriting the row costs what touching it does (SQLite writes whole records) and
    # repairs a damaged one
    "ON CONFLICT (digest) DO UPDATE SET data = excluded.data, codec = excluded.codec, "
    "size = excluded.size, mtime = excluded.mtime"
)


class Pack:
    """Rows ``digest -> (codec, bytes)``; one connection per thread."""

    def __init__(self, path: Path, *, fsync: bool) -> None:
        self.path = path
        self._conn = ThreadConnections(path, synchronous="FULL" if fsync else "OFF")
        self._conn().execute(_SCHEMA)

    def put_many(self, rows: Iterable[tuple[str, bytes, int, int]]) -> None:
        """Store ``(digest, data, codec, size)`` rows, replacing existing ones."""
        now = time.time()
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(_UPSERT, [(d, data, codec, size, now) for d, data, codec, size in rows])
            conn.execute("COMMIT")
        except BaseException:
            # SQLite may have rolled back already (e.g. on a full disk): rolling back again
            # would raise "no transaction is active" and hide the real error
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def get(self, digest: str) -> tuple[bytes, int] | None:
        row = self._conn().execute(
            "SELECT data, codec FROM blobs WHERE digest = ?", (digest,)
        ).fetchone()
        return None if row is None else (bytes(row[0]), int(row[1]))

    def has(self, digest: str) -> bool:
        return (
            self._conn().execute("SELECT 1 FROM blobs WHERE digest = ?", (digest,)).fetchone()
            is not None
        )

    def has_many(self, digests: list[str]) -> set[str]:
        found: set[str] = set()
        conn = self._conn()
        for start in range(0, len(digests), 500):
            chunk = digests[start : start + 500]
            marks = ",".join("?" * len(chunk))
            found.update(r[0] for r in conn.execute(f"SELECT digest FROM blobs WHERE digest IN ({marks})", chunk))
        return found

    def touch(self, digest: str) -> bool:
        cur = self._conn().execute(
            "UPDATE blobs SET mtime = ? WHERE digest = ?", (time.time(), digest)
        )
        return cur.rowcount > 0

    def age_seconds(self, digest: str) -> float | None:
        row = self._conn().execute("SELECT mtime FROM blobs WHERE digest = ?", (digest,)).fetchone()
        return None if row is None else max(0.0, time.time() - float(row[0]))

    def stored_size(self, digest: str) -> int | None:
        row = self._conn().execute(
            "SELECT length(data) FROM blobs WHERE digest = ?", (digest,)
        ).fetchone()
        return None if row is None else int(row[0])

    def delete(self, digest: str) -> bool:
        return self._conn().execute("DELETE FROM blobs WHERE digest = ?", (digest,)).rowcount > 0

    def delete_if_older(self, digest: str, seconds: float) -> bool:
        cur = self._conn().execute(
            "DELETE FROM blobs WHERE digest = ? AND mtime <= ?", (digest, time.time() - seconds)
        )
        return cur.rowcount > 0

    def digests(self) -> Iterator[str]:
        rows = self._conn().execute("SELECT digest FROM blobs").fetchall()
        for (digest,) in rows:
            yield str(digest)
