"""MlflowClient.search_logged_models: params filter, metric ordering, pages with tokens."""
import mlflow
from mlflow import MlflowClient


class Model(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input):
        return model_input


exp = mlflow.set_experiment("model-search")
for i in range(5):
    with mlflow.start_run():
        mlflow.log_param("alpha", i % 2)
        mlflow.log_metric("rmse", 1.0 - i / 10)
        mlflow.pyfunc.log_model(name=f"m{i}", python_model=Model())

client = MlflowClient()
names, token = [], None
while True:
    page = client.search_logged_models(
        experiment_ids=[exp.experiment_id],
        filter_string="params.alpha = '0'",
        order_by=[{"field_name": "metrics.rmse", "ascending": True}],
        max_results=2,
        page_token=token,
    )
    names += [m.name for m in page]
    token = page.token
    if not token:
        break
assert names == ["m4", "m2", "m0"], names
