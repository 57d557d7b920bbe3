"""``archivist lineage``: what a dataset, run, artifact or model came from and led to."""

from __future__ import annotations

import click

from archivist.cli._output import echo_json, echo_table, get_client, tracking_uri_option

__all__ = ["lineage"]


@click.command()
@click.argument("uri")
@click.option(
    "--format", "fmt", type=click.Choice(["tree", "json", "dot", "mermaid"]), default="tree",
    show_default=True, help="tree for reading; json for tools; dot (Graphviz) or mermaid to draw.",
)
@click.option(
    "--direction", type=click.Choice(["up", "down", "both"]), default="both", show_default=True,
    help="Follow upstream (what it came from), downstream (what came from it), or both.",
)
@click.option("--depth", type=click.IntRange(0), default=10, show_default=True,
              help="How many steps to follow in each direction.")
@click.option(
    "--registered-versions", is_flag=True,
    help="Only list the registered model versions downstream of URI (e.g. trained on a dataset).",
)
@tracking_uri_option
def lineage(
    uri: str, fmt: str, direction: str, depth: int, registered_versions: bool,
    tracking_uri: str | None,
) -> None:
    """Print the lineage of URI: upstream and downstream, as a tree or a graph.

    URI is a dataset (datasets:/<id> or datasets:/<name>[/<digest prefix>]), a run
    (runs:/<run_id> or the bare id), an artifact (runs:/<run_id>/<path>), a logged model
    (models:/m-...), a model version (models:/<name>/<version>) or an alias
    (models:/<name>@<alias>).

    Examples:

        archivist lineage models:/iris@champion

        archivist lineage datasets:/train --format mermaid

        # which registered model versions were trained on this dataset version?
        archivist lineage datasets:/train/blake3:3f2a --registered-versions
    """
    client = get_client(tracking_uri)
    if registered_versions:
        graph = client.lineage(uri, direction="down", depth=depth)
        versions = graph.registered_versions()
        if fmt == "json":
            echo_json([{"name": v.attrs["name"], "version": v.attrs["version"], "uri": v.uri}
                       for v in versions])
            return
        echo_table(("name", "version", "uri"),
                   [(v.attrs["name"], v.attrs["version"], v.uri) for v in versions])
        return
    graph = client.lineage(uri, direction=direction, depth=depth)
    if fmt == "json":
        click.echo(graph.to_json())
    elif fmt == "dot":
        click.echo(graph.to_dot(), nl=False)
    elif fmt == "mermaid":
        click.echo(graph.to_mermaid(), nl=False)
    else:
        click.echo(graph.to_tree(), nl=False)
