"""The chunk layer: dedup of changed files, packs, recipes, corruption, index, gc."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pytest

from archivist.errors import ArtifactCorrupted, InvalidArgument
from archivist.stores.blobs.base import SourceChanged
from archivist.stores.blobs.chunked import ChunkedBlobStore
from archivist.stores.blobs.local import LocalBlobStore
from archivist.stores.blobs.memory import MemoryBlobStore

MiB = 1 << 20


def _disk_bytes(root: Path) -> int:
    """Space the store's files take (the chunk index is a cache, counted apart)."""
    return sum(
        p.stat().st_blocks * 512
        for p in root.rglob("*")
        if p.is_file() and not p.name.startswith("chunks.sqlite")
    )


def _local(tmp_path: Path, **kw: int) -> tuple[ChunkedBlobStore, LocalBlobStore]:
    inner = LocalBlobStore(tmp_path / "blobs", fsync=False)
    opts = {"min_file": MiB, "avg_chunk": 32 << 10, "pack_bytes": 8 * MiB, **kw}
    return ChunkedBlobStore(inner, index_path=tmp_path / "blobs" / "chunks.sqlite", **opts), inner


def _one_file(tmp_path: Path, size: int) -> tuple[ChunkedBlobStore, LocalBlobStore, str, bytes]:
    """A store holding one random file of ``size`` bytes: (store, inner, digest, bytes)."""
    store, inner = _local(tmp_path)
    data = os.urandom(size)
    (tmp_path / "f").write_bytes(data)
    digest, _ = store.put_file(tmp_path / "f")
    return store, inner, digest, data


def _objects(inner: LocalBlobStore, kind: str) -> list[str]:
    return sorted(d for d in inner.iter_digests() if d.startswith(f"{kind}:"))


def _pack_file(inner: LocalBlobStore, name: str) -> Path:
    kind, hexpart = name.split(":")
    return inner.root / "objects" / kind / hexpart[:2] / hexpart[2:4] / hexpart


def _flip(path: Path, offset: int) -> None:
    path.chmod(0o644)
    with open(path, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0xFF]))


def test_changed_and_inserted_megabyte_add_at_most_two(tmp_path: Path) -> None:
    """The acceptance case scaled down: 64 MiB, 1 MiB changed in the middle, 1 MiB inserted."""
    store, _ = _local(tmp_path)
    original = os.urandom(64 * MiB)
    path = tmp_path / "model.bin"
    versions = [
        original,
        original[: 32 * MiB] + os.urandom(MiB) + original[33 * MiB :],
        os.urandom(MiB) + original,
    ]
    added = []
    digests = []
    for data in versions:
        path.write_bytes(data)
        before = _disk_bytes(tmp_path / "blobs")
        digest, size = store.put_file(path)
        added.append(_disk_bytes(tmp_path / "blobs") - before)
        digests.append(digest)
        assert size == len(data) and store.is_chunked(digest)
    assert added[0] >= 64 * MiB
    assert added[1] <= 2 * MiB, f"1 MiB changed added {added[1]} bytes"
    assert added[2] <= 2 * MiB, f"1 MiB inserted added {added[2]} bytes"
    for digest, data in zip(digests, versions, strict=True):
        assert store.read_bytes(digest) == data
    # the same file again adds no object (touching its recipe may grow a WAL page)
    before = _disk_bytes(tmp_path / "blobs")
    assert store.put_file(path)[0] == digests[2]
    assert _disk_bytes(tmp_path / "blobs") - before <= 64 << 10


def test_packs_not_chunk_objects(tmp_path: Path) -> None:
    store, inner = _local(tmp_path)
    data = os.urandom(20 * MiB)
    (tmp_path / "f").write_bytes(data)
    digest, _ = store.put_file(tmp_path / "f")
    names = list(inner.iter_digests())
    # ~640 chunks of 32 KiB stored in 3 packs of 8 MiB, plus the recipe
    assert len(_objects(inner, "pack")) == 3 and len(_objects(inner, "recipe")) == 1
    assert len(names) == 4
    assert list(store.iter_digests()) == [digest]  # callers see the file, not its parts
    assert not store.has(_objects(inner, "pack")[0].replace("pack:", "blake3:"))
    with pytest.raises(InvalidArgument, match="internal object"):
        store.open(_objects(inner, "pack")[0])


def test_small_files_stay_whole_and_compressible_chunks_shrink(tmp_path: Path) -> None:
    store, inner = _local(tmp_path)
    small = tmp_path / "small"
    small.write_bytes(os.urandom(MiB - 1))
    d_small, _ = store.put_file(small)
    assert not store.is_chunked(d_small) and inner.has(d_small)
    text = tmp_path / "log.txt"
    text.write_bytes(b"".join(b"step %d loss %.6f\n" % (i, 1 / (i + 1)) for i in range(400_000)))
    before = _disk_bytes(tmp_path / "blobs")
    d_text, n = store.put_file(text)
    assert store.is_chunked(d_text)
    # chunks are zstd-compressed in their packs
    assert _disk_bytes(tmp_path / "blobs") - before < n / 3
    assert store.read_bytes(d_text) == text.read_bytes()


def test_corrupted_chunk_is_detected_and_named(tmp_path: Path) -> None:
    store, inner, digest, _ = _one_file(tmp_path, 4 * MiB)
    (pack,) = _objects(inner, "pack")
    _flip(_pack_file(inner, pack), _pack_file(inner, pack).stat().st_size - 1000)
    with pytest.raises(ArtifactCorrupted, match=f"chunk [0-9a-f]{{64}} of {digest} in {pack}"):
        store.read_bytes(digest)
    with pytest.raises(ArtifactCorrupted):
        store.copy_to(digest, str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()


def test_damaged_pack_table_or_recipe_or_missing_pack(tmp_path: Path) -> None:
    store, inner, digest, data = _one_file(tmp_path, 3 * MiB)
    (recipe,) = _objects(inner, "recipe")
    recipe_file = inner.root / "pack.sqlite"  # a recipe this small is a row of the small-blob pack
    assert recipe_file.exists()
    (pack,) = _objects(inner, "pack")
    _flip(_pack_file(inner, pack), 100)  # inside the table
    # the inner store's own check fails on the table; the index still knows the chunk rows,
    # so reads go on and each chunk is checked against its id
    assert store.read_bytes(digest) == data
    with pytest.raises(ArtifactCorrupted, match="damaged"):
        store.read_pack_table(pack)
    _pack_file(inner, pack).unlink()
    with pytest.raises(ArtifactCorrupted, match=f"chunk [0-9a-f]{{64}} of {digest} is in no pack"):
        store.read_bytes(digest)
    inner._pack._conn().execute("UPDATE blobs SET data = ? WHERE digest = ?", (b"junk", recipe))
    with pytest.raises(ArtifactCorrupted, match="recipe"):
        store.read_bytes(digest)


def test_index_is_a_cache_rebuilt_from_packs(tmp_path: Path) -> None:
    _, inner, digest, data = _one_file(tmp_path, 6 * MiB)
    for p in (tmp_path / "blobs").glob("chunks.sqlite*"):
        p.unlink()
    fresh, _ = _local(tmp_path)
    assert fresh.read_bytes(digest) == data  # found through the packs' own tables
    before = _disk_bytes(tmp_path / "blobs")
    (tmp_path / "g").write_bytes(data[:3 * MiB] + b"x" + data[3 * MiB :])
    fresh.put_file(tmp_path / "g")
    assert _disk_bytes(tmp_path / "blobs") - before < MiB
    # a store whose index lives in memory (as for a remote store) fills it from the packs
    remote = ChunkedBlobStore(inner, min_file=MiB, avg_chunk=32 << 10)
    before = _disk_bytes(tmp_path / "blobs")
    (tmp_path / "h").write_bytes(b"y" + data)
    d_h, _ = remote.put_file(tmp_path / "h")
    assert _disk_bytes(tmp_path / "blobs") - before < MiB
    assert remote.read_bytes(d_h) == b"y" + data


def test_memory_inner_store(tmp_path: Path) -> None:
    inner = MemoryBlobStore()
    store = ChunkedBlobStore(inner, min_file=MiB, avg_chunk=32 << 10, pack_bytes=2 * MiB)
    data = os.urandom(5 * MiB)
    (tmp_path / "f").write_bytes(data)
    digest, _ = store.put_file(tmp_path / "f")
    assert {d.split(":")[0] for d in inner.iter_digests()} == {"pack", "recipe"}
    assert store.read_bytes(digest) == data
    store.delete(digest)
    assert not store.has(digest)


def test_file_changing_while_stored_takes_its_packs_back(tmp_path: Path) -> None:
    store, inner = _local(tmp_path)
    path = tmp_path / "f"
    path.write_bytes(os.urandom(4 * MiB))
    calls = {"n": 0}
    real = store._ingest_buffer

    def racing(view: memoryview, digest: str, written: list[str]) -> object:
        result = real(view, digest, written)
        if calls["n"] == 0:
            calls["n"] += 1
            with open(path, "r+b") as f:  # another process rewrites the file meanwhile
                f.write(b"changed!")
            os.utime(path, ns=(time.time_ns(), time.time_ns() + 10_000_000))
        return result

    store._ingest_buffer = racing  # type: ignore[method-assign]
    with pytest.raises(SourceChanged):  # the caller (put_file_stable) reads it again
        store.put_file(path)
    assert not _objects(inner, "pack") and not store.index.packs()  # taken back
    digest, _ = store.put_file(path)
    assert store.read_bytes(digest) == path.read_bytes()
    assert calls["n"] == 1


def test_quarantine_moves_the_damaged_pack_aside(tmp_path: Path) -> None:
    store, inner, digest, data = _one_file(tmp_path, 4 * MiB)
    (pack,) = _objects(inner, "pack")
    _flip(_pack_file(inner, pack), _pack_file(inner, pack).stat().st_size - 1000)
    with pytest.raises(ArtifactCorrupted):
        store.check(digest)
    kept = store.quarantine(digest)
    assert kept is not None and Path(kept).exists() and "quarantine" in kept
    assert not _objects(inner, "pack") and not store.index.packs()
    assert store.has(digest)  # the recipe stays: storing the good bytes again repairs it
    store.put(digest, io.BytesIO(data))
    assert store.check(digest) == len(data) and store.read_bytes(digest) == data


def test_a_file_stored_already_is_not_cut_again(tmp_path: Path) -> None:
    """Re-logging a large file costs one hash: no chunking, no chunk ids (issue 7's 'same 1 GiB again')."""
    store, _inner = _local(tmp_path)
    path = tmp_path / "f"
    path.write_bytes(os.urandom(4 * MiB))
    first, _ = store.put_file(path)
    cut: list[int] = []

    def counting(data: bytes | memoryview) -> bytes:
        cut.append(len(data))
        return b"\0" * 32

    store.chunk_id = counting  # type: ignore[method-assign]
    again, size = store.put_file(path)
    del store.chunk_id  # the real one again, to check the chunks on read
    assert (again, size) == (first, 4 * MiB) and cut == []
    assert store.read_bytes(again) == path.read_bytes()
