"""active_run inside a run, last_active_run after it ended."""
import mlflow

assert mlflow.active_run() is None
with mlflow.start_run(run_name="first") as run:
    assert mlflow.active_run().info.run_id == run.info.run_id
    mlflow.log_metric("score", 3.0)
last = mlflow.last_active_run()
assert last.info.run_id == run.info.run_id and last.data.metrics == {"score": 3.0}
assert mlflow.active_run() is None
mlflow.log_param("auto", "started")  # a log call without a run starts one
auto = mlflow.active_run()
assert auto is not None and auto.info.run_id != run.info.run_id
mlflow.end_run()
assert mlflow.get_run(auto.info.run_id).data.params == {"auto": "started"}
