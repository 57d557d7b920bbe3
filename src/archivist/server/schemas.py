"""Entities as the JSON shapes of MLflow's REST API (snake_case, int64 as numbers)."""

from __future__ import annotations

from typing import Any

from archivist.entities import Experiment, LoggedModel, Metric, Run, RunData, RunInfo
from archivist.entities.registry import ModelVersion, RegisteredModel
from archivist.server.routing import json_number

__all__ = [
    "experiment_json",
    "logged_model_json",
    "metric_json",
    "model_version_json",
    "registered_model_json",
    "run_info_json",
    "run_json",
    "tags_json",
]


def tags_json(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in tags.items()]


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def experiment_json(e: Experiment) -> dict[str, Any]:
    return _drop_none({
        "experiment_id": e.experiment_id,
        "name": e.name,
        "artifact_location": e.artifact_location,
        "lifecycle_stage": e.lifecycle_stage,
        "creation_time": e.creation_time,
        "last_update_time": e.last_update_time,
        "tags": tags_json(e.tags),
    })


def run_info_json(i: RunInfo) -> dict[str, Any]:
    return _drop_none({
        "run_id": i.run_id,
        "run_uuid": i.run_id,
        "run_name": i.run_name,
        "experiment_id": i.experiment_id,
        "user_id": i.user_id,
        "status": i.status,
        "start_time": i.start_time,
        "end_time": i.end_time,
        "artifact_uri": i.artifact_uri,
        "lifecycle_stage": i.lifecycle_stage,
    })


def inputs_json(run: Run) -> dict[str, Any]:
    inputs = run.inputs
    out: dict[str, Any] = {}
    if inputs.dataset_inputs:
        out["dataset_inputs"] = [
            {
                "tags": [{"key": t.key, "value": t.value} for t in di.tags],
                "dataset": _drop_none({
                    "name": di.dataset.name, "digest": di.dataset.digest,
                    "source_type": di.dataset.source_type, "source": di.dataset.source,
                    "schema": di.dataset.schema, "profile": di.dataset.profile,
                }),
            }
            for di in inputs.dataset_inputs
        ]
    if inputs.model_inputs:
        out["model_inputs"] = [{"model_id": m.model_id} for m in inputs.model_inputs]
    return out


def _latest_json(data: RunData, key: str, value: float) -> dict[str, Any]:
    point = data.latest_metrics.get(key)
    return {
        "key": key, "value": json_number(value),
        "timestamp": point.timestamp if point else 0, "step": point.step if point else 0,
    }


def run_json(run: Run) -> dict[str, Any]:
    d = run.data
    return {
        "info": run_info_json(run.info),
        "data": {
            "metrics": [_latest_json(d, k, v) for k, v in d.metrics.items()],
            "params": tags_json(d.params),
            "tags": tags_json(d.tags),
        },
        "inputs": inputs_json(run),
    }


def metric_json(m: Metric, run_id: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "key": m.key, "value": json_number(float(m.value)), "timestamp": m.timestamp,
        "step": m.step,
    }
    if run_id is not None:
        out["run_id"] = run_id
    return out


_MODEL_STATUS = {"PENDING": "LOGGED_MODEL_PENDING", "READY": "LOGGED_MODEL_READY",
                 "FAILED": "LOGGED_MODEL_UPLOAD_FAILED"}


def logged_model_json(m: LoggedModel) -> dict[str, Any]:
    info = _drop_none({
        "model_id": m.model_id,
        "experiment_id": m.experiment_id,
        "name": m.name,
        "creation_timestamp_ms": m.creation_timestamp,
        "last_updated_timestamp_ms": m.last_updated_timestamp,
        "artifact_uri": m.artifact_location,
        "status": _MODEL_STATUS.get(m.status, m.status),
        "status_message": m.status_message,
        "model_type": m.model_type,
        "source_run_id": m.source_run_id,
        "tags": tags_json(m.tags),
    })
    metrics = []
    for p in m.metrics:
        point = metric_json(p, getattr(p, "run_id", None))
        point.update({k: v for k in ("model_id", "dataset_name", "dataset_digest")
                      if (v := getattr(p, k, None))})
        metrics.append(point)
    return {"info": info, "data": {"params": tags_json(m.params), "metrics": metrics}}


def model_version_json(v: ModelVersion) -> dict[str, Any]:
    return _drop_none({
        "name": v.name,
        "version": v.version,
        "creation_timestamp": v.creation_timestamp,
        "last_updated_timestamp": v.last_updated_timestamp,
        "user_id": v.user_id,
        "current_stage": v.current_stage,
        "description": v.description,
        "source": v.source,
        "run_id": v.run_id,
        "status": v.status,
        "status_message": v.status_message,
        "tags": tags_json(v.tags),
        "run_link": v.run_link,
        "aliases": list(v.aliases),
        "model_id": v.model_id,
    })


def registered_model_json(m: RegisteredModel) -> dict[str, Any]:
    return _drop_none({
        "name": m.name,
        "creation_timestamp": m.creation_timestamp,
        "last_updated_timestamp": m.last_updated_timestamp,
        "description": m.description,
        "latest_versions": [model_version_json(v) for v in m.latest_versions],
        "tags": tags_json(m.tags),
        "aliases": [{"alias": a, "version": v} for a, v in m.aliases.items()],
    })
