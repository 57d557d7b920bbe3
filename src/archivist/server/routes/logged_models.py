"""MLflow 3 logged models: create, get, finalize, search, tags, params, delete.

``mlflow.<flavor>.log_model`` has no fallback for these: without them it fails.
"""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute

from archivist.errors import InvalidArgument
from archivist.server.routing import Call, api, paged
from archivist.server.schemas import logged_model_json
from archivist.stores.tracking.logged_models import LoggedModelSql

__all__ = ["routes"]

_FINAL = {"LOGGED_MODEL_READY": "READY", "LOGGED_MODEL_UPLOAD_FAILED": "FAILED",
          "READY": "READY", "FAILED": "FAILED", "2": "READY", "3": "FAILED"}
MAX_SEARCH = 50_000


def _kv(call: Call, field: str) -> dict[str, str]:
    return {i.required("key"): i.text("value", default="") or "" for i in call.msg.objects(field)}


def create_logged_model(call: Call) -> dict[str, Any]:
    model = call.stores.tracking.create_logged_model(
        call.msg.required("experiment_id"),
        call.msg.text("name") or "model",
        source_run_id=call.msg.text("source_run_id"),
        model_type=call.msg.text("model_type"),
        params=_kv(call, "params"),
        tags=_kv(call, "tags"),
    )
    return {"model": logged_model_json(model)}


def get_logged_model(call: Call) -> dict[str, Any]:
    model_id = call.path["model_id"]
    if call.msg.flag("allow_deleted"):
        found = call.stores.tracking.get_logged_models([model_id])  # deleted ones too
        if found:
            return {"model": logged_model_json(found[0])}
    return {"model": logged_model_json(call.stores.tracking.get_logged_model(model_id))}


def finalize_logged_model(call: Call) -> dict[str, Any]:
    raw = call.msg.required("status")
    status = _FINAL.get(raw.upper())
    if status is None:
        raise InvalidArgument(
            f"status {raw!r} is not a final state; use LOGGED_MODEL_READY or "
            "LOGGED_MODEL_UPLOAD_FAILED"
        )
    model = call.stores.tracking.finalize_logged_model(call.path["model_id"], status)
    return {"model": logged_model_json(model)}


def delete_logged_model(call: Call) -> dict[str, Any]:
    call.stores.tracking.delete_logged_model(call.path["model_id"])
    return {}


def set_logged_model_tags(call: Call) -> dict[str, Any]:
    model_id = call.path["model_id"]
    call.stores.tracking.set_logged_model_tags(model_id, _kv(call, "tags"))
    return {"model": logged_model_json(call.stores.tracking.get_logged_model(model_id))}


def delete_logged_model_tag(call: Call) -> dict[str, Any]:
    call.stores.tracking.get_logged_model(call.path["model_id"])
    LoggedModelSql(call.stores.tracking.db).delete_tag(call.path["model_id"], call.path["key"])
    return {}


def log_logged_model_params(call: Call) -> dict[str, Any]:
    call.stores.tracking.get_logged_model(call.path["model_id"])
    LoggedModelSql(call.stores.tracking.db).add_params(call.path["model_id"], _kv(call, "params"))
    return {}


def search_logged_models(call: Call) -> dict[str, Any]:
    from archivist.stores.tracking.sql import _decode_token, _encode_token, _experiment_int

    experiment_ids = call.msg.texts("experiment_ids")
    if not experiment_ids:
        raise InvalidArgument("field 'experiment_ids' is required: give at least one experiment")
    max_results = call.msg.integer("max_results", default=100) or 100
    if not 1 <= max_results <= MAX_SEARCH:
        raise InvalidArgument(f"max_results={max_results} must be from 1 to {MAX_SEARCH}")
    order = [
        {"field_name": o.required("field_name"), "ascending": o.flag("ascending", default=True),
         **{k: o.text(k) for k in ("dataset_name", "dataset_digest") if o.text(k)}}
        for o in call.msg.objects("order_by")
    ]
    datasets = [
        {k: d.text(k) for k in ("dataset_name", "dataset_digest") if d.text(k)}
        for d in call.msg.objects("datasets")
    ]
    offset = _decode_token(call.msg.text("page_token"))
    tracking = call.stores.tracking
    found, more = LoggedModelSql(tracking.db).search(
        [_experiment_int(e) for e in experiment_ids], call.msg.text("filter"), datasets or None,
        max_results, order or None, offset, tracking.dialect,
    )
    token = _encode_token(offset + max_results) if more else None
    return paged("models", tracking.get_logged_models(found), token, logged_model_json)


routes: list[BaseRoute] = [
    api("/logged-models", create_logged_model, ["POST"]),
    api("/logged-models/search", search_logged_models, ["POST"]),
    api("/logged-models/{model_id}", get_logged_model, ["GET"]),
    api("/logged-models/{model_id}", finalize_logged_model, ["PATCH"]),
    api("/logged-models/{model_id}", delete_logged_model, ["DELETE"]),
    api("/logged-models/{model_id}/tags", set_logged_model_tags, ["PATCH"]),
    api("/logged-models/{model_id}/tags/{key:path}", delete_logged_model_tag, ["DELETE"]),
    api("/logged-models/{model_id}/params", log_logged_model_params, ["POST"]),
]
