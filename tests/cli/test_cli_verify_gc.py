"""``archivist verify`` and ``archivist gc`` against a real store."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
from cli_support import Store, assert_one_line_error, run_cli

import archivist
from archivist.stores.blobs.local import LocalBlobStore


@pytest.fixture(autouse=True)
def _own_temp_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """gc cleans archivist-save-* folders in the temp dir: never another process's."""
    systmp = tmp_path / "systmp"
    systmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(systmp))


def blobs(store: Store) -> LocalBlobStore:
    found = archivist.ArchivistClient(store.uri).artifact_store.blobs
    found = getattr(found, "inner", found)  # the local store below the chunk layer
    assert isinstance(found, LocalBlobStore)
    return found


def digest_of(store: Store, run_id: str, path: str) -> str:
    client = archivist.ArchivistClient(store.uri)
    (entry,) = [e for e in client.artifact_store.entries(run_id, path) if e.path == path]
    return entry.digest


def blob_file(blob_store: LocalBlobStore, digest: str) -> Path:
    """The file holding a blob, from the documented layout objects/<algo>/ab/cd/<hex>[.zst]."""
    algorithm, hexpart = digest.split(":")
    folder = blob_store.root / "objects" / algorithm / hexpart[:2] / hexpart[2:4]
    (found,) = [p for p in (folder / hexpart, folder / f"{hexpart}.zst") if p.exists()]
    return found


# ------------------------------------------------------------------------ verify
def test_verify_clean_store(store: Store) -> None:
    result = run_cli("verify")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("OK: checked 3 artifact file(s) in 3 blob(s)")


def test_verify_detects_a_deleted_blob(store: Store) -> None:
    digest = digest_of(store, store.first, "notes/hello.txt")
    blob_file(blobs(store), digest).unlink()
    result = run_cli("verify")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"missing: run {store.first}, artifact 'notes/hello.txt' -> blob {digest} is not in the store"
    )
    assert lines[-1].startswith("1 problem(s): checked 3 artifact file(s)")


def test_verify_detects_a_corrupted_blob(store: Store) -> None:
    digest = digest_of(store, store.second, "second.txt")
    path = blob_file(blobs(store), digest)
    os.chmod(path, 0o644)
    path.write_bytes(b"ONLY IN SECOND")  # same length, other bytes
    result = run_cli("verify")
    assert result.exit_code == 1
    (moved,) = blobs(store).quarantined(digest)
    assert result.stdout.splitlines()[0] == (
        f"corrupted: run {store.second}, artifact 'second.txt' -> blob {digest} holds bytes that "
        f"do not hash to its digest; moved to {moved}, log the file again to repair"
    )
    assert not path.exists()


def test_verify_no_quarantine_leaves_the_blob(store: Store) -> None:
    digest = digest_of(store, store.second, "second.txt")
    path = blob_file(blobs(store), digest)
    os.chmod(path, 0o644)
    path.write_bytes(b"ONLY IN SECOND")
    result = run_cli("verify", "--no-quarantine")
    assert result.exit_code == 1 and "moved to" not in result.stdout
    assert path.read_bytes() == b"ONLY IN SECOND" and blobs(store).quarantined(digest) == []


def test_verify_json(store: Store) -> None:
    digest = digest_of(store, store.first, "notes/hello.txt")
    blob_file(blobs(store), digest).unlink()
    archivist.ArchivistClient(store.uri).artifact_store.blobs.put_bytes(b"orphan")
    result = run_cli("verify", "--json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["ok"] is False
    assert doc["unreferenced"] == 1
    assert doc["missing"] == [
        {"digest": digest, "references": [{"owner_id": store.first, "path": "notes/hello.txt"}], "quarantined": []}
    ]
    assert doc["digest_mismatches"] == [] and doc["size_mismatches"] == []


# ---------------------------------------------------------------------------- gc
def test_gc_deletes_unreferenced_blobs(store: Store) -> None:
    orphan, _ = blobs(store).put_bytes(b"orphan bytes")
    result = run_cli("gc", "--grace-seconds", "0")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (
        "deleted 1 unreferenced blob(s), 12 bytes; kept 3 referenced and 0 recent (grace 0s) "
        "of 4 blob(s)"
    )
    assert not blobs(store).has(orphan)
    assert run_cli("verify").exit_code == 0


def test_gc_default_grace_keeps_young_blobs(store: Store) -> None:
    orphan, _ = blobs(store).put_bytes(b"orphan bytes")
    result = run_cli("gc", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert (doc["deleted"], doc["kept_recent"], doc["referenced"]) == (0, 1, 3)
    assert doc["grace_seconds"] == 3600
    assert blobs(store).has(orphan)


def test_gc_grace_from_the_environment(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    orphan, _ = blobs(store).put_bytes(b"orphan bytes")
    monkeypatch.setenv("ARCHIVIST_GC_GRACE_SECONDS", "0")
    assert json.loads(run_cli("gc", "--json").stdout)["deleted"] == 1
    assert not blobs(store).has(orphan)


def test_gc_dry_run(store: Store) -> None:
    orphan, _ = blobs(store).put_bytes(b"orphan bytes")
    result = run_cli("gc", "--grace-seconds", "0", "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("would delete 1 unreferenced blob(s), 12 bytes")
    assert blobs(store).has(orphan)


def test_gc_purge_deleted_runs(store: Store) -> None:
    only_second = digest_of(store, store.second, "second.txt")
    archivist.delete_run(store.second)

    plain = run_cli("gc", "--grace-seconds", "0")
    assert "deleted 0 unreferenced" in plain.stdout  # a deleted run's artifacts are kept

    dry = run_cli("gc", "--grace-seconds", "0", "--purge-deleted-runs", "--dry-run")
    assert dry.stdout.splitlines() == [
        "would drop 1 artifact entry of 1 deleted run(s) and 0 deleted logged model(s)",
        "would delete 1 unreferenced blob(s), 14 bytes; kept 2 referenced and 0 recent "
        "(grace 0s) of 3 blob(s)",
    ]
    assert blobs(store).has(only_second)

    result = run_cli("gc", "--grace-seconds", "0", "--purge-deleted-runs", "--json")
    doc = json.loads(result.stdout)
    assert (doc["runs_purged"], doc["entries_purged"], doc["deleted"]) == (1, 1, 1)
    assert not blobs(store).has(only_second)
    assert run_cli("verify").exit_code == 0
    assert archivist.ArchivistClient(store.uri).read_artifact(store.first, "notes/hello.txt") == b"hello"


def test_gc_negative_grace_is_a_usage_error(store: Store) -> None:
    result = run_cli("gc", "--grace-seconds", "-1")
    assert result.exit_code == 2
    assert "-1" in result.stderr


def test_gc_bad_grace_in_the_environment_is_one_line(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCHIVIST_GC_GRACE_SECONDS", "soon")
    assert_one_line_error(run_cli("gc"), "ARCHIVIST_GC_GRACE_SECONDS='soon'")


def test_unknown_tracking_scheme_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    assert_one_line_error(run_cli("verify", "--tracking-uri", "ftp://host/x"), "'ftp'")
