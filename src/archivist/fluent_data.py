"""Fluent calls for datasets and lineage, on the default client (``archivist.<name>``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from archivist.entities import Dataset, LoggedModelInput
from archivist.errors import InvalidArgument
from archivist.fluent import _client, _run_id_or_start

if TYPE_CHECKING:
    from archivist.data import Dataset as DataDataset
    from archivist.entities.lineage import LineageGraph

__all__ = ["add_lineage", "lineage", "log_input", "log_inputs", "search_datasets"]


def log_input(
    dataset: DataDataset,
    context: str | None = None,
    tags: dict[str, Any] | None = None,
    model: LoggedModelInput | None = None,
    *,
    run_id: str | None = None,
) -> Dataset:
    """Log a dataset as an input of the active run (starting one if needed).

    Args:
        dataset: from :func:`archivist.data.from_pandas`, ``from_numpy`` or ``from_path``.
        context: how it was used: ``"training"``, ``"validation"``, ``"test"``...
        tags: input tags (the context is stored as the tag ``mlflow.data.context``).
        model: a logged model the run also used.

    Returns:
        The stored dataset, with ``dataset_id`` (its lineage URI is ``datasets:/<id>``).

    Example:
        >>> ds = archivist.data.from_pandas(df, source="train.csv", name="train", targets="y")
        >>> archivist.log_input(ds, context="training")
    """
    client = _client()
    rid = _run_id_or_start(run_id)
    stored = client.log_input(rid, dataset, context, tags)
    if model is not None:
        client.log_inputs(rid, models=[model])
    return stored


def log_inputs(
    datasets: Sequence[DataDataset] | None = None,
    contexts: Sequence[str | None] | None = None,
    tags_list: Sequence[dict[str, Any] | None] | None = None,
    models: Sequence[LoggedModelInput] | None = None,
) -> None:
    """Log several datasets (with matching contexts and tags) and logged models at once."""
    datasets = list(datasets or [])
    for what, seq in (("contexts", contexts), ("tags_list", tags_list)):
        if seq is not None and len(seq) != len(datasets):
            raise InvalidArgument(
                f"log_inputs: {what} has {len(seq)} entries for {len(datasets)} datasets; "
                "give one per dataset (None where there is none)"
            )
    for i, ds in enumerate(datasets):
        log_input(ds, None if contexts is None else contexts[i],
                  None if tags_list is None else tags_list[i])
    if models:
        _client().log_inputs(_run_id_or_start(), models=list(models))


def search_datasets(
    experiment_ids: Sequence[str] | str | None = None,
    *,
    name: str | None = None,
    digest: str | None = None,
    context: str | None = None,
    max_results: int = 1000,
) -> list[Dataset]:
    """Datasets by name (SQL LIKE pattern), digest prefix, experiments and context."""
    return _client().search_datasets(
        experiment_ids, name=name, digest=digest, context=context, max_results=max_results
    )


def lineage(uri: str, *, direction: str = "both", depth: int = 10) -> LineageGraph:
    """Upstream and downstream of a dataset, run, artifact, logged model or model version.

    Example:
        >>> g = archivist.lineage("datasets:/train")
        >>> [v.label for v in g.registered_versions()]   # versions trained on this data
        >>> print(g.to_tree()); print(g.to_mermaid())
    """
    return _client().lineage(uri, direction=direction, depth=depth)


def add_lineage(uri: str, derived_from: Sequence[str] | str, run_id: str | None = None) -> None:
    """Record that ``uri`` was made from ``derived_from`` (URIs)."""
    _client().add_lineage(uri, derived_from, run_id)
