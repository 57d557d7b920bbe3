"""``ModelInfo``: what ``log_model`` returns and what ``get_model_info`` reads back;
``set_signature`` rewrites a stored model's signature."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from archivist.entities import LoggedModel, ModelInfo

if TYPE_CHECKING:
    from archivist.models.model import Model
    from archivist.models.signature import ModelSignature

__all__ = ["get_model_info", "model_info", "set_signature"]


def model_info(
    model: Model,
    logged: LoggedModel | None,
    *,
    model_uri: str,
    name: str,
    run_id: str | None,
    registered_model_version: int | None = None,
) -> ModelInfo:
    """Combine a model's ``MLmodel`` content with its ``LoggedModel`` row (when it has one)."""
    return ModelInfo(
        model_uri=model_uri,
        model_id=(logged.model_id if logged else model.model_id) or "",
        run_id=run_id,
        name=name,
        flavors=model.flavors,
        signature=model.signature,
        metadata=model.metadata,
        utc_time_created=model.utc_time_created,
        model_uuid=model.model_uuid,
        saved_input_example_info=model.saved_input_example_info,
        registered_model_version=registered_model_version,
        params=dict(logged.params) if logged else {},
        tags=dict(logged.tags) if logged else {},
        metrics=list(logged.metrics) if logged else [],
        creation_timestamp=logged.creation_timestamp if logged else None,
        artifact_location=logged.artifact_location if logged else None,
        env_vars=model.env_vars,
    )


def get_model_info(model_uri: str | os.PathLike[str]) -> ModelInfo:
    """Describe the model at ``model_uri`` without downloading or loading it.

    Only its ``MLmodel`` file is read. Accepts every model URI form (see
    :mod:`archivist.models.resolve`).

    Example:
        >>> info = get_model_info("models:/iris-classifier@champion")
        >>> info.signature.inputs
    """
    from archivist.models.model import MLMODEL_FILE, Model
    from archivist.models.resolve import model_source, resolve_model_uri

    text = os.fspath(model_uri)
    if not text.startswith(("models:", "runs:")):
        local = resolve_model_uri(text).local_dir  # a local directory: nothing is copied
        model = Model.load(local)
        name = model.artifact_path or os.path.basename(os.path.normpath(local))
        return model_info(model, None, model_uri=text, name=name, run_id=model.run_id)

    from archivist.fluent import _client

    client = _client()
    source = model_source(text, client)
    if source.model_id is not None:
        logged = client.get_logged_model(source.model_id)
        data = client.artifact_store.read_bytes(source.model_id, MLMODEL_FILE)
        model = Model.from_yaml(data, f"{text} ({MLMODEL_FILE})")
        return model_info(model, logged, model_uri=text, name=logged.name, run_id=source.run_id)
    # a model directory logged as plain artifacts of a run
    path = str(source.run_path)
    data = client.artifact_store.read_bytes(str(source.run_id), f"{path}/{MLMODEL_FILE}")
    model = Model.from_yaml(data, f"{text} ({MLMODEL_FILE})")
    return model_info(model, None, model_uri=text, name=path, run_id=source.run_id)


def set_signature(model_uri: str | os.PathLike[str], signature: ModelSignature) -> None:
    """Replace the signature recorded in a model's ``MLmodel`` file.

    ``model_uri`` is ``models:/<model_id>``, ``runs:/<run_id>/<name>`` or a local model
    directory. A registered version (``models:/<name>/<version>`` or ``@alias``) is refused,
    as in MLflow: a version's files must not change after registration, so set the
    signature on the logged model before registering it.

    Example:
        >>> set_signature(info.model_uri, infer_signature(X, model.predict(X)))
    """
    from archivist.errors import InvalidArgument
    from archivist.models.model import MLMODEL_FILE, Model
    from archivist.models.resolve import _MODEL_ID, model_source, resolve_model_uri
    from archivist.models.signature import ModelSignature

    if not isinstance(signature, ModelSignature):
        raise InvalidArgument(
            f"signature must be a ModelSignature (from infer_signature), got "
            f"{type(signature).__name__}"
        )
    text = os.fspath(model_uri)
    if text.startswith("models:/") and not _MODEL_ID.match(text[len("models:/") :].strip("/")):
        raise InvalidArgument(
            f"model URI {text!r} names a registered model version, whose files cannot change; "
            "set the signature on its logged model (models:/<model_id>) before registering"
        )
    if not text.startswith(("models:", "runs:")):
        local = resolve_model_uri(text).local_dir
        model = Model.load(local)
        model.signature = signature
        model.save(local)
        return
    from archivist.fluent import _client

    client = _client()
    source = model_source(text, client)
    owner = source.model_id or str(source.run_id)
    path = MLMODEL_FILE if source.model_id else f"{source.run_path}/{MLMODEL_FILE}"
    model = Model.from_yaml(client.artifact_store.read_bytes(owner, path), f"{text} ({path})")
    model.signature = signature
    client.artifact_store.log_bytes(owner, path, model.to_yaml().encode())
