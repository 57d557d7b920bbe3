"""``archivist server``: the tracking server (MLflow's REST API over Archivist's stores)."""

from __future__ import annotations

import ipaddress

import click

__all__ = ["server"]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command("server")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on; anything but loopback exposes the store to the network.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535),
              help="TCP port to listen on.")
@click.option("--backend-store-uri", metavar="URI",
              help="Store to serve: a folder, sqlite:///file.db or postgresql://... "
              "[default: --tracking-uri, $ARCHIVIST_TRACKING_URI, else ./archivist]")
@click.option("--artifacts-destination", metavar="PATH|URI",
              help="Where artifact bytes live (a folder, file:// URI or s3://bucket/prefix) [default: the store's "
              "blob folder]")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 256),
              help="Worker processes sharing the port (each with its own database connections).")
@click.option("--graceful-timeout", default=30.0, show_default=True, type=click.FloatRange(0),
              help="Seconds requests in flight get to finish after SIGTERM or Ctrl-C.")
@click.pass_context
def server(
    ctx: click.Context,
    host: str,
    port: int,
    backend_store_uri: str | None,
    artifacts_destination: str | None,
    workers: int,
    graceful_timeout: float,
) -> None:
    """Run the tracking server (MLflow's REST API over Archivist's stores).

    Point the mlflow client at it with MLFLOW_TRACKING_URI=http://127.0.0.1:5000, or
    Archivist with ARCHIVIST_TRACKING_URI. Stop it with Ctrl-C or SIGTERM: requests in
    flight finish first.

    Examples:

        archivist server

        archivist server --backend-store-uri postgresql://ml@db/ml --artifacts-destination /data/blobs --workers 4
    """
    from archivist.server.app import ServerConfig
    from archivist.server.runner import configure_logging, serve

    uri = backend_store_uri or (ctx.find_root().obj or {}).get("tracking_uri")
    if not _is_loopback(host):
        click.echo(
            f"warning: listening on {host} without authentication: anyone who can reach this "
            "port can read and change every run and model; bind 127.0.0.1 or put the server "
            "behind an authenticating proxy",
            err=True,
        )
    configure_logging()
    serve(
        ServerConfig(backend_store_uri=uri, artifacts_destination=artifacts_destination),
        host=host,
        port=port,
        workers=workers,
        graceful_seconds=graceful_timeout,
    )
