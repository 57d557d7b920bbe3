"""MLflow's exception module names, so ``from mlflow.exceptions import MlflowException``
moves over as ``from archivist.exceptions import MlflowException``.

``MlflowException`` is :class:`archivist.errors.ArchivistError`, the root of every error
Archivist raises; the specific classes live in :mod:`archivist.errors`.
"""

from __future__ import annotations

from archivist.errors import ArchivistError

__all__ = ["MlflowException"]

MlflowException = ArchivistError
