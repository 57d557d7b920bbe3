"""``archivist import mlflow`` and ``archivist export mlflow``: move to and from MLflow."""

from __future__ import annotations

import json

import click

from archivist.cli._output import get_client, json_option, tracking_uri_option

__all__ = ["export_group", "import_group"]


@click.group("import")
def import_group() -> None:
    """Import what another tracker holds (MLflow)."""


@import_group.command("mlflow")
@click.argument("source")
@click.option("--experiments", "experiments", multiple=True, metavar="NAME_OR_ID",
              help="Import only this experiment (repeatable; names or MLflow ids). Default: all.")
@click.option("--artifact-root", "artifact_root", nargs=2, metavar="OLD NEW",
              help="The source's artifacts moved: replace the path prefix OLD with NEW.")
@json_option
@tracking_uri_option
def import_mlflow_command(
    source: str, experiments: tuple[str, ...], artifact_root: tuple[str, str] | None,
    as_json: bool, tracking_uri: str | None,
) -> None:
    """Import an MLflow store: experiments, runs, metrics, artifacts, models, registry, datasets.

    SOURCE is an MLflow file store (its mlruns/ folder) or an MLflow database URI
    (sqlite:///mlflow.db, postgresql://...), whose artifacts are read where the database
    says they are (use --artifact-root when they moved). Experiments keep their ids where
    those are free. Running it again changes nothing; an interrupted import resumes. The
    report lists counts per kind and what could not be carried over, with the reason.

    Examples:

        archivist import mlflow ./mlruns

        archivist import mlflow sqlite:///mlflow.db --experiments churn --json
    """
    from archivist.migrate import import_mlflow

    client = get_client(tracking_uri)
    report = import_mlflow(source, client, experiments=list(experiments) or None,
                           artifact_root=artifact_root or None)
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2, default=str))
        return
    click.echo(f"imported from {report.source}")
    for kind, n in report.found.items():
        click.echo(f"  {kind}: {n}")
    written = {k: v for k, v in report.written.items() if v}
    click.echo("written this time: " + (", ".join(f"{k}={v}" for k, v in written.items()) or
                                        "nothing (already imported)"))
    for s in report.skipped:
        click.echo(f"not carried over: {s.what}: {s.reason}")


@click.group("export")
def export_group() -> None:
    """Export this store in another tracker's format (MLflow)."""


@export_group.command("mlflow")
@click.argument("dest", type=click.Path(file_okay=False))
@tracking_uri_option
def export_mlflow_command(dest: str, tracking_uri: str | None) -> None:
    """Write the whole store to DEST as an MLflow file store that `mlflow` reads.

    Example:

        archivist export mlflow ./mlruns && MLFLOW_ALLOW_FILE_STORE=true mlflow ui --backend-store-uri ./mlruns
    """
    from archivist.migrate import export_mlflow

    counts = export_mlflow(get_client(tracking_uri), dest)
    click.echo(", ".join(f"{k}={v}" for k, v in counts.items()))
