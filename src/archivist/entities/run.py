"""Runs and the facts logged to them."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from archivist.entities._base import Entity
from archivist.entities.dataset import RunInputs

__all__ = ["Metric", "Param", "Run", "RunData", "RunInfo", "RunStatus", "RunTag"]


class RunStatus(str, Enum):
    RUNNING = "RUNNING"
    SCHEDULED = "SCHEDULED"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    KILLED = "KILLED"

    @classmethod
    def is_terminated(cls, status: str) -> bool:
        return status in (cls.FINISHED.value, cls.FAILED.value, cls.KILLED.value)


@dataclass(frozen=True, slots=True)
class Metric(Entity):
    """A metric point; MLflow 3 may link it to a logged model and a dataset."""

    key: str
    value: float
    timestamp: int
    step: int = 0
    model_id: str | None = None
    dataset_name: str | None = None
    dataset_digest: str | None = None
    run_id: str | None = None


@dataclass(frozen=True, slots=True)
class Param(Entity):
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class RunTag(Entity):
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class RunInfo(Entity):
    run_id: str
    experiment_id: str
    run_name: str
    user_id: str
    status: str
    start_time: int
    end_time: int | None
    artifact_uri: str
    lifecycle_stage: str

    _derived = ("run_uuid",)

    @property
    def run_uuid(self) -> str:
        return self.run_id


@dataclass(frozen=True, slots=True)
class RunData(Entity):
    """A run's params, tags and latest metric values; ``latest_metrics`` keeps each latest point."""

    metrics: dict[str, float] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    latest_metrics: dict[str, Metric] = field(default_factory=dict, repr=False, compare=False)

    _hidden = ("latest_metrics",)


@dataclass(frozen=True, slots=True)
class Run(Entity):
    info: RunInfo
    data: RunData = field(default_factory=RunData)
    inputs: RunInputs = field(default_factory=RunInputs)


Run._nested = {"info": RunInfo, "data": RunData, "inputs": RunInputs}
