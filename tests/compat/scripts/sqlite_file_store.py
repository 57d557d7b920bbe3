"""An explicit SQLite tracking URI, shared by the fluent API and MlflowClient."""
import os

import mlflow
from mlflow import MlflowClient

mlflow.set_tracking_uri("sqlite:///mlruns.db")
assert mlflow.get_tracking_uri() == "sqlite:///mlruns.db"
assert mlflow.is_tracking_uri_set()
with mlflow.start_run() as run:
    mlflow.log_metric("m", 1.0)
assert os.path.isfile("mlruns.db")
assert MlflowClient().get_run(run.info.run_id).data.metrics == {"m": 1.0}
assert MlflowClient("sqlite:///mlruns.db").get_run(run.info.run_id).info.status == "FINISHED"
assert mlflow.get_registry_uri() == mlflow.get_tracking_uri()
