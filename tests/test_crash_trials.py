"""Crash trials: a child process logging (a chunked large file, a folder of small files,
or a gc) is SIGKILLed at a random moment, 100 times into one store. Afterwards no run
shows a partial tree, every listed artifact reads back byte-identical, verify is clean,
the database passes its integrity check, and gc removes what the killed writers left."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from archivist.client import ArchivistClient
from archivist.maintenance import gc, verify

TRIALS = 100
SMALL_FILES = 20
MiB = 1 << 20

CHILD = r"""
import os, random, sys
store, inputs, trial, mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
from archivist.client import ArchivistClient
client = ArchivistClient(store)
if mode == "gc":
    from archivist.maintenance import gc
    print("START", flush=True)
    gc(client.tracking_store, client.artifact_store.blobs, 0)
    sys.exit(0)
run = client.create_run("0", run_name=f"trial-{trial}")
print("START", flush=True)
if mode == "file":
    client.log_artifact(run.info.run_id, os.path.join(inputs, f"big-{trial}.bin"))
else:
    client.log_artifacts(run.info.run_id, os.path.join(inputs, f"dir-{trial}"), "dir")
client.set_terminated(run.info.run_id)
"""


def _big(trial: int) -> bytes:
    """6 MiB that share most chunks from trial to trial (a checkpoint being retrained)."""
    base = random.Random(0).randbytes(6 * MiB)
    edit = random.Random(trial).randbytes(64 << 10)
    at = random.Random(trial).randrange(0, 6 * MiB - len(edit))
    return base[:at] + edit + base[at + len(edit) :]


def _small(trial: int, i: int) -> bytes:
    return f"trial {trial} file {i}\n".encode() * (1 + (trial * 7 + i) % 50)


def test_sigkill_at_random_moments_leaves_a_consistent_store(tmp_path: Path) -> None:
    store = tmp_path / "store"
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    env = {
        **os.environ,
        "ARCHIVIST_CHUNK_MIN_BYTES": str(MiB),
        "ARCHIVIST_CAPTURE_ENVIRONMENT": "0",
    }
    rng = random.Random(20261130)
    modes: list[str] = []
    spans: dict[str, float] = {}  # how long each kind of work takes once started
    killed = 0
    for trial in range(TRIALS):
        mode = ("file", "dir", "file", "dir", "gc")[trial % 5]
        modes.append(mode)
        if mode == "file":
            (inputs / f"big-{trial}.bin").write_bytes(_big(trial))
        elif mode == "dir":
            folder = inputs / f"dir-{trial}"
            folder.mkdir()
            for i in range(SMALL_FILES):
                (folder / f"f{i:02d}.txt").write_bytes(_small(trial, i))
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(store), str(inputs), str(trial), mode],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        assert child.stdout is not None
        started = child.stdout.readline().startswith(b"START")
        t0 = time.monotonic()
        if mode not in spans:  # the first of each kind runs to the end: its duration
            child.wait(timeout=300)
            spans[mode] = time.monotonic() - t0
        elif started:
            time.sleep(rng.uniform(0, spans[mode] * 1.1))
            if child.poll() is None:
                child.send_signal(signal.SIGKILL)
                killed += 1
        _, err = child.communicate(timeout=300)
        assert child.returncode in (0, -signal.SIGKILL), err.decode()[-2000:]
    assert killed >= TRIALS // 4  # the trials did interrupt writers

    client = ArchivistClient(str(store))
    runs = client.search_runs(["0"], max_results=1000)
    assert runs
    for run in runs:
        trial = int(run.info.run_name.split("-")[1])
        entries = client.artifact_store.entries(run.info.run_id)
        if modes[trial] == "file":
            assert len(entries) in (0, 1)
            expected = {f"big-{trial}.bin": _big(trial)} if entries else {}
        else:
            assert len(entries) in (0, SMALL_FILES), f"partial tree in trial {trial}"
            expected = (
                {f"dir/f{i:02d}.txt": _small(trial, i) for i in range(SMALL_FILES)} if entries else {}
            )
        assert {e.path for e in entries} == set(expected)
        for path, data in expected.items():
            assert client.read_artifact(run.info.run_id, path) == data

    blobs = client.artifact_store.blobs
    assert verify(client.tracking_store, blobs).ok
    db = sqlite3.connect(store / "archivist.db")
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    db.close()
    gc(client.tracking_store, blobs, 0)
    assert not any((store / "blobs" / "tmp").iterdir())
    assert verify(client.tracking_store, blobs).ok
    for run in runs:  # gc kept everything still listed
        for e in client.artifact_store.entries(run.info.run_id):
            client.artifact_store.read_bytes(run.info.run_id, e.path)
