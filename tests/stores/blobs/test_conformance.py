"""One contract, every blob store."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from archivist.errors import ArtifactCorrupted, InvalidArgument
from archivist.stores.blobs.base import BlobStore
from archivist.stores.blobs.chunked import ChunkedBlobStore
from archivist.stores.blobs.encrypted import EncryptedBlobStore, with_encryption
from archivist.stores.blobs.hashing import hash_bytes
from archivist.stores.blobs.local import LocalBlobStore
from archivist.stores.blobs.memory import MemoryBlobStore


@pytest.fixture(
    params=[
        "memory", "local", "s3", "chunked-memory", "chunked-local", "encrypted-local",
        "chunked-encrypted-memory", "chunked-s3",
    ]
)
def store(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> BlobStore:
    # the chunked stores cut files from 1 MiB up, so the larger cases below are chunked
    if request.param == "memory":
        return MemoryBlobStore()
    if request.param == "s3":  # behind the chunk layer, as every store URI opens
        from archivist.stores.schemes import get_blob_store

        s3: BlobStore = get_blob_store(request.getfixturevalue("s3_uri"))
        return s3
    if request.param == "chunked-s3":
        from archivist.stores.schemes import get_blob_store

        raw = get_blob_store(request.getfixturevalue("s3_uri"), raw=True)
        return ChunkedBlobStore(raw, min_file=1 << 20, avg_chunk=16 << 10)
    if request.param == "chunked-memory":
        return ChunkedBlobStore(MemoryBlobStore(), min_file=1 << 20, avg_chunk=16 << 10)
    if request.param.startswith(("encrypted", "chunked-encrypted")):
        monkeypatch.setenv("ARCHIVIST_ENCRYPTION_KEY_FILE", str(tmp_path / "key"))
        (tmp_path / "key").write_bytes(os.urandom(32))
        inner = MemoryBlobStore() if request.param.endswith("memory") else LocalBlobStore(tmp_path / "blobs")
        encrypted = with_encryption(inner)
        assert isinstance(encrypted, EncryptedBlobStore)
        if request.param.startswith("chunked"):
            return ChunkedBlobStore(encrypted, min_file=1 << 20, avg_chunk=16 << 10)
        return encrypted
    local = LocalBlobStore(tmp_path / "blobs")
    if request.param == "chunked-local":
        return ChunkedBlobStore(
            local, index_path=tmp_path / "blobs" / "chunks.sqlite", min_file=1 << 20, avg_chunk=16 << 10
        )
    return local


def test_put_bytes_roundtrip_and_dedup(store: BlobStore) -> None:
    digest, size = store.put_bytes(b"hello world")
    assert digest == hash_bytes(b"hello world")
    assert digest.startswith("blake3:") and size == 11
    assert store.has(digest)
    assert store.read_bytes(digest) == b"hello world"
    again, _ = store.put_bytes(b"hello world")
    assert again == digest
    assert list(store.iter_digests()) == [digest]


def test_put_file_large_compressible_and_random(store: BlobStore, tmp_path: Path) -> None:
    text = tmp_path / "text.txt"
    text.write_bytes(b"the same line again\n" * 400_000)  # 8 MB, compresses well
    rnd = tmp_path / "random.bin"
    rnd.write_bytes(os.urandom(5 << 20))
    d1, s1 = store.put_file(text)
    d2, s2 = store.put_file(rnd)
    assert (s1, s2) == (8_000_000, 5 << 20)
    assert store.read_bytes(d1) == text.read_bytes()
    assert store.read_bytes(d2) == rnd.read_bytes()
    assert set(store.iter_digests()) == {d1, d2}


def test_put_rejects_wrong_digest(store: BlobStore) -> None:
    wrong = hash_bytes(b"other")
    with pytest.raises(InvalidArgument, match="hash to"):
        store.put(wrong, io.BytesIO(b"content"))
    assert not store.has(wrong)


def test_open_missing_is_loud(store: BlobStore) -> None:
    with pytest.raises(ArtifactCorrupted, match="missing"):
        store.open(hash_bytes(b"never stored"))


def test_malformed_digest(store: BlobStore) -> None:
    with pytest.raises(InvalidArgument, match="malformed"):
        store.has("md5:abc")


def test_delete_and_put_files(store: BlobStore, tmp_path: Path) -> None:
    paths = []
    for i in range(20):
        p = tmp_path / f"f{i}"
        p.write_bytes(f"file {i % 5}".encode() * 100)
        paths.append(str(p))
    results = store.put_files(paths)
    assert len(results) == 20
    assert len({d for d, _ in results}) == 5
    for p, (d, size) in zip(paths, results, strict=True):
        assert store.read_bytes(d) == Path(p).read_bytes()
        assert size == Path(p).stat().st_size
    store.delete(results[0][0])
    assert not store.has(results[0][0])
    store.delete(results[0][0])  # deleting twice is fine


def test_copy_to(store: BlobStore, tmp_path: Path) -> None:
    data = os.urandom(300_000)
    d, _ = store.put_bytes(data)
    out = tmp_path / "out.bin"
    store.copy_to(d, str(out))
    assert out.read_bytes() == data


def test_large_stream_put_roundtrip(store: BlobStore, tmp_path: Path) -> None:
    data = os.urandom(3 << 20)
    d = hash_bytes(data)
    store.put(d, io.BytesIO(data))
    assert store.has(d) and store.read_bytes(d) == data
    store.copy_to(d, str(tmp_path / "out.bin"))
    assert (tmp_path / "out.bin").read_bytes() == data
    with pytest.raises(InvalidArgument, match="hash to"):
        store.put(hash_bytes(b"other"), io.BytesIO(data))
    assert not store.has(hash_bytes(b"other"))
    assert set(store.iter_digests()) == {d}


def test_delete_if_older(store: BlobStore) -> None:
    d, _ = store.put_bytes(b"young")
    assert store.delete_if_older(d, 3600) is False
    assert store.has(d)
    assert store.delete_if_older(d, 0) is True
    assert not store.has(d)


def test_local_corruption_detected(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    data = os.urandom(100_000)
    d, _ = store.put_bytes(data)
    (blob,) = [p for p in (tmp_path / "blobs" / "objects").rglob("*") if p.is_file()]
    assert blob.stat().st_mode & 0o222 == 0  # blobs are read-only
    blob.chmod(0o644)
    blob.write_bytes(b"x" + data[1:])
    with pytest.raises(ArtifactCorrupted, match="corrupted"):
        store.read_bytes(d)
    with pytest.raises(ArtifactCorrupted, match="corrupted"):
        store.copy_to(d, str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()


def test_local_compresses_when_it_pays(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    d_text, _ = store.put_bytes(b"abc" * 100_000)
    d_rand, _ = store.put_bytes(os.urandom(300_000))
    assert store.stored_size(d_text) < 10_000
    assert store.stored_size(d_rand) == 300_000
    names = sorted(p.name for p in (tmp_path / "blobs" / "objects").rglob("*") if p.is_file())
    assert sum(n.endswith(".zst") for n in names) == 1


def test_local_hardlink_materialization(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    data = os.urandom(200_000)
    d, _ = store.put_bytes(data)
    out = tmp_path / "linked.bin"
    store.copy_to(d, str(out), link=True)
    assert out.read_bytes() == data
    assert out.stat().st_nlink == 2


def test_local_no_fsync_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCHIVIST_FSYNC", "0")
    store = LocalBlobStore(tmp_path / "blobs")
    assert store._fsync is False
    d, _ = store.put_bytes(b"quick")
    assert store.read_bytes(d) == b"quick"


def test_local_small_blobs_are_packed(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    files = []
    for i in range(50):
        p = tmp_path / f"s{i}"
        p.write_bytes(os.urandom(1000) if i % 2 else b"text " * 300)
        files.append(str(p))
    results = store.put_files(files)
    assert not [p for p in (tmp_path / "blobs" / "objects").rglob("*") if p.is_file()]
    assert set(store.iter_digests()) == {d for d, _ in results}
    for p, (d, size) in zip(files, results, strict=True):
        assert store.read_bytes(d) == Path(p).read_bytes() and size == Path(p).stat().st_size
    compressible = results[0][0]
    assert store.stored_size(compressible) < 1500  # zstd inside the pack
    store._pack._conn().execute("UPDATE blobs SET data = ? WHERE digest = ?", (b"evil", results[1][0]))
    with pytest.raises(ArtifactCorrupted, match="corrupted"):
        store.read_bytes(results[1][0])
    with pytest.raises(ArtifactCorrupted):
        store.copy_to(results[1][0], str(tmp_path / "out"))


def test_pack_gc_respects_touch(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    d, _ = store.put_bytes(b"small")
    store._pack._conn().execute("UPDATE blobs SET mtime = mtime - 100")
    assert store.age_seconds(d) >= 99
    assert store.reuse(d)  # a writer dedups against it: it becomes young again
    assert store.delete_if_older(d, 50) is False
    store._pack._conn().execute("UPDATE blobs SET mtime = mtime - 100")
    assert store.delete_if_older(d, 50) is True
    assert not store.has(d)


def test_pack_threshold_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCHIVIST_PACK_MAX_BYTES", "0")
    store = LocalBlobStore(tmp_path / "blobs")
    d, _ = store.put_bytes(b"tiny")
    assert [p.name for p in (tmp_path / "blobs" / "objects").rglob("*") if p.is_file()] == [d.split(":")[1]]
