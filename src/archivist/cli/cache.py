"""``archivist cache``: the local cache of blobs read from remote stores (S3)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from archivist.cli._output import echo_json, json_option

if TYPE_CHECKING:
    from archivist.stores.blobs.cache import BlobCache

__all__ = ["cache"]


def _open() -> BlobCache:
    from archivist import config
    from archivist.stores.blobs.cache import BlobCache, default_cache_dir

    return BlobCache(default_cache_dir(), max_bytes=max(0, config.CACHE_MAX_BYTES.get()))


@click.group("cache")
def cache() -> None:
    """Inspect and prune the local cache of blobs read from remote stores.

    Blobs read from S3 are kept in $ARCHIVIST_CACHE_DIR (default ~/.cache/archivist/blobs),
    once per content digest, up to $ARCHIVIST_CACHE_MAX_BYTES (default 4 GiB); the least
    recently used are evicted beyond that.

    Examples:

        archivist cache info

        archivist cache prune --max-bytes 1000000000
    """


@cache.command("info")
@json_option
def info(as_json: bool) -> None:
    """Show where the cache is, how many blobs and bytes it holds, and its limit.

    Example:

        archivist cache info --json
    """
    report = _open().info()
    if as_json:
        echo_json(report.to_dict())
        return
    click.echo(
        f"{report.path}: {report.blobs} blob(s), {report.bytes} bytes "
        f"(limit {report.max_bytes} bytes)"
    )


@cache.command("prune")
@click.option(
    "--max-bytes", type=click.IntRange(min=0), metavar="BYTES",
    help="Evict least recently used blobs until the cache holds at most this much "
    "[default: $ARCHIVIST_CACHE_MAX_BYTES, else 4 GiB].",
)
@click.option("--all", "everything", is_flag=True, help="Empty the cache.")
@json_option
def prune(max_bytes: int | None, everything: bool, as_json: bool) -> None:
    """Evict least recently used blobs beyond the size limit (or all of them).

    Also indexes files a crashed process left unindexed and removes stale partial
    downloads. Safe while other processes use the cache.

    Example:

        archivist cache prune --all
    """
    report = _open().prune(0 if everything else max_bytes, rescan=True)
    if as_json:
        echo_json(report.to_dict())
        return
    click.echo(
        f"evicted {report.evicted} blob(s), {report.bytes_freed} bytes; "
        f"{report.blobs} blob(s), {report.bytes} bytes left (limit {report.max_bytes})"
    )
