"""``archivist runs``: list runs and show what one holds."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from archivist.cli._output import (
    echo_json,
    echo_pairs,
    echo_table,
    format_time,
    get_client,
    json_option,
    to_jsonable,
    tracking_uri_option,
)
from archivist.cli.experiments import VIEWS
from archivist.entities import Run, ViewType
from archivist.errors import ResourceNotFound

if TYPE_CHECKING:
    from archivist.client import ArchivistClient

__all__ = ["runs"]

_PAGE = 1000


@click.group()
def runs() -> None:
    """List runs and show what a run holds."""


def _experiment_ids(
    client: ArchivistClient, ids: tuple[str, ...], names: tuple[str, ...], view: ViewType
) -> list[str]:
    if not ids and not names:
        scope = ViewType.ACTIVE_ONLY if view is ViewType.ACTIVE_ONLY else ViewType.ALL
        found: list[str] = []
        token: str | None = None
        while True:
            page = client.search_experiments(scope, _PAGE, page_token=token)
            found.extend(e.experiment_id for e in page)
            token = page.token
            if token is None:
                return found
    out = [client.get_experiment(i).experiment_id for i in ids]
    for name in names:
        exp = client.get_experiment_by_name(name)
        if exp is None:
            raise ResourceNotFound(
                f"experiment named {name!r} does not exist in {client.tracking_uri}; list "
                "experiments with 'archivist experiments list --view all'"
            )
        out.append(exp.experiment_id)
    return list(dict.fromkeys(out))


@runs.command("list")
@click.option(
    "--experiment-id", "experiment_ids", multiple=True, metavar="ID",
    help="Only runs of this experiment (repeatable) [default: every experiment].",
)
@click.option(
    "--experiment-name", "experiment_names", multiple=True, metavar="NAME",
    help="Only runs of the experiment with this name (repeatable).",
)
@click.option(
    "--filter", "filter_string", default="", metavar="FILTER",
    help="Search filter, as in MLflow: \"metrics.acc > 0.9 and params.lr = '0.1'\".",
)
@click.option(
    "--order-by", multiple=True, metavar="CLAUSE",
    help="Sort key such as 'metrics.acc DESC' (repeatable) [default: newest first].",
)
@click.option(
    "--max-results", type=click.IntRange(min=1), default=1000, show_default=True,
    help="List at most this many runs.",
)
@click.option(
    "--view", type=click.Choice(sorted(VIEWS)), default="active", show_default=True,
    help="Which runs to list, by lifecycle stage.",
)
@json_option
@tracking_uri_option
def list_runs(
    experiment_ids: tuple[str, ...],
    experiment_names: tuple[str, ...],
    filter_string: str,
    order_by: tuple[str, ...],
    max_results: int,
    view: str,
    as_json: bool,
    tracking_uri: str | None,
) -> None:
    """List runs: id, experiment, name, status, start time.

    Example:

        archivist runs list --experiment-name baseline --filter "metrics.acc > 0.9"
        --order-by "metrics.acc DESC" --max-results 5
    """
    client = get_client(tracking_uri)
    view_type = VIEWS[view]
    ids = _experiment_ids(client, experiment_ids, experiment_names, view_type)
    found: list[Run] = []
    token: str | None = None
    while ids and len(found) < max_results:
        page = client.search_runs(
            ids, filter_string, view_type, min(_PAGE, max_results - len(found)),
            list(order_by) or None, token,
        )
        found.extend(page)
        token = page.token
        if token is None:
            break
    if as_json:
        echo_json(found)
        return
    echo_table(
        ("run_id", "experiment_id", "run_name", "status", "start_time"),
        [
            (r.info.run_id, r.info.experiment_id, r.info.run_name, r.info.status,
             format_time(r.info.start_time))
            for r in found
        ],
    )


@runs.command("show")
@click.argument("run_id")
@json_option
@tracking_uri_option
def show_run(run_id: str, as_json: bool, tracking_uri: str | None) -> None:
    """Show RUN_ID: its info, params, latest metrics, tags and artifact files.

    Example:

        archivist runs show 3f2a9c0e5b7d4e1f8a6b2c9d0e1f2a3b --json
    """
    client = get_client(tracking_uri)
    run = client.get_run(run_id)
    entries = client.artifact_store.entries(run_id)
    if as_json:
        doc: dict[str, Any] = to_jsonable(run)
        doc["artifacts"] = [{"path": e.path, "size": e.size, "digest": e.digest} for e in entries]
        echo_json(doc)
        return
    info = run.info
    echo_pairs(
        [
            ("run_id", info.run_id),
            ("run_name", info.run_name),
            ("experiment_id", info.experiment_id),
            ("status", info.status),
            ("lifecycle_stage", info.lifecycle_stage),
            ("user_id", info.user_id),
            ("start_time", format_time(info.start_time)),
            ("end_time", format_time(info.end_time)),
            ("artifact_uri", info.artifact_uri),
        ],
        title="run",
    )
    sections: list[tuple[str, list[tuple[str, Any]]]] = [
        ("params", sorted(run.data.params.items())),
        ("metrics", sorted(run.data.metrics.items())),
        ("tags", sorted(run.data.tags.items())),
    ]
    for title, pairs in sections:
        echo_pairs(pairs, title=title)
    echo_pairs([(e.path, e.size) for e in entries], title="artifacts", columns=("path", "bytes"))
