"""MLflow's ``mlflow.tracking`` names: ``MlflowClient`` and the tracking-URI functions.

``from mlflow.tracking import MlflowClient`` moves over as
``from archivist.tracking import MlflowClient``; the client is :class:`ArchivistClient`,
imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from archivist._lazy import lazy_getattr
from archivist.fluent import get_tracking_uri, is_tracking_uri_set, set_tracking_uri

if TYPE_CHECKING:
    from archivist.client import ArchivistClient as MlflowClient

__all__ = ["MlflowClient", "get_tracking_uri", "is_tracking_uri_set", "set_tracking_uri"]

__getattr__ = lazy_getattr(__name__, {"MlflowClient": "archivist.client:ArchivistClient"})
