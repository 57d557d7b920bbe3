"""On-store formats of the chunk layer: packs (chunks + their table) and recipes.

A **pack** is a self-named object (``selfnamed.py``) whose meta is its table of
contents, one fixed-size row per chunk::

    chunk id (32) | offset in the object (u64) | stored length (u32) | length (u32) | codec (u8)

and whose payload is the chunks' stored bytes, back to back. It is named
``pack:<blake3 of the table>``: the table lists the chunk ids, which are digests of the
chunks' content, so the name is determined by what the pack holds.

A **recipe** rebuilds one file. It is named ``recipe:<hex of the file's blake3 digest>``
and its meta is::

    version (u8) | file size (u64) | chunk count (u32) | rows of chunk id (32) + length (u32)

A chunk id is the blake3 digest of the chunk's original bytes (keyed when the store is
encrypted). Recipes say *which* chunks, not *where*: the chunk index (``chunkindex.py``)
says where, so packs can be rewritten by gc without touching any recipe.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from archivist.errors import ArtifactCorrupted
from archivist.stores.blobs.selfnamed import HEADER, encode_header

__all__ = [
    "RAW",
    "ZSTD",
    "PackEntry",
    "Recipe",
    "decode_pack_table",
    "decode_recipe",
    "encode_pack_header",
    "encode_recipe",
]

RAW, ZSTD = 0, 1
_ROW = struct.Struct("<32sQIIB")
_RECIPE_HEAD = struct.Struct("<BQI")
_RECIPE_ROW = struct.Struct("<32sI")
_VERSION = 1


@dataclass(frozen=True, slots=True)
class PackEntry:
    """Where one chunk sits inside a pack object."""

    chunk: bytes
    offset: int
    stored: int
    length: int
    codec: int


def encode_pack_header(
    rows: list[tuple[bytes, int, int, int]],
) -> tuple[bytes, bytes, list[PackEntry]]:
    """``(name, header, entries)`` for chunks given as ``(id, stored, length, codec)``.

    Offsets are absolute within the object: the payload starts right after the header.
    """
    import blake3

    start = HEADER + _ROW.size * len(rows)
    entries: list[PackEntry] = []
    parts: list[bytes] = []
    offset = start
    for chunk, stored, length, codec in rows:
        entries.append(PackEntry(chunk, offset, stored, length, codec))
        parts.append(_ROW.pack(chunk, offset, stored, length, codec))
        offset += stored
    meta = b"".join(parts)
    name = blake3.blake3(meta).digest()
    header = encode_header(name, meta)
    return name, header, entries


def decode_pack_table(meta: bytes, where: str) -> list[PackEntry]:
    if len(meta) % _ROW.size:
        raise ArtifactCorrupted(f"pack {where} has a table of the wrong size")
    return [PackEntry(*row) for row in _ROW.iter_unpack(meta)]


@dataclass(frozen=True, slots=True)
class Recipe:
    """The chunks that make up one file, in order: ``(chunk id, length)``."""

    size: int
    chunks: tuple[tuple[bytes, int], ...]


def encode_recipe(file_digest: bytes, recipe: Recipe) -> bytes:
    """The whole recipe object (header, meta; no payload) for the file ``file_digest``."""
    meta = _RECIPE_HEAD.pack(_VERSION, recipe.size, len(recipe.chunks)) + b"".join(
        _RECIPE_ROW.pack(c, n) for c, n in recipe.chunks
    )
    return encode_header(file_digest, meta)


def decode_recipe(meta: bytes, where: str) -> Recipe:
    if len(meta) < _RECIPE_HEAD.size:
        raise ArtifactCorrupted(f"recipe {where} is truncated")
    version, size, count = _RECIPE_HEAD.unpack_from(meta)
    body = meta[_RECIPE_HEAD.size :]
    if version != _VERSION or len(body) != count * _RECIPE_ROW.size:
        raise ArtifactCorrupted(
            f"recipe {where} has version {version} or a table of the wrong size; it was "
            "written by a newer archivist or is damaged"
        )
    chunks = tuple(_RECIPE_ROW.iter_unpack(body))
    if sum(n for _, n in chunks) != size:
        raise ArtifactCorrupted(f"recipe {where} lists chunks that do not add up to its size")
    return Recipe(size, chunks)
