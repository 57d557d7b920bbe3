"""Metric histories: one run's (paged) and several runs' sampled over a step range."""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute

from archivist.entities import Metric
from archivist.errors import InvalidArgument
from archivist.server.routing import Call, api, page_of, paged
from archivist.server.schemas import metric_json

__all__ = ["routes", "sample_steps"]

MAX_HISTORY_PAGE = 25_000
MAX_BULK_RUNS = 100
MAX_BULK_RESULTS = 2500


def get_metric_history(call: Call) -> dict[str, Any]:
    history = call.stores.tracking.get_metric_history(
        call.msg.run_id(), call.msg.required("metric_key")
    )
    max_results = call.msg.integer("max_results")
    if max_results is None:
        return {"metrics": [metric_json(m) for m in history]}
    if not 1 <= max_results <= MAX_HISTORY_PAGE:
        raise InvalidArgument(f"max_results={max_results} must be from 1 to {MAX_HISTORY_PAGE}")
    page, token = page_of(history, call.msg.text("page_token"), max_results)
    return paged("metrics", page, token, metric_json)


def sample_steps(steps: list[int], max_results: int) -> set[int]:
    """At most ``max_results`` of ``steps`` (sorted, distinct), evenly spread, ends kept."""
    if len(steps) <= max_results:
        return set(steps)
    if max_results == 1:
        return {steps[0]}
    last = len(steps) - 1
    return {steps[round(i * last / (max_results - 1))] for i in range(max_results)}


def get_metric_history_bulk_interval(call: Call) -> dict[str, Any]:
    run_ids = call.msg.texts("run_ids")
    if not run_ids:
        raise InvalidArgument("field 'run_ids' is required: give one or more run ids")
    if len(run_ids) > MAX_BULK_RUNS:
        raise InvalidArgument(f"at most {MAX_BULK_RUNS} run_ids per request; got {len(run_ids)}")
    key = call.msg.required("metric_key")
    max_results = call.msg.integer("max_results", default=MAX_BULK_RESULTS) or MAX_BULK_RESULTS
    if not 1 <= max_results <= MAX_BULK_RESULTS:
        raise InvalidArgument(f"max_results must be between 1 and {MAX_BULK_RESULTS}")
    start, end = call.msg.integer("start_step"), call.msg.integer("end_step")
    if (start is None) != (end is None):
        raise InvalidArgument("give both start_step and end_step, or neither")
    if start is not None and end is not None and start > end:
        raise InvalidArgument(f"start_step {start} is after end_step {end}")
    out: list[dict[str, Any]] = []
    for run_id in run_ids:
        history: list[Metric] = call.stores.tracking.get_metric_history(run_id, key)
        if start is not None:
            history = [m for m in history if start <= m.step <= (end if end is not None else m.step)]
        keep = sample_steps(sorted({m.step for m in history}), max_results)
        out.extend(metric_json(m, run_id) for m in history if m.step in keep)
    return {"metrics": out}


routes: list[BaseRoute] = [
    api("/metrics/get-history", get_metric_history, ["GET"]),
    api("/metrics/get-history-bulk-interval", get_metric_history_bulk_interval, ["GET"]),
]
