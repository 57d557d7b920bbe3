"""Promote a version from a dev registry name to a prod one with copy_model_version."""
import mlflow
import mlflow.sklearn
from mlflow import MlflowClient
from sklearn.datasets import load_iris
from sklearn.tree import DecisionTreeClassifier

X, y = load_iris(return_X_y=True)
with mlflow.start_run():
    info = mlflow.sklearn.log_model(
        DecisionTreeClassifier(max_depth=2).fit(X, y), name="tree",
        registered_model_name="iris-dev",
    )
client = MlflowClient()
client.set_model_version_tag("iris-dev", "1", "validated", "yes")
client.set_registered_model_alias("iris-dev", "candidate", "1")

copied = client.copy_model_version("models:/iris-dev@candidate", "iris-prod")
assert copied.name == "iris-prod" and copied.version in ("1", 1)
assert copied.tags == {"validated": "yes"}
assert copied.source == "models:/iris-dev/1"
again = client.copy_model_version("models:/iris-dev/1", "iris-prod")
assert str(again.version) == "2"
prod = mlflow.sklearn.load_model("models:/iris-prod/2")
assert (prod.predict(X) == mlflow.sklearn.load_model(info.model_uri).predict(X)).all()
