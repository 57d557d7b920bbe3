"""Experiment tags: set several, delete one (fluent and client)."""
import mlflow
from mlflow import MlflowClient

exp = mlflow.set_experiment("tagged-experiment")
mlflow.set_experiment_tags({"team": "nlp", "priority": "high", "tmp": "x"})
mlflow.delete_experiment_tag("tmp")
assert mlflow.get_experiment(exp.experiment_id).tags == {"team": "nlp", "priority": "high"}
MlflowClient().delete_experiment_tag(exp.experiment_id, "priority")
assert mlflow.get_experiment(exp.experiment_id).tags == {"team": "nlp"}
