"""An in-memory store for a throwaway process: sqlite:///:memory:."""
import os

import mlflow

mlflow.set_tracking_uri("sqlite:///:memory:")
mlflow.set_experiment("scratch")
with mlflow.start_run() as run:
    mlflow.log_param("p", 1)
    mlflow.log_metrics({"a": 1.0, "b": 2.0})
    mlflow.log_text("hello", "notes/hello.txt")
runs = mlflow.search_runs(output_format="list")
assert [r.info.run_id for r in runs] == [run.info.run_id]
assert mlflow.artifacts.load_text(f"runs:/{run.info.run_id}/notes/hello.txt") == "hello"
assert mlflow.MlflowClient().get_run(run.info.run_id).data.metrics == {"a": 1.0, "b": 2.0}
assert os.listdir(".") == [], os.listdir(".")  # nothing written to the working directory
