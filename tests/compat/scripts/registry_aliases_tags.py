"""Registry workflow: versions, aliases, tags, descriptions, lookups by alias."""
import mlflow
from mlflow import MlflowClient


class Version(mlflow.pyfunc.PythonModel):
    def __init__(self, n):
        self.n = n

    def predict(self, context, model_input):
        return [self.n] * len(model_input)


client = MlflowClient()
client.create_registered_model("ranker", tags={"domain": "search"}, description="ranks things")
for n in (1, 2, 3):
    with mlflow.start_run():
        mlflow.pyfunc.log_model(name="m", python_model=Version(n), registered_model_name="ranker")

client.set_registered_model_alias("ranker", "champion", 2)
client.set_registered_model_alias("ranker", "challenger", 3)
client.set_model_version_tag("ranker", 2, "approved", "true")
client.update_model_version("ranker", 2, description="the good one")
client.update_registered_model("ranker", description="ranks things well")

champion = client.get_model_version_by_alias("ranker", "champion")
assert str(champion.version) == "2" and champion.tags == {"approved": "true"}
assert champion.description == "the good one" and "champion" in champion.aliases
rm = client.get_registered_model("ranker")
assert rm.aliases == {"champion": "2", "challenger": "3"}
assert rm.description == "ranks things well" and rm.tags == {"domain": "search"}
assert mlflow.pyfunc.load_model("models:/ranker@challenger").predict([0]) == [3]
client.delete_registered_model_alias("ranker", "challenger")
assert "challenger" not in client.get_registered_model("ranker").aliases
client.delete_model_version_tag("ranker", 2, "approved")
assert client.get_model_version("ranker", 2).tags == {}
versions = client.search_model_versions("name = 'ranker'")
assert sorted(int(v.version) for v in versions) == [1, 2, 3]
assert mlflow.pyfunc.load_model("models:/ranker/latest").predict([0, 0]) == [3, 3]
