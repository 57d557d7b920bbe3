"""synchronous=False: the call returns at once; its error shows when awaited or flushed."""
import mlflow
from mlflow.exceptions import MlflowException

with mlflow.start_run() as run:
    mlflow.log_param("lr", 0.1)
    op = mlflow.log_param("lr", 0.2, synchronous=False)  # conflicting value: no raise here
    try:
        op.wait()
    except MlflowException as e:
        assert "lr" in str(e)
    else:
        raise AssertionError("re-logging a param with another value did not fail")

    mlflow.log_params({"depth": 3}, synchronous=False)
    mlflow.log_params({"depth": 4}, synchronous=False)  # error, only seen by flush
    mlflow.log_metrics({"acc": 0.5}, step=1, synchronous=False)
    try:
        mlflow.flush_async_logging()
    except MlflowException:
        pass
    else:
        raise AssertionError("flush_async_logging did not report the failed call")
    mlflow.flush_async_logging()  # reported once, then clean

    for step in range(50):
        mlflow.log_metric("loss", 1 / (step + 1), step=step, synchronous=False)

data = mlflow.get_run(run.info.run_id).data  # ending the run waited for the queue
assert data.params == {"lr": "0.1", "depth": "3"}
assert len(mlflow.MlflowClient().get_metric_history(run.info.run_id, "loss")) == 50
assert data.metrics["acc"] == 0.5
