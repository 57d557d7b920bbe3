"""The real ``mlflow==3.17.2`` client (its own virtualenv) against a real server process.

One server per module; each test runs one script in the mlflow venv, which prints one JSON
line of results the test checks. Together they cover every REST group the issue lists.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from server_support import Server, start_server

import archivist
from archivist.client import ArchivistClient

pytestmark = pytest.mark.mlflow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("mlflow-client")
    srv = start_server(workdir, str(workdir / "store"))
    try:
        yield srv
    finally:
        srv.stop()


def run_mlflow(python: str, server: Server, tmp_path: Path, body: str, **env: str) -> Any:
    script = "import json, os, mlflow\nfrom mlflow import MlflowClient\n" + textwrap.dedent(body)
    out = subprocess.run(
        [python, "-c", script], capture_output=True, text=True, timeout=600, cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "MLFLOW_TRACKING_URI": server.url,
             "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", "MLFLOW_HTTP_REQUEST_TIMEOUT": "60", **env},
    )
    assert out.returncode == 0, out.stderr[-4000:] + "\n--- server log ---\n" + server.log.read_text()[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_experiments_runs_params_metrics_tags(mlflow_python: str, server: Server, tmp_path: Path) -> None:
    result = run_mlflow(mlflow_python, server, tmp_path, """
        from mlflow.entities import Metric, Param, RunTag
        from mlflow.exceptions import MlflowException
        c = MlflowClient()
        exp = mlflow.set_experiment("tracking")
        c.set_experiment_tag(exp.experiment_id, "team", "ml")
        with mlflow.start_run(run_name="first") as run:
            mlflow.log_param("lr", 0.1)
            mlflow.log_params({"depth": 3, "name": "tree"})
            for step in range(5):
                mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
            mlflow.log_metrics({"acc": 0.9, "f1": float("nan")})
            mlflow.set_tag("stage", "dev")
            mlflow.set_tags({"a": "1", "b": "2"})
            mlflow.delete_tag("b")
            import numpy as np
            mlflow.log_input(mlflow.data.from_numpy(np.arange(12.0).reshape(4, 3), name="feat"),
                             context="training")
            c.log_batch(run.info.run_id, metrics=[Metric("m", i, 1, i) for i in range(1500)],
                        params=[Param(f"p{i}", str(i)) for i in range(150)],
                        tags=[RunTag(f"t{i}", "x") for i in range(120)])
        got = c.get_run(run.info.run_id)
        runs = []
        for i in range(6):
            with mlflow.start_run(run_name=f"r{i}"):
                mlflow.log_metric("score", i)
        page1 = c.search_runs([exp.experiment_id], "metrics.score >= 1", order_by=["metrics.score DESC"], max_results=3)
        page2 = c.search_runs([exp.experiment_id], "metrics.score >= 1", order_by=["metrics.score DESC"],
                              max_results=3, page_token=page1.token)
        df = mlflow.search_runs(experiment_names=["tracking"], filter_string="params.lr = '0.1'")
        other = c.create_experiment("other", tags={"k": "v"})
        c.rename_experiment(other, "renamed")
        c.delete_experiment(other)
        deleted = [e.name for e in c.search_experiments(view_type=2)]
        c.restore_experiment(other)
        second = mlflow.start_run(experiment_id=other)
        mlflow.end_run("FAILED")
        c.delete_run(second.info.run_id)
        deleted_state = c.get_run(second.info.run_id).info.lifecycle_stage
        c.restore_run(second.info.run_id)
        try:
            c.get_run("0" * 32)
            missing = None
        except MlflowException as e:
            missing = e.error_code
        try:
            c.log_param(run.info.run_id, "lr", 0.5)
            changed = None
        except MlflowException as e:
            changed = e.error_code
        default = c.get_experiment("0").name
        from mlflow.protos.service_pb2 import GetMetricHistoryBulkInterval
        from mlflow.utils.rest_utils import call_endpoint
        from mlflow.utils.proto_json_utils import message_to_json
        from mlflow.utils.credentials import get_default_host_creds
        req = GetMetricHistoryBulkInterval(run_ids=[run.info.run_id], metric_key="m", max_results=10)
        bulk = call_endpoint(get_default_host_creds(os.environ["MLFLOW_TRACKING_URI"]),
                             "/api/2.0/mlflow/metrics/get-history-bulk-interval", "GET",
                             message_to_json(req), GetMetricHistoryBulkInterval.Response())
        print(json.dumps({
            "params": got.data.params, "metrics": {k: str(v) for k, v in got.data.metrics.items()},
            "tags": {k: v for k, v in got.data.tags.items() if not k.startswith("mlflow.")},
            "status": got.info.status, "name": got.info.run_name,
            "loss": [(m.step, m.value) for m in c.get_metric_history(run.info.run_id, "loss")],
            "m_len": len(c.get_metric_history(run.info.run_id, "m")),
            "page1": [r.info.run_name for r in page1], "page2": [r.info.run_name for r in page2],
            "df": len(df), "deleted": deleted, "deleted_state": deleted_state,
            "restored": c.get_experiment(other).lifecycle_stage, "exp_tags": c.get_experiment(exp.experiment_id).tags,
            "missing": missing, "changed": changed, "default": default,
            "bulk": [m.step for m in bulk.metrics],
            "inputs": [(d.dataset.name, d.tags[0].value) for d in got.inputs.dataset_inputs],
        }))
    """)
    assert result["params"]["lr"] == "0.1" and result["params"]["p149"] == "149" and len(result["params"]) == 153
    assert result["metrics"]["acc"] == "0.9" and result["metrics"]["f1"] == "nan"
    assert result["tags"]["stage"] == "dev" and result["tags"]["a"] == "1" and "b" not in result["tags"]
    assert len([k for k in result["tags"] if k.startswith("t")]) == 120
    assert result["status"] == "FINISHED" and result["name"] == "first"
    assert result["loss"] == [[s, 1.0 / (s + 1)] for s in range(5)]
    assert result["m_len"] == 1500
    assert result["page1"] == ["r5", "r4", "r3"] and result["page2"] == ["r2", "r1"]
    assert result["df"] == 1
    assert result["deleted"] == ["renamed"] and result["deleted_state"] == "deleted"
    assert result["restored"] == "active" and result["exp_tags"] == {"team": "ml"}
    assert result["missing"] == "RESOURCE_DOES_NOT_EXIST" and result["changed"] == "INVALID_PARAMETER_VALUE"
    assert result["default"] == "Default"
    assert result["inputs"] == [["feat", "training"]]
    assert result["bulk"][0] == 0 and result["bulk"][-1] == 1499 and len(result["bulk"]) == 10


def test_artifacts_upload_list_download_delete_multipart(
    mlflow_python: str, server: Server, tmp_path: Path
) -> None:
    result = run_mlflow(mlflow_python, server, tmp_path, """
        from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository
        c = MlflowClient()
        os.makedirs("d/sub", exist_ok=True)
        open("d/a.txt", "w").write("alpha")
        open("d/sub/b.txt", "w").write("beta")
        big = os.urandom(3 * 1024 * 1024 + 7)
        open("big.bin", "wb").write(big)
        with mlflow.start_run() as run:
            mlflow.log_artifact("d/a.txt")
            mlflow.log_artifacts("d", artifact_path="tree")
            mlflow.log_text("text body", "notes/n.txt")
            mlflow.log_dict({"k": 1}, "cfg.json")
            mlflow.log_artifact("big.bin", "large")
        rid = run.info.run_id
        top = [(f.path, f.is_dir) for f in c.list_artifacts(rid)]
        tree = [f.path for f in c.list_artifacts(rid, "tree/sub")]
        local = mlflow.artifacts.download_artifacts(run_id=rid, artifact_path="tree", dst_path="out")
        files = sorted(os.path.relpath(os.path.join(r, f), local) for r, _, fs in os.walk(local) for f in fs)
        same_big = open(mlflow.artifacts.download_artifacts(run_id=rid, artifact_path="large/big.bin"), "rb").read() == big
        text = mlflow.artifacts.load_text(f"runs:/{rid}/notes/n.txt")
        cfg = mlflow.artifacts.load_dict(f"runs:/{rid}/cfg.json")
        repo = get_artifact_repository(run.info.artifact_uri)
        repo.delete_artifacts("tree/sub")
        after = [f.path for f in c.list_artifacts(rid, "tree")]
        print(json.dumps({"top": top, "tree": tree, "files": files, "same_big": same_big,
                          "text": text, "cfg": cfg, "after": after, "uri": run.info.artifact_uri}))
    """, MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD="true",
        MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE=str(1 << 20),
        MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE=str(1 << 20))
    assert result["top"] == [["a.txt", False], ["cfg.json", False], ["large", True],
                             ["notes", True], ["tree", True]]
    assert result["tree"] == ["tree/sub/b.txt"]
    assert result["files"] == ["a.txt", "sub/b.txt"]
    assert result["same_big"] is True
    assert result["text"] == "text body" and result["cfg"] == {"k": 1}
    assert result["after"] == ["tree/a.txt"]
    assert result["uri"].startswith("mlflow-artifacts:/0/")
    # the 3 MiB file went through multipart: 4 parts then complete
    log = server.log.read_text()
    assert log.count('"/api/2.0/mlflow-artifacts/mpu/part/') >= 4
    assert '"path":"/api/2.0/mlflow-artifacts/mpu/complete/' in log


def test_sklearn_log_model_register_and_load(mlflow_python: str, server: Server, tmp_path: Path) -> None:
    result = run_mlflow(mlflow_python, server, tmp_path, """
        import numpy as np, mlflow.sklearn, mlflow.pyfunc
        from sklearn.datasets import load_iris
        from sklearn.linear_model import LogisticRegression
        from mlflow.exceptions import MlflowException
        X, y = load_iris(return_X_y=True)
        model = LogisticRegression(max_iter=300).fit(X, y)
        mlflow.set_experiment("models")
        with mlflow.start_run() as run:
            mlflow.log_metric("acc", 0.97)
            info = mlflow.sklearn.log_model(model, name="clf", registered_model_name="iris-mlflow",
                                            input_example=X[:2])
        c = MlflowClient()
        expected = model.predict(X).tolist()
        by_version = mlflow.pyfunc.load_model("models:/iris-mlflow/1").predict(X).tolist()
        c.set_registered_model_alias("iris-mlflow", "champion", "1")
        by_alias = mlflow.pyfunc.load_model("models:/iris-mlflow@champion").predict(X).tolist()
        by_run = mlflow.sklearn.load_model(f"runs:/{run.info.run_id}/clf").predict(X).tolist()
        by_id = mlflow.pyfunc.load_model(info.model_uri).predict(X).tolist()
        lm = c.get_logged_model(info.model_id)
        found = c.search_logged_models(experiment_ids=[lm.experiment_id], filter_string="name = 'clf'")
        c.set_logged_model_tags(info.model_id, {"reviewed": "yes"})
        c.delete_logged_model_tag(info.model_id, "reviewed")
        extra = mlflow.initialize_logged_model(name="scratch")
        c.finalize_logged_model(extra.model_id, "READY")
        c.delete_logged_model(extra.model_id)
        try:
            c.get_logged_model(extra.model_id)
            deleted = None
        except MlflowException as e:
            deleted = e.error_code
        mv = c.get_model_version("iris-mlflow", "1")
        c.set_model_version_tag("iris-mlflow", "1", "k", "v")
        c.set_registered_model_tag("iris-mlflow", "team", "ml")
        models = [m.name for m in c.search_registered_models()]
        versions = [v.version for v in c.search_model_versions("name='iris-mlflow'")]
        download = c.get_model_version_download_uri("iris-mlflow", "1")
        c.update_registered_model("iris-mlflow", description="iris classifier")
        c.create_registered_model("scratch-model")
        c.rename_registered_model("scratch-model", "scratch2")
        c.delete_registered_model("scratch2")
        mv2 = c.create_model_version("iris-mlflow", f"runs:/{run.info.run_id}/clf", run.info.run_id)
        c.delete_model_version("iris-mlflow", mv2.version)
        c.delete_registered_model_alias("iris-mlflow", "champion")
        print(json.dumps({
            "ok": [by_version == expected, by_alias == expected, by_run == expected, by_id == expected],
            "status": str(lm.status), "found": [m.model_id for m in found], "model_id": info.model_id,
            "deleted": deleted, "mv_status": mv.status, "mv_tags": c.get_model_version("iris-mlflow", "1").tags,
            "models": models, "versions": versions, "download": download,
            "description": c.get_registered_model("iris-mlflow").description,
            "aliases": c.get_registered_model("iris-mlflow").aliases, "run_id": run.info.run_id,
            "expected": expected,
        }))
    """)
    assert result["ok"] == [True, True, True, True]
    assert "READY" in result["status"]
    assert result["found"] == [result["model_id"]]
    assert result["deleted"] == "RESOURCE_DOES_NOT_EXIST"
    assert result["mv_status"] == "READY" and result["mv_tags"] == {"k": "v"}
    assert result["models"] == ["iris-mlflow"] and result["versions"] == ["1"]
    assert result["download"].endswith(f"/models/{result['model_id']}/artifacts")
    assert result["description"] == "iris classifier" and result["aliases"] == {}

    # what the mlflow client logged through the server, Archivist loads from the same store
    from sklearn.datasets import load_iris

    X, _ = load_iris(return_X_y=True)
    client = ArchivistClient(server.store)
    assert client.get_model_version("iris-mlflow", "1").model_id == result["model_id"]
    archivist.set_tracking_uri(server.store)
    loaded = archivist.pyfunc.load_model("models:/iris-mlflow/1")
    assert np.asarray(loaded.predict(X)).tolist() == result["expected"]


def test_model_logged_by_archivist_loads_through_the_server(
    mlflow_python: str, server: Server, tmp_path: Path
) -> None:
    from sklearn.datasets import load_iris
    from sklearn.tree import DecisionTreeClassifier

    X, y = load_iris(return_X_y=True)
    tree = DecisionTreeClassifier(random_state=0, max_depth=3).fit(X, y)
    archivist.set_tracking_uri(server.store)
    with archivist.start_run():
        archivist.sklearn.log_model(tree, name="tree", registered_model_name="iris-archivist")
    np.save(tmp_path / "X.npy", X)
    result = run_mlflow(mlflow_python, server, tmp_path, f"""
        import numpy as np, mlflow.pyfunc
        X = np.load({str(tmp_path / 'X.npy')!r})
        print(json.dumps(mlflow.pyfunc.load_model("models:/iris-archivist/1").predict(X).tolist()))
    """)
    assert result == tree.predict(X).tolist()


def test_errors_are_not_retried_and_keep_their_codes(
    mlflow_python: str, server: Server, tmp_path: Path
) -> None:
    result = run_mlflow(mlflow_python, server, tmp_path, """
        import time
        from mlflow.exceptions import MlflowException
        c = MlflowClient()
        codes = {}
        start = time.monotonic()
        for name, call in {
            "dup": lambda: (c.create_experiment("dup-x"), c.create_experiment("dup-x")),
            "no_exp": lambda: c.get_experiment("424242"),
            "bad_filter": lambda: c.search_runs(["0"], "metrics.acc >>> 1"),
            "no_model": lambda: c.get_registered_model("nope"),
            "bad_alias": lambda: c.get_model_version_by_alias("nope", "champ"),
        }.items():
            try:
                call()
                codes[name] = None
            except MlflowException as e:
                codes[name] = e.error_code
        print(json.dumps({"codes": codes, "by_name": c.get_experiment_by_name("no-such") is None,
                          "seconds": time.monotonic() - start}))
    """, MLFLOW_HTTP_REQUEST_MAX_RETRIES="7")
    assert result["codes"] == {
        "dup": "RESOURCE_ALREADY_EXISTS", "no_exp": "RESOURCE_DOES_NOT_EXIST",
        "bad_filter": "INVALID_PARAMETER_VALUE", "no_model": "RESOURCE_DOES_NOT_EXIST",
        "bad_alias": "RESOURCE_DOES_NOT_EXIST",
    }
    assert result["by_name"] is True
    assert "\"status\":5" not in server.log.read_text()
