"""parse_input and predictions_to_json on their own: shapes and dtypes for each schema kind."""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pandas as pd
import pytest

from archivist.errors import ArchivistError, InvalidArgument
from archivist.models.signature import ColSpec, Schema, TensorSpec, enforce_schema
from archivist.serving import (
    BadRequest,
    UnsupportedContentType,
    parse_input,
    predictions_to_json,
)


def parse(doc: object, schema: Schema | None = None, content_type: str = "application/json"):  # type: ignore[no-untyped-def]
    return parse_input(json.dumps(doc).encode(), content_type, schema)


def test_errors_are_invalid_arguments_with_their_own_code_and_status() -> None:
    assert issubclass(BadRequest, InvalidArgument)
    payload = BadRequest("x").to_dict()
    assert (payload["error_code"], payload["message"]) == ("BAD_REQUEST", "x")
    assert (BadRequest.http_status, UnsupportedContentType.http_status) == (400, 415)


def test_content_type_is_case_insensitive_and_keeps_utf8_charset() -> None:
    got = parse_input(b'{"inputs": [[1, 2]]}', "Application/JSON; Charset=UTF-8", None)
    assert got.data.tolist() == [[1, 2]]
    assert got.params is None
    with pytest.raises(UnsupportedContentType, match="'application/xml' is not supported"):
        parse_input(b"<x/>", "application/xml", None)


def test_no_schema_lists_become_arrays_and_objects_frames() -> None:
    got = parse({"inputs": [[1.5, 2], [3, 4]], "params": {"k": 1}})
    assert isinstance(got.data, np.ndarray) and got.data.dtype == np.float64
    assert got.data.shape == (2, 2)
    assert got.params == {"k": 1}
    assert parse({"instances": [1, 2, 3]}).data.tolist() == [1, 2, 3]
    frame = parse({"inputs": {"a": [1, 2], "b": ["x", "y"]}}).data
    assert isinstance(frame, pd.DataFrame)
    assert frame.to_dict(orient="list") == {"a": [1, 2], "b": ["x", "y"]}
    records = parse({"instances": [{"a": 1}, {"a": 2}]}).data
    assert records.to_dict(orient="list") == {"a": [1, 2]}
    with pytest.raises(BadRequest, match="'instances' is not rectangular"):
        parse({"instances": [[1], [2, 3]]})


def test_float32_columns_and_tensors_take_json_decimals() -> None:
    columns = Schema([ColSpec("float", "x"), ColSpec("long", "n")])
    frame = parse({"dataframe_split": {"columns": ["x", "n"], "data": [[0.1, 1], [2.5, 2]]}}, columns).data
    assert frame["x"].dtype == np.float32 and frame["n"].dtype == np.int64
    assert enforce_schema(frame, columns)["x"].tolist() == [np.float32(0.1), 2.5]

    tensor = Schema([TensorSpec("float32", (-1, 2))])
    array = parse({"inputs": [[0.1, 0.2]]}, tensor).data
    assert array.dtype == np.float32
    assert enforce_schema(array, tensor).shape == (1, 2)
    from_csv = parse_input(b"a,b\n0.1,0.2\n", "text/csv", tensor).data
    assert from_csv.dtype == np.float32 and from_csv.shape == (1, 2)


def test_named_tensors_from_objects_and_row_objects() -> None:
    schema = Schema([TensorSpec("float64", (-1,), "a"), TensorSpec("int64", (-1,), "b")])
    by_column = parse({"inputs": {"a": [1.0, 2.0], "b": [3, 4]}}, schema).data
    by_row = parse({"instances": [{"a": 1.0, "b": 3}, {"a": 2.0, "b": 4}]}, schema).data
    for data in (by_column, by_row):
        assert {k: v.tolist() for k, v in data.items()} == {"a": [1.0, 2.0], "b": [3, 4]}
        assert data["b"].dtype == np.int64
    table = parse({"dataframe_records": [{"a": 1.0, "b": 3}]}, schema).data
    assert {k: v.tolist() for k, v in table.items()} == {"a": [1.0], "b": [3]}


def test_one_column_schema_takes_a_plain_list() -> None:
    schema = Schema([ColSpec("string", "text")])
    frame = parse({"inputs": ["a", "b"]}, schema).data
    assert frame.to_dict(orient="list") == {"text": ["a", "b"]}


def test_predictions_to_json() -> None:
    frame = pd.DataFrame({"a": [1, 2], "b": [0.5, math.nan]})
    assert predictions_to_json(frame) == [{"a": 1, "b": 0.5}, {"a": 2, "b": None}]
    assert predictions_to_json(pd.Series([np.int64(3)])) == [3]
    assert predictions_to_json(np.array([[1, 2]], dtype=np.int32)) == [[1, 2]]
    assert predictions_to_json(np.bool_(True)) is True
    assert predictions_to_json((float("inf"), b"hi", dt.date(2024, 1, 2))) == [None, "aGk=", "2024-01-02"]
    assert predictions_to_json({1: pd.NaT}) == {"1": None}
    stamps = np.array(["2024-01-02T03:04:05", "NaT"], dtype="datetime64[ns]")
    assert predictions_to_json(stamps) == ["2024-01-02T03:04:05", None]
    with pytest.raises(ArchivistError, match="has no JSON form"):
        predictions_to_json({"x": {1, 2}})
    json.dumps(predictions_to_json(frame), allow_nan=False)
