"""The scoring protocol: a request body in, ``{"predictions": ...}`` out.

MLflow's ``/invocations`` bodies are accepted unchanged:

- ``application/json`` holding exactly one of ``dataframe_split``
  (``{"columns": [...], "data": [[...]], "index": [...]}``), ``dataframe_records``
  (``[{"col": value}, ...]``), ``instances`` (a list of rows or of ``{name: value}``
  objects) or ``inputs`` (a list, nested lists, or ``{name: values}``), plus optional
  ``params`` (an object);
- ``text/csv``, a table with a header line.

:func:`parse_input` is the one function that turns a body into model input; the scoring
server and ``archivist models predict`` both call :func:`score`, which parses, predicts
and converts the result to JSON-able values.

numpy and pandas are imported inside the functions that use them.
"""

from __future__ import annotations

import base64
import datetime as _dt
import io
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from archivist.errors import ArchivistError, InvalidArgument

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from archivist.flavors.pyfunc import PyFuncModel
    from archivist.models.signature import Schema, TensorSpec

__all__ = [
    "CONTENT_TYPES",
    "INPUT_KEYS",
    "BadRequest",
    "ModelInput",
    "UnsupportedContentType",
    "parse_input",
    "predictions_to_json",
    "score",
]

#: The input keys of a JSON body; exactly one must be present.
INPUT_KEYS = ("dataframe_split", "dataframe_records", "instances", "inputs")
#: Supported content types (parameters other than ``charset=utf-8`` are ignored).
CONTENT_TYPES = ("application/json", "text/csv")

_EXAMPLE = (
    'e.g. {"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2]]}}, '
    '{"dataframe_records": [{"a": 1, "b": 2}]} or {"inputs": [[1, 2]]}'
)
_SEND = f"send a JSON object with exactly one of {', '.join(INPUT_KEYS)} (and optionally params), {_EXAMPLE}"


class BadRequest(InvalidArgument):
    """A request body that cannot be turned into model input (HTTP 400)."""

    error_code = "BAD_REQUEST"
    http_status: ClassVar[int] = 400


class UnsupportedContentType(BadRequest):
    """A content type the scoring protocol does not accept (HTTP 415)."""

    http_status: ClassVar[int] = 415


@dataclass(frozen=True, slots=True)
class ModelInput:
    """What :func:`parse_input` returns: the data for ``predict`` and its ``params``."""

    data: Any
    params: dict[str, Any] | None = None


# --------------------------------------------------------------------------- parsing


def _media_type(content_type: str | None) -> str:
    if not content_type or not content_type.strip():
        raise UnsupportedContentType(
            f"the request has no Content-Type; set it to one of {', '.join(CONTENT_TYPES)}"
        )
    media, *parameters = (part.strip() for part in content_type.split(";"))
    media = media.lower()
    if media not in CONTENT_TYPES:
        raise UnsupportedContentType(
            f"Content-Type {content_type!r} is not supported; use one of "
            f"{', '.join(CONTENT_TYPES)}"
        )
    for parameter in parameters:
        key, _, value = parameter.partition("=")
        charset = value.strip().strip('"').lower()
        if key.strip().lower() == "charset" and charset not in ("utf-8", "utf8"):
            raise UnsupportedContentType(
                f"Content-Type {content_type!r}: charset {value.strip()!r} is not supported; "
                "encode the body as UTF-8 and send charset=utf-8"
            )
    return media


def parse_input(body: bytes, content_type: str | None, schema: Schema | None = None) -> ModelInput:
    """Turn a request body into model input, shaped for the model's input ``schema``.

    With a tensor schema, ``instances`` and ``inputs`` become numpy arrays (or a dict of
    them) of the declared dtypes; with a column schema, tables become DataFrames whose
    ``float`` columns are float32. Without a schema, ``instances``/``inputs`` lists become
    a numpy array and an object becomes a DataFrame. The result still goes through the
    signature check in ``predict``.

    Args:
        body: the raw request body.
        content_type: the ``Content-Type`` header, e.g. ``"application/json"``.
        schema: the model signature's input schema, if any.

    Returns:
        The data and params to pass to ``PyFuncModel.predict``.

    Raises:
        UnsupportedContentType: the content type is not JSON or CSV.
        BadRequest: the body is malformed; the message says what is wrong and what to send.

    Example:
        >>> parse_input(b'{"inputs": [[1, 2], [3, 4]]}', "application/json").data.shape
        (2, 2)
    """
    media = _media_type(content_type)
    if media == "text/csv":
        return ModelInput(_fit_frame(_read_csv(body), schema))
    if not body.strip():
        raise BadRequest(f"the request body is empty; {_SEND}")
    try:
        doc = json.loads(body)
    except UnicodeDecodeError:
        raise BadRequest(f"the request body is not UTF-8 text; {_SEND}") from None
    except ValueError as e:
        raise BadRequest(f"the request body is not valid JSON ({e}); {_SEND}") from None
    if not isinstance(doc, dict):
        raise BadRequest(f"the request body is a JSON {_json_type(doc)}, not an object; {_SEND}")
    keys = [k for k in INPUT_KEYS if k in doc]
    unknown = sorted(set(doc) - {*INPUT_KEYS, "params"})
    if unknown:
        raise BadRequest(f"the request body has unexpected keys {unknown}; {_SEND}")
    if len(keys) != 1:
        given = f"none of them (keys: {sorted(doc)})" if not keys else f"{len(keys)}: {keys}"
        raise BadRequest(
            f"the request body must hold exactly one of {', '.join(INPUT_KEYS)} but holds "
            f"{given}; {_EXAMPLE}"
        )
    params = doc.get("params")
    if params is not None and not isinstance(params, dict):
        raise BadRequest(
            f"'params' is a JSON {_json_type(params)}; give an object of name -> value, "
            'e.g. {"params": {"threshold": 0.5}}'
        )
    key = keys[0]
    value = doc[key]
    if key == "dataframe_split":
        data: Any = _fit_frame(_split_frame(value), schema)
    elif key == "dataframe_records":
        data = _fit_frame(_records_frame(key, value), schema)
    else:
        data = _tensor_input(key, value, schema)
    return ModelInput(data, params)


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    return {
        dict: "object", list: "array", str: "string", int: "number", float: "number"
    }.get(type(value), "null")


def _read_csv(body: bytes) -> pd.DataFrame:
    import pandas as pd

    if not body.strip():
        raise BadRequest("the CSV body is empty; send a header line of column names and rows")
    try:
        frame = pd.read_csv(io.BytesIO(body), encoding="utf-8")
    except UnicodeDecodeError:
        raise BadRequest("the CSV body is not UTF-8 text; encode it as UTF-8") from None
    except (ValueError, pd.errors.ParserError) as e:
        raise BadRequest(
            f"the CSV body does not parse ({' '.join(str(e).split())}); send a header line of "
            "column names and rows with one value per column"
        ) from None
    return _non_empty("the CSV body", frame)


def _non_empty(what: str, frame: pd.DataFrame) -> pd.DataFrame:
    if frame.shape[0] == 0:
        raise BadRequest(f"{what} holds no rows; send at least one row")
    return frame


def _split_frame(value: Any) -> pd.DataFrame:
    import pandas as pd

    what = "'dataframe_split'"
    hint = 'give {"columns": [...], "data": [[...], ...]} with one value per column in each row'
    if not isinstance(value, dict):
        raise BadRequest(f"{what} is a JSON {_json_type(value)}, not an object; {hint}")
    unknown = sorted(set(value) - {"columns", "data", "index"})
    if unknown:
        raise BadRequest(f"{what} has unexpected keys {unknown}; {hint}")
    if "data" not in value:
        raise BadRequest(f"{what} has no 'data'; {hint}")
    columns, data, index = value.get("columns"), value["data"], value.get("index")
    for name, part in (("columns", columns), ("index", index)):
        if part is not None and not isinstance(part, list):
            raise BadRequest(f"{what}: '{name}' is a JSON {_json_type(part)}, not a list; {hint}")
    if not isinstance(data, list):
        raise BadRequest(f"{what}: 'data' is a JSON {_json_type(data)}, not a list of rows; {hint}")
    if any(isinstance(row, list) for row in data):
        width = len(columns) if columns is not None else None
        for i, row in enumerate(data):
            if not isinstance(row, list):
                raise BadRequest(f"{what}: row {i} of 'data' is a JSON {_json_type(row)}; {hint}")
            width = len(row) if width is None else width
            if len(row) != width:
                expected = f"'columns' names {width}" if columns is not None else f"row 0 has {width}"
                raise BadRequest(
                    f"{what}: row {i} of 'data' has {len(row)} value(s) but {expected}; {hint}"
                )
    if index is not None and len(index) != len(data):
        raise BadRequest(
            f"{what}: 'index' has {len(index)} entries but 'data' has {len(data)} rows; give "
            "one index entry per row or leave 'index' out"
        )
    try:
        frame = pd.DataFrame(data=data, columns=columns, index=index)
    except (ValueError, TypeError) as e:
        raise BadRequest(f"{what} does not make a table ({e}); {hint}") from None
    return _non_empty(what, frame)


def _records_frame(key: str, value: Any) -> pd.DataFrame:
    import pandas as pd

    hint = 'give a list of objects of column -> value, e.g. [{"a": 1, "b": 2}]'
    if not isinstance(value, list):
        raise BadRequest(f"'{key}' is a JSON {_json_type(value)}, not a list; {hint}")
    for i, record in enumerate(value):
        if not isinstance(record, dict):
            raise BadRequest(f"'{key}' item {i} is a JSON {_json_type(record)}, not an object; {hint}")
    return _non_empty(f"'{key}'", pd.DataFrame.from_records(value))


def _columns_frame(key: str, value: dict[str, Any]) -> pd.DataFrame:
    """An object of column -> values (or of column -> one value: a single row)."""
    import pandas as pd

    if not value:
        raise BadRequest(f"'{key}' is an empty object; give column -> list of values")
    if not any(isinstance(v, list) for v in value.values()):
        return pd.DataFrame([value])
    lengths = {k: len(v) for k, v in value.items() if isinstance(v, list)}
    if len(set(lengths.values())) > 1:
        raise BadRequest(
            f"'{key}' columns have different lengths {lengths}; give every column the same "
            "number of values"
        )
    try:
        frame = pd.DataFrame(value)
    except (ValueError, TypeError) as e:
        raise BadRequest(f"'{key}' does not make a table ({e}); give column -> list of values") from None
    return _non_empty(f"'{key}'", frame)


def _array(what: str, value: Any, spec: TensorSpec | None) -> np.ndarray[Any, Any]:
    import numpy as np

    try:
        array = np.asarray(value)
    except ValueError as e:
        raise BadRequest(
            f"{what} is not rectangular ({' '.join(str(e).split())}); give nested lists whose "
            "rows all have the same length"
        ) from None
    if array.ndim > 0 and array.shape[0] == 0:
        raise BadRequest(f"{what} holds no rows; send at least one row")
    return _fit_array(array, spec)


def _fit_array(array: np.ndarray[Any, Any], spec: TensorSpec | None) -> np.ndarray[Any, Any]:
    # JSON and CSV numbers arrive as float64; a float32 tensor takes the nearest float32,
    # which is what the client sent. Everything else is left to the signature check.
    if spec is not None and array.dtype.kind == "f":
        target = spec.numpy_dtype()
        if target.kind == "f" and target != array.dtype:
            return array.astype(target)
    return array


def _tensor_input(key: str, value: Any, schema: Schema | None) -> Any:
    if schema is not None and not schema.is_tensor_spec():
        return _fit_frame(_frame_for_columns(key, value, schema), schema)
    from archivist.models.signature import TensorSpec

    specs: dict[str | None, TensorSpec] = {}
    if schema is not None:
        specs = {s.name: s for s in schema.inputs if isinstance(s, TensorSpec)}
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        if schema is None:
            return _records_frame(key, value)
        names = list(dict.fromkeys(k for item in value for k in item))
        for i, item in enumerate(value):
            missing = [n for n in names if n not in item]
            if missing:
                raise BadRequest(
                    f"'{key}' item {i} lacks {missing}, which other items have; give every item "
                    "the same keys"
                )
        value = {n: [item[n] for item in value] for n in names}
    if isinstance(value, dict):
        if schema is None:
            return _columns_frame(key, value)
        return {
            str(name): _array(f"'{key}' tensor {name!r}", v, specs.get(str(name)))
            for name, v in value.items()
        }
    if not isinstance(value, list):
        raise BadRequest(
            f"'{key}' is a JSON {_json_type(value)}; give a list (rows or a nested tensor) or an "
            "object of name -> values"
        )
    only = next(iter(specs.values())) if len(specs) == 1 else None
    return _array(f"'{key}'", value, only)


def _frame_for_columns(key: str, value: Any, schema: Schema) -> pd.DataFrame:
    import pandas as pd

    if isinstance(value, dict):
        return _columns_frame(key, value)
    if not isinstance(value, list):
        raise BadRequest(
            f"'{key}' is a JSON {_json_type(value)}; give a list of row objects or an object of "
            "column -> values"
        )
    if value and all(isinstance(v, dict) for v in value):
        return _records_frame(key, value)
    if not value:
        raise BadRequest(f"'{key}' holds no rows; send at least one row")
    names = schema.input_names()
    if len(names) == 1:
        return pd.DataFrame({names[0] if names[0] is not None else 0: value})
    if schema.has_input_names():
        first = json.dumps({n: "..." for n in names[:2]})
        raise BadRequest(
            f"'{key}' is a list of rows without column names but the model expects columns "
            f"{names}; send rows as objects ({{\"{key}\": [{first}]}}), 'inputs' as an object of "
            "column -> values, or 'dataframe_split' with 'columns'"
        )
    return pd.DataFrame(_array(f"'{key}'", value, None))


def _fit_frame(frame: pd.DataFrame, schema: Schema | None) -> Any:
    """Shape a parsed table for the schema: float32 columns, or arrays for tensors."""
    if schema is None:
        return frame
    from archivist.models.signature import ColSpec, DataType, TensorSpec

    if not schema.is_tensor_spec():
        for spec in schema.inputs:
            if (
                isinstance(spec, ColSpec)
                and spec.type is DataType.float
                and spec.name in frame.columns
                and frame[spec.name].dtype.kind == "f"
            ):
                frame[spec.name] = frame[spec.name].astype("float32")
        return frame
    specs = [s for s in schema.inputs if isinstance(s, TensorSpec)]
    if not schema.has_input_names():
        return _fit_array(frame.to_numpy(), specs[0] if len(specs) == 1 else None)
    by_name = {s.name: s for s in specs}
    return {
        str(c): _fit_array(frame[c].to_numpy(), by_name.get(str(c))) for c in frame.columns
    }


# --------------------------------------------------------------------------- output


def predictions_to_json(predictions: Any) -> Any:
    """Model output as JSON-able values.

    numpy arrays and pandas Series become lists, DataFrames lists of records, numpy
    scalars Python scalars, dates ISO strings and bytes base64 text; NaN and infinities
    become ``null`` (JSON has no spelling for them).

    Raises:
        ArchivistError: the output holds a value with no JSON form.
    """
    if predictions is None or isinstance(predictions, str | bool | int):
        return predictions
    if isinstance(predictions, float):
        return predictions if math.isfinite(predictions) else None
    if isinstance(predictions, Mapping):
        return {str(k): predictions_to_json(v) for k, v in predictions.items()}
    if isinstance(predictions, list | tuple):
        return [predictions_to_json(v) for v in predictions]
    if isinstance(predictions, bytes | bytearray):
        return base64.b64encode(predictions).decode("ascii")
    module = type(predictions).__module__.split(".")[0]
    if module == "pandas":
        import pandas as pd

        if isinstance(predictions, pd.DataFrame):
            return predictions_to_json(predictions.to_dict(orient="records"))
        if isinstance(predictions, pd.Series | pd.Index):
            return predictions_to_json(predictions.tolist())
        if predictions is pd.NaT or predictions is pd.NA:
            return None
    if isinstance(predictions, _dt.date | _dt.time):
        return predictions.isoformat()
    if module == "numpy" and hasattr(predictions, "tolist"):
        if predictions.dtype.kind == "M":  # nanosecond datetimes would list as integers
            predictions = predictions.astype("datetime64[us]")
        return predictions_to_json(predictions.tolist())
    raise ArchivistError(
        f"the model returned a {type(predictions).__module__}.{type(predictions).__qualname__}, "
        "which has no JSON form; return arrays, DataFrames, lists, dicts or scalars"
    )


def score(model: PyFuncModel, body: bytes, content_type: str | None) -> dict[str, Any]:
    """Parse ``body``, predict with ``model`` and return ``{"predictions": ...}``.

    Raises:
        BadRequest: the body is malformed (see :func:`parse_input`).
        InvalidArgument: the input does not fit the model's signature.
        Exception: whatever the model raises while predicting.
    """
    signature = model.metadata.signature
    schema = signature.inputs if signature is not None else None
    parsed = parse_input(body, content_type, schema)
    predictions = model.predict(parsed.data, params=parsed.params)
    return {"predictions": predictions_to_json(predictions)}
