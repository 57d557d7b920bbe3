"""MLflow 3: log_model with no active run logs a standalone model and starts no run."""
import mlflow
import pandas as pd


class Upper(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input):
        return model_input["text"].str.upper()


mlflow.set_experiment("standalone")
info = mlflow.pyfunc.log_model(
    name="upper", python_model=Upper(), input_example=pd.DataFrame({"text": ["a"]})
)
assert mlflow.active_run() is None
assert info.run_id is None
model = mlflow.get_logged_model(info.model_id)
assert model.source_run_id is None and model.status == "READY"
assert mlflow.last_logged_model().model_id == info.model_id
assert mlflow.search_runs(output_format="list") == []
predicted = mlflow.pyfunc.load_model(info.model_uri).predict(pd.DataFrame({"text": ["x", "y"]}))
assert list(predicted) == ["X", "Y"]
