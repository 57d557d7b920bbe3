"""The key of an encrypted store: one data key, wrapped by the master key, kept in the store.

The master key comes from ``ARCHIVIST_ENCRYPTION_KEY_FILE`` (a file holding 32 bytes, raw
or base64) or ``ARCHIVIST_ENCRYPTION_KEY`` (base64). It never touches the store: it only
wraps (AES-256-GCM) the store's random data key, which encrypts every object. Rotating
the master key re-wraps the data key and rewrites nothing else.

The wrapped key is a self-named object of kind ``keyring`` with a fixed name, so it is
found in any backend without listing it.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import dataclass
from typing import Any

from archivist import config
from archivist.errors import ArtifactCorrupted, InvalidArgument, MissingDependency, PermissionDenied

__all__ = [
    "KEYRING",
    "KEYRING_NEXT",
    "DataKeys", "create_keyring", "master_key", "open_keyring", "rewrap_keyring"]

KEYRING = "keyring:" + "00" * 31 + "01"
#: Where a rotation writes the re-wrapped key first, for backends that never overwrite.
KEYRING_NEXT = "keyring:" + "00" * 31 + "02"
_AAD = b"archivist keyring v1"


@dataclass(frozen=True, slots=True)
class DataKeys:
    """Keys derived from the store's data key."""

    data: bytes  # encrypts objects (through a per-object subkey)
    names: bytes  # keys object names
    chunks: bytes  # keys chunk ids


def _derive(data_key: bytes) -> DataKeys:
    import blake3

    def sub(context: str) -> bytes:
        return blake3.blake3(data_key, derive_key_context=f"archivist 2026 {context}").digest()

    return DataKeys(sub("objects"), sub("object names"), sub("chunk ids"))


def _decode_key(raw: bytes, where: str) -> bytes:
    if len(raw) == 32:
        return raw
    try:
        key = base64.b64decode(raw.strip(), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise InvalidArgument(
            f"the encryption key in {where} is not 32 bytes (raw, or base64 of 32 bytes); "
            "make one with: python -c \"import os,base64;print(base64.b64encode(os.urandom(32)).decode())\""
        )
    return key


def master_key(*, key_file: str | None = None, key_b64: str | None = None) -> bytes | None:
    """The master key from the arguments or the environment, or None when none is set."""
    path = key_file if key_file is not None else (config.ENCRYPTION_KEY_FILE.get() or None)
    if path:
        try:
            with open(path, "rb") as f:
                return _decode_key(f.read(), f"key file {path!r}")
        except OSError as e:
            raise InvalidArgument(
                f"ARCHIVIST_ENCRYPTION_KEY_FILE {path!r} cannot be read ({e.strerror}); give "
                "the path of a readable file holding the key"
            ) from None
    text = key_b64 if key_b64 is not None else (config.ENCRYPTION_KEY.get() or None)
    if text:
        return _decode_key(text.encode(), "ARCHIVIST_ENCRYPTION_KEY")
    return None


def aead(key: bytes) -> Any:
    """AES-256-GCM under ``key`` (the ``cryptography`` package, the 'encryption' extra)."""
    try:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    except ImportError as e:
        raise MissingDependency(
            "an encrypted artifact store needs the 'cryptography' package; install it with: "
            "pip install 'archivist[encryption]'"
        ) from e
    return AESGCM(key)


def _key_id(master: bytes) -> str:
    import blake3

    return blake3.blake3(master, derive_key_context="archivist 2026 master key id").hexdigest()[:16]


def _wrap(master: bytes, data_key: bytes, name: str = KEYRING) -> bytes:
    from archivist.stores.blobs.selfnamed import encode_header

    nonce = os.urandom(12)
    sealed = aead(master).encrypt(nonce, data_key, _AAD)
    body = {
        "version": 1,
        "cipher": "AES-256-GCM",
        "master_key_id": _key_id(master),
        "nonce": base64.b64encode(nonce).decode(),
        "wrapped_data_key": base64.b64encode(sealed).decode(),
    }
    return encode_header(bytes.fromhex(name.split(":")[1]), json.dumps(body).encode())


def create_keyring(master: bytes) -> tuple[bytes, DataKeys]:
    """A new data key: (the keyring object's bytes, the keys)."""
    data_key = os.urandom(32)
    return _wrap(master, data_key), _derive(data_key)


def _unwrap(master: bytes, stored: bytes, where: str) -> bytes:
    from archivist.stores.blobs.selfnamed import parse_header

    _, meta, _ = parse_header(stored, where)
    try:
        body = json.loads(meta)
        nonce = base64.b64decode(body["nonce"])
        sealed = base64.b64decode(body["wrapped_data_key"])
    except (ValueError, KeyError, TypeError):
        raise ArtifactCorrupted(f"the keyring of {where} is damaged") from None
    box = aead(master)
    from cryptography.exceptions import InvalidTag

    try:
        return box.decrypt(nonce, sealed, _AAD)  # type: ignore[no-any-return]
    except InvalidTag:
        raise PermissionDenied(
            f"the encryption key given does not open {where} (it was encrypted under master "
            f"key {body.get('master_key_id', '?')}, the key given is {_key_id(master)}); set "
            "ARCHIVIST_ENCRYPTION_KEY_FILE or ARCHIVIST_ENCRYPTION_KEY to the store's key"
        ) from None


def open_keyring(master: bytes, stored: bytes, where: str) -> DataKeys:
    return _derive(_unwrap(master, stored, where))


def rewrap_keyring(
    old_master: bytes, new_master: bytes, stored: bytes, where: str, name: str = KEYRING
) -> bytes:
    """The keyring object ``name`` re-wrapped under ``new_master`` (the data key, and so
    every object, unchanged)."""
    return _wrap(new_master, _unwrap(old_master, stored, where), name)
