"""Whether an error from a file or a database driver says the disk is full.

It shows as ``OSError`` ENOSPC/EDQUOT from files, SQLite's "database or disk is full"
(raw or wrapped by SQLAlchemy) and PostgreSQL's ``disk_full`` (SQLSTATE 53100).
"""

from __future__ import annotations

import errno

__all__ = ["disk_full"]

_FULL_ERRNOS = (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))


def disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` (or the driver error it wraps) says the disk is full."""
    orig = getattr(exc, "orig", None) or exc
    if isinstance(orig, OSError) and orig.errno in _FULL_ERRNOS:
        return True
    if getattr(orig, "sqlstate", None) == "53100":  # psycopg: disk_full
        return True
    return type(orig).__module__ == "sqlite3" and "database or disk is full" in str(orig)
