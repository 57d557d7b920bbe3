"""MlflowClient.log_metric(..., synchronous=False) returns at once; wait() finishes it."""
import mlflow
from mlflow import MlflowClient

client = MlflowClient()
run = client.create_run(mlflow.set_experiment("async-client").experiment_id)
ops = [client.log_metric(run.info.run_id, "loss", 1.0 / (i + 1), step=i, synchronous=False)
       for i in range(20)]
for op in ops:
    op.wait()
history = client.get_metric_history(run.info.run_id, "loss")
assert [m.step for m in history] == list(range(20))
assert client.log_metric(run.info.run_id, "sync", 1.0, synchronous=True) is None
client.log_param(run.info.run_id, "p", "v", synchronous=False).wait()
client.set_tag(run.info.run_id, "t", "v", synchronous=False).wait()
data = client.get_run(run.info.run_id).data
assert data.params == {"p": "v"} and data.tags["t"] == "v"
