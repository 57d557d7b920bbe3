"""``archivist experiments``: list and create experiments."""

from __future__ import annotations

import click

from archivist.cli._output import (
    echo_json,
    echo_table,
    format_time,
    get_client,
    json_option,
    tracking_uri_option,
)
from archivist.entities import Experiment, ViewType

__all__ = ["VIEWS", "experiments"]

#: --view choices -> the lifecycle stages they select
VIEWS: dict[str, ViewType] = {
    "active": ViewType.ACTIVE_ONLY,
    "deleted": ViewType.DELETED_ONLY,
    "all": ViewType.ALL,
}


@click.group()
def experiments() -> None:
    """List and create experiments."""


@experiments.command("list")
@click.option(
    "--view",
    type=click.Choice(sorted(VIEWS)),
    default="active",
    show_default=True,
    help="Which experiments to list, by lifecycle stage.",
)
@json_option
@tracking_uri_option
def list_experiments(view: str, as_json: bool, tracking_uri: str | None) -> None:
    """List experiments: id, name, lifecycle stage, creation time.

    Example:

        archivist experiments list --view all --json
    """
    client = get_client(tracking_uri)
    found: list[Experiment] = []
    token: str | None = None
    while True:
        page = client.search_experiments(VIEWS[view], 1000, page_token=token)
        found.extend(page)
        token = page.token
        if token is None:
            break
    if as_json:
        echo_json(found)
        return
    echo_table(
        ("experiment_id", "name", "lifecycle_stage", "created", "artifact_location"),
        [
            (e.experiment_id, e.name, e.lifecycle_stage, format_time(e.creation_time), e.artifact_location)
            for e in found
        ],
    )


@experiments.command("create")
@click.argument("name")
@click.option(
    "--artifact-location",
    metavar="URI",
    help="Artifact location recorded for the experiment [default: mlflow-artifacts:/<id>].",
)
@tracking_uri_option
def create_experiment(name: str, artifact_location: str | None, tracking_uri: str | None) -> None:
    """Create an experiment called NAME and print its id.

    Example:

        EXP=$(archivist experiments create baseline)
    """
    click.echo(get_client(tracking_uri).create_experiment(name, artifact_location))
