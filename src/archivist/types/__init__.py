"""Signature types under MLflow's module name (``mlflow.types``).

Each name is defined once, in :mod:`archivist.models.schema`, and re-exported here so
``from mlflow.types import Schema, ColSpec`` moves over as a change of import.
"""

from __future__ import annotations

from archivist.types import schema
from archivist.types.schema import *  # noqa: F403  (the names listed in schema.__all__)

__all__ = list(schema.__all__)
