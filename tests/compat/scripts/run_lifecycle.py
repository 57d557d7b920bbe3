"""Runs: failure inside `with`, explicit status, delete and restore, resume by id."""
import mlflow
from mlflow.entities import ViewType

try:
    with mlflow.start_run() as failed:
        raise ValueError("boom")
except ValueError:
    pass
assert mlflow.get_run(failed.info.run_id).info.status == "FAILED"

run = mlflow.start_run(run_name="manual")
mlflow.log_metric("m", 1)
mlflow.end_run(status="KILLED")
assert mlflow.get_run(run.info.run_id).info.status == "KILLED"

with mlflow.start_run(run_id=run.info.run_id):
    mlflow.log_metric("m", 2, step=1)
resumed = mlflow.get_run(run.info.run_id)
assert resumed.info.status == "FINISHED" and resumed.data.metrics["m"] == 2

mlflow.delete_run(failed.info.run_id)
active = mlflow.search_runs(output_format="list")
assert [r.info.run_id for r in active] == [run.info.run_id]
every = mlflow.search_runs(run_view_type=ViewType.ALL, output_format="list")
assert len(every) == 2
mlflow.restore_run(failed.info.run_id)
assert mlflow.get_run(failed.info.run_id).info.lifecycle_stage == "active"
