"""``archivist models diff``: what changed between two models."""

from __future__ import annotations

import json

import click

from archivist.cli._output import get_client, json_option, tracking_uri_option

__all__ = ["diff"]


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


@click.command("diff")
@click.argument("uri_a")
@click.argument("uri_b")
@json_option
@tracking_uri_option
def diff(uri_a: str, uri_b: str, as_json: bool, tracking_uri: str | None) -> None:
    """Compare two models: files (added, removed, changed, with sizes), params, metrics,
    signature, requirements and environment. Exit status 0 either way.

    URI_A and URI_B are any model URIs: models:/<name>/<version>, models:/<name>@<alias>,
    models:/<model_id>, runs:/<run_id>/<path>.

    Example:

        archivist models diff models:/iris/1 models:/iris@champion --json
    """
    from archivist.models.diff import diff_models

    d = diff_models(get_client(tracking_uri), uri_a, uri_b)
    if as_json:
        click.echo(json.dumps(d.to_dict(), indent=2, default=str))
        return
    click.echo(f"--- {uri_a}\n+++ {uri_b}")
    if d.identical:
        click.echo("identical")
        return
    click.echo(f"files: {len(d.files_added)} added, {len(d.files_removed)} removed, "
               f"{len(d.files_changed)} changed, {d.files_unchanged} unchanged; "
               f"{_size(d.bytes_different)} different")
    for f in d.files_added:
        click.echo(f"  + {f['path']} ({_size(f['size'])})")
    for f in d.files_removed:
        click.echo(f"  - {f['path']} ({_size(f['size'])})")
    for f in d.files_changed:
        click.echo(f"  ~ {f['path']} ({_size(f['size_a'])} -> {_size(f['size_b'])})")
    for title, changes in (("params", d.params), ("metrics", d.metrics), ("signature", d.signature),
                           ("requirements", d.requirements), ("environment", d.environment)):
        if changes:
            click.echo(f"{title}:")
            for key, (va, vb) in changes.items():
                click.echo(f"  {key}: {va} -> {vb}")
