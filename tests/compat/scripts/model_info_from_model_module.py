"""get_model_info from mlflow.models.model describes a model without loading it."""
import mlflow
import mlflow.sklearn
from mlflow.models import infer_signature
from mlflow.models.model import get_model_info
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

X, y = load_iris(return_X_y=True, as_frame=True)
model = LogisticRegression(max_iter=300).fit(X, y)
signature = infer_signature(X, model.predict(X))
with mlflow.start_run() as run:
    logged = mlflow.sklearn.log_model(model, name="iris", signature=signature)

info = get_model_info(logged.model_uri)
assert info.model_id == logged.model_id
assert info.signature == signature
assert "sklearn" in info.flavors and "python_function" in info.flavors
assert info.run_id == run.info.run_id
by_run = mlflow.models.get_model_info(f"runs:/{run.info.run_id}/iris")
assert by_run.model_id == logged.model_id
