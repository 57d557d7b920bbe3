"""Store-level helpers for importing from other trackers: experiments that keep their ids."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Table, select, text

from archivist.stores.db.schema import ExperimentRow

if TYPE_CHECKING:
    from archivist.stores.tracking.sql import SqlTrackingStore

__all__ = ["create_experiment_with_id"]

_INT32_MAX = 2**31 - 1


def create_experiment_with_id(
    store: SqlTrackingStore, experiment_id: str, name: str, tags: dict[str, str], creation_time: int
) -> bool:
    """Create experiment ``name`` with the id ``experiment_id`` if that id is free.

    Returns False (creating nothing) when the id is taken, is not an integer, or does not
    fit the column (PostgreSQL's 32-bit integer); the caller then creates it with a new id.
    """
    if not experiment_id.isdigit() or (store.dialect == "postgresql" and int(experiment_id) > _INT32_MAX):
        return False
    table: Table = ExperimentRow.__table__  # type: ignore[assignment]
    eid = int(experiment_id)
    with store.db.write() as conn:
        if conn.execute(select(table.c.experiment_id).where(table.c.experiment_id == eid)).first():
            return False
        conn.execute(table.insert().values(
            experiment_id=eid, name=name, artifact_location=f"mlflow-artifacts:/{eid}",
            lifecycle_stage="active", creation_time=creation_time, last_update_time=creation_time,
        ))
        if tags:
            conn.execute(
                text("INSERT INTO experiment_tags (experiment_id, key, value) VALUES (:e, :k, :v)"),
                [{"e": eid, "k": k, "v": v} for k, v in tags.items()],
            )
        if store.dialect == "postgresql":
            conn.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('experiments', 'experiment_id'), "
                "GREATEST((SELECT MAX(experiment_id) FROM experiments), 1))"
            )
    return True
