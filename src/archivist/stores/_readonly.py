"""Stores on read-only file systems: detect them, and open their SQLite files for reading.

A store on read-only media (a mounted snapshot, a read-only volume in a container, a
folder one may not write to) can still be searched, read, downloaded from and verified;
writes are refused up front with :class:`~archivist.errors.ReadOnlyStore`.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

from archivist.errors import ReadOnlyStore

__all__ = ["folder_read_only", "read_only_error", "sqlite_read_uri"]


def folder_read_only(folder: str | os.PathLike[str]) -> bool:
    """Whether nothing can be created in ``folder`` (a read-only mount, or no permission)."""
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return True
    except OSError:
        return False
    return not os.access(folder, os.W_OK)


def sqlite_read_uri(path: str | os.PathLike[str]) -> str:
    """A ``file:`` URI that opens an existing SQLite database without writing anything.

    Committed transactions still in a write-ahead log are read through it (``mode=ro``,
    which needs the log's index file to exist); without a log the file is opened as
    ``immutable``, which needs no lock or index file at all.
    """
    p = Path(path).absolute()
    wal = Path(f"{p}-wal")
    shm = Path(f"{p}-shm")
    has_log = wal.exists() and wal.stat().st_size > 0 and shm.exists()
    return f"file:{quote(str(p))}?{'mode=ro' if has_log else 'immutable=1'}"


def read_only_error(where: str, action: str = "written to") -> ReadOnlyStore:
    return ReadOnlyStore(
        f"the store at {where} is on a read-only file system (or a folder you may not write "
        f"to): it can be searched, read, downloaded from and verified, but not {action}; "
        "log to a writable store, or remount this one read-write"
    )
