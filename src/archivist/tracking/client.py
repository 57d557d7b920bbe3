"""``mlflow.tracking.client.MlflowClient``: the same class as :class:`archivist.ArchivistClient`."""

from __future__ import annotations

from archivist.client import ArchivistClient as MlflowClient

__all__ = ["MlflowClient"]
