"""The scikit-learn flavor: ``save_model``, ``log_model`` and ``load_model``.

Models are written in MLflow's layout (``MLmodel`` with ``sklearn`` and
``python_function`` flavors, ``model.pkl``, environment files), so MLflow can load them
and Archivist can load MLflow's. The default format is cloudpickle, which saves every
estimator and Pipeline; ``skops`` is the safer choice when loading models you did not make.
"""

from __future__ import annotations

import io
import os
import pickle
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archivist.errors import ArtifactCorrupted, InvalidArgument, PermissionDenied, missing
from archivist.flavors._common import (
    add_code_to_path,
    check_environment,
    copy_code_paths,
    log_saved_model,
    pickle_guard,
    refuse_unknown_kwargs,
)

if TYPE_CHECKING:
    from archivist.entities import ModelInfo
    from archivist.models.model import Model
    from archivist.models.signature import ModelSignature

__all__ = [
    "SERIALIZATION_FORMAT_CLOUDPICKLE",
    "SERIALIZATION_FORMAT_PICKLE",
    "SERIALIZATION_FORMAT_SKOPS",
    "SUPPORTED_SERIALIZATION_FORMATS",
    "load_model",
    "log_model",
    "save_model",
]

FLAVOR_NAME = "sklearn"
SERIALIZATION_FORMAT_PICKLE = "pickle"
SERIALIZATION_FORMAT_CLOUDPICKLE = "cloudpickle"
SERIALIZATION_FORMAT_SKOPS = "skops"
SUPPORTED_SERIALIZATION_FORMATS = (
    SERIALIZATION_FORMAT_CLOUDPICKLE,
    SERIALIZATION_FORMAT_PICKLE,
    SERIALIZATION_FORMAT_SKOPS,
)
_FILES = {
    SERIALIZATION_FORMAT_CLOUDPICKLE: "model.pkl",
    SERIALIZATION_FORMAT_PICKLE: "model.pkl",
    SERIALIZATION_FORMAT_SKOPS: "model.skops",
}


def _sklearn_version() -> str:
    try:
        import sklearn
    except ImportError:
        raise missing("scikit-learn", "sklearn", "the sklearn flavor") from None
    return str(sklearn.__version__)


def _serialize(sk_model: Any, fmt: str) -> bytes:
    if fmt == SERIALIZATION_FORMAT_CLOUDPICKLE:
        import cloudpickle

        try:
            return bytes(cloudpickle.dumps(sk_model))
        except Exception as e:
            raise InvalidArgument(
                f"the sklearn flavor cannot save a {type(sk_model).__name__}: cloudpickle "
                f"failed ({e})"
            ) from None
    if fmt == SERIALIZATION_FORMAT_PICKLE:
        try:
            return pickle.dumps(sk_model, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as e:
            raise InvalidArgument(
                f"the sklearn flavor cannot save a {type(sk_model).__name__} with pickle ({e}); "
                "try serialization_format='cloudpickle'"
            ) from None
    try:
        import skops.io as sio
    except ImportError:
        raise missing("skops", "sklearn", "serialization_format='skops'") from None
    try:
        return bytes(sio.dumps(sk_model))
    except Exception as e:
        raise InvalidArgument(
            f"the sklearn flavor cannot save a {type(sk_model).__name__} with skops ({e}); "
            "try serialization_format='cloudpickle'"
        ) from None


def _check_inputs(
    sk_model: Any,
    serialization_format: str,
    pyfunc_predict_fn: str,
    signature: ModelSignature | None,
    input_example: Any,
) -> None:
    """Every check on the caller's arguments, run before anything is written."""
    from archivist.models.signature import validate_example

    if serialization_format not in SUPPORTED_SERIALIZATION_FORMATS:
        raise InvalidArgument(
            f"serialization_format {serialization_format!r} is unknown; use one of "
            f"{list(SUPPORTED_SERIALIZATION_FORMATS)}"
        )
    if sk_model is None or not hasattr(sk_model, "fit"):
        raise InvalidArgument(
            f"the sklearn flavor saves scikit-learn estimators; got {type(sk_model).__name__} "
            "which has no fit() method. Use archivist.pyfunc.log_model for other objects"
        )
    if not hasattr(sk_model, pyfunc_predict_fn):
        raise InvalidArgument(
            f"pyfunc_predict_fn={pyfunc_predict_fn!r}: {type(sk_model).__name__} has no such "
            "method; use 'predict', 'predict_proba', 'predict_log_proba', 'predict_joint_log_proba' "
            "or 'score'"
        )
    if signature is not None and input_example is not None:
        validate_example(signature, input_example)


def save_model(
    sk_model: Any,
    path: str | os.PathLike[str],
    conda_env: Any = None,
    code_paths: list[str] | None = None,
    mlflow_model: Model | None = None,
    serialization_format: str = SERIALIZATION_FORMAT_CLOUDPICKLE,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    pyfunc_predict_fn: str = "predict",
    metadata: dict[str, Any] | None = None,
    skops_trusted_types: list[str] | None = None,
    extra_files: list[str] | None = None,
    *,
    _run_id: str | None = None,
    _model_id: str | None = None,
    _checked: bool = False,
) -> Model:
    """Save a scikit-learn model to a new directory ``path`` in MLflow's layout.

    Raises:
        InvalidArgument: the directory exists, the object is not an estimator, the format is
            unknown, or the signature does not match the input example.
    """
    from archivist.models.environment import (
        environment_info,
        process_requirements,
        requirements_for_modules,
        requirements_from_pickle,
        write_environment,
    )
    from archivist.models.model import Model, save_input_example
    from archivist.models.signature import infer_signature, split_example

    if not _checked:
        _check_inputs(sk_model, serialization_format, pyfunc_predict_fn, signature, input_example)
    target = Path(path)
    if target.exists() and any(target.iterdir()):
        raise InvalidArgument(f"path {os.fspath(path)!r} already exists and is not empty; choose a new one")
    sk_version = _sklearn_version()
    data = _serialize(sk_model, serialization_format)
    target.mkdir(parents=True, exist_ok=True)
    model = mlflow_model or Model()
    model.run_id = _run_id
    model.model_id = _model_id
    model.artifact_path = target.name
    if signature is None and input_example is not None:
        try:
            example, _ = split_example(input_example)
            signature = infer_signature(example, getattr(sk_model, pyfunc_predict_fn)(example))
        except Exception:  # a model that cannot predict the example still saves
            signature = None
    model.signature = signature
    model.metadata = metadata
    if input_example is not None:
        model.saved_input_example_info = save_input_example(target, input_example)
    model_file = _FILES[serialization_format]
    (target / model_file).write_bytes(data)
    code = copy_code_paths(code_paths, target)
    extra: list[dict[str, str]] = []
    if extra_files:
        (target / "extra_files").mkdir()
        for f in extra_files:
            src = Path(f)
            if not src.is_file():
                raise InvalidArgument(f"extra file {f!r} does not exist or is not a file")
            shutil.copy2(src, target / "extra_files" / src.name)
            extra.append({"path": f"extra_files/{src.name}"})
    if serialization_format == SERIALIZATION_FORMAT_SKOPS:
        default = requirements_for_modules(["sklearn", "skops", "numpy"])
    else:
        extra_modules = ["sklearn"] + (
            ["cloudpickle"] if serialization_format == SERIALIZATION_FORMAT_CLOUDPICKLE else []
        )
        default = requirements_from_pickle(data, extra_modules)
    requirements = process_requirements(
        default, pip_requirements, extra_pip_requirements, conda_env
    )
    write_environment(target, requirements)
    sk_conf: dict[str, Any] = {
        "pickled_model": model_file,
        "sklearn_version": sk_version,
        "serialization_format": serialization_format,
        "code": code,
    }
    if serialization_format == SERIALIZATION_FORMAT_SKOPS:
        # We made this file, so the types in it are trusted; a file changed later to
        # hold other types is refused at load time.
        import skops.io as sio

        contained = sio.get_untrusted_types(data=data)
        sk_conf["skops_trusted_types"] = sorted({*contained, *(skops_trusted_types or [])})
    elif skops_trusted_types:
        sk_conf["skops_trusted_types"] = list(skops_trusted_types)
    if extra:
        sk_conf["extra_files"] = extra
    model.add_flavor(
        "python_function",
        loader_module="mlflow.sklearn",
        model_path=model_file,
        predict_fn=pyfunc_predict_fn,
        env={"conda": "conda.yaml", "virtualenv": "python_env.yaml"},
        python_version=".".join(map(str, sys.version_info[:3])),
        **({"code": code} if code else {}),
    )
    model.add_flavor(FLAVOR_NAME, **sk_conf)
    model.model_size_bytes = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
    model.extra["archivist_environment"] = environment_info()
    model.save(target)
    return model


def log_model(
    sk_model: Any,
    artifact_path: str | None = None,
    conda_env: Any = None,
    code_paths: list[str] | None = None,
    serialization_format: str = SERIALIZATION_FORMAT_CLOUDPICKLE,
    registered_model_name: str | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    await_registration_for: int = 300,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    pyfunc_predict_fn: str = "predict",
    metadata: dict[str, Any] | None = None,
    extra_files: list[str] | None = None,
    params: dict[str, Any] | None = None,
    tags: dict[str, Any] | None = None,
    model_type: str | None = None,
    step: int = 0,
    model_id: str | None = None,
    name: str | None = None,
    skops_trusted_types: list[str] | None = None,
    **kwargs: Any,
) -> ModelInfo:
    """Log a scikit-learn model to the active run (starting one if needed).

    Args:
        sk_model: a fitted estimator or Pipeline.
        name: the model's name within the run (``runs:/<run_id>/<name>``).
        registered_model_name: also register it as a new version of this name.
        serialization_format: ``cloudpickle`` (default), ``pickle`` or ``skops``.

    Returns:
        :class:`~archivist.entities.ModelInfo` with ``model_uri`` (``models:/<model_id>``)
        and ``registered_model_version`` when registered.

    Example:
        >>> info = archivist.sklearn.log_model(model, name="iris", signature=sig)
        >>> archivist.sklearn.load_model(info.model_uri).predict(X)
    """
    del await_registration_for  # registration is synchronous here
    derived_from = kwargs.pop("derived_from", None)  # lineage: what it was made from
    refuse_unknown_kwargs("archivist.sklearn.log_model", kwargs)

    def save(path: str, run_id: str | None, mid: str) -> Model:
        return save_model(
            sk_model,
            path,
            conda_env=conda_env,
            code_paths=code_paths,
            serialization_format=serialization_format,
            signature=signature,
            input_example=input_example,
            pip_requirements=pip_requirements,
            extra_pip_requirements=extra_pip_requirements,
            pyfunc_predict_fn=pyfunc_predict_fn,
            metadata=metadata,
            skops_trusted_types=skops_trusted_types,
            extra_files=extra_files,
            _run_id=run_id,
            _model_id=mid,
            _checked=True,
        )

    # Validate before anything is created, so bad input leaves no trace.
    _check_inputs(sk_model, serialization_format, pyfunc_predict_fn, signature, input_example)
    return log_saved_model(
        save,
        name=name,
        artifact_path=artifact_path,
        registered_model_name=registered_model_name,
        params=params,
        tags=tags,
        model_type=model_type,
        step=step,
        model_id=model_id,
        derived_from=derived_from,
    )


def _load_from_dir(
    model_dir: str, flavor_conf: dict[str, Any], source: str | None = None
) -> Any:
    """Load the estimator; messages name ``source`` (a model URI), else the file's path."""
    add_code_to_path(model_dir, flavor_conf)
    fmt = flavor_conf.get("serialization_format", SERIALIZATION_FORMAT_CLOUDPICKLE)
    name = flavor_conf.get("pickled_model", _FILES.get(fmt, "model.pkl"))
    file = os.path.join(model_dir, name)
    shown = file if source is None else f"{name} of {source}"
    if not os.path.isfile(file):
        raise ArtifactCorrupted(f"model file {shown!r} is missing from the model directory")
    if fmt == SERIALIZATION_FORMAT_SKOPS:
        import skops.io as sio

        trusted = set(flavor_conf.get("skops_trusted_types") or [])
        try:
            unknown = sorted(set(sio.get_untrusted_types(file=file)) - trusted)
        except Exception as e:
            raise ArtifactCorrupted(f"model file {shown!r} could not be read with skops: {e}") from None
        if unknown:
            raise PermissionDenied(
                f"model file {shown!r} holds types that were not trusted when it was saved: "
                f"{unknown}; if you trust this file, save the model again with "
                "skops_trusted_types listing them"
            )
        try:
            return sio.load(file, trusted=sorted(trusted))
        except Exception as e:
            raise ArtifactCorrupted(f"model file {shown!r} could not be loaded with skops: {e}") from None
    if fmt not in (SERIALIZATION_FORMAT_CLOUDPICKLE, SERIALIZATION_FORMAT_PICKLE):
        raise InvalidArgument(
            f"model {source or model_dir!r} uses serialization_format {fmt!r}, which is unknown; known: "
            f"{list(SUPPORTED_SERIALIZATION_FORMATS)}"
        )
    pickle_guard(shown)
    with open(file, "rb") as f:
        data = f.read()
    try:
        if fmt == SERIALIZATION_FORMAT_CLOUDPICKLE:
            import cloudpickle

            return cloudpickle.loads(data)
        return pickle.load(io.BytesIO(data))
    except Exception as e:
        raise ArtifactCorrupted(
            f"model file {shown!r} is corrupt or truncated and could not be unpickled "
            f"({type(e).__name__}: {e}); re-save the model"
        ) from None


def load_model(model_uri: str | os.PathLike[str], dst_path: str | None = None) -> Any:
    """Load a scikit-learn model from any model URI (see ``archivist.models.resolve``)."""
    from archivist.models.model import Model
    from archivist.models.resolve import release, resolve_model_uri

    resolved = resolve_model_uri(model_uri, dst=dst_path)
    keep = False
    try:
        model = Model.load(resolved.local_dir)
        if FLAVOR_NAME not in model.flavors:
            raise InvalidArgument(
                f"model {os.fspath(model_uri)!r} has no sklearn flavor (it has "
                f"{sorted(model.flavors)}); load it with archivist.pyfunc.load_model"
            )
        check_environment(resolved.local_dir)
        conf = model.flavors[FLAVOR_NAME]
        # Bundled code stays importable for the life of the process; anything else is in
        # memory once loaded, so a temporary copy of the files can go.
        keep = bool(conf.get("code"))
        return _load_from_dir(resolved.local_dir, conf, os.fspath(model_uri))
    finally:
        if not keep:
            release(resolved)


class _SklearnPyfunc:
    def __init__(self, sk_model: Any, predict_fn: str) -> None:
        self.sk_model = sk_model
        self.predict_fn = predict_fn

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        return getattr(self.sk_model, self.predict_fn)(data)

    def get_raw_model(self) -> Any:
        return self.sk_model


def _load_pyfunc(model_dir: str, model: Model) -> _SklearnPyfunc:
    """The python_function loader: the unwrapped estimator behind a predict()."""
    pyfunc_conf = model.flavors.get("python_function", {})
    conf = model.flavors.get(FLAVOR_NAME) or {
        "pickled_model": pyfunc_conf.get("model_path", "model.pkl"),
        "serialization_format": SERIALIZATION_FORMAT_CLOUDPICKLE,
    }
    return _SklearnPyfunc(_load_from_dir(model_dir, conf), pyfunc_conf.get("predict_fn", "predict"))
