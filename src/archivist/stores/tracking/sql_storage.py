"""Which artifact files each experiment holds, for ``archivist storage``.

A function over the SQL schema rather than a method of the tracking store: it is one
read-only query, used by one report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Table, literal, select, union_all

from archivist.stores.db.schema import ArtifactEntryRow, ExperimentRow, LoggedModelRow, RunRow

if TYPE_CHECKING:
    from archivist.stores.db.engine import Database

__all__ = ["experiment_entries"]

ENTRIES: Table = ArtifactEntryRow.__table__  # type: ignore[assignment]
EXPERIMENTS: Table = ExperimentRow.__table__  # type: ignore[assignment]
RUNS: Table = RunRow.__table__  # type: ignore[assignment]
MODELS: Table = LoggedModelRow.__table__  # type: ignore[assignment]


def experiment_entries(db: Database) -> list[tuple[str, str, str, int]]:
    """``(experiment_id, experiment_name, digest, size)`` of every artifact file of every
    run and logged model (deleted ones included: their bytes are stored until gc)."""
    by_run = (
        select(EXPERIMENTS.c.experiment_id, EXPERIMENTS.c.name, ENTRIES.c.digest, ENTRIES.c.size,
               literal("run").label("kind"))
        .select_from(ENTRIES.join(RUNS, RUNS.c.run_id == ENTRIES.c.owner_id)
                     .join(EXPERIMENTS, EXPERIMENTS.c.experiment_id == RUNS.c.experiment_id))
    )
    by_model = (
        select(EXPERIMENTS.c.experiment_id, EXPERIMENTS.c.name, ENTRIES.c.digest, ENTRIES.c.size,
               literal("model").label("kind"))
        .select_from(ENTRIES.join(MODELS, MODELS.c.model_id == ENTRIES.c.owner_id)
                     .join(EXPERIMENTS, EXPERIMENTS.c.experiment_id == MODELS.c.experiment_id))
    )
    with db.read() as conn:
        rows = conn.execute(union_all(by_run, by_model)).all()
    return [(str(r[0]), str(r[1]), str(r[2]), int(r[3])) for r in rows]
