"""Signature types: column types, column and tensor specs, schemas, params, ``ModelSignature``.

These are the classes MLflow keeps in ``mlflow.types.schema`` (also reachable as
``archivist.types``) plus ``ModelSignature``; inference lives in
:mod:`archivist.models.inference` and enforcement in :mod:`archivist.models.enforcement`.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeAlias

from archivist.errors import InvalidArgument

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "AnyType",
    "Array",
    "ColSpec",
    "ColumnType",
    "DataType",
    "Map",
    "ModelSignature",
    "Object",
    "ParamSchema",
    "ParamSpec",
    "Property",
    "Schema",
    "TensorSpec",
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
        self,
        type: ColumnType | str,
        name: str | None = None,
        optional: bool | None = None,
        required: bool | None = None,
    ) -> None:
        if name is not None and not isinstance(name, str):
            raise InvalidArgument(f"column name {name!r} is not a string; give a str or None")
        if optional is not None and required is not None and bool(optional) == bool(required):
            raise InvalidArgument(
                f"column {name!r}: optional={optional!r} contradicts required={required!r}; "
                "give only required= (MLflow's current name)"
            )
        is_optional = bool(optional) if optional is not None else required is False
        object.__setattr__(self, "type", _coerce_type(type, f"column {name!r}"))
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "optional", is_optional)

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
        from archivist.models.enforcement import check_param

        return check_param(self, value, what or f"param '{self.name}'")

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
