"""Migration 0003 (metrics linked to logged models) from 0002 with a logged model present."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text

from archivist.entities import Metric
from archivist.stores.db.engine import upgrade


def test_upgrade_keeps_logged_models_and_links_metrics(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(uri)
    with engine.begin() as conn:
        upgrade(conn, "0002_datasets_lineage")
        conn.execute(text(
            "INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, "
            "creation_time, last_update_time) VALUES (3, 'e', 'x', 'active', 1, 1)"
        ))
        conn.execute(text(
            "INSERT INTO logged_models (model_id, experiment_id, name, status, lifecycle_stage, "
            "artifact_location, creation_time, last_updated_time) VALUES "
            "('m-" + "a" * 32 + "', 3, 'old', 'READY', 'active', 'x', 1, 1)"
        ))
    engine.dispose()
    from archivist.stores.tracking.logged_models import LoggedModelSql
    from archivist.stores.tracking.sql import SqlTrackingStore

    store = SqlTrackingStore(uri)  # upgrades to head on open
    try:
        model_id = "m-" + "a" * 32
        assert store.get_logged_model(model_id).metrics == []
        LoggedModelSql(store.db).log_metrics([Metric("acc", 0.5, 10, 2, model_id=model_id)])
        (point,) = store.get_logged_model(model_id).metrics
        assert (point.key, point.value, point.step, point.model_id) == ("acc", 0.5, 2, model_id)
    finally:
        store.db.dispose()
