"""Moving to and from MLflow: ``archivist import mlflow`` and ``archivist export mlflow``."""

from archivist.migrate.mlflow_export import export_mlflow
from archivist.migrate.mlflow_import import ImportReport, import_mlflow

__all__ = ["ImportReport", "export_mlflow", "import_mlflow"]
