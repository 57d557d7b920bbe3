"""Reading artifacts back: download, list and load, by run id or artifact URI."""

from __future__ import annotations

import os
from typing import Any

from archivist import _formats
from archivist.entities import FileInfo
from archivist.errors import InvalidArgument
from archivist.paths import validate_artifact_path

__all__ = ["download_artifacts", "list_artifacts", "load_dict", "load_image", "load_table", "load_text"]


def _target(
    artifact_uri: str | None, run_id: str | None, artifact_path: str | None
) -> tuple[str, str]:
    if artifact_uri is not None:
        if run_id is not None or artifact_path is not None:
            raise InvalidArgument(
                "give either artifact_uri, or run_id (with an optional artifact_path), not both"
            )
        from archivist.uris import parse_artifact_uri

        return parse_artifact_uri(artifact_uri)
    if run_id is None:
        raise InvalidArgument("give artifact_uri, or run_id (with an optional artifact_path)")
    return run_id, validate_artifact_path(artifact_path)


def _client(tracking_uri: str | None) -> Any:
    if tracking_uri is not None:
        from archivist.client import ArchivistClient

        return ArchivistClient(tracking_uri)
    from archivist.fluent import _client

    return _client()


def download_artifacts(
    artifact_uri: str | None = None,
    run_id: str | None = None,
    artifact_path: str | None = None,
    dst_path: str | os.PathLike[str] | None = None,
    tracking_uri: str | None = None,
) -> str:
    """Download a file or folder of a run's artifacts, or a model; returns its local path.

    ``artifact_uri`` may be ``runs:/<run_id>/<path>`` (where ``<path>`` may start with the
    name of a model the run logged, as in MLflow 3), a run's ``artifact_uri`` followed by a
    path, or a model URI: ``models:/<model_id>``, ``models:/<name>/<version>``,
    ``models:/<name>@<alias>``.

    Example:
        >>> download_artifacts(run_id=run_id, artifact_path="plots", dst_path="out")
        '/abs/out/plots'
    """
    client = _client(tracking_uri)
    dst = os.fspath(dst_path) if dst_path is not None else None
    if artifact_uri is not None and artifact_uri.startswith("models:/"):
        if run_id is not None or artifact_path is not None:
            raise InvalidArgument("give either artifact_uri, or run_id (with artifact_path), not both")
        from archivist.models.resolve import resolve_model_uri

        return resolve_model_uri(artifact_uri, client, dst=dst or _new_temp_dir()).local_dir
    rid, path = _target(artifact_uri, run_id, artifact_path)
    model = _logged_model_at(client, rid, path)
    if model is not None:
        inner = path.partition("/")[2]
        return str(client.artifact_store.download(model.model_id, inner, dst or _new_temp_dir()))
    return str(client.download_artifacts(rid, path, dst))


def _new_temp_dir() -> str:
    import tempfile

    return tempfile.mkdtemp(prefix="archivist-")


def _logged_model_at(client: Any, run_id: str, path: str) -> Any:
    """The model run ``run_id`` logged as the first part of ``path``, when the run has no
    artifact there (MLflow 3 keeps models beside the run: runs:/<id>/<model name>)."""
    if not path or client.artifact_store.entries(run_id, path):
        return None
    return client.tracking_store.find_logged_model(run_id, path.partition("/")[0])


def list_artifacts(
    artifact_uri: str | None = None,
    run_id: str | None = None,
    artifact_path: str | None = None,
    tracking_uri: str | None = None,
) -> list[FileInfo]:
    rid, path = _target(artifact_uri, run_id, artifact_path)
    return list(_client(tracking_uri).list_artifacts(rid, path))


def _read(artifact_uri: str) -> tuple[bytes, str]:
    from archivist.uris import parse_artifact_uri

    rid, path = parse_artifact_uri(artifact_uri)
    return bytes(_client(None).read_artifact(rid, path)), path


def load_text(artifact_uri: str) -> str:
    return _read(artifact_uri)[0].decode()


def load_dict(artifact_uri: str) -> dict[str, Any]:
    data, path = _read(artifact_uri)
    return _formats.bytes_to_dict(data, path)


def load_image(artifact_uri: str) -> Any:
    import io

    from PIL import Image

    data, _ = _read(artifact_uri)
    return Image.open(io.BytesIO(data))


def load_table(
    artifact_file: str, run_ids: list[str] | None = None, extra_columns: list[str] | None = None
) -> Any:
    """Load a table logged with ``log_table`` from the active experiment's runs (or
    ``run_ids``), as one DataFrame.

    ``extra_columns`` (such as ``["run_id"]``) adds those run attributes as columns.
    """
    from archivist.fluent import _active_experiment_id

    return _client(None).load_table(_active_experiment_id(), artifact_file, run_ids, extra_columns)
