"""``archivist push`` and ``archivist pull``: copy runs between a local store and a server."""

from __future__ import annotations

from typing import Any

import click

from archivist.cli._output import echo_json, get_client, json_option, tracking_uri_option

__all__ = ["pull", "push"]


def _selection(run_ids: tuple[str, ...], experiments: tuple[str, ...], everything: bool) -> Any:
    from archivist.sync import Selection

    return Selection(run_ids=run_ids, experiment_names=experiments, everything=everything)


def _report(report: Any, as_json: bool, where: str) -> None:
    if as_json:
        echo_json(report.as_dict())
        return
    if not report.changed():
        click.echo(f"{where} already has all {report.runs_seen} run(s); nothing was sent")
        return
    mib = report.bytes_sent / (1 << 20)
    click.echo(
        f"{report.runs_created} run(s) created and {report.runs_updated} updated in {where} "
        f"({report.runs_seen} seen): {report.params_sent} params, {report.metrics_sent} metric "
        f"points, {report.tags_sent} tags, {report.entries_sent} artifact entries, "
        f"{report.blobs_sent} blob(s) sent ({mib:.1f} MiB), {report.models_created} logged "
        f"model(s), {report.versions_created} model version(s)"
    )


def _options(f: Any) -> Any:
    f = click.option("--all", "everything", is_flag=True, help="Every experiment, run, logged "
                     "model and registered model.")(f)
    f = click.option("--experiment", "experiments", multiple=True, metavar="NAME",
                     help="The runs of this experiment (repeatable).")(f)
    f = click.option("--run", "run_ids", multiple=True, metavar="ID",
                     help="This run (repeatable), with its logged models and versions.")(f)
    return f


@click.command("push")
@_options
@click.option("--to", "to", required=True, metavar="URL",
              help="The store to copy to: a server http(s)://host:port (or any tracking URI).")
@json_option
@tracking_uri_option
def push(
    run_ids: tuple[str, ...], experiments: tuple[str, ...], everything: bool, to: str,
    as_json: bool, tracking_uri: str | None,
) -> None:
    """Copy runs logged offline to a server (or another store).

    Copies runs with their full metric history, params, tags and artifacts, their logged
    models and registry entries. Pushing again sends nothing new; an interrupted push is
    finished by running it again; only blobs the server lacks are sent. A run id that exists
    there with other content is an error, never overwritten.

    Examples:

        archivist push --all --to http://tracking:5000

        archivist push --experiment baseline --to http://tracking:5000

        archivist push --run 3f2a... --tracking-uri ./offline-store --to http://tracking:5000
    """
    from archivist.client import ArchivistClient
    from archivist.sync import transfer

    selection = _selection(run_ids, experiments, everything)
    src = get_client(tracking_uri)
    report = transfer(src, ArchivistClient(to), selection)
    _report(report, as_json, to)


@click.command("pull")
@_options
@click.option("--from", "source", required=True, metavar="URL",
              help="The store to copy from: a server http(s)://host:port (or any tracking URI).")
@json_option
@tracking_uri_option
def pull(
    run_ids: tuple[str, ...], experiments: tuple[str, ...], everything: bool, source: str,
    as_json: bool, tracking_uri: str | None,
) -> None:
    """Copy runs from a server (or another store) into the local store.

    The same copy as ``push``, the other way: idempotent, resumable, only missing blobs are
    fetched, conflicts are errors.

    Examples:

        archivist pull --experiment baseline --from http://tracking:5000

        archivist pull --run 3f2a... --from http://tracking:5000 --tracking-uri ./here
    """
    from archivist.client import ArchivistClient
    from archivist.sync import transfer

    selection = _selection(run_ids, experiments, everything)
    dst = get_client(tracking_uri)
    report = transfer(ArchivistClient(source), dst, selection)
    _report(report, as_json, dst.tracking_uri)
