"""Alembic migrations produce exactly the SQLAlchemy metadata, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from archivist.stores.db.engine import Database, normalize_db_uri, upgrade
from archivist.stores.db.schema import SCHEMA_REVISION, metadata


def _diff(conn: object) -> list[object]:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    ctx = MigrationContext.configure(conn, opts={"compare_type": True})  # type: ignore[arg-type]
    return list(compare_metadata(ctx, metadata))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migrations_equal_metadata(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if backend == "sqlite":
        uri = f"sqlite:///{tmp_path / 'm.db'}"
    else:
        uri = request.getfixturevalue("pg_schema_uri")
    engine = create_engine(normalize_db_uri(uri))
    try:
        with engine.begin() as conn:
            upgrade(conn)
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == SCHEMA_REVISION
            assert _diff(conn) == []
    finally:
        engine.dispose()


def test_fresh_store_is_stamped_at_head(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        with db.read() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == SCHEMA_REVISION
            assert _diff(conn) == []
    finally:
        db.dispose()


def test_migrated_store_opens_without_recreating(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(uri)
    with engine.begin() as conn:
        upgrade(conn)
        conn.execute(text("INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, "
                          "creation_time, last_update_time) VALUES (7, 'kept', 'x', 'active', 1, 1)"))
    engine.dispose()
    from archivist.stores.tracking.sql import SqlTrackingStore

    store = SqlTrackingStore(uri)
    try:
        assert store.get_experiment("7").name == "kept"
    finally:
        store.db.dispose()
