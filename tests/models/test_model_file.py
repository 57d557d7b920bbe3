"""The MLmodel file and input examples, including a check by the real MLflow."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from archivist._version import __version__
from archivist.errors import InvalidArgument, ResourceNotFound
from archivist.models.model import Model, load_input_example, save_input_example
from archivist.models.signature import (
    AnyType,
    ColSpec,
    Map,
    ModelSignature,
    Schema,
    TensorSpec,
    infer_signature,
)

# Written by MLflow 3.17.2 (mlflow.pyfunc.save_model with a list-of-dicts input example).
MLFLOW_MLMODEL = """\
flavors:
  python_function:
    cloudpickle_version: 3.1.2
    code: null
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.pyfunc.model
    python_model: python_model.pkl
    python_version: 3.11.7
    streamable: false
is_signature_from_type_hint: false
mlflow_version: 3.17.2
model_id: null
model_size_bytes: 1490
model_uuid: 9b7b25d10b3a48499f07849c6306c3aa
prompts: null
saved_input_example_info:
  artifact_path: input_example.json
  serving_input_path: serving_input_example.json
  type: json_object
signature:
  inputs: '[{"type": "long", "name": "a", "required": true}, {"type": "string", "name":
    "b", "required": true}]'
  outputs: '[{"type": "long", "name": "a", "required": true}, {"type": "string", "name":
    "b", "required": true}]'
  params: null
type_hint_from_example: false
utc_time_created: '2026-11-23 18:18:17.875147'
"""


def _model() -> Model:
    frame = pd.DataFrame({"x": [1.0, 2.0], "name": ["a", "b"]})
    model = Model(
        artifact_path="model",
        run_id="0123456789abcdef",
        model_id="m-0123456789abcdef",
        signature=infer_signature(frame, np.array([0.5, 1.5]), params={"k": 3}),
        metadata={"team": "search"},
        env_vars=["OPENAI_API_KEY"],
    )
    return model.add_flavor(
        "python_function",
        loader_module="archivist.flavors.pyfunc",
        env={"virtualenv": "python_env.yaml"},
    )


# --------------------------------------------------------------------------- MLmodel


def test_save_then_load_is_equal(tmp_path: Path) -> None:
    model = _model()
    written = model.save(tmp_path / "m")
    assert written == tmp_path / "m" / "MLmodel"
    assert Model.load(tmp_path / "m") == model
    assert Model.load(written) == model


def test_yaml_layout(tmp_path: Path) -> None:
    model = _model()
    model.save(tmp_path)
    text = (tmp_path / "MLmodel").read_text()
    d = yaml.safe_load(text)
    assert sorted(d) == [
        "archivist_version",
        "artifact_path",
        "env_vars",
        "flavors",
        "metadata",
        "model_id",
        "model_uuid",
        "run_id",
        "signature",
        "utc_time_created",
    ]
    assert d["archivist_version"] == __version__
    assert "mlflow_version" not in d and "databricks_runtime" not in d
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", d["utc_time_created"])
    assert re.fullmatch(r"[0-9a-f]{32}", d["model_uuid"])
    assert d["flavors"] == {
        "python_function": {
            "loader_module": "archivist.flavors.pyfunc",
            "env": {"virtualenv": "python_env.yaml"},
        }
    }
    assert d["signature"] == {
        "inputs": '[{"type": "double", "name": "x", "required": true}, '
        '{"type": "string", "name": "name", "required": true}]',
        "outputs": '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}]',
        "params": '[{"name": "k", "default": 3, "shape": null, "type": "long"}]',
    }
    # Keys are sorted like MLflow's yaml.safe_dump output.
    top_keys = [line.split(":")[0] for line in text.splitlines() if re.match(r"^\w", line)]
    assert top_keys == sorted(top_keys)


def test_empty_fields_are_left_out() -> None:
    d = Model(model_uuid="u", utc_time_created="2024-01-01 00:00:00.000000").to_dict()
    assert d == {
        "flavors": {},
        "model_uuid": "u",
        "model_id": None,
        "utc_time_created": "2024-01-01 00:00:00.000000",
        "archivist_version": __version__,
    }


def test_loads_mlflow_written_file_and_keeps_unknown_keys(tmp_path: Path) -> None:
    (tmp_path / "MLmodel").write_text(MLFLOW_MLMODEL)
    model = Model.load(tmp_path)
    assert model.model_uuid == "9b7b25d10b3a48499f07849c6306c3aa"
    assert model.utc_time_created == "2026-11-23 18:18:17.875147"
    assert model.get_flavor("python_function")["loader_module"] == "mlflow.pyfunc.model"
    assert model.get_input_schema() == Schema([ColSpec("long", "a"), ColSpec("string", "b")])
    assert model.get_params_schema() is None
    assert model.archivist_version is None
    assert model.extra == {
        "is_signature_from_type_hint": False,
        "mlflow_version": "3.17.2",
        "prompts": None,
        "type_hint_from_example": False,
    }
    assert model.model_size_bytes == 1490
    model.save(tmp_path / "again")
    assert yaml.safe_load((tmp_path / "again" / "MLmodel").read_text()) == yaml.safe_load(
        MLFLOW_MLMODEL
    )


def test_load_errors(tmp_path: Path) -> None:
    with pytest.raises(ResourceNotFound, match="no MLmodel file at"):
        Model.load(tmp_path / "missing")
    (tmp_path / "MLmodel").write_text("flavors: [unclosed")
    with pytest.raises(InvalidArgument, match="is not valid YAML"):
        Model.load(tmp_path)
    (tmp_path / "MLmodel").write_text("- just a list\n")
    with pytest.raises(InvalidArgument, match="does not hold a YAML mapping"):
        Model.load(tmp_path)
    (tmp_path / "MLmodel").write_text("flavors: [a, b]\n")
    with pytest.raises(InvalidArgument, match="'flavors' is"):
        Model.load(tmp_path)
    (tmp_path / "MLmodel").write_text('signature:\n  inputs: \'[{"type": "decimal"}]\'\n')
    with pytest.raises(InvalidArgument, match="not a column type"):
        Model.load(tmp_path)


def test_flavors() -> None:
    model = Model()
    assert model.add_flavor("sklearn", pickled_model="model.pkl") is model
    assert model.get_flavor("sklearn") == {"pickled_model": "model.pkl"}
    with pytest.raises(
        ResourceNotFound, match=r"model has no 'pyfunc' flavor \(it has \['sklearn'\]\)"
    ):
        model.get_flavor("pyfunc")
    with pytest.raises(InvalidArgument, match="flavor name"):
        model.add_flavor("")


# --------------------------------------------------------------------------- input examples
# Expected file contents are what MLflow 3.17.2 writes for the same examples.

EXAMPLE_FRAME = pd.DataFrame({"a": [1, 2], "b": [1.0, 2.0], "c": ["x", "y"]})
FRAME_SPLIT = {"columns": ["a", "b", "c"], "data": [[1, 1.0, "x"], [2, 2.0, "y"]]}

EXAMPLE_CASES: list[tuple[str, Any, dict[str, Any], str, Any]] = [
    (
        "dataframe",
        EXAMPLE_FRAME,
        {"type": "dataframe", "pandas_orient": "split"},
        '{"columns": ["a", "b", "c"], "data": [[1, 1.0, "x"], [2, 2.0, "y"]]}',
        {"dataframe_split": FRAME_SPLIT},
    ),
    (
        "ndarray",
        np.zeros((2, 3)),
        {"type": "ndarray"},
        "[[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]",
        {"inputs": [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]},
    ),
    (
        "dict-of-arrays",
        {"a": np.zeros((2, 3)), "b": np.arange(2)},
        {"type": "ndarray"},
        '{"a": [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]], "b": [0, 1]}',
        {"inputs": {"a": [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]], "b": [0, 1]}},
    ),
    ("list", [1, 2, 3], {"type": "json_object"}, "[1, 2, 3]", {"inputs": [1, 2, 3]}),
    (
        "list-of-dicts",
        [{"a": 1, "b": "x"}],
        {"type": "json_object"},
        '[{"a": 1, "b": "x"}]',
        {"inputs": [{"a": 1, "b": "x"}]},
    ),
    (
        "dict",
        {"a": 1, "b": "x"},
        {"type": "json_object"},
        '{"a": 1, "b": "x"}',
        {"inputs": {"a": 1, "b": "x"}},
    ),
    ("string", "hello", {"type": "json_object"}, '"hello"', {"inputs": "hello"}),
    (
        "dataframe-with-params",
        (EXAMPLE_FRAME, {"alpha": 0.5}),
        {"type": "dataframe", "pandas_orient": "split", "params": "true"},
        '{"inputs": {"columns": ["a", "b", "c"], "data": [[1, 1.0, "x"], [2, 2.0, "y"]]}, "params": {"alpha": 0.5}}',
        {"dataframe_split": FRAME_SPLIT, "params": {"alpha": 0.5}},
    ),
]


@pytest.mark.parametrize(
    ("example", "info", "stored", "serving"),
    [c[1:] for c in EXAMPLE_CASES],
    ids=[c[0] for c in EXAMPLE_CASES],
)
def test_input_example_files_match_mlflow(
    tmp_path: Path, example: Any, info: dict[str, Any], stored: str, serving: Any
) -> None:
    written = save_input_example(tmp_path, example)
    assert written == {
        "artifact_path": "input_example.json",
        "serving_input_path": "serving_input_example.json",
        **info,
    }
    assert (tmp_path / "input_example.json").read_text() == stored
    serving_text = (tmp_path / "serving_input_example.json").read_text()
    assert serving_text == json.dumps(serving, indent=2)


def test_dataframe_example_round_trips_with_schema(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "i": np.array([1, 2], dtype=np.int32),
            "f": [0.5, np.nan],
            "s": ["x", None],
            "b": [b"\x00\xff", b"ok"],
            "t": pd.to_datetime(["2020-01-01 10:00", "2021-06-30 00:00"]),
        }
    )
    info = save_input_example(tmp_path, frame)
    stored = json.loads((tmp_path / "input_example.json").read_text())
    assert stored["data"][1][1] is None  # NaN is written as null
    assert stored["data"][0][3] == "AP8=\n"  # bytes as base64, like MLflow
    assert stored["data"][0][4] == "2020-01-01T10:00:00"
    schema = infer_signature(frame).inputs
    loaded = load_input_example(tmp_path, info, schema=schema)
    assert loaded["i"].dtype == np.int32
    assert loaded["b"].tolist() == [b"\x00\xff", b"ok"]
    assert loaded["t"].tolist() == frame["t"].tolist()
    assert loaded["f"].iloc[0] == 0.5 and np.isnan(loaded["f"].iloc[1])


def test_examples_load_back(tmp_path: Path) -> None:
    info = save_input_example(tmp_path / "nd", np.arange(6, dtype=np.float32).reshape(2, 3))
    array = load_input_example(
        tmp_path / "nd", info, schema=infer_signature(np.zeros((1, 3), dtype=np.float32)).inputs
    )
    assert array.dtype == np.float32 and array.tolist() == [[0, 1, 2], [3, 4, 5]]
    info = save_input_example(tmp_path / "p", (EXAMPLE_FRAME, {"alpha": 0.5}))
    data, params = load_input_example(tmp_path / "p", info)
    pd.testing.assert_frame_equal(data, EXAMPLE_FRAME, check_dtype=False)
    assert params == {"alpha": 0.5}
    info = save_input_example(tmp_path / "j", {"q": "hi", "when": dt.date(2024, 5, 1)})
    assert load_input_example(tmp_path / "j", info) == {"q": "hi", "when": "2024-05-01"}


def test_example_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match="mixes numpy arrays"):
        save_input_example(tmp_path, {"a": np.zeros(2), "b": 1})
    with pytest.raises(InvalidArgument, match="input example of type object is not supported"):
        save_input_example(tmp_path, object())
    with pytest.raises(ResourceNotFound, match="does not exist"):
        load_input_example(
            tmp_path / "none", {"artifact_path": "input_example.json", "type": "ndarray"}
        )
    (tmp_path / "input_example.json").write_text("[1]")
    with pytest.raises(InvalidArgument, match="type 'parquet' is not supported"):
        load_input_example(tmp_path, {"artifact_path": "input_example.json", "type": "parquet"})
    with pytest.raises(InvalidArgument, match=r"is not a sparse matrix \(data, indices, indptr, shape\)"):
        load_input_example(
            tmp_path, {"artifact_path": "input_example.json", "type": "sparse_matrix_csr"}
        )


# --------------------------------------------------------------------------- MLflow reads ours


@pytest.mark.mlflow
def test_mlflow_reads_our_model_and_we_read_mlflows(tmp_path: Path, mlflow_python: str) -> None:
    frame = pd.DataFrame({"x": [1.5, 2.5], "n": [1, 2], "s": ["a", "b"]})
    signature = infer_signature(frame, np.array([0.1, 0.2]), params={"k": 3})
    ours = tmp_path / "ours"
    model = Model(signature=signature).add_flavor(
        "python_function", loader_module="archivist.flavors.pyfunc"
    )
    model.saved_input_example_info = save_input_example(ours, frame)
    model.save(ours)
    theirs = tmp_path / "theirs"
    script = textwrap.dedent(
        """
        import json, sys
        import numpy as np, pandas as pd
        from mlflow.models import Model, infer_signature
        from mlflow.models.utils import _save_example

        m = Model.load(sys.argv[1])
        print(m.signature)
        print("SIGNATURE " + json.dumps(m.signature.to_dict()))
        print("EXAMPLE " + m.load_input_example(sys.argv[1]).to_json(orient="split"))

        frame = pd.DataFrame({"x": [1.5, 2.5], "n": [1, 2], "s": ["a", "b"]})
        sig = infer_signature(frame, np.array([0.1, 0.2]), params={"k": 3})
        other = Model(signature=sig)
        other.add_flavor("python_function", loader_module="mlflow.pyfunc.model")
        _save_example(other, frame, sys.argv[2])
        other.save(sys.argv[2] + "/MLmodel")

        from mlflow.models.signature import ModelSignature
        with open(sys.argv[3]) as f:
            ours = [ModelSignature.from_dict(d) for d in json.load(f)]
        print("ROUNDTRIP " + json.dumps([s.to_dict() for s in ours]))
        """
    )
    # More kinds of signature, each parsed by MLflow and written back unchanged.
    kinds = [
        infer_signature(
            [{"m": [{"role": "user", "content": "hi"}], "k": {"a": 1.5}}, {"m": [], "extra": b"x"}],
            params={"when": dt.datetime(2024, 5, 1, 12), "tags": ["a", "b"], "opts": {"t": 0.1}},
        ),
        infer_signature({"image": np.zeros((2, 8, 8), dtype=np.uint8), "scale": np.ones(2)}),
        ModelSignature(
            Schema(
                [
                    ColSpec("datetime", "t", optional=True),
                    ColSpec(AnyType(), "x"),
                    ColSpec(Map("long"), "counts"),
                ]
            ),
            Schema([TensorSpec("float32", (-1, 3))]),
        ),
    ]
    sig_file = tmp_path / "signatures.json"
    sig_file.write_text(json.dumps([k.to_dict() for k in kinds]))
    theirs.mkdir()
    done = subprocess.run(
        [mlflow_python, "-c", script, str(ours), str(theirs), str(sig_file)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:6] == [
        "inputs: ",
        "  ['x': double (required), 'n': long (required), 's': string (required)]",
        "outputs: ",
        "  [Tensor('float64', (-1,))]",
        "params: ",
        "  ['k': long (default: 3)]",
    ]
    printed = {
        line.split(" ", 1)[0]: line.split(" ", 1)[1]
        for line in lines
        if line.startswith(("SIGNATURE", "EXAMPLE", "ROUNDTRIP"))
    }
    assert json.loads(printed["ROUNDTRIP"]) == [k.to_dict() for k in kinds]
    assert json.loads(printed["SIGNATURE"]) == signature.to_dict()
    assert json.loads(printed["EXAMPLE"]) == {
        "columns": ["x", "n", "s"],
        "index": [0, 1],
        "data": [[1.5, 1, "a"], [2.5, 2, "b"]],
    }
    loaded = Model.load(theirs)
    assert loaded.signature == signature
    assert loaded.saved_input_example_info is not None
    pd.testing.assert_frame_equal(
        load_input_example(
            theirs, loaded.saved_input_example_info, schema=loaded.get_input_schema()
        ),
        frame,
    )
    # Equal MLmodel content apart from identity, time and the tool's own version key.
    ignore = {
        "model_uuid",
        "utc_time_created",
        "mlflow_version",
        "archivist_version",
        "is_signature_from_type_hint",
        "type_hint_from_example",
        "prompts",
        "flavors",
    }
    mine = {k: v for k, v in model.to_dict().items() if k not in ignore}
    other = {
        k: v for k, v in yaml.safe_load((theirs / "MLmodel").read_text()).items() if k not in ignore
    }
    assert mine == other
    assert (theirs / "input_example.json").read_text() == (ours / "input_example.json").read_text()
    assert (theirs / "serving_input_example.json").read_text() == (
        ours / "serving_input_example.json"
    ).read_text()


def test_signature_property_helpers() -> None:
    sig = ModelSignature(Schema([ColSpec("long", "a")]))
    model = Model(signature=sig)
    assert model.get_input_schema() == sig.inputs
    assert model.get_output_schema() is None
    assert Model().get_input_schema() is None
