"""Alembic environment: runs migrations on the connection Archivist hands it."""

from __future__ import annotations

from alembic import context

from archivist.stores.db.schema import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("archivist migrations run through archivist.stores.db.engine.upgrade()")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
context.run_migrations()
