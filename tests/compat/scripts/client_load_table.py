"""log_table in several runs, read back with MlflowClient.load_table (and mlflow.load_table)."""
import mlflow
import pandas as pd
from mlflow import MlflowClient

exp = mlflow.set_experiment("tables")
run_ids = []
for i in range(3):
    with mlflow.start_run() as run:
        mlflow.log_table({"inputs": [f"q{i}"], "score": [i / 10]}, "eval/results.json")
        run_ids.append(run.info.run_id)
with mlflow.start_run():
    mlflow.log_metric("unrelated", 1)

client = MlflowClient()
table = client.load_table(exp.experiment_id, "eval/results.json", extra_columns=["run_id"])
assert isinstance(table, pd.DataFrame) and len(table) == 3
assert sorted(table["run_id"]) == sorted(run_ids)
two = client.load_table(exp.experiment_id, "eval/results.json", run_ids=run_ids[:2])
assert sorted(two["inputs"]) == ["q0", "q1"]
assert list(mlflow.load_table("eval/results.json", run_ids=[run_ids[2]])["score"]) == [0.2]
