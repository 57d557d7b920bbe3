"""One tracking-server workload, run by bench/server_bench.py in a fresh interpreter.

    python server_client.py LIB JOB URI PARAMS_JSON

LIB is ``mlflow`` (the real client, run with the mlflow venv's python) or ``archivist``
(Archivist's own client over HTTP). Prints one JSON object of measurements.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
import uuid


def du(path: str) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            with contextlib.suppress(FileNotFoundError):
                total += os.lstat(os.path.join(root, f)).st_blocks * 512
    return total


def main() -> None:
    libname, job, uri, params = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
    if libname == "mlflow":
        import mlflow as lib
        from mlflow import MlflowClient as Client
        from mlflow.entities import Metric
    else:
        import archivist as lib
        from archivist import ArchivistClient as Client
        from archivist.entities import Metric
    lib.set_tracking_uri(uri)
    client = Client(uri) if libname == "archivist" else Client()
    exp_name = f"bench-{uuid.uuid4().hex[:8]}"
    exp_id = client.create_experiment(exp_name)
    out: dict[str, object] = {}
    if job == "metrics_single":
        run = lib.start_run(experiment_id=exp_id)
        t = time.perf_counter()
        for i in range(params["n"]):
            lib.log_metric("m", float(i), step=i)
        lib.end_run()
        out["seconds"] = time.perf_counter() - t
        assert len(client.get_metric_history(run.info.run_id, "m")) == params["n"]
    elif job == "log_batch":
        run = lib.start_run(experiment_id=exp_id)
        now = int(time.time() * 1000)
        metrics = [Metric(f"k{i % 10}", float(i), now, i // 10) for i in range(params["n"])]
        t = time.perf_counter()
        client.log_batch(run.info.run_id, metrics=metrics)
        out["seconds"] = time.perf_counter() - t
        lib.end_run()
        assert len(client.get_metric_history(run.info.run_id, "k3")) == params["n"] // 10
    elif job == "runs_search":
        t = time.perf_counter()
        for i in range(params["runs"]):
            with lib.start_run(experiment_id=exp_id):
                lib.log_params({"p0": "a" if i % 2 else "b", "p1": i, "p2": "x"})
                lib.log_metrics({"m0": i / params["runs"], "m1": float(i), "m2": 1.0})
        out["seconds_log"] = time.perf_counter() - t
        t = time.perf_counter()
        found = client.search_runs([exp_id], "metrics.m0 > 0.5 and params.p0 = 'a'")
        out["seconds_search"] = time.perf_counter() - t
        assert len(found) == params["runs"] // 4, len(found)
    elif job == "artifact":
        path = params["file"]
        with lib.start_run(experiment_id=exp_id) as run:
            t = time.perf_counter()
            lib.log_artifact(path)
            out["seconds_upload"] = time.perf_counter() - t
        dst = os.path.join(params["scratch"], f"dl-{libname}-{uuid.uuid4().hex[:6]}")
        t = time.perf_counter()
        got = client.download_artifacts(run.info.run_id, os.path.basename(path), dst)
        out["seconds_download"] = time.perf_counter() - t
        assert os.path.getsize(got) == os.path.getsize(path)
        os.unlink(got)
        before = du(params["store"])
        with lib.start_run(experiment_id=exp_id):
            t = time.perf_counter()
            lib.log_artifact(path)
            out["seconds_again"] = time.perf_counter() - t
        out["store_growth_again"] = du(params["store"]) - before
    elif job == "log_model":
        from sklearn.datasets import load_iris
        from sklearn.linear_model import LogisticRegression

        X, y = load_iris(return_X_y=True)
        model = LogisticRegression(max_iter=300).fit(X, y)
        name = f"bench-{uuid.uuid4().hex[:8]}"
        with lib.start_run(experiment_id=exp_id):
            t = time.perf_counter()
            lib.sklearn.log_model(model, name="model", registered_model_name=name)
            out["seconds_log_model"] = time.perf_counter() - t
        t = time.perf_counter()
        pred = lib.pyfunc.load_model(f"models:/{name}/1").predict(X)
        out["seconds_load_model"] = time.perf_counter() - t
        assert list(pred) == list(model.predict(X))
    else:
        raise SystemExit(f"unknown job {job}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
