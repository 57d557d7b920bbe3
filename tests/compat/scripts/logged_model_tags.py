"""Tags on logged models: set, delete, and the entity's to_dictionary()."""
import mlflow
from mlflow.entities import LoggedModel


class M(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input):
        return model_input


info = mlflow.pyfunc.log_model(name="tagged", python_model=M(), tags={"stage": "dev"})
mlflow.set_logged_model_tags(info.model_id, {"owner": "ana", "stage": "review"})
mlflow.delete_logged_model_tag(info.model_id, "owner")
model = mlflow.get_logged_model(info.model_id)
assert model.tags == {"stage": "review"}
as_dict = model.to_dictionary()
assert as_dict["model_id"] == info.model_id and as_dict["name"] == "tagged"
assert "model_uri" not in as_dict
assert isinstance(model, LoggedModel) and model.model_uri == f"models:/{info.model_id}"
assert LoggedModel.from_dictionary(as_dict) == model
