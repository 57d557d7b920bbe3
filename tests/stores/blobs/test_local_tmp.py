"""Temp files in a local blob store: a live writer's are never removed, a dead one's are."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from archivist.stores.blobs.local import LocalBlobStore


def test_clean_tmp_keeps_a_live_writers_file_and_removes_a_dead_ones(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    # a writer that died mid-write: its temp file is there, nobody holds its lock
    script = (
        "import os, sys; from archivist.stores.blobs.local import LocalBlobStore\n"
        "s = LocalBlobStore(sys.argv[1]); cm = s._locked_tmp(); p = cm.__enter__()\n"
        "open(p, 'wb').write(b'half'); print(p, flush=True); os._exit(9)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "blobs")], capture_output=True, text=True, check=False
    )
    dead = Path(out.stdout.strip())
    assert out.returncode == 9 and dead.exists(), out.stderr

    with store._locked_tmp() as live:
        Path(live).write_bytes(b"in progress")
        assert store.clean_tmp(0) == 1
        assert Path(live).exists() and not dead.exists()
        assert Path(live).read_bytes() == b"in progress"
    assert not Path(live).exists()
    assert os.listdir(tmp_path / "blobs" / "tmp") == []


def test_clean_tmp_honours_its_age_limit(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    orphan = tmp_path / "blobs" / "tmp" / "left.tmp"
    orphan.write_bytes(b"x")
    assert store.clean_tmp(3600) == 0 and orphan.exists()
    assert store.clean_tmp(0) == 1 and not orphan.exists()
