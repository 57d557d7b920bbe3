"""``archivist import mlflow``: everything an MLflow store holds, into an Archivist store.

The copy itself is :func:`archivist.sync.transfer` (idempotent by ids and digests,
resumable, never overwriting), reading the MLflow store through an adapter that looks
like a client; before it, experiments are created with their MLflow ids where those are
free, and after it dataset inputs are added and deleted experiments deleted again.
Running the import twice changes nothing; an interrupted import resumes where it stopped.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from archivist.entities import Experiment, LoggedModel, Run, TreeEntry
from archivist.errors import InvalidArgument, ResourceNotFound
from archivist.migrate.mlflow_read import MlflowReader, Skipped, open_reader

if TYPE_CHECKING:
    from archivist.client import ArchivistClient

__all__ = ["ImportReport", "import_mlflow"]


@dataclass
class ImportReport:
    """Counts per kind found in the source, what this import wrote, and what it could not carry."""

    source: str
    found: dict[str, int] = field(default_factory=dict)
    written: dict[str, int] = field(default_factory=dict)
    experiment_ids: dict[str, str] = field(default_factory=dict)  # MLflow id -> Archivist id
    skipped: list[Skipped] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Pages(list[Any]):
    token = None


class _Trees:
    """``list_tree_entries`` over the source's artifact folders (files hashed as the blob store does)."""

    def __init__(self, reader: MlflowReader, skipped: list[Skipped]) -> None:
        self.reader = reader
        self.skipped = skipped
        self.paths: dict[tuple[str, str], Path] = {}
        self._seen_missing: set[str] = set()

    def list_tree_entries(self, owner_id: str, prefix: str = "") -> list[TreeEntry]:
        from archivist.stores.artifacts.store import _walk_files
        from archivist.stores.blobs.hashing import hash_file

        root = self.reader.artifact_dir(owner_id)
        if root is None or not root.is_dir():
            if root is None and owner_id not in self._seen_missing:
                self._seen_missing.add(owner_id)
                self.skipped.append(Skipped(
                    f"artifacts of {owner_id}",
                    "they are in remote storage; give --artifact-root to map them to a local copy"))
            return []
        out = []
        for local, rel in _walk_files(root):
            digest, size = hash_file(local)
            self.paths[(owner_id, digest)] = Path(local)
            out.append(TreeEntry(rel, digest, size))
        return out

    @contextlib.contextmanager
    def open_blob(self, owner_id: str, digest: str) -> Iterator[BinaryIO]:
        with open(self.paths[(owner_id, digest)], "rb") as f:
            yield f


class _ReaderClient:
    """Just what :func:`archivist.sync.transfer` asks of its source client."""

    def __init__(self, reader: MlflowReader, skipped: list[Skipped]) -> None:
        self.reader = reader
        self.tracking_uri = reader.uri
        self.tracking_store = self.artifact_store = _Trees(reader, skipped)
        self.experiments = {e.experiment_id: e for e in reader.experiments()}
        self.runs: dict[str, Run] = {}
        self.by_experiment: dict[str, list[str]] = {}
        for exp_id in self.experiments:
            runs = reader.runs(exp_id)
            self.by_experiment[exp_id] = [r.info.run_id for r in runs]
            self.runs.update((r.info.run_id, r) for r in runs)
        self.models: list[LoggedModel] = reader.logged_models()
        self.registered = {rm.name: rm for rm in reader.registered_models()}

    def get_experiment(self, experiment_id: str) -> Experiment:
        return self.experiments[experiment_id]

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        return next((e for e in self.experiments.values() if e.name == name), None)

    def search_experiments(self, *_: Any, **__: Any) -> _Pages:
        return _Pages(self.experiments.values())

    def search_runs(self, experiment_ids: list[str], *_: Any, **__: Any) -> _Pages:
        return _Pages(self.runs[r] for e in experiment_ids for r in self.by_experiment.get(e, []))

    def get_run(self, run_id: str) -> Run:
        return self.runs[run_id]

    def get_metric_history(self, run_id: str, key: str) -> list[Any]:
        return self.reader.metric_history(run_id, key)

    def search_logged_models(self, experiment_ids: list[str], *_: Any, **__: Any) -> list[LoggedModel]:
        wanted = set(experiment_ids)
        return [m for m in self.models if m.experiment_id in wanted]

    def search_registered_models(self, *_: Any, **__: Any) -> _Pages:
        return _Pages(self.registered.values())

    def get_registered_model(self, name: str) -> Any:
        return self.registered[name]

    def search_model_versions(self, filter_string: str | None, *_: Any, **__: Any) -> _Pages:
        if filter_string is None:
            return _Pages(v for n in self.registered for v in self.reader.model_versions(n))
        m = re.fullmatch(r"name = '((?:[^'\\]|\\.)*)'", filter_string)
        if m is None:
            raise InvalidArgument(f"unexpected filter {filter_string!r}")
        return _Pages(self.reader.model_versions(re.sub(r"\\(.)", r"\1", m.group(1))))


def import_mlflow(
    source: str,
    client: ArchivistClient,
    *,
    experiments: list[str] | None = None,
    artifact_root: tuple[str, str] | None = None,
    log: Callable[[str], object] = lambda _: None,
) -> ImportReport:
    """Import an MLflow store into ``client``'s store.

    Args:
        source: an ``mlruns/`` folder (file store) or an MLflow database URI
            (``sqlite:///mlflow.db``, ``postgresql://...``).
        client: the destination.
        experiments: only these experiments (names or MLflow ids); default: all.
        artifact_root: ``(old prefix, new prefix)`` when the source's artifacts moved.
        log: called with one line per run or model copied.

    Returns:
        An :class:`ImportReport`.
    """
    from archivist.stores.tracking.sql_import import create_experiment_with_id
    from archivist.sync import Selection, transfer

    reader = open_reader(source, artifact_root)
    report = ImportReport(source=reader.uri)
    src = _ReaderClient(reader, report.skipped)
    chosen = list(src.experiments.values())
    if experiments:
        chosen = []
        for want in experiments:
            e = src.experiments.get(want) or src.get_experiment_by_name(want)
            if e is None:
                raise ResourceNotFound(
                    f"experiment {want!r} is not in {reader.uri}; its experiments are "
                    f"{sorted(x.name for x in src.experiments.values())[:20]}"
                )
            chosen.append(e)
    for e in chosen:
        there = client.get_experiment_by_name(e.name)
        if there is None and not create_experiment_with_id(
            client.tracking_store, e.experiment_id, e.name, dict(e.tags), e.creation_time or 0
        ):
            client.create_experiment(e.name, tags=dict(e.tags))
        there = client.get_experiment_by_name(e.name)
        assert there is not None
        report.experiment_ids[e.experiment_id] = there.experiment_id
        if there.experiment_id != e.experiment_id:
            report.skipped.append(Skipped(
                f"id of experiment {e.name!r}",
                f"MLflow id {e.experiment_id} is taken or too large here; it is {there.experiment_id}"))
        if there.lifecycle_stage != "active":
            client.restore_experiment(there.experiment_id)
    if experiments:
        selection = Selection(experiment_names=tuple(e.name for e in chosen))
    else:
        selection = Selection(everything=True)
    sent = transfer(src, client, selection, log=log)  # type: ignore[arg-type]
    run_ids = [r for e in chosen for r in src.by_experiment[e.experiment_id]]
    n_inputs = 0
    for rid in run_ids:
        inputs = reader.run_inputs(rid)
        if not inputs:
            continue
        n_inputs += len(inputs)
        deleted = client.get_run(rid).info.lifecycle_stage != "active"
        if deleted:
            client.restore_run(rid)
        client.log_inputs(rid, inputs)
        if deleted:
            client.delete_run(rid)
    for e in chosen:
        if e.lifecycle_stage != "active":
            client.delete_experiment(report.experiment_ids[e.experiment_id])
    n_points = sum(len(reader.metric_history(r, k)) for r in run_ids for k in src.runs[r].data.metrics)
    names = set(src.registered)
    versions = [v for n in names for v in reader.model_versions(n)]
    report.found = {
        "experiments": len(chosen), "runs": len(run_ids), "metric_points": n_points,
        "params": sum(len(src.runs[r].data.params) for r in run_ids),
        "tags": sum(len(src.runs[r].data.tags) for r in run_ids),
        "dataset_inputs": n_inputs,
        "logged_models": len(src.search_logged_models([e.experiment_id for e in chosen])),
        "registered_models": len(names), "model_versions": len(versions),
        "aliases": sum(len(rm.aliases) for rm in src.registered.values()),
    }
    report.written = {k: v for k, v in sent.as_dict().items() if isinstance(v, int)}
    report.skipped[:0] = reader.skipped
    if versions:
        report.skipped.append(Skipped(
            "registry timestamps and version user ids",
            "registered models and versions get this store's creation times"))
    return report
