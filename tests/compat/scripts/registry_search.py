"""search_registered_models / search_model_versions with filters and ordering."""
import mlflow
from mlflow import MlflowClient

client = MlflowClient()
for name in ("fraud-xgb", "fraud-lr", "churn-rf"):
    client.create_registered_model(name, tags={"team": name.split("-")[0]})
assert [m.name for m in mlflow.search_registered_models(filter_string="name LIKE 'fraud-%'",
                                                         order_by=["name ASC"])] == [
    "fraud-lr", "fraud-xgb"]
assert [m.name for m in client.search_registered_models(filter_string="tags.team = 'churn'")] == [
    "churn-rf"]
page = client.search_registered_models(max_results=2, order_by=["name DESC"])
assert [m.name for m in page] == ["fraud-xgb", "fraud-lr"] and page.token
rest = client.search_registered_models(max_results=2, order_by=["name DESC"], page_token=page.token)
assert [m.name for m in rest] == ["churn-rf"]

with mlflow.start_run() as run:
    mlflow.log_text("weights", "model/weights.txt")
    mlflow.log_text("flavors: {}\n", "model/MLmodel")
for _ in range(2):
    client.create_model_version("churn-rf", f"runs:/{run.info.run_id}/model", run.info.run_id)
versions = mlflow.search_model_versions(filter_string=f"run_id = '{run.info.run_id}'")
assert sorted(int(v.version) for v in versions) == [1, 2]
