"""Where each chunk is: a SQLite index ``chunk id -> (pack, offset, lengths, codec)``.

The index is a cache: the truth is the table inside every pack (``chunkformat.py``). It
lives beside a local store (``<root>/chunks.sqlite``) and in the local cache folder for
a remote one. A pack the index does not know (written by another machine) is added by
:meth:`ChunkIndex.add_pack` when a reader or writer refreshes; a pack that is gone is
dropped. Several processes share one index file (WAL, one writer at a time).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

from archivist.stores.blobs.chunkformat import PackEntry

__all__ = ["ChunkIndex"]

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS packs (name TEXT PRIMARY KEY, size INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS chunks ("
    " chunk BLOB NOT NULL, pack TEXT NOT NULL, offset INTEGER NOT NULL,"
    " stored INTEGER NOT NULL, length INTEGER NOT NULL, codec INTEGER NOT NULL,"
    " PRIMARY KEY (chunk, pack)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS chunks_by_pack ON chunks (pack)",
)
_BATCH = 500
Location = tuple[str, PackEntry]


class ChunkIndex:
    """Rows of the packs' tables, for lookups by chunk id."""

    def __init__(self, path: str | os.PathLike[str] | None) -> None:
        self.path = ":memory:" if path is None else str(path)
        if path is not None and os.access(Path(path).parent, os.W_OK):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn_pid: tuple[sqlite3.Connection, int] | None = None
        try:
            self._create()
        except sqlite3.OperationalError:  # a read-only store: keep the index in memory
            self.path, self._conn_pid = ":memory:", None
            self._create()

    def _create(self) -> None:
        with self._lock:
            conn = self._conn()
            for stmt in _SCHEMA:
                conn.execute(stmt)

    def _conn(self) -> sqlite3.Connection:
        pid = os.getpid()
        if self._conn_pid is None or self._conn_pid[1] != pid:
            # a forked child opens its own connection and never touches the inherited one
            conn = sqlite3.connect(
                self.path, timeout=120, isolation_level=None, check_same_thread=False
            )
            if self.path != ":memory:":
                conn.execute("PRAGMA journal_mode=WAL")
            # a lost row is found again in the packs themselves: no fsync needed
            conn.execute("PRAGMA synchronous=OFF")
            self._conn_pid = (conn, pid)
        return self._conn_pid[0]

    def lookup(self, chunks: Iterable[bytes]) -> dict[bytes, Location]:
        """A location for each of ``chunks`` that some known pack holds."""
        wanted = list(dict.fromkeys(chunks))
        out: dict[bytes, Location] = {}
        with self._lock:
            conn = self._conn()
            for start in range(0, len(wanted), _BATCH):
                part = wanted[start : start + _BATCH]
                marks = ",".join("?" * len(part))
                rows = conn.execute(
                    "SELECT chunk, pack, offset, stored, length, codec FROM chunks "
                    f"WHERE chunk IN ({marks})",
                    part,
                ).fetchall()
                for chunk, pack, offset, stored, length, codec in rows:
                    out[bytes(chunk)] = (pack, PackEntry(bytes(chunk), offset, stored, length, codec))
        return out

    def add_pack(self, name: str, size: int, entries: Iterable[PackEntry]) -> None:
        rows = [(e.chunk, name, e.offset, e.stored, e.length, e.codec) for e in entries]
        with self._lock:
            conn = self._conn()
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute("INSERT OR REPLACE INTO packs (name, size) VALUES (?, ?)", (name, size))
                conn.executemany("INSERT OR REPLACE INTO chunks VALUES (?, ?, ?, ?, ?, ?)", rows)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def drop_pack(self, name: str) -> None:
        with self._lock:
            conn = self._conn()
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute("DELETE FROM chunks WHERE pack = ?", (name,))
                conn.execute("DELETE FROM packs WHERE name = ?", (name,))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def packs(self) -> dict[str, int]:
        """Every pack the index knows, with its stored size."""
        with self._lock:
            rows = self._conn().execute("SELECT name, size FROM packs").fetchall()
        return {str(n): int(s) for n, s in rows}

    def entries(self, pack: str) -> list[PackEntry]:
        with self._lock:
            rows = self._conn().execute(
                "SELECT chunk, offset, stored, length, codec FROM chunks WHERE pack = ? "
                "ORDER BY offset",
                (pack,),
            ).fetchall()
        return [PackEntry(bytes(c), o, s, n, k) for c, o, s, n, k in rows]
