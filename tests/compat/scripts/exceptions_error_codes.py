"""Errors are MlflowException with MLflow's error_code names."""
import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

client = MlflowClient()


def code_of(call):
    try:
        call()
    except MlflowException as e:
        return e.error_code
    raise AssertionError("no error")


assert code_of(lambda: client.get_run("0" * 32)) == "RESOURCE_DOES_NOT_EXIST"
assert code_of(lambda: client.get_registered_model("nope")) == "RESOURCE_DOES_NOT_EXIST"
assert code_of(lambda: mlflow.search_runs(filter_string="metrics.acc >")) == "INVALID_PARAMETER_VALUE"
with mlflow.start_run():
    mlflow.log_param("x", 1)
    assert code_of(lambda: mlflow.log_param("x", 2)) == "INVALID_PARAMETER_VALUE"
    assert code_of(lambda: mlflow.log_metric("bad key\x00", 1)) == "INVALID_PARAMETER_VALUE"
client.create_registered_model("dup")
assert code_of(lambda: client.create_registered_model("dup")) == "RESOURCE_ALREADY_EXISTS"
assert issubclass(MlflowException, Exception)
