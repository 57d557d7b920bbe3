"""gc running while another process logs artifacts loses nothing.

The writer is a separate process using the fluent API on the same store; this process
runs gc over and over meanwhile. Afterwards verify finds nothing missing and every
artifact the writer logged reads back.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from maint_support import age

import archivist
from archivist.client import ArchivistClient
from archivist.maintenance import gc, verify
from archivist.stores.blobs.local import LocalBlobStore

MAX_GC_PASSES = 5000
WRITER_TIMEOUT = 120

# Logs the same content into a new run each iteration, so every blob is deduplicated
# against one that already exists (and is referenced).
DEDUP_WRITER = """
import json, sys
import archivist
uri, payload, iterations = sys.argv[1], sys.argv[2], int(sys.argv[3])
archivist.set_tracking_uri(uri)
archivist.get_experiment("0")
print("ready", flush=True)
runs = []
for i in range(iterations):
    with archivist.start_run() as run:
        archivist.log_text("shared text", "shared.txt")
        archivist.log_artifacts(payload, "payload")
        archivist.log_artifact(payload + "/big.bin", "big")
    runs.append(run.info.run_id)
print(json.dumps(runs), flush=True)
"""

# Cycles one path through contents whose blobs exist but are old and unreferenced, so
# each log races with gc sweeping that very blob; reads every write back at once.
REUSE_WRITER = """
import json, sys
import archivist
uri, pool_size, iterations = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
archivist.set_tracking_uri(uri)
client = archivist.ArchivistClient(uri)
with archivist.start_run() as run:
    print("ready", flush=True)
    for i in range(iterations):
        text = f"pool item {i % pool_size}"
        archivist.log_text(text, "current.txt")
        archivist.log_text(text, f"history/{i}.txt")
        got = client.read_artifact(run.info.run_id, "current.txt").decode()
        assert got == text, (i, got)
print(json.dumps(run.info.run_id), flush=True)
"""


def start(script: str, *args: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # inherits ARCHIVIST_ARTIFACT_ROOT when the fixture set one; durability is not tested
        env={**os.environ, "ARCHIVIST_FSYNC": "0"},
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    if first.strip() != "ready":
        _, err = proc.communicate(timeout=WRITER_TIMEOUT)
        raise AssertionError(f"writer failed to start: {first}{err}")
    return proc


def finish(proc: subprocess.Popen[str]) -> object:
    out, err = proc.communicate(timeout=WRITER_TIMEOUT)
    assert proc.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


def local_blobs(client: ArchivistClient) -> LocalBlobStore:
    blobs = client.artifact_store.blobs
    blobs = getattr(blobs, "inner", blobs)  # the local store below the chunk layer
    assert isinstance(blobs, LocalBlobStore)
    return blobs


def test_gc_with_zero_grace_while_a_writer_dedups(
    client: ArchivistClient, tracking_uri: str, tmp_path: Path
) -> None:
    payload = tmp_path / "payload"
    (payload / "nested").mkdir(parents=True)
    files = {
        "a.txt": b"alpha",
        "nested/b.json": b'{"b": 2}',
        "big.bin": os.urandom(300 << 10),  # above the batch limit: the single-file path
    }
    for rel, data in files.items():
        (payload / rel).write_bytes(data)
    # the content exists and is referenced before the writer starts
    with archivist.start_run():
        archivist.log_text("shared text", "shared.txt")
        archivist.log_artifacts(str(payload), "payload")

    blobs = local_blobs(client)
    iterations = 15
    proc = start(DEDUP_WRITER, tracking_uri, str(payload), str(iterations))
    deleted = passes = 0
    try:
        while proc.poll() is None and passes < MAX_GC_PASSES:
            blobs.put_bytes(os.urandom(64))  # garbage for gc to find
            deleted += gc(client.tracking_store, blobs, 0).deleted
            passes += 1
    finally:
        runs = finish(proc)
    assert deleted > 0 and passes > 1

    assert isinstance(runs, list) and len(runs) == iterations
    report = verify(client.tracking_store, blobs)
    assert report.ok, report.problems()
    assert report.entries == 4 + 5 * iterations
    for run_id in runs:
        assert client.read_artifact(run_id, "shared.txt") == b"shared text"
        assert client.read_artifact(run_id, "big/big.bin") == files["big.bin"]
        for rel, data in files.items():
            assert client.read_artifact(run_id, f"payload/{rel}") == data
    gc(client.tracking_store, blobs, 0)
    assert verify(client.tracking_store, blobs).unreferenced == 0


def test_gc_with_a_grace_period_while_a_writer_reuses_old_blobs(
    client: ArchivistClient, tracking_uri: str
) -> None:
    blobs = local_blobs(client)
    pool_size, iterations = 30, 60
    for k in range(pool_size):  # stored long ago, referenced by nothing: gc may take them
        digest, _ = blobs.put_bytes(f"pool item {k}".encode())
        age(blobs, digest, 7200)

    proc = start(REUSE_WRITER, tracking_uri, str(pool_size), str(iterations))
    deleted = passes = 0
    try:
        while proc.poll() is None and passes < MAX_GC_PASSES:
            garbage, _ = blobs.put_bytes(os.urandom(64))
            age(blobs, garbage, 7200)
            deleted += gc(client.tracking_store, blobs, 60).deleted
            passes += 1
    finally:
        run_id = finish(proc)
    assert deleted > 0 and passes > 1

    assert isinstance(run_id, str)
    report = verify(client.tracking_store, blobs)
    assert report.ok, report.problems()
    assert client.read_artifact(run_id, "current.txt") == f"pool item {(iterations - 1) % pool_size}".encode()
    for i in range(iterations):
        assert client.read_artifact(run_id, f"history/{i}.txt") == f"pool item {i % pool_size}".encode()
