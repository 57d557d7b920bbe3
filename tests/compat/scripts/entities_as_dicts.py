"""Entities iterate as MLflow's do: dict(run.info), to_dictionary(), from_dictionary()."""
import mlflow
from mlflow import MlflowClient
from mlflow.entities import Run, RunInfo

with mlflow.start_run(run_name="dicts") as active:
    mlflow.log_param("alpha", 0.5)
    mlflow.log_metric("rmse", 0.25)
run = mlflow.get_run(active.info.run_id)

info = dict(run.info)
assert info["run_id"] == info["run_uuid"] == run.info.run_id
assert info["status"] == "FINISHED" and info["run_name"] == "dicts"
as_dict = run.to_dictionary()
assert as_dict["data"]["params"] == {"alpha": "0.5"}
assert as_dict["data"]["metrics"] == {"rmse": 0.25}
assert Run.from_dictionary(as_dict) == run
assert RunInfo.from_dictionary(info) == run.info

exp = mlflow.get_experiment(run.info.experiment_id)
assert dict(exp)["experiment_id"] == exp.experiment_id

client = MlflowClient()
client.create_registered_model("dict-model", tags={"k": "v"}, description="d")
mv = client.create_model_version("dict-model", f"runs:/{run.info.run_id}/model", run.info.run_id)
rm = client.get_registered_model("dict-model")
rm_dict = dict(rm)
assert rm_dict["name"] == "dict-model" and rm_dict["tags"] == {"k": "v"}
assert dict(mv)["version"] == mv.version and dict(mv)["run_id"] == run.info.run_id
rm_plain = rm.to_dictionary()
assert rm_plain["latest_versions"][0]["version"] == mv.version
assert type(rm).from_dictionary(rm_plain) == rm
history = client.get_metric_history(run.info.run_id, "rmse")
assert dict(history[0])["value"] == 0.25
