"""``archivist export mlflow DEST``: write an MLflow file store that ``mlflow`` reads.

The layout is MLflow's file store: ``DEST/<experiment id>/meta.yaml``, one folder per run
with ``meta.yaml``, ``metrics/`` (``timestamp value step`` lines), ``params/``, ``tags/``,
``inputs/`` and ``artifacts/``; ``datasets/`` and ``models/<model id>/`` per experiment;
the registry under ``DEST/models/<name>/``. Read it with ``MLFLOW_TRACKING_URI=DEST``
(and ``MLFLOW_ALLOW_FILE_STORE=true``, which MLflow 3 asks for file stores).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archivist.entities import ViewType
from archivist.errors import InvalidArgument

if TYPE_CHECKING:
    from archivist.client import ArchivistClient

__all__ = ["export_mlflow"]

_RUN_STATUS = {"RUNNING": 1, "SCHEDULED": 2, "FINISHED": 3, "FAILED": 4, "KILLED": 5}
_MODEL_STATUS = {"PENDING": 1, "READY": 2, "FAILED": 3}


def _dump(path: Path, data: dict[str, Any]) -> None:
    import yaml

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, default_flow_style=False, sort_keys=True), encoding="utf-8")


def _write_kv(folder: Path, items: dict[str, str]) -> None:
    for key, value in items.items():
        p = folder / key
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(value, encoding="utf-8")


def _pages(fetch: Any) -> list[Any]:
    out: list[Any] = []
    token = None
    while True:
        page = fetch(token)
        out.extend(page)
        token = page.token
        if not token:
            return out


def _fmt(value: float) -> str:
    return repr(float(value))


def export_mlflow(client: ArchivistClient, dest: str | os.PathLike[str]) -> dict[str, int]:
    """Write everything in ``client``'s store to the MLflow file store ``dest`` (new or empty).

    Returns counts per kind written.
    """
    root = Path(dest).absolute()
    if root.exists() and any(root.iterdir()):
        raise InvalidArgument(f"export destination {str(root)!r} is not empty; give a new folder")
    root.mkdir(parents=True, exist_ok=True)
    (root / ".trash").mkdir()
    counts = dict.fromkeys(("experiments", "runs", "metric_points", "artifacts", "logged_models",
                            "dataset_inputs", "registered_models", "model_versions"), 0)
    experiments = _pages(lambda t: client.search_experiments(ViewType.ALL, 1000, None, None, t))
    for exp in experiments:
        eid = exp.experiment_id
        edir = (root if exp.lifecycle_stage == "active" else root / ".trash") / eid
        _dump(edir / "meta.yaml", {
            "artifact_location": (root / eid).as_uri(), "creation_time": exp.creation_time,
            "experiment_id": eid, "last_update_time": exp.last_update_time,
            "lifecycle_stage": exp.lifecycle_stage, "name": exp.name,
        })
        _write_kv(edir / "tags", dict(exp.tags))
        counts["experiments"] += 1
        runs = _pages(lambda t, e=eid: client.search_runs([e], "", ViewType.ALL, 1000, None, t))
        for run in runs:
            _export_run(client, edir, root / eid, run, counts)
        for model in client.search_logged_models([eid], max_results=50_000):
            mdir = edir / "models" / model.model_id
            _dump(mdir / "meta.yaml", {
                "artifact_location": (mdir / "artifacts").as_uri(),
                "creation_timestamp": model.creation_timestamp, "experiment_id": eid,
                "last_updated_timestamp": model.last_updated_timestamp, "model_id": model.model_id,
                "model_type": model.model_type, "name": model.name,
                "source_run_id": model.source_run_id,
                "status": _MODEL_STATUS.get(model.status, 0), "status_message": model.status_message,
            })
            _write_kv(mdir / "params", dict(model.params))
            _write_kv(mdir / "tags", dict(model.tags))
            _download(client, model.model_id, mdir / "artifacts", counts)
            counts["logged_models"] += 1
    _export_registry(client, root, counts)
    return counts


def _download(client: ArchivistClient, owner_id: str, target: Path, counts: dict[str, int]) -> None:
    entries = client.tracking_store.list_tree_entries(owner_id)
    target.mkdir(parents=True, exist_ok=True)
    if entries:
        client.artifact_store.download(owner_id, "", str(target))
        counts["artifacts"] += len(entries)


def _export_run(client: ArchivistClient, edir: Path, eroot: Path, run: Any, counts: dict[str, int]) -> None:
    info = run.info
    rdir = edir / info.run_id
    _dump(rdir / "meta.yaml", {
        "artifact_uri": (eroot / info.run_id / "artifacts").as_uri(), "end_time": info.end_time,
        "entry_point_name": "", "experiment_id": info.experiment_id,
        "lifecycle_stage": info.lifecycle_stage, "run_id": info.run_id, "run_name": info.run_name,
        "run_uuid": info.run_id, "source_name": "", "source_type": 4, "source_version": "",
        "start_time": info.start_time, "status": _RUN_STATUS.get(info.status, 3), "tags": [],
        "user_id": info.user_id,
    })
    for sub in ("params", "tags", "metrics"):  # mlflow recognises a run folder by these
        (rdir / sub).mkdir(parents=True, exist_ok=True)
    _write_kv(rdir / "params", dict(run.data.params))
    _write_kv(rdir / "tags", dict(run.data.tags))
    for key in run.data.metrics:
        points = client.get_metric_history(info.run_id, key)
        p = rdir / "metrics" / key
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("".join(f"{m.timestamp} {_fmt(m.value)} {m.step}\n" for m in points), encoding="utf-8")
        counts["metric_points"] += len(points)
    for di in run.inputs.dataset_inputs:
        ds = di.dataset
        ds_id = hashlib.md5(f"{ds.name}\0{ds.digest}".encode(), usedforsecurity=False).hexdigest()
        _dump(edir / "datasets" / ds_id / "meta.yaml", {
            "digest": ds.digest, "name": ds.name, "profile": ds.profile, "schema": ds.schema,
            "source": ds.source, "source_type": ds.source_type,
        })
        input_id = hashlib.md5(f"{ds_id}\0{info.run_id}".encode(), usedforsecurity=False).hexdigest()
        _dump(rdir / "inputs" / input_id / "meta.yaml", {
            "destination_id": info.run_id, "destination_type": "RUN", "source_id": ds_id,
            "source_type": "DATASET", "tags": {t.key: t.value for t in di.tags},
        })
        counts["dataset_inputs"] += 1
    _download(client, info.run_id, rdir / "artifacts", counts)
    counts["runs"] += 1


def _export_registry(client: ArchivistClient, root: Path, counts: dict[str, int]) -> None:
    for rm in _pages(lambda t: client.search_registered_models(None, 1000, None, t)):
        full = client.get_registered_model(rm.name)
        mdir = root / "models" / rm.name
        _dump(mdir / "meta.yaml", {
            "aliases": dict(full.aliases), "creation_timestamp": full.creation_timestamp,
            "description": full.description, "last_updated_timestamp": full.last_updated_timestamp,
            "name": full.name,
        })
        _write_kv(mdir / "tags", dict(full.tags))
        _write_kv(mdir / "aliases", {a: str(v) for a, v in full.aliases.items()})
        counts["registered_models"] += 1
        quoted = rm.name.replace("\\", "\\\\").replace("'", "\\'")
        for v in _pages(lambda t, q=quoted: client.search_model_versions(f"name = '{q}'", 1000, None, t)):
            vdir = mdir / f"version-{v.version}"
            location = None
            if v.model_id:
                logged = client.get_logged_model(v.model_id)
                location = (root / logged.experiment_id / "models" / v.model_id / "artifacts").as_uri()
            _dump(vdir / "meta.yaml", {
                "creation_timestamp": v.creation_timestamp, "current_stage": v.current_stage,
                "description": v.description, "last_updated_timestamp": v.last_updated_timestamp,
                "model_id": v.model_id, "name": v.name, "run_id": v.run_id, "run_link": v.run_link,
                "source": v.source, "status": v.status, "status_message": v.status_message,
                "storage_location": location, "user_id": v.user_id, "version": int(v.version),
            })
            _write_kv(vdir / "tags", dict(v.tags))
            counts["model_versions"] += 1
