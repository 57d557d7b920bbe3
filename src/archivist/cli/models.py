"""``archivist models``: serve and predict with a model; list, show, register and alias them."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
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
from archivist.errors import missing

if TYPE_CHECKING:
    from archivist.client import ArchivistClient
    from archivist.entities.registry import ModelVersion, RegisteredModel
    from archivist.flavors.pyfunc import PyFuncModel

__all__ = ["models"]

_PAGE = 1000
_CONTENT_TYPES = {"json": "application/json", "csv": "text/csv"}
_MODEL_URI_HELP = (
    "The model: models:/<name>/<version>, models:/<name>@<alias>, models:/<name>/latest, "
    "models:/<model_id>, runs:/<run_id>/<name>, or a local directory holding an MLmodel file."
)


@click.group()
def models() -> None:
    """Serve, predict with, list, register and alias models."""


def _load_model(model_uri: str, tracking_uri: str | None, dst: str) -> PyFuncModel:
    """Load ``model_uri`` into ``dst``; a store is opened only for models:/ and runs:/ URIs."""
    from archivist.flavors.pyfunc import load_from_dir
    from archivist.models.model import Model
    from archivist.models.resolve import resolve_model_uri

    client = get_client(tracking_uri) if model_uri.startswith(("models:", "runs:")) else None
    resolved = resolve_model_uri(model_uri, client, dst)
    return load_from_dir(resolved.local_dir, Model.load(resolved.local_dir))


# ------------------------------------------------------------------------ scoring
@models.command("serve")
@click.option("-m", "--model-uri", required=True, metavar="URI", help=_MODEL_URI_HELP)
@click.option(
    "--host", default="127.0.0.1", show_default=True,
    help="Address to listen on; 0.0.0.0 exposes the model to the network.",
)
@click.option(
    "-p", "--port", type=click.IntRange(1, 65535), default=5001, show_default=True,
    help="Port to listen on.",
)
@tracking_uri_option
def serve(model_uri: str, host: str, port: int, tracking_uri: str | None) -> None:
    """Serve a model over HTTP with MLflow's scoring protocol.

    The model is loaded once; POST /invocations is answered with {"predictions": ...},
    and GET /ping, /health and /version report on the server. Bodies are JSON with one
    of dataframe_split, dataframe_records, instances or inputs (and optional params), or
    CSV with a header line.

    Example:

        archivist models serve -m models:/iris@champion --port 5001

        curl -H 'Content-Type: application/json' -d '{"inputs": [[5.1, 3.5, 1.4, 0.2]]}'
        http://127.0.0.1:5001/invocations
    """
    try:
        import starlette  # noqa: F401
        import uvicorn
    except ImportError as e:
        raise missing(e.name or "uvicorn", "server", "archivist models serve") from None
    from archivist.serving import create_app

    with tempfile.TemporaryDirectory(prefix="archivist-serve-") as tmp:
        app = create_app(_load_model(model_uri, tracking_uri, tmp))
        click.echo(f"serving {model_uri} at http://{host}:{port}/invocations", err=True)
        uvicorn.run(app, host=host, port=port)


@models.command("predict")
@click.option("-m", "--model-uri", required=True, metavar="URI", help=_MODEL_URI_HELP)
@click.option(
    "-i", "--input-path", required=True, metavar="FILE",
    type=click.Path(exists=True, dir_okay=False, readable=True),
    help="Input file: a JSON body as POSTed to /invocations, or a CSV table with a header.",
)
@click.option(
    "-o", "--output-path", metavar="FILE", type=click.Path(dir_okay=False, writable=True),
    help="Write {\"predictions\": ...} to this file [default: stdout].",
)
@click.option(
    "-t", "--content-type", type=click.Choice(sorted(_CONTENT_TYPES)),
    help="Format of the input file [default: csv for a .csv file, else json].",
)
@tracking_uri_option
def predict(
    model_uri: str,
    input_path: str,
    output_path: str | None,
    content_type: str | None,
    tracking_uri: str | None,
) -> None:
    """Predict on an input file, as the scoring server would.

    The input is parsed exactly like a POST /invocations body, and the output is the
    server's answer, {"predictions": ...}.

    Example:

        archivist models predict -m models:/iris/1 -i rows.json -o predictions.json

        archivist models predict -m runs:/3f2a.../model -i rows.csv
    """
    from archivist.serving import score

    if content_type is None:
        content_type = "csv" if input_path.lower().endswith(".csv") else "json"
    body = Path(input_path).read_bytes()
    with tempfile.TemporaryDirectory(prefix="archivist-predict-") as tmp:
        payload = score(_load_model(model_uri, tracking_uri, tmp), body, _CONTENT_TYPES[content_type])
    text = json.dumps(payload, allow_nan=False)
    if output_path is None:
        click.echo(text)
        return
    try:
        Path(output_path).write_text(text + "\n", encoding="utf-8")
    except OSError as e:
        raise click.FileError(output_path, hint=e.strerror or str(e)) from None


# ----------------------------------------------------------------------- registry
def _aliases(aliases: dict[str, str]) -> str:
    return ",".join(f"{alias}={version}" for alias, version in sorted(aliases.items()))


def _latest(model: RegisteredModel) -> str | None:
    versions = [int(v.version) for v in model.latest_versions]
    return str(max(versions)) if versions else None


def _versions(client: ArchivistClient, name: str) -> list[ModelVersion]:
    quoted = name.replace("'", "''")
    found: list[ModelVersion] = []
    token: str | None = None
    while True:
        page = client.search_model_versions(
            f"name = '{quoted}'", _PAGE, ["version_number ASC"], token
        )
        found.extend(page)
        token = page.token
        if token is None:
            return found


@models.command("list")
@click.option(
    "--filter", "filter_string", metavar="FILTER",
    help="Search filter, as in MLflow: \"name LIKE 'iris%' and tags.team = 'ml'\".",
)
@json_option
@tracking_uri_option
def list_models(filter_string: str | None, as_json: bool, tracking_uri: str | None) -> None:
    """List registered models with their latest version and aliases.

    Columns: name, latest version, aliases (alias=version, comma-separated) and the
    time of the last update.

    Example:

        archivist models list --filter "name LIKE 'iris%'"
    """
    client = get_client(tracking_uri)
    found: list[RegisteredModel] = []
    token: str | None = None
    while True:
        page = client.search_registered_models(filter_string, _PAGE, None, token)
        found.extend(page)
        token = page.token
        if token is None:
            break
    if as_json:
        echo_json(found)
        return
    echo_table(
        ("name", "latest_version", "aliases", "last_updated"),
        [
            (m.name, _latest(m), _aliases(m.aliases), format_time(m.last_updated_timestamp))
            for m in found
        ],
    )


def _version_pairs(v: ModelVersion) -> list[tuple[str, Any]]:
    return [
        ("name", v.name),
        ("version", v.version),
        ("aliases", ",".join(v.aliases)),
        ("source", v.source),
        ("model_id", v.model_id),
        ("run_id", v.run_id),
        ("status", v.status),
        ("stage", v.current_stage),
        ("description", v.description),
        ("created", format_time(v.creation_timestamp)),
        ("last_updated", format_time(v.last_updated_timestamp)),
    ]


@models.command("show")
@click.argument("name")
@click.option(
    "-v", "--version", "version", metavar="VERSION",
    help="Show this version (its source, model_id, run_id, aliases and tags) instead.",
)
@json_option
@tracking_uri_option
def show_model(name: str, version: str | None, as_json: bool, tracking_uri: str | None) -> None:
    """Show a registered model, its versions and aliases.

    Shows model NAME's tags and aliases, and every version with its aliases, source,
    model_id and run_id; --version shows one version in full.

    Example:

        archivist models show iris

        archivist models show iris --version 2 --json
    """
    client = get_client(tracking_uri)
    if version is not None:
        mv: ModelVersion = client.get_model_version(name, version)
        if as_json:
            echo_json(mv)
            return
        echo_pairs(_version_pairs(mv), title="version")
        echo_pairs(sorted(mv.tags.items()), title="tags")
        return
    model: RegisteredModel = client.get_registered_model(name)
    versions = _versions(client, name)
    if as_json:
        doc: dict[str, Any] = to_jsonable(model)
        doc["versions"] = to_jsonable(versions)
        echo_json(doc)
        return
    echo_pairs(
        [
            ("name", model.name),
            ("description", model.description),
            ("latest_version", _latest(model)),
            ("created", format_time(model.creation_timestamp)),
            ("last_updated", format_time(model.last_updated_timestamp)),
        ],
        title="model",
    )
    echo_pairs(sorted(model.tags.items()), title="tags")
    echo_pairs(
        sorted(model.aliases.items()), title="aliases", columns=("alias", "version")
    )
    echo_table(
        ("version", "aliases", "status", "source", "model_id", "run_id", "created"),
        [
            (v.version, ",".join(v.aliases), v.status, v.source, v.model_id, v.run_id,
             format_time(v.creation_timestamp))
            for v in versions
        ],
        title="versions",
    )


@models.command("register")
@click.argument("model_uri")
@click.argument("name")
@tracking_uri_option
def register(model_uri: str, name: str, tracking_uri: str | None) -> None:
    """Register a model as a new version of NAME.

    Registers MODEL_URI (a models:/ or runs:/ URI of this store) as the next version of
    NAME, creating NAME if needed, and prints the version number.

    Example:

        archivist models register models:/m-0123456789abcdef0123456789abcdef iris
    """
    click.echo(get_client(tracking_uri).register_model(model_uri, name).version)


@models.command("alias")
@click.argument("name")
@click.argument("alias")
@click.argument("version", required=False)
@click.option("--delete", is_flag=True, help="Delete ALIAS instead of setting it.")
@tracking_uri_option
def alias(
    name: str, alias: str, version: str | None, delete: bool, tracking_uri: str | None
) -> None:
    """Set or delete an alias of a registered model.

    Points ALIAS of model NAME at VERSION (moving it if it exists), or deletes it with
    --delete. Load the aliased version with models:/NAME@ALIAS.

    Example:

        archivist models alias iris champion 2

        archivist models alias iris champion --delete
    """
    if delete == (version is not None):
        raise click.UsageError(
            "give VERSION to set the alias, or --delete (without VERSION) to delete it"
        )
    client = get_client(tracking_uri)
    if version is None:
        client.delete_registered_model_alias(name, alias)
        click.echo(f"deleted alias {alias!r} of model {name!r}")
        return
    client.set_registered_model_alias(name, alias, version)
    now = client.get_model_version_by_alias(name, alias)
    click.echo(f"models:/{name}@{alias} -> version {now.version}")


def _add_diff() -> None:
    from archivist.cli.models_diff import diff

    models.add_command(diff)


_add_diff()
