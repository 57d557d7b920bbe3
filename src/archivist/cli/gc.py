"""``archivist gc``: reclaim blobs no artifact references."""

from __future__ import annotations

import click

from archivist.cli._output import echo_json, get_client, json_option, tracking_uri_option

__all__ = ["gc"]


@click.command("gc")
@click.option(
    "--grace-seconds", type=click.FloatRange(min=0), metavar="SECONDS",
    help="Keep unreferenced blobs written or used less than this long ago (writers running "
    "meanwhile are safe whatever it is)  [default: $ARCHIVIST_GC_GRACE_SECONDS, else 3600].",
)
@click.option("--dry-run", is_flag=True, help="Report what would be deleted; delete nothing.")
@click.option(
    "--purge-deleted-runs", is_flag=True,
    help="First drop the artifact entries of deleted runs, and of deleted logged models no "
    "registered version uses, so blobs only they used are reclaimed too (restoring such a "
    "run brings it back without artifacts).",
)
@click.option(
    "--pending-grace-seconds", type=click.FloatRange(min=0), metavar="SECONDS",
    help="Mark FAILED (and drop the artifacts of) logged models left PENDING this long by a "
    "killed log_model call  [default: the grace period, at least 3600].",
)
@json_option
@tracking_uri_option
def gc(
    grace_seconds: float | None,
    dry_run: bool,
    purge_deleted_runs: bool,
    pending_grace_seconds: float | None,
    as_json: bool,
    tracking_uri: str | None,
) -> None:
    """Delete stored blobs that no artifact references.

    Safe to run while other processes log artifacts, whatever the grace period: a
    blob is only deleted while no artifact commit is under way, and a commit stores
    again any blob gc took. Also removes temporary files that crashed writers left
    behind (never one a live writer holds), the archivist-save-* folders of killed
    log_model calls, and marks FAILED the logged models such calls left PENDING.

    Example:

        archivist gc --dry-run && archivist gc --purge-deleted-runs
    """
    from archivist.maintenance.gc import gc as run_gc

    client = get_client(tracking_uri)
    report = run_gc(
        client.tracking_store,
        client.artifact_store.blobs,
        grace_seconds,
        dry_run,
        purge_deleted_runs=purge_deleted_runs,
        pending_grace_seconds=pending_grace_seconds,
    )
    if as_json:
        echo_json(report.to_dict())
        return
    verb = "would delete" if dry_run else "deleted"
    if purge_deleted_runs:
        purge_verb = "would drop" if dry_run else "dropped"
        click.echo(
            f"{purge_verb} {report.entries_purged} artifact entr{'y' if report.entries_purged == 1 else 'ies'} "
            f"of {report.runs_purged} deleted run(s) and {report.models_purged} deleted "
            "logged model(s)"
        )
    click.echo(
        f"{verb} {report.deleted} unreferenced blob(s), {report.bytes_freed} bytes; "
        f"kept {report.referenced} referenced and {report.kept_recent} recent "
        f"(grace {report.grace_seconds:g}s) of {report.blobs} blob(s)"
    )
    if report.packs_deleted or report.packs_repacked:
        click.echo(
            f"{verb} {report.packs_deleted} unused chunk pack(s); "
            f"{'would repack' if dry_run else 'repacked'} {report.packs_repacked} mostly unused"
        )
    if not dry_run and report.tmp_removed:
        click.echo(f"removed {report.tmp_removed} stale temporary file(s)")
    if report.save_dirs_removed:
        click.echo(
            f"{'would remove' if dry_run else 'removed'} {report.save_dirs_removed} "
            "archivist-save-* folder(s) of killed log_model calls"
        )
    if report.pending_models_failed:
        click.echo(
            f"{'would mark' if dry_run else 'marked'} FAILED {len(report.pending_models_failed)} "
            f"logged model(s) left PENDING: {', '.join(report.pending_models_failed)}"
        )
