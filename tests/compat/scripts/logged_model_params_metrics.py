"""MLflow 3: a model logged in a run takes the run's params and the metrics at its step."""
import mlflow
import mlflow.sklearn
from sklearn.datasets import load_diabetes
from sklearn.ensemble import RandomForestRegressor
from sklearn.metrics import mean_squared_error

X, y = load_diabetes(return_X_y=True)
params = {"n_estimators": 5, "max_depth": 3, "random_state": 0}
with mlflow.start_run() as run:
    mlflow.log_params(params)
    model = RandomForestRegressor(**params).fit(X, y)
    mlflow.log_metric("mse", mean_squared_error(y, model.predict(X)), step=0)
    info = mlflow.sklearn.log_model(model, name="rf", input_example=X[:2])

logged = mlflow.get_logged_model(info.model_id)
assert logged.params == {k: str(v) for k, v in params.items()}
assert [m.key for m in logged.metrics] == ["mse"]
assert logged.metrics[0].run_id == run.info.run_id
assert logged.metrics[0].model_id == info.model_id
assert info.metrics[0].value == logged.metrics[0].value
assert logged.source_run_id == run.info.run_id
