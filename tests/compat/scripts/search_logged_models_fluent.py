"""mlflow.search_logged_models: filter, order_by dicts, output formats (MLflow's doc example)."""
import mlflow


class DummyModel(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input: list[str]) -> list[str]:
        return model_input


model_info = mlflow.pyfunc.log_model(name="model", python_model=DummyModel())
another_model_info = mlflow.pyfunc.log_model(name="another_model", python_model=DummyModel())
models = mlflow.search_logged_models(output_format="list")
assert [m.name for m in models] == ["another_model", "model"]
models = mlflow.search_logged_models(filter_string="name = 'another_model'", output_format="list")
assert [m.name for m in models] == ["another_model"]
models = mlflow.search_logged_models(
    order_by=[{"field_name": "creation_time", "ascending": True}], output_format="list"
)
assert [m.name for m in models] == ["model", "another_model"]

for acc, name in [(0.7, "model"), (0.9, "another_model")]:
    with mlflow.start_run():
        info = model_info if name == "model" else another_model_info
        mlflow.log_metric("accuracy", acc, model_id=info.model_id)
best = mlflow.search_logged_models(
    filter_string="metrics.accuracy > 0.8", output_format="list", max_results=1
)
assert [m.model_id for m in best] == [another_model_info.model_id]
frame = mlflow.search_logged_models()
assert list(frame["name"]) == ["another_model", "model"]
assert {"model_id", "params", "tags", "metrics", "status"} <= set(frame.columns)
