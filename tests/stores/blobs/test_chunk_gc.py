"""gc of the chunk layer through the client: unused packs removed, sparse packs repacked,
young or reused packs kept, bytes freed reported, everything still logged reads back."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from archivist.client import ArchivistClient
from archivist.maintenance import gc, verify
from archivist.stores.blobs.chunked import ChunkedBlobStore
from archivist.stores.blobs.local import LocalBlobStore

MiB = 1 << 20


@pytest.fixture
def client(tracking_uri: str, monkeypatch: pytest.MonkeyPatch) -> ArchivistClient:
    monkeypatch.setenv("ARCHIVIST_CHUNK_MIN_BYTES", str(MiB))
    monkeypatch.setenv("ARCHIVIST_FSYNC", "0")
    return ArchivistClient(tracking_uri)


def _stores(client: ArchivistClient) -> tuple[ChunkedBlobStore, LocalBlobStore]:
    chunked = client.artifact_store.blobs
    assert isinstance(chunked, ChunkedBlobStore) and isinstance(chunked.inner, LocalBlobStore)
    return chunked, chunked.inner


def _packs(inner: LocalBlobStore) -> set[str]:
    return {d for d in inner.iter_digests() if d.startswith("pack:")}


def _age_all(inner: LocalBlobStore, seconds: float) -> None:
    past = time.time() - seconds
    for p in (inner.root / "objects").rglob("*"):
        if p.is_file():
            os.utime(p, (past, past))
    inner._pack._conn().execute("UPDATE blobs SET mtime = ?", (past,))  # small recipes


def _log(client: ArchivistClient, experiment_id: str, path: Path, data: bytes) -> str:
    path.write_bytes(data)
    run = client.create_run(experiment_id)
    client.log_artifact(run.info.run_id, str(path))
    return str(run.info.run_id)


def _one_run(
    client: ArchivistClient, tmp_path: Path, name: str, size: int
) -> tuple[ChunkedBlobStore, LocalBlobStore, str, str, bytes]:
    """(chunked, inner, experiment id, run id, bytes) after logging one random file."""
    chunked, inner = _stores(client)
    exp = client.create_experiment(name)
    data = os.urandom(size)
    return chunked, inner, exp, _log(client, exp, tmp_path / f"{name}.bin", data), data


def test_unused_packs_removed_and_bytes_reported(client: ArchivistClient, tmp_path: Path) -> None:
    chunked, inner = _stores(client)
    exp = client.create_experiment("gc")
    a, b = os.urandom(8 * MiB), os.urandom(8 * MiB)
    run_a = _log(client, exp, tmp_path / "a.bin", a)
    run_b = _log(client, exp, tmp_path / "b.bin", b)
    packs_before = _packs(inner)
    assert len(packs_before) == 2
    client.delete_run(run_b)

    dry = gc(client.tracking_store, chunked, 0, dry_run=True, purge_deleted_runs=True)
    assert dry.packs_deleted == 1 and _packs(inner) == packs_before
    report = gc(client.tracking_store, chunked, 0, purge_deleted_runs=True)
    assert report.deleted == 1  # b's recipe
    assert report.packs_deleted == 1
    assert report.bytes_freed >= 8 * MiB
    assert len(_packs(inner)) == 1
    assert client.read_artifact(run_a, "a.bin") == a
    assert verify(client.tracking_store, chunked).ok


def test_mostly_unused_pack_is_repacked(client: ArchivistClient, tmp_path: Path) -> None:
    chunked, inner = _stores(client)
    exp = client.create_experiment("repack")
    x = os.urandom(16 * MiB)
    y = x[: 4 * MiB] + os.urandom(12 * MiB)  # keeps a quarter of x's pack alive
    run_x = _log(client, exp, tmp_path / "x.bin", x)
    (x_pack,) = _packs(inner)
    run_y = _log(client, exp, tmp_path / "y.bin", y)
    assert len(_packs(inner)) == 2  # y added its new 12 MiB in a second pack
    client.delete_run(run_x)

    report = gc(client.tracking_store, chunked, 0, purge_deleted_runs=True)
    assert report.packs_repacked == 1 and report.packs_deleted == 0
    assert x_pack not in _packs(inner) and len(_packs(inner)) == 2
    assert report.bytes_freed >= 11 * MiB
    assert client.read_artifact(run_y, "y.bin") == y
    assert verify(client.tracking_store, chunked).ok


def test_grace_keeps_young_packs_and_reuse_protects_old_ones(
    client: ArchivistClient, tmp_path: Path
) -> None:
    chunked, inner, exp, run_z, z = _one_run(client, tmp_path, "grace", 8 * MiB)
    client.delete_run(run_z)
    client.tracking_store.delete_tree_entries(run_z)
    report = gc(client.tracking_store, chunked, 3600)
    assert report.deleted == 0 and report.kept_recent == 1 and len(_packs(inner)) == 1

    # the file's recipe is collected; its pack is old; then a writer reuses its chunks
    _age_all(inner, 7200)
    first = gc(client.tracking_store, chunked, 3600, dry_run=True)
    assert first.deleted == 1 and first.packs_deleted == 1
    zz = z + b"tail"  # every chunk but the last is in the old pack
    run_zz = _log(client, exp, tmp_path / "zz.bin", zz)
    report = gc(client.tracking_store, chunked, 3600)
    assert report.deleted == 1 and report.packs_deleted == 0  # the touch protected the pack
    assert client.read_artifact(run_zz, "zz.bin") == zz
    assert verify(client.tracking_store, chunked).ok


def test_writer_rewrites_chunks_of_a_pack_collected_under_it(
    client: ArchivistClient, tmp_path: Path
) -> None:
    chunked, inner, exp, run_w, w = _one_run(client, tmp_path, "race", 4 * MiB)
    (pack,) = _packs(inner)
    client.delete_run(run_w)
    # gc from another machine: its own chunk index, so ours still lists the pack
    elsewhere = ChunkedBlobStore(inner, min_file=MiB)
    gc(client.tracking_store, elsewhere, 0, purge_deleted_runs=True)
    assert not _packs(inner) and pack in chunked.index.packs()
    run_again = _log(client, exp, tmp_path / "race.bin", w)
    # the failed touch made the writer store the chunks again (the same pack, rebuilt)
    assert _packs(inner) == {pack}
    assert client.read_artifact(run_again, "race.bin") == w
    assert verify(client.tracking_store, chunked).ok
