"""``archivist keys``: the master key of an encrypted artifact store."""

from __future__ import annotations

import click

from archivist.cli._output import command_tracking_uri, tracking_uri_option

__all__ = ["keys"]


@click.group("keys")
def keys() -> None:
    """Manage the encryption key of an encrypted artifact store.

    A store is encrypted when ARCHIVIST_ENCRYPTION_KEY_FILE (or ARCHIVIST_ENCRYPTION_KEY)
    is set as it is created; the same setting opens it afterwards.
    """


@keys.command("rotate")
@click.option(
    "--new-key-file", required=True, type=click.Path(exists=True, dir_okay=False), metavar="PATH",
    help="File holding the new master key (32 bytes, raw or base64).",
)
@tracking_uri_option
def rotate(new_key_file: str, tracking_uri: str | None) -> None:
    """Re-wrap the store's data key under a new master key; no artifact is rewritten.

    The current key comes from ARCHIVIST_ENCRYPTION_KEY_FILE / ARCHIVIST_ENCRYPTION_KEY.
    Afterwards only the new key opens the store.

    Example:

        ARCHIVIST_ENCRYPTION_KEY_FILE=old.key archivist keys rotate --new-key-file new.key
    """
    from archivist.errors import PermissionDenied
    from archivist.stores import resolve_location
    from archivist.stores.blobs.encrypted import rotate_key
    from archivist.stores.blobs.keyring import master_key
    from archivist.stores.schemes import get_blob_store

    old = master_key()
    if old is None:
        raise PermissionDenied(
            "set ARCHIVIST_ENCRYPTION_KEY_FILE (or ARCHIVIST_ENCRYPTION_KEY) to the store's "
            "current key to rotate it"
        )
    new = master_key(key_file=new_key_file)
    assert new is not None
    inner = get_blob_store(resolve_location(command_tracking_uri(tracking_uri)).artifact_root, raw=True)
    rotate_key(inner, old, new)
    click.echo(f"re-wrapped the data key of {inner.uri} under the new key; no artifact was rewritten")
