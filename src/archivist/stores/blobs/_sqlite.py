"""One SQLite connection per thread (and per process) for the blob store's side files."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

__all__ = ["ThreadConnections"]


class ThreadConnections:
    """Calling it returns this thread's connection to ``path`` (WAL, autocommit)."""

    def __init__(self, path: Path, *, synchronous: str) -> None:
        self.path = path
        self._synchronous = synchronous
        self._local = threading.local()

    def __call__(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        pid = os.getpid()
        if conn is None or self._local.pid != pid:
            # A forked child never uses (nor closes) the connection it inherited.
            conn = sqlite3.connect(self.path, timeout=120, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={self._synchronous}")
            self._local.conn = conn
            self._local.pid = pid
        return conn
