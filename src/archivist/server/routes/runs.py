"""Runs: create, get, update, delete, restore, search, params, tags, log_batch, inputs, outputs."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from starlette.routing import BaseRoute

from archivist.entities import (
    Dataset,
    DatasetInput,
    InputTag,
    LoggedModelInput,
    Metric,
    Param,
    RunTag,
)
from archivist.errors import InvalidArgument
from archivist.server.messages import Message
from archivist.server.routes.experiments import view_type
from archivist.server.routing import Call, api, paged
from archivist.server.schemas import run_info_json, run_json

__all__ = ["routes"]

_STATUS_NUMBERS = {"1": "RUNNING", "2": "SCHEDULED", "3": "FINISHED", "4": "FAILED", "5": "KILLED"}
MAX_SEARCH_RESULTS = 50_000


def _now_ms() -> int:
    return int(time.time() * 1000)


def _tag_list(items: list[Message]) -> list[RunTag]:
    return [RunTag(t.required("key"), t.text("value", default="") or "") for t in items]


def _metric(m: Message, run_id: str) -> Metric:
    value = m.number("value", required=True)
    assert value is not None
    return Metric(
        m.required("key"), value,
        m.integer("timestamp", default=None) or _now_ms(),
        m.integer("step", default=0) or 0,
        model_id=m.text("model_id"), dataset_name=m.text("dataset_name"),
        dataset_digest=m.text("dataset_digest"), run_id=run_id,
    )


def _log(call: Call, run_id: str, metrics: Sequence[Metric], params: Sequence[Param] = (),
         tags: Sequence[RunTag] = ()) -> None:
    """log_batch, and points carrying a model_id linked to that logged model too."""
    linked = [m for m in metrics if m.model_id]
    for model_id in sorted({str(m.model_id) for m in linked}):
        call.stores.tracking.get_logged_model(model_id)  # before anything is logged
    call.stores.tracking.log_batch(run_id, metrics, params, tags)
    if linked:
        from archivist.stores.tracking.logged_models import LoggedModelSql

        LoggedModelSql(call.stores.tracking.db).log_metrics(linked)


def create_run(call: Call) -> dict[str, Any]:
    tags = _tag_list(call.msg.objects("tags"))
    user = call.msg.text("user_id") or next(
        (t.value for t in tags if t.key == "mlflow.user"), ""
    )
    run = call.stores.tracking.create_run(
        call.msg.text("experiment_id", default="0") or "0",
        user,
        call.msg.integer("start_time", default=None) or _now_ms(),
        tags,
        call.msg.text("run_name"),
    )
    return {"run": run_json(run)}


def get_run(call: Call) -> dict[str, Any]:
    return {"run": run_json(call.stores.tracking.get_run(call.msg.run_id()))}


def update_run(call: Call) -> dict[str, Any]:
    status = call.msg.text("status")
    if status is not None:
        status = _STATUS_NUMBERS.get(status, status)
    info = call.stores.tracking.update_run_info(
        call.msg.run_id(), status, call.msg.integer("end_time"), call.msg.text("run_name")
    )
    return {"run_info": run_info_json(info)}


def delete_run(call: Call) -> dict[str, Any]:
    call.stores.tracking.delete_run(call.msg.run_id())
    return {}


def restore_run(call: Call) -> dict[str, Any]:
    call.stores.tracking.restore_run(call.msg.run_id())
    return {}


def log_metric(call: Call) -> dict[str, Any]:
    run_id = call.msg.run_id()
    _log(call, run_id, [_metric(call.msg, run_id)])
    return {}


def log_param(call: Call) -> dict[str, Any]:
    param = Param(call.msg.required("key"), call.msg.text("value", default="") or "")
    call.stores.tracking.log_batch(call.msg.run_id(), params=[param])
    return {}


def set_tag(call: Call) -> dict[str, Any]:
    tag = RunTag(call.msg.required("key"), call.msg.text("value", default="") or "")
    call.stores.tracking.log_batch(call.msg.run_id(), tags=[tag])
    return {}


def delete_tag(call: Call) -> dict[str, Any]:
    call.stores.tracking.delete_tag(call.msg.run_id(), call.msg.required("key"))
    return {}


def log_batch(call: Call) -> dict[str, Any]:
    run_id = call.msg.run_id()
    metrics = [_metric(m, run_id) for m in call.msg.objects("metrics")]
    params = [Param(p.required("key"), p.text("value", default="") or "")
              for p in call.msg.objects("params")]
    tags = _tag_list(call.msg.objects("tags"))
    if metrics or params or tags:
        _log(call, run_id, metrics, params, tags)
    else:
        call.stores.tracking.get_run(run_id)
    return {}


def search_runs(call: Call) -> dict[str, Any]:
    max_results = call.msg.integer("max_results", default=1000) or 1000
    if max_results > MAX_SEARCH_RESULTS:
        raise InvalidArgument(
            f"max_results={max_results} is over the limit of {MAX_SEARCH_RESULTS}; page "
            "through results with page_token"
        )
    page = call.stores.tracking.search_runs(
        call.msg.texts("experiment_ids"),
        call.msg.text("filter"),
        view_type(call, "run_view_type"),
        max_results,
        call.msg.texts("order_by") or None,
        call.msg.text("page_token"),
    )
    return paged("runs", page.items, page.next_page_token, run_json)


def log_inputs(call: Call) -> dict[str, Any]:
    datasets = []
    for item in call.msg.objects("datasets"):
        ds = item.obj("dataset")
        if ds is None:
            raise InvalidArgument("each entry of 'datasets' needs a 'dataset' object")
        datasets.append(DatasetInput(
            Dataset(
                name=ds.required("name"), digest=ds.required("digest"),
                source_type=ds.required("source_type"), source=ds.required("source"),
                schema=ds.text("schema"), profile=ds.text("profile"),
            ),
            [InputTag(t.required("key"), t.text("value", default="") or "")
             for t in item.objects("tags")],
        ))
    models = [LoggedModelInput(m.required("model_id")) for m in call.msg.objects("models")]
    for model in models:
        call.stores.tracking.get_logged_model(model.model_id)
    call.stores.tracking.log_inputs(call.msg.run_id(), datasets, models)
    return {}


def log_outputs(call: Call) -> dict[str, Any]:
    run = call.stores.tracking.get_run(call.msg.run_id())
    for m in call.msg.objects("models"):
        model = call.stores.tracking.get_logged_model(m.required("model_id"))
        if model.experiment_id != run.info.experiment_id:
            raise InvalidArgument(
                f"logged model {model.model_id} belongs to experiment {model.experiment_id}, "
                f"not to run {run.info.run_id}'s experiment {run.info.experiment_id}"
            )
    return {}


def log_model_legacy(call: Call) -> dict[str, Any]:
    # MLflow 2's runs/log-model records model metadata as a run tag; the client ignores
    # errors from it, and logged models carry the same facts now.
    call.stores.tracking.get_run(call.msg.run_id())
    return {}


routes: list[BaseRoute] = [
    api("/runs/create", create_run, ["POST"]),
    api("/runs/get", get_run, ["GET"]),
    api("/runs/update", update_run, ["POST"]),
    api("/runs/delete", delete_run, ["POST"]),
    api("/runs/restore", restore_run, ["POST"]),
    api("/runs/log-metric", log_metric, ["POST"]),
    api("/runs/log-parameter", log_param, ["POST"]),
    api("/runs/set-tag", set_tag, ["POST"]),
    api("/runs/delete-tag", delete_tag, ["POST"]),
    api("/runs/log-batch", log_batch, ["POST"]),
    api("/runs/search", search_runs, ["POST"]),
    api("/runs/log-inputs", log_inputs, ["POST"]),
    api("/runs/outputs", log_outputs, ["POST"]),
    api("/runs/log-model", log_model_legacy, ["POST"]),
]
