"""Plain data shared by every layer."""

from archivist.entities.artifact import FileInfo, TreeEntry
from archivist.entities.experiment import Experiment, LifecycleStage, ViewType
from archivist.entities.model import LoggedModel, ModelInfo
from archivist.entities.run import Metric, Param, Run, RunData, RunInfo, RunStatus, RunTag

__all__ = [
    "Experiment",
    "FileInfo",
    "LifecycleStage",
    "LoggedModel",
    "Metric",
    "ModelInfo",
    "Param",
    "Run",
    "RunData",
    "RunInfo",
    "RunStatus",
    "RunTag",
    "TreeEntry",
    "ViewType",
]
