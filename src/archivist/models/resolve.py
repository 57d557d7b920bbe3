"""The one place that turns a model URI into a local model directory.

Accepted forms: ``models:/<model_id>``, ``runs:/<run_id>/<name>``,
``models:/<name>/<version>``, ``models:/<name>@<alias>``, ``models:/<name>/latest``,
``file:///path`` and a plain local directory holding an ``MLmodel`` file.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from archivist.errors import InvalidArgument, ResourceNotFound

if TYPE_CHECKING:
    from archivist.client import ArchivistClient

__all__ = [
    "ACCEPTED_FORMS",
    "ModelSource",
    "ResolvedModel",
    "model_source",
    "release",
    "resolve_model_uri",
]

ACCEPTED_FORMS = (
    "models:/<model_id>, runs:/<run_id>/<name>, models:/<name>/<version>, "
    "models:/<name>@<alias>, models:/<name>/latest, or a local directory containing MLmodel"
)
_MODEL_ID = re.compile(r"^m-[0-9a-f]{32}$")
_RUNS = re.compile(r"^runs:/(?P<run>[0-9a-f]{32})/(?P<path>.+)$")


@dataclass(frozen=True, slots=True)
class ResolvedModel:
    local_dir: str
    model_id: str | None = None
    run_id: str | None = None
    #: The temporary folder made for this load (``local_dir`` is in it), which
    #: :func:`release` removes once the model no longer needs its files; None otherwise.
    temp_root: str | None = None


def _unknown(uri: str, why: str) -> InvalidArgument:
    return InvalidArgument(f"model URI {uri!r} {why}; accepted forms: {ACCEPTED_FORMS}")


@dataclass(frozen=True, slots=True)
class ModelSource:
    """Where a store URI's model lives: a logged model, or a folder of a run's artifacts."""

    model_id: str | None
    run_id: str | None
    #: the folder in the run's artifacts, when the model is not a logged model
    run_path: str | None = None

    @property
    def uri(self) -> str:
        """The canonical URI: ``models:/<model_id>`` or ``runs:/<run_id>/<path>``."""
        if self.model_id is not None:
            return f"models:/{self.model_id}"
        return f"runs:/{self.run_id}/{self.run_path}"


def model_source(uri: str, client: ArchivistClient) -> ModelSource:
    """The model a store URI names, checked to exist (without downloading anything)."""
    if uri.startswith("models:/"):
        rest = uri[len("models:/") :].strip("/")
        if _MODEL_ID.match(rest):
            model = client.tracking_store.get_logged_model(rest)
            return ModelSource(model.model_id, model.source_run_id)
        version = client.resolve_model_version(rest, uri)
        if version.model_id:
            return ModelSource(version.model_id, version.run_id)
        return model_source(version.source, client)
    m = _RUNS.match(uri)
    if m:
        run_id, path = m.group("run"), m.group("path").strip("/")
        client.get_run(run_id)
        found = client.tracking_store.find_logged_model(run_id, path)
        if found is not None:
            return ModelSource(found.model_id, run_id)
        mlmodel = f"{path}/MLmodel"
        if not any(e.path == mlmodel for e in client.artifact_store.entries(run_id, path)):
            raise ResourceNotFound(
                f"model URI {uri!r}: run {run_id} has no model named {path!r} (no logged model "
                f"and no {mlmodel!r} artifact); list its models with 'archivist models list' "
                "or its artifacts with 'archivist artifacts list'"
            )
        return ModelSource(None, run_id, path)
    raise _unknown(uri, "is not a model store URI")


def resolve_model_uri(
    uri: str | os.PathLike[str], client: ArchivistClient | None = None, dst: str | None = None
) -> ResolvedModel:
    """Materialize the model ``uri`` names and return its local directory."""
    text = os.fspath(uri)
    if not isinstance(text, str) or not text:
        raise _unknown(str(uri), "is empty")
    parsed = urlparse(text)
    if parsed.scheme in ("", "file") or (len(parsed.scheme) == 1 and os.name == "nt"):
        local = Path(unquote(parsed.path) if parsed.scheme == "file" else text)
        if local.is_file() and local.name == "MLmodel":
            local = local.parent
        if not local.is_dir():
            raise _unknown(text, "is not an existing directory")
        if not (local / "MLmodel").is_file():
            raise _unknown(text, "is a directory without an MLmodel file")
        return ResolvedModel(str(local))
    if parsed.scheme not in ("models", "runs"):
        raise _unknown(text, f"has scheme {parsed.scheme!r}, which is not a model URI")
    if client is None:
        from archivist.fluent import _client

        client = _client()
    source = model_source(text, client)
    if dst is not None:
        return _materialize(client, dst, source, None)
    out = tempfile.mkdtemp(prefix="archivist-model-")
    try:
        return _materialize(client, out, source, out)
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)
        raise


def _materialize(
    client: ArchivistClient, out: str, source: ModelSource, temp_root: str | None
) -> ResolvedModel:
    if source.model_id is not None:
        client.artifact_store.download(source.model_id, "", out, link=True)
        return ResolvedModel(out, source.model_id, source.run_id, temp_root)
    local_dir = client.artifact_store.download(str(source.run_id), source.run_path, out, link=True)
    return ResolvedModel(local_dir, None, source.run_id, temp_root)


def release(resolved: ResolvedModel) -> None:
    """Remove a temporary model folder made by :func:`resolve_model_uri` (else nothing)."""
    if resolved.temp_root is not None:
        shutil.rmtree(resolved.temp_root, ignore_errors=True)
