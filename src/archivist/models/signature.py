"""Model signatures: what a model takes and returns, in MLflow's JSON layout.

A :class:`ModelSignature` holds an input :class:`Schema`, an optional output
:class:`Schema` and an optional :class:`ParamSchema`. In an ``MLmodel`` file each part is
stored as a JSON string (``signature: {inputs: '[...]', outputs: '[...]', params: null}``)
with the same keys MLflow uses, so either tool reads the other's models.

:func:`infer_signature` builds a signature from example data, :func:`enforce_schema`
checks and converts data at predict time, and :func:`validate_example` checks an input
example against a signature before it is saved.

numpy and pandas are imported only inside the functions that need them.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeAlias

from archivist.errors import InvalidArgument

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = [
    "AnyType",
    "Array",
    "ColSpec",
    "DataType",
    "Map",
    "ModelSignature",
    "Object",
    "ParamSchema",
    "ParamSpec",
    "Property",
    "Schema",
    "TensorSpec",
    "enforce_params",
    "enforce_schema",
    "infer_param_schema",
    "infer_schema",
    "infer_signature",
    "validate_example",
]


# --------------------------------------------------------------------------- types


class DataType(str, Enum):
    """Scalar column types, named as in MLflow's JSON (``"long"``, ``"double"``, ...)."""

    boolean = "boolean"
    integer = "integer"
    long = "long"
    float = "float"
    double = "double"
    string = "string"
    binary = "binary"
    datetime = "datetime"

    def __repr__(self) -> str:
        return self.value


# numpy dtype of each numeric type; the others are checked value by value.
_NUMERIC_DTYPES = {
    DataType.integer: "int32",
    DataType.long: "int64",
    DataType.float: "float32",
    DataType.double: "float64",
}


@dataclass(frozen=True, slots=True, init=False)
class Array:
    """A column whose values are lists of ``items``."""

    items: ColumnType

    def __init__(self, items: ColumnType | str) -> None:
        object.__setattr__(self, "items", _coerce_type(items, "array items"))

    def to_dict(self) -> dict[str, Any]:
        return {"type": "array", "items": _type_to_dict(self.items)}


@dataclass(frozen=True, slots=True, init=False)
class Property:
    """One named field of an :class:`Object`."""

    name: str
    type: ColumnType
    required: bool

    def __init__(self, name: str, type: ColumnType | str, required: bool = True) -> None:
        object.__setattr__(self, "name", str(name))
        object.__setattr__(self, "type", _coerce_type(type, f"property {name!r}"))
        object.__setattr__(self, "required", bool(required))


@dataclass(frozen=True, slots=True, init=False)
class Object:
    """A column whose values are dicts with known keys (properties are kept sorted by name)."""

    properties: tuple[Property, ...]

    def __init__(self, properties: Iterable[Property]) -> None:
        props = tuple(sorted(properties, key=lambda p: p.name))
        if not props:
            raise InvalidArgument("Object has no properties; give at least one Property")
        names = [p.name for p in props]
        if len(set(names)) != len(names):
            raise InvalidArgument(f"Object properties {names} repeat a name; names must be unique")
        object.__setattr__(self, "properties", props)

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {
                p.name: {**_type_to_dict(p.type), "required": p.required} for p in self.properties
            },
        }


@dataclass(frozen=True, slots=True, init=False)
class Map:
    """A column whose values are dicts from string keys to ``values``."""

    values: ColumnType

    def __init__(self, values: ColumnType | str) -> None:
        object.__setattr__(self, "values", _coerce_type(values, "map values"))

    def to_dict(self) -> dict[str, Any]:
        return {"type": "map", "values": _type_to_dict(self.values)}


@dataclass(frozen=True, slots=True)
class AnyType:
    """A column whose values are not checked."""

    def to_dict(self) -> dict[str, Any]:
        return {"type": "any"}


ColumnType: TypeAlias = "DataType | Array | Object | Map | AnyType"
_COMPOSITE = (Array, Object, Map, AnyType)


def _type_to_dict(t: ColumnType) -> dict[str, Any]:
    return {"type": t.value} if isinstance(t, DataType) else t.to_dict()


def _coerce_type(t: object, what: str) -> ColumnType:
    if isinstance(t, DataType | Array | Object | Map | AnyType):
        return t
    if isinstance(t, str):
        try:
            return DataType(t)
        except ValueError:
            pass
    known = ", ".join(d.value for d in DataType)
    raise InvalidArgument(
        f"{what} has type {t!r}, which is not a column type; use one of {known} "
        "or an Array, Object, Map or AnyType"
    )


def _type_from_dict(d: object, what: str) -> ColumnType:
    if not isinstance(d, Mapping) or "type" not in d:
        raise InvalidArgument(f"{what} is {d!r}; expected a JSON object with a 'type' key")
    kind = d["type"]
    if kind == "array":
        return Array(_type_from_dict(d.get("items"), f"{what}.items"))
    if kind == "map":
        return Map(_type_from_dict(d.get("values"), f"{what}.values"))
    if kind == "any":
        return AnyType()
    if kind == "object":
        props = d.get("properties")
        if not isinstance(props, Mapping):
            raise InvalidArgument(f"{what} is an object without a 'properties' mapping")
        return Object(
            Property(
                str(name),
                _type_from_dict(spec, f"{what}.{name}"),
                bool(spec.get("required", True)) if isinstance(spec, Mapping) else True,
            )
            for name, spec in props.items()
        )
    return _coerce_type(kind, what)


# --------------------------------------------------------------------------- specs


@dataclass(frozen=True, slots=True, init=False)
class ColSpec:
    """One column: its type, optional name, and whether it may be missing.

    Example:
        >>> ColSpec("double", "price").to_dict()
        {'type': 'double', 'name': 'price', 'required': True}
    """

    type: ColumnType
    name: str | None
    optional: bool

    def __init__(
        self, type: ColumnType | str, name: str | None = None, optional: bool = False
    ) -> None:
        if name is not None and not isinstance(name, str):
            raise InvalidArgument(f"column name {name!r} is not a string; give a str or None")
        object.__setattr__(self, "type", _coerce_type(type, f"column {name!r}"))
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "optional", bool(optional))

    @property
    def required(self) -> bool:
        return not self.optional

    def to_dict(self) -> dict[str, Any]:
        d = _type_to_dict(self.type)
        if self.name is not None:
            d["name"] = self.name
        d["required"] = self.required
        return d


_PLAIN_DTYPES = frozenset(
    {
        *("bool", "str", "bytes", "object", "complex64", "complex128"),
        *("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"),
        *("float16", "float32", "float64"),
    }
)


def _tensor_dtype_name(dtype: object) -> str:
    if isinstance(dtype, str) and dtype in _PLAIN_DTYPES:
        return dtype
    import numpy as np

    try:
        dt = np.dtype(dtype)  # type: ignore[call-overload]
    except TypeError:
        raise InvalidArgument(
            f"tensor dtype {dtype!r} is not a numpy dtype; use a name like 'float64'"
        ) from None
    # Sized strings ('<U5') are stored without their size, like MLflow does.
    return {"U": "str", "S": "bytes"}.get(dt.kind, str(dt.name))


@dataclass(frozen=True, slots=True, init=False)
class TensorSpec:
    """A numpy tensor: dtype name, shape (``-1`` = any size) and optional name.

    Example:
        >>> TensorSpec("float64", (-1, 4)).to_dict()
        {'type': 'tensor', 'tensor-spec': {'dtype': 'float64', 'shape': [-1, 4]}}
    """

    dtype: str
    shape: tuple[int, ...]
    name: str | None

    def __init__(self, dtype: object, shape: Sequence[int], name: str | None = None) -> None:
        if name is not None and not isinstance(name, str):
            raise InvalidArgument(f"tensor name {name!r} is not a string; give a str or None")
        dims = tuple(shape)
        if not all(isinstance(d, int) and not isinstance(d, bool) and d >= -1 for d in dims):
            raise InvalidArgument(
                f"tensor {name or ''!s} shape {dims!r} must hold integers >= -1 (-1 = any size)"
            )
        object.__setattr__(self, "dtype", _tensor_dtype_name(dtype))
        object.__setattr__(self, "shape", dims)
        object.__setattr__(self, "name", name)

    @property
    def required(self) -> bool:
        return True

    def numpy_dtype(self) -> np.dtype[Any]:
        import numpy as np

        return np.dtype(self.dtype)

    def to_dict(self) -> dict[str, Any]:
        spec = {"type": "tensor", "tensor-spec": {"dtype": self.dtype, "shape": list(self.shape)}}
        return spec if self.name is None else {"name": self.name, **spec}


Spec: TypeAlias = "ColSpec | TensorSpec"


def _spec_from_dict(d: object, where: str) -> ColSpec | TensorSpec:
    if not isinstance(d, Mapping) or "type" not in d:
        raise InvalidArgument(f"{where} is {d!r}; expected a JSON object with a 'type' key")
    name = d.get("name")
    name = None if name is None else str(name)  # MLflow may write integer names
    if d["type"] == "tensor":
        info = d.get("tensor-spec")
        if not isinstance(info, Mapping) or "dtype" not in info or "shape" not in info:
            raise InvalidArgument(f"{where} is a tensor without 'tensor-spec' dtype and shape")
        return TensorSpec(info["dtype"], info["shape"], name)
    return ColSpec(_type_from_dict(d, where), name, optional=not d.get("required", True))


@dataclass(frozen=True, slots=True, init=False)
class Schema:
    """An ordered list of :class:`ColSpec` or of :class:`TensorSpec` (never both).

    Either every entry is named (and names are unique) or none is.
    """

    inputs: tuple[ColSpec | TensorSpec, ...]

    def __init__(self, inputs: Iterable[ColSpec | TensorSpec]) -> None:
        specs = tuple(inputs)
        if not specs:
            raise InvalidArgument("Schema has no entries; give at least one ColSpec or TensorSpec")
        for s in specs:
            if not isinstance(s, ColSpec | TensorSpec):
                raise InvalidArgument(f"Schema entry {s!r} is not a ColSpec or TensorSpec")
        if len({type(s) for s in specs}) > 1:
            raise InvalidArgument("Schema mixes ColSpec and TensorSpec; use one kind only")
        names = [s.name for s in specs]
        if any(n is None for n in names) and any(n is not None for n in names):
            raise InvalidArgument(f"Schema names {names} mix named and unnamed entries")
        named = [n for n in names if n is not None]
        if len(set(named)) != len(named):
            dup = sorted({n for n in named if named.count(n) > 1})
            raise InvalidArgument(f"Schema repeats the names {dup}; names must be unique")
        object.__setattr__(self, "inputs", specs)

    def __iter__(self) -> Iterator[ColSpec | TensorSpec]:
        return iter(self.inputs)

    def __len__(self) -> int:
        return len(self.inputs)

    def is_tensor_spec(self) -> bool:
        return isinstance(self.inputs[0], TensorSpec)

    def has_input_names(self) -> bool:
        return self.inputs[0].name is not None

    def input_names(self) -> list[str | None]:
        return [s.name for s in self.inputs]

    def required_input_names(self) -> list[str | None]:
        return [s.name for s in self.inputs if not getattr(s, "optional", False)]

    def optional_input_names(self) -> list[str | None]:
        return [s.name for s in self.inputs if getattr(s, "optional", False)]

    def to_dict(self) -> list[dict[str, Any]]:
        return [s.to_dict() for s in self.inputs]

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, items: object) -> Schema:
        if not isinstance(items, list):
            raise InvalidArgument(f"schema {items!r} is not a JSON list of column or tensor specs")
        return cls(_spec_from_dict(d, f"schema entry {i}") for i, d in enumerate(items))

    @classmethod
    def from_json(cls, text: str) -> Schema:
        try:
            items = json.loads(text)
        except (TypeError, ValueError) as e:
            raise InvalidArgument(f"schema JSON {text!r} does not parse: {e}") from None
        return cls.from_dict(items)


# --------------------------------------------------------------------------- params


def _unwrap(value: Any) -> Any:
    """numpy scalars and arrays become plain Python values."""
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):
        return value.tolist()
    return value


def _check_scalar(what: str, t: DataType | Object, value: Any) -> Any:
    value = _unwrap(value)
    if isinstance(t, Object):
        _check_value(what, value, t)
        return value
    ok: bool
    if t is DataType.boolean:
        ok = isinstance(value, bool)
    elif t in (DataType.integer, DataType.long):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif t in (DataType.float, DataType.double):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif t is DataType.string:
        ok = isinstance(value, str)
    elif t is DataType.binary:
        ok = isinstance(value, bytes | bytearray)
    else:  # datetime
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = _dt.datetime.fromisoformat(value)
        ok = isinstance(value, _dt.date)
    if not ok:
        raise InvalidArgument(
            f"{what} expects type '{t.value}' but got '{_value_type_name(value)}' ({value!r}); "
            f"give a {t.value} value"
        )
    return value


@dataclass(frozen=True, slots=True, init=False)
class ParamSpec:
    """An inference parameter: name, type, default, and shape ``None`` (scalar) or ``(-1,)``.

    Example:
        >>> ParamSpec("alpha", "double", 0.5).to_dict()
        {'name': 'alpha', 'default': 0.5, 'shape': None, 'type': 'double'}
    """

    name: str
    dtype: DataType | Object
    default: Any
    shape: tuple[int, ...] | None

    def __init__(
        self,
        name: str,
        dtype: DataType | Object | str,
        default: Any,
        shape: Sequence[int] | None = None,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise InvalidArgument(f"param name {name!r} is not a non-empty string")
        t = _coerce_type(dtype, f"param '{name}'")
        if not isinstance(t, DataType | Object):
            raise InvalidArgument(
                f"param '{name}' has type {t!r}; params take a scalar type or an Object"
            )
        dims = None if shape is None else tuple(shape)
        if dims not in (None, (-1,)):
            raise InvalidArgument(
                f"param '{name}' has shape {shape!r}; use None for a scalar or (-1,) for a list"
            )
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "dtype", t)
        object.__setattr__(self, "shape", dims)
        object.__setattr__(self, "default", self.validate(default, what=f"param '{name}' default"))

    def validate(self, value: Any, *, what: str | None = None) -> Any:
        """Return ``value`` checked against this spec (ints widen to floats, ISO strings to datetimes)."""
        what = what or f"param '{self.name}'"
        if value is None:
            return None
        if self.shape is None:
            return _check_scalar(what, self.dtype, value)
        value = _unwrap(value)
        if not isinstance(value, list | tuple):
            raise InvalidArgument(
                f"{what} expects a list of '{_type_label(self.dtype)}' but got "
                f"'{_value_type_name(value)}' ({value!r}); give a list"
            )
        return [_check_scalar(f"{what}[{i}]", self.dtype, v) for i, v in enumerate(value)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "default": _param_json(self.default),
            "shape": None if self.shape is None else list(self.shape),
            **_type_to_dict(self.dtype),
        }

    @classmethod
    def from_dict(cls, d: object) -> ParamSpec:
        if not isinstance(d, Mapping) or "name" not in d or "default" not in d:
            raise InvalidArgument(f"param spec {d!r} needs 'name', 'type' and 'default' keys")
        kind = d.get("type", d.get("dtype"))  # old MLflow versions wrote 'dtype'
        where = f"param '{d['name']}'"
        t = _type_from_dict({**d, "type": kind}, where) if kind == "object" else kind
        if not isinstance(t, str | DataType | Object):
            raise InvalidArgument(f"{where} has type {kind!r}; expected a scalar type or object")
        return cls(str(d["name"]), t, d["default"], d.get("shape"))


def _param_json(value: Any) -> Any:
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [_param_json(v) for v in value]
    return value


@dataclass(frozen=True, slots=True, init=False)
class ParamSchema:
    """The inference parameters a model accepts."""

    params: tuple[ParamSpec, ...]

    def __init__(self, params: Iterable[ParamSpec]) -> None:
        specs = tuple(params)
        for p in specs:
            if not isinstance(p, ParamSpec):
                raise InvalidArgument(f"ParamSchema entry {p!r} is not a ParamSpec")
        names = [p.name for p in specs]
        if len(set(names)) != len(names):
            dup = sorted({n for n in names if names.count(n) > 1})
            raise InvalidArgument(f"ParamSchema repeats the names {dup}; names must be unique")
        object.__setattr__(self, "params", specs)

    def __iter__(self) -> Iterator[ParamSpec]:
        return iter(self.params)

    def __len__(self) -> int:
        return len(self.params)

    def to_dict(self) -> list[dict[str, Any]]:
        return [p.to_dict() for p in self.params]

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, text: str) -> ParamSchema:
        try:
            items = json.loads(text)
        except (TypeError, ValueError) as e:
            raise InvalidArgument(f"params JSON {text!r} does not parse: {e}") from None
        if not isinstance(items, list):
            raise InvalidArgument(f"params JSON {text!r} is not a list of param specs")
        return cls(ParamSpec.from_dict(d) for d in items)


# --------------------------------------------------------------------------- signature


def _as_schema(value: object, what: str) -> Schema | None:
    if value is None or isinstance(value, Schema):
        return value
    if isinstance(value, list | tuple):
        return Schema(value)
    raise InvalidArgument(f"signature {what} {value!r} is not a Schema; give Schema([...]) or None")


@dataclass(frozen=True, slots=True, init=False)
class ModelSignature:
    """Inputs, outputs and params of a model.

    ``to_dict`` gives the ``signature`` block of an ``MLmodel`` file: each part is a JSON
    string or ``None``.

    Example:
        >>> sig = ModelSignature(Schema([ColSpec("double", "x")]))
        >>> sig.to_dict()["inputs"]
        '[{"type": "double", "name": "x", "required": true}]'
        >>> ModelSignature.from_dict(sig.to_dict()) == sig
        True
    """

    inputs: Schema | None
    outputs: Schema | None
    params: ParamSchema | None

    def __init__(
        self,
        inputs: Schema | Sequence[ColSpec | TensorSpec] | None = None,
        outputs: Schema | Sequence[ColSpec | TensorSpec] | None = None,
        params: ParamSchema | Sequence[ParamSpec] | None = None,
    ) -> None:
        if params is not None and not isinstance(params, ParamSchema):
            if not isinstance(params, list | tuple):
                raise InvalidArgument(f"signature params {params!r} is not a ParamSchema")
            params = ParamSchema(params)
        object.__setattr__(self, "inputs", _as_schema(inputs, "inputs"))
        object.__setattr__(self, "outputs", _as_schema(outputs, "outputs"))
        object.__setattr__(self, "params", params or None)

    def to_dict(self) -> dict[str, str | None]:
        return {
            "inputs": self.inputs.to_json() if self.inputs else None,
            "outputs": self.outputs.to_json() if self.outputs else None,
            "params": self.params.to_json() if self.params else None,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ModelSignature:
        if not isinstance(d, Mapping):
            raise InvalidArgument(f"signature {d!r} is not a mapping of inputs/outputs/params")
        inputs, outputs, params = d.get("inputs"), d.get("outputs"), d.get("params")
        return cls(
            Schema.from_json(inputs) if inputs else None,
            Schema.from_json(outputs) if outputs else None,
            ParamSchema.from_json(params) if params else None,
        )


# --------------------------------------------------------------------------- inference


def _pandas() -> Any:
    """pandas if it is already imported (data cannot be a DataFrame otherwise), else None."""
    return sys.modules.get("pandas")


def _is_frame(data: object) -> bool:
    pd = _pandas()
    return pd is not None and isinstance(data, pd.DataFrame)


def _dtype_type(dtype: Any) -> DataType | None:
    """The column type of a numpy/pandas dtype, or None when values must be inspected."""
    import numpy as np

    np_dtype = dtype
    if not isinstance(dtype, np.dtype):
        import pandas as pd

        if isinstance(dtype, pd.StringDtype):
            return DataType.string
        if isinstance(dtype, pd.CategoricalDtype):
            return _dtype_type(dtype.categories.dtype)
        if isinstance(dtype, pd.DatetimeTZDtype):
            return DataType.datetime
        np_dtype = getattr(dtype, "numpy_dtype", None)  # nullable Int64, Float64, boolean
        if not isinstance(np_dtype, np.dtype):
            return None
    kind, size = np_dtype.kind, np_dtype.itemsize
    if kind == "b":
        return DataType.boolean
    if kind == "i":
        return DataType.integer if size <= 4 else DataType.long
    if kind == "u":
        if size <= 2:
            return DataType.integer
        if size <= 4:
            return DataType.long
        raise InvalidArgument(
            f"dtype {np_dtype} has no column type (no signed type holds every uint64); "
            "cast it to int64 or float64"
        )
    if kind == "f":
        if size <= 4:
            return DataType.float
        if size == 8:
            return DataType.double
    if kind == "U":
        return DataType.string
    if kind == "S":
        return DataType.binary
    if kind == "M":
        return DataType.datetime
    if kind == "O":
        return None
    raise InvalidArgument(f"dtype {np_dtype} has no column type; cast it to a numeric or str dtype")


def _merge(a: ColumnType | None, b: ColumnType | None) -> ColumnType | None:
    """The narrowest type holding both (``None`` stands for a missing value)."""
    if a is None or a == b:
        return b
    if b is None:
        return a
    if isinstance(a, AnyType):
        return b
    if isinstance(b, AnyType):
        return a
    if isinstance(a, DataType) and isinstance(b, DataType):
        order = list(_NUMERIC_DTYPES)
        if a in order and b in order:
            ints = (DataType.integer, DataType.long)
            if (a in ints) != (b in ints):
                return DataType.double
            return max(a, b, key=order.index)
    if isinstance(a, Array) and isinstance(b, Array):
        return Array(_merge(a.items, b.items) or AnyType())
    if isinstance(a, Object) and isinstance(b, Object):
        left = {p.name: p for p in a.properties}
        right = {p.name: p for p in b.properties}
        props = []
        for name in sorted(left.keys() | right.keys()):
            pa, pb = left.get(name), right.get(name)
            t = _merge(pa.type if pa else None, pb.type if pb else None) or AnyType()
            required = bool(pa and pb and pa.required and pb.required)
            props.append(Property(name, t, required))
        return Object(props)
    return AnyType()


def _value_type(value: Any) -> ColumnType | None:
    """The type of one Python/numpy value; None for a missing value."""
    if value is None:
        return None
    if type(value).__module__ == "numpy":
        import numpy as np

        if isinstance(value, np.ndarray):
            return _list_type(value.tolist())
        if isinstance(value, np.generic) and not isinstance(value, np.str_ | np.bytes_):
            return _dtype_type(value.dtype) or AnyType()
    if isinstance(value, bool):
        return DataType.boolean
    if isinstance(value, int):
        return DataType.long
    if isinstance(value, float):
        return DataType.double
    if isinstance(value, str):
        return DataType.string
    if isinstance(value, bytes | bytearray):
        return DataType.binary
    if isinstance(value, _dt.date):
        return DataType.datetime
    if isinstance(value, list | tuple):
        return _list_type(value)
    if isinstance(value, Mapping):
        if not value:
            return AnyType()
        return Object(
            Property(str(k), _value_type(v) or AnyType(), v is not None) for k, v in value.items()
        )
    if type(value).__module__.startswith("pandas") and _is_missing(value):
        return None
    raise InvalidArgument(
        f"cannot infer a column type for value {value!r} of type {type(value).__name__}; "
        "use numbers, strings, bytes, booleans, datetimes, lists or dicts"
    )


def _list_type(values: Iterable[Any]) -> Array:
    merged: ColumnType | None = None
    for v in values:
        merged = _merge(merged, _value_type(v))
    return Array(merged or AnyType())


def _is_missing(value: Any) -> bool:
    pd = _pandas()
    if pd is None:
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _values_type(values: Iterable[Any]) -> tuple[ColumnType, bool]:
    """Merged type of many values and whether any is missing."""
    merged: ColumnType | None = None
    missing = False
    for v in values:
        if (
            v is None
            or (isinstance(v, float) and v != v)
            or (type(v).__module__.startswith("pandas") and _is_missing(v))
        ):
            missing = True
            continue
        merged = _merge(merged, _value_type(v))
    return (merged if merged is not None else AnyType()), missing


def _series_spec(series: pd.Series[Any], name: str | None) -> ColSpec:
    t: ColumnType | None = _dtype_type(series.dtype)
    if t is None:
        t, missing = _values_type(series.tolist())
    else:
        missing = bool(series.isna().any())
    return ColSpec(t, name, optional=missing and name is not None)


def _tensor_spec(array: np.ndarray[Any, Any], name: str | None = None) -> TensorSpec:
    shape = (-1, *array.shape[1:]) if array.ndim else ()
    return TensorSpec(array.dtype, shape, name)


def _is_sparse(data: object) -> bool:
    """A scipy.sparse matrix or array (checked without importing scipy)."""
    return type(data).__module__.startswith("scipy.sparse") and hasattr(data, "tocsr")


def infer_schema(data: Any) -> Schema:
    """Infer a :class:`Schema` from example data.

    numpy arrays give one unnamed :class:`TensorSpec` (first dimension ``-1``), a dict of
    arrays gives named tensors; DataFrames give a :class:`ColSpec` per column (optional
    when the column has missing values); a Series one column; a dict one named column per
    key (lists become :class:`Array`, dicts :class:`Object`); a list of dicts one column per
    key; a list of scalars or a single scalar one unnamed column.

    Raises:
        InvalidArgument: the data is of a kind with no schema.
    """
    import numpy as np

    pd = _pandas()
    if pd is not None and isinstance(data, pd.DataFrame):
        if data.shape[1] == 0:
            raise InvalidArgument("DataFrame has no columns; give at least one column")
        return Schema(_series_spec(data.iloc[:, i], str(c)) for i, c in enumerate(data.columns))
    if pd is not None and isinstance(data, pd.Series):
        return Schema([_series_spec(data, None if data.name is None else str(data.name))])
    if isinstance(data, np.ndarray) or _is_sparse(data):
        return Schema([_tensor_spec(data)])
    if isinstance(data, Mapping):
        if not data:
            raise InvalidArgument("dict example is empty; give at least one key")
        arrays = [isinstance(v, np.ndarray) for v in data.values()]
        if all(arrays):
            return Schema(_tensor_spec(v, str(k)) for k, v in data.items())
        if any(arrays):
            raise InvalidArgument(
                "dict example mixes numpy arrays with other values; use arrays for every key "
                "(tensors) or for none (columns)"
            )
        return Schema(
            ColSpec(_value_type(v) or AnyType(), str(k), optional=v is None)
            for k, v in data.items()
        )
    if isinstance(data, list | tuple):
        if not data:
            raise InvalidArgument("list example is empty; give at least one element")
        if all(isinstance(r, Mapping) for r in data):
            keys: dict[str, None] = {}
            for r in data:
                keys.update(dict.fromkeys(str(k) for k in r))
            specs = []
            for key in keys:
                values = [r.get(key) for r in data]
                t, missing = _values_type(values)
                specs.append(ColSpec(t, key, optional=missing))
            return Schema(specs)
        # Unnamed columns are always required (MLflow rejects unnamed optional ones).
        return Schema([ColSpec(_values_type(data)[0])])
    t0 = _value_type(data)
    if t0 is None or isinstance(t0, Object | Array):
        raise InvalidArgument(f"cannot infer a schema from {type(data).__name__} {data!r}")
    return Schema([ColSpec(t0)])


def infer_param_schema(params: Mapping[str, Any]) -> ParamSchema:
    """Infer a :class:`ParamSchema` from example params (scalars, 1-D lists, dicts).

    Raises:
        InvalidArgument: a value is ``None``, nested, or of an unsupported type.
    """
    specs = []
    for name, value in params.items():
        shape: tuple[int, ...] | None = None
        t: ColumnType | None
        if isinstance(value, list | tuple) or type(value).__name__ == "ndarray":
            shape = (-1,)
            t = _list_type(value).items
        else:
            t = _value_type(value)  # before unwrapping: np.float32 is 'float'
        value = _unwrap(value)
        if t is None or not isinstance(t, DataType | Object):
            raise InvalidArgument(
                f"param '{name}' = {value!r} has no param type; give a scalar, "
                "a flat list of scalars or a dict"
            )
        specs.append(ParamSpec(str(name), t, value, shape))
    return ParamSchema(specs)


def infer_signature(
    model_input: Any, model_output: Any = None, params: Mapping[str, Any] | None = None
) -> ModelSignature:
    """Infer a :class:`ModelSignature` from example inputs, outputs and params.

    Args:
        model_input: example input (see :func:`infer_schema` for the kinds accepted).
        model_output: example output, or None.
        params: example inference params, or None.

    Returns:
        The signature; ``outputs``/``params`` are None when not given.

    Example:
        >>> import pandas as pd
        >>> sig = infer_signature(pd.DataFrame({"x": [1.0, 2.0]}), params={"k": 3})
        >>> sig.to_dict()["params"]
        '[{"name": "k", "default": 3, "shape": null, "type": "long"}]'
    """
    return ModelSignature(
        infer_schema(model_input),
        None if model_output is None else infer_schema(model_output),
        infer_param_schema(params) if params else None,
    )


# --------------------------------------------------------------------------- enforcement


def _type_label(t: ColumnType) -> str:
    return t.value if isinstance(t, DataType) else t.to_dict()["type"]


def _value_type_name(value: Any) -> str:
    try:
        t = _value_type(value)
    except InvalidArgument:
        return type(value).__name__
    return "null" if t is None else _type_label(t)


def _dtype_label(dtype: Any) -> str:
    """ "'long' (int64)": the column-type name of a dtype, then the dtype itself."""
    try:
        t = _dtype_type(dtype)
    except InvalidArgument:
        t = None
    return f"'{t.value}' ({dtype})" if t is not None else f"'{dtype}'"


def _mismatch(what: str, expected: str, given: str, fix: str) -> InvalidArgument:
    shown = given if given.startswith("'") else f"'{given}'"
    return InvalidArgument(f"{what} expects type '{expected}' but got {shown}; {fix}")


_CAST = "cast it before calling predict, or change the model signature"


def _convert_numeric(
    what: str, values: np.ndarray[Any, Any], target: np.dtype[Any], expected: str
) -> np.ndarray[Any, Any]:
    """Convert a numeric array to ``target`` when no value changes; raise otherwise.

    Widening by dtype (int32 -> int64, float32 -> float64, int32 -> float64) always passes;
    narrowing or int -> float conversions pass when every value is exactly representable;
    float -> int and bool/str -> number never pass.
    """
    import numpy as np

    given = values.dtype
    if given == target:
        return values
    gk, tk = given.kind, target.kind
    label = _dtype_label(given)
    if gk not in "iuf" or tk not in "iuf" or (gk == "f" and tk in "iu"):
        raise _mismatch(
            what, expected, label, f"converting {given} to {target} would lose information; {_CAST}"
        )
    if gk == tk:
        widens = given.itemsize <= target.itemsize
    elif gk == "u" and tk == "i":
        widens = given.itemsize < target.itemsize
    elif tk == "f":
        widens = given.itemsize * 8 <= np.finfo(target).nmant + 1
    else:
        widens = False
    if widens or values.size == 0:
        return values.astype(target)
    if tk in "iu":
        info = np.iinfo(target)
        ok = info.min <= int(values.min()) and int(values.max()) <= info.max
        why = f"values outside {target}'s range [{info.min}, {info.max}]"
    elif gk in "iu":
        limit = 2 ** (np.finfo(target).nmant + 1)
        ok = max(abs(int(values.min())), abs(int(values.max()))) <= limit
        why = f"integers beyond +-{limit}, which {target} cannot represent exactly"
    else:
        with np.errstate(over="ignore"):
            narrowed = values.astype(target)
        ok = bool(np.array_equal(narrowed.astype(given), values, equal_nan=True))
        why = f"values that {target} cannot represent exactly"
    if not ok:
        raise _mismatch(what, expected, label, f"the input holds {why}; {_CAST}")
    return values.astype(target)


def _check_value(what: str, value: Any, t: ColumnType) -> None:
    """Check one nested Python value against a column type."""
    if value is None or isinstance(t, AnyType):
        return
    value = _unwrap(value)
    if isinstance(t, DataType):
        if t is DataType.datetime and isinstance(value, str):
            return
        _check_scalar(what, t, value)
    elif isinstance(t, Array):
        if not isinstance(value, list | tuple):
            raise _mismatch(what, "array", _value_type_name(value), "give a list")
        for i, v in enumerate(value):
            _check_value(f"{what}[{i}]", v, t.items)
    elif isinstance(t, Map):
        if not isinstance(value, Mapping):
            raise _mismatch(what, "map", _value_type_name(value), "give a dict")
        for k, v in value.items():
            _check_value(f"{what}[{k!r}]", v, t.values)
    else:
        if not isinstance(value, Mapping):
            raise _mismatch(what, "object", _value_type_name(value), "give a dict")
        for p in t.properties:
            if p.name not in value:
                if p.required:
                    raise InvalidArgument(
                        f"{what} is missing required key '{p.name}' (expected type "
                        f"'{_type_label(p.type)}'); add it"
                    )
                continue
            _check_value(f"{what}.{p.name}", value[p.name], p.type)


def _first_bad(series: pd.Series[Any], accept: tuple[type, ...]) -> Any:
    for v in series.tolist():
        if v is not None and not isinstance(v, accept) and not _is_missing(v):
            return v
    return None


def _enforce_column(what: str, series: pd.Series[Any], t: ColumnType) -> pd.Series[Any]:
    import numpy as np
    import pandas as pd

    if isinstance(t, AnyType):
        return series
    if not isinstance(t, DataType):
        for i, v in enumerate(series.tolist()):
            if not _is_missing_scalar(v):
                _check_value(f"{what} row {i}", v, t)
        return series
    dtype = series.dtype
    is_object = isinstance(dtype, np.dtype) and dtype.kind == "O"
    is_str = isinstance(dtype, pd.StringDtype)
    if t in (DataType.string, DataType.binary, DataType.boolean):
        if t is DataType.string and is_str:
            return series
        if t is DataType.boolean and getattr(dtype, "kind", "") == "b":
            return series
        accept: tuple[type, ...] = {
            DataType.string: (str,),
            DataType.binary: (bytes, bytearray),
            DataType.boolean: (bool, np.bool_),
        }[t]
        if is_object:
            bad = _first_bad(series, accept)
            if bad is None:
                return series
            raise _mismatch(what, t.value, _value_type_name(bad), f"e.g. {bad!r}; {_CAST}")
        raise _mismatch(what, t.value, _dtype_label(dtype), _CAST)
    if t is DataType.datetime:
        if isinstance(dtype, pd.DatetimeTZDtype):
            raise _mismatch(
                what,
                "datetime",
                f"datetime with time zone ({dtype})",
                "make it naive, e.g. series.dt.tz_convert(None)",
            )
        if getattr(dtype, "kind", "") == "M":
            return (
                series if dtype == np.dtype("datetime64[ns]") else series.astype("datetime64[ns]")
            )
        if is_object or is_str:
            try:
                parsed = pd.to_datetime(series, format="ISO8601")
            except (ValueError, TypeError, OverflowError):
                bad = _first_bad(series, (_dt.date,))
                given = _value_type_name(bad) if bad is not None else str(dtype)
                raise _mismatch(
                    what, "datetime", given, f"give datetimes or ISO-8601 strings; {_CAST}"
                ) from None
            if isinstance(parsed.dtype, pd.DatetimeTZDtype):
                raise _mismatch(what, "datetime", "datetime with time zone", "give naive datetimes")
            return parsed.astype("datetime64[ns]")
        raise _mismatch(what, "datetime", _dtype_label(dtype), _CAST)
    # numeric
    target = np.dtype(_NUMERIC_DTYPES[t])
    if is_object:
        series = series.infer_objects()
        dtype = series.dtype
        if dtype.kind == "O":
            bad = _first_bad(series, (int, float, np.number))
            given = _value_type_name(bad) if bad is not None else "object"
            raise _mismatch(what, t.value, given, f"e.g. {bad!r}; {_CAST}")
    if is_str or getattr(dtype, "kind", "") not in ("i", "u", "f"):
        raise _mismatch(what, t.value, _dtype_label(dtype), _CAST)
    if isinstance(dtype, np.dtype):
        values = series.to_numpy()
    else:  # nullable extension dtype (Int64, Float32, ...)
        has_na = bool(series.isna().any())
        if has_na and target.kind != "f":
            raise _mismatch(
                what,
                t.value,
                _dtype_label(dtype),
                "it has missing values, which integer types cannot hold; fill them or "
                "declare the column 'double'",
            )
        if has_na:
            values = series.to_numpy(dtype="float64", na_value=np.nan)
        else:
            values = series.to_numpy(dtype=dtype.numpy_dtype)  # type: ignore[attr-defined]
    converted = _convert_numeric(what, values, target, t.value)
    if converted is values and isinstance(dtype, np.dtype):
        return series
    return pd.Series(converted, index=series.index, name=series.name)


def _is_missing_scalar(value: Any) -> bool:
    if value is None:
        return True
    return isinstance(value, float) and value != value


def _wants_rows(data: Mapping[Any, Any], schema: Schema) -> bool:
    """A dict is one record unless it maps columns to lists of scalar values."""
    types = {s.name: s.type for s in schema.inputs if isinstance(s, ColSpec)}
    for key, value in data.items():
        if isinstance(value, list | tuple) or type(value).__name__ == "ndarray":
            t = types.get(str(key))
            if t is not None and not isinstance(t, Array | AnyType):
                return True
    return False


def _to_frame(data: Any, schema: Schema) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, pd.Series):
        return data.to_frame()
    if isinstance(data, Mapping):
        return pd.DataFrame(data) if _wants_rows(data, schema) else pd.DataFrame([data])
    if isinstance(data, np.ndarray):
        if schema.has_input_names():
            raise InvalidArgument(
                f"input is a numpy array without column names but the signature expects "
                f"columns {schema.input_names()}; pass a DataFrame with those columns"
            )
        return pd.DataFrame(data if data.ndim == 2 else data.reshape(len(data), -1))
    if isinstance(data, list | tuple):
        if data and all(isinstance(r, Mapping) for r in data):
            return pd.DataFrame(list(data))
        first = schema.inputs[0]
        one_array = (
            len(schema) == 1
            and isinstance(first, ColSpec)
            and isinstance(first.type, Array | AnyType)
        )
        if data and isinstance(data[0], list | tuple) and not one_array:
            return pd.DataFrame(list(data))
        return pd.DataFrame({first.name if first.name is not None else 0: list(data)})
    if isinstance(data, str | bytes | int | float | bool | _dt.date):
        first = schema.inputs[0]
        return pd.DataFrame({first.name if first.name is not None else 0: [data]})
    raise InvalidArgument(
        f"input of type {type(data).__name__} cannot be checked against a column schema; "
        "pass a DataFrame, a dict, a list of dicts or a list of values"
    )


def _enforce_columns(data: Any, schema: Schema) -> pd.DataFrame:
    import pandas as pd

    frame = _to_frame(data, schema)
    columns: dict[Any, pd.Series[Any]] = {}
    if schema.has_input_names():
        by_name = {str(c): c for c in reversed(list(frame.columns))}
        for spec in schema.inputs:
            assert isinstance(spec, ColSpec) and spec.name is not None
            label = spec.name if spec.name in frame.columns else by_name.get(spec.name)
            if label is None:
                if spec.optional:
                    continue
                raise InvalidArgument(
                    f"input is missing required column '{spec.name}' (expected type "
                    f"'{_type_label(spec.type)}'); add it, or mark it optional in the signature"
                )
            columns[spec.name] = _enforce_column(f"column '{spec.name}'", frame[label], spec.type)
    else:
        if frame.shape[1] < len(schema):
            raise InvalidArgument(
                f"input has {frame.shape[1]} column(s) but the signature expects "
                f"{len(schema)} unnamed column(s) of types "
                f"{[_type_label(s.type) for s in schema.inputs if isinstance(s, ColSpec)]}"
            )
        for i, spec in enumerate(schema.inputs):
            assert isinstance(spec, ColSpec)
            label = frame.columns[i]
            columns[label] = _enforce_column(f"column {i}", frame.iloc[:, i], spec.type)
    return pd.DataFrame(columns, index=frame.index)


def _enforce_tensor(what: str, given_data: Any, spec: TensorSpec) -> Any:
    """``given_data`` as an array of the spec's dtype and shape (scipy.sparse stays sparse)."""
    import numpy as np

    if _is_sparse(given_data):
        return _enforce_sparse(what, given_data, spec)
    data: np.ndarray[Any, Any]
    if isinstance(given_data, np.ndarray):
        data = given_data
    else:
        try:
            data = np.asarray(given_data)
        except ValueError as e:
            raise InvalidArgument(
                f"{what} cannot be made into an array ({e}); give a numpy array"
            ) from None
    target = spec.numpy_dtype()
    given, tk = data.dtype, target.kind
    if tk in "US":
        accept = (str,) if tk == "U" else (bytes,)
        ok = given.kind == tk or (
            given.kind == "O" and all(isinstance(v, accept) for v in data.ravel().tolist())
        )
        if not ok:
            raise _mismatch(what, spec.dtype, str(given), _CAST)
    elif tk == "M":
        if given.kind != "M":
            raise _mismatch(what, spec.dtype, str(given), _CAST)
        data = data.astype(target)
    elif tk in "iuf" and given.kind in "iufb":
        data = _convert_numeric(what, data, target, spec.dtype)
    elif tk != "O" and given != target:
        raise _mismatch(what, spec.dtype, str(given), _CAST)
    _check_shape(what, data.shape, spec)
    return data


def _check_shape(what: str, shape: tuple[int, ...], spec: TensorSpec) -> None:
    if len(shape) != len(spec.shape) or any(
        e not in (-1, g) for e, g in zip(spec.shape, shape, strict=False)
    ):
        raise InvalidArgument(
            f"{what} expects shape {spec.shape} (-1 = any size) but got shape {shape}; "
            "reshape the input"
        )


def _enforce_sparse(what: str, data: Any, spec: TensorSpec) -> Any:
    """A scipy.sparse input stays sparse: only its dtype (safely widened) and shape are checked."""
    import numpy as np

    target, given = spec.numpy_dtype(), data.dtype
    if given != target:
        if target.kind not in "iuf" or not np.can_cast(given, target, "safe"):
            raise _mismatch(what, spec.dtype, str(given), _CAST)
        data = data.astype(target)
    _check_shape(what, data.shape, spec)
    return data


def _enforce_tensors(data: Any, schema: Schema) -> Any:
    specs = [s for s in schema.inputs if isinstance(s, TensorSpec)]
    if not schema.has_input_names():
        if len(specs) != 1:
            raise InvalidArgument(
                f"the signature has {len(specs)} unnamed tensors; input cannot be matched to "
                "them; name the tensors in the signature"
            )
        if _is_frame(data):
            data = data.to_numpy()
        elif isinstance(data, Mapping):
            raise InvalidArgument(
                "input is a dict but the signature expects one unnamed tensor; pass an array"
            )
        return _enforce_tensor("input tensor", data, specs[0])
    if _is_frame(data):
        data = {str(c): data[c].to_numpy() for c in data.columns}
    if not isinstance(data, Mapping):
        if len(specs) == 1:
            return _enforce_tensor(f"tensor '{specs[0].name}'", data, specs[0])
        raise InvalidArgument(
            f"input of type {type(data).__name__} cannot feed named tensors "
            f"{[s.name for s in specs]}; pass a dict of name -> array"
        )
    out = {}
    for spec in specs:
        if spec.name not in data:
            raise InvalidArgument(
                f"input is missing required tensor '{spec.name}' (expected dtype "
                f"'{spec.dtype}', shape {spec.shape}); add it"
            )
        out[spec.name] = _enforce_tensor(f"tensor '{spec.name}'", data[spec.name], spec)
    return out


def enforce_schema(data: Any, schema: Schema) -> Any:
    """Check ``data`` against ``schema`` and return it converted to the declared types.

    For a column schema the result is a DataFrame holding the schema's columns (extra
    columns are dropped; missing optional ones are left out). Values are converted only
    when nothing changes: int32 -> int64, float32 -> float64, int -> double and the like
    pass; float -> int, str -> number, bool -> number fail. For a tensor schema the result
    is an array (or a dict name -> array) of the declared dtype, with its shape checked.

    Raises:
        InvalidArgument: a required column or tensor is missing, or a value cannot be
            converted safely; the message names the column and both types.

    Example:
        >>> import pandas as pd
        >>> schema = Schema([ColSpec("double", "x")])
        >>> enforce_schema(pd.DataFrame({"x": [1, 2], "y": ["a", "b"]}), schema).dtypes.to_dict()
        {'x': dtype('float64')}
    """
    if not isinstance(schema, Schema):
        raise InvalidArgument(f"schema {schema!r} is not a Schema")
    if schema.is_tensor_spec():
        return _enforce_tensors(data, schema)
    return _enforce_columns(data, schema)


def enforce_params(params: Mapping[str, Any] | None, schema: ParamSchema | None) -> dict[str, Any]:
    """Check inference params against ``schema`` and fill in defaults.

    Raises:
        InvalidArgument: a param is unknown or of the wrong type.
    """
    given = dict(params or {})
    if schema is None:
        if given:
            raise InvalidArgument(
                f"params {sorted(given)} were given but the model's signature declares none; "
                "drop them or log the model with a params schema"
            )
        return {}
    specs = {p.name: p for p in schema.params}
    unknown = sorted(set(given) - specs.keys())
    if unknown:
        raise InvalidArgument(
            f"params {unknown} are not in the model's signature; known params: {sorted(specs)}"
        )
    return {
        name: spec.validate(given[name]) if name in given else spec.default
        for name, spec in specs.items()
    }


def split_example(input_example: Any) -> tuple[Any, dict[str, Any] | None]:
    """``(data, params)`` of an input example, which may be ``(data, params)`` as in MLflow."""
    if (
        isinstance(input_example, tuple)
        and len(input_example) == 2
        and isinstance(input_example[1], Mapping)
    ):
        return input_example[0], dict(input_example[1])
    return input_example, None


def validate_example(signature: ModelSignature, input_example: Any) -> None:
    """Raise :class:`InvalidArgument` when ``input_example`` does not fit ``signature``.

    An example may be ``(data, params)``, as MLflow accepts.
    """
    data, params = split_example(input_example)
    try:
        if signature.inputs is not None:
            enforce_schema(data, signature.inputs)
        if params is not None:
            enforce_params(params, signature.params)
    except InvalidArgument as e:
        raise InvalidArgument(
            f"input example does not match the model signature: {e.message}"
        ) from None
