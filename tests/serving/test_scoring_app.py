"""The scoring app in process (httpx.ASGITransport against create_app) with real models."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
from serving_support import Logged, log_sklearn
from sklearn.tree import DecisionTreeClassifier
from starlette.applications import Starlette

import archivist
import archivist.pyfunc
from archivist import __version__
from archivist.models import infer_signature
from archivist.pyfunc import PythonModel
from archivist.serving import create_app

pytestmark = pytest.mark.anyio

ROWS = [0, 1, 50, 75, 100, 149]  # every class appears


def rows_of(logged: Logged) -> pd.DataFrame:
    return logged.frame.iloc[ROWS].reset_index(drop=True)


def expected(logged: Logged) -> list[int]:
    frame = rows_of(logged)
    data = frame if hasattr(logged.estimator, "feature_names_in_") else frame.to_numpy()
    out: list[int] = logged.estimator.predict(data).tolist()
    assert len(set(out)) == 3
    return out


async def call(
    app: Starlette,
    body: Any,
    content_type: str | None = "application/json",
    *,
    method: str = "POST",
    path: str = "/invocations",
) -> httpx.Response:
    content = body if isinstance(body, str | bytes) or body is None else json.dumps(body)
    headers = {} if content_type is None else {"Content-Type": content_type}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://model") as client:
        return await client.request(method, path, content=content, headers=headers)


def assert_error(response: httpx.Response, status: int, code: str, *fragments: str) -> str:
    assert response.status_code == status, response.text
    doc = response.json()
    assert set(doc) == {"error_code", "message"}
    assert doc["error_code"] == code
    for fragment in fragments:
        assert fragment in doc["message"], doc["message"]
    return str(doc["message"])


# ------------------------------------------------------------------ health routes
async def test_ping_health_and_version(frame_model: Logged) -> None:
    app = create_app(frame_model.model)
    assert app.state.model is frame_model.model
    for path in ("/ping", "/health"):
        response = await call(app, None, None, method="GET", path=path)
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}
    response = await call(app, None, None, method="GET", path="/version")
    assert response.status_code == 200
    assert response.json() == {"version": __version__}


async def test_unknown_route_and_wrong_method_are_json(frame_model: Logged) -> None:
    app = create_app(frame_model.model)
    assert_error(
        await call(app, None, None, method="GET", path="/predict"),
        404, "ENDPOINT_NOT_FOUND", "GET /predict", "POST /invocations",
    )
    response = await call(app, None, None, method="GET", path="/invocations")
    assert_error(response, 405, "BAD_REQUEST", "/invocations does not accept GET", "POST")


# ------------------------------------------------------- every body, DataFrame model
async def test_dataframe_split(frame_model: Logged) -> None:
    frame = rows_of(frame_model)
    body = {"dataframe_split": frame.to_dict(orient="split", index=False)}
    assert set(body["dataframe_split"]) == {"columns", "data"}
    response = await call(create_app(frame_model.model), body)
    assert response.status_code == 200, response.text
    assert response.json() == {"predictions": expected(frame_model)}


async def test_dataframe_split_with_index_and_shuffled_columns(frame_model: Logged) -> None:
    frame = rows_of(frame_model)
    shuffled = frame[list(reversed(frame.columns))]
    body = {"dataframe_split": json.loads(shuffled.to_json(orient="split"))}
    assert body["dataframe_split"]["index"] == list(range(len(ROWS)))
    response = await call(create_app(frame_model.model), body)
    assert response.json() == {"predictions": expected(frame_model)}


async def test_dataframe_records(frame_model: Logged) -> None:
    body = {"dataframe_records": rows_of(frame_model).to_dict(orient="records")}
    response = await call(create_app(frame_model.model), body)
    assert response.status_code == 200, response.text
    assert response.json() == {"predictions": expected(frame_model)}


async def test_instances_as_row_objects(frame_model: Logged) -> None:
    body = {"instances": rows_of(frame_model).to_dict(orient="records")}
    response = await call(create_app(frame_model.model), body)
    assert response.json() == {"predictions": expected(frame_model)}


async def test_inputs_as_columns(frame_model: Logged) -> None:
    body = {"inputs": rows_of(frame_model).to_dict(orient="list")}
    response = await call(create_app(frame_model.model), body)
    assert response.json() == {"predictions": expected(frame_model)}


async def test_inputs_as_one_record(frame_model: Logged) -> None:
    record = rows_of(frame_model).iloc[-1].to_dict()
    response = await call(create_app(frame_model.model), {"inputs": record})
    assert response.json() == {"predictions": expected(frame_model)[-1:]}


async def test_integer_json_numbers_fit_double_columns(frame_model: Logged) -> None:
    frame = pd.DataFrame({c: [5, 1] for c in frame_model.frame.columns})
    body = {"dataframe_split": {"columns": list(frame.columns), "data": frame.to_numpy().tolist()}}
    assert isinstance(body["dataframe_split"]["data"][0][0], int)
    response = await call(create_app(frame_model.model), body)
    assert response.json() == {"predictions": frame_model.estimator.predict(frame.astype(float)).tolist()}


async def test_csv(frame_model: Logged) -> None:
    text = rows_of(frame_model).to_csv(index=False)
    for content_type in ("text/csv", "text/csv; charset=utf-8"):
        response = await call(create_app(frame_model.model), text, content_type)
        assert response.status_code == 200, response.text
        assert response.json() == {"predictions": expected(frame_model)}


async def test_params_are_checked_and_accepted(params_model: Logged) -> None:
    app = create_app(params_model.model)
    body = {"dataframe_records": rows_of(params_model).to_dict(orient="records")}
    response = await call(app, {**body, "params": {"threshold": 0.9}})
    assert response.json() == {"predictions": expected(params_model)}
    assert_error(
        await call(app, {**body, "params": {"depth": 3}}),
        400, "INVALID_PARAMETER_VALUE", "['depth']", "threshold",
    )
    assert_error(
        await call(app, {**body, "params": {"threshold": "high"}}),
        400, "INVALID_PARAMETER_VALUE", "threshold", "double",
    )


async def test_params_without_a_params_schema_are_refused(frame_model: Logged) -> None:
    body = {"inputs": rows_of(frame_model).to_dict(orient="list"), "params": {"threshold": 1}}
    assert_error(
        await call(create_app(frame_model.model), body),
        400, "INVALID_PARAMETER_VALUE", "['threshold']", "declares none",
    )


# ----------------------------------------------------------- every body, tensor model
async def test_tensor_inputs_nested_lists(tensor_model: Logged) -> None:
    body = {"inputs": rows_of(tensor_model).to_numpy().tolist()}
    response = await call(create_app(tensor_model.model), body)
    assert response.status_code == 200, response.text
    assert response.json() == {"predictions": expected(tensor_model)}


async def test_tensor_instances_rows(tensor_model: Logged) -> None:
    body = {"instances": rows_of(tensor_model).to_numpy().tolist()}
    response = await call(create_app(tensor_model.model), body)
    assert response.json() == {"predictions": expected(tensor_model)}


async def test_tensor_from_tables(tensor_model: Logged) -> None:
    frame = rows_of(tensor_model)
    app = create_app(tensor_model.model)
    split = {"dataframe_split": frame.to_dict(orient="split", index=False)}
    records = {"dataframe_records": frame.to_dict(orient="records")}
    for body in (split, records):
        response = await call(app, body)
        assert response.json() == {"predictions": expected(tensor_model)}
    response = await call(app, frame.to_csv(index=False), "text/csv")
    assert response.json() == {"predictions": expected(tensor_model)}


async def test_tensor_shape_violation_names_the_shapes(tensor_model: Logged) -> None:
    app = create_app(tensor_model.model)
    message = assert_error(
        await call(app, {"inputs": [[5.1, 3.5, 1.4]]}), 400, "INVALID_PARAMETER_VALUE",
        "shape (-1, 4)", "(1, 3)",
    )
    assert "input tensor" in message
    response = await call(app, {"inputs": rows_of(tensor_model).to_numpy().tolist()})
    assert response.json() == {"predictions": expected(tensor_model)}


async def test_tensor_strings_are_refused(tensor_model: Logged) -> None:
    assert_error(
        await call(create_app(tensor_model.model), {"inputs": [["a", "b", "c", "d"]]}),
        400, "INVALID_PARAMETER_VALUE", "float64",
    )


# ------------------------------------------------------------------- no signature
async def test_no_signature_inputs_become_an_array(iris: tuple[pd.DataFrame, pd.Series], tmp_path: Path) -> None:
    X, y = iris
    tree = DecisionTreeClassifier(random_state=0).fit(X.to_numpy(), y.to_numpy())
    logged = log_sklearn(tree, None, tmp_path, "plain", X)
    assert logged.model.metadata.signature is None
    app = create_app(logged.model)
    rows = rows_of(logged).to_numpy()
    for key in ("inputs", "instances"):
        response = await call(app, {key: rows.tolist()})
        assert response.json() == {"predictions": tree.predict(rows).tolist()}
    # a model error is a 500 with the cause, and the server goes on serving
    message = assert_error(
        await call(app, {"inputs": [[1.0, 2.0]]}), 500, "INTERNAL_ERROR", "ValueError", "features"
    )
    assert message.startswith("the model failed to predict")
    response = await call(app, {"inputs": rows.tolist()})
    assert response.json() == {"predictions": tree.predict(rows).tolist()}


# ----------------------------------------------------------- pyfunc models, outputs
class Echo(PythonModel):
    """Returns what it was given (as a DataFrame), scaled by the 'scale' param."""

    def predict(self, context: Any, model_input: Any, params: dict[str, Any] | None = None) -> Any:
        scale = (params or {}).get("scale", 1.0)
        out = model_input.copy()
        out["x"] = out["x"] * scale
        out["thread"] = threading.get_ident()
        return out


async def test_params_reach_predict_and_dataframes_come_back_as_records(tmp_path: Path) -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0], "name": ["a", "b"]})
    with archivist.start_run():
        info = archivist.pyfunc.log_model(
            name="echo", python_model=Echo(),
            signature=infer_signature(frame, params={"scale": 1.0}),
        )
    app = create_app(archivist.pyfunc.load_model(info.model_uri, dst_path=str(tmp_path / "echo")))
    response = await call(app, {"inputs": {"x": [1, 2.5], "name": ["a", "b"]}, "params": {"scale": 2}})
    assert response.status_code == 200, response.text
    predictions = response.json()["predictions"]
    assert [(p["x"], p["name"]) for p in predictions] == [(2.0, "a"), (5.0, "b")]
    # predict ran in a worker thread, not on the event loop's
    assert predictions[0]["thread"] != threading.get_ident()
    response = await call(app, {"dataframe_records": [{"x": 3, "name": "c"}]})
    assert [(p["x"], p["name"]) for p in response.json()["predictions"]] == [(3.0, "c")]


class Outputs(PythonModel):
    """Returns the output kind named by the 'kind' param."""

    def predict(self, context: Any, model_input: Any, params: dict[str, Any] | None = None) -> Any:
        kind = (params or {})["kind"]
        return {
            "array": np.array([[1.5, np.nan], [np.inf, 2.0]]),
            "series": pd.Series([1, 2], name="y"),
            "scalar": np.float32(0.5),
            "dict": {"a": np.arange(2), "b": pd.Timestamp("2024-01-02")},
            "object": object(),
        }[kind]


async def test_outputs_are_converted_to_json(tmp_path: Path) -> None:
    with archivist.start_run():
        info = archivist.pyfunc.log_model(
            name="outputs", python_model=Outputs(),
            signature=infer_signature(pd.DataFrame({"x": [1.0]}), params={"kind": "array"}),
        )
    app = create_app(archivist.pyfunc.load_model(info.model_uri, dst_path=str(tmp_path / "out")))

    async def predict(kind: str) -> httpx.Response:
        return await call(app, {"inputs": {"x": [1.0]}, "params": {"kind": kind}})

    assert (await predict("array")).json() == {"predictions": [[1.5, None], [None, 2.0]]}
    assert (await predict("series")).json() == {"predictions": [1, 2]}
    assert (await predict("scalar")).json() == {"predictions": 0.5}
    assert (await predict("dict")).json() == {"predictions": {"a": [0, 1], "b": "2024-01-02T00:00:00"}}
    assert_error(await predict("object"), 500, "INTERNAL_ERROR", "builtins.object", "no JSON form")
    assert (await predict("series")).json() == {"predictions": [1, 2]}


# ---------------------------------------------------------------- malformed bodies
RECORD = {
    "sepal length (cm)": 5.1, "sepal width (cm)": 3.5, "petal length (cm)": 1.4,
    "petal width (cm)": 0.2,
}
COLUMNS = list(RECORD)

MALFORMED: list[tuple[str, Any, str | None, int, str, tuple[str, ...]]] = [
    ("bad-json", '{"inputs": [1,', "application/json", 400, "BAD_REQUEST", ("not valid JSON", "exactly one of")),
    ("empty-body", "", "application/json", 400, "BAD_REQUEST", ("body is empty", "dataframe_split")),
    ("not-utf8", b'{"inputs": "\xff"}', "application/json", 400, "BAD_REQUEST", ("not UTF-8",)),
    ("json-array", [RECORD], "application/json", 400, "BAD_REQUEST", ("JSON array, not an object", "dataframe_records")),
    ("no-input-key", {"params": {"a": 1}}, "application/json", 400, "BAD_REQUEST", ("exactly one of", "holds none of them", "['params']")),
    ("empty-object", {}, "application/json", 400, "BAD_REQUEST", ("holds none of them",)),
    ("two-input-keys", {"inputs": [RECORD], "instances": [RECORD]}, "application/json", 400, "BAD_REQUEST", ("holds 2: ['instances', 'inputs']",)),
    ("unknown-key", {"data": [[1]]}, "application/json", 400, "BAD_REQUEST", ("unexpected keys ['data']", "exactly one of")),
    ("params-not-object", {"inputs": [RECORD], "params": [1]}, "application/json", 400, "BAD_REQUEST", ("'params' is a JSON array", "object of name -> value")),
    ("split-not-object", {"dataframe_split": [[1]]}, "application/json", 400, "BAD_REQUEST", ("'dataframe_split' is a JSON array, not an object", '"columns"')),
    ("split-without-data", {"dataframe_split": {"columns": COLUMNS}}, "application/json", 400, "BAD_REQUEST", ("has no 'data'",)),
    ("split-extra-key", {"dataframe_split": {"columns": COLUMNS, "data": [], "rows": 1}}, "application/json", 400, "BAD_REQUEST", ("unexpected keys ['rows']",)),
    ("split-short-row", {"dataframe_split": {"columns": COLUMNS, "data": [[1, 2, 3, 4], [1, 2, 3]]}}, "application/json", 400, "BAD_REQUEST", ("row 1 of 'data' has 3 value(s) but 'columns' names 4",)),
    ("split-row-not-list", {"dataframe_split": {"columns": COLUMNS, "data": [[1, 2, 3, 4], 5]}}, "application/json", 400, "BAD_REQUEST", ("row 1 of 'data' is a JSON number",)),
    ("split-columns-not-list", {"dataframe_split": {"columns": "a", "data": [[1]]}}, "application/json", 400, "BAD_REQUEST", ("'columns' is a JSON string, not a list",)),
    ("split-bad-index", {"dataframe_split": {"columns": COLUMNS, "data": [[1, 2, 3, 4]], "index": [0, 1]}}, "application/json", 400, "BAD_REQUEST", ("'index' has 2 entries but 'data' has 1 rows",)),
    ("split-no-rows", {"dataframe_split": {"columns": COLUMNS, "data": []}}, "application/json", 400, "BAD_REQUEST", ("holds no rows",)),
    ("records-not-list", {"dataframe_records": RECORD}, "application/json", 400, "BAD_REQUEST", ("'dataframe_records' is a JSON object, not a list",)),
    ("records-item-not-object", {"dataframe_records": [RECORD, [1, 2, 3, 4]]}, "application/json", 400, "BAD_REQUEST", ("item 1 is a JSON array, not an object",)),
    ("records-empty", {"dataframe_records": []}, "application/json", 400, "BAD_REQUEST", ("holds no rows",)),
    ("inputs-unequal-columns", {"inputs": {"sepal length (cm)": [1, 2], "sepal width (cm)": [1]}}, "application/json", 400, "BAD_REQUEST", ("different lengths",)),
    ("inputs-rows-without-names", {"inputs": [[1, 2, 3, 4]]}, "application/json", 400, "BAD_REQUEST", ("without column names", "sepal length (cm)", "dataframe_split")),
    ("inputs-scalar", {"inputs": 3}, "application/json", 400, "BAD_REQUEST", ("'inputs' is a JSON number",)),
    ("instances-mixed", {"instances": [RECORD, 1]}, "application/json", 400, "BAD_REQUEST", ("without column names",)),
    ("missing-column", {"dataframe_records": [{k: v for k, v in RECORD.items() if k != "petal width (cm)"}]}, "application/json", 400, "INVALID_PARAMETER_VALUE", ("missing required column 'petal width (cm)'",)),
    ("string-in-double-column", {"dataframe_records": [{**RECORD, "sepal width (cm)": "wide"}]}, "application/json", 400, "INVALID_PARAMETER_VALUE", ("column 'sepal width (cm)'", "double")),
    ("csv-empty", "", "text/csv", 400, "BAD_REQUEST", ("CSV body is empty",)),
    ("csv-ragged", "a,b\n1,2\n1,2,3,4\n", "text/csv", 400, "BAD_REQUEST", ("CSV body does not parse", "one value per column")),
    ("csv-header-only", ",".join(COLUMNS) + "\n", "text/csv", 400, "BAD_REQUEST", ("CSV body holds no rows",)),
    ("text-plain", json.dumps({"inputs": [RECORD]}), "text/plain", 415, "BAD_REQUEST", ("'text/plain' is not supported", "application/json, text/csv")),
    ("no-content-type", json.dumps({"inputs": [RECORD]}), None, 415, "BAD_REQUEST", ("no Content-Type", "application/json")),
    ("latin-1", json.dumps({"inputs": [RECORD]}), "application/json; charset=latin-1", 415, "BAD_REQUEST", ("charset 'latin-1'", "UTF-8")),
]


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code", "fragments"),
    [case[1:] for case in MALFORMED],
    ids=[case[0] for case in MALFORMED],
)
async def test_malformed_bodies_get_a_4xx_that_says_what_is_wrong(
    frame_model: Logged,
    body: Any,
    content_type: str | None,
    status: int,
    code: str,
    fragments: tuple[str, ...],
) -> None:
    app = create_app(frame_model.model)
    assert_error(await call(app, body, content_type), status, code, *fragments)
    response = await call(app, {"dataframe_records": [RECORD]})
    assert response.status_code == 200, response.text
    assert response.json() == {"predictions": frame_model.estimator.predict(pd.DataFrame([RECORD])).tolist()}


async def test_tensor_ragged_inputs_are_refused(tensor_model: Logged) -> None:
    app = create_app(tensor_model.model)
    assert_error(
        await call(app, {"inputs": [[1, 2, 3, 4], [1, 2]]}),
        400, "BAD_REQUEST", "'inputs' is not rectangular", "same length",
    )
    assert_error(
        await call(app, {"instances": [{"a": 1}, {"b": 2}]}),
        400, "BAD_REQUEST", "'instances' item 0 lacks ['b']",
    )
    response = await call(app, {"instances": rows_of(tensor_model).to_numpy().tolist()})
    assert response.json() == {"predictions": expected(tensor_model)}


async def test_bodies_over_the_limit_get_413_and_the_server_goes_on(
    frame_model: Logged, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = rows_of(frame_model)
    body = json.dumps({"dataframe_split": frame.to_dict(orient="split")})
    app = create_app(frame_model.model, max_body_bytes=len(body))
    assert (await call(app, body)).status_code == 200  # exactly at the limit
    assert_error(await call(app, body + " "), 413, "REQUEST_LIMIT_EXCEEDED", f"limit of {len(body)} bytes")

    async def chunked() -> Any:  # no Content-Length: the limit holds while streaming
        for _ in range(4):
            yield body.encode()

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://model") as client:
        response = await client.post("/invocations", content=chunked(),
                                     headers={"Content-Type": "application/json"})
    assert_error(response, 413, "REQUEST_LIMIT_EXCEEDED")
    assert (await call(app, body)).json() == {"predictions": expected(frame_model)}
    monkeypatch.setenv("ARCHIVIST_SCORING_MAX_BODY_BYTES", "10")
    assert_error(await call(create_app(frame_model.model), body), 413, "REQUEST_LIMIT_EXCEEDED", "10 bytes")
    with pytest.raises(archivist.InvalidArgument, match="max_body_bytes 0"):
        create_app(frame_model.model, max_body_bytes=0)
