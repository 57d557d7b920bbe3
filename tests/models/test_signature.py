"""Signatures: MLflow's JSON layout, inference for every input kind, enforcement."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archivist.errors import InvalidArgument
from archivist.models.signature import (
    AnyType,
    Array,
    ColSpec,
    DataType,
    Map,
    ModelSignature,
    Object,
    ParamSchema,
    ParamSpec,
    Property,
    Schema,
    TensorSpec,
    enforce_params,
    enforce_schema,
    infer_signature,
    validate_example,
)

# --------------------------------------------------------------------------- inference
# Expected strings are what MLflow 3.17.2's infer_signature writes for the same data.

ALL_TYPES = pd.DataFrame(
    {
        "a": [1, 2],
        "b": [1.0, 2.0],
        "c": ["x", "y"],
        "d": [True, False],
        "e": np.array([1, 2], dtype=np.int32),
        "f": np.array([1, 2], dtype=np.float32),
        "g": [b"x", b"y"],
        "h": pd.to_datetime(["2020-01-01", "2020-01-02"]),
    }
)

INPUT_CASES: list[tuple[str, Any, str]] = [
    (
        "dataframe",
        ALL_TYPES,
        '[{"type": "long", "name": "a", "required": true}, '
        '{"type": "double", "name": "b", "required": true}, '
        '{"type": "string", "name": "c", "required": true}, '
        '{"type": "boolean", "name": "d", "required": true}, '
        '{"type": "integer", "name": "e", "required": true}, '
        '{"type": "float", "name": "f", "required": true}, '
        '{"type": "binary", "name": "g", "required": true}, '
        '{"type": "datetime", "name": "h", "required": true}]',
    ),
    (
        "ndarray",
        np.zeros((3, 4)),
        '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 4]}}]',
    ),
    (
        "ndarray-3d-float32",
        np.zeros((2, 3, 4), dtype=np.float32),
        '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3, 4]}}]',
    ),
    (
        "ndarray-str",
        np.array(["a", "bc"]),
        '[{"type": "tensor", "tensor-spec": {"dtype": "str", "shape": [-1]}}]',
    ),
    (
        "dict-of-arrays",
        {"a": np.zeros((2, 3)), "b": np.zeros(2, dtype=np.int64)},
        '[{"name": "a", "type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 3]}}, '
        '{"name": "b", "type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]',
    ),
    (
        "series-named",
        pd.Series([1.0, 2.0], name="x"),
        '[{"type": "double", "name": "x", "required": true}]',
    ),
    ("series-unnamed", pd.Series(["a", "b"]), '[{"type": "string", "required": true}]'),
    ("list-of-scalars", [1, 2, 3], '[{"type": "long", "required": true}]'),
    (
        "list-of-dicts",
        [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}],
        '[{"type": "long", "name": "a", "required": true}, {"type": "string", "name": "b", "required": true}]',
    ),
    (
        "list-of-dicts-sparse-keys",
        [{"a": 1}, {"b": 2}],
        '[{"type": "long", "name": "a", "required": false}, {"type": "long", "name": "b", "required": false}]',
    ),
    (
        "dict-of-scalars",
        {"a": 1.5, "b": True, "c": b"x", "d": dt.datetime(2020, 1, 1)},
        '[{"type": "double", "name": "a", "required": true}, '
        '{"type": "boolean", "name": "b", "required": true}, '
        '{"type": "binary", "name": "c", "required": true}, '
        '{"type": "datetime", "name": "d", "required": true}]',
    ),
    (
        "dict-with-list",
        {"a": [1, 2], "b": "x"},
        '[{"type": "array", "items": {"type": "long"}, "name": "a", "required": true}, '
        '{"type": "string", "name": "b", "required": true}]',
    ),
    (
        "dict-with-dict",
        {"a": {"x": 1}},
        '[{"type": "object", "properties": {"x": {"type": "long", "required": true}}, '
        '"name": "a", "required": true}]',
    ),
    ("scalar-string", "hello", '[{"type": "string", "required": true}]'),
    ("scalar-numpy", np.int64(3), '[{"type": "long", "required": true}]'),
    (
        "list-of-lists",
        [[1, 2], [3, 4]],
        '[{"type": "array", "items": {"type": "long"}, "required": true}]',
    ),
    (
        "nullable-int",
        pd.DataFrame({"a": [1, None]}),
        '[{"type": "double", "name": "a", "required": false}]',
    ),
    (
        "nullable-str",
        pd.DataFrame({"a": ["x", None]}),
        '[{"type": "string", "name": "a", "required": false}]',
    ),
    (
        "Int64-with-NA",
        pd.DataFrame({"a": pd.array([1, None], dtype="Int64")}),
        '[{"type": "long", "name": "a", "required": false}]',
    ),
    (
        "int8",
        pd.DataFrame({"a": np.array([1], dtype=np.int8)}),
        '[{"type": "integer", "name": "a", "required": true}]',
    ),
    (
        "uint32",
        pd.DataFrame({"a": np.array([1], dtype=np.uint32)}),
        '[{"type": "long", "name": "a", "required": true}]',
    ),
    (
        "categorical",
        pd.DataFrame({"a": pd.Categorical(["x", "y"])}),
        '[{"type": "string", "name": "a", "required": true}]',
    ),
    (
        "dates",
        pd.DataFrame({"a": [dt.date(2020, 1, 1)]}),
        '[{"type": "datetime", "name": "a", "required": true}]',
    ),
    (
        "list-column",
        pd.DataFrame({"a": [[1, 2], [3]]}),
        '[{"type": "array", "items": {"type": "long"}, "name": "a", "required": true}]',
    ),
    (
        "object-column",
        pd.DataFrame({"a": [{"x": 1}, {"x": 2, "y": "s"}]}),
        '[{"type": "object", "properties": {"x": {"type": "long", "required": true}, '
        '"y": {"type": "string", "required": false}}, "name": "a", "required": true}]',
    ),
    (
        "all-null-object",
        pd.DataFrame({"a": [None, None]}),
        '[{"type": "any", "name": "a", "required": false}]',
    ),
]


@pytest.mark.parametrize(
    ("data", "expected"), [c[1:] for c in INPUT_CASES], ids=[c[0] for c in INPUT_CASES]
)
def test_infer_matches_mlflow_layout_and_round_trips(data: Any, expected: str) -> None:
    sig = infer_signature(data)
    d = sig.to_dict()
    assert d == {"inputs": expected, "outputs": None, "params": None}
    again = ModelSignature.from_dict(json.loads(json.dumps(d)))
    assert again == sig
    assert again.to_dict() == d


def test_infer_outputs_and_params() -> None:
    sig = infer_signature(
        np.zeros((3, 4)),
        pd.Series([1, 2]),
        params={
            "alpha": 0.5,
            "n": 3,
            "s": "x",
            "flag": True,
            "lst": [1, 2],
            "d": dt.datetime(2020, 1, 1),
            "npf": np.float32(1.5),
            "arr": np.array([1, 2]),
            "o": {"x": 1},
        },
    )
    d = sig.to_dict()
    assert d["outputs"] == '[{"type": "long", "required": true}]'
    assert d["params"] == (
        '[{"name": "alpha", "default": 0.5, "shape": null, "type": "double"}, '
        '{"name": "n", "default": 3, "shape": null, "type": "long"}, '
        '{"name": "s", "default": "x", "shape": null, "type": "string"}, '
        '{"name": "flag", "default": true, "shape": null, "type": "boolean"}, '
        '{"name": "lst", "default": [1, 2], "shape": [-1], "type": "long"}, '
        '{"name": "d", "default": "2020-01-01T00:00:00", "shape": null, "type": "datetime"}, '
        '{"name": "npf", "default": 1.5, "shape": null, "type": "float"}, '
        '{"name": "arr", "default": [1, 2], "shape": [-1], "type": "long"}, '
        '{"name": "o", "default": {"x": 1}, "shape": null, "type": "object", '
        '"properties": {"x": {"type": "long", "required": true}}}]'
    )
    again = ModelSignature.from_dict(d)
    assert again == sig
    assert again.params is not None
    assert again.params.params[5].default == dt.datetime(2020, 1, 1)


def test_reads_signature_written_by_mlflow() -> None:
    # Verbatim from an MLmodel file written by MLflow 3.17.2 (note the integer name 0).
    written = {
        "inputs": '[{"type": "long", "required": true}]',
        "outputs": '[{"type": "long", "name": 0, "required": true}]',
        "params": '[{"name": "alpha", "default": 0.5, "shape": null, "type": "double"}]',
    }
    sig = ModelSignature.from_dict(written)
    assert sig.outputs == Schema([ColSpec("long", "0")])
    assert sig.to_dict()["inputs"] == written["inputs"]
    assert sig.to_dict()["params"] == written["params"]


def test_infer_rejects_unsupported_input() -> None:
    with pytest.raises(InvalidArgument, match="mixes numpy arrays"):
        infer_signature({"a": np.zeros(2), "b": 1})
    with pytest.raises(InvalidArgument, match="cannot infer a column type"):
        infer_signature([object()])
    with pytest.raises(InvalidArgument, match="param 'p'"):
        infer_signature([1], params={"p": None})


# --------------------------------------------------------------------------- constructors


def test_spec_constructors_validate() -> None:
    with pytest.raises(InvalidArgument, match="'decimal', which is not a column type"):
        ColSpec("decimal", "x")
    with pytest.raises(InvalidArgument, match="mixes ColSpec and TensorSpec"):
        Schema([ColSpec("long", "a"), TensorSpec("float64", (-1,), "b")])
    with pytest.raises(InvalidArgument, match=r"repeats the names \['a'\]"):
        Schema([ColSpec("long", "a"), ColSpec("double", "a")])
    with pytest.raises(InvalidArgument, match="mix named and unnamed"):
        Schema([ColSpec("long", "a"), ColSpec("double")])
    with pytest.raises(InvalidArgument, match="has no entries"):
        Schema([])
    with pytest.raises(InvalidArgument, match="shape"):
        TensorSpec("float64", (-2, 3))
    with pytest.raises(
        InvalidArgument, match="param 'k' default expects type 'long' but got 'string'"
    ):
        ParamSpec("k", "long", "x")
    with pytest.raises(InvalidArgument, match=r"repeats the names \['k'\]"):
        ParamSchema([ParamSpec("k", "long", 1), ParamSpec("k", "double", 1.0)])


def test_specs_accept_type_names_and_numpy_dtypes() -> None:
    assert ColSpec("double", "x").type is DataType.double
    assert TensorSpec(np.float32, (-1,)).dtype == "float32"
    assert TensorSpec(np.dtype("<U5"), (-1,)).dtype == "str"
    assert Array("string") == Array(DataType.string)
    assert Map("double").to_dict() == {"type": "map", "values": {"type": "double"}}
    assert Object([Property("b", "long"), Property("a", "string", False)]).to_dict() == {
        "type": "object",
        "properties": {
            "a": {"type": "string", "required": False},
            "b": {"type": "long", "required": True},
        },
    }


def test_composite_types_round_trip() -> None:
    schema = Schema(
        [
            ColSpec(
                Array(Object([Property("role", "string"), Property("n", Map("double"), False)])),
                "m",
            ),
            ColSpec(AnyType(), "x", optional=True),
            ColSpec(Array(Array("long")), "y"),
        ]
    )
    sig = ModelSignature(schema, schema)
    assert ModelSignature.from_dict(sig.to_dict()) == sig
    assert json.loads(sig.to_dict()["inputs"] or "")[1] == {
        "type": "any",
        "name": "x",
        "required": False,
    }


# --------------------------------------------------------------------------- enforcement

SCHEMA = Schema(
    [
        ColSpec("long", "a"),
        ColSpec("double", "b"),
        ColSpec("string", "c", optional=True),
        ColSpec("datetime", "d", optional=True),
    ]
)


def test_enforce_drops_extra_columns_and_keeps_values() -> None:
    out = enforce_schema(pd.DataFrame({"x": [0, 0], "b": [1.5, 2.5], "a": [1, 2]}), SCHEMA)
    assert list(out.columns) == ["a", "b"]
    assert out["a"].tolist() == [1, 2]
    assert out["b"].tolist() == [1.5, 2.5]


def test_enforce_missing_required_column_names_it_and_its_type() -> None:
    with pytest.raises(InvalidArgument) as e:
        enforce_schema(pd.DataFrame({"b": [1.0]}), SCHEMA)
    assert str(e.value) == (
        "input is missing required column 'a' (expected type 'long'); "
        "add it, or mark it optional in the signature"
    )


def test_enforce_float_to_int_is_rejected() -> None:
    with pytest.raises(InvalidArgument) as e:
        enforce_schema(pd.DataFrame({"a": [1.0, 2.0], "b": [1.0, 2.0]}), SCHEMA)
    message = str(e.value)
    assert message.startswith("column 'a' expects type 'long' but got 'double' (float64)")
    assert "would lose information" in message


def test_enforce_string_to_double_is_rejected() -> None:
    with pytest.raises(InvalidArgument, match=r"column 'b' expects type 'double' but got 'string'"):
        enforce_schema(pd.DataFrame({"a": [1], "b": ["1.5"]}), SCHEMA)
    with pytest.raises(InvalidArgument, match=r"column 'b' expects type 'double' but got 'string'"):
        enforce_schema(pd.DataFrame({"a": [1], "b": pd.Series(["x"], dtype=object)}), SCHEMA)


def test_enforce_bool_and_number_mismatches() -> None:
    with pytest.raises(
        InvalidArgument, match=r"column 'a' expects type 'long' but got 'boolean' \(bool\)"
    ):
        enforce_schema(pd.DataFrame({"a": [True], "b": [1.0]}), SCHEMA)
    with pytest.raises(
        InvalidArgument, match=r"column 'c' expects type 'string' but got 'long' \(int64\)"
    ):
        enforce_schema(pd.DataFrame({"a": [1], "b": [1.0], "c": [5]}), SCHEMA)


def test_enforce_safe_widening_converts() -> None:
    schema = Schema(
        [
            ColSpec("long", "i2l"),
            ColSpec("double", "f2d"),
            ColSpec("double", "i2d"),
            ColSpec("float", "h2f"),
        ]
    )
    frame = pd.DataFrame(
        {
            "i2l": np.array([1, 2], dtype=np.int32),
            "f2d": np.array([0.5, 1.5], dtype=np.float32),
            "i2d": np.array([3, 4], dtype=np.int32),
            "h2f": np.array([5, 6], dtype=np.int16),
        }
    )
    out = enforce_schema(frame, schema)
    assert out.dtypes.astype(str).to_dict() == {
        "i2l": "int64",
        "f2d": "float64",
        "i2d": "float64",
        "h2f": "float32",
    }
    assert out["f2d"].tolist() == [0.5, 1.5]
    assert out["i2d"].tolist() == [3.0, 4.0]


def test_enforce_long_to_double_only_when_exact() -> None:
    schema = Schema([ColSpec("double", "x")])
    assert enforce_schema(pd.DataFrame({"x": [1, 2**53]}), schema)["x"].tolist() == [1.0, 2.0**53]
    with pytest.raises(
        InvalidArgument, match=r"column 'x' expects type 'double' but got 'long' \(int64\)"
    ):
        enforce_schema(pd.DataFrame({"x": [2**53 + 1]}), schema)


def test_enforce_narrowing_only_when_values_fit() -> None:
    schema = Schema([ColSpec("integer", "x"), ColSpec("float", "y")])
    out = enforce_schema(pd.DataFrame({"x": [1, -5], "y": [0.5, 2.0]}), schema)
    assert out.dtypes.astype(str).tolist() == ["int32", "float32"]
    with pytest.raises(InvalidArgument, match="outside int32's range"):
        enforce_schema(pd.DataFrame({"x": [2**40], "y": [0.5]}), schema)
    with pytest.raises(InvalidArgument, match="cannot represent exactly"):
        enforce_schema(pd.DataFrame({"x": [1], "y": [0.1]}), schema)


def test_enforce_nullable_integers() -> None:
    schema = Schema([ColSpec("long", "a"), ColSpec("double", "b")])
    frame = pd.DataFrame(
        {"a": pd.array([1, 2], dtype="Int64"), "b": pd.array([1, None], dtype="Int64")}
    )
    out = enforce_schema(frame, schema)
    assert out["a"].dtype == np.int64
    assert out["b"].isna().tolist() == [False, True]
    with pytest.raises(InvalidArgument, match="missing values, which integer types cannot hold"):
        enforce_schema(
            pd.DataFrame({"a": pd.array([1, None], dtype="Int64"), "b": [1.0, 2.0]}), schema
        )


def test_enforce_datetime_and_strings() -> None:
    out = enforce_schema(
        pd.DataFrame({"a": [1], "b": [1.0], "c": ["z"], "d": ["2020-01-02T03:04:05"]}), SCHEMA
    )
    assert out["d"].dtype == np.dtype("datetime64[ns]")
    assert out["d"].iloc[0] == pd.Timestamp("2020-01-02 03:04:05")
    with pytest.raises(
        InvalidArgument, match=r"column 'd' expects type 'datetime' but got 'string'"
    ):
        enforce_schema(pd.DataFrame({"a": [1], "b": [1.0], "d": ["not a date"]}), SCHEMA)


def test_enforce_python_inputs() -> None:
    records = [{"a": 1, "b": 2}, {"a": 3, "b": 4.5, "c": "z"}]
    out = enforce_schema(records, SCHEMA)
    assert list(out.columns) == ["a", "b", "c"]
    assert out["a"].tolist() == [1, 3]
    assert out["b"].dtype == np.float64
    assert out["b"].tolist() == [2.0, 4.5]
    assert pd.isna(out["c"].iloc[0])
    assert out["c"].iloc[1] == "z"
    one = enforce_schema({"a": 1, "b": 2}, SCHEMA)
    assert one.to_dict("records") == [{"a": 1, "b": 2.0}]
    columns = enforce_schema({"a": [1, 2], "b": [3, 4]}, SCHEMA)
    assert columns.to_dict("list") == {"a": [1, 2], "b": [3.0, 4.0]}


def test_enforce_unnamed_columns_by_position() -> None:
    schema = Schema([ColSpec("double"), ColSpec("long")])
    out = enforce_schema(np.array([[1, 2], [3, 4]]), schema)
    assert out.dtypes.astype(str).tolist() == ["float64", "int64"]
    with pytest.raises(InvalidArgument, match="input has 1 column"):
        enforce_schema(np.array([1.0, 2.0]), schema)
    with pytest.raises(InvalidArgument, match="without column names"):
        enforce_schema(np.zeros((2, 4)), SCHEMA)


def test_enforce_nested_values() -> None:
    schema = Schema(
        [
            ColSpec(
                Array(Object([Property("role", "string"), Property("content", "string", False)])),
                "m",
            )
        ]
    )
    ok = pd.DataFrame({"m": [[{"role": "user", "content": "hi"}], [{"role": "bot"}]]})
    assert enforce_schema(ok, schema).shape == (2, 1)
    with pytest.raises(
        InvalidArgument, match=r"column 'm' row 1\[0\].role expects type 'string' but got 'long'"
    ):
        enforce_schema(pd.DataFrame({"m": [[{"role": "u"}], [{"role": 1}]]}), schema)
    with pytest.raises(InvalidArgument, match="missing required key 'role'"):
        enforce_schema(pd.DataFrame({"m": [[{"content": "x"}]]}), schema)


def test_enforce_tensor_dtype_and_shape() -> None:
    schema = Schema([TensorSpec("float64", (-1, 4))])
    out = enforce_schema(np.ones((2, 4), dtype=np.float32), schema)
    assert out.dtype == np.float64
    assert out.shape == (2, 4)
    assert enforce_schema([[1, 2, 3, 4]], schema).dtype == np.float64
    with pytest.raises(InvalidArgument) as e:
        enforce_schema(np.zeros((2, 3)), schema)
    assert str(e.value) == (
        "input tensor expects shape (-1, 4) (-1 = any size) but got shape (2, 3); reshape the input"
    )
    with pytest.raises(
        InvalidArgument, match=r"input tensor expects type 'int64' but got 'double' \(float64\)"
    ):
        enforce_schema(np.zeros((1, 4)), Schema([TensorSpec("int64", (-1, 4))]))


def test_enforce_named_tensors() -> None:
    schema = Schema([TensorSpec("float32", (-1,), "x"), TensorSpec("int64", (-1, 2), "y")])
    out = enforce_schema(
        {"x": np.zeros(3, dtype=np.float16), "y": np.zeros((3, 2), dtype=np.int32), "z": 1}, schema
    )
    assert sorted(out) == ["x", "y"]
    assert (out["x"].dtype, out["y"].dtype) == (np.float32, np.int64)
    with pytest.raises(
        InvalidArgument,
        match=r"missing required tensor 'y' \(expected dtype 'int64', shape \(-1, 2\)\)",
    ):
        enforce_schema({"x": np.zeros(3, dtype=np.float32)}, schema)


def test_validate_example_and_params() -> None:
    sig = ModelSignature(SCHEMA, params=[ParamSpec("k", "long", 1)])
    validate_example(sig, (pd.DataFrame({"a": [1], "b": [1.0]}), {"k": 2}))
    with pytest.raises(InvalidArgument) as e:
        validate_example(sig, pd.DataFrame({"a": [1.5], "b": [1.0]}))
    assert str(e.value).startswith(
        "input example does not match the model signature: column 'a' expects type 'long'"
    )
    with pytest.raises(InvalidArgument, match=r"params \['q'\] are not in the model's signature"):
        validate_example(sig, (pd.DataFrame({"a": [1], "b": [1.0]}), {"q": 2}))


def test_enforce_params_fills_defaults_and_checks_types() -> None:
    schema = ParamSchema(
        [
            ParamSpec("k", "long", 1),
            ParamSpec("t", "double", 0.5),
            ParamSpec("l", "string", ["a"], (-1,)),
        ]
    )
    assert enforce_params({"t": 2}, schema) == {"k": 1, "t": 2.0, "l": ["a"]}
    with pytest.raises(InvalidArgument, match=r"param 'k' expects type 'long' but got 'string'"):
        enforce_params({"k": "x"}, schema)
    with pytest.raises(InvalidArgument, match="declares none"):
        enforce_params({"k": 1}, None)
    assert enforce_params(None, None) == {}


# --------------------------------------------------------------------------- properties

_COLUMN_DTYPES = [
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "float32",
    "float64",
    "bool",
]


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    n_rows = draw(st.integers(min_value=1, max_value=5))
    names = draw(
        st.lists(st.text("abcxyz_", min_size=1, max_size=4), min_size=1, max_size=4, unique=True)
    )
    columns: dict[str, Any] = {}
    for name in names:
        dtype = np.dtype(draw(st.sampled_from(_COLUMN_DTYPES)))
        if dtype.kind == "b":
            values: Any = draw(st.lists(st.booleans(), min_size=n_rows, max_size=n_rows))
        elif dtype.kind == "f":
            values = draw(
                st.lists(
                    st.floats(width=dtype.itemsize * 8, allow_nan=False, allow_infinity=False),
                    min_size=n_rows,
                    max_size=n_rows,
                )
            )
        else:
            info = np.iinfo(dtype)
            values = draw(
                st.lists(
                    st.integers(int(info.min), int(info.max)), min_size=n_rows, max_size=n_rows
                )
            )
        columns[name] = np.array(values, dtype=dtype)
    if draw(st.booleans()):
        columns["s"] = draw(st.lists(st.text(max_size=3), min_size=n_rows, max_size=n_rows))
    return pd.DataFrame(columns)


@settings(max_examples=60, deadline=None)
@given(frames())
def test_inferred_signature_round_trips_and_accepts_its_example(frame: pd.DataFrame) -> None:
    sig = infer_signature(frame)
    assert ModelSignature.from_dict(json.loads(json.dumps(sig.to_dict()))) == sig
    assert sig.inputs is not None
    out = enforce_schema(frame, sig.inputs)
    assert list(out.columns) == list(frame.columns)
    for name in frame.columns:
        assert out[name].tolist() == frame[name].tolist()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-(2**31), 2**31 - 1), min_size=1, max_size=6))
def test_int32_values_always_widen_to_double_exactly(values: list[int]) -> None:
    frame = pd.DataFrame({"x": np.array(values, dtype=np.int32)})
    out = enforce_schema(frame, Schema([ColSpec("double", "x")]))
    assert out["x"].dtype == np.float64
    assert out["x"].tolist() == [float(v) for v in values]


def test_schema_names_as_mlflow_spells_them() -> None:
    schema = infer_signature(pd.DataFrame({"a": [1.0, 2.0], "b": ["x", None]})).inputs
    assert schema.has_input_names() and schema.input_names() == ["a", "b"]
    assert schema.required_input_names() == ["a"] and schema.optional_input_names() == ["b"]
    tensor = infer_signature(np.zeros((2, 3))).inputs
    assert not tensor.has_input_names() and tensor.input_names() == [None]
