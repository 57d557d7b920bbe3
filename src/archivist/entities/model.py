"""Logged models (``m-<hex>``) and what ``log_model`` returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from archivist.entities._base import Entity
from archivist.entities.run import Metric

__all__ = ["LoggedModel", "ModelInfo"]


@dataclass(frozen=True, slots=True)
class LoggedModel(Entity):
    model_id: str
    experiment_id: str
    name: str
    artifact_location: str
    creation_timestamp: int
    last_updated_timestamp: int
    status: str
    source_run_id: str | None = None
    model_type: str | None = None
    status_message: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    metrics: list[Any] = field(default_factory=list)
    step: int = 0

    _derived = ("model_uri",)

    @property
    def model_uri(self) -> str:
        return f"models:/{self.model_id}"


@dataclass(slots=True)
class ModelInfo:
    """What ``<flavor>.log_model`` returns."""

    model_uri: str
    model_id: str
    run_id: str | None
    name: str
    flavors: dict[str, Any]
    signature: Any
    metadata: dict[str, Any] | None
    utc_time_created: str
    model_uuid: str
    saved_input_example_info: dict[str, Any] | None = None
    registered_model_version: int | None = None
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    metrics: list[Any] = field(default_factory=list)
    creation_timestamp: int | None = None
    artifact_location: str | None = None
    env_vars: list[str] | None = None

    @property
    def artifact_path(self) -> str:
        return self.name

    @property
    def signature_dict(self) -> dict[str, Any] | None:
        return None if self.signature is None else dict(self.signature.to_dict())


LoggedModel._nested = {"metrics": Metric}
