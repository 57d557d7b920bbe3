"""Experiments: create with tags and artifact location, delete, restore, search by view type."""
import mlflow
from mlflow.entities import ViewType
from mlflow.exceptions import MlflowException

exp_id = mlflow.create_experiment("lifecycle", tags={"project": "demo"})
assert mlflow.get_experiment_by_name("lifecycle").experiment_id == exp_id
mlflow.delete_experiment(exp_id)
assert mlflow.get_experiment(exp_id).lifecycle_stage == "deleted"
names = [e.name for e in mlflow.search_experiments()]
assert "lifecycle" not in names and "Default" in names
deleted = mlflow.search_experiments(view_type=ViewType.DELETED_ONLY)
assert [e.name for e in deleted] == ["lifecycle"]
try:
    mlflow.set_experiment("lifecycle")
except MlflowException:
    pass
else:
    raise AssertionError("a deleted experiment was activated")
mlflow.restore_experiment(exp_id)
assert mlflow.set_experiment("lifecycle").experiment_id == exp_id
try:
    mlflow.create_experiment("lifecycle")
except MlflowException as e:
    assert e.error_code == "RESOURCE_ALREADY_EXISTS"
else:
    raise AssertionError("a duplicate experiment name was accepted")
tagged = mlflow.search_experiments(filter_string="tags.project = 'demo'")
assert [e.experiment_id for e in tagged] == [exp_id]
