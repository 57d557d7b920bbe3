"""gc for the chunk layer: remove packs no recipe uses, repack mostly-unused ones.

Runs after the file-level gc has removed the recipes of unreferenced files. Safety
against concurrent writers follows the file-level rules:

- Packs are listed *before* recipes are read, so a pack written after the listing is
  never a candidate, and a recipe written after the reading only uses chunks of packs
  that are new (not listed) or that its writer touched.
- A writer that reuses a chunk touches its pack; a pack younger than the grace period
  is neither deleted nor repacked. ``delete_if_older`` re-checks the age as it removes,
  so a touch that lands during the sweep keeps the pack; a touch that comes after it
  fails, and the writer stores the chunk again.
- A repack writes the new pack (and indexes it) before the old one is removed, so a
  reader finds every live chunk in one of them at any moment.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from archivist.errors import ArtifactCorrupted, InvalidState
from archivist.stores.blobs.chunkformat import PackEntry, decode_recipe
from archivist.stores.blobs.selfnamed import parse_header

if TYPE_CHECKING:
    from archivist.stores.blobs.chunked import ChunkedBlobStore

__all__ = ["REPACK_BELOW", "ChunkGcReport", "collect"]

#: Packs whose live chunks fill less than this share of them are rewritten.
REPACK_BELOW = 0.5


@dataclass(frozen=True, slots=True)
class ChunkGcReport:
    """What chunk-level gc did (or would do).

    Attributes:
        packs: packs found in the store.
        packs_deleted: packs that held no live chunk, removed.
        packs_repacked: packs mostly unused, rewritten with only their live chunks.
        kept_recent: packs with unused chunks kept because they are younger than the
            grace period (or were touched by a writer while gc ran).
        bytes_freed: stored bytes reclaimed.
    """

    packs: int = 0
    packs_deleted: int = 0
    packs_repacked: int = 0
    kept_recent: int = 0
    bytes_freed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _live_chunks(store: ChunkedBlobStore, gone: set[str]) -> set[bytes]:
    live: set[bytes] = set()
    for name in list(store.inner.iter_digests()):
        if not name.startswith("recipe:") or name in gone:
            continue
        try:
            data = store.inner.read_bytes(name)
            _, meta, _ = parse_header(data, name)
            recipe = decode_recipe(meta, name)
        except ArtifactCorrupted as e:
            if not store.inner.has(name):
                continue  # deleted meanwhile
            raise InvalidState(
                f"chunk gc stopped: recipe {name} in {store.uri} cannot be read ({e.message}), "
                "so the chunks it uses are unknown; run 'archivist verify' and repair it first"
            ) from None
        live.update(c for c, _ in recipe.chunks)
    return live


def collect(
    store: ChunkedBlobStore, grace_seconds: float, dry_run: bool = False, gone: set[str] | None = None
) -> ChunkGcReport:
    """Delete or repack packs whose chunks no recipe uses; see the module docstring.

    ``gone``: recipes to count as deleted (those a dry run of the file-level gc would
    delete).
    """
    packs = [n for n in store.inner.iter_digests() if n.startswith("pack:")]  # list first
    store.refresh_index()
    live = _live_chunks(store, gone or set())
    deleted = repacked = kept = freed = 0
    for pack in packs:
        entries = store.index.entries(pack)
        if not entries:
            try:
                entries = store.read_pack_table(pack)
            except ArtifactCorrupted:
                continue  # verify reports it; never delete what cannot be read
        used = [e for e in entries if e.chunk in live]
        total = sum(e.stored for e in entries)
        used_bytes = sum(e.stored for e in used)
        if used_bytes >= total * REPACK_BELOW and used:
            continue
        size = store.inner.stored_size(pack)
        if store.inner.age_seconds(pack) < grace_seconds:
            kept += 1
            continue
        if dry_run:
            if used:
                repacked += 1
                freed += total - used_bytes
            else:
                deleted += 1
                freed += size
            continue
        new_size = 0
        if used:
            new_size = _repack(store, pack, used)
        if store.inner.delete_if_older(pack, grace_seconds):
            store.index.drop_pack(pack)
            freed += size - new_size
            if used:
                repacked += 1
            else:
                deleted += 1
        else:
            kept += 1
    return ChunkGcReport(len(packs), deleted, repacked, kept, freed)


def _repack(store: ChunkedBlobStore, pack: str, used: list[PackEntry]) -> int:
    """Write ``used`` chunks of ``pack`` into a new pack; returns its stored size."""
    from archivist.stores.blobs.chunked import _decode, _PackBuilder

    builder = _PackBuilder()
    for e in used:
        stored = store.inner.read_range(pack, e.offset, e.stored)
        chunk = _decode(memoryview(stored), e, pack, store.uri)
        if store.chunk_id(chunk) != e.chunk:
            raise ArtifactCorrupted(
                f"chunk {e.chunk.hex()} in {pack} at {store.uri} is corrupted; gc will not copy "
                "it into a new pack. Run 'archivist verify' and repair the store first"
            )
        builder.add(e.chunk, stored, e.length, e.codec)
    written: list[str] = []
    store._write_pack(builder, written)
    return store.inner.stored_size(written[0])
