"""verify(): missing blobs, digest and size mismatches, unreferenced blobs."""

from __future__ import annotations

import os
from pathlib import Path

from maint_support import blob_file

import archivist
from archivist.client import ArchivistClient
from archivist.entities import TreeEntry
from archivist.maintenance import VerifyReport, verify
from archivist.maintenance.verify import Reference
from archivist.stores.blobs.local import LocalBlobStore


def local_blobs(client: ArchivistClient) -> LocalBlobStore:
    blobs = client.artifact_store.blobs
    blobs = getattr(blobs, "inner", blobs)  # the local store below the chunk layer
    assert isinstance(blobs, LocalBlobStore)
    return blobs


def check(client: ArchivistClient) -> VerifyReport:
    return verify(client.tracking_store, client.artifact_store.blobs)


def test_empty_store(client: ArchivistClient) -> None:
    report = check(client)
    assert report.ok and report.problems() == []
    assert (report.entries, report.blobs, report.bytes_read, report.unreferenced) == (0, 0, 0, 0)


def test_intact_store_counts_entries_blobs_and_bytes(client: ArchivistClient) -> None:
    with archivist.start_run() as a:
        archivist.log_text("same", "x.txt")
        archivist.log_text("same", "copy/x.txt")
        archivist.log_text("big" * 1000, "big.txt")  # stored compressed
    with archivist.start_run():
        archivist.log_text("same", "x.txt")
    report = check(client)
    assert report.ok, report.problems()
    assert (report.entries, report.blobs, report.bytes_read) == (4, 2, 4 + 3000)
    assert client.read_artifact(a.info.run_id, "big.txt") == b"big" * 1000


def test_each_blob_is_read_once(client: ArchivistClient) -> None:
    for _ in range(3):
        with archivist.start_run():
            archivist.log_text("shared", "a.txt")
            archivist.log_text("shared", "b.txt")
    blobs = client.artifact_store.blobs
    opened: list[str] = []
    real_check = blobs.check

    def counting_check(digest: str) -> int:  # verify reads each blob through check()
        opened.append(digest)
        return real_check(digest)

    blobs.check = counting_check  # type: ignore[method-assign]
    try:
        report = check(client)
    finally:
        del blobs.check
    assert report.ok and report.entries == 6
    assert len(opened) == 1


def test_missing_blob_names_every_reference(client: ArchivistClient) -> None:
    with archivist.start_run() as a:
        archivist.log_text("lost", "one.txt")
        archivist.log_text("kept", "two.txt")
    with archivist.start_run() as b:
        archivist.log_text("lost", "again/one.txt")
    digest = client.artifact_store.entries(a.info.run_id, "one.txt")[0].digest
    blob_file(local_blobs(client), digest).unlink()

    report = check(client)
    assert not report.ok
    (missing,) = report.missing
    assert missing.digest == digest
    assert set(missing.references) == {
        Reference(a.info.run_id, "one.txt"),
        Reference(b.info.run_id, "again/one.txt"),
    }
    assert report.problem_count == 2
    assert sorted(report.problems()) == sorted(
        [
            f"missing: run {a.info.run_id}, artifact 'one.txt' -> blob {digest} is not in the store",
            f"missing: run {b.info.run_id}, artifact 'again/one.txt' -> blob {digest} is not in the store",
        ]
    )
    assert report.digest_mismatches == () and report.size_mismatches == ()


def tampered(client: ArchivistClient) -> tuple[str, str, Path]:
    """A run whose f.txt blob now holds other bytes: (run id, digest, blob file)."""
    with archivist.start_run() as a:
        archivist.log_text("original", "f.txt")
    digest = client.artifact_store.entries(a.info.run_id)[0].digest
    path = blob_file(local_blobs(client), digest)
    os.chmod(path, 0o644)
    path.write_bytes(b"tampered")
    return a.info.run_id, digest, path


def test_corrupted_raw_blob(client: ArchivistClient) -> None:
    run_id, digest, path = tampered(client)

    report = check(client)
    assert [(m.digest, m.references) for m in report.digest_mismatches] == [
        (digest, (Reference(run_id, "f.txt"),))
    ]
    moved = report.digest_mismatches[0].quarantined
    assert moved is not None and Path(moved).read_bytes() == b"tampered" and not path.exists()
    assert report.problems() == [
        f"corrupted: run {run_id}, artifact 'f.txt' -> blob {digest} holds bytes that do "
        f"not hash to its digest; moved to {moved}, log the file again to repair"
    ]


def test_corrupted_compressed_blob(client: ArchivistClient) -> None:
    with archivist.start_run() as a:
        archivist.log_text("abc" * 2000, "c.txt")
    digest = client.artifact_store.entries(a.info.run_id)[0].digest
    path = blob_file(local_blobs(client), digest)
    assert path.suffix == ".zst"
    os.chmod(path, 0o644)
    path.write_bytes(b"not zstd at all" * 10)

    report = check(client)
    assert len(report.digest_mismatches) == 1
    assert "cannot be decompressed" in report.digest_mismatches[0].reason
    assert not report.ok


def test_size_mismatch(client: ArchivistClient) -> None:
    with archivist.start_run() as a:
        archivist.log_text("12345", "five.txt")
    run_id = a.info.run_id
    digest = client.artifact_store.entries(run_id)[0].digest
    client.tracking_store.put_tree_entries(run_id, [TreeEntry("wrong.txt", digest, 7)])

    report = check(client)
    assert [(s.reference, s.recorded, s.actual) for s in report.size_mismatches] == [
        (Reference(run_id, "wrong.txt"), 7, 5)
    ]
    assert report.problems() == [
        f"size mismatch: run {run_id}, artifact 'wrong.txt' -> blob {digest} holds 5 bytes, the entry records 7"
    ]


def test_unreferenced_blobs_are_counted_not_problems(client: ArchivistClient) -> None:
    with archivist.start_run():
        archivist.log_text("used", "u.txt")
    client.artifact_store.blobs.put_bytes(b"orphan 1")
    client.artifact_store.blobs.put_bytes(b"orphan 2")
    report = check(client)
    assert report.ok and report.unreferenced == 2


def test_report_to_dict(client: ArchivistClient) -> None:
    with archivist.start_run() as a:
        archivist.log_text("lost", "one.txt")
    digest = client.artifact_store.entries(a.info.run_id)[0].digest
    blob_file(local_blobs(client), digest).unlink()
    doc = check(client).to_dict()
    assert doc["ok"] is False and doc["problem_count"] == 1
    assert doc["missing"] == [
        {"digest": digest, "references": [{"owner_id": a.info.run_id, "path": "one.txt"}], "quarantined": []}
    ]


def test_quarantine_then_relog_repairs_every_artifact(client: ArchivistClient, tmp_path: Path) -> None:
    src = tmp_path / "weights.bin"
    src.write_bytes(os.urandom(100_000))
    with archivist.start_run() as a:
        archivist.log_artifact(str(src))
    with archivist.start_run() as b:
        archivist.log_artifact(str(src), "copy")
    digest = client.artifact_store.entries(a.info.run_id)[0].digest
    path = blob_file(local_blobs(client), digest)
    os.chmod(path, 0o644)
    with open(path, "r+b") as f:
        f.seek(5000)
        f.write(b"\x00\x01")

    first = check(client)
    assert len(first.digest_mismatches) == 1 and first.problem_count == 2
    moved = first.digest_mismatches[0].quarantined
    assert moved is not None
    # a second pass sees the blob gone, and where the damaged copy is
    second = check(client)
    assert second.missing[0].quarantined == (moved,)
    assert second.problems()[0].endswith(f"(a damaged copy is quarantined at {moved}); log the file again to repair")

    with archivist.start_run():
        archivist.log_artifact(str(src))  # the same bytes again, anywhere
    assert check(client).ok
    assert client.read_artifact(a.info.run_id, "weights.bin") == src.read_bytes()
    assert client.read_artifact(b.info.run_id, "copy/weights.bin") == src.read_bytes()


def test_no_quarantine_leaves_the_blob_in_place(client: ArchivistClient) -> None:
    _, _, path = tampered(client)
    report = verify(client.tracking_store, client.artifact_store.blobs, quarantine=False)
    assert report.digest_mismatches[0].quarantined is None and path.read_bytes() == b"tampered"
