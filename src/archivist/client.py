"""ArchivistClient: explicit ids, and the one place that combines the stores."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from archivist import _formats, config
from archivist._client_lineage import DatasetClientMixin, check_derived_from
from archivist.client_models import LoggedModelsMixin
from archivist.entities import (
    Experiment,
    FileInfo,
    Metric,
    Param,
    Run,
    RunInfo,
    RunStatus,
    RunTag,
    ViewType,
)
from archivist.errors import InvalidArgument, ResourceAlreadyExists, ResourceNotFound
from archivist.paths import validate_artifact_file, validate_artifact_path
from archivist.validation import check_int, check_key, check_run_id

if TYPE_CHECKING:
    from archivist.stores import Location
    from archivist.stores.artifacts.store import ArtifactStore
    from archivist.stores.tracking.base import Page
    from archivist.stores.tracking.sql import SqlTrackingStore

__all__ = ["ArchivistClient", "MlflowClient", "PagedList"]


class PagedList(list[Any]):
    """A list of results with the token of the next page (None at the end)."""

    def __init__(self, items: Sequence[Any], token: str | None) -> None:
        super().__init__(items)
        self.token = token


def _now_ms() -> int:
    return int(time.time() * 1000)


_STORE_CACHE: dict[tuple[str, str], tuple[SqlTrackingStore, ArtifactStore]] = {}
_STORE_LOCK = threading.Lock()


def _stores_for(loc: Location) -> tuple[SqlTrackingStore, ArtifactStore]:
    # One engine per database per process: engines pool connections and are thread-safe.
    key = (loc.db_uri, loc.artifact_root)
    with _STORE_LOCK:
        found = _STORE_CACHE.get(key)
        if found is None:
            from archivist.stores import open_stores

            found = open_stores(loc.tracking_uri)
            _STORE_CACHE[key] = found
        return found


class _RegistryMixin:
    """Registry operations of :class:`ArchivistClient` (versions, aliases, tags)."""

    _tracking: SqlTrackingStore

    @property
    def registry_store(self) -> Any:
        store = getattr(self, "_registry", None)
        if store is None:
            opener = getattr(self._tracking, "open_registry", None)
            if opener is not None:  # a remote store brings its own registry
                store = opener()
            else:
                from archivist.stores.registry.sql import SqlRegistryStore

                store = SqlRegistryStore(self._tracking.db)
            self._registry = store
        return store

    def create_registered_model(
        self, name: str, tags: dict[str, Any] | None = None, description: str | None = None
    ) -> Any:
        return self.registry_store.create_registered_model(
            name, {k: str(v) for k, v in (tags or {}).items()}, description
        )

    def get_registered_model(self, name: str) -> Any:
        return self.registry_store.get_registered_model(name)

    def rename_registered_model(self, name: str, new_name: str) -> Any:
        return self.registry_store.rename_registered_model(name, new_name)

    def update_registered_model(self, name: str, description: str | None = None) -> Any:
        return self.registry_store.update_registered_model(name, description)

    def delete_registered_model(self, name: str) -> None:
        self.registry_store.delete_registered_model(name)

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int = 100,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList:
        items, token = self.registry_store.search_registered_models(
            filter_string, max_results, order_by, page_token
        )
        return PagedList(items, token)

    def set_registered_model_tag(self, name: str, key: str, value: Any) -> None:
        self.registry_store.set_registered_model_tag(name, key, str(value))

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        self.registry_store.delete_registered_model_tag(name, key)

    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: dict[str, Any] | None = None,
        run_link: str | None = None,
        description: str | None = None,
        model_id: str | None = None,
    ) -> Any:
        return self.registry_store.create_model_version(
            name, source, run_id, {k: str(v) for k, v in (tags or {}).items()}, run_link,
            description, model_id,
        )

    def get_model_version(self, name: str, version: str | int) -> Any:
        return self.registry_store.get_model_version(name, str(version))

    def update_model_version(self, name: str, version: str | int, description: str | None = None) -> Any:
        return self.registry_store.update_model_version(name, str(version), description)

    def delete_model_version(self, name: str, version: str | int) -> None:
        self.registry_store.delete_model_version(name, str(version))

    def get_latest_versions(self, name: str, stages: list[str] | None = None) -> list[Any]:
        return list(self.registry_store.get_latest_versions(name, stages))

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int = 10_000,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList:
        items, token = self.registry_store.search_model_versions(
            filter_string, max_results, order_by, page_token
        )
        return PagedList(items, token)

    def set_model_version_tag(self, name: str, version: str | int, key: str, value: Any) -> None:
        self.registry_store.set_model_version_tag(name, str(version), key, str(value))

    def delete_model_version_tag(self, name: str, version: str | int, key: str) -> None:
        self.registry_store.delete_model_version_tag(name, str(version), key)

    def transition_model_version_stage(
        self, name: str, version: str | int, stage: str, archive_existing_versions: bool = False
    ) -> Any:
        """Move a version to a stage (MLflow deprecated stages for aliases; kept for old scripts)."""
        return self.registry_store.transition_model_version_stage(
            name, str(version), stage, archive_existing_versions
        )

    def get_model_version_download_uri(self, name: str, version: str | int) -> str:
        """The URI the version's files load from: ``models:/<model_id>`` or its source."""
        mv = self.get_model_version(name, version)
        return f"models:/{mv.model_id}" if mv.model_id else str(mv.source)

    def set_registered_model_alias(self, name: str, alias: str, version: str | int) -> None:
        self.registry_store.set_registered_model_alias(name, alias, str(version))

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        self.registry_store.delete_registered_model_alias(name, alias)

    def get_model_version_by_alias(self, name: str, alias: str) -> Any:
        return self.registry_store.get_model_version_by_alias(name, alias)

    def resolve_model_version(self, spec: str, uri: str) -> Any:
        """``<name>/<version>``, ``<name>/latest`` or ``<name>@<alias>`` -> ModelVersion."""
        from archivist.models.resolve import ACCEPTED_FORMS

        name, sep, version = spec.rpartition("/")
        if "@" in version or not sep:  # names may hold '@' (as in MLflow), versions cannot
            name, sep, alias = spec.rpartition("@")
            if sep and name and alias:
                return self.get_model_version_by_alias(name, alias)
        if not sep or not name:
            raise InvalidArgument(
                f"model URI {uri!r} names neither a model id nor a version; accepted forms: "
                f"{ACCEPTED_FORMS}"
            )
        if version == "latest":
            versions = self.get_latest_versions(name)
            if not versions:
                raise ResourceNotFound(f"registered model {name!r} has no versions (from {uri!r})")
            return max(versions, key=lambda v: int(v.version))
        if not version.isdigit():
            raise InvalidArgument(
                f"model URI {uri!r}: version {version!r} is not a number; accepted forms: "
                f"{ACCEPTED_FORMS}"
            )
        return self.get_model_version(name, version)

    def copy_model_version(self, src_model_uri: str, dst_name: str) -> Any:
        """Copy a registered version (``models:/<name>/<version>`` or ``@alias``) as a new
        version of ``dst_name`` (created if needed), keeping its model, tags and description.
        """
        from archivist.models.resolve import ACCEPTED_FORMS

        if not isinstance(src_model_uri, str) or not src_model_uri.startswith("models:/"):
            raise InvalidArgument(
                f"src_model_uri {src_model_uri!r} must name a registered model version "
                f"(models:/<name>/<version> or models:/<name>@<alias>); forms: {ACCEPTED_FORMS}"
            )
        src = self.resolve_model_version(src_model_uri[len("models:/") :], src_model_uri)
        with contextlib.suppress(ResourceAlreadyExists):  # then a new version, as in MLflow
            self.create_registered_model(dst_name)
        return self.create_model_version(
            dst_name, f"models:/{src.name}/{src.version}", src.run_id, dict(src.tags),
            src.run_link, src.description, src.model_id,
        )

    def register_model(
        self, model_uri: str, name: str, tags: dict[str, Any] | None = None
    ) -> Any:
        """Register the model at ``model_uri`` as a new version of ``name``."""
        from archivist.models.resolve import model_source

        source = model_source(model_uri, self)  # type: ignore[arg-type]
        return self.create_model_version(
            name, source.uri, source.run_id, tags, model_id=source.model_id
        )


def close_all_stores() -> None:
    """Dispose every cached engine (tests, and processes that fork)."""
    with _STORE_LOCK:
        for tracking, _ in _STORE_CACHE.values():
            db = getattr(tracking, "db", None)
            if db is not None:
                db.dispose()
            else:
                tracking.http.close()  # type: ignore[attr-defined]
        _STORE_CACHE.clear()


class ArchivistClient(_RegistryMixin, DatasetClientMixin, LoggedModelsMixin):
    """Experiments, runs, metrics, params, tags and artifacts by explicit id.

    Args:
        tracking_uri: a folder path, ``sqlite:///file.db`` or ``postgresql://...``;
            defaults to the URI given to ``archivist.set_tracking_uri()``, else
            ``ARCHIVIST_TRACKING_URI``, else ``./archivist`` (as ``MlflowClient()`` does).

    Example:
        >>> client = ArchivistClient("/tmp/store")
        >>> run = client.create_run("0")
        >>> client.log_metric(run.info.run_id, "acc", 0.9)
    """

    def __init__(self, tracking_uri: str | None = None) -> None:
        from archivist.stores import resolve_location

        self.location = resolve_location(tracking_uri)
        self.tracking_uri = self.location.tracking_uri
        self._tracking, self._artifacts = _stores_for(self.location)

    @property
    def tracking_store(self) -> SqlTrackingStore:
        return self._tracking

    @property
    def artifact_store(self) -> ArtifactStore:
        return self._artifacts

    # ---------------------------------------------------------------- experiments
    def create_experiment(
        self, name: str, artifact_location: str | None = None, tags: dict[str, Any] | None = None
    ) -> str:
        return self._tracking.create_experiment(
            name, artifact_location, {k: str(v) for k, v in (tags or {}).items()}
        )

    def get_experiment(self, experiment_id: str) -> Experiment:
        return self._tracking.get_experiment(str(experiment_id))

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        return self._tracking.get_experiment_by_name(name)

    def search_experiments(
        self,
        view_type: ViewType | str = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        filter_string: str | None = None,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList:
        page = self._tracking.search_experiments(
            ViewType(view_type), max_results, filter_string, order_by, page_token
        )
        return PagedList(page.items, page.next_page_token)

    def delete_experiment(self, experiment_id: str) -> None:
        self._tracking.delete_experiment(str(experiment_id))

    def restore_experiment(self, experiment_id: str) -> None:
        self._tracking.restore_experiment(str(experiment_id))

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        self._tracking.rename_experiment(str(experiment_id), new_name)

    def set_experiment_tag(self, experiment_id: str, key: str, value: Any) -> None:
        self._tracking.set_experiment_tag(str(experiment_id), key, str(value))

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        self._tracking.delete_experiment_tag(str(experiment_id), key)

    # ----------------------------------------------------------------------- runs
    def create_run(
        self,
        experiment_id: str,
        start_time: int | None = None,
        tags: dict[str, Any] | None = None,
        run_name: str | None = None,
    ) -> Run:
        from archivist._source import current_user

        run_tags = [RunTag(k, str(v)) for k, v in (tags or {}).items()]
        user = (tags or {}).get("mlflow.user") or current_user()
        return self._tracking.create_run(
            str(experiment_id), str(user), start_time or _now_ms(), run_tags, run_name
        )

    def get_run(self, run_id: str) -> Run:
        return self._tracking.get_run(run_id)

    def update_run(self, run_id: str, status: str | None = None, name: str | None = None) -> RunInfo:
        return self._tracking.update_run_info(run_id, status, None, name)

    def set_terminated(
        self, run_id: str, status: str = RunStatus.FINISHED.value, end_time: int | None = None
    ) -> RunInfo:
        return self._tracking.update_run_info(run_id, status, end_time or _now_ms(), None)

    def delete_run(self, run_id: str) -> None:
        self._tracking.delete_run(run_id)

    def restore_run(self, run_id: str) -> None:
        self._tracking.restore_run(run_id)

    def log_param(
        self, run_id: str, key: str, value: Any, synchronous: bool | None = None
    ) -> Any:
        """Log a param; with ``synchronous=False`` return at once (see :meth:`log_batch`)."""
        ops = self.log_batch(run_id, params=[Param(key, str(value))], synchronous=synchronous)
        return value if ops is None else ops

    def log_metric(
        self,
        run_id: str,
        key: str,
        value: Any,
        timestamp: int | None = None,
        step: int | None = None,
        synchronous: bool | None = None,
        dataset_name: str | None = None,
        dataset_digest: str | None = None,
        model_id: str | None = None,
    ) -> Any:
        """Log a metric point; ``model_id`` (and the dataset) link it to a logged model too."""
        point = Metric(
            key, value, timestamp or _now_ms(), step or 0, model_id=model_id,
            dataset_name=dataset_name, dataset_digest=dataset_digest, run_id=run_id,
        )
        return self.log_batch(run_id, metrics=[point], synchronous=synchronous)

    def set_tag(
        self, run_id: str, key: str, value: Any, synchronous: bool | None = None
    ) -> Any:
        return self.log_batch(run_id, tags=[RunTag(key, str(value))], synchronous=synchronous)

    def delete_tag(self, run_id: str, key: str) -> None:
        self._tracking.delete_tag(run_id, key)

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
        synchronous: bool | None = None,
    ) -> Any:
        """Log metrics, params and tags in one transaction.

        Metrics with a ``model_id`` are linked to that logged model as well. With
        ``synchronous=False`` the call returns a ``RunOperations`` at once; an error (such
        as re-logging a param with another value) is raised by its ``wait()`` or by
        ``archivist.flush_async_logging()``, as in MLflow.

        On a tracking server, metrics and tags (without params or model links) are queued
        and sent in background batches unless ``synchronous=True`` or
        ``ARCHIVIST_ASYNC_LOGGING=0``; a failure is raised by a later call, :meth:`flush`,
        ``end_run`` or reported at exit.
        """
        if synchronous is False:
            from archivist import _async

            return _async.submit(self.log_batch, run_id, list(metrics), list(params), list(tags))
        linked = [
            m if m.run_id else dataclasses.replace(m, run_id=run_id) for m in metrics if m.model_id
        ]
        queue = getattr(self._tracking, "queue_batch", None)
        if (queue is not None and synchronous is None and not params and not linked
                and config.ASYNC_LOGGING.get()):
            # a tracking server: batched in the background (see stores/tracking/sender.py)
            queue(run_id, metrics, tags)
            return None
        for model_id in sorted({str(m.model_id) for m in linked}):
            self.get_logged_model(model_id)  # before anything is logged
        self._tracking.log_batch(run_id, metrics, params, tags)
        if linked:
            self.link_metrics_to_model(linked)
        return None

    def flush(self) -> None:
        """Wait until metrics and tags queued for a tracking server are sent (else no-op).

        Raises:
            ArchivistError: what sending them in the background failed with.
        """
        flush = getattr(self._tracking, "flush", None)
        if flush is not None:
            flush()

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        return self._tracking.get_metric_history(run_id, key)

    def search_runs(
        self,
        experiment_ids: Sequence[str] | str,
        filter_string: str = "",
        run_view_type: ViewType | str = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList:
        ids = [experiment_ids] if isinstance(experiment_ids, str) else list(experiment_ids)
        page: Page = self._tracking.search_runs(
            [str(i) for i in ids],
            filter_string or None,
            ViewType(run_view_type),
            max_results,
            order_by,
            page_token,
        )
        return PagedList(page.items, page.next_page_token)

    # ------------------------------------------------------------------ artifacts
    def log_artifact(
        self,
        run_id: str,
        local_path: str | os.PathLike[str],
        artifact_path: str | None = None,
        *,
        derived_from: Sequence[str] | str | None = None,
    ) -> None:
        """Log a file; ``derived_from`` (dataset/artifact/model URIs) is recorded as lineage."""
        parents = check_derived_from(self._tracking, derived_from)
        entry = self._artifacts.log_file(check_run_id(run_id), local_path, artifact_path)
        if parents:
            self._tracking.add_lineage(f"runs:/{run_id}/{entry.path}", parents, run_id)

    def log_artifacts(
        self,
        run_id: str,
        local_dir: str | os.PathLike[str],
        artifact_path: str | None = None,
        *,
        derived_from: Sequence[str] | str | None = None,
    ) -> None:
        """Log a folder; ``derived_from`` is recorded for ``artifact_path`` (or the run)."""
        parents = check_derived_from(self._tracking, derived_from)
        self._artifacts.log_dir(check_run_id(run_id), local_dir, artifact_path)
        if parents:
            path = validate_artifact_path(artifact_path)
            child = f"runs:/{run_id}/{path}" if path else f"runs:/{run_id}"
            self._tracking.add_lineage(child, parents, run_id)

    def log_text(self, run_id: str, text: str, artifact_file: str) -> None:
        if not isinstance(text, str):
            raise InvalidArgument(f"log_text expects a str, got {type(text).__name__}")
        self._artifacts.log_bytes(check_run_id(run_id), artifact_file, text.encode())

    def log_dict(self, run_id: str, dictionary: dict[str, Any], artifact_file: str) -> None:
        validate_artifact_file(artifact_file)
        data = _formats.dict_to_bytes(dictionary, artifact_file)
        self._artifacts.log_bytes(check_run_id(run_id), artifact_file, data)

    def log_image(
        self,
        run_id: str,
        image: Any,
        artifact_file: str | None = None,
        *,
        key: str | None = None,
        step: int | None = None,
        timestamp: int | None = None,
    ) -> None:
        """Log an image at ``artifact_file``, or as one point of the image series ``key``.

        A series point is stored as ``images/<key>+step+<step>+timestamp+<ms>+<uuid>.png``
        (MLflow's layout, with '/' in the key written as '~'), so every call adds an image
        and none replaces another; the run gets the tag ``mlflow.loggedImages``.
        """
        run_id = check_run_id(run_id)
        if artifact_file is not None and not (key is None and step is None and timestamp is None):
            raise InvalidArgument(
                "log_image takes either artifact_file or key (with step and timestamp), not both"
            )
        if artifact_file is None:
            if key is None:
                raise InvalidArgument(
                    "log_image needs artifact_file='name.png', or key= (with step=) for a series"
                )
            check_key(key, "image")
            step_n = check_int(key, "step", 0 if step is None else step, "image")
            ts = check_int(key, "timestamp", _now_ms() if timestamp is None else timestamp, "image")
            artifact_file = (
                f"images/{key.replace('/', '~')}+step+{step_n}+timestamp+{ts}+{uuid.uuid4()}.png"
            )
        validate_artifact_file(artifact_file)
        self._artifacts.log_bytes(run_id, artifact_file, _formats.image_to_png(image))
        if key is not None:
            self.set_tag(run_id, "mlflow.loggedImages", "True")

    def log_figure(
        self,
        run_id: str,
        figure: Any,
        artifact_file: str,
        *,
        save_kwargs: dict[str, Any] | None = None,
    ) -> None:
        validate_artifact_file(artifact_file)
        data = _formats.figure_to_bytes(figure, artifact_file, save_kwargs)
        self._artifacts.log_bytes(check_run_id(run_id), artifact_file, data)

    def log_table(self, run_id: str, data: Any, artifact_file: str) -> None:
        """Log a table as JSON; logging again to the same file appends rows (as MLflow does)."""
        path = validate_artifact_file(artifact_file)
        if not path.endswith(".json"):
            raise InvalidArgument(
                f"artifact_file {artifact_file!r} must end with '.json' for log_table"
            )
        new = json.loads(_formats.table_to_bytes(data))
        try:
            old = json.loads(self._artifacts.read_bytes(run_id, path))
        except ResourceNotFound:
            old = None
        if old is not None:
            if old.get("columns") != new["columns"]:
                merged_cols = list(dict.fromkeys([*old["columns"], *new["columns"]]))
                rows = [
                    [dict(zip(t["columns"], r, strict=True)).get(c) for c in merged_cols]
                    for t in (old, new)
                    for r in t["data"]
                ]
                new = {"columns": merged_cols, "data": rows}
            else:
                new = {"columns": new["columns"], "data": old["data"] + new["data"]}
        self._artifacts.log_bytes(
            check_run_id(run_id), path, json.dumps(new).encode()
        )

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]:
        self._tracking.get_run(run_id)
        return self._artifacts.listdir(run_id, path)

    def download_artifacts(
        self, run_id: str, path: str = "", dst_path: str | None = None, *, link: bool = False
    ) -> str:
        self._tracking.get_run(run_id)
        dst = dst_path or tempfile.mkdtemp(prefix="archivist-")
        return self._artifacts.download(run_id, path, dst, link=link)

    def read_artifact(self, run_id: str, path: str) -> bytes:
        return self._artifacts.read_bytes(run_id, path)

    def load_text(self, run_id: str, path: str) -> str:
        return self.read_artifact(run_id, path).decode()

    def load_dict(self, run_id: str, path: str) -> dict[str, Any]:
        return _formats.bytes_to_dict(self.read_artifact(run_id, path), path)

    def load_table(
        self,
        experiment_id: str,
        artifact_file: str,
        run_ids: list[str] | None = None,
        extra_columns: list[str] | None = None,
    ) -> Any:
        """The tables logged with ``log_table`` at ``artifact_file``, as one DataFrame.

        Args:
            experiment_id: whose runs to read (all of them unless ``run_ids`` is given).
            artifact_file: the table's path, e.g. ``"results.json"``.
            run_ids: only these runs.
            extra_columns: run attributes to add as columns; ``["run_id"]`` is supported.

        Raises:
            InvalidArgument: no run holds the table, or an unknown extra column.
        """
        import pandas as pd

        for col in extra_columns or []:
            if col != "run_id":
                raise InvalidArgument(f"extra column {col!r} is unknown; only 'run_id' is supported")
        path = validate_artifact_path(artifact_file, name="artifact_file")
        if run_ids is None:
            run_ids, token = [], None
            while True:
                page = self.search_runs([str(experiment_id)], max_results=1000, page_token=token)
                run_ids.extend(r.info.run_id for r in page)
                token = page.token
                if token is None:
                    break
        frames = []
        for rid in run_ids:
            if not any(e.path == path for e in self._artifacts.entries(rid, path)):
                continue
            frame = _formats.bytes_to_table(self.read_artifact(rid, path))
            for col in extra_columns or []:
                frame[col] = rid
            frames.append(frame)
        if not frames:
            raise InvalidArgument(
                f"no run among {len(run_ids)} has a table at {artifact_file!r}; log one with "
                "log_table()"
            )
        return pd.concat(frames, ignore_index=True)

    def log_stream(self, run_id: str, stream: Any, artifact_file: str) -> None:
        """Log the bytes read from a binary file-like object as ``artifact_file``."""
        path = validate_artifact_path(artifact_file, name="artifact_file")
        if not path or not hasattr(stream, "read"):
            raise InvalidArgument(
                "log_stream needs a binary stream with .read() (such as io.BytesIO) and a "
                f"file name; got {type(stream).__name__} and {artifact_file!r}"
            )
        folder, _, name = path.rpartition("/")
        with tempfile.TemporaryDirectory(prefix="archivist-stream-") as tmp:
            local = os.path.join(tmp, name)
            with open(local, "wb") as out:
                while chunk := stream.read(1 << 20):
                    if isinstance(chunk, str):
                        raise InvalidArgument(
                            "log_stream reads bytes; open the stream in binary mode or use "
                            "log_text for text"
                        )
                    out.write(chunk)
            self.log_artifact(run_id, local, folder or None)


MlflowClient = ArchivistClient  # MLflow's name (``from mlflow.client import MlflowClient``)
