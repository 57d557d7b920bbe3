"""The tracking store over HTTP: the same interface as the SQL store, against a server.

MLflow's REST API (``/api/2.0/mlflow/...``) carries experiments, runs, metrics, params,
tags and logged models; Archivist's own endpoints (``/api/archivist/v1``) carry artifact
trees, keeping ids on push, and the dedup-aware blob transfer
(:mod:`archivist.stores.artifacts.remote`). Metrics and tags may be queued and sent in the
background (:mod:`archivist.stores.tracking.sender`); every other call first waits for
them, so reads see every write made before them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from archivist.entities import (
    Experiment,
    LoggedModel,
    Metric,
    Param,
    Run,
    RunData,
    RunInfo,
    RunTag,
    TreeEntry,
    ViewType,
)
from archivist.errors import InvalidArgument, ResourceNotFound
from archivist.stores.tracking.base import Page
from archivist.validation import check_int, check_key, check_metric_value, check_tag_value

if TYPE_CHECKING:
    from archivist._http import HttpClient
    from archivist.stores.registry.rest import RestRegistryStore
    from archivist.stores.tracking.sender import BatchSender

__all__ = ["NATIVE", "RestTrackingStore"]

API = "/api/2.0/mlflow"
NATIVE = "/api/archivist/v1"
_MODEL_STATUS = {"LOGGED_MODEL_PENDING": "PENDING", "LOGGED_MODEL_READY": "READY",
                 "LOGGED_MODEL_UPLOAD_FAILED": "FAILED"}
_TO_MODEL_STATUS = {"READY": "LOGGED_MODEL_READY", "FAILED": "LOGGED_MODEL_UPLOAD_FAILED"}


# ------------------------------------------------------------------ JSON <-> entities
def number(value: Any) -> float:
    if isinstance(value, str):
        return float({"NaN": "nan", "Infinity": "inf", "-Infinity": "-inf"}.get(value, value))
    return float(value)


def _json_number(value: float) -> float | str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def kv(items: Iterable[dict[str, Any]] | None) -> dict[str, str]:
    return {i["key"]: str(i.get("value", "")) for i in items or ()}


def kv_json(mapping: dict[str, str] | Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    pairs = mapping.items() if isinstance(mapping, dict) else mapping
    return [{"key": k, "value": v} for k, v in pairs]


def _int(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


def experiment_from(d: dict[str, Any]) -> Experiment:
    return Experiment(
        experiment_id=str(d["experiment_id"]),
        name=d.get("name", ""),
        artifact_location=d.get("artifact_location", ""),
        lifecycle_stage=d.get("lifecycle_stage", "active"),
        creation_time=_int(d.get("creation_time")),
        last_update_time=_int(d.get("last_update_time")),
        tags=kv(d.get("tags")),
    )


def run_info_from(i: dict[str, Any]) -> RunInfo:
    return RunInfo(
        run_id=i.get("run_id") or i["run_uuid"],
        experiment_id=str(i.get("experiment_id", "")),
        run_name=i.get("run_name", ""),
        user_id=i.get("user_id", ""),
        status=i.get("status", "RUNNING"),
        start_time=int(i.get("start_time") or 0),
        end_time=_int(i.get("end_time")),
        artifact_uri=i.get("artifact_uri", ""),
        lifecycle_stage=i.get("lifecycle_stage", "active"),
    )


def run_from(d: dict[str, Any]) -> Run:
    data = d.get("data") or {}
    return Run(
        run_info_from(d["info"]),
        RunData(
            metrics={m["key"]: number(m["value"]) for m in data.get("metrics") or ()},
            params=kv(data.get("params")),
            tags=kv(data.get("tags")),
        ),
    )


def logged_model_from(d: dict[str, Any]) -> LoggedModel:
    info, data = d.get("info") or {}, d.get("data") or {}
    return LoggedModel(
        model_id=info["model_id"],
        experiment_id=str(info.get("experiment_id", "")),
        name=info.get("name", ""),
        artifact_location=info.get("artifact_uri", ""),
        creation_timestamp=int(info.get("creation_timestamp_ms") or 0),
        last_updated_timestamp=int(info.get("last_updated_timestamp_ms") or 0),
        status=_MODEL_STATUS.get(info.get("status", ""), info.get("status", "PENDING")),
        source_run_id=info.get("source_run_id"),
        model_type=info.get("model_type"),
        status_message=info.get("status_message"),
        tags=kv(info.get("tags")),
        params=kv(data.get("params")),
    )


def search_body(
    max_results: int,
    filter_string: str | None,
    order_by: Sequence[str] | None,
    page_token: str | None,
    **fields: Any,
) -> dict[str, Any]:
    """A search request's JSON: the given fields, plus filter/order/token when set."""
    body: dict[str, Any] = {"max_results": max_results, **fields}
    if filter_string:
        body["filter"] = filter_string
    if order_by:
        body["order_by"] = list(order_by)
    if page_token:
        body["page_token"] = page_token
    return body


def metric_json(m: Metric) -> dict[str, Any]:
    """A metric as MLflow's JSON, checked as the SQL store checks it (same errors)."""
    key = check_key(m.key, "metric")
    return {"key": key, "value": _json_number(check_metric_value(key, m.value)),
            "timestamp": check_int(key, "timestamp", m.timestamp),
            "step": check_int(key, "step", m.step or 0)}


def _checked_tags(tags: Sequence[RunTag]) -> list[RunTag]:
    return [RunTag(check_key(t.key, "tag"), check_tag_value(t.key, t.value)) for t in tags]


class RestTrackingStore:
    """A :class:`~archivist.stores.tracking.base.TrackingStore` on a tracking server.

    Args:
        uri: ``http(s)://host:port[/prefix]`` of an Archivist server.
    """

    def __init__(self, uri: str, *, http: HttpClient | None = None) -> None:
        from archivist._http import HttpClient

        self.uri = uri.rstrip("/")
        self.http = http or HttpClient(self.uri)
        self._sender: BatchSender | None = None

    # -- plumbing --------------------------------------------------------------------
    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        self.flush()
        if method == "GET":
            return self.http.call("GET", path, params=body or {})
        return self.http.call(method, path, json=body or {})

    def flush(self) -> None:
        """Wait for queued metrics and tags; raises a background error if one happened."""
        if self._sender is not None:
            self._sender.flush()

    def queue_batch(
        self, run_id: str, metrics: Sequence[Metric] = (), tags: Sequence[RunTag] = ()
    ) -> None:
        """Send metrics and tags in the background (see :mod:`.sender`).

        They are checked now: one bad point must not sink the batch it would be sent in.
        """
        from archivist.validation import check_run_id

        check_run_id(run_id)
        metrics = [Metric(d["key"], number(d["value"]), d["timestamp"], d["step"])
                   for d in map(metric_json, metrics)]
        tags = _checked_tags(tags)
        if self._sender is None:
            from archivist.stores.tracking.sender import BatchSender

            self._sender = BatchSender(self._send_batch, self.uri)
        self._sender.queue(run_id, metrics, tags)

    def open_registry(self) -> RestRegistryStore:
        from archivist.stores.registry.rest import RestRegistryStore

        return RestRegistryStore(self)

    # -- experiments -------------------------------------------------------------------
    def create_experiment(
        self, name: str, artifact_location: str | None = None, tags: dict[str, str] | None = None
    ) -> str:
        body: dict[str, Any] = {"name": name, "tags": kv_json(tags or {})}
        if artifact_location:
            body["artifact_location"] = artifact_location
        return str(self._call("POST", f"{API}/experiments/create", body)["experiment_id"])

    def get_experiment(self, experiment_id: str) -> Experiment:
        got = self._call("GET", f"{API}/experiments/get", {"experiment_id": str(experiment_id)})
        return experiment_from(got["experiment"])

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        try:
            got = self._call("GET", f"{API}/experiments/get-by-name", {"experiment_name": name})
        except ResourceNotFound:
            return None
        return experiment_from(got["experiment"])

    def search_experiments(
        self,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        filter_string: str | None = None,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> Page:
        body = search_body(max_results, filter_string, order_by, page_token,
                           view_type=ViewType(view_type).value)
        got = self._call("POST", f"{API}/experiments/search", body)
        return Page(
            [experiment_from(e) for e in got.get("experiments") or ()],
            got.get("next_page_token") or None,
        )

    def delete_experiment(self, experiment_id: str) -> None:
        self._call("POST", f"{API}/experiments/delete", {"experiment_id": str(experiment_id)})

    def restore_experiment(self, experiment_id: str) -> None:
        self._call("POST", f"{API}/experiments/restore", {"experiment_id": str(experiment_id)})

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        self._call("POST", f"{API}/experiments/update",
                   {"experiment_id": str(experiment_id), "new_name": new_name})

    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        self._call("POST", f"{API}/experiments/set-experiment-tag",
                   {"experiment_id": str(experiment_id), "key": key, "value": value})

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        self._call("POST", f"{API}/experiments/delete-experiment-tag",
                   {"experiment_id": str(experiment_id), "key": key})

    # -- runs ------------------------------------------------------------------------------
    def create_run(
        self,
        experiment_id: str,
        user_id: str,
        start_time: int,
        tags: Sequence[RunTag],
        run_name: str | None,
        run_id: str | None = None,
    ) -> Run:
        body: dict[str, Any] = {
            "experiment_id": str(experiment_id), "user_id": user_id, "start_time": start_time,
            "tags": [{"key": t.key, "value": t.value} for t in tags],
        }
        if run_name:
            body["run_name"] = run_name
        if run_id is None:
            return run_from(self._call("POST", f"{API}/runs/create", body)["run"])
        body["run_id"] = run_id
        self._call("POST", f"{NATIVE}/runs/import", body)
        return self.get_run(run_id)

    def get_run(self, run_id: str) -> Run:
        return run_from(self._call("GET", f"{API}/runs/get", {"run_id": run_id})["run"])

    def update_run_info(
        self, run_id: str, status: str | None, end_time: int | None, run_name: str | None
    ) -> RunInfo:
        body: dict[str, Any] = {"run_id": run_id}
        if status is not None:
            body["status"] = status
        if end_time is not None:
            body["end_time"] = end_time
        if run_name:
            body["run_name"] = run_name
        return run_info_from(self._call("POST", f"{API}/runs/update", body)["run_info"])

    def delete_run(self, run_id: str) -> None:
        self._call("POST", f"{API}/runs/delete", {"run_id": run_id})

    def restore_run(self, run_id: str) -> None:
        self._call("POST", f"{API}/runs/restore", {"run_id": run_id})

    def _send_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric],
        params: Sequence[Param],
        tags: Sequence[RunTag],
    ) -> None:
        body: dict[str, Any] = {"run_id": run_id}
        if metrics:
            body["metrics"] = [metric_json(m) for m in metrics]
        if params:
            body["params"] = [{"key": p.key, "value": p.value} for p in params]
        if tags:
            body["tags"] = [{"key": t.key, "value": t.value} for t in tags]
        self.http.call("POST", f"{API}/runs/log-batch", json=body)

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        self.flush()
        self._send_batch(run_id, metrics, params, tags)

    def delete_tag(self, run_id: str, key: str) -> None:
        self._call("POST", f"{API}/runs/delete-tag", {"run_id": run_id, "key": key})

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        out: list[Metric] = []
        token: str | None = None
        while True:
            body: dict[str, Any] = {"run_id": run_id, "metric_key": key, "max_results": 25_000}
            if token:
                body["page_token"] = token
            got = self._call("GET", f"{API}/metrics/get-history", body)
            out.extend(
                Metric(m["key"], number(m["value"]), int(m.get("timestamp") or 0),
                       int(m.get("step") or 0))
                for m in got.get("metrics") or ()
            )
            token = got.get("next_page_token")
            if not token:
                return out

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> Page:
        body = search_body(max_results, filter_string, order_by, page_token,
                           experiment_ids=[str(e) for e in experiment_ids],
                           run_view_type=ViewType(view_type).value)
        got = self._call("POST", f"{API}/runs/search", body)
        return Page([run_from(r) for r in got.get("runs") or ()], got.get("next_page_token") or None)

    # -- logged models ---------------------------------------------------------------------
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
        body: dict[str, Any] = {
            "experiment_id": str(experiment_id), "name": name,
            "params": kv_json(params or {}), "tags": kv_json(tags or {}),
        }
        if source_run_id:
            body["source_run_id"] = source_run_id
        if model_type:
            body["model_type"] = model_type
        if model_id is None:
            return logged_model_from(self._call("POST", f"{API}/logged-models", body)["model"])
        body["model_id"] = model_id
        self._call("POST", f"{NATIVE}/logged-models/import", body)
        return self.get_logged_model(model_id)

    def finalize_logged_model(self, model_id: str, status: str) -> LoggedModel:
        if status not in _TO_MODEL_STATUS:
            raise InvalidArgument(f"logged model status {status!r} is unknown; use READY or FAILED")
        got = self._call("PATCH", f"{API}/logged-models/{model_id}",
                         {"model_id": model_id, "status": _TO_MODEL_STATUS[status]})
        return logged_model_from(got["model"])

    def set_logged_model_tags(self, model_id: str, tags: dict[str, str]) -> None:
        self._call("PATCH", f"{API}/logged-models/{model_id}/tags",
                   {"model_id": model_id, "tags": kv_json(tags)})

    def get_logged_model(self, model_id: str) -> LoggedModel:
        from archivist.validation import check_model_id

        check_model_id(model_id)
        return logged_model_from(self._call("GET", f"{API}/logged-models/{model_id}")["model"])

    def find_logged_model(self, run_id: str, name: str) -> LoggedModel | None:
        got = self._call("GET", f"{NATIVE}/logged-models/find", {"run_id": run_id, "name": name})
        return self.get_logged_model(got["model_id"]) if got.get("model_id") else None

    def search_logged_models(
        self, experiment_ids: Sequence[str], max_results: int = 1000
    ) -> list[LoggedModel]:
        out: list[LoggedModel] = []
        token: str | None = None
        while len(out) < max_results:
            body: dict[str, Any] = {
                "experiment_ids": [str(e) for e in experiment_ids],
                "max_results": min(1000, max_results - len(out)),
                "order_by": [{"field_name": "creation_timestamp", "ascending": False}],
            }
            if token:
                body["page_token"] = token
            got = self._call("POST", f"{API}/logged-models/search", body)
            out.extend(logged_model_from(m) for m in got.get("models") or ())
            token = got.get("next_page_token")
            if not token:
                break
        return out

    def link_metrics_to_model(self, metrics: Sequence[Metric]) -> None:
        """Record points (each with ``model_id``) as their logged model's metrics."""
        by_model: dict[str, list[dict[str, Any]]] = {}
        for m in metrics:
            d = metric_json(m)
            for field in ("run_id", "dataset_name", "dataset_digest"):
                if getattr(m, field, None):
                    d[field] = getattr(m, field)
            by_model.setdefault(str(m.model_id), []).append(d)
        for model_id, points in by_model.items():
            self._call("POST", f"{NATIVE}/logged-models/{model_id}/metrics", {"metrics": points})

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        from urllib.parse import quote

        self._call("DELETE", f"{API}/logged-models/{model_id}/tags/{quote(key, safe='')}",
                   {"model_id": model_id})

    def log_logged_model_params(self, model_id: str, params: dict[str, str]) -> None:
        self._call("POST", f"{API}/logged-models/{model_id}/params",
                   {"model_id": model_id, "params": kv_json(params)})

    def search_logged_models_page(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None,
        datasets: Sequence[dict[str, Any]] | None,
        max_results: int,
        order_by: Sequence[Any] | None,
        page_token: str | None,
    ) -> tuple[list[LoggedModel], str | None]:
        """One page of MLflow's ``logged-models/search``."""
        order = [
            o if isinstance(o, dict) else {
                "field_name": str(o).split()[0],
                "ascending": not str(o).upper().endswith(" DESC"),
            }
            for o in order_by or ()
        ]
        body = search_body(max_results, filter_string, None, page_token,
                           experiment_ids=[str(e) for e in experiment_ids])
        if order:
            body["order_by"] = order
        if datasets:
            body["datasets"] = list(datasets)
        got = self._call("POST", f"{API}/logged-models/search", body)
        return ([logged_model_from(m) for m in got.get("models") or ()],
                got.get("next_page_token") or None)

    def delete_logged_model(self, model_id: str) -> None:
        self._call("DELETE", f"{API}/logged-models/{model_id}", {"model_id": model_id})

    # -- artifact trees ---------------------------------------------------------------------
    def put_tree_entries(
        self,
        owner_id: str,
        entries: Sequence[TreeEntry],
        *,
        ensure: Callable[[list[str]], object] | None = None,
    ) -> None:
        # ``ensure`` is for a local blob store; the server checks its own blobs when it
        # commits (and answers which are missing)
        del ensure
        if entries:
            self._call("POST", f"{NATIVE}/owners/{owner_id}/entries", {
                "entries": [{"path": e.path, "digest": e.digest, "size": e.size} for e in entries]
            })

    def list_tree_entries(self, owner_id: str, prefix: str = "") -> list[TreeEntry]:
        got = self._call("GET", f"{NATIVE}/owners/{owner_id}/entries", {"prefix": prefix})
        return [TreeEntry(e["path"], e["digest"], int(e["size"])) for e in got.get("entries") or ()]

    def delete_tree_entries(self, owner_id: str, prefix: str = "") -> int:
        got = self._call("DELETE", f"{NATIVE}/owners/{owner_id}/entries", {"prefix": prefix})
        return int(got.get("deleted", 0))

    def referenced_digests(self) -> set[str]:
        raise InvalidArgument(
            f"{self.uri} is a tracking server: gc and verify run on the server itself "
            "('archivist gc' / 'archivist verify' with its --backend-store-uri)"
        )
