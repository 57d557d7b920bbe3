"""MlflowClient imported from mlflow.tracking: experiments, runs, metric history."""
import mlflow
from mlflow.tracking import MlflowClient

client = MlflowClient()
exp_id = client.create_experiment("client-demo", tags={"team": "vision"})
run = client.create_run(exp_id, run_name="manual")
run_id = run.info.run_id
for step in range(5):
    client.log_metric(run_id, "loss", 1.0 / (step + 1), step=step)
client.log_param(run_id, "optimizer", "adam")
client.set_tag(run_id, "stage", "dev")
client.set_terminated(run_id)

finished = client.get_run(run_id)
assert finished.info.status == "FINISHED"
assert finished.data.params == {"optimizer": "adam"}
assert finished.data.tags["stage"] == "dev"
history = client.get_metric_history(run_id, "loss")
assert [m.step for m in history] == [0, 1, 2, 3, 4]
assert history[-1].value == 0.2
assert client.get_experiment(exp_id).tags["team"] == "vision"
assert mlflow.get_experiment_by_name("client-demo").experiment_id == exp_id
