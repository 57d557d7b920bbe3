"""MlflowClient imported from mlflow.client; experiment rename, tags, search."""
from mlflow.client import MlflowClient
from mlflow.entities import ViewType

client = MlflowClient()
ids = [client.create_experiment(f"exp-{i}") for i in range(3)]
client.rename_experiment(ids[0], "renamed")
client.set_experiment_tag(ids[1], "owner", "ana")
client.delete_experiment(ids[2])

active = client.search_experiments(filter_string="name LIKE 'exp-%'")
assert [e.name for e in active] == ["exp-1"]
everything = client.search_experiments(view_type=ViewType.ALL, filter_string="tags.owner = 'ana'")
assert [e.experiment_id for e in everything] == [ids[1]]
deleted = client.search_experiments(view_type=ViewType.DELETED_ONLY)
assert [e.name for e in deleted] == ["exp-2"]
assert client.get_experiment(ids[0]).name == "renamed"
