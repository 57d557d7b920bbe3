"""``archivist verify``: fsck for artifacts."""

from __future__ import annotations

import click

from archivist.cli._output import echo_json, get_client, json_option, tracking_uri_option

__all__ = ["verify"]


@click.command("verify")
@click.option(
    "--repair-from", metavar="URI",
    help="Restore missing or damaged blobs from another store that holds the same digests "
    "(a folder, file:// or s3:// URI), then check again.",
)
@click.option(
    "--no-quarantine", is_flag=True,
    help="Leave corrupted blobs in place instead of moving them to the store's quarantine.",
)
@json_option
@tracking_uri_option
@click.pass_context
def verify(
    ctx: click.Context,
    repair_from: str | None,
    no_quarantine: bool,
    as_json: bool,
    tracking_uri: str | None,
) -> None:
    """Check that every artifact's bytes are present and intact.

    Reads every referenced blob once and checks its digest and size against the
    artifact entries. Prints one line per affected artifact (run or logged model, and
    path) and exits with status 1 when anything is missing or corrupted; 0 otherwise.
    A corrupted blob is moved to the store's quarantine folder; logging the same file
    again (to any run) then stores a good copy and repairs every artifact that used it.

    Example:

        archivist verify --tracking-uri sqlite:///store/archivist.db

        archivist verify --repair-from s3://backup-bucket/archivist
    """
    from archivist.maintenance.verify import verify as run_verify

    client = get_client(tracking_uri)
    quarantine = not no_quarantine
    report = run_verify(client.tracking_store, client.artifact_store.blobs, quarantine=quarantine)
    repair = None
    if repair_from is not None:
        from archivist.maintenance.repair import damaged_digests, open_source, repair_blobs

        source = open_source(repair_from)
        if not report.ok:
            repair = repair_blobs(client.artifact_store.blobs, source, damaged_digests(report))
            if repair.repaired:
                report = run_verify(
                    client.tracking_store, client.artifact_store.blobs, quarantine=quarantine
                )
    if as_json:
        out = report.to_dict()
        if repair is not None:
            out["repair"] = repair.to_dict()
        echo_json(out)
    else:
        if repair is not None:
            for line in repair.lines():
                click.echo(line)
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
