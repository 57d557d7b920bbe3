"""MLflow's ``mlflow.tracking.fluent``: the fluent API, defined once in :mod:`archivist.fluent`.

``from mlflow.tracking.fluent import start_run, active_run`` moves over unchanged; these are
the same objects as ``archivist.start_run`` and friends.
"""

from __future__ import annotations

from archivist.fluent import *  # noqa: F403 - one definition, re-exported under MLflow's path
from archivist.fluent import __all__ as __all__
