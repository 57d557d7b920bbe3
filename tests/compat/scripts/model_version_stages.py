"""Deprecated stages still work for older scripts: transition and get_latest_versions."""
import warnings

import mlflow
from mlflow import MlflowClient


class M(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input):
        return model_input


for _ in range(2):
    with mlflow.start_run():
        mlflow.pyfunc.log_model(name="m", python_model=M(), registered_model_name="staged")
client = MlflowClient()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    client.transition_model_version_stage("staged", 1, "Production")
    client.transition_model_version_stage("staged", 2, "Staging")
    prod = client.get_latest_versions("staged", stages=["Production"])
assert [str(v.version) for v in prod] == ["1"] and prod[0].current_stage == "Production"
assert client.get_model_version("staged", 2).current_stage == "Staging"
uri = client.get_model_version_download_uri("staged", 1)
assert uri.startswith("models:/")
