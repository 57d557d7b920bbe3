"""Odd local files: FIFOs, devices, sockets, files that change while they are logged
(issue 7: a FIFO hung forever, /dev/zero raised RecursionError, a growing file retried
without end, a file rewritten in place could be stored as a torn mix)."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from archivist.client import ArchivistClient
from archivist.errors import InvalidArgument
from archivist.stores.artifacts import sources

MiB = 1 << 20


@pytest.fixture
def client(tracking_uri: str) -> ArchivistClient:
    return ArchivistClient(tracking_uri)


def _run(client: ArchivistClient) -> str:
    return client.create_run(client.create_experiment("e")).info.run_id


def _returns_within(seconds: float, call: Callable[[], object], unblock: Callable[[], None]) -> BaseException | None:
    """Run ``call`` in a thread; fail (after unblocking it) if it does not return in time."""
    box: list[BaseException | None] = []

    def target() -> None:
        try:
            call()
            box.append(None)
        except BaseException as e:
            box.append(e)

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(seconds)
    if t.is_alive():
        unblock()
        t.join(10)
        pytest.fail(f"call did not return within {seconds} s")
    return box[0]


def _open_writer(fifo: Path) -> None:
    fd = os.open(fifo, os.O_RDWR)  # never blocks; gives a blocked reader a writer
    os.close(fd)


def test_fifo_is_refused_without_hanging(client: ArchivistClient, tmp_path: Path) -> None:
    rid = _run(client)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    err = _returns_within(10, lambda: client.log_artifact(rid, fifo), lambda: _open_writer(fifo))
    assert isinstance(err, InvalidArgument)
    assert "is a FIFO (named pipe), not a regular file" in str(err) and str(fifo) in str(err)
    d = tmp_path / "d"
    d.mkdir()
    (d / "ok.txt").write_text("ok")
    os.mkfifo(d / "pipe")
    err = _returns_within(10, lambda: client.log_artifacts(rid, d), lambda: _open_writer(d / "pipe"))
    assert isinstance(err, InvalidArgument) and "'pipe' in local_dir" in str(err)
    assert client.artifact_store.entries(rid) == []


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_devices_are_refused(client: ArchivistClient, tmp_path: Path, device: str) -> None:
    rid = _run(client)
    with pytest.raises(InvalidArgument, match="is a character device, not a regular file"):
        client.log_artifact(rid, device)
    d = tmp_path / "d"
    d.mkdir()
    (d / "dev").symlink_to(device)
    with pytest.raises(InvalidArgument, match=r"'dev' in local_dir .* is a character device"):
        client.log_artifacts(rid, d)
    assert client.artifact_store.entries(rid) == []


def test_sockets_and_broken_links_in_a_folder_are_refused(client: ArchivistClient, tmp_path: Path) -> None:
    rid = _run(client)
    d = tmp_path / "d"
    d.mkdir()
    (d / "gone").symlink_to(tmp_path / "nowhere")
    with pytest.raises(InvalidArgument, match=r"'gone', a symlink to .*nowhere.*does not exist"):
        client.log_artifacts(rid, d)
    (d / "gone").unlink()
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(d / "s"))
        with pytest.raises(InvalidArgument, match=r"'s' in local_dir .* is a socket"):
            client.log_artifacts(rid, d)
    finally:
        sock.close()
    assert client.artifact_store.entries(rid) == []


@pytest.fixture
def stop() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()


def test_a_file_that_keeps_growing_is_a_clear_error(
    client: ArchivistClient, tmp_path: Path, stop: threading.Event
) -> None:
    rid = _run(client)
    log = tmp_path / "train.log"
    log.write_bytes(b"epoch 0 loss 1.0\n" * 100_000)  # compressible, > the pack limit

    def grow() -> None:
        with open(log, "ab") as f:
            while not stop.is_set():
                f.write(b"epoch 1 loss 0.5\n" * 1000)
                f.flush()
                time.sleep(0.001)

    writer = threading.Thread(target=grow, daemon=True)
    writer.start()
    try:
        err = _returns_within(60, lambda: client.log_artifact(rid, log), stop.set)
    finally:
        stop.set()
        writer.join()
    assert isinstance(err, InvalidArgument), err
    assert f"changed while it was being logged, {sources.ATTEMPTS} times in a row" in str(err)
    assert client.artifact_store.entries(rid) == []
    client.log_artifact(rid, log)  # once it is quiet, it logs
    assert client.artifact_store.read_bytes(rid, "train.log") == log.read_bytes()


@pytest.mark.parametrize("compressible", [False, True])
def test_a_file_rewritten_in_place_is_never_stored_torn(
    client: ArchivistClient, tmp_path: Path, compressible: bool
) -> None:
    """A same-size rewrite overlapping the log: the logged bytes are the old or the new
    content in full (or the call is refused), never a mix."""
    size = 48 * MiB
    if compressible:
        old, new = b"A" * size, b"B" * size
    else:
        old = os.urandom(size)
        new = bytes(b ^ 0xFF for b in old[:MiB]) * (size // MiB)
    rid = _run(client)
    path = tmp_path / "weights.bin"
    path.write_bytes(old)
    started = threading.Event()

    def rewrite() -> None:
        with open(path, "r+b") as f:
            for off in range(0, size, MiB):
                f.write(new[off : off + MiB])
                f.flush()
                started.set()
                time.sleep(0.003)

    writer = threading.Thread(target=rewrite)
    writer.start()
    started.wait()
    try:
        client.log_artifact(rid, path)
        logged = client.artifact_store.read_bytes(rid, "weights.bin")
        assert logged in (old, new), "a torn mix was logged as a clean artifact"
    except InvalidArgument as e:
        assert "changed while it was being logged" in str(e)
    finally:
        writer.join()


def test_a_folder_whose_file_changes_meanwhile_logs_the_settled_content(
    client: ArchivistClient, tmp_path: Path
) -> None:
    rid = _run(client)
    d = tmp_path / "d"
    d.mkdir()
    for i in range(20):
        (d / f"small{i}.txt").write_text(f"small {i}")
    big = d / "big.bin"
    first = os.urandom(8 * MiB)
    big.write_bytes(first)
    final = os.urandom(8 * MiB)

    def rewrite_once() -> None:
        time.sleep(0.01)
        with open(big, "r+b") as f:
            for off in range(0, len(final), MiB):
                f.write(final[off : off + MiB])
                time.sleep(0.002)

    writer = threading.Thread(target=rewrite_once)
    writer.start()
    try:
        client.log_artifacts(rid, d)
    finally:
        writer.join()
    logged = client.artifact_store.read_bytes(rid, "big.bin")
    assert logged in (first, final), "a torn mix was logged as a clean artifact"
    assert client.artifact_store.read_bytes(rid, "small3.txt") == b"small 3"
