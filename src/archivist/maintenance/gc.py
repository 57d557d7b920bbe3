"""Reclaim blobs that no artifact references: mark from SQL, sweep under a lock.

Safety against concurrent writers does not depend on the grace period (0 is safe):

- A writer stores its blobs first; then, in the transaction that commits the tree rows
  referencing them, with gc's sweep held off, it checks they still exist and stores again
  any that gc removed meanwhile (``ArtifactStore._commit``, ``stores/db/gc_lock.py``).
- gc deletes candidates in batches, each in a transaction that holds tree commits off and
  first re-reads which of the batch are referenced. So a blob is only deleted if it was
  unreferenced at a moment no commit was under way, and no committed row ever points at a
  deleted blob.
- Temp files of live writers are locked; gc removes only those whose writer is gone.

The grace period only decides how long unreferenced blobs are kept (e.g. for a writer that
is slow to commit, so it need not store them twice).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Protocol

from archivist import config
from archivist._tempdirs import SAVE_PREFIX, live_owner_ids, remove_stale
from archivist.entities import Experiment, Run, ViewType
from archivist.errors import InvalidArgument

if TYPE_CHECKING:
    from archivist.entities import TreeEntry
    from archivist.stores.blobs.base import BlobStore
    from archivist.stores.tracking.base import Page

__all__ = ["GcReport", "GcTracking", "deleted_run_ids", "gc"]

_PAGE = 1000
_IDS_PER_SEARCH = 100
_PENDING_FLOOR = 3600.0
_SWEEP_BATCH = 500  # blobs deleted per transaction: tree commits wait at most one batch


class GcTracking(Protocol):
    """What gc needs from a tracking store."""

    def referenced_digests(self) -> set[str]: ...
    def sweep_unreferenced(self, digests: Sequence[str], delete: Callable[[str], bool]) -> list[str]: ...
    def iter_all_entries(self) -> Iterable[tuple[str, TreeEntry]]: ...
    def delete_tree_entries(self, owner_id: str, prefix: str = "") -> int: ...
    def unregistered_deleted_model_ids(self) -> list[str]: ...
    def fail_stale_pending_models(
        self, updated_before_ms: int, keep: Collection[str], *, dry_run: bool = False
    ) -> list[str]: ...
    def search_experiments(
        self,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        filter_string: str | None = None,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> Page: ...
    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> Page: ...


@dataclass(frozen=True, slots=True)
class GcReport:
    """What :func:`gc` did (or, with ``dry_run``, would do).

    Attributes:
        blobs: blobs found in the store.
        referenced: of those, blobs some artifact references (kept).
        deleted: unreferenced blobs deleted (would be deleted, in a dry run).
        bytes_freed: stored bytes of the deleted blobs (0 when the store cannot tell).
        kept_recent: unreferenced blobs kept because they are younger than the grace
            period (or became referenced while gc ran).
        tmp_removed: stale temporary files removed.
        save_dirs_removed: ``archivist-save-*`` folders of killed ``log_model`` calls
            removed from the temp dir.
        pending_models_failed: ids of logged models left PENDING by killed ``log_model``
            calls, now FAILED with their artifact entries dropped.
        runs_purged: deleted runs whose artifact entries were removed.
        models_purged: deleted logged models (used by no registered version) whose artifact
            entries were removed.
        entries_purged: artifact entries removed with them.
        packs_deleted: chunk packs no stored file uses any more, removed (their bytes are
            in ``bytes_freed``).
        packs_repacked: chunk packs mostly unused, rewritten with only their live chunks.
        grace_seconds: the grace period used.
        dry_run: whether nothing was changed.
    """

    blobs: int = 0
    referenced: int = 0
    deleted: int = 0
    bytes_freed: int = 0
    kept_recent: int = 0
    tmp_removed: int = 0
    save_dirs_removed: int = 0
    pending_models_failed: tuple[str, ...] = ()
    runs_purged: int = 0
    models_purged: int = 0
    entries_purged: int = 0
    packs_deleted: int = 0
    packs_repacked: int = 0
    grace_seconds: float = 0.0
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _all_pages(fetch: Callable[[str | None], Page]) -> Iterator[object]:
    token: str | None = None
    while True:
        page = fetch(token)
        yield from page.items
        token = page.next_page_token
        if token is None:
            return


def deleted_run_ids(tracking_store: GcTracking) -> list[str]:
    """Ids of every run whose lifecycle stage is 'deleted' (in any experiment)."""
    experiment_ids = [
        e.experiment_id
        for e in _all_pages(
            lambda t: tracking_store.search_experiments(ViewType.ALL, _PAGE, None, None, t)
        )
        if isinstance(e, Experiment)
    ]
    run_ids: list[str] = []
    for start in range(0, len(experiment_ids), _IDS_PER_SEARCH):
        chunk = experiment_ids[start : start + _IDS_PER_SEARCH]

        def fetch(token: str | None, chunk: list[str] = chunk) -> Page:
            return tracking_store.search_runs(chunk, None, ViewType.DELETED_ONLY, _PAGE, None, token)

        run_ids.extend(r.info.run_id for r in _all_pages(fetch) if isinstance(r, Run))
    return run_ids


def _stored_size(blob_store: BlobStore, digest: str) -> int:
    stored_size = getattr(blob_store, "stored_size", None)
    if stored_size is None:
        return 0
    try:
        return int(stored_size(digest))
    except FileNotFoundError:  # removed meanwhile
        return 0


def gc(
    tracking_store: GcTracking,
    blob_store: BlobStore,
    grace_seconds: float | None = None,
    dry_run: bool = False,
    *,
    purge_deleted_runs: bool = False,
    pending_grace_seconds: float | None = None,
) -> GcReport:
    """Delete blobs that no artifact references and that nothing wrote or used recently.

    Args:
        tracking_store: where the artifact trees are (an ``SqlTrackingStore``).
        blob_store: where their bytes are.
        grace_seconds: keep unreferenced blobs written or touched less than this many
            seconds ago; default ``ARCHIVIST_GC_GRACE_SECONDS`` (an hour). Writers running
            at the same time are safe whatever it is (see the module docstring); a short
            one only makes a slow writer store a blob twice.
        dry_run: report what would be deleted; change nothing.
        purge_deleted_runs: first remove the artifact entries of runs whose lifecycle
            stage is 'deleted', and of deleted logged models that no registered model
            version uses, so the blobs only they used are reclaimed too. Restoring such a
            run afterwards brings it back without artifacts.
        pending_grace_seconds: logged models still PENDING (their ``log_model`` call was
            killed) this many seconds after their last update, and not being saved by a
            live process on this machine, are marked FAILED and their artifact entries
            dropped; default the larger of ``grace_seconds`` and an hour, since a model
            logged from another machine shows no sign of life here.

    Returns:
        A :class:`GcReport`.

    Raises:
        InvalidArgument: ``grace_seconds`` is negative or not a number.
        ReadOnlyStore: the blob store is on a read-only file system (unless ``dry_run``).

    Example:
        >>> client = ArchivistClient("/tmp/store")
        >>> report = gc(client.tracking_store, client.artifact_store.blobs, dry_run=True)
        >>> report.deleted, report.bytes_freed
        (3, 1048576)
    """
    grace = config.GC_GRACE_SECONDS.get() if grace_seconds is None else grace_seconds
    if not isinstance(grace, (int, float)) or math.isnan(grace) or grace < 0:
        raise InvalidArgument(
            f"grace_seconds={grace_seconds!r} is invalid; give a number of seconds >= 0"
        )
    grace = float(grace)
    if not dry_run and getattr(blob_store, "read_only", False):
        from archivist.stores._readonly import read_only_error

        root = getattr(blob_store, "root", None)
        raise read_only_error(
            str(root.parent if root is not None else blob_store.uri),
            "garbage-collected (a dry run shows what gc would reclaim)",
        )
    pending_grace = max(grace, _PENDING_FLOOR) if pending_grace_seconds is None else pending_grace_seconds
    if math.isnan(pending_grace) or pending_grace < 0:
        raise InvalidArgument(
            f"pending_grace_seconds={pending_grace_seconds!r} is invalid; give a number of seconds >= 0"
        )

    # log_model calls that were killed: their folders, then their PENDING models (whose
    # entries are dropped first, so the blobs only they used are reclaimed below)
    save_dirs = remove_stale(SAVE_PREFIX, grace, dry_run=dry_run)
    failed_models = tracking_store.fail_stale_pending_models(
        int((time.time() - pending_grace) * 1000), live_owner_ids(SAVE_PREFIX), dry_run=dry_run
    )

    runs_purged = models_purged = entries_purged = 0
    purged: set[str] = set()
    if purge_deleted_runs:
        runs = deleted_run_ids(tracking_store)
        models = tracking_store.unregistered_deleted_model_ids()
        runs_purged, models_purged = len(runs), len(models)
        purged = {*runs, *models}
        if not dry_run:
            for run_id in sorted(purged):
                entries_purged += tracking_store.delete_tree_entries(run_id)

    # List first, then mark: see the module docstring.
    stored = list(dict.fromkeys(blob_store.iter_digests()))
    if dry_run and purged:
        referenced: set[str] = set()
        for owner_id, entry in tracking_store.iter_all_entries():
            if owner_id in purged:
                entries_purged += 1
            else:
                referenced.add(entry.digest)
    else:
        referenced = tracking_store.referenced_digests()

    candidates = [d for d in stored if d not in referenced]
    n_referenced = len(stored) - len(candidates)
    deleted = bytes_freed = 0
    would_go: list[str] = []
    for start in range(0, len(candidates), _SWEEP_BATCH):
        batch = candidates[start : start + _SWEEP_BATCH]
        sizes = {d: _stored_size(blob_store, d) for d in batch}
        if dry_run:
            gone = [d for d in batch if blob_store.age_seconds(d) >= grace]
        else:
            gone = tracking_store.sweep_unreferenced(
                batch, lambda d: blob_store.delete_if_older(d, grace)
            )
        if dry_run:
            would_go.extend(gone)
        deleted += len(gone)
        bytes_freed += sum(sizes[d] for d in gone)
    kept = len(candidates) - deleted

    packs_deleted = packs_repacked = 0
    collect_chunks = getattr(blob_store, "collect_chunks", None)
    chunk_report = None if collect_chunks is None else collect_chunks(grace, dry_run, would_go)
    if chunk_report is not None:  # the chunk layer: packs whose chunks no file uses now
        packs_deleted, packs_repacked = chunk_report.packs_deleted, chunk_report.packs_repacked
        bytes_freed += chunk_report.bytes_freed

    tmp_removed = 0
    clean_tmp = getattr(blob_store, "clean_tmp", None)
    if clean_tmp is not None and not dry_run:
        tmp_removed = int(clean_tmp(grace))

    return GcReport(
        blobs=len(stored),
        referenced=n_referenced,
        deleted=deleted,
        bytes_freed=bytes_freed,
        kept_recent=kept,
        tmp_removed=tmp_removed,
        save_dirs_removed=len(save_dirs),
        pending_models_failed=tuple(failed_models),
        runs_purged=runs_purged,
        models_purged=models_purged,
        entries_purged=entries_purged,
        packs_deleted=packs_deleted,
        packs_repacked=packs_repacked,
        grace_seconds=grace,
        dry_run=dry_run,
    )
