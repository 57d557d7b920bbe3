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
from archivist.flavors._pyfunc_sources import copy_artifacts
from archivist.models.code import MODEL_CODE_PATH

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
    if MODEL_CODE_PATH in conf:
        from archivist.models.code import load_code_model

        loaded = load_code_model(os.path.join(model_dir, os.path.basename(conf[MODEL_CODE_PATH])))
        return _with_context(
            loaded if isinstance(loaded, PythonModel) else _FunctionModel(loaded), model_dir, conf
        )
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
    return _with_context(python_model, model_dir, conf)


def _with_context(
    python_model: PythonModel, model_dir: str, conf: dict[str, Any]
) -> _PythonModelWrapper:
    artifacts = {
        name: os.path.join(model_dir, spec["path"] if isinstance(spec, dict) else spec)
        for name, spec in (conf.get("artifacts") or {}).items()
    }
    context = PythonModelContext(artifacts, dict(conf.get("model_config") or {}))
    python_model.load_context(context)
    return _PythonModelWrapper(python_model, context)


def save_model(
    path: str | os.PathLike[str],
    python_model: PythonModel | str | os.PathLike[str] | None = None,
    artifacts: dict[str, str] | None = None,
    code_paths: list[str] | None = None,
    conda_env: Any = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    metadata: dict[str, Any] | None = None,
    model_config: dict[str, Any] | None = None,
    infer_code_paths: bool = False,
    *,
    _run_id: str | None = None,
    _model_id: str | None = None,
) -> Model:
    """Save a custom model with its artifacts to directory ``path``.

    Args:
        python_model: a :class:`PythonModel`, a callable, or the path of a models-from-code
            file that calls ``set_model(model)`` (stored as code and run again on load).
        artifacts: name -> local path or store URI (``runs:/``, ``models:/``, a run's
            artifact URI); each is copied into the model and given to ``load_context``.
        code_paths: local files or folders the model imports, copied into ``code/``.
        infer_code_paths: also copy the working tree's modules the model imports.
    """
    import cloudpickle

    from archivist.models.environment import (
        environment_info,
        process_requirements,
        requirements_from_pickle,
        write_environment,
    )
    from archivist.models.model import Model, save_input_example
    from archivist.models.signature import validate_example

    code_file = None
    if isinstance(python_model, str | os.PathLike):
        from archivist.models.code import load_code_model

        code_file = Path(python_model)
        python_model = load_code_model(code_file)  # checks that it runs and sets a model
    if not isinstance(python_model, PythonModel) and not callable(python_model):
        raise InvalidArgument(
            f"python_model must be a PythonModel instance, a callable, or the path of a "
            f"models-from-code file; got {type(python_model).__name__}"
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
        if code_file is None:
            raise InvalidArgument(
                f"python_model could not be serialized with cloudpickle ({e})"
            ) from None
        data = b""  # a model from code is not pickled; its file is what loads it
    target.mkdir(parents=True, exist_ok=True)
    if code_file is not None:
        shutil.copy2(code_file, target / code_file.name)
    else:
        (target / _PYTHON_MODEL_FILE).write_bytes(data)
    artifact_conf = copy_artifacts(artifacts, target)
    code = copy_code_paths(
        [*(code_paths or []), *(_inferred_code_paths(code_file, data) if infer_code_paths else [])],
        target,
    )
    if signature is None and input_example is not None:
        context = PythonModelContext(
            {name: str(target / spec["path"]) for name, spec in artifact_conf.items()},
            dict(model_config or {}),
        )
        signature = _infer_from_example(python_model, data, context, input_example)
    model = Model(run_id=_run_id, model_id=_model_id, artifact_path=target.name)
    model.signature = signature
    model.metadata = metadata
    if input_example is not None:
        model.saved_input_example_info = save_input_example(target, input_example)
    if code_file is not None:
        from archivist.models.code import imported_modules
        from archivist.models.environment import requirements_for_modules

        found = requirements_for_modules({"cloudpickle", *imported_modules(code_file)})
    else:
        found = requirements_from_pickle(data, ["cloudpickle"])
    requirements = process_requirements(
        found, pip_requirements, extra_pip_requirements, conda_env
    )
    write_environment(target, requirements)
    conf: dict[str, Any] = {
        "loader_module": "mlflow.pyfunc.model",
        "cloudpickle_version": cloudpickle.__version__,
        "env": {"conda": "conda.yaml", "virtualenv": "python_env.yaml"},
        "python_version": ".".join(map(str, sys.version_info[:3])),
    }
    if code_file is not None:
        conf[MODEL_CODE_PATH] = code_file.name
    else:
        conf["python_model"] = _PYTHON_MODEL_FILE
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
    python_model: PythonModel, data: bytes, context: PythonModelContext, input_example: Any
) -> ModelSignature | None:
    """The signature of a saved model's answer to its example, as MLflow infers it.

    A fresh copy of the model (from its saved bytes) loads its context and predicts, so the
    caller's object is not touched; a model from code (not pickled) is the one its file set.
    A model that cannot predict its example still saves, without a signature, and the
    warning says why.
    """
    import cloudpickle

    from archivist._warnings import warn
    from archivist.models.signature import infer_signature, split_example

    example, params = split_example(input_example)
    try:
        model: PythonModel = cloudpickle.loads(data) if data else python_model
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


def _inferred_code_paths(code_file: Path | None, data: bytes) -> list[str]:
    """The working tree's modules the model needs: those its code file imports, or those
    its pickle refers to (classes in them are pickled by reference)."""
    from archivist.models.code import imported_modules, local_code_paths
    from archivist.models.environment import modules_in_pickle

    modules = imported_modules(code_file) if code_file is not None else modules_in_pickle(data)
    skip = {str(code_file.resolve())} if code_file is not None else set()
    return [p for p in local_code_paths(modules) if p not in skip]


class _FunctionModel(PythonModel):
    def __init__(self, fn: Any) -> None:
        self.fn = fn

    def predict(self, context: PythonModelContext, model_input: Any, params: dict[str, Any] | None = None) -> Any:
        return self.fn(model_input)


def log_model(
    artifact_path: str | None = None,
    python_model: PythonModel | str | os.PathLike[str] | None = None,
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
    infer_code_paths: bool = False,
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
            infer_code_paths=infer_code_paths,
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
