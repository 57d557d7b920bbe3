"""The tracking store contract over HTTP: the SQL store's tests against a real server.

Each test gets a fresh ``archivist server`` process on 127.0.0.1 over a fresh store, on
SQLite and on PostgreSQL (``tracking_uri``), and talks to it through the REST store.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "server"))

import test_sql_store as sql_tests
from server_support import running_server

from archivist.entities import TreeEntry
from archivist.errors import InvalidArgument
from archivist.stores.blobs.hashing import hash_bytes
from archivist.stores.tracking.base import TrackingStore
from archivist.stores.tracking.rest import RestTrackingStore

#: the SQL store's tests that hold for any implementation
CONFORMANCE = (
    "test_bad_batch_changes_nothing",
    "test_bad_step_and_timestamp_name_the_metric",
    "test_experiment_delete_cascades_to_runs",
    "test_experiment_lifecycle",
    "test_log_batch_params_metrics_tags",
    "test_run_create_get_update",
    "test_search_experiments_paging",
    "test_search_runs_sql",
    "test_single_metric_fast_path",
    "test_unknown_and_deleted_runs",
)
globals().update({name: getattr(sql_tests, name) for name in CONFORMANCE})


@pytest.fixture
def store(tracking_uri: str, tmp_path: Path) -> Iterator[RestTrackingStore]:
    with running_server(tmp_path / "server", tracking_uri) as server:
        rest = RestTrackingStore(server.url)
        yield rest
        rest.http.close()


def test_rest_store_follows_the_protocol(store: RestTrackingStore) -> None:
    assert isinstance(store, TrackingStore)
    assert [e.experiment_id for e in store.search_experiments().items] == ["0"]  # type: ignore[attr-defined]


def test_tree_entries_need_stored_blobs(store: RestTrackingStore) -> None:
    rid = store.create_run("0", "alice", 1, [], None).info.run_id
    from archivist.stores.artifacts.remote import RemoteArtifactStore

    artifacts = RemoteArtifactStore(store)
    d = artifacts.log_bytes(rid, "a/b.txt", b"abc").digest
    store.put_tree_entries(rid, [TreeEntry("a/c.txt", d, 3), TreeEntry("ab.txt", d, 3)])
    assert [e.path for e in store.list_tree_entries(rid, "a")] == ["a/b.txt", "a/c.txt"]
    never_sent = hash_bytes(b"never sent")
    with pytest.raises(InvalidArgument, match="upload them"):
        store.put_tree_entries(rid, [TreeEntry("x", never_sent, 10)])
    assert store.delete_tree_entries(rid, "a") == 2
    assert [e.path for e in store.list_tree_entries(rid)] == ["ab.txt"]
    with pytest.raises(InvalidArgument, match="on the server"):
        store.referenced_digests()
