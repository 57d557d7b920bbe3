"""What every flavor shares: logging a saved model directory as a LoggedModel."""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archivist import config
from archivist._tempdirs import SAVE_PREFIX, locked_tempdir
from archivist._warnings import warn
from archivist.errors import InvalidArgument, PermissionDenied
from archivist.validation import check_registered_model_name

if TYPE_CHECKING:
    from archivist.entities import ModelInfo
    from archivist.models.model import Model

__all__ = [
    "LOADER_MODULES",
    "copy_code_paths",
    "log_saved_model",
    "pickle_guard",
    "refuse_unknown_kwargs",
]

# MLflow's loader modules -> ours, so models saved by either load with either.
LOADER_MODULES = {
    "mlflow.sklearn": "archivist.flavors.sklearn",
    "mlflow.pyfunc.model": "archivist.flavors.pyfunc",
    "archivist.flavors.sklearn": "archivist.flavors.sklearn",
    "archivist.flavors.pyfunc": "archivist.flavors.pyfunc",
}

_warned_pickle = False


def pickle_guard(path: str) -> None:
    """Refuse pickle-based models when ARCHIVIST_ALLOW_PICKLE=0; otherwise warn once."""
    global _warned_pickle
    if not config.ALLOW_PICKLE.get():
        raise PermissionDenied(
            f"model file {path!r} is pickle-based and ARCHIVIST_ALLOW_PICKLE=0 refuses pickle "
            "models; load only models you trust by setting ARCHIVIST_ALLOW_PICKLE=1, or save "
            "the model with serialization_format='skops'"
        )
    if not _warned_pickle:
        _warned_pickle = True
        warn(
            f"loading pickle-based model file {path!r}: unpickling runs code, so load only "
            "models from sources you trust (set ARCHIVIST_ALLOW_PICKLE=0 to refuse them)"
        )


def refuse_unknown_kwargs(function: str, kwargs: dict[str, Any]) -> None:
    """``**kwargs`` stays in log_model's signature (MLflow's has it) but takes nothing unknown."""
    if kwargs:
        raise InvalidArgument(
            f"{function} got unexpected keyword argument(s) {sorted(kwargs)}; check their "
            f"spelling against help({function})"
        )


def check_environment(model_dir: str) -> None:
    """Warn once per package whose recorded version differs from the installed one."""
    from archivist.models.environment import warn_mismatches

    req = Path(model_dir, "requirements.txt")
    if req.is_file():
        warn_mismatches(  # mlflow itself is not needed to load a model saved by MLflow
            line
            for line in req.read_text().splitlines()
            if line and not line.startswith(("#", "-", "mlflow"))
        )


def copy_code_paths(code_paths: Iterable[str] | None, model_dir: Path) -> str | None:
    """Copy ``code_paths`` into ``<model>/code``; returns the folder name or None."""
    if not code_paths:
        return None
    dst = model_dir / "code"
    dst.mkdir(parents=True, exist_ok=True)
    for p in code_paths:
        src = Path(p)
        if not src.exists():
            raise InvalidArgument(f"code path {p!r} does not exist; give files or folders of code")
        if src.is_dir():
            shutil.copytree(src, dst / src.name, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dst / src.name)
    return "code"


def add_code_to_path(model_dir: str, flavor_conf: dict[str, Any]) -> None:
    import sys

    code = flavor_conf.get("code")
    if code:
        folder = os.path.join(model_dir, code)
        if folder not in sys.path:
            sys.path.insert(0, folder)


def log_saved_model(
    save: Callable[[str, str | None, str], Model],
    *,
    name: str | None,
    artifact_path: str | None,
    registered_model_name: str | None,
    params: dict[str, Any] | None,
    tags: dict[str, Any] | None,
    model_type: str | None,
    step: int,
    model_id: str | None,
    run_id: str | None = None,
    derived_from: Any = None,
) -> ModelInfo:
    """Create a LoggedModel, save into a temp dir, upload its tree, mark it READY, register.

    ``save(path, run_id, model_id)`` writes the model directory and returns its Model.
    """
    from archivist.fluent import _active_experiment_id, _client, _set_last_model, active_run

    if name is not None and artifact_path is not None and name != artifact_path:
        raise InvalidArgument(
            f"give name={name!r} or the deprecated artifact_path={artifact_path!r}, not both"
        )
    if artifact_path is not None:
        warn("artifact_path is deprecated; use name= instead", DeprecationWarning)
    model_name = name or artifact_path or "model"
    if "/" in model_name or not model_name.strip():
        raise InvalidArgument(
            f"model name {model_name!r} is invalid; use a non-empty name without '/'"
        )
    if registered_model_name is not None:
        check_registered_model_name(registered_model_name, "registered_model_name")
    client = _client()
    from archivist._client_lineage import check_derived_from

    parents = check_derived_from(client.tracking_store, derived_from)
    # As in MLflow 3: with no active run the model stands alone (no run is started); from a
    # run it takes the run's params and its metrics at ``step``.
    current = active_run()
    rid = run_id or (current.info.run_id if current is not None else None)
    run = client.get_run(rid) if rid is not None else None
    experiment_id = run.info.experiment_id if run is not None else _active_experiment_id()
    store = client.tracking_store
    logged = store.create_logged_model(
        experiment_id,
        model_name,
        rid,
        model_type,
        {**{k: str(v) for k, v in (params or {}).items()}, **(run.data.params if run else {})},
        {k: str(v) for k, v in (tags or {}).items()},
        model_id,
    )
    try:
        # locked while in use: gc removes the folder only once this process is gone
        with locked_tempdir(f"{SAVE_PREFIX}{logged.model_id}-") as tmp:
            path = os.path.join(tmp, model_name)
            model = save(path, rid, logged.model_id)
            client.artifact_store.log_dir(logged.model_id, path)
        logged = store.finalize_logged_model(logged.model_id, "READY")
        _set_last_model(logged.model_id)
        if run is not None and run.data.metrics:
            _link_run_metrics(client, run.info.run_id, list(run.data.metrics), logged.model_id, step)
            logged = client.get_logged_model(logged.model_id)
        if parents:
            store.add_lineage(f"models:/{logged.model_id}", parents, rid)
    except BaseException:
        store.finalize_logged_model(logged.model_id, "FAILED")
        raise
    version = None
    if registered_model_name is not None:
        mv = client.register_model(f"models:/{logged.model_id}", registered_model_name)
        version = int(mv.version)
    from archivist.models.info import model_info

    return model_info(
        model,
        logged,
        model_uri=f"models:/{logged.model_id}",
        name=model_name,
        run_id=rid,
        registered_model_version=version,
    )




def _link_run_metrics(client: Any, run_id: str, keys: list[str], model_id: str, step: int) -> None:
    """Link the run's metric points at ``step`` to the model (MLflow 3 does this at log time)."""
    points = [
        dataclasses.replace(m, model_id=model_id, run_id=run_id)
        for key in keys
        for m in client.get_metric_history(run_id, key)
        if m.step == step
    ]
    if points:
        client.link_metrics_to_model(points)
