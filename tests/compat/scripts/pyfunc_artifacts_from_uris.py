"""pyfunc.log_model(artifacts=...) with runs:/ and models:/ URIs and a run's artifact URI."""
import json
import os

import mlflow
import mlflow.sklearn
import numpy as np
from sklearn.linear_model import LinearRegression

X = np.arange(10, dtype=float).reshape(-1, 1)
with mlflow.start_run() as run:
    mlflow.log_dict({"scale": 10}, "config/settings.json")
    reg = mlflow.sklearn.log_model(LinearRegression().fit(X, 2 * X.ravel()), name="reg")
artifact_uri = mlflow.get_run(run.info.run_id).info.artifact_uri


class Wrapped(mlflow.pyfunc.PythonModel):
    def load_context(self, context):
        with open(context.artifacts["settings"]) as f:
            self.scale = json.load(f)["scale"]
        self.inner = mlflow.sklearn.load_model(context.artifacts["regressor"])
        assert os.path.isfile(context.artifacts["settings_again"])

    def predict(self, context, model_input, params=None):
        return self.inner.predict(model_input) * self.scale


with mlflow.start_run():
    info = mlflow.pyfunc.log_model(
        name="wrapped",
        python_model=Wrapped(),
        artifacts={
            "settings": f"runs:/{run.info.run_id}/config/settings.json",
            "regressor": reg.model_uri,
            "settings_again": f"{artifact_uri}/config/settings.json",
        },
    )
loaded = mlflow.pyfunc.load_model(info.model_uri)
assert np.allclose(loaded.predict(np.array([[1.0], [2.0]])), [20.0, 40.0])
