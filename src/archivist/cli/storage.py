"""``archivist storage``: logical vs stored bytes, for the store and per experiment."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from archivist.cli._output import (
    echo_json,
    echo_table,
    get_client,
    json_option,
    tracking_uri_option,
)

if TYPE_CHECKING:
    from archivist.maintenance.storage import Usage

__all__ = ["storage"]


@click.command("storage")
@json_option
@tracking_uri_option
def storage(as_json: bool, tracking_uri: str | None) -> None:
    """Show logical bytes vs stored bytes: what dedup and compression save.

    Logical bytes add up every artifact file (the same file in 100 runs counts 100
    times); unique bytes count each distinct content once; stored bytes are what the
    blob store holds for them after compression. One line for the whole store, then one
    per experiment (a content shared by experiments counts in each).

    Example:

        archivist storage --json
    """
    from archivist.maintenance.storage import storage_report

    client = get_client(tracking_uri)
    report = storage_report(client.tracking_store, client.artifact_store.blobs)  # type: ignore[arg-type]
    if as_json:
        echo_json(report.to_dict())
        return
    columns = ["experiment_id", "name", "files", "blobs", "logical_bytes", "unique_bytes",
               "stored_bytes", "dedup_saved", "compression_saved", "ratio"]

    def row(eid: str, name: str, u: Usage) -> list[object]:
        d = u.to_dict()
        return [eid, name, *(d[c] for c in columns[2:])]

    rows = [row("", "(store)", report.store)]
    rows += [row(e.experiment_id, e.name, e.usage) for e in report.experiments]
    echo_table(columns, rows, title="storage")
