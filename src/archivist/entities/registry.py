"""Model registry: named models and their numbered versions.

Attribute names follow MLflow's ``RegisteredModel`` and ``ModelVersion`` so that code
written against MLflow's client reads them unchanged. A version number is an ``int`` in
the database and a string here (``"1"``), as MLflow returns it; timestamps are epoch
milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from archivist.entities._base import Entity

__all__ = ["ModelVersion", "ModelVersionStage", "ModelVersionStatus", "RegisteredModel"]


class ModelVersionStage(str, Enum):
    """MLflow's (deprecated) deployment stages; a new version is in ``"None"``."""

    NONE = "None"
    STAGING = "Staging"
    PRODUCTION = "Production"
    ARCHIVED = "Archived"


class ModelVersionStatus(str, Enum):
    """Registration status; Archivist registers synchronously, so versions are READY."""

    PENDING_REGISTRATION = "PENDING_REGISTRATION"
    FAILED_REGISTRATION = "FAILED_REGISTRATION"
    READY = "READY"


@dataclass(frozen=True, slots=True)
class ModelVersion(Entity):
    """One registered version of a model.

    ``aliases`` lists the aliases that point at this version, sorted; ``tags`` maps tag
    keys to values. ``source`` is where the model's files are (``models:/m-...``, a run
    artifact URI or a storage location) and ``model_id`` the logged model it came from.
    """

    name: str
    version: str
    creation_timestamp: int
    last_updated_timestamp: int | None = None
    description: str | None = None
    user_id: str | None = None
    current_stage: str = ModelVersionStage.NONE.value
    source: str | None = None
    run_id: str | None = None
    status: str = ModelVersionStatus.READY.value
    status_message: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    run_link: str | None = None
    aliases: list[str] = field(default_factory=list)
    model_id: str | None = None


@dataclass(frozen=True, slots=True)
class RegisteredModel(Entity):
    """A named model.

    ``latest_versions`` holds the newest version in each stage, oldest first;
    ``aliases`` maps each alias to the version string it points at.
    """

    name: str
    creation_timestamp: int | None = None
    last_updated_timestamp: int | None = None
    description: str | None = None
    latest_versions: list[ModelVersion] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)


RegisteredModel._nested = {"latest_versions": ModelVersion}
