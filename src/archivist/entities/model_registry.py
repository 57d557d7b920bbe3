"""``mlflow.entities.model_registry``'s names, re-exported from :mod:`archivist.entities.registry`."""

from __future__ import annotations

from archivist.entities.registry import (
    ModelVersion,
    ModelVersionStage,
    ModelVersionStatus,
    RegisteredModel,
)

__all__ = ["ModelVersion", "ModelVersionStage", "ModelVersionStatus", "RegisteredModel"]
