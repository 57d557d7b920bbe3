"""Self-named objects: the internal objects a layer above a blob store keeps in it.

A blob store names every object by the digest of its bytes and checks that on ``put``
and ``open``. The chunk layer also stores objects whose name cannot be the hash of their
bytes: a file's *recipe* is found by the file's digest, and a *pack* of chunks is named
by the hash of its table of contents alone (hashing a 64 MiB pack a second time would
cost as much as chunking it). Such an object carries its name in a header::

    magic (8) | name (32) | check (32) | meta length (u32) | meta | payload

and is stored under ``<kind>:<name hex>`` (kinds: ``pack``, ``recipe``; ``enc`` and
``keyring`` in an encrypted store). The blob store
"hashes" it with :class:`SelfNamedHasher`, which yields the name when
``blake3(meta) == check`` and something else otherwise, so a damaged header or table is
caught by the store's own checks. The payload is checked by the layer that wrote it
(chunk digests for packs, the whole-file digest for the file a recipe rebuilds).
"""

from __future__ import annotations

import struct

from archivist.errors import ArtifactCorrupted

__all__ = ["HEADER", "KINDS", "SelfNamedHasher", "encode_header", "parse_header"]

KINDS = ("pack", "recipe", "enc", "keyring")
MAGIC = b"ARCVSN\x00\x01"
_FIXED = struct.Struct("<8s32s32sI")
HEADER = _FIXED.size


def encode_header(name: bytes, meta: bytes) -> bytes:
    """Header and meta of an object named ``name`` (32 bytes)."""
    import blake3

    check = blake3.blake3(meta).digest()
    return _FIXED.pack(MAGIC, name, check, len(meta)) + meta


def parse_header(data: bytes, where: str) -> tuple[bytes, bytes, int]:
    """``(name, meta, payload offset)`` of an object starting with ``data``.

    Raises:
        ArtifactCorrupted: the header is damaged or ``data`` stops inside it.
    """
    import blake3

    if len(data) < HEADER:
        raise ArtifactCorrupted(f"object {where} is truncated: its header is incomplete")
    magic, name, check, n = _FIXED.unpack_from(data)
    end = HEADER + n
    if magic != MAGIC or len(data) < end:
        raise ArtifactCorrupted(f"object {where} has a damaged or truncated header")
    meta = bytes(data[HEADER:end])
    if blake3.blake3(meta).digest() != check:
        raise ArtifactCorrupted(f"object {where} has a damaged table (its check does not match)")
    return bytes(name), meta, end


class SelfNamedHasher:
    """Stands in for a hash function for self-named objects (see the module docstring)."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._need = HEADER
        self._result: str | None = None

    def update(self, data: bytes | memoryview, /) -> None:
        if self._result is not None:
            return
        self._buf += data
        if len(self._buf) < self._need:
            return
        if self._need == HEADER:
            magic, _, _, n = _FIXED.unpack_from(self._buf)
            if magic != MAGIC:
                self._result = "0" * 64
                return
            self._need = HEADER + n
            if len(self._buf) < self._need:
                return
        try:
            name, _, _ = parse_header(bytes(self._buf[: self._need]), "")
            self._result = name.hex()
        except ArtifactCorrupted:
            self._result = "0" * 64
        self._buf = bytearray()

    def hexdigest(self) -> str:
        if self._result is None:  # stopped inside the header: not this object
            return "0" * 64
        return self._result
