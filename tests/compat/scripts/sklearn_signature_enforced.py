"""sklearn model with a signature: pyfunc enforces column names and types at predict."""
import mlflow
import mlflow.sklearn
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

X, y = load_iris(return_X_y=True, as_frame=True)
clf = LogisticRegression(max_iter=500).fit(X, y)
signature = infer_signature(X, clf.predict(X))
with mlflow.start_run():
    info = mlflow.sklearn.log_model(clf, name="iris", signature=signature, input_example=X.head(3))

pyfunc_model = mlflow.pyfunc.load_model(info.model_uri)
assert list(pyfunc_model.predict(X.head(4))) == list(clf.predict(X.head(4)))
assert pyfunc_model.metadata.get_input_schema().input_names() == list(X.columns)
try:
    pyfunc_model.predict(X.drop(columns=["petal width (cm)"]).head(2))
except MlflowException as e:
    assert "petal width (cm)" in str(e)
else:
    raise AssertionError("a missing column was accepted")
try:
    pyfunc_model.predict(pd.DataFrame({c: ["text"] for c in X.columns}))
except MlflowException:
    pass
else:
    raise AssertionError("strings were accepted for double columns")
native = mlflow.sklearn.load_model(info.model_uri)
assert type(native).__name__ == "LogisticRegression"
