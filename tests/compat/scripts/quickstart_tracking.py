"""The tracking quickstart: params, metrics over steps, tags, and a search as a DataFrame."""
import mlflow

mlflow.set_experiment("quickstart")
with mlflow.start_run(run_name="baseline") as run:
    mlflow.log_param("learning_rate", 0.01)
    mlflow.log_params({"epochs": 3, "optimizer": "sgd"})
    for epoch in range(3):
        mlflow.log_metric("loss", 1.0 / (epoch + 1), step=epoch)
    mlflow.log_metrics({"accuracy": 0.91, "f1": 0.88})
    mlflow.set_tag("model", "linear")
    mlflow.set_tags({"data": "v2", "owner": "qa"})

df = mlflow.search_runs()
assert len(df) == 1
row = df.iloc[0]
assert row["run_id"] == run.info.run_id and row["status"] == "FINISHED"
assert row["params.learning_rate"] == "0.01" and row["params.epochs"] == "3"
assert row["metrics.loss"] == 1.0 / 3 and row["metrics.accuracy"] == 0.91
assert row["tags.model"] == "linear" and row["tags.mlflow.runName"] == "baseline"
