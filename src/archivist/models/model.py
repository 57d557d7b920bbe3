"""The ``MLmodel`` file and input examples, in MLflow's on-disk format.

A model directory holds an ``MLmodel`` YAML file describing its flavors, signature and
input example, next to the serialized model. :class:`Model` reads and writes that file
with the keys MLflow uses (unknown keys are kept, so re-saving an MLflow model loses
nothing); :func:`save_input_example` and :func:`load_input_example` handle
``input_example.json`` and ``serving_input_example.json``.

Archivist writes ``archivist_version`` instead of ``mlflow_version``; MLflow does not need
the latter to load a model.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as _dt
import json
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archivist import config
from archivist._version import __version__
from archivist.errors import InvalidArgument, ResourceNotFound
from archivist.models.info import get_model_info  # MLflow's mlflow.models.model.get_model_info
from archivist.models.signature import ModelSignature

if TYPE_CHECKING:
    import pandas as pd

    from archivist.models.signature import ParamSchema, Schema

__all__ = [
    "INPUT_EXAMPLE_FILE",
    "MLMODEL_FILE",
    "SERVING_INPUT_FILE",
    "Model",
    "get_model_info",
    "load_input_example",
    "save_input_example",
]

MLMODEL_FILE = "MLmodel"
INPUT_EXAMPLE_FILE = "input_example.json"
SERVING_INPUT_FILE = "serving_input_example.json"

# Keys Model handles itself; any other key of an MLmodel file is kept in Model.extra.
_KNOWN = frozenset(
    {
        "artifact_path",
        "run_id",
        "model_id",
        "model_uuid",
        "utc_time_created",
        "flavors",
        "signature",
        "saved_input_example_info",
        "metadata",
        "env_vars",
        "model_size_bytes",
        "archivist_version",
    }
)


def _utc_now() -> str:
    # MLflow's layout: naive UTC, always with microseconds.
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


def _write_text(path: Path, text: str) -> None:
    """Write beside ``path``, fsync, rename into place, fsync the directory."""
    fsync = config.FSYNC.get()
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            if fsync:
                os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    if fsync and os.name == "posix":
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@dataclass(slots=True)
class Model:
    """The contents of an ``MLmodel`` file.

    Example:
        >>> m = Model(artifact_path="model").add_flavor("sklearn", pickled_model="model.pkl")
        >>> m.save("/tmp/my-model")  # a directory, or a path ending in MLmodel
        PosixPath('/tmp/my-model/MLmodel')
        >>> Model.load("/tmp/my-model") == m
        True
    """

    artifact_path: str | None = None
    run_id: str | None = None
    model_id: str | None = None
    model_uuid: str = field(default_factory=lambda: uuid.uuid4().hex)
    utc_time_created: str = field(default_factory=_utc_now)
    flavors: dict[str, dict[str, Any]] = field(default_factory=dict)
    signature: ModelSignature | None = None
    saved_input_example_info: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    env_vars: list[str] | None = None
    model_size_bytes: int | None = None
    archivist_version: str | None = __version__
    extra: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"Model(model_uuid={self.model_uuid!r}, flavors={sorted(self.flavors)})"

    def add_flavor(self, name: str, **params: Any) -> Model:
        """Record how flavor ``name`` loads this model; returns ``self``."""
        if not isinstance(name, str) or not name:
            raise InvalidArgument(f"flavor name {name!r} is not a non-empty string")
        self.flavors[name] = dict(params)
        return self

    def get_flavor(self, name: str) -> dict[str, Any]:
        """The configuration of flavor ``name``.

        Raises:
            ResourceNotFound: the model has no such flavor.
        """
        try:
            return self.flavors[name]
        except KeyError:
            raise ResourceNotFound(
                f"model has no '{name}' flavor (it has {sorted(self.flavors)}); "
                "load it with one of those"
            ) from None

    def get_input_schema(self) -> Schema | None:
        return self.signature.inputs if self.signature is not None else None

    def get_output_schema(self) -> Schema | None:
        return self.signature.outputs if self.signature is not None else None

    def get_params_schema(self) -> ParamSchema | None:
        return self.signature.params if self.signature is not None else None

    def load_input_example(self, path: str | os.PathLike[str]) -> Any:
        """The input example saved in model directory ``path`` (None if it has none)."""
        if self.saved_input_example_info is None:
            return None
        return load_input_example(
            path, self.saved_input_example_info, schema=self.get_input_schema()
        )

    def to_dict(self) -> dict[str, Any]:
        """The ``MLmodel`` mapping; keys with no value are left out, as MLflow does."""
        d: dict[str, Any] = dict(self.extra)
        d.update(
            flavors=self.flavors,
            model_uuid=self.model_uuid,
            model_id=self.model_id,
            utc_time_created=self.utc_time_created,
        )
        optional = {
            "artifact_path": self.artifact_path,
            "run_id": self.run_id,
            "signature": self.signature.to_dict() if self.signature is not None else None,
            "saved_input_example_info": self.saved_input_example_info,
            "metadata": self.metadata,
            "env_vars": self.env_vars,
            "model_size_bytes": self.model_size_bytes,
            "archivist_version": self.archivist_version,
        }
        d.update((k, v) for k, v in optional.items() if v is not None)
        return d

    def to_yaml(self) -> str:
        import yaml

        return yaml.safe_dump(self.to_dict(), default_flow_style=False)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Model:
        """Build from an ``MLmodel`` mapping (as written by Archivist or MLflow)."""
        if not isinstance(d, Mapping):
            raise InvalidArgument(f"MLmodel content {d!r} is not a mapping")
        flavors = d.get("flavors") or {}
        if not isinstance(flavors, Mapping) or not all(
            isinstance(v, Mapping) for v in flavors.values()
        ):
            raise InvalidArgument(
                f"MLmodel 'flavors' is {flavors!r}; expected a mapping of flavor name -> settings"
            )
        sig = d.get("signature")
        if sig is not None and not isinstance(sig, Mapping):
            raise InvalidArgument(f"MLmodel 'signature' is {sig!r}; expected a mapping")
        created = d.get("utc_time_created")
        return cls(
            artifact_path=d.get("artifact_path"),
            run_id=d.get("run_id"),
            model_id=d.get("model_id"),
            model_uuid=d.get("model_uuid") or uuid.uuid4().hex,
            utc_time_created=str(created) if created is not None else _utc_now(),
            flavors={str(k): dict(v) for k, v in flavors.items()},
            signature=ModelSignature.from_dict(sig) if sig else None,
            saved_input_example_info=d.get("saved_input_example_info"),
            metadata=d.get("metadata"),
            env_vars=d.get("env_vars"),
            model_size_bytes=d.get("model_size_bytes"),
            archivist_version=d.get("archivist_version"),
            extra={k: v for k, v in d.items() if k not in _KNOWN},
        )

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write ``MLmodel`` into directory ``path`` (created if needed), or to ``path``
        itself when its name is ``MLmodel``. Returns the file written."""
        target = Path(path)
        if target.name != MLMODEL_FILE:
            target = target / MLMODEL_FILE
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_text(target, self.to_yaml())
        return target

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Model:
        """Read a model directory's ``MLmodel`` file (``path`` is the directory or the file).

        Raises:
            ResourceNotFound: there is no MLmodel file at ``path``.
            InvalidArgument: the file is not a valid MLmodel file.
        """
        target = Path(path)
        if target.is_dir():
            target = target / MLMODEL_FILE
        if not target.is_file():
            raise ResourceNotFound(
                f"no MLmodel file at '{target}'; give a model directory or its MLmodel file"
            )
        return cls.from_yaml(target.read_bytes(), str(target))

    @classmethod
    def from_yaml(cls, data: bytes | str, where: str) -> Model:
        """Parse the bytes of an ``MLmodel`` file; ``where`` names it in errors."""
        import yaml

        try:
            content = yaml.safe_load(data.decode("utf-8") if isinstance(data, bytes) else data)
        except (yaml.YAMLError, UnicodeDecodeError) as e:
            raise InvalidArgument(
                f"'{where}' is not valid YAML ({e}); fix or re-save the model"
            ) from None
        if not isinstance(content, Mapping):
            raise InvalidArgument(f"'{where}' does not hold a YAML mapping; re-save the model")
        try:
            return cls.from_dict(content)
        except InvalidArgument as e:
            raise InvalidArgument(f"'{where}': {e.message}") from None


# --------------------------------------------------------------------------- input examples


def _jsonable(value: Any) -> Any:
    """A JSON-ready copy: NaN/NA -> null, numpy -> Python, bytes -> base64, dates -> ISO."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return None if value != value else value
    module = type(value).__module__
    if module.startswith("pandas"):
        import pandas as pd

        if value is pd.NaT or value is pd.NA:
            return None
    if isinstance(value, bytes | bytearray):
        return base64.encodebytes(bytes(value)).decode("ascii")
    if isinstance(value, _dt.date | _dt.time):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if module == "numpy":
        import numpy as np

        if isinstance(value, np.ndarray | np.datetime64) and value.dtype.kind == "M":
            return _jsonable(np.datetime_as_string(value).tolist())
        if isinstance(value, np.ndarray | np.generic):
            return _jsonable(value.tolist())
    raise InvalidArgument(
        f"input example value {value!r} of type {type(value).__name__} cannot be written as "
        "JSON; use numbers, strings, bytes, booleans, datetimes, lists, dicts, arrays or "
        "DataFrames"
    )


def _split_frame(frame: pd.DataFrame) -> tuple[dict[str, Any], str]:
    import pandas as pd

    data = [_jsonable(list(row)) for row in frame.itertuples(index=False, name=None)]
    if frame.columns.equals(pd.RangeIndex(frame.shape[1])):
        return {"data": data}, "values"  # default labels are not written, as in MLflow
    return {"columns": [_jsonable(c) for c in frame.columns], "data": data}, "split"


_SPARSE_TYPES = {
    "csr_matrix": "sparse_matrix_csr",
    "csr_array": "sparse_matrix_csr",
    "csc_matrix": "sparse_matrix_csc",
    "csc_array": "sparse_matrix_csc",
}


def save_input_example(directory: str | os.PathLike[str], example: Any) -> dict[str, Any]:
    """Write ``input_example.json`` and ``serving_input_example.json`` into ``directory``.

    Layouts follow MLflow: a DataFrame (or Series) is stored in pandas "split" orient
    without the index and served as ``{"dataframe_split": ...}``; an array, a dict of
    arrays, a list, a dict or a scalar is stored as plain JSON and served as
    ``{"inputs": ...}``. ``(data, params)`` stores ``{"inputs": data, "params": params}``.

    Args:
        directory: the model directory (created if needed).
        example: the input example.

    Returns:
        The ``saved_input_example_info`` block for the ``MLmodel`` file.

    Raises:
        InvalidArgument: the example is of an unsupported kind.

    Example:
        >>> info = save_input_example("/tmp/m", pd.DataFrame({"x": [1.0]}))
        >>> info["type"], info["pandas_orient"]
        ('dataframe', 'split')
    """
    from archivist.models.signature import split_example

    data, params = split_example(example)
    info: dict[str, Any] = {"artifact_path": INPUT_EXAMPLE_FILE}
    kind = type(data).__module__.split(".")[0]
    stored: Any
    serving: dict[str, Any] | None
    if kind == "scipy" and type(data).__name__ in _SPARSE_TYPES:
        # MLflow's layout; like MLflow, no serving example (the scoring protocol has none)
        sparse = data.tocsr() if type(data).__name__.startswith("csr") else data.tocsc()
        stored = {
            "data": _jsonable(sparse.data),
            "indices": sparse.indices.tolist(),
            "indptr": sparse.indptr.tolist(),
            "shape": list(sparse.shape),
        }
        info["type"] = _SPARSE_TYPES[type(data).__name__]
        serving = None
    elif kind == "pandas" and type(data).__name__ in ("DataFrame", "Series"):
        frame = data if type(data).__name__ == "DataFrame" else data.to_frame()
        stored, orient = _split_frame(frame)
        info.update(type="dataframe", pandas_orient=orient)
        serving = {"dataframe_split": stored}
    elif kind == "numpy" and type(data).__name__ == "ndarray":
        stored = _jsonable(data)
        info["type"] = "ndarray"
        serving = {"inputs": stored}
    elif isinstance(data, Mapping):
        arrays = [type(v).__name__ == "ndarray" for v in data.values()]
        if any(arrays) and not all(arrays):
            raise InvalidArgument(
                "input example dict mixes numpy arrays with other values; use arrays for every "
                "key or for none"
            )
        stored = _jsonable(data)
        info["type"] = "ndarray" if arrays and all(arrays) else "json_object"
        serving = {"inputs": stored}
    elif isinstance(data, list | str | bytes | int | float | bool | _dt.date) or (
        kind == "numpy" and hasattr(data, "item")
    ):
        stored = _jsonable(data)
        info["type"] = "json_object"
        serving = {"inputs": stored}
    else:
        raise InvalidArgument(
            f"input example of type {type(data).__name__} is not supported; give a DataFrame, "
            "Series, numpy array, scipy.sparse CSR/CSC matrix, dict of arrays, dict, list or "
            "scalar"
        )
    if params is not None:
        info["params"] = "true"  # MLflow writes the string 'true'
        stored = {"inputs": stored, "params": _jsonable(params)}
        if serving is not None:
            serving = {**serving, "params": _jsonable(params)}
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    _write_text(root / INPUT_EXAMPLE_FILE, json.dumps(stored))
    if serving is not None:
        info["serving_input_path"] = SERVING_INPUT_FILE
        _write_text(root / SERVING_INPUT_FILE, json.dumps(serving, indent=2))
    return info


def _decode_binary(frame: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    from archivist.models.signature import ColSpec, DataType

    for spec in schema.inputs:
        if isinstance(spec, ColSpec) and spec.type is DataType.binary and spec.name in frame:
            frame[spec.name] = [
                base64.decodebytes(v.encode("ascii")) if isinstance(v, str) else v
                for v in frame[spec.name].tolist()
            ]
    return frame


def load_input_example(
    directory: str | os.PathLike[str], info: Mapping[str, Any], *, schema: Schema | None = None
) -> Any:
    """Read back an example written by :func:`save_input_example` (or by MLflow).

    DataFrames come back as DataFrames and arrays as numpy arrays; with ``schema`` (the
    model's input schema) columns and tensors get their declared types. An example saved
    with params comes back as ``(data, params)``.

    Raises:
        ResourceNotFound: the example file is missing.
        InvalidArgument: the file or ``info`` is malformed.
    """
    from archivist.models.signature import enforce_schema

    path = Path(directory) / str(info.get("artifact_path", INPUT_EXAMPLE_FILE))
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResourceNotFound(
            f"input example '{path}' does not exist; the MLmodel file refers to it"
        ) from None
    except ValueError as e:
        raise InvalidArgument(f"input example '{path}' is not valid JSON ({e})") from None
    params = None
    if info.get("params"):
        if not isinstance(stored, Mapping) or "inputs" not in stored:
            raise InvalidArgument(
                f"input example '{path}' lacks the 'inputs' key its info promises"
            )
        stored, params = stored["inputs"], stored.get("params")
    kind = info.get("type")
    data: Any
    if kind == "json_object":
        data = stored
    elif kind == "ndarray":
        import numpy as np

        if isinstance(stored, Mapping):
            data = {k: np.asarray(v) for k, v in stored.items()}
        else:
            data = np.asarray(stored)
        if schema is not None and schema.is_tensor_spec():
            data = enforce_schema(data, schema)
    elif kind == "dataframe":
        import pandas as pd

        if not isinstance(stored, Mapping) or "data" not in stored:
            raise InvalidArgument(f"input example '{path}' is not a split-orient DataFrame")
        data = pd.DataFrame(stored["data"], columns=stored.get("columns"))
        if schema is not None and not schema.is_tensor_spec():
            data = enforce_schema(_decode_binary(data, schema), schema)
    elif kind in _SPARSE_TYPES.values():
        from scipy import sparse

        if not isinstance(stored, Mapping) or not {"data", "indices", "indptr", "shape"} <= set(stored):
            raise InvalidArgument(
                f"input example '{path}' is not a sparse matrix (data, indices, indptr, shape)"
            )
        make = sparse.csr_matrix if kind == "sparse_matrix_csr" else sparse.csc_matrix
        parts = (stored["data"], stored["indices"], stored["indptr"])
        data = make(parts, shape=tuple(stored["shape"]))
        if schema is not None and schema.is_tensor_spec():
            data = enforce_schema(data, schema)
    else:
        raise InvalidArgument(
            f"input example type {kind!r} is not supported; expected 'dataframe', 'ndarray', "
            "'sparse_matrix_csr', 'sparse_matrix_csc' or 'json_object'"
        )
    return data if params is None else (data, params)
