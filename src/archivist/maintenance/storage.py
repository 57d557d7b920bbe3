"""``archivist storage``: what the artifacts weigh as files vs what the store holds.

Logical bytes count every artifact file as a user sees it (the same 1 GB file in 100
runs counts 100 GB); unique bytes count each distinct content once (what dedup leaves);
stored bytes are what the blob store holds for them (after compression). The same
figures are given per experiment; a blob shared by experiments counts in each of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from archivist.entities import TreeEntry
    from archivist.stores.blobs.base import BlobStore
    from archivist.stores.db.engine import Database

__all__ = ["ExperimentStorage", "StorageReport", "Usage", "storage_report"]


class StorageIndex(Protocol):
    """What the report needs from a tracking store (the SQL one)."""

    db: Database

    def iter_all_entries(self) -> Iterable[tuple[str, TreeEntry]]: ...


@dataclass(frozen=True, slots=True)
class Usage:
    """Bytes of a set of artifact files.

    Attributes:
        files: artifact files (tree entries).
        blobs: distinct contents among them.
        logical_bytes: the files' sizes added up.
        unique_bytes: each distinct content's size counted once.
        stored_bytes: what the blob store holds for those contents.
    """

    files: int
    blobs: int
    logical_bytes: int
    unique_bytes: int
    stored_bytes: int

    @property
    def dedup_saved(self) -> int:
        """Bytes not stored because identical contents are stored once."""
        return self.logical_bytes - self.unique_bytes

    @property
    def compression_saved(self) -> int:
        """Bytes saved by compression (negative if framing cost more than it saved)."""
        return self.unique_bytes - self.stored_bytes

    @property
    def ratio(self) -> float:
        """logical / stored (1.0 when nothing is stored)."""
        return self.logical_bytes / self.stored_bytes if self.stored_bytes else 1.0

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(dedup_saved=self.dedup_saved, compression_saved=self.compression_saved,
                   ratio=round(self.ratio, 3))
        return out


@dataclass(frozen=True, slots=True)
class ExperimentStorage:
    experiment_id: str
    name: str
    usage: Usage

    def to_dict(self) -> dict[str, Any]:
        return {"experiment_id": self.experiment_id, "name": self.name, **self.usage.to_dict()}


@dataclass(frozen=True, slots=True)
class StorageReport:
    """The whole store's :class:`Usage` and each experiment's."""

    store: Usage
    experiments: tuple[ExperimentStorage, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"store": self.store.to_dict(), "experiments": [e.to_dict() for e in self.experiments]}


def _usage(pairs: list[tuple[str, int]], stored: dict[str, int]) -> Usage:
    sizes = dict(pairs)
    return Usage(
        files=len(pairs),
        blobs=len(sizes),
        logical_bytes=sum(s for _, s in pairs),
        unique_bytes=sum(sizes.values()),
        stored_bytes=sum(stored.get(d, 0) for d in sizes),
    )


def storage_report(tracking_store: StorageIndex, blob_store: BlobStore) -> StorageReport:
    """Logical vs stored bytes for the store and per experiment.

    Args:
        tracking_store: where the artifact trees are (an ``SqlTrackingStore``).
        blob_store: where their bytes are (local, S3, ...).

    Returns:
        A :class:`StorageReport`.

    Example:
        >>> client = ArchivistClient("/tmp/store")
        >>> report = storage_report(client.tracking_store, client.artifact_store.blobs)
        >>> report.store.logical_bytes, report.store.stored_bytes
        (104857600, 1048576)
    """
    from archivist.stores.tracking.sql_storage import experiment_entries

    blob_store = getattr(blob_store, "origin", blob_store)
    everything = [(e.digest, e.size) for _, e in tracking_store.iter_all_entries()]
    digests = sorted({d for d, _ in everything})
    workers = 16 if getattr(blob_store, "remote", False) else 1
    with ThreadPoolExecutor(workers) as pool:
        stored = dict(zip(digests, pool.map(blob_store.stored_size, digests), strict=True))
    per: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for experiment_id, name, digest, size in experiment_entries(tracking_store.db):
        per.setdefault((experiment_id, name), []).append((digest, size))
    experiments = tuple(
        ExperimentStorage(eid, name, _usage(pairs, stored))
        for (eid, name), pairs in sorted(per.items(), key=lambda kv: int(kv[0][0]))
    )
    return StorageReport(_usage(everything, stored), experiments)
