"""The module paths MLflow code imports from resolve, to the same objects."""
import mlflow
import mlflow.client
import mlflow.entities.model_registry
import mlflow.models.model
import mlflow.models.signature
import mlflow.pyfunc
import mlflow.tracking
import mlflow.tracking.client
import mlflow.types
import mlflow.types.schema
from mlflow.entities import LoggedModel, Metric, Param, Run, RunTag
from mlflow.entities.model_registry import ModelVersion, RegisteredModel
from mlflow.exceptions import MlflowException
from mlflow.models import ModelSignature, get_model_info, infer_signature, set_model, set_signature
from mlflow.models.signature import infer_signature as infer_signature_2
from mlflow.pyfunc import PythonModel, PythonModelContext

clients = {
    mlflow.MlflowClient, mlflow.client.MlflowClient, mlflow.tracking.MlflowClient,
    mlflow.tracking.client.MlflowClient,
}
assert len(clients) == 1
assert mlflow.types.Schema is mlflow.types.schema.Schema is mlflow.models.signature.Schema
assert mlflow.types.ColSpec is mlflow.models.signature.ColSpec
assert infer_signature is infer_signature_2 and mlflow.models.model.get_model_info is get_model_info
assert callable(set_model) and callable(set_signature) and ModelSignature
assert issubclass(mlflow.entities.model_registry.RegisteredModel, object)
assert {RegisteredModel, ModelVersion, LoggedModel, Metric, Param, Run, RunTag}
assert PythonModel and PythonModelContext and issubclass(MlflowException, Exception)
assert mlflow.tracking.get_tracking_uri() == mlflow.get_tracking_uri()
