"""Read an MLflow store as Archivist entities: a file store (``mlruns/``) or a SQL database.

Both readers answer the same questions (experiments, runs, metric histories, dataset
inputs, logged models, the registry, and where each run's or model's artifact files are
on disk), so the importer does not care which kind of store it reads.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlparse

from archivist.entities import (
    Dataset,
    DatasetInput,
    Experiment,
    InputTag,
    LoggedModel,
    Metric,
    Run,
    RunData,
    RunInfo,
)
from archivist.entities.registry import ModelVersion, RegisteredModel
from archivist.errors import InvalidArgument

__all__ = ["FileStoreReader", "MlflowReader", "SqlReader", "open_reader"]

_RUN_STATUS = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}
_MODEL_STATUS = {0: "PENDING", 1: "PENDING", 2: "READY", 3: "FAILED"}


@dataclass
class Skipped:
    """Something the source holds that could not be carried over, and why."""

    what: str
    reason: str


class MlflowReader(Protocol):
    uri: str
    skipped: list[Skipped]

    def experiments(self) -> list[Experiment]: ...
    def runs(self, experiment_id: str) -> list[Run]: ...
    def metric_history(self, run_id: str, key: str) -> list[Metric]: ...
    def run_inputs(self, run_id: str) -> list[DatasetInput]: ...
    def artifact_dir(self, owner_id: str) -> Path | None: ...
    def logged_models(self) -> list[LoggedModel]: ...
    def registered_models(self) -> list[RegisteredModel]: ...
    def model_versions(self, name: str) -> list[ModelVersion]: ...


def _local_path(uri: str | None, remap: tuple[str, str] | None) -> Path | None:
    """A file:// or plain path artifact location as a local path (None for remote ones)."""
    if not uri:
        return None
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        path = unquote(parsed.path)
    elif parsed.scheme == "" or (len(parsed.scheme) == 1 and os.name == "nt"):
        path = uri
    else:
        return None
    if remap is not None and path.startswith(remap[0]):
        path = remap[1] + path[len(remap[0]) :]
    return Path(path)


def _yaml(path: Path) -> dict[str, Any]:
    import yaml

    with open(path, encoding="utf-8") as f:
        data = yaml.safe_load(f)
    return data if isinstance(data, dict) else {}


def _read_tree(folder: Path) -> dict[str, str]:
    """MLflow's key-per-file folders (params/, tags/): keys with '/' are nested folders."""
    out: dict[str, str] = {}
    if not folder.is_dir():
        return out
    for root, _dirs, files in os.walk(folder):
        for name in files:
            p = Path(root) / name
            out[p.relative_to(folder).as_posix()] = p.read_text(encoding="utf-8")
    return out


def _model_version(name: str, d: dict[str, Any], tags: dict[str, str], aliases: list[str]) -> ModelVersion:
    source = str(d.get("source") or "")
    model_id = d.get("model_id") or (source[len("models:/"):] if source.startswith("models:/m-") else None)
    return ModelVersion(
        name=name, version=str(d["version"]), creation_timestamp=int(d.get("creation_timestamp") or d.get("creation_time") or 0),
        last_updated_timestamp=d.get("last_updated_timestamp") or d.get("last_updated_time"),
        description=d.get("description"), user_id=d.get("user_id"),
        current_stage=str(d.get("current_stage") or "None"), source=source, run_id=d.get("run_id"),
        status=str(d.get("status") or "READY"), status_message=d.get("status_message"), tags=tags,
        run_link=d.get("run_link"), aliases=sorted(aliases), model_id=model_id,
    )


class FileStoreReader:
    """An MLflow file store: ``mlruns/<experiment id>/<run id>/...`` and ``mlruns/models/``."""

    def __init__(self, root: str | os.PathLike[str], artifact_remap: tuple[str, str] | None = None) -> None:
        self.root = Path(root)
        self.uri = str(self.root)
        self.remap = artifact_remap
        self.skipped: list[Skipped] = []
        self._runs: dict[str, Path] = {}
        self._models: dict[str, Path] = {}
        if not self.root.is_dir() or not any(
            (d / "meta.yaml").exists() for d in (self.root / "0", *self.root.iterdir())
        ):
            raise InvalidArgument(
                f"{self.uri!r} is not an MLflow file store (no <experiment>/meta.yaml inside); "
                "give the mlruns/ folder"
            )

    def _experiment_dirs(self) -> list[Path]:
        dirs = []
        for base in (self.root, self.root / ".trash"):
            if base.is_dir():
                dirs += [d for d in base.iterdir() if d.is_dir() and (d / "meta.yaml").exists()
                         and d.name not in ("models", ".trash")]
        return dirs

    def experiments(self) -> list[Experiment]:
        out = []
        for d in self._experiment_dirs():
            m = _yaml(d / "meta.yaml")
            out.append(Experiment(
                experiment_id=str(m.get("experiment_id", d.name)), name=str(m["name"]),
                artifact_location=str(m.get("artifact_location") or ""),
                lifecycle_stage=str(m.get("lifecycle_stage") or "active"),
                creation_time=m.get("creation_time"), last_update_time=m.get("last_update_time"),
                tags=_read_tree(d / "tags"),
            ))
        return sorted(out, key=lambda e: (len(e.experiment_id), e.experiment_id))

    def _exp_dir(self, experiment_id: str) -> Path:
        for base in (self.root, self.root / ".trash"):
            if (base / experiment_id / "meta.yaml").exists():
                return base / experiment_id
        raise InvalidArgument(f"experiment {experiment_id!r} is not in {self.uri}")

    def runs(self, experiment_id: str) -> list[Run]:
        out = []
        for d in self._exp_dir(experiment_id).iterdir():
            if not (d / "meta.yaml").exists() or d.name in ("models", "datasets", "tags", "traces"):
                continue
            m = _yaml(d / "meta.yaml")
            run_id = str(m.get("run_id") or m.get("run_uuid") or d.name)
            self._runs[run_id] = d
            metrics = {}
            for key in self._metric_keys(d):
                hist = self.metric_history(run_id, key)
                if hist:
                    last = max(hist, key=lambda p: (p.step, p.timestamp))
                    metrics[key] = last.value
            tags = _read_tree(d / "tags")
            status = m.get("status")
            info = RunInfo(
                run_id=run_id, experiment_id=str(experiment_id),
                run_name=str(m.get("run_name") or tags.get("mlflow.runName") or ""),
                user_id=str(m.get("user_id") or ""),
                status=_RUN_STATUS.get(status, str(status)) if isinstance(status, int) else str(status),
                start_time=int(m.get("start_time") or 0), end_time=m.get("end_time"),
                artifact_uri=str(m.get("artifact_uri") or ""),
                lifecycle_stage=str(m.get("lifecycle_stage") or "active"),
            )
            out.append(Run(info, RunData(metrics, _read_tree(d / "params"), tags)))
        return sorted(out, key=lambda r: (r.info.start_time, r.info.run_id))

    @staticmethod
    def _metric_keys(d: Path) -> list[str]:
        folder = d / "metrics"
        keys = []
        for root, _dirs, files in os.walk(folder):
            keys += [(Path(root) / f).relative_to(folder).as_posix() for f in files]
        return sorted(keys)

    def metric_history(self, run_id: str, key: str) -> list[Metric]:
        path = self._runs[run_id] / "metrics" / key
        out = []
        for line in path.read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if len(parts) >= 2:
                out.append(Metric(key, float(parts[1]), int(parts[0]), int(parts[2]) if len(parts) > 2 else 0))
        return out

    def run_inputs(self, run_id: str) -> list[DatasetInput]:
        d = self._runs[run_id]
        out = []
        inputs = d / "inputs"
        for i in sorted(inputs.iterdir()) if inputs.is_dir() else []:
            m = _yaml(i / "meta.yaml")
            if m.get("source_type") != "DATASET":
                continue
            ds_meta = d.parent / "datasets" / str(m["source_id"]) / "meta.yaml"
            if not ds_meta.exists():
                self.skipped.append(Skipped(f"input {i.name} of run {run_id}", "its dataset is missing"))
                continue
            ds = _yaml(ds_meta)
            tags = [InputTag(str(k), str(v)) for k, v in (m.get("tags") or {}).items()]
            out.append(DatasetInput(Dataset(
                name=str(ds["name"]), digest=str(ds["digest"]), source_type=str(ds["source_type"]),
                source=str(ds["source"]), schema=ds.get("schema"), profile=ds.get("profile"),
            ), tags))
        return out

    def artifact_dir(self, owner_id: str) -> Path | None:
        if owner_id in self._models:
            m = _yaml(self._models[owner_id] / "meta.yaml")
            return _local_path(m.get("artifact_location"), self.remap) or self._models[owner_id] / "artifacts"
        d = self._runs[owner_id]
        m = _yaml(d / "meta.yaml")
        return _local_path(m.get("artifact_uri"), self.remap) or d / "artifacts"

    def logged_models(self) -> list[LoggedModel]:
        out = []
        for e in self._experiment_dirs():
            models = e / "models"
            for d in sorted(models.iterdir()) if models.is_dir() else []:
                if not (d / "meta.yaml").exists():
                    continue
                m = _yaml(d / "meta.yaml")
                self._models[str(m["model_id"])] = d
                status = m.get("status")
                if (d / "metrics").is_dir() and any((d / "metrics").iterdir()):
                    self.skipped.append(Skipped(
                        f"metrics of logged model {m['model_id']}",
                        "Archivist keeps metrics on runs; they are in the source run's history"))
                out.append(LoggedModel(
                    model_id=str(m["model_id"]), experiment_id=str(m.get("experiment_id") or e.name),
                    name=str(m["name"]), artifact_location=str(m.get("artifact_location") or ""),
                    creation_timestamp=int(m.get("creation_timestamp") or 0),
                    last_updated_timestamp=int(m.get("last_updated_timestamp") or 0),
                    status=_MODEL_STATUS.get(status, str(status)) if isinstance(status, int) else str(status),
                    source_run_id=m.get("source_run_id"), model_type=m.get("model_type"),
                    status_message=m.get("status_message"),
                    tags=_read_tree(d / "tags"), params=_read_tree(d / "params"),
                ))
        return out

    def registered_models(self) -> list[RegisteredModel]:
        base = self.root / "models"
        out = []
        for d in sorted(base.iterdir()) if base.is_dir() else []:
            if not (d / "meta.yaml").exists():
                continue
            m = _yaml(d / "meta.yaml")
            aliases = {str(k): str(v) for k, v in (m.get("aliases") or {}).items()}
            for f in sorted((d / "aliases").iterdir()) if (d / "aliases").is_dir() else []:
                aliases[f.name] = f.read_text(encoding="utf-8").strip()
            out.append(RegisteredModel(
                name=str(m["name"]), creation_timestamp=m.get("creation_timestamp"),
                last_updated_timestamp=m.get("last_updated_timestamp"),
                description=m.get("description"), tags=_read_tree(d / "tags"), aliases=aliases,
            ))
        return out

    def model_versions(self, name: str) -> list[ModelVersion]:
        d = self.root / "models" / name
        rm = next(r for r in self.registered_models() if r.name == name)
        out = []
        for v in d.iterdir():
            if v.name.startswith("version-") and (v / "meta.yaml").exists():
                m = _yaml(v / "meta.yaml")
                aliases = [a for a, ver in rm.aliases.items() if ver == str(m["version"])]
                out.append(_model_version(name, m, _read_tree(v / "tags"), aliases))
        return sorted(out, key=lambda mv: int(mv.version))


class SqlReader:
    """An MLflow SQL database (SQLite, PostgreSQL, MySQL) plus where its artifacts are."""

    def __init__(self, db_uri: str, artifact_remap: tuple[str, str] | None = None) -> None:
        from sqlalchemy import create_engine, inspect

        self.uri = db_uri
        self.remap = artifact_remap
        self.skipped: list[Skipped] = []
        url = db_uri.replace("postgresql://", "postgresql+psycopg://", 1) if db_uri.startswith("postgresql://") else db_uri
        self.engine = create_engine(url)
        tables = set(inspect(self.engine).get_table_names())
        if not {"experiments", "runs", "metrics", "params", "tags"} <= tables:
            raise InvalidArgument(f"{db_uri!r} is not an MLflow tracking database (no runs/metrics tables)")
        self.tables = tables
        self._artifact: dict[str, str] = {}

    def _q(self, sql: str, **params: Any) -> list[Any]:
        from sqlalchemy import text

        with self.engine.connect() as conn:
            return list(conn.execute(text(sql), params))

    def _kv(self, table: str, key_col: str, where: str, **params: Any) -> dict[str, str]:
        return {str(r[0]): str(r[1]) for r in self._q(f"SELECT {key_col}, value FROM {table} WHERE {where}", **params)}

    def experiments(self) -> list[Experiment]:
        out = []
        for r in self._q("SELECT experiment_id, name, artifact_location, lifecycle_stage, creation_time, "
                         "last_update_time FROM experiments ORDER BY experiment_id"):
            out.append(Experiment(
                experiment_id=str(r[0]), name=r[1], artifact_location=r[2] or "", lifecycle_stage=r[3],
                creation_time=r[4], last_update_time=r[5],
                tags=self._kv("experiment_tags", "key", "experiment_id = :e", e=r[0]),
            ))
        return out

    def runs(self, experiment_id: str) -> list[Run]:
        out = []
        for r in self._q("SELECT run_uuid, name, user_id, status, start_time, end_time, lifecycle_stage, "
                         "artifact_uri FROM runs WHERE experiment_id = :e ORDER BY start_time, run_uuid",
                         e=int(experiment_id)):
            rid = r[0]
            self._artifact[rid] = r[7] or ""
            metrics = {}
            for k, v, nan in self._q("SELECT key, value, is_nan FROM latest_metrics WHERE run_uuid = :r", r=rid):
                metrics[k] = math.nan if nan else float(v)
            info = RunInfo(run_id=rid, experiment_id=str(experiment_id), run_name=r[1] or "",
                           user_id=r[2] or "", status=r[3], start_time=int(r[4] or 0), end_time=r[5],
                           artifact_uri=r[7] or "", lifecycle_stage=r[6])
            out.append(Run(info, RunData(
                metrics, self._kv("params", "key", "run_uuid = :r", r=rid),
                self._kv("tags", "key", "run_uuid = :r", r=rid))))
        return out

    def metric_history(self, run_id: str, key: str) -> list[Metric]:
        rows = self._q("SELECT value, timestamp, step, is_nan FROM metrics WHERE run_uuid = :r AND key = :k "
                       "ORDER BY timestamp, step", r=run_id, k=key)
        return [Metric(key, math.nan if nan else float(v), int(ts), int(step)) for v, ts, step, nan in rows]

    def run_inputs(self, run_id: str) -> list[DatasetInput]:
        if "inputs" not in self.tables:
            return []
        out = []
        for input_uuid, name, digest, stype, source, schema, profile in self._q(
            "SELECT i.input_uuid, d.name, d.digest, d.dataset_source_type, d.dataset_source, d.dataset_schema, "
            "d.dataset_profile FROM inputs i JOIN datasets d ON d.dataset_uuid = i.source_id "
            "WHERE i.destination_id = :r AND i.source_type = 'DATASET' AND i.destination_type = 'RUN'", r=run_id,
        ):
            tags = [InputTag(str(k), str(v)) for k, v in
                    self._q("SELECT name, value FROM input_tags WHERE input_uuid = :i", i=input_uuid)]
            out.append(DatasetInput(Dataset(name, digest, stype, source, schema, profile), tags))
        return out

    def artifact_dir(self, owner_id: str) -> Path | None:
        return _local_path(self._artifact.get(owner_id), self.remap)

    def logged_models(self) -> list[LoggedModel]:
        if "logged_models" not in self.tables:
            return []
        out = []
        for r in self._q("SELECT model_id, experiment_id, name, artifact_location, creation_timestamp_ms, "
                         "last_updated_timestamp_ms, status, lifecycle_stage, model_type, source_run_id, "
                         "status_message FROM logged_models ORDER BY creation_timestamp_ms"):
            if r[7] != "active":
                self.skipped.append(Skipped(f"logged model {r[0]}", "it is deleted in MLflow"))
                continue
            self._artifact[r[0]] = r[3] or ""
            n_metrics = self._q("SELECT COUNT(*) FROM logged_model_metrics WHERE model_id = :m", m=r[0])[0][0]
            if n_metrics:
                self.skipped.append(Skipped(f"metrics of logged model {r[0]}",
                                            "Archivist keeps metrics on runs; they are in the source run's history"))
            out.append(LoggedModel(
                model_id=r[0], experiment_id=str(r[1]), name=r[2], artifact_location=r[3] or "",
                creation_timestamp=int(r[4] or 0), last_updated_timestamp=int(r[5] or 0),
                status=_MODEL_STATUS.get(r[6], str(r[6])) if isinstance(r[6], int) else str(r[6]),
                source_run_id=r[9], model_type=r[8], status_message=r[10],
                tags={str(k): str(v) for k, v in self._q(
                    "SELECT tag_key, tag_value FROM logged_model_tags WHERE model_id = :m", m=r[0])},
                params={str(k): str(v) for k, v in self._q(
                    "SELECT param_key, param_value FROM logged_model_params WHERE model_id = :m", m=r[0])},
            ))
        return out

    def registered_models(self) -> list[RegisteredModel]:
        if "registered_models" not in self.tables:
            return []
        out = []
        for name, created, updated, desc in self._q(
            "SELECT name, creation_time, last_updated_time, description FROM registered_models ORDER BY name"
        ):
            aliases = {str(a): str(v) for a, v in self._q(
                "SELECT alias, version FROM registered_model_aliases WHERE name = :n", n=name)}
            out.append(RegisteredModel(name=name, creation_timestamp=created, last_updated_timestamp=updated,
                                       description=desc, tags=self._kv("registered_model_tags", "key", "name = :n", n=name),
                                       aliases=aliases))
        return out

    def model_versions(self, name: str) -> list[ModelVersion]:
        alias_rows = self._q("SELECT alias, version FROM registered_model_aliases WHERE name = :n", n=name)
        out = []
        for r in self._q("SELECT version, creation_time, last_updated_time, description, user_id, current_stage, "
                         "source, run_id, status, status_message, run_link FROM model_versions WHERE name = :n "
                         "AND current_stage != 'Deleted_Internal' ORDER BY version", n=name):
            tags = {str(k): str(v) for k, v in self._q(
                "SELECT key, value FROM model_version_tags WHERE name = :n AND version = :v", n=name, v=r[0])}
            d = dict(zip(("version", "creation_time", "last_updated_time", "description", "user_id",
                          "current_stage", "source", "run_id", "status", "status_message", "run_link"), r, strict=True))
            out.append(_model_version(name, d, tags, [a for a, v in alias_rows if str(v) == str(r[0])]))
        return out


def open_reader(source: str, artifact_remap: tuple[str, str] | None = None) -> MlflowReader:
    """A reader for ``source``: an ``mlruns/`` folder, a database URI, or an error saying which to give."""
    if source.startswith(("http://", "https://")):
        raise InvalidArgument(
            f"importing from a running MLflow server ({source}) is not supported yet; point "
            "`archivist import mlflow` at the server's backend store instead (its mlruns/ folder "
            "or its database URI, with --artifact-root for its artifacts)"
        )
    if source.startswith(("sqlite:", "postgresql", "mysql", "mssql")):
        return SqlReader(source, artifact_remap)
    path = source[len("file://"):] if source.startswith("file://") else source
    if path.endswith(".db") and Path(path).is_file():
        return SqlReader(f"sqlite:///{Path(path).absolute()}", artifact_remap)
    return FileStoreReader(path, artifact_remap)

