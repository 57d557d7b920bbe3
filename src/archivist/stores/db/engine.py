"""One SQLAlchemy engine per database URI, with the schema brought up to date on open."""

from __future__ import annotations

import functools
import os
import sqlite3
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DataError, DBAPIError

from archivist.errors import InvalidArgument, ReadOnlyStore, StorageFull, missing
from archivist.stores._readonly import folder_read_only, read_only_error, sqlite_read_uri
from archivist.stores.db.diskfull import disk_full
from archivist.stores.db.schema import SCHEMA_REVISION, metadata
from archivist.stores.db.turns import WriterTurns

__all__ = ["MEMORY_URI", "Database", "normalize_db_uri"]

#: An SQLite database in memory: one connection, shared by the threads of this process.
MEMORY_URI = "sqlite:///:memory:"

_SQLITE_BUSY_MS = 120_000
_PG_SCHEMA_LOCK = 0x4152_4348  # "ARCH": serializes schema creation across processes


_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


def _forget_connections_in_child() -> None:
    """After fork, the child opens connections of its own.

    Pooled connections are shared with the parent; using them from both processes
    corrupts the wire protocol (PostgreSQL) or the locking (SQLite), and closing them in
    the child would close them for the parent too.
    """
    for engine in list(_ENGINES):
        engine.dispose(close=False)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_connections_in_child)


def normalize_db_uri(uri: str) -> str:
    """Map user-facing database URIs to SQLAlchemy ones (``postgresql://`` -> psycopg 3)."""
    for prefix in ("postgresql://", "postgres://"):
        if uri.startswith(prefix):
            return "postgresql+psycopg://" + uri[len(prefix) :]
    if uri in ("sqlite://", MEMORY_URI):
        return MEMORY_URI
    if uri.startswith(("sqlite:///", "postgresql+")):
        return uri
    raise InvalidArgument(
        f"database URI {uri!r} is not supported; use sqlite:///path/to/file.db or "
        "postgresql://user@host:port/db"
    )


class Database:
    """An engine plus the two kinds of transaction the stores use.

    ``write()`` takes SQLite's write lock up front (``BEGIN IMMEDIATE``) so that writers
    queue on the busy timeout instead of failing with "database is locked" when a read
    transaction tries to upgrade; ``read()`` is a plain deferred transaction.
    """

    def __init__(self, uri: str) -> None:
        self.uri = normalize_db_uri(uri)
        url = make_url(self.uri)
        self.dialect = url.get_backend_name()
        kwargs: dict[str, Any] = {}
        #: True for a SQLite store on a read-only file system: reads work, writes raise
        #: ReadOnlyStore (and no schema upgrade or WAL file is attempted).
        self.read_only = False
        self._writers: WriterTurns | None = None  # SQLite files: writers queue fairly
        # In memory, every connection would be a new empty database: keep one, and take
        # turns on it (SQLite has no locking between users of one connection).
        self._turns: threading.RLock | None = None
        if self.uri == MEMORY_URI:
            from sqlalchemy.pool import StaticPool

            self._turns = threading.RLock()
            kwargs["poolclass"] = StaticPool
            kwargs["connect_args"] = {"check_same_thread": False}
        elif self.dialect == "sqlite":
            db_path = url.database or ""
            self.read_only = _sqlite_read_only(db_path)
            parent = Path(db_path).parent
            if not Path(db_path).exists() and parent.is_dir() and folder_read_only(parent):
                raise ReadOnlyStore(
                    f"no store exists at {db_path} and its folder is read-only, so none can be "
                    "created there; give the path of an existing store or of a writable folder"
                )
            if not self.read_only:
                Path(db_path).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {
                "timeout": _SQLITE_BUSY_MS / 1000,
                "check_same_thread": False,
            }
            if not self.read_only:
                self._writers = WriterTurns(db_path, _SQLITE_BUSY_MS / 1000)
            else:
                kwargs["creator"] = functools.partial(
                    sqlite3.connect, sqlite_read_uri(db_path), uri=True, **kwargs["connect_args"]
                )
        elif self.dialect == "postgresql":
            try:
                import psycopg  # noqa: F401
            except ImportError:
                raise missing("psycopg", "postgres", "a postgresql:// tracking URI") from None
            kwargs["pool_pre_ping"] = True
        self.engine: Engine = create_engine(self.uri, **kwargs)
        _ENGINES.add(self.engine)
        if self.dialect == "sqlite":
            self._install_sqlite_hooks(self.engine, read_only=self.read_only)
        self._ensure_schema()

    @staticmethod
    def _install_sqlite_hooks(engine: Engine, *, read_only: bool = False) -> None:
        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy's "begin" event below emit BEGIN itself.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            if not read_only:  # both would write to the database or create its log
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA cache_size=-65536")  # 64 MiB: index updates stay in memory
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_MS}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            if conn.get_execution_options().get("archivist_write"):
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                conn.exec_driver_sql("BEGIN")

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that will write; committed on success, rolled back on error."""
        if self.read_only:
            raise read_only_error(self._where())
        with self._turn(), self._write_turn():
            conn = self.engine.connect().execution_options(archivist_write=True)
            try:
                with conn, conn.begin():
                    yield conn
            except DataError as e:
                # Values are validated before writing (validation.py, paths.py), the same way
                # on every backend; this is the net for one that slipped through.
                raise InvalidArgument(
                    f"the database refused a value: {str(e.orig).strip().splitlines()[0]}; "
                    "nothing was written: shorten the value or remove NUL characters"
                ) from None
            except DBAPIError as e:
                if not disk_full(e):
                    raise
                raise StorageFull(
                    f"the database {self._where()} cannot grow: the disk is full "
                    f"({str(getattr(e, 'orig', None) or e).strip()}); nothing was written. "
                    "Free space on that disk, then try again"
                ) from None

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self._turn(), self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def _write_turn(self) -> Iterator[None]:
        if self._writers is None:
            yield
        else:
            with self._writers.turn():
                yield

    @contextmanager
    def _turn(self) -> Iterator[None]:
        if self._turns is None:
            yield
        else:
            with self._turns:
                yield

    def _where(self) -> str:
        return str(Path(make_url(self.uri).database or "").parent)

    def _ensure_schema(self) -> None:
        if self.read_only:
            with self.read() as conn:
                current = _current_revision(conn, self.dialect)
            if current != SCHEMA_REVISION:
                raise read_only_error(
                    self._where(),
                    f"upgraded from schema {current} to {SCHEMA_REVISION} (open it once where it "
                    "is writable to upgrade it), nor written to",
                )
            return
        with self.write() as conn:
            if self.dialect == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_SCHEMA_LOCK})
            current = _current_revision(conn, self.dialect)
            if current == SCHEMA_REVISION:
                return
            if current is None and not _has_tables(conn, self.dialect):
                metadata.create_all(conn)
                conn.execute(
                    text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
                         "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))")
                )
                conn.execute(
                    text("INSERT INTO alembic_version (version_num) VALUES (:v)"),
                    {"v": SCHEMA_REVISION},
                )
                return
            upgrade(conn)

    def dispose(self) -> None:
        self.engine.dispose()
        if self._writers is not None:
            self._writers.close()


def _sqlite_read_only(db_path: str) -> bool:
    """A store that exists but cannot be written: its folder is read-only (a read-only
    mount), or its database file is."""
    path = Path(db_path)
    if not path.exists():
        return False  # created below, or a clear error from SQLite if it cannot be
    return folder_read_only(path.parent) or not os.access(path, os.W_OK)


def _current_revision(conn: Connection, dialect: str) -> str | None:
    if dialect == "sqlite":
        exists = conn.execute(
            text("SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'")
        ).first()
    else:
        exists = conn.execute(text("SELECT to_regclass('alembic_version')")).scalar()
    if not exists:
        return None
    row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
    return None if row is None else str(row[0])


def _has_tables(conn: Connection, dialect: str) -> bool:
    if dialect == "sqlite":
        return conn.execute(
            text("SELECT 1 FROM sqlite_master WHERE type='table' AND name='experiments'")
        ).first() is not None
    return conn.execute(text("SELECT to_regclass('experiments')")).scalar() is not None


_UPGRADE_LOCK = threading.Lock()


def alembic_config(conn: Connection | None = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    if conn is not None:
        cfg.attributes["connection"] = conn
    return cfg


def upgrade(conn: Connection, revision: str = "head") -> None:
    """Apply Alembic migrations up to ``revision`` on an open connection."""
    from alembic import command

    with _UPGRADE_LOCK:
        command.upgrade(alembic_config(conn), revision)
