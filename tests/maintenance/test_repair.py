"""``archivist verify --repair-from URI``: damaged or missing blobs restored from another
store holding the same digests."""

from __future__ import annotations

import json
import os
from pathlib import Path

from click.testing import CliRunner
from maint_support import blob_file

import archivist
from archivist.cli import archivist as cli
from archivist.client import ArchivistClient
from archivist.maintenance.repair import damaged_digests, repair_blobs
from archivist.maintenance.verify import verify
from archivist.stores.blobs.base import BlobStore
from archivist.stores.blobs.local import LocalBlobStore
from archivist.stores.schemes import get_blob_store
from s3_support import S3Server


def _log_three(tmp_path: Path) -> tuple[str, dict[str, bytes]]:
    files = {name: os.urandom(20_000 + i) for i, name in enumerate(("a.bin", "b.bin", "c.bin"))}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    with archivist.start_run() as run:
        for name in files:
            archivist.log_artifact(tmp_path / name)
    return run.info.run_id, files


def _replica(source: BlobStore, target: BlobStore) -> None:
    for d in source.iter_digests():
        with source.open(d) as f:
            target.put(d, f)  # type: ignore[arg-type]


def _digest(client: ArchivistClient, run_id: str, path: str) -> str:
    (entry,) = client.artifact_store.entries(run_id, path)
    return entry.digest


def _damage(store: LocalBlobStore, digest: str) -> None:
    f = blob_file(store, digest)
    f.chmod(0o644)
    f.write_bytes(b"garbage")


def test_repair_from_a_local_replica(
    client: ArchivistClient, tracking_uri: str, tmp_path: Path
) -> None:
    run_id, files = _log_three(tmp_path)
    blobs = client.artifact_store.blobs
    blobs = getattr(blobs, "inner", blobs)  # the local store below the chunk layer
    assert isinstance(blobs, LocalBlobStore)
    backup = LocalBlobStore(tmp_path / "backup")
    _replica(blobs, backup)
    corrupt, gone = _digest(client, run_id, "a.bin"), _digest(client, run_id, "b.bin")
    _damage(blobs, corrupt)
    blob_file(blobs, gone).unlink()

    runner = CliRunner()
    result = runner.invoke(cli, ["verify", "--tracking-uri", tracking_uri])
    assert result.exit_code == 1
    result = runner.invoke(
        cli, ["verify", "--tracking-uri", tracking_uri, "--repair-from", str(tmp_path / "backup")]
    )
    assert result.exit_code == 0, result.output
    assert f"repaired: blob {corrupt} from " in result.stdout
    assert f"repaired: blob {gone} from " in result.stdout
    assert result.stdout.rstrip().splitlines()[-1].startswith("OK:")
    for name, data in files.items():
        assert client.artifact_store.read_bytes(run_id, name) == data
    assert verify(client.tracking_store, blobs).ok


def test_what_the_source_cannot_give_is_reported(
    client: ArchivistClient, tracking_uri: str, tmp_path: Path
) -> None:
    run_id, _ = _log_three(tmp_path)
    blobs = client.artifact_store.blobs
    blobs = getattr(blobs, "inner", blobs)  # the local store below the chunk layer
    assert isinstance(blobs, LocalBlobStore)
    backup = LocalBlobStore(tmp_path / "backup")
    _replica(blobs, backup)
    absent, bad_there_too = _digest(client, run_id, "a.bin"), _digest(client, run_id, "b.bin")
    backup.delete(absent)
    _damage(backup, bad_there_too)
    _damage(blobs, absent)
    _damage(blobs, bad_there_too)

    report = repair_blobs(blobs, backup, damaged_digests(verify(client.tracking_store, blobs)))
    assert report.repaired == ()
    assert report.unavailable == {
        absent: f"not in {backup.uri}", bad_there_too: f"damaged in {backup.uri} too",
    }
    result = CliRunner().invoke(
        cli, ["verify", "--tracking-uri", tracking_uri, "--repair-from", str(tmp_path / "backup"),
              "--json"],
    )
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["repair"]["unavailable"][absent].startswith("not in")
    assert data["ok"] is False and data["problem_count"] == 2


def test_repair_across_local_and_s3(
    client: ArchivistClient, s3_env: S3Server, tmp_path: Path
) -> None:
    run_id, files = _log_three(tmp_path)
    blobs = client.artifact_store.blobs
    blobs = getattr(blobs, "inner", blobs)  # the local store below the chunk layer
    assert isinstance(blobs, LocalBlobStore)
    bucket = get_blob_store(s3_env.new_uri())
    _replica(blobs, bucket)
    d = _digest(client, run_id, "c.bin")
    _damage(blobs, d)
    report = repair_blobs(blobs, bucket, [d])
    assert report.repaired == (d,) and report.source == bucket.uri
    assert client.artifact_store.read_bytes(run_id, "c.bin") == files["c.bin"]
    # and the other way: the bucket lost an object, the local store gives it back
    bucket.delete(d)
    assert repair_blobs(bucket, blobs, [d]).repaired == (d,)
    assert bucket.read_bytes(d) == files["c.bin"]
