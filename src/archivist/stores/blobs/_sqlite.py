"""One SQLite connection per thread (and per process) for the blob store's side files."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

from archivist.stores._readonly import folder_read_only, sqlite_read_uri

__all__ = ["ThreadConnections"]


class ThreadConnections:
    """Calling it returns this thread's connection to ``path`` (WAL, autocommit)."""

    def __init__(self, path: Path, *, synchronous: str, cache: bool = False) -> None:
        self.path = path
        self._synchronous = synchronous
        self._local = threading.local()
        # On a read-only file system: read the file without writing anything; a cache (or
        # a file that is not there) is kept in memory for this process instead.
        self.read_only = folder_read_only(path.parent)
        self._memory = self.read_only and (cache or not path.exists())

    def __call__(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        pid = os.getpid()
        if conn is None or self._local.pid != pid:
            # A forked child never uses (nor closes) the connection it inherited.
            if self.read_only:
                where = ":memory:" if self._memory else sqlite_read_uri(self.path)
                conn = sqlite3.connect(where, uri=True, isolation_level=None, check_same_thread=False)
            else:
                conn = sqlite3.connect(self.path, timeout=120, isolation_level=None, check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute(f"PRAGMA synchronous={self._synchronous}")
            self._local.conn = conn
            self._local.pid = pid
        return conn
