"""Dedup never reuses a damaged blob: logging the good bytes again repairs the store.

The damage is done the way it happens outside Archivist: a byte flipped or the tail cut
off, in a raw blob file, in a compressed ``.zst`` one, and in a row of the small-blob pack.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from maint_support import blob_file

from archivist.client import ArchivistClient
from archivist.errors import ArtifactCorrupted
from archivist.maintenance import verify
from archivist.stores.blobs.local import LocalBlobStore

FORMS = {
    # form: (file content, whether small blobs go to the pack)
    "raw": (os.urandom(300 << 10), False),
    "zst": (b"the same line again\n" * 20_000, False),
    "pack": (os.urandom(2000), True),
}


def damage_file(path: Path, how: str) -> None:
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    if how == "flip":
        data[len(data) // 2] ^= 0x01
    else:
        del data[-7:]
    path.write_bytes(bytes(data))
    os.chmod(path, 0o444)


def damage_pack_row(blobs: LocalBlobStore, digest: str, how: str) -> None:
    with sqlite3.connect(blobs.root / "pack.sqlite") as conn:
        (data,) = conn.execute("SELECT data FROM blobs WHERE digest = ?", (digest,)).fetchone()
        data = bytearray(data)
        if how == "flip":
            data[len(data) // 2] ^= 0x01
        else:
            del data[-7:]
        conn.execute("UPDATE blobs SET data = ? WHERE digest = ?", (bytes(data), digest))


def damage(blobs: LocalBlobStore, digest: str, form: str, how: str) -> None:
    if form == "pack":
        damage_pack_row(blobs, digest, how)
    else:
        path = blob_file(blobs, digest)
        assert path.suffix == (".zst" if form == "zst" else "")
        damage_file(path, how)


@pytest.fixture
def make_client(tracking_uri: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    def make(pack: bool) -> ArchivistClient:
        monkeypatch.setenv("ARCHIVIST_PACK_MAX_BYTES", str(64 << 10) if pack else "0")
        return ArchivistClient(tracking_uri)

    return make


@pytest.mark.parametrize("how", ["flip", "truncate"])
@pytest.mark.parametrize("form", sorted(FORMS))
def test_logging_the_same_file_again_repairs_a_damaged_blob(
    make_client, tmp_path: Path, form: str, how: str  # type: ignore[no-untyped-def]
) -> None:
    content, pack = FORMS[form]
    client = make_client(pack)
    blobs = client.artifact_store.blobs.inner  # the local store below the chunk layer
    assert isinstance(blobs, LocalBlobStore)
    src = tmp_path / "f.bin"
    src.write_bytes(content)

    run1 = client.create_run("0").info.run_id
    client.log_artifact(run1, str(src))
    digest = client.artifact_store.entries(run1)[0].digest
    damage(blobs, digest, form, how)
    with pytest.raises(ArtifactCorrupted):
        client.read_artifact(run1, "f.bin")

    run2 = client.create_run("0").info.run_id
    client.log_artifact(run2, str(src))
    assert client.artifact_store.entries(run2)[0].digest == digest
    assert client.read_artifact(run2, "f.bin") == content
    # one blob serves both runs, so run 1 is repaired too
    assert client.read_artifact(run1, "f.bin") == content
    assert verify(client.tracking_store, blobs).ok


@pytest.mark.parametrize("form", ["zst", "pack"])
def test_log_text_of_the_same_text_repairs_too(make_client, form: str) -> None:  # type: ignore[no-untyped-def]
    pack = form == "pack"
    text = os.urandom(750).hex() if pack else "the same line again\n" * 20_000
    client = make_client(pack)
    blobs = client.artifact_store.blobs.inner  # the local store below the chunk layer
    run1 = client.create_run("0").info.run_id
    client.log_text(run1, text, "t.txt")
    digest = client.artifact_store.entries(run1)[0].digest
    damage(blobs, digest, form, "flip")

    run2 = client.create_run("0").info.run_id
    client.log_text(run2, text, "t.txt")
    assert client.read_artifact(run2, "t.txt") == text.encode()
    assert client.read_artifact(run1, "t.txt") == text.encode()


def test_a_blob_found_damaged_on_read_is_rewritten_by_the_next_log(make_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Damage the stat cannot show (bit rot): once a read finds it, the next log repairs it."""
    client = make_client(False)
    blobs = client.artifact_store.blobs.inner  # the local store below the chunk layer
    content = os.urandom(300 << 10)
    src = tmp_path / "f.bin"
    src.write_bytes(content)
    run1 = client.create_run("0").info.run_id
    client.log_artifact(run1, str(src))
    digest = client.artifact_store.entries(run1)[0].digest
    path = blob_file(blobs, digest)
    damage_file(path, "flip")
    blobs._marks.mark(digest, os.stat(path))  # the damage left the mark matching
    with pytest.raises(ArtifactCorrupted):
        client.read_artifact(run1, "f.bin")

    run2 = client.create_run("0").info.run_id
    client.log_artifact(run2, str(src))
    assert client.read_artifact(run2, "f.bin") == content
    (kept,) = (blobs.root / "quarantine").iterdir()
    assert kept.name.startswith(digest.replace(":", "-")) and kept.read_bytes() != content


def test_an_unmarked_intact_blob_is_hashed_once_then_trusted(make_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    client = make_client(False)
    blobs = client.artifact_store.blobs.inner  # the local store below the chunk layer
    src = tmp_path / "f.bin"
    src.write_bytes(os.urandom(300 << 10))
    digest, _ = blobs.put_file(src)
    blobs._marks.forget(digest)  # as for a blob written before marks existed
    hashed: list[str] = []
    real = blobs._file_intact
    blobs._file_intact = lambda *a: hashed.append(a[0]) or real(*a)  # type: ignore[method-assign]
    assert blobs.reuse(digest) and blobs.reuse(digest)
    assert hashed == [digest]
    assert not (blobs.root / "quarantine").exists()


def test_corruption_errors_name_the_run_or_model_and_the_path(make_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    client = make_client(False)
    blobs = client.artifact_store.blobs
    src = tmp_path / "f.bin"
    src.write_bytes(os.urandom(300 << 10))
    run_id = client.create_run("0").info.run_id
    client.log_artifact(run_id, str(src), "dir")
    store = client.tracking_store
    model = store.create_logged_model("0", "m")
    client.artifact_store.log_file(model.model_id, src)
    damage(blobs, client.artifact_store.entries(run_id)[0].digest, "raw", "flip")

    run_says = f"artifact 'dir/f.bin' of run {run_id} cannot be read: blob "
    with pytest.raises(ArtifactCorrupted, match=run_says):
        client.read_artifact(run_id, "dir/f.bin")
    with pytest.raises(ArtifactCorrupted, match=run_says), client.artifact_store.open(run_id, "dir/f.bin") as f:
        f.read()
    with pytest.raises(ArtifactCorrupted, match=run_says):
        client.artifact_store.download(run_id, "", tmp_path / "out")
    with pytest.raises(ArtifactCorrupted, match=f"artifact 'f.bin' of logged model {model.model_id} cannot"):
        client.artifact_store.read_bytes(model.model_id, "f.bin")


def test_verify_quarantines_a_damaged_pack_row(make_client) -> None:  # type: ignore[no-untyped-def]
    client = make_client(True)
    blobs = client.artifact_store.blobs
    run_id = client.create_run("0").info.run_id
    client.log_text(run_id, "a small note", "n.txt")
    digest = client.artifact_store.entries(run_id)[0].digest
    damage_pack_row(blobs, digest, "flip")
    report = verify(client.tracking_store, blobs)
    (moved,) = [m.quarantined for m in report.digest_mismatches]
    assert moved is not None and moved.endswith(".pack-raw") and not blobs.has(digest)
    client.log_text(client.create_run("0").info.run_id, "a small note", "again.txt")
    assert client.read_artifact(run_id, "n.txt") == b"a small note"
    assert verify(client.tracking_store, blobs).ok
