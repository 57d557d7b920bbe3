"""The model registry: registered models, versions, tags, aliases, search, download URIs.

``model-versions/create`` answers ``status: READY`` (registration is synchronous), since
the ``mlflow`` client otherwise polls for minutes. A version's ``source`` must be inside
this store (``server/locations.py``).
"""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute

from archivist.errors import InvalidArgument
from archivist.server.locations import ARTIFACTS_SCHEME, check_model_source
from archivist.server.routing import Call, api, paged
from archivist.server.schemas import model_version_json, registered_model_json

__all__ = ["routes"]


def _tags(call: Call) -> dict[str, str]:
    return {t.required("key"): t.text("value", default="") or "" for t in call.msg.objects("tags")}


# ------------------------------------------------------------------ registered models
def create_registered_model(call: Call) -> dict[str, Any]:
    model = call.stores.registry.create_registered_model(
        call.msg.required("name"), _tags(call), call.msg.text("description")
    )
    return {"registered_model": registered_model_json(model)}


def get_registered_model(call: Call) -> dict[str, Any]:
    model = call.stores.registry.get_registered_model(call.msg.required("name"))
    return {"registered_model": registered_model_json(model)}


def rename_registered_model(call: Call) -> dict[str, Any]:
    model = call.stores.registry.rename_registered_model(
        call.msg.required("name"), call.msg.required("new_name")
    )
    return {"registered_model": registered_model_json(model)}


def update_registered_model(call: Call) -> dict[str, Any]:
    model = call.stores.registry.update_registered_model(
        call.msg.required("name"), call.msg.text("description")
    )
    return {"registered_model": registered_model_json(model)}


def delete_registered_model(call: Call) -> dict[str, Any]:
    call.stores.registry.delete_registered_model(call.msg.required("name"))
    return {}


def search_registered_models(call: Call) -> dict[str, Any]:
    items, token = call.stores.registry.search_registered_models(
        call.msg.text("filter"),
        call.msg.integer("max_results", default=100) or 100,
        call.msg.texts("order_by") or None,
        call.msg.text("page_token"),
    )
    return paged("registered_models", items, token, registered_model_json)


def get_latest_versions(call: Call) -> dict[str, Any]:
    versions = call.stores.registry.get_latest_versions(
        call.msg.required("name"), call.msg.texts("stages") or None
    )
    return {"model_versions": [model_version_json(v) for v in versions]}


def set_registered_model_tag(call: Call) -> dict[str, Any]:
    call.stores.registry.set_registered_model_tag(
        call.msg.required("name"), call.msg.required("key"), call.msg.text("value", default="") or ""
    )
    return {}


def delete_registered_model_tag(call: Call) -> dict[str, Any]:
    call.stores.registry.delete_registered_model_tag(
        call.msg.required("name"), call.msg.required("key")
    )
    return {}


def set_alias(call: Call) -> dict[str, Any]:
    call.stores.registry.set_registered_model_alias(
        call.msg.required("name"), call.msg.required("alias"), call.msg.required("version")
    )
    return {}


def delete_alias(call: Call) -> dict[str, Any]:
    call.stores.registry.delete_registered_model_alias(
        call.msg.required("name"), call.msg.required("alias")
    )
    return {}


def get_by_alias(call: Call) -> dict[str, Any]:
    version = call.stores.registry.get_model_version_by_alias(
        call.msg.required("name"), call.msg.required("alias")
    )
    return {"model_version": model_version_json(version)}


# ------------------------------------------------------------------------- versions
def create_model_version(call: Call) -> dict[str, Any]:
    source = check_model_source(call.stores, call.msg.required("source"), call.msg.text("model_id"))
    model_id = call.msg.text("model_id")
    run_id = call.msg.text("run_id")
    if source.startswith("models:/"):
        source_model = source[len("models:/"):]
        if model_id and model_id != source_model:
            raise InvalidArgument(f"model_id {model_id!r} does not match source {source!r}")
        model_id = source_model
    if model_id:
        logged = call.stores.tracking.get_logged_model(model_id)
        run_id = run_id or logged.source_run_id
    version = call.stores.registry.create_model_version(
        call.msg.required("name"), source, run_id, _tags(call), call.msg.text("run_link"),
        call.msg.text("description"), model_id,
    )
    return {"model_version": model_version_json(version)}


def get_model_version(call: Call) -> dict[str, Any]:
    version = call.stores.registry.get_model_version(
        call.msg.required("name"), call.msg.required("version")
    )
    return {"model_version": model_version_json(version)}


def update_model_version(call: Call) -> dict[str, Any]:
    version = call.stores.registry.update_model_version(
        call.msg.required("name"), call.msg.required("version"), call.msg.text("description")
    )
    return {"model_version": model_version_json(version)}


def delete_model_version(call: Call) -> dict[str, Any]:
    call.stores.registry.delete_model_version(
        call.msg.required("name"), call.msg.required("version")
    )
    return {}


def transition_stage(call: Call) -> dict[str, Any]:
    version = call.stores.registry.transition_model_version_stage(
        call.msg.required("name"), call.msg.required("version"), call.msg.required("stage"),
        call.msg.flag("archive_existing_versions"),
    )
    return {"model_version": model_version_json(version)}


def search_model_versions(call: Call) -> dict[str, Any]:
    items, token = call.stores.registry.search_model_versions(
        call.msg.text("filter"),
        call.msg.integer("max_results", default=10_000) or 10_000,
        call.msg.texts("order_by") or None,
        call.msg.text("page_token"),
    )
    return paged("model_versions", items, token, model_version_json)


def get_download_uri(call: Call) -> dict[str, Any]:
    """The storage location of the version's files (not ``models:/``, as MLflow answers)."""
    version = call.stores.registry.get_model_version(
        call.msg.required("name"), call.msg.required("version")
    )
    source = version.source or ""
    if version.model_id:
        uri = call.stores.tracking.get_logged_model(version.model_id).artifact_location
    elif source.startswith("runs:/"):
        run_id, _, rest = source[len("runs:/"):].partition("/")
        base = call.stores.tracking.get_run(run_id).info.artifact_uri.rstrip("/")
        uri = f"{base}/{rest}" if rest else base
    elif source.startswith(ARTIFACTS_SCHEME):
        uri = source
    else:
        uri = source
    return {"artifact_uri": uri}


def set_model_version_tag(call: Call) -> dict[str, Any]:
    call.stores.registry.set_model_version_tag(
        call.msg.required("name"), call.msg.required("version"), call.msg.required("key"),
        call.msg.text("value", default="") or "",
    )
    return {}


def delete_model_version_tag(call: Call) -> dict[str, Any]:
    call.stores.registry.delete_model_version_tag(
        call.msg.required("name"), call.msg.required("version"), call.msg.required("key")
    )
    return {}


routes: list[BaseRoute] = [
    api("/registered-models/create", create_registered_model, ["POST"]),
    api("/registered-models/get", get_registered_model, ["GET"]),
    api("/registered-models/rename", rename_registered_model, ["POST"]),
    api("/registered-models/update", update_registered_model, ["PATCH"]),
    api("/registered-models/delete", delete_registered_model, ["DELETE"]),
    api("/registered-models/search", search_registered_models, ["GET", "POST"]),
    api("/registered-models/get-latest-versions", get_latest_versions, ["POST", "GET"]),
    api("/registered-models/set-tag", set_registered_model_tag, ["POST"]),
    api("/registered-models/delete-tag", delete_registered_model_tag, ["DELETE"]),
    api("/registered-models/alias", set_alias, ["POST"]),
    api("/registered-models/alias", delete_alias, ["DELETE"]),
    api("/registered-models/alias", get_by_alias, ["GET"]),
    api("/model-versions/create", create_model_version, ["POST"]),
    api("/model-versions/get", get_model_version, ["GET"]),
    api("/model-versions/update", update_model_version, ["PATCH"]),
    api("/model-versions/delete", delete_model_version, ["DELETE"]),
    api("/model-versions/transition-stage", transition_stage, ["POST"]),
    api("/model-versions/search", search_model_versions, ["GET", "POST"]),
    api("/model-versions/get-download-uri", get_download_uri, ["GET"]),
    api("/model-versions/set-tag", set_model_version_tag, ["POST"]),
    api("/model-versions/delete-tag", delete_model_version_tag, ["DELETE"]),
]
