"""A full disk, wherever it shows, becomes one clear error naming the artifact.

It shows as ``OSError`` ENOSPC/EDQUOT from blob files, SQLite's "database or disk is
full" from the small-blob pack or the tracking database (raw or wrapped by SQLAlchemy),
and PostgreSQL's ``disk_full`` (SQLSTATE 53100). Each write rolls back on its own (temp
files removed, transactions rolled back), so nothing partial is left and logging works
again once space is freed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from archivist.errors import StorageFull
from archivist.stores.artifacts.naming import describe_owner
from archivist.stores.db.diskfull import disk_full

__all__ = ["disk_full", "storing"]

@contextlib.contextmanager
def storing(owner_id: str, what: str, where: str) -> Iterator[None]:
    """Turn a full disk met while logging ``what`` into :class:`StorageFull`.

    ``where`` names the blob store and database, so the message says which disk to free.
    """
    try:
        yield
    except Exception as e:
        if isinstance(e, StorageFull) and e.artifact is not None:
            raise
        if not (isinstance(e, StorageFull) or disk_full(e)):
            raise
        detail = str(getattr(e, "orig", None) or e).strip()
        err = StorageFull(
            f"cannot log {what} to {describe_owner(owner_id)}: the disk is full ({detail}); "
            f"nothing was logged. Free space where {where} live, then log it again"
        )
        err.artifact = what
        raise err from None
