"""Datasets, run inputs and lineage edges on the SQL tracking store.

A mixin of :class:`~archivist.stores.tracking.sql.SqlTrackingStore`, kept apart so that
module stays about experiments and runs. A dataset is stored once per ``(name, digest)``
whoever logs it; ``dataset_inputs`` says which runs used it and in which context.
"""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, select, text

from archivist.entities import Dataset, DatasetInput, InputTag, LoggedModelInput, RunInputs
from archivist.entities.dataset import CONTEXT_TAG
from archivist.errors import InvalidArgument, ResourceNotFound
from archivist.stores.db.schema import (
    DatasetInputRow,
    DatasetInputTagRow,
    DatasetRow,
    LineageEdgeRow,
    RunRow,
)
from archivist.validation import check_key, check_tag_value

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from archivist.stores.db.engine import Database

__all__ = ["DatasetStoreMixin", "check_dataset"]

DATASETS: Table = DatasetRow.__table__  # type: ignore[assignment]
INPUTS: Table = DatasetInputRow.__table__  # type: ignore[assignment]
INPUT_TAGS: Table = DatasetInputTagRow.__table__  # type: ignore[assignment]
EDGES: Table = LineageEdgeRow.__table__  # type: ignore[assignment]
RUNS: Table = RunRow.__table__  # type: ignore[assignment]

_LIMITS = {"name": 500, "digest": 80, "source_type": 36}


def check_dataset(ds: Dataset) -> Dataset:
    """``ds`` if its fields fit the store, else an error naming the field."""
    for fieldname, limit in _LIMITS.items():
        value = getattr(ds, fieldname)
        if not isinstance(value, str) or not value.strip():
            raise InvalidArgument(
                f"dataset {fieldname} {value!r} is empty or not a string; give a non-empty string"
            )
        if len(value) > limit:
            raise InvalidArgument(
                f"dataset {fieldname} {value[:40]!r}... is {len(value)} characters; the limit "
                f"is {limit}"
            )
    if not isinstance(ds.source, str):
        raise InvalidArgument(f"dataset source must be a JSON string, got {type(ds.source).__name__}")
    return ds


def _dataset(r: Any) -> Dataset:
    return Dataset(
        name=r.name, digest=r.digest, source_type=r.source_type, source=r.source,
        schema=r.schema, profile=r.profile, dataset_id=r.dataset_id,
    )


class DatasetStoreMixin:
    """``log_inputs``, ``search_datasets``, ``get_dataset`` and lineage edges."""

    db: Database
    uri: str
    dialect: str

    if TYPE_CHECKING:

        def _check_run_active(self, conn: Connection, run_id: str) -> None: ...

    # ------------------------------------------------------------------ datasets
    def _dataset_id(self, conn: Connection, ds: Dataset) -> str:
        """The id of ``ds`` (by name and digest), storing it first if it is new."""
        found = conn.execute(
            select(DATASETS.c.dataset_id).where(
                DATASETS.c.name == ds.name, DATASETS.c.digest == ds.digest
            )
        ).scalar()
        if found is not None:
            return str(found)
        new_id = uuid.uuid4().hex
        conn.execute(
            text(
                "INSERT INTO datasets (dataset_id, name, digest, source_type, source, schema, "
                "profile, creation_time) VALUES (:i, :n, :d, :t, :s, :sc, :p, :c) "
                "ON CONFLICT (name, digest) DO NOTHING"
            ),
            {"i": new_id, "n": ds.name, "d": ds.digest, "t": ds.source_type, "s": ds.source,
             "sc": ds.schema, "p": ds.profile, "c": int(time.time() * 1000)},
        )
        return str(
            conn.execute(
                select(DATASETS.c.dataset_id).where(
                    DATASETS.c.name == ds.name, DATASETS.c.digest == ds.digest
                )
            ).scalar_one()
        )

    def log_inputs(
        self,
        run_id: str,
        datasets: Sequence[DatasetInput] | None = None,
        models: Sequence[LoggedModelInput] | None = None,
    ) -> None:
        """Record that run ``run_id`` used these datasets (and logged models).

        Logging the same dataset again updates its tags; the dataset itself is stored
        once per (name, digest). Everything is written in one transaction.
        """
        checked = []
        for di in datasets or ():
            if not isinstance(di, DatasetInput):
                raise InvalidArgument(
                    f"log_inputs expects DatasetInput entries, got {type(di).__name__}"
                )
            tags = {check_key(t.key, "input tag"): check_tag_value(t.key, t.value) for t in di.tags}
            context = tags.get(CONTEXT_TAG)
            if context is not None and len(context) > 250:
                raise InvalidArgument(f"dataset context {context[:40]!r}... exceeds 250 characters")
            checked.append((check_dataset(di.dataset), tags, context))
        now = int(time.time() * 1000)
        with self.db.write() as conn:
            self._check_run_active(conn, run_id)
            for ds, tags, context in checked:
                did = self._dataset_id(conn, ds)
                conn.execute(
                    text(
                        "INSERT INTO dataset_inputs (run_id, dataset_id, context, creation_time) "
                        "VALUES (:r, :d, :c, :t) ON CONFLICT (run_id, dataset_id) "
                        "DO UPDATE SET context = excluded.context"
                    ),
                    {"r": run_id, "d": did, "c": context, "t": now},
                )
                if tags:
                    conn.execute(
                        text(
                            "INSERT INTO dataset_input_tags (run_id, dataset_id, key, value) "
                            "VALUES (:r, :d, :k, :v) ON CONFLICT (run_id, dataset_id, key) "
                            "DO UPDATE SET value = excluded.value"
                        ),
                        [{"r": run_id, "d": did, "k": k, "v": v} for k, v in tags.items()],
                    )
            for mi in models or ():
                self._add_edges(conn, f"runs:/{run_id}", [f"models:/{mi.model_id}"], run_id, now)

    def _run_inputs(self, conn: Connection, run_ids: list[str]) -> dict[str, RunInputs]:
        """Inputs of these runs (datasets with their tags, logged models) in two queries."""
        if not run_ids:
            return {}
        rows = conn.execute(
            select(INPUTS.c.run_id, DATASETS)
            .join(DATASETS, DATASETS.c.dataset_id == INPUTS.c.dataset_id)
            .where(INPUTS.c.run_id.in_(run_ids))
            .order_by(INPUTS.c.creation_time, DATASETS.c.name)
        ).all()
        tags: dict[tuple[str, str], list[InputTag]] = defaultdict(list)
        if rows:
            for t in conn.execute(
                select(INPUT_TAGS).where(INPUT_TAGS.c.run_id.in_(run_ids)).order_by(INPUT_TAGS.c.key)
            ):
                tags[(t.run_id, t.dataset_id)].append(InputTag(t.key, t.value))
        models: dict[str, list[LoggedModelInput]] = defaultdict(list)
        for e in conn.execute(
            select(EDGES.c.child, EDGES.c.parent).where(
                EDGES.c.child.in_([f"runs:/{r}" for r in run_ids]),
                EDGES.c.parent.like("models:/m-%"),
            )
        ):
            models[e.child[len("runs:/") :]].append(LoggedModelInput(e.parent[len("models:/") :]))
        found: dict[str, list[DatasetInput]] = defaultdict(list)
        for r in rows:
            found[r.run_id].append(DatasetInput(_dataset(r), tags.get((r.run_id, r.dataset_id), [])))
        return {
            rid: RunInputs(found.get(rid, []), models.get(rid, [])) for rid in run_ids
            if rid in found or rid in models
        }

    def get_dataset(self, dataset_id: str) -> Dataset:
        with self.db.read() as conn:
            row = conn.execute(select(DATASETS).where(DATASETS.c.dataset_id == dataset_id)).first()
        if row is None:
            raise ResourceNotFound(
                f"dataset {dataset_id!r} does not exist in {self.uri}; list datasets with "
                "search_datasets() or `archivist datasets list`"
            )
        return _dataset(row)

    def find_datasets(self, name: str, digest: str | None = None) -> list[Dataset]:
        """Datasets called ``name`` (with a digest starting with ``digest``), newest first."""
        stmt = select(DATASETS).where(DATASETS.c.name == name)
        if digest:
            stmt = stmt.where(DATASETS.c.digest.startswith(digest, autoescape=True))
        with self.db.read() as conn:
            rows = conn.execute(stmt.order_by(DATASETS.c.creation_time.desc())).all()
        return [_dataset(r) for r in rows]

    def search_datasets(
        self,
        experiment_ids: Sequence[str] | None = None,
        *,
        name: str | None = None,
        digest: str | None = None,
        context: str | None = None,
        max_results: int = 1000,
    ) -> list[tuple[Dataset, list[str], list[str]]]:
        """Datasets with the experiments and contexts they were used in, newest first.

        ``name`` may hold SQL LIKE wildcards (``%``, ``_``); ``digest`` matches a prefix;
        ``experiment_ids`` and ``context`` keep datasets used by a run of those
        experiments / in that context. Datasets no run uses are found only without them.
        """
        if not 0 < max_results <= 50_000:
            raise InvalidArgument(f"max_results {max_results} must be between 1 and 50000")
        stmt = select(DATASETS)
        if name:
            stmt = stmt.where(DATASETS.c.name.like(name))
        if digest:
            stmt = stmt.where(DATASETS.c.digest.startswith(digest, autoescape=True))
        if experiment_ids is not None or context is not None:
            used = select(INPUTS.c.dataset_id).join(RUNS, RUNS.c.run_id == INPUTS.c.run_id)
            if experiment_ids is not None:
                used = used.where(RUNS.c.experiment_id.in_([int(e) for e in experiment_ids]))
            if context is not None:
                used = used.where(INPUTS.c.context == context)
            stmt = stmt.where(DATASETS.c.dataset_id.in_(used))
        stmt = stmt.order_by(DATASETS.c.creation_time.desc(), DATASETS.c.name).limit(max_results)
        with self.db.read() as conn:
            rows = conn.execute(stmt).all()
            ids = [r.dataset_id for r in rows]
            exps: dict[str, set[str]] = defaultdict(set)
            contexts: dict[str, set[str]] = defaultdict(set)
            if ids:
                for u in conn.execute(
                    select(INPUTS.c.dataset_id, INPUTS.c.context, RUNS.c.experiment_id)
                    .join(RUNS, RUNS.c.run_id == INPUTS.c.run_id)
                    .where(INPUTS.c.dataset_id.in_(ids))
                ):
                    exps[u.dataset_id].add(str(u.experiment_id))
                    if u.context:
                        contexts[u.dataset_id].add(u.context)
        return [
            (_dataset(r), sorted(exps[r.dataset_id], key=int), sorted(contexts[r.dataset_id]))
            for r in rows
        ]

    # ------------------------------------------------------------------- lineage
    def _add_edges(
        self, conn: Connection, child: str, parents: Iterable[str], run_id: str | None, now: int
    ) -> None:
        rows = [{"c": child, "p": p, "r": run_id, "t": now} for p in dict.fromkeys(parents)]
        if rows:
            conn.execute(
                text(
                    "INSERT INTO lineage_edges (child, parent, run_id, creation_time) "
                    "VALUES (:c, :p, :r, :t) ON CONFLICT (child, parent) DO NOTHING"
                ),
                rows,
            )

    def add_lineage(self, child: str, parents: Sequence[str], run_id: str | None = None) -> None:
        """Record that ``child`` (a URI) was derived from each of ``parents`` (URIs)."""
        for uri in (child, *parents):
            if not isinstance(uri, str) or not uri or len(uri) > 1000:
                raise InvalidArgument(
                    f"lineage URI {uri!r} must be a non-empty string of at most 1000 characters"
                )
        with self.db.write() as conn:
            self._add_edges(conn, child, parents, run_id, int(time.time() * 1000))
