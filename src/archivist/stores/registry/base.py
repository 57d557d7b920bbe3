"""The model-registry contract: registered models, their versions, tags and aliases.

Implemented by the SQL store here and, over HTTP, by a REST store. Method names and
parameters are MLflow's client ones; versions are passed as ``"1"`` or ``1`` and
returned as strings. Searches return ``(items, next_page_token)``, the token ``None`` on
the last page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

from archivist.entities.registry import ModelVersion, RegisteredModel

__all__ = ["RegistryStore"]


@runtime_checkable
class RegistryStore(Protocol):
    # registered models
    def create_registered_model(
        self,
        name: str,
        tags: Mapping[str, str] | None = None,
        description: str | None = None,
    ) -> RegisteredModel: ...
    def get_registered_model(self, name: str) -> RegisteredModel: ...
    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel: ...
    def update_registered_model(self, name: str, description: str | None) -> RegisteredModel: ...
    def delete_registered_model(self, name: str) -> None: ...
    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int = 100,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> tuple[list[RegisteredModel], str | None]: ...
    def set_registered_model_tag(self, name: str, key: str, value: str) -> None: ...
    def delete_registered_model_tag(self, name: str, key: str) -> None: ...

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
    ) -> ModelVersion: ...
    def get_model_version(self, name: str, version: str | int) -> ModelVersion: ...
    def update_model_version(
        self, name: str, version: str | int, description: str | None
    ) -> ModelVersion: ...
    def delete_model_version(self, name: str, version: str | int) -> None: ...
    def get_latest_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]: ...
    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int = 10_000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> tuple[list[ModelVersion], str | None]: ...
    def set_model_version_tag(
        self, name: str, version: str | int, key: str, value: str
    ) -> None: ...
    def delete_model_version_tag(self, name: str, version: str | int, key: str) -> None: ...
    def transition_model_version_stage(
        self,
        name: str,
        version: str | int,
        stage: str,
        archive_existing_versions: bool = False,
    ) -> ModelVersion: ...

    # aliases
    def set_registered_model_alias(self, name: str, alias: str, version: str | int) -> None: ...
    def delete_registered_model_alias(self, name: str, alias: str) -> None: ...
    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion: ...
