"""Code that imports the fluent API from mlflow.tracking.fluent gets the same functions."""
import mlflow
from mlflow.tracking.fluent import active_run, end_run, log_metric, log_param, start_run

assert start_run is mlflow.start_run and log_param is mlflow.log_param
with start_run(run_name="from-fluent-module") as run:
    log_param("lr", "0.1")
    log_metric("loss", 0.25, step=2)
    assert active_run().info.run_id == run.info.run_id
end_run()
got = mlflow.get_run(run.info.run_id)
assert got.data.params == {"lr": "0.1"} and got.data.metrics == {"loss": 0.25}
assert got.info.run_name == "from-fluent-module" and got.info.status == "FINISHED"
