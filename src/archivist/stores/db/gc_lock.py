"""The lock that keeps gc's sweep and artifact-tree commits apart.

A tree commit holds it shared, from before it checks that its blobs exist until its rows
are committed; gc holds it exclusively while it re-reads which candidate blobs are
referenced and deletes the rest. So a blob gc deletes was unreferenced at a moment no
commit was under way, and a commit that comes after finds it missing and stores it again
before its rows can point at it. Nothing depends on clocks or grace periods.

SQLite: every write transaction already holds the database's one write lock (``BEGIN
IMMEDIATE``), so there is nothing more to take. PostgreSQL: a transaction-level advisory
lock, shared for commits (they do not wait for each other) and exclusive for gc.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Connection

__all__ = ["hold_for_commit", "hold_for_sweep"]

_PG_GC_LOCK = 0x4152_4743  # "ARGC"


def hold_for_commit(conn: Connection, dialect: str) -> None:
    """Inside a write transaction that adds tree rows: keep gc's sweep out until commit."""
    if dialect == "postgresql":
        from sqlalchemy import text

        conn.execute(text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": _PG_GC_LOCK})


def hold_for_sweep(conn: Connection, dialect: str) -> None:
    """Inside gc's write transaction: wait for commits under way, keep new ones out."""
    if dialect == "postgresql":
        from sqlalchemy import text

        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_GC_LOCK})
