"""Log datasets as run inputs (mlflow.data) and find runs by them: datasets.* filters."""
import mlflow
import mlflow.data
import pandas as pd

train_df = pd.DataFrame({"sepal": [5.1, 4.9, 6.2], "label": [0, 0, 1]})
train = mlflow.data.from_pandas(train_df, name="iris-train", targets="label")
holdout = mlflow.data.from_pandas(train_df.tail(1), name="iris-holdout", targets="label")

with mlflow.start_run(run_name="fit") as fit:
    mlflow.log_input(train, context="training")
with mlflow.start_run(run_name="evaluate") as evaluate:
    mlflow.log_input(train, context="training")
    mlflow.log_input(holdout, context="evaluation")

found = mlflow.search_runs(filter_string="datasets.name = 'iris-holdout'", output_format="list")
assert [r.info.run_id for r in found] == [evaluate.info.run_id]
frame = mlflow.search_runs(filter_string=f"datasets.digest = '{train.digest}'")
assert set(frame["run_id"]) == {fit.info.run_id, evaluate.info.run_id}
ctx = mlflow.search_runs(filter_string="datasets.context = 'evaluation'", output_format="list")
assert [r.info.run_name for r in ctx] == ["evaluate"]
inputs = mlflow.get_run(evaluate.info.run_id).inputs.dataset_inputs
assert sorted(i.dataset.name for i in inputs) == ["iris-holdout", "iris-train"]
