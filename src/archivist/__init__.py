"""Archivist: log what machine-learning work produces, versioned, deduplicated, verifiable.

The fluent API follows MLflow's, so moving a script over is a change of import::

    import archivist

    with archivist.start_run():
        archivist.log_param("lr", 0.1)
        archivist.log_metric("acc", 0.93, step=10)
        archivist.log_artifact("features.txt")

A ``log_*`` call with no active run starts one, as MLflow does. Heavy parts (the client,
stores, flavors) are imported on first use, so ``import archivist`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from archivist._lazy import lazy_getattr
from archivist._version import __version__
from archivist.autolog import autolog
from archivist.entities import (
    Experiment,
    FileInfo,
    Metric,
    Param,
    Run,
    RunData,
    RunInfo,
    RunStatus,
    RunTag,
    ViewType,
)
from archivist.errors import (
    ArchivistError,
    ArtifactCorrupted,
    InvalidArgument,
    InvalidState,
    MalformedFilter,
    MissingDependency,
    PermissionDenied,
    ResourceAlreadyExists,
    ResourceNotFound,
)
from archivist.fluent import (
    ActiveRun,
    active_run,
    create_experiment,
    delete_experiment,
    delete_experiment_tag,
    delete_run,
    delete_tag,
    end_run,
    flush_async_logging,
    get_artifact_uri,
    get_experiment,
    get_experiment_by_name,
    get_parent_run,
    get_registry_uri,
    get_run,
    get_tracking_uri,
    is_tracking_uri_set,
    last_active_run,
    log_artifact,
    log_artifacts,
    log_dict,
    log_figure,
    log_image,
    log_metric,
    log_metrics,
    log_param,
    log_params,
    log_stream,
    log_table,
    log_text,
    register_model,
    restore_experiment,
    restore_run,
    search_experiments,
    search_runs,
    set_experiment,
    set_experiment_tag,
    set_experiment_tags,
    set_registry_uri,
    set_tag,
    set_tags,
    set_tracking_uri,
    start_run,
)
from archivist.fluent_data import add_lineage, lineage, log_input, log_inputs, search_datasets
from archivist.fluent_models import (
    delete_logged_model_tag,
    diff_models,
    get_logged_model,
    last_logged_model,
    log_model_params,
    search_logged_models,
    search_model_versions,
    search_registered_models,
    set_logged_model_tags,
)

MlflowException = ArchivistError  # MLflow's name for the root error, for scripts moving over

if TYPE_CHECKING:
    from archivist import artifacts, data, entities, exceptions, models, pyfunc, sklearn
    from archivist.artifacts import load_table
    from archivist.client import ArchivistClient
    from archivist.client import ArchivistClient as MlflowClient

__all__ = [
    "ActiveRun",
    "ArchivistClient",
    "ArchivistError",
    "ArtifactCorrupted",
    "Experiment",
    "FileInfo",
    "InvalidArgument",
    "InvalidState",
    "MalformedFilter",
    "Metric",
    "MissingDependency",
    "MlflowClient",
    "MlflowException",
    "Param",
    "PermissionDenied",
    "ResourceAlreadyExists",
    "ResourceNotFound",
    "Run",
    "RunData",
    "RunInfo",
    "RunStatus",
    "RunTag",
    "ViewType",
    "__version__",
    "active_run",
    "add_lineage",
    "artifacts",
    "autolog",
    "create_experiment",
    "data",
    "delete_experiment",
    "delete_experiment_tag",
    "delete_logged_model_tag",
    "delete_run",
    "delete_tag",
    "diff_models",
    "end_run",
    "entities",
    "exceptions",
    "flush_async_logging",
    "get_artifact_uri",
    "get_experiment",
    "get_experiment_by_name",
    "get_logged_model",
    "get_parent_run",
    "get_registry_uri",
    "get_run",
    "get_tracking_uri",
    "is_tracking_uri_set",
    "last_active_run",
    "last_logged_model",
    "lineage",
    "load_table",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_figure",
    "log_image",
    "log_input",
    "log_inputs",
    "log_metric",
    "log_metrics",
    "log_model_params",
    "log_param",
    "log_params",
    "log_stream",
    "log_table",
    "log_text",
    "models",
    "pyfunc",
    "register_model",
    "restore_experiment",
    "restore_run",
    "search_datasets",
    "search_experiments",
    "search_logged_models",
    "search_model_versions",
    "search_registered_models",
    "search_runs",
    "set_experiment",
    "set_experiment_tag",
    "set_experiment_tags",
    "set_logged_model_tags",
    "set_registry_uri",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "sklearn",
    "start_run",
]

__getattr__ = lazy_getattr(
    __name__,
    {
        "ArchivistClient": "archivist.client:ArchivistClient",
        "MlflowClient": "archivist.client:ArchivistClient",
        "artifacts": "archivist.artifacts",
        "data": "archivist.data",
        "entities": "archivist.entities",
        "exceptions": "archivist.exceptions",
        "load_table": "archivist.artifacts:load_table",
        "models": "archivist.models",
        "sklearn": "archivist.sklearn",
        "pyfunc": "archivist.pyfunc",
    },
)
