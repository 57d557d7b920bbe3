"""Tracking store on SQL (SQLite embedded by default, PostgreSQL to scale)."""

from __future__ import annotations

import base64
import json
import math
import re
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError

from archivist.entities import (
    Experiment,
    LifecycleStage,
    LoggedModel,
    Metric,
    Param,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunStatus,
    RunTag,
    TreeEntry,
    ViewType,
)
from archivist.errors import InvalidArgument, InvalidState, ResourceAlreadyExists, ResourceNotFound
from archivist.stores.db.engine import Database
from archivist.stores.db.gc_lock import hold_for_commit, hold_for_sweep
from archivist.stores.db.schema import (
    ArtifactEntryRow,
    ExperimentRow,
    ExperimentTagRow,
    LatestMetricRow,
    LoggedModelParamRow,
    LoggedModelRow,
    LoggedModelTagRow,
    MetricChunkRow,
    ModelVersionRow,
    ParamRow,
    RunRow,
    TagRow,
)
from archivist.stores.tracking.base import Page
from archivist.stores.tracking.points import decode, encode
from archivist.stores.tracking.sql_datasets import DatasetStoreMixin
from archivist.validation import (
    check_artifact_location,
    check_experiment_name,
    check_int,
    check_key,
    check_logged_model_name,
    check_metric_value,
    check_model_type,
    check_param_value,
    check_run_id,
    check_run_name,
    check_tag_value,
    check_user_id,
)

__all__ = ["SqlTrackingStore"]

EXPERIMENTS: Table = ExperimentRow.__table__  # type: ignore[assignment]
EXPERIMENT_TAGS: Table = ExperimentTagRow.__table__  # type: ignore[assignment]
RUNS: Table = RunRow.__table__  # type: ignore[assignment]
PARAMS: Table = ParamRow.__table__  # type: ignore[assignment]
TAGS: Table = TagRow.__table__  # type: ignore[assignment]
CHUNKS: Table = MetricChunkRow.__table__  # type: ignore[assignment]
LATEST: Table = LatestMetricRow.__table__  # type: ignore[assignment]
ENTRIES: Table = ArtifactEntryRow.__table__  # type: ignore[assignment]
MODELS: Table = LoggedModelRow.__table__  # type: ignore[assignment]
MODEL_PARAMS: Table = LoggedModelParamRow.__table__  # type: ignore[assignment]
MODEL_TAGS: Table = LoggedModelTagRow.__table__  # type: ignore[assignment]

DEFAULT_EXPERIMENT_ID = "0"
DEFAULT_EXPERIMENT_NAME = "Default"
RUN_NAME_TAG = "mlflow.runName"
MAX_RESULTS_LIMIT = 50_000


class _Sql(str):
    """A hot-path statement run straight on the driver (no compile step per call).

    Written with ``:name`` parameters (sqlite3's named style); PostgreSQL's psycopg gets
    the same text with ``%(name)s``.
    """

    def for_dialect(self, dialect: str) -> str:
        if dialect == "postgresql":
            return re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", self.replace("{BLOB}", "BYTEA"))
        return self.replace("{BLOB}", "BLOB")


# Hot-path statements, built once. ON CONFLICT ... DO UPDATE has the same syntax on
# SQLite and PostgreSQL, so one text per statement serves both.
_RUN_STAGE = _Sql("SELECT lifecycle_stage FROM runs WHERE run_id = :run_id")
_SELECT_RUN = select(RUNS).where(RUNS.c.run_id == bindparam("run_id"))
_INSERT_CHUNK = _Sql(
    "INSERT INTO metric_chunks (run_id, key, n, min_step, max_step, data) "
    "VALUES (:run_id, :key, :n, :min_step, :max_step, :data)"
)
_INSERT_CHUNK_IF_ACTIVE = _Sql(
    "INSERT INTO metric_chunks (run_id, key, n, min_step, max_step, data) "
    "SELECT CAST(:run_id AS VARCHAR(32)), CAST(:key AS VARCHAR(250)), CAST(:n AS INTEGER), "
    "CAST(:min_step AS BIGINT), CAST(:max_step AS BIGINT), CAST(:data AS {BLOB}) "
    "WHERE EXISTS (SELECT 1 FROM runs "
    "WHERE run_id = CAST(:run_id AS VARCHAR(32)) AND lifecycle_stage = 'active')"
)
_UPSERT_LATEST = _Sql(
    "INSERT INTO latest_metrics (run_id, key, value, is_nan, timestamp, step) "
    "VALUES (:run_id, :key, :value, :is_nan, :timestamp, :step) "
    "ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value, "
    "is_nan = excluded.is_nan, timestamp = excluded.timestamp, step = excluded.step "
    "WHERE excluded.step > latest_metrics.step OR (excluded.step = latest_metrics.step "
    "AND excluded.timestamp >= latest_metrics.timestamp)"
)
_EXPERIMENT_STAGE = _Sql(
    "SELECT name, lifecycle_stage, artifact_location FROM experiments WHERE experiment_id = :id"
)
_INSERT_RUN = _Sql(
    "INSERT INTO runs (run_id, experiment_id, name, user_id, status, start_time, end_time, "
    "lifecycle_stage, artifact_uri) VALUES (:run_id, :experiment_id, :name, :user_id, :status, "
    ":start_time, NULL, :lifecycle_stage, :artifact_uri)"
)
_INSERT_TAG = _Sql("INSERT INTO tags (run_id, key, value) VALUES (:run_id, :key, :value)")
_INSERT_PARAM = _Sql("INSERT INTO params (run_id, key, value) VALUES (:run_id, :key, :value)")
_SELECT_PARAMS = _Sql("SELECT key, value FROM params WHERE run_id = :run_id")
_UPSERT_TAG = _Sql(
    "INSERT INTO tags (run_id, key, value) VALUES (:run_id, :key, :value) "
    "ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value"
)
_UPSERT_ENTRY = _Sql(
    "INSERT INTO artifact_entries (owner_id, path, digest, size) "
    "VALUES (:owner_id, :path, :digest, :size) "
    "ON CONFLICT (owner_id, path) DO UPDATE SET digest = excluded.digest, size = excluded.size"
)


def now_ms() -> int:
    return int(time.time() * 1000)


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def _decode_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()))["offset"]
        if not isinstance(offset, int) or offset < 0:
            raise ValueError
        return offset
    except (ValueError, KeyError, TypeError):
        raise InvalidArgument(
            f"page_token {token!r} is invalid; pass the next_page_token of a previous page"
        ) from None


def _check_max_results(max_results: int) -> int:
    if not isinstance(max_results, int) or max_results < 1 or max_results > MAX_RESULTS_LIMIT:
        raise InvalidArgument(
            f"max_results={max_results!r} is out of range; give an integer from 1 to "
            f"{MAX_RESULTS_LIMIT}"
        )
    return max_results


def _experiment_int(experiment_id: Any) -> int:
    try:
        value = int(str(experiment_id))
        if value < 0:
            raise ValueError
        return value
    except ValueError:
        raise InvalidArgument(
            f"experiment id {experiment_id!r} is malformed: experiment ids are non-negative "
            "integers given as strings, such as '0'"
        ) from None


class SqlTrackingStore(DatasetStoreMixin):
    """Experiments, runs and artifact trees in one SQL database (datasets: the mixin)."""

    def __init__(self, db_uri: str) -> None:
        self.db = Database(db_uri)
        self.uri = db_uri
        self.dialect = self.db.dialect
        self._driver_sql: dict[str, str] = {}
        self._ensure_default_experiment()

    def _insert(self) -> Any:
        if self.dialect == "postgresql":
            from sqlalchemy.dialects import postgresql

            return postgresql.insert
        from sqlalchemy.dialects import sqlite

        return sqlite.insert

    def _x(self, conn: Connection, stmt: _Sql, params: Any) -> Any:
        sql = self._driver_sql.get(stmt)
        if sql is None:
            sql = self._driver_sql[stmt] = stmt.for_dialect(self.dialect)
        return conn.exec_driver_sql(sql, params)

    def _ensure_default_experiment(self) -> None:
        with self.db.read() as conn:
            found = conn.execute(
                select(EXPERIMENTS.c.experiment_id).where(EXPERIMENTS.c.experiment_id == 0)
            ).first()
        if found is not None:
            return
        ts = now_ms()
        with self.db.write() as conn:
            stmt = self._insert()(EXPERIMENTS).values(
                experiment_id=0,
                name=DEFAULT_EXPERIMENT_NAME,
                artifact_location=self._artifact_location("0"),
                lifecycle_stage=LifecycleStage.ACTIVE.value,
                creation_time=ts,
                last_update_time=ts,
            )
            conn.execute(stmt.on_conflict_do_nothing())
            if self.dialect == "postgresql":
                # experiment 0 was inserted explicitly; keep the sequence ahead of it
                conn.exec_driver_sql(
                    "SELECT setval(pg_get_serial_sequence('experiments', 'experiment_id'), "
                    "GREATEST((SELECT MAX(experiment_id) FROM experiments), 1))"
                )

    @staticmethod
    def _artifact_location(experiment_id: str) -> str:
        return f"mlflow-artifacts:/{experiment_id}"

    # ------------------------------------------------------------------ experiments
    def create_experiment(
        self, name: str, artifact_location: str | None = None, tags: dict[str, str] | None = None
    ) -> str:
        check_experiment_name(name)
        check_artifact_location(artifact_location or "")
        tag_rows = []
        for k, v in (tags or {}).items():
            tag_rows.append((check_key(k, "tag"), check_tag_value(k, v)))
        ts = now_ms()
        try:
            with self.db.write() as conn:
                result = conn.execute(
                    EXPERIMENTS.insert().values(
                        name=name,
                        artifact_location=artifact_location or "",
                        lifecycle_stage=LifecycleStage.ACTIVE.value,
                        creation_time=ts,
                        last_update_time=ts,
                    )
                )
                exp_id = int(result.inserted_primary_key[0])  # type: ignore[index]
                if not artifact_location:
                    conn.execute(
                        update(EXPERIMENTS)
                        .where(EXPERIMENTS.c.experiment_id == exp_id)
                        .values(artifact_location=self._artifact_location(str(exp_id)))
                    )
                if tag_rows:
                    conn.execute(
                        EXPERIMENT_TAGS.insert(),
                        [{"experiment_id": exp_id, "key": k, "value": v} for k, v in tag_rows],
                    )
        except IntegrityError:
            existing = self.get_experiment_by_name(name)
            stage = f" (it is {existing.lifecycle_stage})" if existing else ""
            raise ResourceAlreadyExists(
                f"experiment {name!r} already exists{stage}; pick another name, or use "
                "set_experiment() to reuse it"
            ) from None
        return str(exp_id)

    def _experiments_from_rows(self, conn: Connection, rows: Sequence[Any]) -> list[Experiment]:
        ids = [r.experiment_id for r in rows]
        tags: dict[int, dict[str, str]] = defaultdict(dict)
        if ids:
            for t in conn.execute(
                select(EXPERIMENT_TAGS).where(EXPERIMENT_TAGS.c.experiment_id.in_(ids))
            ):
                tags[t.experiment_id][t.key] = t.value
        return [
            Experiment(
                experiment_id=str(r.experiment_id),
                name=r.name,
                artifact_location=r.artifact_location,
                lifecycle_stage=r.lifecycle_stage,
                creation_time=r.creation_time,
                last_update_time=r.last_update_time,
                tags=tags.get(r.experiment_id, {}),
            )
            for r in rows
        ]

    def get_experiment(self, experiment_id: str) -> Experiment:
        exp_int = _experiment_int(experiment_id)
        with self.db.read() as conn:
            rows = conn.execute(
                select(EXPERIMENTS).where(EXPERIMENTS.c.experiment_id == exp_int)
            ).all()
            if not rows:
                raise ResourceNotFound(
                    f"experiment id {experiment_id!r} does not exist in {self.uri}; list "
                    "experiments with 'archivist experiments list'"
                )
            return self._experiments_from_rows(conn, rows)[0]

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        with self.db.read() as conn:
            rows = conn.execute(select(EXPERIMENTS).where(EXPERIMENTS.c.name == name)).all()
            if not rows:
                return None
            return self._experiments_from_rows(conn, rows)[0]

    def search_experiments(
        self,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        filter_string: str | None = None,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> Page:
        from archivist.stores.tracking.search import compile_experiment_search

        _check_max_results(max_results)
        offset = _decode_token(page_token)
        compiled = compile_experiment_search(filter_string, order_by, dialect=self.dialect)
        stmt = (
            select(EXPERIMENTS)
            .where(EXPERIMENTS.c.lifecycle_stage.in_(ViewType(view_type).stages()), *compiled.where)
            .order_by(*compiled.order_by)
            .limit(max_results + 1)
            .offset(offset)
        )
        with self.db.read() as conn:
            rows = conn.execute(stmt).all()
            more = len(rows) > max_results
            items = self._experiments_from_rows(conn, rows[:max_results])
        return Page(list(items), _encode_token(offset + max_results) if more else None)

    def _set_experiment_stage(self, experiment_id: str, stage: str) -> None:
        exp = self.get_experiment(experiment_id)
        if experiment_id == DEFAULT_EXPERIMENT_ID and stage == LifecycleStage.DELETED.value:
            raise InvalidState("the default experiment (id '0') cannot be deleted")
        other = (
            LifecycleStage.ACTIVE.value
            if stage == LifecycleStage.DELETED.value
            else LifecycleStage.DELETED.value
        )
        if exp.lifecycle_stage == stage:
            raise InvalidState(
                f"experiment {experiment_id!r} ({exp.name!r}) is already {stage}; nothing to do"
            )
        ts = now_ms()
        exp_int = int(experiment_id)
        with self.db.write() as conn:
            conn.execute(
                update(EXPERIMENTS)
                .where(EXPERIMENTS.c.experiment_id == exp_int)
                .values(lifecycle_stage=stage, last_update_time=ts)
            )
            conn.execute(
                update(RUNS)
                .where(RUNS.c.experiment_id == exp_int, RUNS.c.lifecycle_stage == other)
                .values(
                    lifecycle_stage=stage,
                    deleted_time=ts if stage == LifecycleStage.DELETED.value else None,
                )
            )

    def delete_experiment(self, experiment_id: str) -> None:
        self._set_experiment_stage(experiment_id, LifecycleStage.DELETED.value)

    def restore_experiment(self, experiment_id: str) -> None:
        self._set_experiment_stage(experiment_id, LifecycleStage.ACTIVE.value)

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        check_experiment_name(new_name)
        exp = self.get_experiment(experiment_id)
        if exp.lifecycle_stage != LifecycleStage.ACTIVE.value:
            raise InvalidState(f"experiment {experiment_id!r} is deleted; restore it first")
        try:
            with self.db.write() as conn:
                conn.execute(
                    update(EXPERIMENTS)
                    .where(EXPERIMENTS.c.experiment_id == int(experiment_id))
                    .values(name=new_name, last_update_time=now_ms())
                )
        except IntegrityError:
            raise ResourceAlreadyExists(
                f"experiment {new_name!r} already exists; pick another name"
            ) from None

    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        check_key(key, "tag")
        value = check_tag_value(key, value)
        exp = self.get_experiment(experiment_id)
        if exp.lifecycle_stage != LifecycleStage.ACTIVE.value:
            raise InvalidState(f"experiment {experiment_id!r} is deleted; restore it first")
        insert = self._insert()
        stmt = insert(EXPERIMENT_TAGS).values(
            experiment_id=int(experiment_id), key=key, value=value
        )
        with self.db.write() as conn:
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["experiment_id", "key"], set_={"value": stmt.excluded.value}
                )
            )

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        with self.db.write() as conn:
            result = conn.execute(
                delete(EXPERIMENT_TAGS).where(
                    EXPERIMENT_TAGS.c.experiment_id == _experiment_int(experiment_id),
                    EXPERIMENT_TAGS.c.key == key,
                )
            )
        if result.rowcount == 0:
            raise ResourceNotFound(f"experiment {experiment_id!r} has no tag {key!r}")

    # ------------------------------------------------------------------------ runs
    def create_run(
        self,
        experiment_id: str,
        user_id: str,
        start_time: int,
        tags: Sequence[RunTag],
        run_name: str | None,
        run_id: str | None = None,
    ) -> Run:
        """A new RUNNING run; ``run_id`` keeps a given id (push/pull copy runs by id)."""
        exp_int = _experiment_int(experiment_id)
        tag_map = {t.key: t.value for t in tags}
        name = check_run_name(run_name or tag_map.get(RUN_NAME_TAG) or _random_run_name())
        check_user_id(user_id)
        tag_map[RUN_NAME_TAG] = name
        for k, v in tag_map.items():
            check_key(k, "tag")
            tag_map[k] = check_tag_value(k, v)
        given = run_id is not None
        run_id = check_run_id(run_id) if given else uuid.uuid4().hex
        with self.db.write() as conn:
            if given and self._x(conn, _RUN_STAGE, {"run_id": run_id}).first() is not None:
                raise ResourceAlreadyExists(f"run {run_id!r} already exists in {self.uri}")
            exp = self._x(conn, _EXPERIMENT_STAGE, {"id": exp_int}).first()
            if exp is None:
                raise ResourceNotFound(
                    f"experiment id {experiment_id!r} does not exist in {self.uri}; list "
                    "experiments with 'archivist experiments list'"
                )
            if exp.lifecycle_stage != LifecycleStage.ACTIVE.value:
                raise InvalidState(
                    f"experiment {experiment_id!r} ({exp.name!r}) is deleted; restore it or "
                    "log to another experiment"
                )
            artifact_uri = f"{exp.artifact_location.rstrip('/')}/{run_id}/artifacts"
            self._x(
                conn,
                _INSERT_RUN,
                {
                    "run_id": run_id,
                    "experiment_id": exp_int,
                    "name": name,
                    "user_id": user_id,
                    "status": RunStatus.RUNNING.value,
                    "start_time": start_time,
                    "lifecycle_stage": LifecycleStage.ACTIVE.value,
                    "artifact_uri": artifact_uri,
                },
            )
            self._x(
                conn,
                _INSERT_TAG,
                [{"run_id": run_id, "key": k, "value": v} for k, v in tag_map.items()],
            )
        info = RunInfo(
            run_id=run_id,
            experiment_id=str(experiment_id),
            run_name=name,
            user_id=user_id,
            status=RunStatus.RUNNING.value,
            start_time=start_time,
            end_time=None,
            artifact_uri=artifact_uri,
            lifecycle_stage=LifecycleStage.ACTIVE.value,
        )
        return Run(info, RunData(tags=dict(tag_map)))

    @staticmethod
    def _info(r: Any) -> RunInfo:
        return RunInfo(
            run_id=r.run_id,
            experiment_id=str(r.experiment_id),
            run_name=r.name,
            user_id=r.user_id,
            status=r.status,
            start_time=r.start_time,
            end_time=r.end_time,
            artifact_uri=r.artifact_uri,
            lifecycle_stage=r.lifecycle_stage,
        )

    def _run_row(self, conn: Connection, run_id: str) -> Any:
        check_run_id(run_id)
        row = conn.execute(_SELECT_RUN, {"run_id": run_id}).first()
        if row is None:
            raise ResourceNotFound(
                f"run {run_id!r} does not exist in {self.uri}; check the run id, or the "
                "tracking URI if the run was logged to another store"
            )
        return row

    def _check_run_active(self, conn: Connection, run_id: str) -> None:
        stage = self._x(conn, _RUN_STAGE, {"run_id": run_id}).scalar()
        if stage != LifecycleStage.ACTIVE.value:
            self._active_run_row(conn, run_id)  # raises the right error

    def _active_run_row(self, conn: Connection, run_id: str) -> Any:
        row = self._run_row(conn, run_id)
        if row.lifecycle_stage != LifecycleStage.ACTIVE.value:
            raise InvalidState(
                f"run {run_id!r} is deleted, so nothing can be logged to it; restore it with "
                "restore_run() first"
            )
        return row

    def _runs_data(self, conn: Connection, run_ids: list[str]) -> dict[str, RunData]:
        params: dict[str, dict[str, str]] = defaultdict(dict)
        tags: dict[str, dict[str, str]] = defaultdict(dict)
        metrics: dict[str, dict[str, float]] = defaultdict(dict)
        latest: dict[str, dict[str, Metric]] = defaultdict(dict)
        for chunk_start in range(0, len(run_ids), 500):
            chunk = run_ids[chunk_start : chunk_start + 500]
            for rid, k, v in self._rows_for_runs(conn, "SELECT run_id, key, value FROM params", chunk):
                params[rid][k] = v
            for rid, k, v in self._rows_for_runs(conn, "SELECT run_id, key, value FROM tags", chunk):
                tags[rid][k] = v
            for rid, k, v, nan, ts, step in self._rows_for_runs(
                conn, "SELECT run_id, key, value, is_nan, timestamp, step FROM latest_metrics", chunk
            ):
                value = math.nan if nan else v
                metrics[rid][k] = value
                latest[rid][k] = Metric(k, value, ts, step, run_id=rid)
        return {
            rid: RunData(
                metrics=metrics.get(rid, {}), params=params.get(rid, {}), tags=tags.get(rid, {}),
                latest_metrics=latest.get(rid, {}),
            )
            for rid in run_ids
        }

    def _rows_for_runs(self, conn: Connection, select_sql: str, run_ids: list[str]) -> Any:
        """Rows of ``select_sql`` for these runs, fetched in one round trip, as tuples."""
        if self.dialect == "postgresql":
            return conn.exec_driver_sql(f"{select_sql} WHERE run_id = ANY(%s)", (run_ids,)).all()
        marks = ",".join("?" * len(run_ids))
        return conn.exec_driver_sql(f"{select_sql} WHERE run_id IN ({marks})", tuple(run_ids)).all()

    def get_run(self, run_id: str) -> Run:
        with self.db.read() as conn:
            row = self._run_row(conn, run_id)
            data = self._runs_data(conn, [run_id])[run_id]
            inputs = self._run_inputs(conn, [run_id])
        return Run(self._info(row), data, inputs.get(run_id, RunInputs()))

    def update_run_info(
        self, run_id: str, status: str | None, end_time: int | None, run_name: str | None
    ) -> RunInfo:
        values: dict[str, Any] = {}
        if status is not None:
            try:
                values["status"] = RunStatus(status).value
            except ValueError:
                raise InvalidArgument(
                    f"run status {status!r} is unknown; use one of "
                    f"{[s.value for s in RunStatus]}"
                ) from None
        if end_time is not None:
            values["end_time"] = end_time
        if run_name:
            check_run_name(run_name)
        with self.db.write() as conn:
            row = self._active_run_row(conn, run_id)
            if run_name:
                values["name"] = run_name
                self._x(
                    conn, _UPSERT_TAG, {"run_id": run_id, "key": RUN_NAME_TAG, "value": run_name}
                )
            if values:
                columns = ", ".join(f"{c} = :{c}" for c in sorted(values))
                conn.execute(
                    text(f"UPDATE runs SET {columns} WHERE run_id = :run_id"),
                    {**values, "run_id": run_id},
                )
        info = self._info(row)
        return RunInfo(
            run_id=info.run_id,
            experiment_id=info.experiment_id,
            run_name=values.get("name", info.run_name),
            user_id=info.user_id,
            status=values.get("status", info.status),
            start_time=info.start_time,
            end_time=values.get("end_time", info.end_time),
            artifact_uri=info.artifact_uri,
            lifecycle_stage=info.lifecycle_stage,
        )

    def _set_run_stage(self, run_id: str, stage: str) -> None:
        with self.db.write() as conn:
            row = self._run_row(conn, run_id)
            if stage == LifecycleStage.ACTIVE.value:
                exp = conn.execute(
                    select(EXPERIMENTS.c.lifecycle_stage).where(
                        EXPERIMENTS.c.experiment_id == row.experiment_id
                    )
                ).scalar()
                if exp != LifecycleStage.ACTIVE.value:
                    raise InvalidState(
                        f"run {run_id!r} belongs to deleted experiment {row.experiment_id}; "
                        "restore the experiment first"
                    )
            conn.execute(
                update(RUNS)
                .where(RUNS.c.run_id == run_id)
                .values(
                    lifecycle_stage=stage,
                    deleted_time=now_ms() if stage == LifecycleStage.DELETED.value else None,
                )
            )

    def delete_run(self, run_id: str) -> None:
        self._set_run_stage(run_id, LifecycleStage.DELETED.value)

    def restore_run(self, run_id: str) -> None:
        self._set_run_stage(run_id, LifecycleStage.ACTIVE.value)

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        param_rows: dict[str, str] = {}
        for p in params:
            check_key(p.key, "param")
            value = check_param_value(p.key, p.value)
            if p.key in param_rows and param_rows[p.key] != value:
                raise InvalidArgument(
                    f"param {p.key!r} is given twice in one batch with different values "
                    f"{param_rows[p.key]!r} and {value!r}; params are immutable"
                )
            param_rows[p.key] = value
        tag_rows = {check_key(t.key, "tag"): check_tag_value(t.key, t.value) for t in tags}
        # points per key, in logging order; one packed chunk per key
        by_key: dict[str, tuple[list[int], list[int], list[float]]] = {}
        latest: dict[str, tuple[int, int, float]] = {}
        for m in metrics:
            key = check_key(m.key, "metric")
            mvalue = check_metric_value(key, m.value)
            step, ts = check_int(key, "step", m.step or 0), check_int(key, "timestamp", m.timestamp)
            points = by_key.get(key)
            if points is None:
                points = by_key[key] = ([], [], [])
            points[0].append(step)
            points[1].append(ts)
            points[2].append(mvalue)
            cur = latest.get(key)
            if cur is None or (step, ts) >= (cur[0], cur[1]):
                latest[key] = (step, ts, mvalue)
        chunks = [
            {
                "run_id": run_id,
                "key": key,
                "n": len(steps),
                "min_step": min(steps),
                "max_step": max(steps),
                "data": encode(steps, stamps, values),
            }
            for key, (steps, stamps, values) in by_key.items()
        ]
        latest_rows = [
            {
                "run_id": run_id,
                "key": key,
                "value": 0.0 if value != value else value,
                "is_nan": value != value,
                "timestamp": ts,
                "step": step,
            }
            for key, (step, ts, value) in latest.items()
        ]
        if len(chunks) == 1 and not param_rows and not tag_rows:
            # The hot path of log_metric: the run check rides on the insert.
            with self.db.write() as conn:
                if self._x(conn, _INSERT_CHUNK_IF_ACTIVE, chunks[0]).rowcount != 1:
                    self._check_run_active(conn, run_id)  # raises: unknown or deleted
                self._x(conn, _UPSERT_LATEST, latest_rows[0])
            return
        with self.db.write() as conn:
            self._check_run_active(conn, run_id)
            if param_rows:
                existing = {
                    r[0]: r[1]
                    for r in self._x(conn, _SELECT_PARAMS, {"run_id": run_id})
                    if r[0] in param_rows
                }
                for k, v in param_rows.items():
                    if k in existing and existing[k] != v:
                        raise InvalidArgument(
                            f"param {k!r} of run {run_id} was already logged with value "
                            f"{existing[k]!r}; it cannot be changed to {v!r}. Params are "
                            "immutable: log the new value under another key or in a new run"
                        )
                new = [
                    {"run_id": run_id, "key": k, "value": v}
                    for k, v in param_rows.items()
                    if k not in existing
                ]
                if new:
                    self._x(conn, _INSERT_PARAM, new)
            if tag_rows:
                self._x(
                    conn,
                    _UPSERT_TAG,
                    [{"run_id": run_id, "key": k, "value": v} for k, v in tag_rows.items()],
                )
                if RUN_NAME_TAG in tag_rows:
                    conn.execute(
                        update(RUNS)
                        .where(RUNS.c.run_id == run_id)
                        .values(name=tag_rows[RUN_NAME_TAG])
                    )
            if chunks:
                self._x(conn, _INSERT_CHUNK, chunks)
                self._x(conn, _UPSERT_LATEST, latest_rows)

    def delete_tag(self, run_id: str, key: str) -> None:
        with self.db.write() as conn:
            self._active_run_row(conn, run_id)
            result = conn.execute(delete(TAGS).where(TAGS.c.run_id == run_id, TAGS.c.key == key))
        if result.rowcount == 0:
            raise ResourceNotFound(f"run {run_id!r} has no tag {key!r}; nothing was deleted")

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Every point of ``key``, ordered by step then timestamp (then logging order)."""
        with self.db.read() as conn:
            self._run_row(conn, run_id)
            rows = conn.execute(
                select(CHUNKS.c.n, CHUNKS.c.data)
                .where(CHUNKS.c.run_id == run_id, CHUNKS.c.key == key)
                .order_by(CHUNKS.c.id)
            ).all()
        points: list[tuple[int, int, float]] = []
        for n, data in rows:
            steps, stamps, values = decode(bytes(data), n)
            points.extend(zip(steps, stamps, values, strict=True))
        points.sort(key=lambda p: (p[0], p[1]))  # stable: equal keys keep logging order
        return [Metric(key, value, ts, step) for step, ts, value in points]

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> Page:
        from archivist.stores.tracking.search import compile_run_search

        _check_max_results(max_results)
        offset = _decode_token(page_token)
        exp_ints = [_experiment_int(e) for e in experiment_ids]
        compiled = compile_run_search(filter_string, order_by, dialect=self.dialect)
        stmt = (
            select(RUNS)
            .where(
                RUNS.c.experiment_id.in_(exp_ints),
                RUNS.c.lifecycle_stage.in_(ViewType(view_type).stages()),
                *compiled.where,
            )
            .order_by(*compiled.order_by)
            .limit(max_results + 1)
            .offset(offset)
        )
        with self.db.read() as conn:
            rows = conn.execute(stmt).all()
            more = len(rows) > max_results
            rows = rows[:max_results]
            data = self._runs_data(conn, [r.run_id for r in rows])
            inputs = self._run_inputs(conn, [r.run_id for r in rows])
        runs = [Run(self._info(r), data[r.run_id], inputs.get(r.run_id, RunInputs())) for r in rows]
        return Page(list(runs), _encode_token(offset + max_results) if more else None)

    # --------------------------------------------------------------- logged models
    def create_logged_model(
        self,
        experiment_id: str,
        name: str,
        source_run_id: str | None = None,
        model_type: str | None = None,
        params: dict[str, str] | None = None,
        tags: dict[str, str] | None = None,
        model_id: str | None = None,
    ) -> LoggedModel:
        """A new model in PENDING status; ``finalize_logged_model`` marks it READY."""
        from archivist.validation import check_model_id

        exp = self.get_experiment(experiment_id)
        if exp.lifecycle_stage != LifecycleStage.ACTIVE.value:
            raise InvalidState(f"experiment {experiment_id!r} is deleted; restore it first")
        mid = check_model_id(model_id) if model_id else f"m-{uuid.uuid4().hex}"
        check_logged_model_name(name)
        check_model_type(model_type)
        params = {check_key(k, "param"): check_param_value(k, v) for k, v in (params or {}).items()}
        tags = {check_key(k, "tag"): check_tag_value(k, v) for k, v in (tags or {}).items()}
        ts = now_ms()
        location = f"{exp.artifact_location.rstrip('/')}/models/{mid}/artifacts"
        try:
            with self.db.write() as conn:
                if source_run_id is not None:
                    self._check_run_active(conn, source_run_id)
                conn.execute(
                    MODELS.insert().values(
                        model_id=mid,
                        experiment_id=int(experiment_id),
                        name=name,
                        source_run_id=source_run_id,
                        model_type=model_type,
                        status="PENDING",
                        lifecycle_stage=LifecycleStage.ACTIVE.value,
                        artifact_location=location,
                        creation_time=ts,
                        last_updated_time=ts,
                    )
                )
                if params:
                    conn.execute(
                        MODEL_PARAMS.insert(),
                        [{"model_id": mid, "key": k, "value": v} for k, v in params.items()],
                    )
                if tags:
                    conn.execute(
                        MODEL_TAGS.insert(),
                        [{"model_id": mid, "key": k, "value": v} for k, v in tags.items()],
                    )
        except IntegrityError:
            raise ResourceAlreadyExists(
                f"logged model {mid!r} already exists; omit model_id to get a new one"
            ) from None
        return self.get_logged_model(mid)

    def finalize_logged_model(self, model_id: str, status: str) -> LoggedModel:
        if status not in ("READY", "FAILED"):
            raise InvalidArgument(f"logged model status {status!r} is unknown; use READY or FAILED")
        stmt = update(MODELS).where(MODELS.c.model_id == model_id)
        if status == "READY":  # not once gc has failed it (and dropped its artifacts)
            stmt = stmt.where(MODELS.c.status != "FAILED")
        with self.db.write() as conn:
            result = conn.execute(stmt.values(status=status, last_updated_time=now_ms()))
        if result.rowcount == 0:
            model = self.get_logged_model(model_id)  # ResourceNotFound if it does not exist
            raise InvalidState(
                f"logged model {model_id!r} is {model.status}: 'archivist gc' marks models left "
                "PENDING longer than its grace period FAILED and drops their artifacts; log "
                "the model again"
            )
        return self.get_logged_model(model_id)

    def fail_stale_pending_models(
        self, updated_before_ms: int, keep: Collection[str], *, dry_run: bool = False
    ) -> list[str]:
        """Mark FAILED the logged models PENDING since before ``updated_before_ms`` (but not
        those in ``keep``), and drop their artifact entries; returns their ids."""
        with self.db.read() if dry_run else self.db.write() as conn:
            rows = conn.execute(
                select(MODELS.c.model_id).where(
                    MODELS.c.status == "PENDING", MODELS.c.last_updated_time < updated_before_ms
                )
            ).all()
            ids = sorted(r[0] for r in rows if r[0] not in keep)
            if ids and not dry_run:
                conn.execute(
                    update(MODELS)
                    .where(MODELS.c.model_id.in_(ids), MODELS.c.status == "PENDING")
                    .values(status="FAILED", last_updated_time=now_ms())
                )
                conn.execute(delete(ENTRIES).where(ENTRIES.c.owner_id.in_(ids)))
        return ids

    def set_logged_model_tags(self, model_id: str, tags: dict[str, str]) -> None:
        self.get_logged_model(model_id)
        rows = [
            {"model_id": model_id, "key": check_key(k, "tag"), "value": check_tag_value(k, v)}
            for k, v in tags.items()
        ]
        stmt = text(
            "INSERT INTO logged_model_tags (model_id, key, value) VALUES (:model_id, :key, :value) "
            "ON CONFLICT (model_id, key) DO UPDATE SET value = excluded.value"
        )
        with self.db.write() as conn:
            conn.execute(stmt, rows)

    def _models_from_rows(self, conn: Connection, rows: Sequence[Any]) -> list[LoggedModel]:
        from archivist.stores.tracking.logged_models import LoggedModelSql

        ids = [r.model_id for r in rows]
        metrics = LoggedModelSql(self.db).metrics_for(conn, ids)
        params: dict[str, dict[str, str]] = defaultdict(dict)
        tags: dict[str, dict[str, str]] = defaultdict(dict)
        if ids:
            for p in conn.execute(select(MODEL_PARAMS).where(MODEL_PARAMS.c.model_id.in_(ids))):
                params[p.model_id][p.key] = p.value
            for t in conn.execute(select(MODEL_TAGS).where(MODEL_TAGS.c.model_id.in_(ids))):
                tags[t.model_id][t.key] = t.value
        return [
            LoggedModel(
                model_id=r.model_id,
                experiment_id=str(r.experiment_id),
                name=r.name,
                artifact_location=r.artifact_location,
                creation_timestamp=r.creation_time,
                last_updated_timestamp=r.last_updated_time,
                status=r.status,
                source_run_id=r.source_run_id,
                model_type=r.model_type,
                status_message=r.status_message,
                tags=tags.get(r.model_id, {}),
                params=params.get(r.model_id, {}),
                metrics=metrics.get(r.model_id, []),
            )
            for r in rows
        ]

    def get_logged_models(self, model_ids: Sequence[str]) -> list[LoggedModel]:
        """The active models among ``model_ids``, in that order."""
        with self.db.read() as conn:
            rows = conn.execute(select(MODELS).where(MODELS.c.model_id.in_(list(model_ids)))).all()
            found = {m.model_id: m for m in self._models_from_rows(conn, rows)}
        return [found[i] for i in model_ids if i in found]

    def get_logged_model(self, model_id: str) -> LoggedModel:
        with self.db.read() as conn:
            rows = conn.execute(select(MODELS).where(MODELS.c.model_id == model_id)).all()
            if not rows or rows[0].lifecycle_stage != LifecycleStage.ACTIVE.value:
                raise ResourceNotFound(
                    f"logged model {model_id!r} does not exist in {self.uri}; model ids look "
                    "like 'm-<32 hex>' and are printed by log_model (ModelInfo.model_id)"
                )
            return self._models_from_rows(conn, rows)[0]

    def find_logged_model(self, run_id: str, name: str) -> LoggedModel | None:
        """The newest READY model named ``name`` logged by run ``run_id``."""
        with self.db.read() as conn:
            rows = conn.execute(
                select(MODELS)
                .where(
                    MODELS.c.source_run_id == run_id,
                    MODELS.c.name == name,
                    MODELS.c.lifecycle_stage == LifecycleStage.ACTIVE.value,
                    MODELS.c.status == "READY",
                )
                .order_by(MODELS.c.creation_time.desc())
                .limit(1)
            ).all()
            return self._models_from_rows(conn, rows)[0] if rows else None

    def search_logged_models(
        self, experiment_ids: Sequence[str], max_results: int = 1000
    ) -> list[LoggedModel]:
        with self.db.read() as conn:
            rows = conn.execute(
                select(MODELS)
                .where(
                    MODELS.c.experiment_id.in_([_experiment_int(e) for e in experiment_ids]),
                    MODELS.c.lifecycle_stage == LifecycleStage.ACTIVE.value,
                )
                .order_by(MODELS.c.creation_time.desc())
                .limit(_check_max_results(max_results))
            ).all()
            return self._models_from_rows(conn, rows)

    def delete_logged_model(self, model_id: str) -> None:
        self.get_logged_model(model_id)
        with self.db.write() as conn:
            conn.execute(
                update(MODELS)
                .where(MODELS.c.model_id == model_id)
                .values(lifecycle_stage=LifecycleStage.DELETED.value, last_updated_time=now_ms())
            )

    def unregistered_deleted_model_ids(self) -> list[str]:
        """Logged models marked deleted that no registered model version points at."""
        versions: Table = ModelVersionRow.__table__  # type: ignore[assignment]
        used = select(versions.c.model_id).where(versions.c.model_id.is_not(None))
        with self.db.read() as conn:
            rows = conn.execute(
                select(MODELS.c.model_id).where(
                    MODELS.c.lifecycle_stage == LifecycleStage.DELETED.value,
                    MODELS.c.model_id.not_in(used),
                )
            ).all()
        return sorted(r[0] for r in rows)

    # -------------------------------------------------------------- artifact trees
    def put_tree_entries(
        self,
        owner_id: str,
        entries: Sequence[TreeEntry],
        *,
        ensure: Callable[[list[str]], object] | None = None,
    ) -> None:
        """Add or replace entries in one transaction (after their blobs exist).

        ``ensure(digests)`` runs inside the transaction with gc's sweep held off
        (``stores/db/gc_lock.py``): it must make sure every blob exists (storing again any
        that gc removed since it was written), so committed rows never point at nothing.
        """
        if not entries:
            return
        rows = {e.path: {"owner_id": owner_id, "path": e.path, "digest": e.digest, "size": e.size}
                for e in entries}
        with self.db.write() as conn:
            hold_for_commit(conn, self.dialect)
            if len(owner_id) == 32:
                self._check_run_active(conn, owner_id)
            if ensure is not None:
                ensure(sorted({e.digest for e in entries}))
            self._x(conn, _UPSERT_ENTRY, list(rows.values()))

    def sweep_unreferenced(self, digests: Sequence[str], delete: Callable[[str], bool]) -> list[str]:
        """gc's sweep: ``delete`` each of ``digests`` that no entry references, with tree
        commits held off meanwhile; returns the digests ``delete`` removed."""
        removed: list[str] = []
        with self.db.write() as conn:
            hold_for_sweep(conn, self.dialect)
            used = {
                r[0]
                for r in conn.execute(
                    select(ENTRIES.c.digest).where(ENTRIES.c.digest.in_(list(digests))).distinct()
                )
            }
            removed.extend(d for d in digests if d not in used and delete(d))
        return removed

    def list_tree_entries(self, owner_id: str, prefix: str = "") -> list[TreeEntry]:
        stmt = select(ENTRIES.c.path, ENTRIES.c.digest, ENTRIES.c.size).where(
            ENTRIES.c.owner_id == owner_id
        )
        if prefix:
            stmt = stmt.where(
                or_(ENTRIES.c.path == prefix, _startswith(ENTRIES.c.path, prefix + "/"))
            )
        with self.db.read() as conn:
            rows = conn.execute(stmt.order_by(ENTRIES.c.path)).all()
        return [TreeEntry(r.path, r.digest, r.size) for r in rows]

    def delete_tree_entries(self, owner_id: str, prefix: str = "") -> int:
        stmt = delete(ENTRIES).where(ENTRIES.c.owner_id == owner_id)
        if prefix:
            stmt = stmt.where(
                or_(ENTRIES.c.path == prefix, _startswith(ENTRIES.c.path, prefix + "/"))
            )
        with self.db.write() as conn:
            return int(conn.execute(stmt).rowcount)

    def referenced_digests(self) -> set[str]:
        with self.db.read() as conn:
            return {r[0] for r in conn.execute(select(ENTRIES.c.digest).distinct())}

    def iter_all_entries(self) -> Iterable[tuple[str, TreeEntry]]:
        with self.db.read() as conn:
            rows = conn.execute(
                select(ENTRIES).order_by(ENTRIES.c.owner_id, ENTRIES.c.path)
            ).all()
        for r in rows:
            yield r.owner_id, TreeEntry(r.path, r.digest, r.size)


def _startswith(col: Any, prefix: str) -> Any:
    # substr comparison: no LIKE wildcards to escape, and index-friendly enough
    return func.substr(col, 1, len(prefix)) == prefix


_ADJECTIVES = (
    "amber", "bold", "brisk", "calm", "clever", "crisp", "deft", "eager", "fair", "gentle",
    "keen", "lucid", "merry", "nimble", "quiet", "rapid", "sharp", "steady", "swift", "wise",
)
_NOUNS = (
    "otter", "falcon", "heron", "lynx", "maple", "comet", "river", "cedar", "finch", "harbor",
    "meadow", "orbit", "pine", "quartz", "raven", "sparrow", "tide", "willow", "zephyr", "badger",
)


def _random_run_name() -> str:
    import random

    return f"{random.choice(_ADJECTIVES)}-{random.choice(_NOUNS)}-{random.randint(100, 999)}"
