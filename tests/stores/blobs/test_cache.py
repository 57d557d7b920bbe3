"""The bounded local cache in front of a remote store (S3 on a real SeaweedFS)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import archivist
from archivist.cli import archivist as cli
from archivist.errors import ArtifactCorrupted
from archivist.stores import open_blob_store
from archivist.stores.blobs.cache import BlobCache, CachedBlobStore
from archivist.stores.blobs.local import LocalBlobStore
from archivist.stores.blobs.s3 import S3BlobStore


def _counting(store: CachedBlobStore) -> list[str]:
    """Record every download the cache makes from its origin."""
    fetched: list[str] = []
    origin: Any = store.origin
    real = origin.copy_to

    def copy_to(digest: str, dest: str, *, link: bool = False) -> None:
        fetched.append(digest)
        real(digest, dest, link=link)

    origin.copy_to = copy_to
    return fetched


def test_remote_stores_are_cached_and_local_ones_not(
    s3_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def backend(s: object) -> object:  # below the chunk layer
        return getattr(s, "inner", s)

    store = open_blob_store(s3_uri)
    assert isinstance(store, CachedBlobStore) and isinstance(backend(store.origin), S3BlobStore)
    assert store.cache.path == tmp_path / "blob-cache"
    assert isinstance(backend(open_blob_store(str(tmp_path / "local"))), LocalBlobStore)
    monkeypatch.setenv("ARCHIVIST_CACHE_MAX_BYTES", "0")
    assert isinstance(backend(open_blob_store(s3_uri)), S3BlobStore)


def test_a_blob_used_by_many_runs_is_cached_once(
    s3_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARCHIVIST_ARTIFACT_ROOT", s3_uri)
    data = os.urandom(300_000)
    (tmp_path / "w.bin").write_bytes(data)
    run_ids = []
    for _ in range(3):
        with archivist.start_run() as run:
            archivist.log_artifact(tmp_path / "w.bin")
        run_ids.append(run.info.run_id)
    client = archivist.ArchivistClient()
    store = client.artifact_store.blobs
    assert isinstance(store, CachedBlobStore)
    fetched = _counting(store)
    for i, rid in enumerate(run_ids):
        out = client.download_artifacts(rid, "w.bin", str(tmp_path / f"out{i}"))
        assert Path(out).read_bytes() == data
        assert client.artifact_store.read_bytes(rid, "w.bin") == data
    assert len(fetched) == 1
    info = store.cache.info()
    assert (info.blobs, info.bytes) == (1, len(data))


def test_lru_limit(s3_uri: str) -> None:
    origin = S3BlobStore(s3_uri)
    cache = BlobCache(Path("cache"), max_bytes=250_000)
    store = CachedBlobStore(origin, cache)
    blobs = {name: origin.put_bytes(os.urandom(100_000))[0] for name in "abcd"}
    fetched = _counting(store)
    for name in "abc":  # c pushes a out
        store.read_bytes(blobs[name])
    assert not cache.file(blobs["a"]).exists() and cache.info().bytes == 200_000
    store.read_bytes(blobs["b"])  # b is now the most recent
    store.read_bytes(blobs["d"])  # so c goes
    assert [n for n in "abcd" if cache.file(blobs[n]).exists()] == ["b", "d"]
    assert fetched == [blobs[n] for n in "abcd"]  # b was a hit
    report = cache.prune(0)
    assert (report.evicted, report.bytes_freed, report.blobs) == (2, 200_000, 0)


def test_corrupt_cached_copy_is_detected_and_refetched(s3_uri: str, tmp_path: Path) -> None:
    store = open_blob_store(s3_uri)
    data = os.urandom(50_000)
    d, _ = store.put_bytes(data)
    assert store.read_bytes(d) == data
    cached = store.cache.file(d)
    cached.chmod(0o644)
    cached.write_bytes(b"X" + data[1:])
    with pytest.raises(ArtifactCorrupted, match="cache of s3://"):
        store.read_bytes(d)
    assert not cached.exists()  # evicted
    assert store.read_bytes(d) == data
    store.copy_to(d, str(tmp_path / "out"))
    assert (tmp_path / "out").read_bytes() == data


def test_delete_and_gc_evict_the_cached_copy(s3_uri: str) -> None:
    store = open_blob_store(s3_uri)
    d, _ = store.put_bytes(b"soon gone" * 100)
    store.read_bytes(d)
    assert store.cache.file(d).exists()
    assert store.delete_if_older(d, 0)
    assert not store.cache.file(d).exists() and not store.has(d)


_WORKER = textwrap.dedent(
    """
    import json, os, random, sys
    from archivist.stores.blobs.cache import BlobCache, CachedBlobStore
    from archivist.stores.blobs.s3 import S3BlobStore

    uri, cache_dir, digests = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    store = CachedBlobStore(S3BlobStore(uri), BlobCache(cache_dir, max_bytes=int(sys.argv[4])))
    rng = random.Random(os.getpid())
    sizes = {}
    for _ in range(60):
        d = rng.choice(digests)
        sizes[d] = len(store.read_bytes(d))  # raises if any read were wrong
    print(json.dumps(sizes))
    """
)


def test_concurrent_processes_share_the_cache(s3_uri: str, tmp_path: Path) -> None:
    origin = S3BlobStore(s3_uri)
    digests = [origin.put_bytes(os.urandom(40_000 + i))[0] for i in range(12)]
    limit = 200_000  # about 5 of the 12 blobs
    script = tmp_path / "worker.py"
    script.write_text(_WORKER)
    cache_dir = tmp_path / "shared-cache"
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), s3_uri, str(cache_dir), json.dumps(digests), str(limit)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for _ in range(5)
    ]
    outputs = [p.communicate(timeout=300) for p in procs]  # every pipe read and closed
    for p, (out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err
        for d, size in json.loads(out).items():
            assert size == 40_000 + digests.index(d)
    cache = BlobCache(cache_dir, max_bytes=limit)
    before = cache.info()
    assert before.bytes <= limit + 40_011  # at most one blob over, until its reader's prune
    # the index agrees with the files: a rescan changes nothing
    files = sorted(p.name for p in (cache_dir / "objects").rglob("*") if p.is_file())
    report = cache.prune(10**12, rescan=True)
    assert (report.blobs, report.bytes) == (before.blobs, before.bytes) == (len(files), report.bytes)
    assert list((cache_dir / "tmp").iterdir()) == []


def test_cache_cli(s3_uri: str, tmp_path: Path) -> None:
    store = open_blob_store(s3_uri)
    for i in range(3):
        store.read_bytes(store.put_bytes(os.urandom(1000 + i))[0])
    runner = CliRunner()
    info = json.loads(runner.invoke(cli, ["cache", "info", "--json"]).stdout)
    assert info == {"path": str(tmp_path / "blob-cache"), "blobs": 3, "bytes": 3003,
                    "max_bytes": 4 << 30}
    result = runner.invoke(cli, ["cache", "prune", "--max-bytes", "2000"])
    assert result.exit_code == 0 and "evicted 2 blob(s), 2001 bytes" in result.stdout
    result = runner.invoke(cli, ["cache", "prune", "--all", "--json"])
    assert json.loads(result.stdout)["blobs"] == 0
    assert "0 blob(s), 0 bytes" in runner.invoke(cli, ["cache", "info"]).stdout


def test_a_blob_larger_than_the_cache_is_read_once_and_not_kept(s3_uri: str) -> None:
    origin = S3BlobStore(s3_uri)
    store = CachedBlobStore(origin, BlobCache(Path("cache"), max_bytes=10_000))
    data = os.urandom(50_000)
    d, _ = origin.put_bytes(data)
    client = origin.client()
    real_get = client.get_object
    gets: list[str] = []

    def get_object(**kw: Any) -> Any:
        gets.append(kw["Key"])
        return real_get(**kw)

    client.get_object = get_object
    assert store.read_bytes(d) == data
    assert len(gets) == 1 and store.cache.info().blobs == 0
