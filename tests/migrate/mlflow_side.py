"""Run by the real mlflow (its own venv): ``generate URI`` writes a store, ``dump URI`` prints it as JSON."""

import hashlib
import json
import math
import os
import sys
import tempfile

import mlflow
from mlflow import MlflowClient


def generate(uri: str) -> None:
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    tmp = tempfile.mkdtemp()
    shared = os.path.join(tmp, "shared.bin")
    with open(shared, "wb") as f:
        f.write(os.urandom(50_000))
    mlflow.set_experiment("exp-a")
    X = pd.DataFrame({"a": np.arange(20.0), "b": np.arange(20.0) ** 2})
    y = np.arange(20) % 2
    for i in range(3):
        with mlflow.start_run(run_name=f"r{i}") as run:
            mlflow.log_params({"lr": 0.1 * (i + 1), "layers/depth": i})
            for s in range(50):
                mlflow.log_metric("loss", 1.0 / (s + 1), step=s)
            mlflow.log_metric("nested/acc", float("nan") if i == 1 else 0.5, step=3)
            mlflow.set_tag("team", f"t{i}")
            mlflow.log_artifact(shared, artifact_path="data")  # same bytes in every run
            with open(os.path.join(tmp, f"note{i}.txt"), "w") as f:
                f.write(f"note {i}")
            mlflow.log_artifact(os.path.join(tmp, f"note{i}.txt"), artifact_path="deep/er")
            mlflow.log_input(mlflow.data.from_pandas(X, source="train.csv", name="train"), context="training")
            if i == 0:
                model = LogisticRegression().fit(X, y)
                mlflow.sklearn.log_model(model, name="clf", registered_model_name="clf", input_example=X.head(2))
        if i == 2:
            MlflowClient().delete_run(run.info.run_id)
    mlflow.set_experiment("exp-b")
    with mlflow.start_run(run_name="b0"):
        mlflow.log_metric("m", 3.0)
    c = MlflowClient()
    c.set_registered_model_alias("clf", "champion", "1")
    c.set_model_version_tag("clf", "1", "validated", "yes")
    c.set_registered_model_tag("clf", "owner", "ml-team")
    c.update_registered_model("clf", description="a classifier")
    c.update_model_version("clf", "1", description="first")


def _files(c: MlflowClient, run_id: str, path: str = "") -> dict[str, str]:
    out = {}
    for f in c.list_artifacts(run_id, path or None):
        if f.is_dir:
            out.update(_files(c, run_id, f.path))
        else:
            local = c.download_artifacts(run_id, f.path, tempfile.mkdtemp())
            with open(local, "rb") as fh:
                out[f.path] = hashlib.sha256(fh.read()).hexdigest()
    return out


def _num(v: float) -> object:
    return "NaN" if math.isnan(v) else v


def dump(uri: str) -> None:
    c = MlflowClient(uri, registry_uri=uri)
    runs = {}
    for e in c.search_experiments(view_type=3):
        for r in c.search_runs([e.experiment_id], run_view_type=3):
            runs[r.info.run_id] = {
                "experiment": e.name, "name": r.info.run_name, "status": r.info.status,
                "start_time": r.info.start_time, "end_time": r.info.end_time,
                "lifecycle_stage": r.info.lifecycle_stage, "user": r.info.user_id,
                "params": r.data.params, "tags": r.data.tags,
                "metrics": {k: sorted((m.step, m.timestamp, _num(m.value)) for m in c.get_metric_history(r.info.run_id, k))
                            for k in r.data.metrics},
                "inputs": sorted((d.dataset.name, d.dataset.digest, d.dataset.source, d.dataset.schema,
                                  d.dataset.profile, sorted((t.key, t.value) for t in d.tags))
                                 for d in r.inputs.dataset_inputs),
                "artifacts": _files(c, r.info.run_id) if r.info.lifecycle_stage == "active" else {},
            }
    registry = {}
    for rm in c.search_registered_models():
        registry[rm.name] = {
            "description": rm.description, "aliases": {k: str(v) for k, v in rm.aliases.items()}, "tags": rm.tags,
            "versions": sorted((int(v.version), v.source, v.run_id, v.description, v.tags)
                               for v in c.search_model_versions(f"name='{rm.name}'")),
        }
    models = {}
    for e in c.search_experiments(view_type=3):
        for m in mlflow.search_logged_models(experiment_ids=[e.experiment_id], output_format="list"):
            local = mlflow.artifacts.download_artifacts(f"models:/{m.model_id}", dst_path=tempfile.mkdtemp())
            files = {}
            for root, _d, fs in os.walk(local):
                for f in fs:
                    if f == "registered_model_meta":  # written by the download itself
                        continue
                    with open(os.path.join(root, f), "rb") as fh:
                        files[os.path.relpath(os.path.join(root, f), local)] = hashlib.sha256(fh.read()).hexdigest()
            models[m.model_id] = {"name": m.name, "source_run_id": m.source_run_id, "status": str(m.status),
                                  "params": m.params, "files": files}
    print(json.dumps({"runs": runs, "registry": registry, "models": models}, sort_keys=True, default=str))


if __name__ == "__main__":
    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
    mlflow.set_tracking_uri(sys.argv[2])
    {"generate": generate, "dump": dump}[sys.argv[1]](sys.argv[2])
