"""``archivist datasets``: list and search the datasets runs used."""

from __future__ import annotations

import json

import click

from archivist.cli._output import (
    echo_json,
    echo_table,
    get_client,
    json_option,
    tracking_uri_option,
)

__all__ = ["datasets"]


@click.group()
def datasets() -> None:
    """List and search the datasets runs used."""


@datasets.command("list")
@click.option("--name", help="Name, or a SQL LIKE pattern such as 'iris%'.")
@click.option("--digest", help="A digest or its beginning.")
@click.option("--context", help="Only datasets used in this context (training, test...).")
@click.option("--experiment-id", "experiment_ids", multiple=True,
              help="Only datasets used by runs of this experiment (repeatable).")
@click.option("--max-results", type=click.IntRange(1, 50_000), default=1000, show_default=True,
              help="List at most this many datasets, newest first.")
@json_option
@tracking_uri_option
def list_datasets(
    name: str | None, digest: str | None, context: str | None, experiment_ids: tuple[str, ...],
    max_results: int, as_json: bool, tracking_uri: str | None,
) -> None:
    """List datasets: id, name, digest, source, rows, and where they were used.

    Example:

        archivist datasets list --name 'iris%' --context training --json
    """
    client = get_client(tracking_uri)
    found = client.tracking_store.search_datasets(
        list(experiment_ids) or None, name=name, digest=digest, context=context,
        max_results=max_results,
    )
    if as_json:
        echo_json([
            {"dataset_id": d.dataset_id, "uri": d.uri, "name": d.name, "digest": d.digest,
             "source_type": d.source_type, "source": json.loads(d.source or "{}"),
             "schema": json.loads(d.schema) if d.schema else None,
             "profile": json.loads(d.profile) if d.profile else None,
             "experiment_ids": exps, "contexts": ctxs}
            for d, exps, ctxs in found
        ])
        return
    rows = []
    for d, exps, ctxs in found:
        profile = json.loads(d.profile) if d.profile else {}
        rows.append((d.dataset_id, d.name, d.digest[:23], d.source_type,
                     profile.get("num_rows", ""), ",".join(exps), ",".join(ctxs)))
    echo_table(("dataset_id", "name", "digest", "source_type", "rows", "experiments", "contexts"), rows)
