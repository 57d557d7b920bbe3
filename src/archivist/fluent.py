"""The fluent API: a run stack and ``log_*`` calls on a default :class:`ArchivistClient`.

Calling a ``log_*`` function with no active run starts one (in the active experiment),
as MLflow does; it stays active until ``end_run()`` or the end of the process, when it
is ended FINISHED.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading
import time
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from archivist import config
from archivist.entities import Experiment, Metric, Param, Run, RunStatus, RunTag, ViewType
from archivist.errors import InvalidArgument, InvalidState, ResourceAlreadyExists

if TYPE_CHECKING:
    from archivist.client import ArchivistClient

__all__ = [
    "ActiveRun",
    "active_run",
    "create_experiment",
    "delete_experiment",
    "delete_experiment_tag",
    "delete_run",
    "delete_tag",
    "end_run",
    "flush_async_logging",
    "get_artifact_uri",
    "get_experiment",
    "get_experiment_by_name",
    "get_parent_run",
    "get_registry_uri",
    "get_run",
    "get_tracking_uri",
    "is_tracking_uri_set",
    "last_active_run",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_figure",
    "log_image",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_stream",
    "log_table",
    "log_text",
    "register_model",
    "restore_experiment",
    "restore_run",
    "search_experiments",
    "search_runs",
    "set_experiment",
    "set_experiment_tag",
    "set_experiment_tags",
    "set_registry_uri",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
]

PARENT_RUN_TAG = "mlflow.parentRunId"
NOTE_TAG = "mlflow.note.content"


@dataclass
class _State:
    experiment_id: str | None = None
    last_run_id: str | None = None
    last_model_id: str | None = None
    clients: dict[tuple[str | None, ...], ArchivistClient] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


_state = _State()
_run_stack: ContextVar[tuple[ActiveRun, ...]] = ContextVar("archivist_run_stack", default=())


def set_tracking_uri(uri: str | os.PathLike[str]) -> None:
    """Send what follows to ``uri``: a folder, ``sqlite:///file.db`` or ``postgresql://...``.

    Process-wide, as in MLflow: ``ArchivistClient()`` without a URI follows it too.
    """
    config.set_tracking_uri(os.fspath(uri))
    _state.experiment_id = None


def get_tracking_uri() -> str:
    from archivist.stores import resolve_location

    return resolve_location(None).tracking_uri


def is_tracking_uri_set() -> bool:
    """True when ``set_tracking_uri()`` or ``ARCHIVIST_TRACKING_URI`` chose the store."""
    return bool(config.tracking_uri())


def get_registry_uri() -> str:
    """The registry lives in the tracking store, so this is :func:`get_tracking_uri`."""
    return get_tracking_uri()


def set_registry_uri(uri: str | os.PathLike[str]) -> None:
    """Accept ``uri`` when it is the tracking store's; the registry cannot live elsewhere."""
    from archivist.stores import resolve_location

    wanted = resolve_location(os.fspath(uri)).tracking_uri
    if wanted != get_tracking_uri():
        raise InvalidArgument(
            f"registry URI {os.fspath(uri)!r} differs from the tracking URI "
            f"{get_tracking_uri()!r}; Archivist keeps the registry in the tracking store, so "
            "call set_tracking_uri() with that URI instead"
        )


def _client() -> ArchivistClient:
    """The default client for the current tracking URI (re-resolved only when it changes)."""
    key = (
        config.tracking_uri(),
        os.environ.get("ARCHIVIST_ARTIFACT_ROOT"),
        os.getcwd(),  # relative locations resolve against it
    )
    client = _state.clients.get(key)
    if client is None:
        from archivist.client import ArchivistClient

        with _state.lock:
            client = _state.clients.get(key)
            if client is None:
                client = ArchivistClient()
                _state.clients[key] = client
    return client


def _items(what: str, mapping: Any) -> Any:
    """``mapping.items()``, or a clear error when ``mapping`` is not a dict."""
    if not isinstance(mapping, Mapping):
        raise InvalidArgument(
            f"{what} must be a dict of key -> value, got {type(mapping).__name__} {mapping!r:.80}"
        )
    return mapping.items()


# ------------------------------------------------------------------- experiments
def set_experiment(
    experiment_name: str | None = None, experiment_id: str | None = None
) -> Experiment:
    """Make an experiment active, creating it by name when it does not exist."""
    if (experiment_name is None) == (experiment_id is None):
        raise InvalidArgument("set_experiment needs exactly one of experiment_name or experiment_id")
    client = _client()
    if experiment_id is not None:
        exp = client.get_experiment(str(experiment_id))
    else:
        assert experiment_name is not None
        found = client.get_experiment_by_name(experiment_name)
        if found is None:
            with contextlib.suppress(ResourceAlreadyExists):  # created concurrently
                client.create_experiment(experiment_name)
            found = client.get_experiment_by_name(experiment_name)
            assert found is not None
        exp = found
    if exp.lifecycle_stage != "active":
        raise InvalidState(
            f"experiment {exp.name!r} (id {exp.experiment_id}) is deleted; restore it with "
            "restore_experiment() or choose another name"
        )
    _state.experiment_id = exp.experiment_id
    return exp


def _active_experiment_id() -> str:
    if _state.experiment_id is not None:
        return _state.experiment_id
    env_id = os.environ.get("ARCHIVIST_EXPERIMENT_ID") or os.environ.get("MLFLOW_EXPERIMENT_ID")
    if env_id:
        return set_experiment(experiment_id=env_id).experiment_id
    env_name = os.environ.get("ARCHIVIST_EXPERIMENT_NAME") or os.environ.get(
        "MLFLOW_EXPERIMENT_NAME"
    )
    if env_name:
        return set_experiment(experiment_name=env_name).experiment_id
    return "0"


def create_experiment(
    name: str, artifact_location: str | None = None, tags: dict[str, Any] | None = None
) -> str:
    return _client().create_experiment(name, artifact_location, tags)


def get_experiment(experiment_id: str) -> Experiment:
    return _client().get_experiment(experiment_id)


def get_experiment_by_name(name: str) -> Experiment | None:
    return _client().get_experiment_by_name(name)


def search_experiments(
    view_type: ViewType | str = ViewType.ACTIVE_ONLY,
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: list[str] | None = None,
) -> list[Experiment]:
    client = _client()
    out: list[Experiment] = []
    token = None
    while True:
        page = client.search_experiments(view_type, 1000, filter_string, order_by, token)
        out.extend(page)
        token = page.token
        if token is None or (max_results is not None and len(out) >= max_results):
            break
    return out[:max_results] if max_results is not None else out


def delete_experiment(experiment_id: str) -> None:
    _client().delete_experiment(experiment_id)


def restore_experiment(experiment_id: str) -> None:
    _client().restore_experiment(experiment_id)


def set_experiment_tag(key: str, value: Any) -> None:
    _client().set_experiment_tag(_active_experiment_id(), key, value)


def set_experiment_tags(tags: dict[str, Any]) -> None:
    for k, v in _items("tags", tags):
        set_experiment_tag(k, v)


def delete_experiment_tag(key: str) -> None:
    """Remove a tag from the active experiment."""
    _client().delete_experiment_tag(_active_experiment_id(), key)


# ------------------------------------------------------------------------- runs
class ActiveRun:
    """The run returned by :func:`start_run`; as a context manager it ends the run.

    Leaving the ``with`` block normally ends the run FINISHED; an exception ends it FAILED
    (and propagates).
    """

    def __init__(self, run: Run) -> None:
        self._run = run
        self._pid = os.getpid()  # a forked child may log to it, but leaves ending it to us

    @property
    def info(self) -> Any:
        return self._run.info

    @property
    def data(self) -> Any:
        return self._run.data

    def __repr__(self) -> str:
        return f"<ActiveRun run_id={self.info.run_id!r} name={self.info.run_name!r}>"

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        status = RunStatus.FINISHED if exc_type is None else RunStatus.FAILED
        if exc_type is KeyboardInterrupt:
            status = RunStatus.KILLED
        if any(r.info.run_id == self.info.run_id for r in _run_stack.get()):
            end_run(status.value, _run_id=self.info.run_id)


def start_run(
    run_id: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    nested: bool = False,
    parent_run_id: str | None = None,
    tags: dict[str, Any] | None = None,
    description: str | None = None,
    log_system_metrics: bool | None = None,
) -> ActiveRun:
    """Start a new run, or resume ``run_id``, and make it the active run.

    Args:
        run_id: resume this run (its status becomes RUNNING again).
        experiment_id: where a new run goes (default: the active experiment).
        run_name: a name for a new run (a random one otherwise).
        nested: allow starting while another run is active; the new run records it as
            its parent (tag ``mlflow.parentRunId``).
        parent_run_id: the parent explicitly (must be the active run when nested).
        tags: tags for a new run.
        description: stored as the ``mlflow.note.content`` tag.

    Returns:
        An :class:`ActiveRun`, usable as a context manager.

    Raises:
        InvalidState: a run is already active and ``nested`` is false.

    Example:
        >>> with archivist.start_run(run_name="baseline") as run:
        ...     archivist.log_metric("acc", 0.9)
    """
    del log_system_metrics  # accepted for MLflow compatibility; not collected
    stack = _run_stack.get()
    if stack and not nested:
        raise InvalidState(
            f"run {stack[-1].info.run_id} is already active; end it with end_run() first, or "
            "pass nested=True to start a child run"
        )
    client = _client()
    if run_id is not None:
        run = client.get_run(run_id)
        if run.info.lifecycle_stage != "active":
            raise InvalidState(f"run {run_id!r} is deleted; restore it before resuming it")
        client.update_run(run_id, status=RunStatus.RUNNING.value, name=run_name)
        if tags:
            client.log_batch(run_id, tags=[RunTag(k, str(v)) for k, v in tags.items()])
        if description is not None:
            client.set_tag(run_id, NOTE_TAG, description)
        run = client.get_run(run_id)
    else:
        from archivist._source import source_tags

        all_tags: dict[str, Any] = source_tags()
        parent = parent_run_id or (stack[-1].info.run_id if stack and nested else None)
        if parent_run_id and stack and stack[-1].info.run_id != parent_run_id:
            raise InvalidArgument(
                f"parent_run_id {parent_run_id!r} is not the active run "
                f"{stack[-1].info.run_id!r}; a nested run's parent must be the active run"
            )
        if parent:
            all_tags[PARENT_RUN_TAG] = parent
        if description is not None:
            all_tags[NOTE_TAG] = description
        env_files: list[tuple[str, bytes]] = []
        if config.CAPTURE_ENVIRONMENT.get():
            from archivist.capture import for_new_run

            env_tags, env_files = for_new_run(config.GIT_DIFF_MAX_BYTES.get())
            all_tags.update(env_tags)
        all_tags.update(tags or {})
        exp_id = str(experiment_id) if experiment_id is not None else _active_experiment_id()
        run = client.create_run(exp_id, tags=all_tags, run_name=run_name)
        if env_files:
            from archivist.capture import record

            record(client.artifact_store, run.info.run_id, env_files)
    active = ActiveRun(run)
    _run_stack.set((*stack, active))
    _register_atexit()
    return active


def end_run(status: str = RunStatus.FINISHED.value, *, _run_id: str | None = None) -> None:
    """End the active run (if any) with ``status``."""
    stack = _run_stack.get()
    if not stack:
        return
    if _run_id is not None and stack[-1].info.run_id != _run_id:
        # ending an outer run ends the nested ones above it too
        ids = [r.info.run_id for r in stack]
        if _run_id not in ids:
            return
        while _run_stack.get() and _run_stack.get()[-1].info.run_id != _run_id:
            end_run(status)
        stack = _run_stack.get()
    top = stack[-1]
    if "archivist._async" in sys.modules:  # what was queued for the run lands first
        sys.modules["archivist._async"].drain()
    _run_stack.set(stack[:-1])
    _state.last_run_id = top.info.run_id
    _client().set_terminated(top.info.run_id, status)


def active_run() -> ActiveRun | None:
    stack = _run_stack.get()
    return stack[-1] if stack else None


def last_active_run() -> Run | None:
    """The active run, or else the most recently ended one (None when there is neither)."""
    current = active_run()
    if current is not None:
        return _client().get_run(current.info.run_id)
    if _state.last_run_id is None:
        return None
    return _client().get_run(_state.last_run_id)


def get_parent_run(run_id: str) -> Run | None:
    """The run that ``run_id`` was started under with ``nested=True`` (None for a top run)."""
    parent = _client().get_run(run_id).data.tags.get(PARENT_RUN_TAG)
    return None if parent is None else _client().get_run(parent)


def _set_last_model(model_id: str) -> None:
    _state.last_model_id = model_id


def _run_id_or_start(run_id: str | None = None) -> str:
    if run_id is not None:
        return run_id
    current = active_run()
    if current is None:
        current = start_run()
    return str(current.info.run_id)


def get_run(run_id: str) -> Run:
    return _client().get_run(run_id)


def delete_run(run_id: str) -> None:
    _client().delete_run(run_id)


def restore_run(run_id: str) -> None:
    _client().restore_run(run_id)


_atexit_registered = False


def _register_atexit() -> None:
    global _atexit_registered
    if not _atexit_registered:
        atexit.register(_end_all_runs)
        _atexit_registered = True


def _end_all_runs() -> None:
    """At exit, end the runs this process started; runs inherited over fork stay open."""
    pid = os.getpid()
    _run_stack.set(tuple(r for r in _run_stack.get() if r._pid == pid))
    while _run_stack.get():
        try:
            end_run()
        except Exception as e:  # the process is exiting; the store may be gone
            import sys

            print(f"archivist: could not end the active run at exit: {e}", file=sys.stderr)
            _run_stack.set(())


# ------------------------------------------------------------------- logging
def log_param(key: str, value: Any, synchronous: bool | None = None, *, run_id: str | None = None) -> Any:
    """Log a parameter (stored as a string). Re-logging a different value is an error.

    With ``synchronous=False`` the call returns a ``RunOperations`` at once, and such an
    error is raised by its ``wait()`` or by :func:`flush_async_logging` (as in MLflow).
    """
    return _client().log_param(_run_id_or_start(run_id), key, value, synchronous)


def log_params(
    params: dict[str, Any], synchronous: bool | None = None, *, run_id: str | None = None
) -> Any:
    batch = [Param(str(k), str(v)) for k, v in _items("params", params)]
    return _client().log_batch(_run_id_or_start(run_id), params=batch, synchronous=synchronous)


def log_metric(
    key: str,
    value: float,
    step: int | None = None,
    synchronous: bool | None = None,
    timestamp: int | None = None,
    run_id: str | None = None,
    model_id: str | None = None,
    dataset: Any = None,
) -> Any:
    """Log a metric point; NaN and ±inf are kept.

    With ``model_id`` the point is also linked to that logged model (``LoggedModel.metrics``),
    on ``dataset`` (anything with ``.name`` and ``.digest``) when given, as in MLflow 3.
    """
    return log_metrics({key: value}, step, synchronous, run_id, timestamp, model_id, dataset)


def log_metrics(
    metrics: dict[str, float],
    step: int | None = None,
    synchronous: bool | None = None,
    run_id: str | None = None,
    timestamp: int | None = None,
    model_id: str | None = None,
    dataset: Any = None,
) -> Any:
    """Log several metrics at one step; see :func:`log_metric`."""
    ts = timestamp or int(time.time() * 1000)
    items = list(_items("metrics", metrics))
    rid = _run_id_or_start(run_id)
    name, digest = getattr(dataset, "name", None), getattr(dataset, "digest", None)
    batch = [
        Metric(k, v, ts, 0 if step is None else step, model_id=model_id, dataset_name=name,
               dataset_digest=digest, run_id=rid)
        for k, v in items
    ]
    return _client().log_batch(rid, metrics=batch, synchronous=synchronous)


def flush_async_logging() -> None:
    """Wait for every ``synchronous=False`` call; raise the first error not yet awaited."""
    from archivist import _async

    _async.flush()


def set_tag(key: str, value: Any, synchronous: bool | None = None) -> Any:
    return _client().set_tag(_run_id_or_start(), key, value, synchronous)


def set_tags(tags: dict[str, Any], synchronous: bool | None = None) -> Any:
    batch = [RunTag(str(k), str(v)) for k, v in _items("tags", tags)]
    return _client().log_batch(_run_id_or_start(), tags=batch, synchronous=synchronous)


def delete_tag(key: str) -> None:
    _client().delete_tag(_run_id_or_start(), key)


def log_artifact(
    local_path: str | os.PathLike[str],
    artifact_path: str | None = None,
    run_id: str | None = None,
    *,
    derived_from: list[str] | str | None = None,
) -> None:
    """Log a local file (or directory) under ``artifact_path`` of the run.

    ``derived_from`` lists what it was made from (``datasets:/...``, ``runs:/<id>/<path>``,
    ``models:/...``), recorded as lineage (see ``archivist lineage``).
    """
    _client().log_artifact(
        _run_id_or_start(run_id), local_path, artifact_path, derived_from=derived_from
    )


def log_artifacts(
    local_dir: str | os.PathLike[str],
    artifact_path: str | None = None,
    run_id: str | None = None,
    *,
    derived_from: list[str] | str | None = None,
) -> None:
    """Log every file below ``local_dir`` under ``artifact_path`` of the run."""
    _client().log_artifacts(
        _run_id_or_start(run_id), local_dir, artifact_path, derived_from=derived_from
    )


def log_stream(stream: Any, artifact_file: str, run_id: str | None = None) -> None:
    """Log a binary file-like object (``io.BytesIO``, an open file) as ``artifact_file``."""
    _client().log_stream(_run_id_or_start(run_id), stream, artifact_file)


def log_text(text: str, artifact_file: str, run_id: str | None = None) -> None:
    _client().log_text(_run_id_or_start(run_id), text, artifact_file)


def log_dict(dictionary: dict[str, Any], artifact_file: str, run_id: str | None = None) -> None:
    """Log a dict as JSON, or YAML when ``artifact_file`` ends in .yaml/.yml."""
    _client().log_dict(_run_id_or_start(run_id), dictionary, artifact_file)


def log_image(
    image: Any,
    artifact_file: str | None = None,
    key: str | None = None,
    step: int | None = None,
    timestamp: int | None = None,
    synchronous: bool | None = None,
    run_id: str | None = None,
) -> None:
    """Log a numpy array or PIL image as PNG at ``artifact_file``, or as one point of the
    image series ``key`` (at ``step`` and ``timestamp``; see ``ArchivistClient.log_image``)."""
    _client().log_image(
        _run_id_or_start(run_id), image, artifact_file, key=key, step=step, timestamp=timestamp
    )


def log_figure(
    figure: Any,
    artifact_file: str,
    *,
    save_kwargs: dict[str, Any] | None = None,
    run_id: str | None = None,
) -> None:
    """Log a matplotlib or plotly figure; the format follows the file extension.

    ``save_kwargs`` are passed to matplotlib's ``savefig`` (e.g. ``{"dpi": 200}``) or to
    plotly's ``to_html`` / ``to_image``.
    """
    _client().log_figure(_run_id_or_start(run_id), figure, artifact_file, save_kwargs=save_kwargs)


def log_table(data: Any, artifact_file: str, run_id: str | None = None) -> None:
    """Log a dict of columns or a DataFrame as a JSON table (appending if it exists)."""
    _client().log_table(_run_id_or_start(run_id), data, artifact_file)


def get_artifact_uri(artifact_path: str | None = None) -> str:
    run_id = _run_id_or_start()
    base = f"runs:/{run_id}"
    from archivist.paths import validate_artifact_path

    path = validate_artifact_path(artifact_path)
    return f"{base}/{path}" if path else base


def register_model(
    model_uri: str,
    name: str,
    await_registration_for: int = 300,
    *,
    tags: dict[str, Any] | None = None,
) -> Any:
    """Register the model at ``model_uri`` as a new version of ``name`` (created if new)."""
    del await_registration_for  # registration is synchronous
    return _client().register_model(model_uri, name, tags)


# -------------------------------------------------------------------- search
def search_runs(
    experiment_ids: list[str] | None = None,
    filter_string: str = "",
    run_view_type: ViewType | str = ViewType.ACTIVE_ONLY,
    max_results: int = 100_000,
    order_by: list[str] | None = None,
    output_format: Literal["pandas", "list"] = "pandas",
    search_all_experiments: bool = False,
    experiment_names: list[str] | None = None,
    page_token: str | None = None,
) -> Any:
    """Search runs with MLflow's filter grammar, in SQL.

    Returns a pandas DataFrame (``output_format="pandas"``, the default) or a list of
    :class:`Run`. With ``page_token``, one page of at most ``max_results`` runs is returned
    as a list with a ``.token`` attribute for the next page.
    """
    from archivist._frames import runs_to_frame

    if output_format not in ("pandas", "list"):
        raise InvalidArgument(
            f"output_format {output_format!r} is unknown; use 'pandas' or 'list'"
        )
    client = _client()
    ids: list[str] = [str(e) for e in (experiment_ids or [])]
    for name in experiment_names or []:
        exp = client.get_experiment_by_name(name)
        if exp is not None:
            ids.append(exp.experiment_id)
    if not ids and not experiment_names:
        if search_all_experiments:
            ids = [e.experiment_id for e in search_experiments(view_type=ViewType.ALL)]
        else:
            ids = [_active_experiment_id()]
    runs: list[Run] = []
    if ids:
        if page_token is not None:
            page = client.search_runs(ids, filter_string, run_view_type, max_results, order_by, page_token)
            return page if output_format == "list" else runs_to_frame(page)
        token = None
        while len(runs) < max_results:
            page = client.search_runs(
                ids, filter_string, run_view_type, min(50_000, max_results - len(runs)),
                order_by, token,
            )
            runs.extend(page)
            token = page.token
            if token is None:
                break
    if output_format == "list":
        return runs
    return runs_to_frame(runs)
