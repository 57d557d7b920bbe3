"""gc(): what it deletes, what it keeps, dry runs, purging deleted runs, mark/sweep order."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from maint_support import age

import archivist
from archivist.client import ArchivistClient
from archivist.entities import TreeEntry
from archivist.errors import InvalidArgument
from archivist.maintenance import GcReport, gc, verify
from archivist.stores.blobs.local import LocalBlobStore
from archivist.stores.blobs.memory import MemoryBlobStore


def local_blobs(client: ArchivistClient) -> LocalBlobStore:
    blobs = client.artifact_store.blobs
    blobs = getattr(blobs, "inner", blobs)  # the local store below the chunk layer
    assert isinstance(blobs, LocalBlobStore)
    return blobs


def run_gc(client: ArchivistClient, grace: float | None, **kwargs: bool) -> GcReport:
    return gc(client.tracking_store, client.artifact_store.blobs, grace, **kwargs)


def logged(text: str, path: str = "f.txt") -> str:
    with archivist.start_run() as run:
        archivist.log_text(text, path)
    return str(run.info.run_id)


def test_removes_unreferenced_and_keeps_referenced(client: ArchivistClient) -> None:
    run_id = logged("kept")
    blobs = local_blobs(client)
    orphan, _ = blobs.put_bytes(b"orphan!")

    report = run_gc(client, 0)
    assert (report.blobs, report.referenced, report.deleted, report.kept_recent) == (2, 1, 1, 0)
    assert report.bytes_freed == len(b"orphan!")
    assert not blobs.has(orphan)
    assert client.read_artifact(run_id, "f.txt") == b"kept"
    assert verify(client.tracking_store, blobs).ok


def test_keeps_young_unreferenced_blobs(client: ArchivistClient) -> None:
    blobs = local_blobs(client)
    young, _ = blobs.put_bytes(b"young")
    old, _ = blobs.put_bytes(b"old")
    age(blobs, old, 120)

    report = run_gc(client, 60)
    assert (report.deleted, report.kept_recent) == (1, 1)
    assert blobs.has(young) and not blobs.has(old)


def test_dedup_touch_protects_an_old_blob(client: ArchivistClient) -> None:
    blobs = local_blobs(client)
    digest, _ = blobs.put_bytes(b"reused")
    age(blobs, digest, 120)
    assert blobs.put_bytes(b"reused")[0] == digest  # dedup: touches instead of writing
    assert run_gc(client, 60).deleted == 0
    assert blobs.has(digest)


def test_default_grace_comes_from_config(client: ArchivistClient, monkeypatch: pytest.MonkeyPatch) -> None:
    blobs = local_blobs(client)
    digest, _ = blobs.put_bytes(b"x")
    age(blobs, digest, 600)
    assert run_gc(client, None).grace_seconds == 3600
    assert blobs.has(digest)
    monkeypatch.setenv("ARCHIVIST_GC_GRACE_SECONDS", "300")
    report = run_gc(client, None)
    assert (report.grace_seconds, report.deleted) == (300, 1)


def test_dry_run_deletes_nothing(client: ArchivistClient) -> None:
    logged("kept")
    blobs = local_blobs(client)
    orphan, _ = blobs.put_bytes(b"orphan!")
    stale_tmp = blobs.root / "tmp" / "crashed.tmp"
    stale_tmp.write_bytes(b"half")

    report = run_gc(client, 0, dry_run=True)
    assert report.dry_run and (report.deleted, report.bytes_freed, report.tmp_removed) == (1, 7, 0)
    assert blobs.has(orphan) and stale_tmp.exists()
    assert run_gc(client, 0).deleted == 1


def test_cleans_stale_temp_files(client: ArchivistClient) -> None:
    blobs = local_blobs(client)
    stale_tmp = blobs.root / "tmp" / "crashed.tmp"
    stale_tmp.write_bytes(b"half")
    assert run_gc(client, 3600).tmp_removed == 0
    assert stale_tmp.exists()
    assert run_gc(client, 0).tmp_removed == 1
    assert not stale_tmp.exists()


def test_deleted_runs_are_purged_only_when_asked(client: ArchivistClient) -> None:
    keep = logged("shared", "a.txt")
    with archivist.start_run() as gone:
        archivist.log_text("shared", "a.txt")
        archivist.log_text("only here", "b.txt")
    archivist.delete_run(gone.info.run_id)
    blobs = local_blobs(client)

    assert run_gc(client, 0).deleted == 0
    assert len(client.artifact_store.entries(gone.info.run_id)) == 2

    dry = run_gc(client, 0, dry_run=True, purge_deleted_runs=True)
    assert (dry.runs_purged, dry.entries_purged, dry.deleted, dry.referenced) == (1, 2, 1, 1)
    assert len(client.artifact_store.entries(gone.info.run_id)) == 2

    report = run_gc(client, 0, purge_deleted_runs=True)
    assert (report.runs_purged, report.entries_purged, report.deleted) == (1, 2, 1)
    assert client.artifact_store.entries(gone.info.run_id) == []
    assert client.read_artifact(keep, "a.txt") == b"shared"
    assert sum(1 for _ in blobs.iter_digests()) == 1
    assert verify(client.tracking_store, blobs).ok


def test_runs_of_deleted_experiments_are_purged(client: ArchivistClient) -> None:
    exp = archivist.create_experiment("doomed")
    with archivist.start_run(experiment_id=exp) as run:
        archivist.log_text("doomed bytes", "d.txt")
    archivist.delete_experiment(exp)
    report = run_gc(client, 0, purge_deleted_runs=True)
    assert (report.runs_purged, report.entries_purged, report.deleted) == (1, 1, 1)
    assert client.artifact_store.entries(run.info.run_id) == []


def test_deleted_logged_models_are_purged_unless_a_version_uses_them(
    client: ArchivistClient, tmp_path: Path
) -> None:
    import archivist.pyfunc

    weights = tmp_path / "w.txt"
    with archivist.start_run():
        infos = []
        for n in range(3):
            weights.write_text(f"weights {n}")
            infos.append(archivist.pyfunc.log_model(name=f"m{n}", python_model=_Echo(),
                                                    artifacts={"w": str(weights)}))
    dropped, registered, kept = infos
    archivist.register_model(registered.model_uri, "in-use")
    client.delete_logged_model(dropped.model_id)
    client.delete_logged_model(registered.model_id)  # deleted, but version 1 still uses it

    assert client.tracking_store.unregistered_deleted_model_ids() == [dropped.model_id]
    report = run_gc(client, 0, purge_deleted_runs=True)
    assert (report.runs_purged, report.models_purged) == (0, 1)
    assert report.deleted == 2  # its own blobs: its weights and its MLmodel (which names its id)
    assert client.artifact_store.entries(dropped.model_id) == []
    assert len(client.artifact_store.entries(registered.model_id)) > 0
    assert archivist.pyfunc.load_model(kept.model_uri).predict([1]) == [1]
    assert archivist.pyfunc.load_model("models:/in-use/1").predict([2]) == [2]
    assert verify(client.tracking_store, local_blobs(client)).ok


class _Echo(archivist.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]
        return model_input


@pytest.mark.parametrize("grace", [-1, float("nan")])
def test_invalid_grace(client: ArchivistClient, grace: float) -> None:
    with pytest.raises(InvalidArgument, match="grace_seconds"):
        run_gc(client, grace)


def test_works_with_any_blob_store(client: ArchivistClient) -> None:
    memory = MemoryBlobStore()
    used, size = memory.put_bytes(b"used")
    client.tracking_store.put_tree_entries("m-model", [TreeEntry("w.bin", used, size)])
    orphan, _ = memory.put_bytes(b"orphan")
    report = gc(client.tracking_store, memory, 0)
    assert (report.deleted, report.referenced, report.bytes_freed) == (1, 1, len(b"orphan"))
    assert memory.has(used) and not memory.has(orphan)


# ------------------------------------------------------------- mark/sweep order
class RecordingTracking:
    """Wraps a tracking store and records when gc reads the referenced set."""

    def __init__(self, inner: object, events: list[str]) -> None:
        self._inner = inner
        self._events = events

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    def referenced_digests(self) -> set[str]:
        self._events.append("referenced")
        result: set[str] = self._inner.referenced_digests()  # type: ignore[attr-defined]
        return result

    def iter_all_entries(self) -> Iterable[tuple[str, TreeEntry]]:
        self._events.append("referenced")
        result: Iterable[tuple[str, TreeEntry]] = self._inner.iter_all_entries()  # type: ignore[attr-defined]
        return result


class RecordingBlobs(MemoryBlobStore):
    def __init__(self, events: list[str]) -> None:
        super().__init__()
        self._events = events

    def iter_digests(self) -> Iterator[str]:
        self._events.append("list-start")
        yield from super().iter_digests()
        self._events.append("list-end")


@pytest.mark.parametrize("dry_run", [False, True])
def test_blobs_are_listed_before_the_referenced_set_is_read(client: ArchivistClient, dry_run: bool) -> None:
    """A writer commits rows after its blobs exist: listing first means any blob whose rows
    were committed before gc read the referenced set is seen as referenced."""
    events: list[str] = []
    blobs = RecordingBlobs(events)
    blobs.put_bytes(b"a")
    gc(RecordingTracking(client.tracking_store, events), blobs, 0, dry_run,  # type: ignore[arg-type]
       purge_deleted_runs=dry_run)
    assert events == ["list-start", "list-end", "referenced"]


def test_a_blob_referenced_after_listing_is_kept(client: ArchivistClient) -> None:
    """Simulate a writer that stores a blob and commits its row while gc is between its
    listing and its mark: the blob was listed, but the referenced set includes it."""
    run_id = logged("first")
    store = client.tracking_store
    memory = MemoryBlobStore()
    digest, size = memory.put_bytes(b"late")

    class CommitDuringListing(MemoryBlobStore):
        def iter_digests(self) -> Iterator[str]:
            yield from memory.iter_digests()
            store.put_tree_entries(run_id, [TreeEntry("late.txt", digest, size)])

        def delete_if_older(self, d: str, seconds: float) -> bool:
            return memory.delete_if_older(d, seconds)

        def age_seconds(self, d: str) -> float:
            return memory.age_seconds(d)

    report = gc(store, CommitDuringListing(), 0)
    assert report.deleted == 0 and memory.has(digest)
