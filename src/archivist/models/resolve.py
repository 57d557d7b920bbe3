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

__all__ = ["ACCEPTED_FORMS", "ResolvedModel", "model_source", "release", "resolve_model_uri"]

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


def model_source(uri: str, client: ArchivistClient) -> tuple[str | None, str | None]:
    """``(model_id, run_id)`` a store URI names (without downloading anything)."""
    if uri.startswith("models:/"):
        rest = uri[len("models:/") :].strip("/")
        if _MODEL_ID.match(rest):
            model = client.tracking_store.get_logged_model(rest)
            return model.model_id, model.source_run_id
        version = client.resolve_model_version(rest, uri)
        if version.model_id:
            return version.model_id, version.run_id
        return model_source(version.source, client)
    m = _RUNS.match(uri)
    if m:
        run_id, path = m.group("run"), m.group("path").strip("/")
        client.get_run(run_id)
        found = client.tracking_store.find_logged_model(run_id, path)
        return (found.model_id if found else None), run_id
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
    model_id, run_id = model_source(text, client)
    if dst is not None:
        return _materialize(text, client, dst, model_id, run_id, None)
    out = tempfile.mkdtemp(prefix="archivist-model-")
    try:
        return _materialize(text, client, out, model_id, run_id, out)
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)
        raise


def _materialize(
    text: str,
    client: ArchivistClient,
    out: str,
    model_id: str | None,
    run_id: str | None,
    temp_root: str | None,
) -> ResolvedModel:
    store = client.artifact_store
    if model_id is not None:
        store.download(model_id, "", out, link=True)
        return ResolvedModel(out, model_id, run_id, temp_root)
    m = _RUNS.match(text)
    if m is None or run_id is None:
        raise _unknown(text, "names no model")
    path = m.group("path").strip("/")
    try:
        local_dir = store.download(run_id, path, out, link=True)
    except ResourceNotFound:
        raise ResourceNotFound(
            f"model URI {text!r}: run {run_id} has no model named {path!r}; list its models "
            "with 'archivist models list' or its artifacts with 'archivist artifacts list'"
        ) from None
    if not Path(local_dir, "MLmodel").is_file():
        raise ResourceNotFound(f"model URI {text!r}: {path!r} in run {run_id} holds no MLmodel")
    return ResolvedModel(local_dir, None, run_id, temp_root)


def release(resolved: ResolvedModel) -> None:
    """Remove a temporary model folder made by :func:`resolve_model_uri` (else nothing)."""
    if resolved.temp_root is not None:
        shutil.rmtree(resolved.temp_root, ignore_errors=True)
