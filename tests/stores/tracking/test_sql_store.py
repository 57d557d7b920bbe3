"""The tracking store contract, on SQLite and on PostgreSQL."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest

from archivist.entities import Metric, Param, RunTag, TreeEntry, ViewType
from archivist.errors import (
    InvalidArgument,
    InvalidState,
    ResourceAlreadyExists,
    ResourceNotFound,
)
from archivist.stores.tracking.sql import SqlTrackingStore


@pytest.fixture
def store(tracking_uri: str) -> Iterator[SqlTrackingStore]:
    from archivist.stores import resolve_location

    s = SqlTrackingStore(resolve_location(tracking_uri).db_uri)
    yield s
    s.db.dispose()


def test_default_experiment_exists(store: SqlTrackingStore) -> None:
    exp = store.get_experiment("0")
    assert exp.name == "Default" and exp.lifecycle_stage == "active"
    # opening the same database again keeps it (and does not duplicate it)
    again = SqlTrackingStore(store.uri)
    assert [e.experiment_id for e in again.search_experiments().items] == ["0"]  # type: ignore[attr-defined]
    again.db.dispose()


def test_experiment_lifecycle(store: SqlTrackingStore) -> None:
    eid = store.create_experiment("exp-a", tags={"team": "ml"})
    assert eid != "0"
    exp = store.get_experiment(eid)
    assert exp.name == "exp-a" and exp.tags == {"team": "ml"}
    assert exp.artifact_location == f"mlflow-artifacts:/{eid}"
    assert store.get_experiment_by_name("exp-a") == exp
    assert store.get_experiment_by_name("nope") is None
    with pytest.raises(ResourceAlreadyExists, match="exp-a"):
        store.create_experiment("exp-a")
    store.delete_experiment(eid)
    assert store.get_experiment(eid).lifecycle_stage == "deleted"
    names = {e.name for e in store.search_experiments(ViewType.ACTIVE_ONLY).items}
    assert "exp-a" not in names
    deleted = {e.name for e in store.search_experiments(ViewType.DELETED_ONLY).items}
    assert deleted == {"exp-a"}
    store.restore_experiment(eid)
    assert store.get_experiment(eid).lifecycle_stage == "active"
    store.rename_experiment(eid, "exp-b")
    assert store.get_experiment(eid).name == "exp-b"
    with pytest.raises(ResourceNotFound, match="'999'"):
        store.get_experiment("999")
    with pytest.raises(InvalidArgument, match="malformed"):
        store.get_experiment("abc")


def test_search_experiments_paging(store: SqlTrackingStore) -> None:
    for i in range(5):
        store.create_experiment(f"e{i}")
    page1 = store.search_experiments(max_results=4, order_by=["name ASC"])
    assert page1.next_page_token is not None
    page2 = store.search_experiments(max_results=4, order_by=["name ASC"], page_token=page1.next_page_token)
    names = [e.name for e in page1.items + page2.items]  # type: ignore[attr-defined]
    assert names == ["Default", "e0", "e1", "e2", "e3", "e4"]
    assert page2.next_page_token is None


def _run(store: SqlTrackingStore, exp: str = "0", name: str | None = None) -> str:
    return store.create_run(exp, "alice", 1000, [RunTag("k", "v")], name).info.run_id


def test_run_create_get_update(store: SqlTrackingStore) -> None:
    run = store.create_run("0", "alice", 1234, [RunTag("k", "v")], "my-run")
    rid = run.info.run_id
    assert len(rid) == 32 and run.info.status == "RUNNING"
    got = store.get_run(rid)
    assert got.info.run_name == "my-run" and got.info.start_time == 1234
    assert got.data.tags == {"k": "v", "mlflow.runName": "my-run"}
    assert got.info.artifact_uri == f"mlflow-artifacts:/0/{rid}/artifacts"
    info = store.update_run_info(rid, "FINISHED", 5678, "renamed")
    assert (info.status, info.end_time, info.run_name) == ("FINISHED", 5678, "renamed")
    assert store.get_run(rid).data.tags["mlflow.runName"] == "renamed"
    with pytest.raises(InvalidArgument, match="BOGUS"):
        store.update_run_info(rid, "BOGUS", None, None)


def test_log_batch_params_metrics_tags(store: SqlTrackingStore) -> None:
    rid = _run(store)
    store.log_batch(
        rid,
        metrics=[Metric("acc", 0.5, 10, 0), Metric("acc", 0.7, 11, 1), Metric("loss", math.nan, 10, 0),
                 Metric("big", math.inf, 10, 0), Metric("neg", -math.inf, 10, 0)],
        params=[Param("lr", "0.1")],
        tags=[RunTag("t", "1")],
    )
    data = store.get_run(rid).data
    assert data.params == {"lr": "0.1"}
    assert data.metrics["acc"] == 0.7
    assert math.isnan(data.metrics["loss"])
    assert data.metrics["big"] == math.inf and data.metrics["neg"] == -math.inf
    assert data.tags["t"] == "1"
    hist = store.get_metric_history(rid, "acc")
    assert [(m.value, m.step, m.timestamp) for m in hist] == [(0.5, 0, 10), (0.7, 1, 11)]
    # an older step logged later does not replace the latest value
    store.log_batch(rid, metrics=[Metric("acc", 0.1, 99, 0)])
    assert store.get_run(rid).data.metrics["acc"] == 0.7
    # same param value again is fine; a different one names both values
    store.log_batch(rid, params=[Param("lr", "0.1")])
    with pytest.raises(InvalidArgument, match=r"'0\.1'.*'0\.2'"):
        store.log_batch(rid, params=[Param("lr", "0.2")])
    # tags overwrite and delete
    store.log_batch(rid, tags=[RunTag("t", "2")])
    assert store.get_run(rid).data.tags["t"] == "2"
    store.delete_tag(rid, "t")
    assert "t" not in store.get_run(rid).data.tags
    with pytest.raises(ResourceNotFound, match="no tag"):
        store.delete_tag(rid, "t")


def test_bad_batch_changes_nothing(store: SqlTrackingStore) -> None:
    rid = _run(store)
    store.log_batch(rid, params=[Param("a", "1")])
    with pytest.raises(InvalidArgument, match="key"):
        store.log_batch(rid, metrics=[Metric("ok", 1.0, 1, 0)], params=[Param("bad key!", "x")])
    with pytest.raises(InvalidArgument, match="'a'"):
        store.log_batch(rid, metrics=[Metric("ok", 1.0, 1, 0)], params=[Param("a", "2")])
    with pytest.raises(InvalidArgument, match="6000"):
        store.log_batch(rid, params=[Param("long", "x" * 6001)])
    with pytest.raises(InvalidArgument, match="number"):
        store.log_batch(rid, metrics=[Metric("m", "abc", 1, 0)])  # type: ignore[arg-type]
    data = store.get_run(rid).data
    assert data.params == {"a": "1"} and data.metrics == {}


def test_unknown_and_deleted_runs(store: SqlTrackingStore) -> None:
    ghost = "0" * 32
    with pytest.raises(ResourceNotFound, match=ghost):
        store.get_run(ghost)
    with pytest.raises(InvalidArgument, match="malformed"):
        store.get_run("nope")
    rid = _run(store)
    store.delete_run(rid)
    assert store.get_run(rid).info.lifecycle_stage == "deleted"
    with pytest.raises(InvalidState, match="deleted"):
        store.log_batch(rid, params=[Param("a", "1")])
    store.restore_run(rid)
    store.log_batch(rid, params=[Param("a", "1")])


def test_experiment_delete_cascades_to_runs(store: SqlTrackingStore) -> None:
    eid = store.create_experiment("x")
    rid = _run(store, eid)
    store.delete_experiment(eid)
    assert store.get_run(rid).info.lifecycle_stage == "deleted"
    with pytest.raises(InvalidState):
        store.create_run(eid, "a", 1, [], None)
    store.restore_experiment(eid)
    assert store.get_run(rid).info.lifecycle_stage == "active"
    with pytest.raises(InvalidState, match="default"):
        store.delete_experiment("0")


def test_search_runs_sql(store: SqlTrackingStore) -> None:
    eid = store.create_experiment("s")
    ids = []
    for i in range(6):
        rid = store.create_run(eid, "u", 1000 + i, [], f"r{i}").info.run_id
        store.log_batch(rid, metrics=[Metric("acc", i / 10, 1, 0)], params=[Param("lr", "0.1" if i % 2 else "0.2")],
                        tags=[RunTag("team", "alpha" if i < 3 else "beta")])
        ids.append(rid)
    store.update_run_info(ids[5], "FINISHED", 2000, None)
    page = store.search_runs([eid], "metrics.acc > 0.25 and params.lr = '0.1'")
    assert {r.info.run_id for r in page.items} == {ids[3], ids[5]}  # type: ignore[attr-defined]
    page = store.search_runs([eid], "tags.team LIKE 'al%' and attributes.status = 'RUNNING'",
                             order_by=["metrics.acc DESC"])
    assert [r.info.run_id for r in page.items] == [ids[2], ids[1], ids[0]]  # type: ignore[attr-defined]
    page = store.search_runs([eid], "attributes.status = 'FINISHED'")
    assert [r.info.run_id for r in page.items] == [ids[5]]  # type: ignore[attr-defined]
    # paging: default order is newest first
    p1 = store.search_runs([eid], None, max_results=4)
    p2 = store.search_runs([eid], None, max_results=4, page_token=p1.next_page_token)
    got = [r.info.run_id for r in p1.items + p2.items]  # type: ignore[attr-defined]
    assert got == list(reversed(ids)) and p2.next_page_token is None
    with pytest.raises(InvalidArgument, match="page_token"):
        store.search_runs([eid], None, page_token="garbage")


def test_tree_entries(store: SqlTrackingStore) -> None:
    rid = _run(store)
    d = "blake3:" + "a" * 64
    store.put_tree_entries(rid, [TreeEntry("a/b.txt", d, 3), TreeEntry("a/c.txt", d, 3), TreeEntry("ab.txt", d, 3)])
    assert [e.path for e in store.list_tree_entries(rid, "a")] == ["a/b.txt", "a/c.txt"]
    store.put_tree_entries(rid, [TreeEntry("a/b.txt", "blake3:" + "b" * 64, 4)])
    assert store.list_tree_entries(rid, "a/b.txt")[0].size == 4
    assert store.referenced_digests() == {d, "blake3:" + "b" * 64}
    assert store.delete_tree_entries(rid, "a") == 2
    assert [e.path for e in store.list_tree_entries(rid)] == ["ab.txt"]


def test_single_metric_fast_path(store: SqlTrackingStore) -> None:
    rid = _run(store)
    store.log_batch(rid, metrics=[Metric("up", math.inf, 5, 0)])
    store.log_batch(rid, metrics=[Metric("nan", math.nan, 5, 0)])
    data = store.get_run(rid).data
    assert data.metrics["up"] == math.inf and math.isnan(data.metrics["nan"])
    store.delete_run(rid)
    with pytest.raises(InvalidState, match="deleted"):
        store.log_batch(rid, metrics=[Metric("m", 1.0, 6, 0)])
    with pytest.raises(ResourceNotFound):
        store.log_batch("f" * 32, metrics=[Metric("m", 1.0, 6, 0)])
    assert store.get_metric_history(rid, "m") == []


def test_bad_step_and_timestamp_name_the_metric(store: SqlTrackingStore) -> None:
    rid = _run(store)
    with pytest.raises(InvalidArgument, match=r"'acc' got step 'two'"):
        store.log_batch(rid, metrics=[Metric("acc", 1.0, 5, "two")])  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match=r"timestamp 1\.5"):
        store.log_batch(rid, metrics=[Metric("acc", 1.0, 1.5, 0)])  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match=r"'acc' got step 9223372036854775808, which does not fit in 64 bits"):
        store.log_batch(rid, metrics=[Metric("acc", 1.0, 0, 2**63)])
    with pytest.raises(InvalidArgument, match=r"timestamp -9223372036854775809"):
        store.log_batch(rid, metrics=[Metric("acc", 1.0, -(2**63) - 1, 0)])
    with pytest.raises(InvalidArgument, match="does not fit in 64 bits"):
        store.log_batch(rid, metrics=[Metric("acc", 1.0, 0, 1e30)])
    store.log_batch(rid, metrics=[Metric("acc", 1.0, 0, 2**63 - 1), Metric("acc", 2.0, 0, -(2**63))])
    assert sorted(m.step for m in store.get_metric_history(rid, "acc")) == [-(2**63), 2**63 - 1]
