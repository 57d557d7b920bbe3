"""``archivist verify``: fsck for artifacts."""

from __future__ import annotations

import click

from archivist.cli._output import echo_json, get_client, json_option, tracking_uri_option

__all__ = ["verify"]


@click.command("verify")
@json_option
@tracking_uri_option
@click.pass_context
def verify(ctx: click.Context, as_json: bool, tracking_uri: str | None) -> None:
    """Check that every artifact's bytes are present and intact.

    Reads every referenced blob once and checks its digest and size against the
    artifact entries. Prints one line per affected artifact and exits with status 1
    when anything is missing or corrupted; 0 otherwise.

    Example:

        archivist verify --tracking-uri sqlite:///store/archivist.db
    """
    from archivist.maintenance.verify import verify as run_verify

    client = get_client(tracking_uri)
    report = run_verify(client.tracking_store, client.artifact_store.blobs)
    if as_json:
        echo_json(report.to_dict())
    else:
        for line in report.problems():
            click.echo(line)
        status = "OK" if report.ok else f"{report.problem_count} problem(s)"
        click.echo(
            f"{status}: checked {report.entries} artifact file(s) in {report.blobs} blob(s), "
            f"{report.bytes_read} bytes; {report.unreferenced} unreferenced blob(s)"
            + (" ('archivist gc' reclaims them)" if report.unreferenced else "")
        )
    if not report.ok:
        ctx.exit(1)
