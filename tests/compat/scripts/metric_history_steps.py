"""Metric history: several keys over steps, explicit timestamps, NaN and infinity kept."""
import math
import time

import mlflow
from mlflow import MlflowClient
from mlflow.entities import Metric

with mlflow.start_run() as run:
    for step in range(10):
        mlflow.log_metrics({"train_loss": 1 / (step + 1), "val_loss": 2 / (step + 1)}, step=step)
    mlflow.log_metric("special", float("nan"), step=0)
    mlflow.log_metric("special", float("inf"), step=1)
    ts = int(time.time() * 1000)
    MlflowClient().log_batch(run.info.run_id, metrics=[Metric("batch", 5.0, ts, 3)])

client = MlflowClient()
history = client.get_metric_history(run.info.run_id, "val_loss")
assert [m.step for m in history] == list(range(10))
assert history[0].value == 2.0 and history[0].key == "val_loss"
special = client.get_metric_history(run.info.run_id, "special")
assert math.isnan(special[0].value) and special[1].value == math.inf
batch = client.get_metric_history(run.info.run_id, "batch")
assert (batch[0].value, batch[0].timestamp, batch[0].step) == (5.0, ts, 3)
assert mlflow.get_run(run.info.run_id).data.metrics["train_loss"] == 0.1
