"""The tracking-store contract: experiments, runs, their facts, and artifact trees.

Implemented by the SQL store here and, over HTTP, by a REST store: every method takes
and returns plain entities, so a remote implementation is a mapping onto requests.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from archivist.entities import Experiment, Metric, Param, Run, RunInfo, RunTag, TreeEntry, ViewType

__all__ = ["Page", "TrackingStore"]


@dataclass(frozen=True, slots=True)
class Page:
    """One page of results and the token for the next one (None at the end)."""

    items: list[object] = field(default_factory=list)
    next_page_token: str | None = None


@runtime_checkable
class TrackingStore(Protocol):
    uri: str

    # experiments
    def create_experiment(
        self, name: str, artifact_location: str | None = None, tags: dict[str, str] | None = None
    ) -> str: ...
    def get_experiment(self, experiment_id: str) -> Experiment: ...
    def get_experiment_by_name(self, name: str) -> Experiment | None: ...
    def search_experiments(
        self,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        filter_string: str | None = None,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> Page: ...
    def delete_experiment(self, experiment_id: str) -> None: ...
    def restore_experiment(self, experiment_id: str) -> None: ...
    def rename_experiment(self, experiment_id: str, new_name: str) -> None: ...
    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None: ...

    # runs
    def create_run(
        self,
        experiment_id: str,
        user_id: str,
        start_time: int,
        tags: Sequence[RunTag],
        run_name: str | None,
        run_id: str | None = None,
    ) -> Run: ...
    def get_run(self, run_id: str) -> Run: ...
    def update_run_info(
        self, run_id: str, status: str | None, end_time: int | None, run_name: str | None
    ) -> RunInfo: ...
    def delete_run(self, run_id: str) -> None: ...
    def restore_run(self, run_id: str) -> None: ...
    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None: ...
    def delete_tag(self, run_id: str, key: str) -> None: ...
    def get_metric_history(self, run_id: str, key: str) -> list[Metric]: ...
    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> Page: ...

    # artifact trees (owner = run id or logged-model id)
    def put_tree_entries(
        self,
        owner_id: str,
        entries: Sequence[TreeEntry],
        *,
        ensure: Callable[[list[str]], object] | None = None,
    ) -> None: ...
    def list_tree_entries(self, owner_id: str, prefix: str = "") -> list[TreeEntry]: ...
    def delete_tree_entries(self, owner_id: str, prefix: str = "") -> int: ...
    def referenced_digests(self) -> set[str]: ...
