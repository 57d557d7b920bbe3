"""A full disk is one clear error naming the artifact; nothing partial; works once freed.

Two ways: an injected ENOSPC in the blob store's file I/O, and a real, small tmpfs
(tests run as root; skipped only where mounting is not permitted).
"""

from __future__ import annotations

import errno
import io
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import pytest

from archivist.client import ArchivistClient
from archivist.errors import StorageFull
from archivist.maintenance import verify
from archivist.stores.artifacts.store import ArtifactStore
from archivist.stores.blobs.local import LocalBlobStore


class FullDisk(LocalBlobStore):
    """A local store whose disk fills after ``room`` more bytes are written to blob files."""

    room: int | None = None

    def _spend(self, n: int) -> None:
        if self.room is not None:
            if n > self.room:
                self.room = 0
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            self.room -= n

    def _open_out(self, tmp: str) -> BinaryIO:
        store, real = self, super()._open_out(tmp)

        class Out(io.RawIOBase):
            def writable(self) -> bool:
                return True

            def write(self, b) -> int:  # type: ignore[no-untyped-def,override]
                store._spend(len(b))
                return real.write(b)

            def fileno(self) -> int:
                return real.fileno()

            def flush(self) -> None:
                real.flush()

            def close(self) -> None:
                super().close()
                real.close()

        return Out()  # type: ignore[return-value]

    def _copy_in(self, src: str | os.PathLike[str], tmp: str) -> None:
        self._spend(os.path.getsize(src))
        super()._copy_in(src, tmp)


@pytest.fixture
def full(tracking_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[ArchivistClient, ArtifactStore, FullDisk]:
    monkeypatch.setenv("ARCHIVIST_PACK_MAX_BYTES", "0")
    client = ArchivistClient(tracking_uri)
    blobs = FullDisk(tmp_path / "faulty-blobs")
    return client, ArtifactStore(client.tracking_store, blobs), blobs


@pytest.mark.parametrize("kind", ["copied", "compressed", "text"])
def test_injected_enospc_is_storage_full_naming_the_artifact(full, tmp_path: Path, kind: str) -> None:  # type: ignore[no-untyped-def]
    client, store, blobs = full
    run_id = client.create_run("0").info.run_id
    src = tmp_path / "f.bin"
    src.write_bytes(os.urandom(300 << 10) if kind == "copied" else b"a line of text\n" * 40_000)
    blobs.room = 20  # the compressed forms are a few hundred bytes

    def log() -> None:
        if kind == "text":
            store.log_bytes(run_id, "notes/f.bin", src.read_bytes())
        else:
            store.log_file(run_id, src, "notes")

    with pytest.raises(StorageFull) as info:
        log()
    message = info.value.message
    assert f"cannot log artifact 'notes/f.bin' to run {run_id}: the disk is full" in message
    assert "No space left on device" in message and "Free space" in message
    assert isinstance(info.value, OSError)
    # nothing partial: no entry, no blob, no temp file
    assert store.entries(run_id) == []
    assert list(blobs.iter_digests()) == []
    assert os.listdir(blobs.root / "tmp") == []

    blobs.room = None  # space freed
    log()
    assert store.read_bytes(run_id, "notes/f.bin") == src.read_bytes()
    assert verify(client.tracking_store, blobs).ok


def test_injected_enospc_in_a_folder_names_the_folder(full, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    client, store, blobs = full
    run_id = client.create_run("0").info.run_id
    folder = tmp_path / "folder"
    folder.mkdir()
    for i in range(3):
        (folder / f"{i}.bin").write_bytes(os.urandom(200 << 10))
    blobs.room = 300 << 10
    with pytest.raises(StorageFull, match=f"cannot log the 3 file\\(s\\) of local_dir '{folder}' to run {run_id}"):
        store.log_dir(run_id, folder)
    assert store.entries(run_id) == [] and os.listdir(blobs.root / "tmp") == []
    blobs.room = None
    assert len(store.log_dir(run_id, folder)) == 3


# -- a real full disk ---------------------------------------------------------------------


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 6 MiB tmpfs, unmounted afterwards."""
    mnt = tmp_path / "tmpfs"
    mnt.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mnt)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here: {done.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def fill(path: Path) -> None:
    """Write ``path`` until the disk it is on is full."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as e:
        assert e.errno == errno.ENOSPC
    finally:
        os.close(fd)


@pytest.mark.parametrize("part", ["blobs", "database"])
def test_a_real_full_disk(tmpfs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, part: str) -> None:
    """``part`` is what lives on the tmpfs: the blob store, or the SQLite database."""
    if part == "blobs":
        monkeypatch.setenv("ARCHIVIST_ARTIFACT_ROOT", str(tmpfs / "blobs"))
        uri = f"sqlite:///{tmp_path / 'db' / 'archivist.db'}"
    else:
        monkeypatch.setenv("ARCHIVIST_ARTIFACT_ROOT", str(tmp_path / "blobs"))
        uri = f"sqlite:///{tmpfs / 'db' / 'archivist.db'}"
    client = ArchivistClient(uri)
    run_id = client.create_run("0").info.run_id
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(1 << 20))
    small = "a small note " * 10  # a pack row
    many = [f"row {i} " * 200 for i in range(200)]
    filler = tmpfs / "filler"
    fill(filler)

    with pytest.raises(StorageFull, match=f"cannot log artifact 'big.bin' to run {run_id}: the disk is full"):
        client.log_artifact(run_id, str(big))
    with pytest.raises(StorageFull, match=f"cannot log artifact 'note.txt' to run {run_id}: the disk is full"):
        client.log_text(run_id, small, "note.txt")
    with pytest.raises(StorageFull):  # enough rows to need new pages even in a nearly empty file
        for i, text in enumerate(many):
            client.log_text(run_id, text, f"rows/{i}.txt")
    logged_rows = len(client.artifact_store.entries(run_id, "rows"))
    assert client.artifact_store.entries(run_id, "big.bin") == []
    assert client.artifact_store.entries(run_id, "note.txt") == []

    filler.unlink()  # space freed: the same store works again
    client.log_artifact(run_id, str(big))
    client.log_text(run_id, small, "note.txt")
    assert client.read_artifact(run_id, "big.bin") == big.read_bytes()
    assert client.read_artifact(run_id, "note.txt") == small.encode()
    assert len(client.artifact_store.entries(run_id, "rows")) == logged_rows
    report = verify(client.tracking_store, client.artifact_store.blobs)
    assert report.ok, report.problems()


def test_a_full_database_disk_refuses_params_and_metrics_clearly(tmpfs: Path, tmp_path: Path) -> None:
    """Not only artifacts: any write meeting a full database disk is StorageFull, then works again."""
    client = ArchivistClient(f"sqlite:///{tmpfs / 'db' / 'archivist.db'}")
    run_id = client.create_run("0").info.run_id
    client.log_param(run_id, "kept", "1")
    filler = tmpfs / "filler"
    fill(filler)
    with pytest.raises(StorageFull, match=r"the database .* cannot grow: the disk is full"):
        for i in range(2000):  # enough new pages to need the space
            client.log_param(run_id, f"p{i}", "x" * 500)
    filler.unlink()
    client.log_param(run_id, "after", "2")
    params = client.get_run(run_id).data.params
    assert params["kept"] == "1" and params["after"] == "2"
