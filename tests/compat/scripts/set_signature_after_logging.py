"""A model logged without a signature gets one afterwards with mlflow.models.set_signature."""
import mlflow
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models import ModelSignature, infer_signature, set_signature


class Doubler(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return model_input * 2


with mlflow.start_run():
    info = mlflow.pyfunc.log_model(name="doubler", python_model=Doubler())
assert mlflow.models.get_model_info(info.model_uri).signature is None

frame = pd.DataFrame({"x": [1.0, 2.0]})
signature = infer_signature(frame, frame * 2)
set_signature(info.model_uri, signature)
assert mlflow.models.get_model_info(info.model_uri).signature == signature

loaded = mlflow.pyfunc.load_model(info.model_uri)
assert list(loaded.predict(frame)["x"]) == [2.0, 4.0]
try:
    loaded.predict(pd.DataFrame({"y": [1.0]}))
except MlflowException:
    pass
else:
    raise AssertionError("the new signature is not enforced")

mv = mlflow.register_model(info.model_uri, "doubler")
try:
    set_signature(f"models:/doubler/{mv.version}", signature)
except MlflowException as e:
    assert "registered model version" in str(e)
else:
    raise AssertionError("a registered version's signature changed")
assert isinstance(signature, ModelSignature)
