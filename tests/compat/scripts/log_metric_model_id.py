"""log_metric(model_id=, dataset=) links evaluation metrics to a logged model."""
import mlflow


class Const(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input):
        return [1] * len(model_input)


class EvalSet:
    """Anything with .name and .digest, as MLflow's datasets have."""

    def __init__(self, name, digest):
        self.name, self.digest = name, digest


with mlflow.start_run() as run:
    info = mlflow.pyfunc.log_model(name="const", python_model=Const())
    mlflow.log_metric("accuracy", 0.75, model_id=info.model_id, dataset=EvalSet("holdout", "abc"))
    mlflow.log_metrics({"f1": 0.6, "recall": 0.5}, model_id=info.model_id, step=2)

model = mlflow.get_logged_model(info.model_id)
by_key = {m.key: m for m in model.metrics}
assert set(by_key) == {"accuracy", "f1", "recall"}
assert by_key["accuracy"].dataset_name == "holdout" and by_key["accuracy"].dataset_digest == "abc"
assert by_key["f1"].step == 2 and by_key["f1"].run_id == run.info.run_id
assert mlflow.get_run(run.info.run_id).data.metrics["accuracy"] == 0.75
