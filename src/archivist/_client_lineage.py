"""Datasets, inputs and lineage on :class:`~archivist.client.ArchivistClient` (a mixin)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from archivist.entities import Dataset, DatasetInput, InputTag, LoggedModelInput
from archivist.entities.dataset import CONTEXT_TAG
from archivist.errors import InvalidArgument

if TYPE_CHECKING:
    from archivist.data import Dataset as DataDataset
    from archivist.entities.lineage import LineageGraph
    from archivist.stores.tracking.sql import SqlTrackingStore

__all__ = ["DatasetClientMixin", "check_derived_from"]

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:/")


def check_derived_from(store: SqlTrackingStore, derived_from: Sequence[str] | str | None) -> list[str]:
    """Canonical URIs for ``derived_from`` (names resolved), or an error naming the bad one."""
    if derived_from is None:
        return []
    if isinstance(derived_from, str):
        derived_from = [derived_from]
    from archivist.stores.lineage import ACCEPTED, normalize_uri

    out = []
    for uri in derived_from:
        if not isinstance(uri, str) or not _SCHEME.match(uri):
            raise InvalidArgument(
                f"derived_from entry {uri!r} is not a URI; use {ACCEPTED}, or an outside "
                "location such as s3://bucket/raw.csv"
            )
        if uri.startswith(("datasets:/", "runs:/", "models:/")):
            out.append(normalize_uri(store, uri))
        else:
            out.append(uri)
    return out


class DatasetClientMixin:
    """``log_input(s)``, ``search_datasets``, ``get_dataset``, ``lineage``, ``add_lineage``."""

    _tracking: SqlTrackingStore

    def log_inputs(
        self,
        run_id: str,
        datasets: Sequence[DatasetInput] | None = None,
        models: Sequence[LoggedModelInput] | None = None,
    ) -> None:
        """Record that run ``run_id`` used these datasets and logged models (MLflow's call)."""
        self._tracking.log_inputs(run_id, datasets, models)

    def log_input(
        self,
        run_id: str,
        dataset: DataDataset,
        context: str | None = None,
        tags: dict[str, Any] | None = None,
    ) -> Dataset:
        """Log ``dataset`` (from :mod:`archivist.data`) as an input of the run.

        Returns the stored dataset (with its ``dataset_id``); a ``derived_from`` given when
        the dataset was made is recorded as lineage.
        """
        from archivist.data import Dataset as DataDataset

        if not isinstance(dataset, DataDataset):
            raise InvalidArgument(
                f"log_input expects a dataset from archivist.data (from_pandas, from_numpy, "
                f"from_path), got {type(dataset).__name__}"
            )
        parents = check_derived_from(self._tracking, dataset.derived_from)
        input_tags = [InputTag(str(k), str(v)) for k, v in (tags or {}).items()]
        if context is not None:
            input_tags.append(InputTag(CONTEXT_TAG, str(context)))
        entity = dataset.to_entity()
        self._tracking.log_inputs(run_id, [DatasetInput(entity, input_tags)])
        stored = next(d for d in self._tracking.find_datasets(entity.name, entity.digest)
                      if d.digest == entity.digest)
        if parents:
            self._tracking.add_lineage(stored.uri, parents, run_id)
        return stored

    def get_dataset(self, dataset_id: str) -> Dataset:
        return self._tracking.get_dataset(dataset_id)

    def search_datasets(
        self,
        experiment_ids: Sequence[str] | str | None = None,
        *,
        name: str | None = None,
        digest: str | None = None,
        context: str | None = None,
        max_results: int = 1000,
    ) -> list[Dataset]:
        """Datasets by name (SQL LIKE), digest prefix, experiments that used them, context."""
        ids = [experiment_ids] if isinstance(experiment_ids, str) else experiment_ids
        found = self._tracking.search_datasets(
            None if ids is None else [str(i) for i in ids],
            name=name, digest=digest, context=context, max_results=max_results,
        )
        return [d for d, _, _ in found]

    def add_lineage(
        self, uri: str, derived_from: Sequence[str] | str, run_id: str | None = None
    ) -> None:
        """Record that ``uri`` (an artifact, dataset, model...) was made from ``derived_from``."""
        child = check_derived_from(self._tracking, [uri])[0]
        parents = check_derived_from(self._tracking, derived_from)
        if not parents:
            raise InvalidArgument("add_lineage needs at least one derived_from URI")
        self._tracking.add_lineage(child, parents, run_id)

    def lineage(self, uri: str, *, direction: str = "both", depth: int = 10) -> LineageGraph:
        """Upstream and downstream of ``uri`` as a :class:`~archivist.entities.lineage.LineageGraph`.

        Example:
            >>> g = client.lineage("datasets:/train")
            >>> [n.label for n in g.registered_versions()]   # versions trained on it
        """
        from archivist.stores.lineage import lineage_graph

        return lineage_graph(self._tracking, uri, direction=direction, depth=depth)
