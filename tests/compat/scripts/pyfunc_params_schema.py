"""A custom model with inference params: the signature carries them, with defaults."""
import mlflow
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature


class Scaler(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        factor = (params or {}).get("factor", 1.0)
        return model_input * factor


frame = pd.DataFrame({"v": [1.0, 2.0]})
signature = infer_signature(frame, frame, params={"factor": 2.0})
with mlflow.start_run():
    info = mlflow.pyfunc.log_model(name="scaler", python_model=Scaler(), signature=signature)

model = mlflow.pyfunc.load_model(info.model_uri)
assert list(model.predict(frame)["v"]) == [2.0, 4.0]  # the default from the signature
assert list(model.predict(frame, params={"factor": 3})["v"]) == [3.0, 6.0]
try:
    model.predict(frame, params={"factor": "big"})
except MlflowException:
    pass
else:
    raise AssertionError("a string was accepted for a double param")
assert model.metadata.get_params_schema().to_dict()[0]["name"] == "factor"
