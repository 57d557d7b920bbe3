"""download_artifacts with model URIs: models:/<id>, name/version, @alias, runs:/<id>/<model>."""
import os

import mlflow
from mlflow import MlflowClient


class Echo(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input):
        return model_input


with mlflow.start_run() as run:
    info = mlflow.pyfunc.log_model(name="echo", python_model=Echo(), registered_model_name="echo")
MlflowClient().set_registered_model_alias("echo", "prod", 1)

for uri in (info.model_uri, "models:/echo/1", "models:/echo@prod", f"runs:/{run.info.run_id}/echo"):
    local = mlflow.artifacts.download_artifacts(artifact_uri=uri)
    assert os.path.isfile(os.path.join(local, "MLmodel")), (uri, os.listdir(local))
one_file = mlflow.artifacts.download_artifacts(
    artifact_uri=f"runs:/{run.info.run_id}/echo/MLmodel", dst_path="out"
)
assert one_file.endswith("MLmodel") and os.path.isfile(one_file)
assert os.path.abspath(one_file).startswith(os.path.abspath("out"))
