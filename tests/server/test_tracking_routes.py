"""Experiments, runs, params, metrics, tags and errors through the REST API, in process."""

from __future__ import annotations

import json

from server_support import InProcess

from archivist.server.app import ServerConfig, create_app


def test_default_experiment_zero_exists(app_client: InProcess) -> None:
    exp = app_client.api("GET", "experiments/get", {"experiment_id": "0"})["experiment"]
    assert exp["name"] == "Default" and exp["lifecycle_stage"] == "active"
    assert exp["artifact_location"] == "mlflow-artifacts:/0"


def test_experiment_lifecycle_and_errors(app_client: InProcess) -> None:
    exp_id = app_client.api("POST", "experiments/create",
                            {"name": "e1", "tags": [{"key": "team", "value": "ml"}]})["experiment_id"]
    dup = app_client.api("POST", "experiments/create", {"name": "e1"}, expect=400)
    assert dup["error_code"] == "RESOURCE_ALREADY_EXISTS" and "'e1'" in dup["message"]
    got = app_client.api("GET", "experiments/get-by-name", {"experiment_name": "e1"})["experiment"]
    assert got["experiment_id"] == exp_id and got["tags"] == [{"key": "team", "value": "ml"}]
    missing = app_client.api("GET", "experiments/get-by-name", {"experiment_name": "nope"}, expect=404)
    assert missing["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    app_client.api("POST", "experiments/update", {"experiment_id": exp_id, "new_name": "e2"})
    app_client.api("POST", "experiments/set-experiment-tag",
                   {"experiment_id": exp_id, "key": "k", "value": "v"})
    app_client.api("POST", "experiments/delete-experiment-tag", {"experiment_id": exp_id, "key": "team"})
    exp = app_client.api("GET", "experiments/get", {"experiment_id": exp_id})["experiment"]
    assert exp["name"] == "e2" and exp["tags"] == [{"key": "k", "value": "v"}]
    app_client.api("POST", "experiments/delete", {"experiment_id": exp_id})
    active = app_client.api("POST", "experiments/search", {"max_results": 10})["experiments"]
    assert [e["name"] for e in active] == ["Default"]
    deleted = app_client.api("POST", "experiments/search", {"view_type": "DELETED_ONLY"})
    assert [e["name"] for e in deleted["experiments"]] == ["e2"]
    app_client.api("POST", "experiments/restore", {"experiment_id": exp_id})
    found = app_client.api("POST", "experiments/search", {"filter": "name = 'e2'"})["experiments"]
    assert [e["experiment_id"] for e in found] == [exp_id]
    bad = app_client.api("POST", "experiments/search", {"filter": "name ~~ 'x'"}, expect=400)
    assert bad["error_code"] == "INVALID_PARAMETER_VALUE"


def test_experiment_artifact_location_must_stay_in_the_store(app_client: InProcess) -> None:
    for location in ("/etc", "file:///etc", "http://evil/x", "s3://bucket/x",
                     "mlflow-artifacts://host/x", "mlflow-artifacts:/../x", "mlflow-artifacts:/a/%2e%2e/b",
                     "mlflow-artifacts:/a/%252e%252e/b", "relative/path"):
        err = app_client.api("POST", "experiments/create", {"name": f"x{hash(location)}",
                                                            "artifact_location": location}, expect=400)
        assert err["error_code"] == "INVALID_PARAMETER_VALUE", location
    exp_id = app_client.api("POST", "experiments/create",
                            {"name": "ok", "artifact_location": "mlflow-artifacts:/team/ok"})["experiment_id"]
    exp = app_client.api("GET", "experiments/get", {"experiment_id": exp_id})["experiment"]
    assert exp["artifact_location"] == "mlflow-artifacts:/team/ok"


def _run(app_client: InProcess, experiment_id: str = "0", **extra: object) -> dict[str, object]:
    return app_client.api("POST", "runs/create", {"experiment_id": experiment_id, **extra})["run"]  # type: ignore[no-any-return]


def test_run_logging_round_trip(app_client: InProcess) -> None:
    run = _run(app_client, run_name="r1", start_time=1000, tags=[{"key": "mlflow.user", "value": "ann"}])
    info = run["info"]  # type: ignore[index]
    run_id = info["run_id"]
    assert info["run_name"] == "r1" and info["status"] == "RUNNING" and info["user_id"] == "ann"
    assert info["artifact_uri"] == f"mlflow-artifacts:/0/{run_id}/artifacts"
    app_client.api("POST", "runs/log-parameter", {"run_id": run_id, "key": "lr", "value": "0.1"})
    app_client.api("POST", "runs/log-metric", {"run_uuid": run_id, "key": "acc", "value": 0.5,
                                               "timestamp": 5, "step": 1})
    app_client.api("POST", "runs/set-tag", {"run_id": run_id, "key": "t", "value": "v"})
    app_client.api("POST", "runs/log-batch", {
        "run_id": run_id,
        "metrics": [{"key": "acc", "value": 0.7, "timestamp": "6", "step": "2"},
                    {"key": "loss", "value": "NaN", "timestamp": 6, "step": 0}],
        "params": [{"key": "depth", "value": "3"}],
        "tags": [{"key": "t2", "value": "v2"}],
    })
    app_client.api("POST", "runs/delete-tag", {"run_id": run_id, "key": "t"})
    app_client.api("POST", "runs/update", {"run_id": run_id, "status": "FINISHED", "end_time": 9})
    got = app_client.api("GET", "runs/get", {"run_id": run_id})["run"]
    assert got["info"]["status"] == "FINISHED" and got["info"]["end_time"] == 9
    data = got["data"]
    assert {p["key"]: p["value"] for p in data["params"]} == {"lr": "0.1", "depth": "3"}
    metrics = {m["key"]: (m["value"], m["step"], m["timestamp"]) for m in data["metrics"]}
    assert metrics["acc"] == (0.7, 2, 6) and metrics["loss"] == ("NaN", 0, 6)
    tags = {t["key"]: t["value"] for t in data["tags"]}
    assert tags["t2"] == "v2" and "t" not in tags
    hist = app_client.api("GET", "metrics/get-history", {"run_id": run_id, "metric_key": "acc"})
    assert [(m["step"], m["value"]) for m in hist["metrics"]] == [(1, 0.5), (2, 0.7)]
    page = app_client.api("GET", "metrics/get-history",
                          {"run_id": run_id, "metric_key": "acc", "max_results": 1})
    assert len(page["metrics"]) == 1 and page["next_page_token"]
    rest = app_client.api("GET", "metrics/get-history", {"run_id": run_id, "metric_key": "acc",
                                                        "max_results": 1, "page_token": page["next_page_token"]})
    assert [m["step"] for m in rest["metrics"]] == [2] and "next_page_token" not in rest
    changed = app_client.api("POST", "runs/log-parameter",
                             {"run_id": run_id, "key": "lr", "value": "0.2"}, expect=400)
    assert changed["error_code"] == "INVALID_PARAMETER_VALUE" and "immutable" in changed["message"]


def test_run_delete_restore_and_missing(app_client: InProcess) -> None:
    run_id = _run(app_client)["info"]["run_id"]  # type: ignore[index]
    app_client.api("POST", "runs/delete", {"run_id": run_id})
    err = app_client.api("POST", "runs/log-metric",
                         {"run_id": run_id, "key": "a", "value": 1, "timestamp": 1}, expect=400)
    assert err["error_code"] == "INVALID_STATE"
    app_client.api("POST", "runs/restore", {"run_id": run_id})
    missing = app_client.api("GET", "runs/get", {"run_id": "0" * 32}, expect=404)
    assert missing["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    nofield = app_client.api("POST", "runs/log-metric", {"run_id": run_id, "value": 1}, expect=400)
    assert nofield["error_code"] == "INVALID_PARAMETER_VALUE" and "'key'" in nofield["message"]
    no_exp = app_client.api("POST", "runs/create", {"experiment_id": "999"}, expect=404)
    assert no_exp["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_search_runs_filter_order_and_paging(app_client: InProcess) -> None:
    exp_id = app_client.api("POST", "experiments/create", {"name": "s"})["experiment_id"]
    ids = []
    for i in range(5):
        run_id = _run(app_client, exp_id, run_name=f"r{i}")["info"]["run_id"]  # type: ignore[index]
        app_client.api("POST", "runs/log-metric",
                       {"run_id": run_id, "key": "acc", "value": i / 10, "timestamp": 1})
        ids.append(run_id)
    body = {"experiment_ids": [exp_id], "filter": "metrics.acc >= 0.2",
            "order_by": ["metrics.acc DESC"], "max_results": 2}
    first = app_client.api("POST", "runs/search", body)
    assert [r["info"]["run_id"] for r in first["runs"]] == [ids[4], ids[3]]
    second = app_client.api("POST", "runs/search", {**body, "page_token": first["next_page_token"]})
    assert [r["info"]["run_id"] for r in second["runs"]] == [ids[2]]
    assert "next_page_token" not in second
    too_many = app_client.api("POST", "runs/search", {"experiment_ids": [exp_id], "max_results": 50001},
                              expect=400)
    assert "50000" in too_many["message"]


def test_history_bulk_interval_samples_steps(app_client: InProcess) -> None:
    a = _run(app_client)["info"]["run_id"]  # type: ignore[index]
    b = _run(app_client)["info"]["run_id"]  # type: ignore[index]
    for run_id, n in ((a, 100), (b, 10)):
        app_client.api("POST", "runs/log-batch", {"run_id": run_id, "metrics": [
            {"key": "loss", "value": 1 / (s + 1), "timestamp": s, "step": s} for s in range(n)]})
    r = app_client.api("GET", "metrics/get-history-bulk-interval",
                       {"run_ids": [a, b], "metric_key": "loss", "max_results": 5})
    steps_a = [m["step"] for m in r["metrics"] if m["run_id"] == a]
    steps_b = [m["step"] for m in r["metrics"] if m["run_id"] == b]
    assert steps_a[0] == 0 and steps_a[-1] == 99 and len(steps_a) == 5
    assert steps_b[0] == 0 and steps_b[-1] == 9 and len(steps_b) == 5
    window = app_client.api("GET", "metrics/get-history-bulk-interval",
                            {"run_ids": [a], "metric_key": "loss", "start_step": 10, "end_step": 20})
    assert [m["step"] for m in window["metrics"]] == list(range(10, 21))
    bad = app_client.api("GET", "metrics/get-history-bulk-interval",
                         {"run_ids": [a], "metric_key": "loss", "start_step": 3}, expect=400)
    assert "both" in bad["message"]


def test_log_inputs_round_trip(app_client: InProcess) -> None:
    run_id = _run(app_client)["info"]["run_id"]  # type: ignore[index]
    ds = {"name": "d", "digest": "abc", "source_type": "local", "source": '{"uri": "x"}',
          "schema": '{"a": 1}'}
    app_client.api("POST", "runs/log-inputs", {"run_id": run_id, "datasets": [
        {"dataset": ds, "tags": [{"key": "mlflow.data.context", "value": "training"}]}]})
    inputs = app_client.api("GET", "runs/get", {"run_id": run_id})["run"]["inputs"]
    assert inputs["dataset_inputs"] == [
        {"tags": [{"key": "mlflow.data.context", "value": "training"}], "dataset": ds}]
    missing = app_client.api("POST", "runs/log-inputs",
                             {"run_id": run_id, "datasets": [{"dataset": {"name": "d"}}]}, expect=400)
    assert "'digest'" in missing["message"]


def test_malformed_bodies_are_4xx_never_5xx(store_dir: object) -> None:
    app = InProcess(create_app(ServerConfig(backend_store_uri=str(store_dir), max_body_bytes=1000,
                                            max_json_depth=5)))
    url = "/api/2.0/mlflow/experiments/create"
    r = app.post(url, content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error_code"] == "BAD_REQUEST"
    r = app.post(url, content=b"[1, 2]", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error_code"] == "BAD_REQUEST"
    r = app.post(url, content=json.dumps({"name": "x" * 2000}).encode())
    assert r.status_code == 413 and r.json()["error_code"] == "REQUEST_TOO_LARGE"
    deep = '{"name": "d", "tags": ' + "[" * 6 + "]" * 6 + "}"
    r = app.post(url, content=deep.encode())
    assert r.status_code == 400 and "nests deeper than 5" in r.json()["message"]
    very_deep = "[" * 100_000 + "]" * 100_000
    big = InProcess(create_app(ServerConfig(backend_store_uri=str(store_dir))))
    r = big.post(url, content=very_deep.encode())
    assert r.status_code == 400
    r = app.post(url, json={"name": {"nested": 1}})
    assert r.status_code == 400 and "'name'" in r.json()["message"]
    r = app.post("/api/2.0/mlflow/runs/log-metric", json={"run_id": "x", "key": "k", "value": "abc",
                                                          "timestamp": 1})
    assert r.status_code == 400
