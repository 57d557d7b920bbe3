"""Plain data shared by every layer."""

from archivist.entities.artifact import FileInfo, TreeEntry
from archivist.entities.dataset import Dataset, DatasetInput, InputTag, LoggedModelInput, RunInputs
from archivist.entities.experiment import Experiment, LifecycleStage, ViewType
from archivist.entities.model import LoggedModel, ModelInfo
from archivist.entities.run import Metric, Param, Run, RunData, RunInfo, RunStatus, RunTag

__all__ = [
    "Dataset",
    "DatasetInput",
    "Experiment",
    "FileInfo",
    "InputTag",
    "LifecycleStage",
    "LoggedModel",
    "LoggedModelInput",
    "Metric",
    "ModelInfo",
    "Param",
    "Run",
    "RunData",
    "RunInfo",
    "RunInputs",
    "RunStatus",
    "RunTag",
    "TreeEntry",
    "ViewType",
]
