"""Datasets a run used (its inputs), as MLflow's ``Dataset`` / ``DatasetInput`` entities."""

from __future__ import annotations

from dataclasses import dataclass, field

from archivist.entities._base import Entity

__all__ = ["CONTEXT_TAG", "Dataset", "DatasetInput", "InputTag", "LoggedModelInput", "RunInputs"]

#: The input tag MLflow uses for the context a dataset was used in ("training", ...).
CONTEXT_TAG = "mlflow.data.context"


@dataclass(frozen=True, slots=True)
class Dataset(Entity):
    """A dataset as stored: its identity is ``(name, digest)``.

    ``source`` is a JSON string describing where the data came from (``{"uri": ...}``),
    ``schema`` and ``profile`` are JSON strings (columns and types; rows, columns, size).
    """

    name: str
    digest: str
    source_type: str
    source: str
    schema: str | None = None
    profile: str | None = None
    dataset_id: str | None = None

    @property
    def uri(self) -> str:
        """``datasets:/<dataset_id>`` once stored (what ``archivist lineage`` accepts)."""
        return f"datasets:/{self.dataset_id}" if self.dataset_id else f"datasets:/{self.name}/{self.digest}"


@dataclass(frozen=True, slots=True)
class InputTag(Entity):
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class DatasetInput(Entity):
    """A dataset used by a run, with tags such as ``mlflow.data.context``."""

    dataset: Dataset
    tags: list[InputTag] = field(default_factory=list)

    @property
    def context(self) -> str | None:
        return next((t.value for t in self.tags if t.key == CONTEXT_TAG), None)


@dataclass(frozen=True, slots=True)
class LoggedModelInput(Entity):
    model_id: str


@dataclass(frozen=True, slots=True)
class RunInputs(Entity):
    dataset_inputs: list[DatasetInput] = field(default_factory=list)
    model_inputs: list[LoggedModelInput] = field(default_factory=list)


DatasetInput._nested = {"dataset": Dataset, "tags": InputTag}
RunInputs._nested = {"dataset_inputs": DatasetInput, "model_inputs": LoggedModelInput}
