"""Encryption at rest: nothing readable on disk, dedup inside the store, key errors,
tamper detection, key rotation without rewriting blobs.

What "no plain digest on disk" covers: the *artifact store* (every file under the blob
root: objects, packs, recipes, the small-blob pack, the chunk index, the keyring). The
SQL database keeps the plain content digests of tree rows by design (DESIGN.md: identity
is the content digest, and the server protocol and gc compare them); keying those
columns is out of scope, and the last assertion of the first test pins that down.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from archivist.cli import archivist as cli
from archivist.client import ArchivistClient
from archivist.errors import ArtifactCorrupted, InvalidArgument, PermissionDenied
from archivist.maintenance import verify
from archivist.stores import open_stores
from archivist.stores.blobs.encrypted import EncryptedBlobStore

MiB = 1 << 20
MARKER = b"TOP-SECRET-PLAINTEXT-MARKER-0123456789"


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> str:
    k = _key()
    monkeypatch.setenv("ARCHIVIST_ENCRYPTION_KEY", k)
    monkeypatch.setenv("ARCHIVIST_CHUNK_MIN_BYTES", str(MiB))
    monkeypatch.setenv("ARCHIVIST_FSYNC", "0")
    return k


def _store_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def _secret(size: int) -> bytes:
    """Bytes that hold the marker many times (so compression or chunking cannot hide it)."""
    out = bytearray()
    while len(out) < size:
        out += MARKER + os.urandom(200)
    return bytes(out[:size])


def _log(client: ArchivistClient, path: Path, data: bytes) -> tuple[str, str]:
    path.write_bytes(data)
    run = client.create_run("0")
    entry = client.artifact_store.log_file(run.info.run_id, path)
    return run.info.run_id, entry.digest


def test_nothing_readable_on_disk(key: str, tmp_path: Path) -> None:
    client = ArchivistClient(str(tmp_path / "store"))
    assert isinstance(client.artifact_store.blobs.inner, EncryptedBlobStore)
    logged = {}
    for name, size in (("small.txt", 3000), ("medium.bin", 300_000), ("big.bin", 4 * MiB)):
        data = _secret(size)
        run_id, digest = _log(client, tmp_path / name, data)
        logged[name] = (run_id, digest, data)
        assert client.read_artifact(run_id, name) == data
    assert client.artifact_store.blobs.is_chunked(logged["big.bin"][1])

    digests = [d for _, d, _ in logged.values()]
    needles = [MARKER, *(d.split(":")[1].encode() for d in digests)]
    needles += [bytes.fromhex(d.split(":")[1]) for d in digests]
    blob_root = tmp_path / "store" / "blobs"
    files = _store_files(blob_root)
    assert any(p.name == "pack.sqlite" for p in files) and any(p.name == "chunks.sqlite" for p in files)
    for p in files:
        content = p.read_bytes()
        for needle in needles:
            assert needle not in content, f"{needle[:20]!r} found in {p}"
    # the database holds no content, but it does keep the plain digests (see the docstring)
    db = b"".join(p.read_bytes() for p in (tmp_path / "store").glob("archivist.db*"))
    assert MARKER not in db
    assert logged["small.txt"][1].split(":")[1].encode() in db
    assert verify(client.tracking_store, client.artifact_store.blobs).ok


def test_dedup_works_inside_an_encrypted_store(key: str, tmp_path: Path) -> None:
    client = ArchivistClient(str(tmp_path / "store"))
    base = os.urandom(8 * MiB)
    _log(client, tmp_path / "a.bin", base)

    def used() -> int:
        return sum(p.stat().st_blocks * 512 for p in (tmp_path / "store" / "blobs" / "objects").rglob("*") if p.is_file())

    before = used()
    _log(client, tmp_path / "a.bin", base)  # the same file again
    assert used() == before
    run_id, _ = _log(client, tmp_path / "a.bin", base[: 4 * MiB] + b"x" * 1000 + base[4 * MiB :])
    assert used() - before < MiB
    assert len(client.read_artifact(run_id, "a.bin")) == 8 * MiB + 1000


def test_missing_wrong_and_late_keys_are_clear_errors(
    key: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = ArchivistClient(str(tmp_path / "store"))
    _log(client, tmp_path / "f.txt", b"hello")
    monkeypatch.delenv("ARCHIVIST_ENCRYPTION_KEY")
    with pytest.raises(PermissionDenied, match="is encrypted; set ARCHIVIST_ENCRYPTION_KEY_FILE"):
        open_stores(str(tmp_path / "store"))
    monkeypatch.setenv("ARCHIVIST_ENCRYPTION_KEY", _key())
    with pytest.raises(PermissionDenied, match="does not open"):
        open_stores(str(tmp_path / "store"))
    monkeypatch.setenv("ARCHIVIST_ENCRYPTION_KEY", "not base64 !!")
    with pytest.raises(InvalidArgument, match="not 32 bytes"):
        open_stores(str(tmp_path / "store"))
    # a key set for a store that already holds plain artifacts
    monkeypatch.delenv("ARCHIVIST_ENCRYPTION_KEY")
    plain = ArchivistClient(str(tmp_path / "plain"))
    _log(plain, tmp_path / "f.txt", b"hello")
    key_file = tmp_path / "k"
    key_file.write_bytes(os.urandom(32))
    monkeypatch.setenv("ARCHIVIST_ENCRYPTION_KEY_FILE", str(key_file))
    with pytest.raises(InvalidArgument, match="encryption is chosen when a store is created"):
        open_stores(str(tmp_path / "plain"))


def _enc_files(tmp_path: Path) -> list[Path]:
    return sorted(p for p in (tmp_path / "store" / "blobs" / "objects" / "enc").rglob("*") if p.is_file())


@pytest.mark.parametrize("size", [300_000, 4 * MiB])
def test_tampered_ciphertext_is_detected_on_read_and_by_verify(key: str, tmp_path: Path, size: int) -> None:
    client = ArchivistClient(str(tmp_path / "store"))
    run_id, digest = _log(client, tmp_path / "f.bin", os.urandom(size))
    (victim,) = [p for p in _enc_files(tmp_path) if p.stat().st_size > 100_000]
    victim.chmod(0o644)
    with open(victim, "r+b") as f:
        f.seek(victim.stat().st_size // 2)
        byte = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([byte[0] ^ 1]))
    with pytest.raises(ArtifactCorrupted, match=r"fails authentication|corrupted"):
        client.read_artifact(run_id, "f.bin")
    report = verify(client.tracking_store, client.artifact_store.blobs)
    assert not report.ok and digest in "".join(report.problems())


def test_keys_rotate_rewraps_without_rewriting_blobs(
    key: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = ArchivistClient(str(tmp_path / "store"))
    data = os.urandom(2 * MiB)
    run_id, _ = _log(client, tmp_path / "f.bin", data)
    before = {p: p.read_bytes() for p in _enc_files(tmp_path)}
    new_key = tmp_path / "new.key"
    new_key.write_text(_key())

    result = CliRunner().invoke(
        cli, ["keys", "rotate", "--new-key-file", str(new_key), "--tracking-uri", str(tmp_path / "store")]
    )
    assert result.exit_code == 0, result.output
    assert "no artifact was rewritten" in result.output
    assert {p: p.read_bytes() for p in _enc_files(tmp_path)} == before
    with pytest.raises(PermissionDenied, match="does not open"):
        open_stores(str(tmp_path / "store"))
    monkeypatch.delenv("ARCHIVIST_ENCRYPTION_KEY")
    monkeypatch.setenv("ARCHIVIST_ENCRYPTION_KEY_FILE", str(new_key))
    _, artifacts = open_stores(str(tmp_path / "store"))
    assert artifacts.read_bytes(run_id, "f.bin") == data
    # the old key no longer rotates it
    monkeypatch.setenv("ARCHIVIST_ENCRYPTION_KEY_FILE", "")
    monkeypatch.setenv("ARCHIVIST_ENCRYPTION_KEY", key)
    result = CliRunner().invoke(
        cli, ["keys", "rotate", "--new-key-file", str(new_key), "--tracking-uri", str(tmp_path / "store")]
    )
    assert result.exit_code == 1 and "does not open" in result.output
