"""Experiments: create, get (by id or name), search, update, delete, restore, tags."""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute

from archivist.entities import ViewType
from archivist.errors import InvalidArgument, ResourceNotFound
from archivist.server.locations import check_artifact_location
from archivist.server.routing import Call, api, paged
from archivist.server.schemas import experiment_json

__all__ = ["routes", "view_type"]

_VIEW_TYPES = {"ACTIVE_ONLY": ViewType.ACTIVE_ONLY, "DELETED_ONLY": ViewType.DELETED_ONLY,
               "ALL": ViewType.ALL, "1": ViewType.ACTIVE_ONLY, "2": ViewType.DELETED_ONLY,
               "3": ViewType.ALL}


def view_type(call: Call, key: str) -> ViewType:
    """A ViewType field, by enum name or number (proto JSON accepts both)."""
    raw = call.msg.text(key, default="ACTIVE_ONLY") or "ACTIVE_ONLY"
    try:
        return _VIEW_TYPES[raw.upper()]
    except KeyError:
        raise InvalidArgument(
            f"{key} {raw!r} is invalid; use ACTIVE_ONLY, DELETED_ONLY or ALL"
        ) from None


def _tags(call: Call) -> dict[str, str]:
    out: dict[str, str] = {}
    for t in call.msg.objects("tags"):
        out[t.required("key")] = t.text("value", default="") or ""
    return out


def create_experiment(call: Call) -> dict[str, Any]:
    location = check_artifact_location(call.msg.text("artifact_location"))
    exp_id = call.stores.tracking.create_experiment(call.msg.required("name"), location, _tags(call))
    return {"experiment_id": exp_id}


def get_experiment(call: Call) -> dict[str, Any]:
    exp = call.stores.tracking.get_experiment(call.msg.required("experiment_id"))
    return {"experiment": experiment_json(exp)}


def get_experiment_by_name(call: Call) -> dict[str, Any]:
    name = call.msg.required("experiment_name")
    exp = call.stores.tracking.get_experiment_by_name(name)
    if exp is None:
        raise ResourceNotFound(f"experiment {name!r} does not exist; create it first")
    return {"experiment": experiment_json(exp)}


def search_experiments(call: Call) -> dict[str, Any]:
    page = call.stores.tracking.search_experiments(
        view_type(call, "view_type"),
        call.msg.integer("max_results", default=1000) or 1000,
        call.msg.text("filter"),
        call.msg.texts("order_by") or None,
        call.msg.text("page_token"),
    )
    return paged("experiments", page.items, page.next_page_token, experiment_json)


def delete_experiment(call: Call) -> dict[str, Any]:
    call.stores.tracking.delete_experiment(call.msg.required("experiment_id"))
    return {}


def restore_experiment(call: Call) -> dict[str, Any]:
    call.stores.tracking.restore_experiment(call.msg.required("experiment_id"))
    return {}


def update_experiment(call: Call) -> dict[str, Any]:
    exp_id = call.msg.required("experiment_id")
    new_name = call.msg.text("new_name")
    if new_name:
        call.stores.tracking.rename_experiment(exp_id, new_name)
    else:
        call.stores.tracking.get_experiment(exp_id)
    return {}


def set_experiment_tag(call: Call) -> dict[str, Any]:
    call.stores.tracking.set_experiment_tag(
        call.msg.required("experiment_id"), call.msg.required("key"),
        call.msg.text("value", default="") or "",
    )
    return {}


def delete_experiment_tag(call: Call) -> dict[str, Any]:
    call.stores.tracking.delete_experiment_tag(
        call.msg.required("experiment_id"), call.msg.required("key")
    )
    return {}


routes: list[BaseRoute] = [
    api("/experiments/create", create_experiment, ["POST"]),
    api("/experiments/get", get_experiment, ["GET"]),
    api("/experiments/get-by-name", get_experiment_by_name, ["GET"]),
    api("/experiments/search", search_experiments, ["POST", "GET"]),
    api("/experiments/delete", delete_experiment, ["POST"]),
    api("/experiments/restore", restore_experiment, ["POST"]),
    api("/experiments/update", update_experiment, ["POST"]),
    api("/experiments/set-experiment-tag", set_experiment_tag, ["POST"]),
    api("/experiments/delete-experiment-tag", delete_experiment_tag, ["POST"]),
]
