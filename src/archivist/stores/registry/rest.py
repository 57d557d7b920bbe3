"""The model registry over HTTP (MLflow's ``registered-models`` / ``model-versions`` API)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from archivist.entities.registry import ModelVersion, RegisteredModel
from archivist.stores.tracking.rest import API, kv, kv_json, search_body

if TYPE_CHECKING:
    from archivist.stores.tracking.rest import RestTrackingStore

__all__ = ["RestRegistryStore"]


def _int(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


def version_from(d: dict[str, Any]) -> ModelVersion:
    return ModelVersion(
        name=d["name"],
        version=str(d["version"]),
        creation_timestamp=int(d.get("creation_timestamp") or 0),
        last_updated_timestamp=_int(d.get("last_updated_timestamp")),
        description=d.get("description"),
        user_id=d.get("user_id"),
        current_stage=d.get("current_stage", "None"),
        source=d.get("source"),
        run_id=d.get("run_id") or None,
        status=d.get("status", "READY"),
        status_message=d.get("status_message"),
        tags=kv(d.get("tags")),
        run_link=d.get("run_link"),
        aliases=sorted(d.get("aliases") or ()),
        model_id=d.get("model_id") or None,
    )


def model_from(d: dict[str, Any]) -> RegisteredModel:
    return RegisteredModel(
        name=d["name"],
        creation_timestamp=_int(d.get("creation_timestamp")),
        last_updated_timestamp=_int(d.get("last_updated_timestamp")),
        description=d.get("description"),
        latest_versions=[version_from(v) for v in d.get("latest_versions") or ()],
        tags=kv(d.get("tags")),
        aliases={a["alias"]: str(a["version"]) for a in d.get("aliases") or ()},
    )


class RestRegistryStore:
    """A :class:`~archivist.stores.registry.base.RegistryStore` on a tracking server."""

    def __init__(self, tracking: RestTrackingStore) -> None:
        self._t = tracking

    def _call(self, method: str, endpoint: str, body: dict[str, Any]) -> Any:
        return self._t._call(method, f"{API}/{endpoint}", body)

    # registered models
    def create_registered_model(
        self, name: str, tags: Mapping[str, str] | None = None, description: str | None = None
    ) -> RegisteredModel:
        body: dict[str, Any] = {"name": name, "tags": kv_json(dict(tags or {}))}
        if description is not None:
            body["description"] = description
        return model_from(self._call("POST", "registered-models/create", body)["registered_model"])

    def get_registered_model(self, name: str) -> RegisteredModel:
        got = self._call("GET", "registered-models/get", {"name": name})
        return model_from(got["registered_model"])

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        got = self._call("POST", "registered-models/rename", {"name": name, "new_name": new_name})
        return model_from(got["registered_model"])

    def update_registered_model(self, name: str, description: str | None) -> RegisteredModel:
        got = self._call("PATCH", "registered-models/update",
                         {"name": name, "description": description or ""})
        return model_from(got["registered_model"])

    def delete_registered_model(self, name: str) -> None:
        self._call("DELETE", "registered-models/delete", {"name": name})

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int = 100,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> tuple[list[RegisteredModel], str | None]:
        got = self._call("POST", "registered-models/search",
                         search_body(max_results, filter_string, order_by, page_token))
        return ([model_from(m) for m in got.get("registered_models") or ()],
                got.get("next_page_token") or None)

    def set_registered_model_tag(self, name: str, key: str, value: str) -> None:
        self._call("POST", "registered-models/set-tag", {"name": name, "key": key, "value": value})

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        self._call("DELETE", "registered-models/delete-tag", {"name": name, "key": key})

    # versions
    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: Mapping[str, str] | None = None,
        run_link: str | None = None,
        description: str | None = None,
        model_id: str | None = None,
    ) -> ModelVersion:
        body: dict[str, Any] = {"name": name, "source": source, "tags": kv_json(dict(tags or {}))}
        for key, value in (("run_id", run_id), ("run_link", run_link),
                           ("description", description), ("model_id", model_id)):
            if value:
                body[key] = value
        return version_from(self._call("POST", "model-versions/create", body)["model_version"])

    def get_model_version(self, name: str, version: str | int) -> ModelVersion:
        got = self._call("GET", "model-versions/get", {"name": name, "version": str(version)})
        return version_from(got["model_version"])

    def update_model_version(
        self, name: str, version: str | int, description: str | None
    ) -> ModelVersion:
        got = self._call("PATCH", "model-versions/update",
                         {"name": name, "version": str(version), "description": description or ""})
        return version_from(got["model_version"])

    def delete_model_version(self, name: str, version: str | int) -> None:
        self._call("DELETE", "model-versions/delete", {"name": name, "version": str(version)})

    def get_latest_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]:
        body: dict[str, Any] = {"name": name}
        if stages:
            body["stages"] = list(stages)
        got = self._call("POST", "registered-models/get-latest-versions", body)
        return [version_from(v) for v in got.get("model_versions") or ()]

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int = 10_000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> tuple[list[ModelVersion], str | None]:
        got = self._call("POST", "model-versions/search",
                         search_body(max_results, filter_string, order_by, page_token))
        return ([version_from(v) for v in got.get("model_versions") or ()],
                got.get("next_page_token") or None)

    def set_model_version_tag(self, name: str, version: str | int, key: str, value: str) -> None:
        self._call("POST", "model-versions/set-tag",
                   {"name": name, "version": str(version), "key": key, "value": value})

    def delete_model_version_tag(self, name: str, version: str | int, key: str) -> None:
        self._call("DELETE", "model-versions/delete-tag",
                   {"name": name, "version": str(version), "key": key})

    def transition_model_version_stage(
        self, name: str, version: str | int, stage: str, archive_existing_versions: bool = False
    ) -> ModelVersion:
        got = self._call("POST", "model-versions/transition-stage", {
            "name": name, "version": str(version), "stage": stage,
            "archive_existing_versions": archive_existing_versions,
        })
        return version_from(got["model_version"])

    # aliases
    def set_registered_model_alias(self, name: str, alias: str, version: str | int) -> None:
        self._call("POST", "registered-models/alias",
                   {"name": name, "alias": alias, "version": str(version)})

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        self._call("DELETE", "registered-models/alias", {"name": name, "alias": alias})

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        got = self._call("GET", "registered-models/alias", {"name": name, "alias": alias})
        return version_from(got["model_version"])
