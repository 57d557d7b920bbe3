"""The generic interface: ``load_model(uri).predict(data, params=None)`` for any flavor,
and custom Python models (``PythonModel``) logged with their artifacts.
"""

from __future__ import annotations

import importlib
import os
import shutil
import sys
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archivist.errors import ArtifactCorrupted, InvalidArgument
from archivist.flavors._common import (
    LOADER_MODULES,
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

__all__ = ["PyFuncModel", "PythonModel", "PythonModelContext", "load_model", "log_model", "save_model"]

FLAVOR_NAME = "python_function"
_PYTHON_MODEL_FILE = "python_model.pkl"


@dataclass
class PythonModelContext:
    """What ``load_context`` and ``predict`` receive: local paths of the model's artifacts."""

    artifacts: dict[str, str] = field(default_factory=dict)
    model_config: dict[str, Any] = field(default_factory=dict)


class PythonModel:
    """Subclass and implement ``predict``; optionally ``load_context``."""

    def load_context(self, context: PythonModelContext) -> None:
        """Called once after loading, with the artifacts' local paths."""

    def predict(self, context: PythonModelContext, model_input: Any, params: dict[str, Any] | None = None) -> Any:
        raise NotImplementedError("PythonModel subclasses implement predict()")


class PyFuncModel:
    """A loaded model of any flavor, with its signature enforced at predict time."""

    def __init__(self, impl: Any, metadata: Model, model_dir: str) -> None:
        self._impl = impl
        self.metadata = metadata
        self.model_dir = model_dir

    @property
    def model_id(self) -> str | None:
        return self.metadata.model_id

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        """Predict after checking ``data`` against the input schema (when there is one).

        Raises:
            InvalidArgument: a required column is missing, or a value cannot be converted
                safely to its declared type (the message names the column and both types).
        """
        from archivist.models.signature import enforce_params, enforce_schema

        signature = self.metadata.signature
        if signature is not None:
            if signature.inputs is not None:
                data = enforce_schema(data, signature.inputs)
            params = enforce_params(params, signature.params)
        return self._impl.predict(data, params)

    def unwrap_python_model(self) -> Any:
        return getattr(self._impl, "python_model", self._impl)

    def get_raw_model(self) -> Any:
        raw = getattr(self._impl, "get_raw_model", None)
        return raw() if raw else self.unwrap_python_model()

    def __repr__(self) -> str:
        flavors = ", ".join(sorted(self.metadata.flavors))
        return f"<PyFuncModel model_id={self.metadata.model_id!r} flavors=[{flavors}]>"


def load_model(model_uri: str | os.PathLike[str], dst_path: str | None = None) -> PyFuncModel:
    """Load any model as a :class:`PyFuncModel` from a model URI or local directory.

    Accepted URIs: ``models:/<model_id>``, ``runs:/<run_id>/<name>``,
    ``models:/<name>/<version>``, ``models:/<name>@<alias>``, ``models:/<name>/latest``,
    or a local directory holding an ``MLmodel`` file (including MLflow's).
    """
    from archivist.models.model import Model
    from archivist.models.resolve import release, resolve_model_uri

    resolved = resolve_model_uri(model_uri, dst=dst_path)
    try:
        loaded = load_from_dir(resolved.local_dir, Model.load(resolved.local_dir))
    except BaseException:
        release(resolved)
        raise
    if resolved.temp_root is not None:
        # A custom model may read its artifacts at predict time: its files live as long as it.
        weakref.finalize(loaded, release, resolved)
    return loaded


def load_from_dir(model_dir: str, model: Model) -> PyFuncModel:
    conf = model.flavors.get(FLAVOR_NAME)
    if conf is None:
        raise InvalidArgument(
            f"model at {model_dir!r} has no python_function flavor (it has {sorted(model.flavors)}) "
            "so it cannot be loaded generically; use its flavor's load_model"
        )
    loader_name = conf.get("loader_module", "")
    module_name = LOADER_MODULES.get(loader_name)
    if module_name is None:
        raise InvalidArgument(
            f"model at {model_dir!r} needs loader module {loader_name!r}, which Archivist does "
            f"not provide; supported: {sorted(set(LOADER_MODULES.values()))}"
        )
    check_environment(model_dir)
    module = importlib.import_module(module_name)
    impl = module._load_pyfunc(model_dir, model)
    return PyFuncModel(impl, model, model_dir)


class _PythonModelWrapper:
    def __init__(self, python_model: PythonModel, context: PythonModelContext) -> None:
        self.python_model = python_model
        self.context = context

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        if params:
            return self.python_model.predict(self.context, data, params=params)
        return self.python_model.predict(self.context, data)


def _load_pyfunc(model_dir: str, model: Model) -> _PythonModelWrapper:
    import cloudpickle

    conf = model.flavors[FLAVOR_NAME]
    add_code_to_path(model_dir, conf)
    file = os.path.join(model_dir, conf.get("python_model", _PYTHON_MODEL_FILE))
    if not os.path.isfile(file):
        raise ArtifactCorrupted(f"python model file {file!r} is missing from the model directory")
    pickle_guard(file)
    try:
        with open(file, "rb") as f:
            python_model = cloudpickle.load(f)
    except Exception as e:
        raise ArtifactCorrupted(
            f"python model file {file!r} is corrupt or truncated ({type(e).__name__}: {e}); "
            "re-save the model"
        ) from None
    artifacts = {
        name: os.path.join(model_dir, spec["path"] if isinstance(spec, dict) else spec)
        for name, spec in (conf.get("artifacts") or {}).items()
    }
    context = PythonModelContext(artifacts, dict(conf.get("model_config") or {}))
    python_model.load_context(context)
    return _PythonModelWrapper(python_model, context)


def save_model(
    path: str | os.PathLike[str],
    python_model: PythonModel | None = None,
    artifacts: dict[str, str] | None = None,
    code_paths: list[str] | None = None,
    conda_env: Any = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    metadata: dict[str, Any] | None = None,
    model_config: dict[str, Any] | None = None,
    *,
    _run_id: str | None = None,
    _model_id: str | None = None,
) -> Model:
    """Save a custom :class:`PythonModel` with its artifacts to directory ``path``."""
    import cloudpickle

    from archivist.models.environment import (
        environment_info,
        process_requirements,
        requirements_from_pickle,
        write_environment,
    )
    from archivist.models.model import Model, save_input_example
    from archivist.models.signature import validate_example

    if not isinstance(python_model, PythonModel) and not callable(python_model):
        raise InvalidArgument(
            f"python_model must be a PythonModel instance (or a callable); got "
            f"{type(python_model).__name__}"
        )
    if callable(python_model) and not isinstance(python_model, PythonModel):
        python_model = _FunctionModel(python_model)
    target = Path(path)
    if target.exists() and any(target.iterdir()):
        raise InvalidArgument(f"path {os.fspath(path)!r} already exists and is not empty; choose a new one")
    if signature is not None and input_example is not None:
        validate_example(signature, input_example)
    try:
        data = cloudpickle.dumps(python_model)
    except Exception as e:
        raise InvalidArgument(f"python_model could not be serialized with cloudpickle ({e})") from None
    target.mkdir(parents=True, exist_ok=True)
    (target / _PYTHON_MODEL_FILE).write_bytes(data)
    artifact_conf: dict[str, dict[str, str]] = {}
    for name, local in (artifacts or {}).items():
        src = Path(local)
        if not src.exists():
            raise InvalidArgument(f"artifact {name!r}: local path {local!r} does not exist")
        rel = f"artifacts/{src.name}"
        (target / "artifacts").mkdir(exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, target / rel)
        else:
            shutil.copy2(src, target / rel)
        artifact_conf[name] = {"path": rel, "uri": str(src)}
    code = copy_code_paths(code_paths, target)
    if signature is None and input_example is not None:
        context = PythonModelContext(
            {name: str(target / spec["path"]) for name, spec in artifact_conf.items()},
            dict(model_config or {}),
        )
        signature = _infer_from_example(data, context, input_example)
    model = Model(run_id=_run_id, model_id=_model_id, artifact_path=target.name)
    model.signature = signature
    model.metadata = metadata
    if input_example is not None:
        model.saved_input_example_info = save_input_example(target, input_example)
    requirements = process_requirements(
        requirements_from_pickle(data, ["cloudpickle"]), pip_requirements, extra_pip_requirements,
        conda_env,
    )
    write_environment(target, requirements)
    conf: dict[str, Any] = {
        "loader_module": "mlflow.pyfunc.model",
        "python_model": _PYTHON_MODEL_FILE,
        "cloudpickle_version": cloudpickle.__version__,
        "env": {"conda": "conda.yaml", "virtualenv": "python_env.yaml"},
        "python_version": ".".join(map(str, sys.version_info[:3])),
    }
    if artifact_conf:
        conf["artifacts"] = artifact_conf
    if code:
        conf["code"] = code
    if model_config:
        conf["model_config"] = model_config
    model.add_flavor(FLAVOR_NAME, **conf)
    model.extra["archivist_environment"] = environment_info()
    model.save(target)
    return model


def _infer_from_example(
    data: bytes, context: PythonModelContext, input_example: Any
) -> ModelSignature | None:
    """The signature of a saved model's answer to its example, as MLflow infers it.

    A fresh copy of the model (from its saved bytes) loads its context and predicts, so the
    caller's object is not touched. A model that cannot predict its example still saves,
    without a signature, and the warning says why.
    """
    import cloudpickle

    from archivist._warnings import warn
    from archivist.models.signature import infer_signature, split_example

    example, params = split_example(input_example)
    try:
        model: PythonModel = cloudpickle.loads(data)
        model.load_context(context)
        output = (model.predict(context, example, params=params) if params
                  else model.predict(context, example))
        return infer_signature(example, output, params)
    except Exception as e:
        warn(
            f"no signature was inferred from input_example: the model could not predict it "
            f"({type(e).__name__}: {e}); pass signature= to record one"
        )
        return None


class _FunctionModel(PythonModel):
    def __init__(self, fn: Any) -> None:
        self.fn = fn

    def predict(self, context: PythonModelContext, model_input: Any, params: dict[str, Any] | None = None) -> Any:
        return self.fn(model_input)


def log_model(
    artifact_path: str | None = None,
    python_model: PythonModel | None = None,
    artifacts: dict[str, str] | None = None,
    code_paths: list[str] | None = None,
    conda_env: Any = None,
    registered_model_name: str | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    await_registration_for: int = 300,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    metadata: dict[str, Any] | None = None,
    model_config: dict[str, Any] | None = None,
    name: str | None = None,
    params: dict[str, Any] | None = None,
    tags: dict[str, Any] | None = None,
    model_type: str | None = None,
    step: int = 0,
    model_id: str | None = None,
    **kwargs: Any,
) -> ModelInfo:
    """Log a custom :class:`PythonModel` (and files it needs, as ``artifacts``)."""
    del await_registration_for  # registration is synchronous here
    derived_from = kwargs.pop("derived_from", None)  # lineage: what it was made from
    refuse_unknown_kwargs("archivist.pyfunc.log_model", kwargs)
    if python_model is None:
        raise InvalidArgument("pyfunc.log_model needs python_model=, a PythonModel instance")

    def save(path: str, run_id: str | None, mid: str) -> Model:
        return save_model(
            path,
            python_model=python_model,
            artifacts=artifacts,
            code_paths=code_paths,
            conda_env=conda_env,
            signature=signature,
            input_example=input_example,
            pip_requirements=pip_requirements,
            extra_pip_requirements=extra_pip_requirements,
            metadata=metadata,
            model_config=model_config,
            _run_id=run_id,
            _model_id=mid,
        )

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
