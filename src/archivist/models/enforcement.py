"""Checking and converting data against a schema at predict time, and input examples."""

from __future__ import annotations

import contextlib
import datetime as _dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from archivist.errors import InvalidArgument
from archivist.models.inference import (
    _dtype_type,
    _is_frame,
    _is_missing,
    _is_sparse,
    _unwrap,
    _value_type,
)
from archivist.models.schema import (
    _NUMERIC_DTYPES,
    AnyType,
    Array,
    ColSpec,
    ColumnType,
    DataType,
    Map,
    ModelSignature,
    Object,
    ParamSchema,
    ParamSpec,
    Schema,
    TensorSpec,
)

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = [
    "check_param",
    "enforce_params",
    "enforce_schema",
    "split_example",
    "validate_example",
]


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


def check_param(spec: ParamSpec, value: Any, what: str) -> Any:
    """``value`` checked against a param spec (ints widen to floats, ISO strings to datetimes)."""
    if value is None:
        return None
    if spec.shape is None:
        return _check_scalar(what, spec.dtype, value)
    value = _unwrap(value)
    if not isinstance(value, list | tuple):
        raise InvalidArgument(
            f"{what} expects a list of '{_type_label(spec.dtype)}' but got "
            f"'{_value_type_name(value)}' ({value!r}); give a list"
        )
    return [_check_scalar(f"{what}[{i}]", spec.dtype, v) for i, v in enumerate(value)]


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
