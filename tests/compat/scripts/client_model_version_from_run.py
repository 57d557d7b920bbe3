"""Register a model a run logged, with MlflowClient.create_model_version and runs:/ source."""
import mlflow
import mlflow.sklearn
import numpy as np
from mlflow import MlflowClient
from sklearn.dummy import DummyRegressor

with mlflow.start_run() as run:
    info = mlflow.sklearn.log_model(DummyRegressor(constant=4.0, strategy="constant").fit([[0]], [0]),
                                    name="dummy")
client = MlflowClient()
client.create_registered_model("dummy-reg")
mv = client.create_model_version(
    "dummy-reg", f"runs:/{run.info.run_id}/dummy", run_id=run.info.run_id,
    tags={"source": "ci"}, description="from a run",
)
assert str(mv.version) == "1" and mv.run_id == run.info.run_id and mv.status == "READY"
assert mv.tags == {"source": "ci"} and mv.description == "from a run"
loaded = mlflow.pyfunc.load_model("models:/dummy-reg/1")
assert np.allclose(loaded.predict(np.array([[1.0], [2.0]])), [4.0, 4.0])
assert mlflow.models.get_model_info("models:/dummy-reg/1").model_id == info.model_id
