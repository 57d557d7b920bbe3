"""A store on a read-only file system can be searched, read, downloaded from and verified;
writing to it is a clear ReadOnlyStore error (issue 7: it could not even be opened,
"unable to open database file")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from archivist.client import ArchivistClient, close_all_stores
from archivist.errors import InvalidState, ReadOnlyStore
from archivist.maintenance.gc import gc
from archivist.maintenance.verify import verify


def _fill(client: ArchivistClient) -> str:
    rid = client.create_run(client.create_experiment("e")).info.run_id
    client.log_param(rid, "p", "1")
    client.log_metric(rid, "m", 0.5)
    client.log_text(rid, "hello", "a/b.txt")  # a pack row
    client.log_text(rid, "x" * 300_000, "big.txt")  # a blob file
    return rid


def _read_only_part(tracking_uri: str, tmp_path: Path) -> Path:
    """The folder that holds what the store writes: the SQLite store, or the blob root."""
    return tmp_path / ("store" if tracking_uri.startswith("sqlite") else "pgblobs")


def test_read_only_store_reads_and_refuses_writes(tracking_uri: str, tmp_path: Path, read_only: Any) -> None:
    rid = _fill(ArchivistClient(tracking_uri))
    close_all_stores()
    with read_only(_read_only_part(tracking_uri, tmp_path)):
        client = ArchivistClient(tracking_uri)
        eid = client.get_experiment_by_name("e").experiment_id
        runs = client.search_runs([eid], "params.p = '1'")
        assert [r.info.run_id for r in runs] == [rid]
        assert client.get_run(rid).data.metrics == {"m": 0.5}
        assert client.artifact_store.read_bytes(rid, "a/b.txt") == b"hello"
        out = Path(client.download_artifacts(rid, "", str(tmp_path / "out")))
        assert (out / "big.txt").read_text() == "x" * 300_000
        report = verify(client.tracking_store, client.artifact_store.blobs)
        assert report.ok and report.entries == 2
        assert gc(client.tracking_store, client.artifact_store.blobs, 0, dry_run=True).deleted == 0
        with pytest.raises(ReadOnlyStore, match="not garbage-collected"):
            gc(client.tracking_store, client.artifact_store.blobs, 0)
        writes = [
            lambda: client.log_text(rid, "new", "new.txt"),
            lambda: client.log_artifact(rid, out / "big.txt"),
        ]
        if tracking_uri.startswith("sqlite"):  # on PostgreSQL only the blob root is read-only
            writes += [
                lambda: client.log_param(rid, "q", "2"),
                lambda: client.set_tag(rid, "t", "v"),
                lambda: client.create_experiment("f"),
            ]
        for write in writes:
            with pytest.raises(ReadOnlyStore, match="read-only file system") as err:
                write()
            assert isinstance(err.value, InvalidState)
            assert "can be searched, read, downloaded from and verified" in str(err.value)
    close_all_stores()
    client = ArchivistClient(tracking_uri)  # writable again: nothing was half-written
    assert client.artifact_store.read_bytes(rid, "big.txt") == b"x" * 300_000
    assert sorted(e.path for e in client.artifact_store.entries(rid)) == ["a/b.txt", "big.txt"]
    assert client.get_run(rid).data.params == {"p": "1"}


_READER = """
import json, sys
from archivist.client import ArchivistClient
c = ArchivistClient(sys.argv[1])
run = c.get_run(sys.argv[2])
print(json.dumps({"params": run.data.params, "text": c.artifact_store.read_bytes(sys.argv[2], "late.txt").decode()}))
"""


def test_a_snapshot_taken_while_a_writer_had_it_open(tmp_path: Path, read_only: Any) -> None:
    """Transactions still in SQLite's write-ahead log (the writer has not closed the store)
    are read too."""
    store = tmp_path / "store"
    writer = ArchivistClient(str(store))
    rid = _fill(writer)
    writer.log_param(rid, "late", "yes")
    writer.log_text(rid, "late bytes", "late.txt")
    assert Path(f"{store}/archivist.db-wal").stat().st_size > 0  # not checkpointed yet
    with read_only(store):
        out = subprocess.run(
            [sys.executable, "-c", _READER, str(store), rid],
            capture_output=True, text=True, env={**os.environ}, check=False,
        )
        assert out.returncode == 0, out.stderr
        seen = json.loads(out.stdout)
    assert seen == {"params": {"p": "1", "late": "yes"}, "text": "late bytes"}


def test_no_store_in_a_read_only_folder_is_a_clear_error(tmp_path: Path, read_only: Any) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with read_only(empty), pytest.raises(ReadOnlyStore, match=r"no store exists at .* read-only"):
        ArchivistClient(f"sqlite:///{empty / 'archivist.db'}").search_experiments()
