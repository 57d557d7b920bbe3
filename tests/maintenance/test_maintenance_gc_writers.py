"""gc with a grace period of 0 in a tight loop while several processes log new content.

Every artifact whose log call returned must read back intact afterwards, and no writer
may fail (before the fix, gc deleted blobs written but not yet committed, and temp files
writers were still filling). Bounded in time: writers stop after a few seconds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archivist.client import ArchivistClient
from archivist.maintenance import gc, verify

WRITERS = 3
SECONDS = 3.0

# Logs fresh content (never stored before) until the deadline: a small text (a pack row),
# a 200 KiB random file (a raw blob file, copied through a temp file) and a compressible
# one (a .zst written through a temp file). Prints what it logged and every error.
WRITER = """
import json, os, sys, time
import archivist
uri, name, seconds, work = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
client = archivist.ArchivistClient(uri)
run_id = client.create_run("0").info.run_id
print("ready", flush=True)
logged, errors, i = [], [], 0
deadline = time.monotonic() + seconds
while time.monotonic() < deadline:
    i += 1
    seed = f"{name}-{i}"
    big = os.path.join(work, f"{seed}.bin")
    with open(big, "wb") as f:
        f.write(seed.encode() * 8 + os.urandom(200 << 10))
    text = os.path.join(work, f"{seed}.txt")
    with open(text, "w") as f:
        f.write((seed + " compressible line\\n") * 8000)
    for kind, call in (
        ("small", lambda: client.log_text(run_id, f"small {seed}", f"s/{seed}.txt")),
        ("big", lambda: client.log_artifact(run_id, big, "b")),
        ("text", lambda: client.log_artifact(run_id, text, "t")),
    ):
        try:
            call()
        except Exception as e:
            errors.append(f"{kind} {seed}: {type(e).__name__}: {e}")
        else:
            logged.append(kind + " " + seed)
print(json.dumps({"run_id": run_id, "logged": logged, "errors": errors}), flush=True)
"""


def expected(work: Path, kind: str, seed: str) -> tuple[str, bytes]:
    if kind == "small":
        return f"s/{seed}.txt", f"small {seed}".encode()
    if kind == "big":
        return f"b/{seed}.bin", (work / f"{seed}.bin").read_bytes()
    return f"t/{seed}.txt", (work / f"{seed}.txt").read_bytes()


def test_gc_with_zero_grace_loses_nothing_writers_logged(
    tracking_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARCHIVIST_PACK_MAX_BYTES", str(64 << 10))  # small blobs in the pack too
    client = ArchivistClient(tracking_uri)
    blobs = client.artifact_store.blobs
    env = {**os.environ, "ARCHIVIST_FSYNC": "0"}
    procs = []
    for w in range(WRITERS):
        work = tmp_path / f"w{w}"
        work.mkdir()
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, tracking_uri, f"w{w}", str(SECONDS), str(work)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready", proc.communicate(timeout=60)
        procs.append((proc, work))

    passes = deleted = 0
    deadline = time.monotonic() + SECONDS + 60
    while any(p.poll() is None for p, _ in procs) and time.monotonic() < deadline:
        blobs.put_bytes(os.urandom(100))  # garbage gc must still find and delete
        report = gc(client.tracking_store, blobs, 0)
        passes += 1
        deleted += report.deleted

    lost: list[str] = []
    errors: list[str] = []
    total = 0
    for proc, work in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        result = json.loads(out.strip().splitlines()[-1])
        errors.extend(result["errors"])
        for item in result["logged"]:
            total += 1
            kind, seed = item.split(" ", 1)
            path, data = expected(work, kind, seed)
            try:
                ok = client.read_artifact(result["run_id"], path) == data
            except Exception as e:  # counted and reported below
                ok, item = False, f"{item}: {type(e).__name__}: {e}"
            if not ok:
                lost.append(item)
    print(f"gc passes {passes}, blobs deleted {deleted}; artifacts logged {total}, "
          f"lost {len(lost)}, writer errors {len(errors)}")
    assert passes > 3 and deleted >= passes and total > 3 * WRITERS
    assert lost == [] and errors == [], (lost[:5], errors[:5])
    assert verify(client.tracking_store, blobs).ok
