"""Inferring schemas and signatures from example data (as MLflow's ``infer_signature``)."""

from __future__ import annotations

import datetime as _dt
import sys
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from archivist.errors import InvalidArgument
from archivist.models.schema import (
    _NUMERIC_DTYPES,
    AnyType,
    Array,
    ColSpec,
    ColumnType,
    DataType,
    ModelSignature,
    Object,
    ParamSchema,
    ParamSpec,
    Property,
    Schema,
    TensorSpec,
)

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = [
    "infer_param_schema",
    "infer_schema",
    "infer_signature",
]


# --------------------------------------------------------------------------- inference


def _unwrap(value: Any) -> Any:
    """numpy scalars and arrays become plain Python values."""
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):
        return value.tolist()
    return value


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
