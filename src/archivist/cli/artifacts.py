"""``archivist artifacts``: list, download and log a run's artifacts."""

from __future__ import annotations

from pathlib import Path

import click

from archivist.cli._output import (
    echo_json,
    echo_table,
    get_client,
    json_option,
    tracking_uri_option,
)
from archivist.paths import join, validate_artifact_path

__all__ = ["artifacts"]


@click.group()
def artifacts() -> None:
    """List, download and log a run's artifacts."""


@artifacts.command("list")
@click.argument("run_id")
@click.argument("path", required=False, default="")
@click.option(
    "-r", "--recursive", is_flag=True,
    help="List every file below PATH (with its digest) instead of PATH's immediate children.",
)
@json_option
@tracking_uri_option
def list_artifacts(
    run_id: str, path: str, recursive: bool, as_json: bool, tracking_uri: str | None
) -> None:
    """List the artifacts of RUN_ID under PATH (default: the artifact root).

    Folders are listed with an empty size; a PATH naming a file lists nothing, as in MLflow.

    Example:

        archivist artifacts list 3f2a9c0e5b7d4e1f8a6b2c9d0e1f2a3b model
    """
    client = get_client(tracking_uri)
    if recursive:
        client.get_run(run_id)
        entries = client.artifact_store.entries(run_id, path)
        if as_json:
            echo_json([{"path": e.path, "is_dir": False, "file_size": e.size, "digest": e.digest}
                       for e in entries])
        else:
            echo_table(("path", "size", "digest"), [(e.path, e.size, e.digest) for e in entries])
        return
    infos = client.list_artifacts(run_id, path or None)
    if as_json:
        echo_json(infos)
        return
    echo_table(
        ("path", "type", "size"),
        [(f.path, "dir" if f.is_dir else "file", f.file_size) for f in infos],
    )


@artifacts.command("download")
@click.argument("run_id")
@click.argument("path", required=False, default="")
@click.option(
    "-d", "--dst-path", "dst_path", metavar="DIR",
    help="Directory to download into (created if needed) [default: a new temporary directory].",
)
@click.option(
    "--link", is_flag=True,
    help="Hardlink files out of a local store instead of copying them (they are then "
    "read-only and share the store's bytes).",
)
@tracking_uri_option
def download_artifacts(
    run_id: str, path: str, dst_path: str | None, link: bool, tracking_uri: str | None
) -> None:
    """Download PATH (a file or folder; default: everything) of RUN_ID and print where it is.

    Every file's bytes are checked against its digest on the way out.

    Example:

        archivist artifacts download 3f2a9c0e5b7d4e1f8a6b2c9d0e1f2a3b model -d ./out
    """
    client = get_client(tracking_uri)
    click.echo(client.download_artifacts(run_id, path, dst_path, link=link))


@artifacts.command("log")
@click.argument("run_id")
@click.argument("local_path")
@click.option(
    "--artifact-path", metavar="PATH",
    help="Folder inside the run's artifact root to log into [default: the root].",
)
@tracking_uri_option
def log_artifacts(
    run_id: str, local_path: str, artifact_path: str | None, tracking_uri: str | None
) -> None:
    """Log LOCAL_PATH to RUN_ID and print the artifact's runs:/ URI.

    A file lands at ARTIFACT_PATH/<file name>; a directory's contents land under
    ARTIFACT_PATH. Content already stored (by any run) is not stored again.

    Example:

        archivist artifacts log 3f2a9c0e5b7d4e1f8a6b2c9d0e1f2a3b ./plots --artifact-path plots
    """
    client = get_client(tracking_uri)
    base = validate_artifact_path(artifact_path)
    client.get_run(run_id)  # fail before uploading anything
    source = Path(local_path)
    if source.is_dir():
        client.log_artifacts(run_id, source, base or None)
        dest = base
    else:
        client.log_artifact(run_id, source, base or None)
        dest = join(base, source.name)
    click.echo(f"runs:/{run_id}/{dest}")
