"""An input_example without a signature: the signature is inferred; the example is stored."""
import mlflow
import mlflow.sklearn
import pandas as pd
from mlflow.models import Model
from sklearn.linear_model import LinearRegression

X = pd.DataFrame({"rooms": [1, 2, 3, 4], "area": [30.0, 50.0, 70.0, 90.0]})
y = [100.0, 180.0, 260.0, 340.0]
with mlflow.start_run():
    info = mlflow.sklearn.log_model(LinearRegression().fit(X, y), name="price",
                                    input_example=X.head(2))

assert info.signature is not None
assert info.signature.inputs.input_names() == ["rooms", "area"]
assert info.saved_input_example_info["type"] == "dataframe"
local = mlflow.artifacts.download_artifacts(artifact_uri=info.model_uri)
example = Model.load(local).load_input_example(local)
assert list(example.columns) == ["rooms", "area"] and len(example) == 2
