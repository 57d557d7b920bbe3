"""``archivist verify --repair-from URI``: restore damaged or missing blobs from another
store that holds the same digests (a replica, a backup bucket, a colleague's store).

The bytes are copied through the source's verifying read into a temporary file, so a
source copy that is itself damaged is never used; the damaged blob is first moved aside
(:meth:`BlobStore.quarantine`), then the good bytes are stored under the same digest and
read back through the target's own verifying read.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archivist.errors import ArchivistError, ArtifactCorrupted, InvalidArgument

if TYPE_CHECKING:
    from archivist.maintenance.verify import VerifyReport
    from archivist.stores.blobs.base import BlobStore

__all__ = ["RepairReport", "damaged_digests", "open_source", "repair_blobs"]


@dataclass(frozen=True, slots=True)
class RepairReport:
    """What :func:`repair_blobs` did.

    Attributes:
        source: the URI the good bytes came from.
        repaired: digests restored (now intact in the store).
        unavailable: digest -> why it could not be restored (absent or damaged in the
            source too).
        quarantined: digest -> where the damaged bytes were kept (when the store keeps them).
    """

    source: str
    repaired: tuple[str, ...] = ()
    unavailable: dict[str, str] = field(default_factory=dict)
    quarantined: dict[str, str] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """One line per digest: restored, or why not."""
        out = [f"repaired: blob {d} from {self.source}" for d in self.repaired]
        out += [f"not repaired: blob {d}: {why}" for d, why in sorted(self.unavailable.items())]
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "repaired": list(self.repaired),
            "unavailable": dict(self.unavailable),
            "quarantined": dict(self.quarantined),
        }


def open_source(uri: str) -> BlobStore:
    """The store to repair from; a local folder must exist (a typo must not read as empty)."""
    from urllib.parse import urlparse

    from archivist.stores.schemes import get_blob_store

    parsed = urlparse(uri)
    if parsed.scheme in ("", "file"):
        folder = Path(parsed.path if parsed.scheme == "file" else uri).expanduser()
        if not (folder / "objects").is_dir():
            raise InvalidArgument(
                f"--repair-from {uri!r} is not a blob store (no 'objects' folder there); give "
                "the blob folder of another store (e.g. <store>/blobs) or an s3:// URI"
            )
    store: BlobStore = get_blob_store(uri)
    return store


def damaged_digests(report: VerifyReport) -> list[str]:
    """Digests ``verify`` found missing or holding the wrong bytes."""
    return sorted({m.digest for m in report.missing} | {c.digest for c in report.digest_mismatches})


def repair_blobs(blob_store: BlobStore, source: BlobStore, digests: Iterable[str]) -> RepairReport:
    """Restore each digest in ``blob_store`` from ``source``.

    Args:
        blob_store: the store to repair (a cached remote is repaired at its origin).
        source: another store holding the same digests.
        digests: what to restore, e.g. :func:`damaged_digests` of a verify report.

    Returns:
        A :class:`RepairReport`.

    Example:
        >>> report = verify(client.tracking_store, client.artifact_store.blobs)
        >>> backup = get_blob_store("s3://backup/archivist")
        >>> repair_blobs(client.artifact_store.blobs, backup, damaged_digests(report)).repaired
        ('blake3:9f2c...',)
    """
    cached = blob_store
    target: BlobStore = getattr(blob_store, "origin", blob_store)
    repaired: list[str] = []
    unavailable: dict[str, str] = {}
    quarantined: dict[str, str] = {}
    for digest in digests:
        if not source.has(digest):
            unavailable[digest] = f"not in {source.uri}"
            continue
        fd, tmp = tempfile.mkstemp(prefix="archivist-repair-")
        os.close(fd)
        try:
            try:
                source.copy_to(digest, tmp)
            except ArtifactCorrupted:
                unavailable[digest] = f"damaged in {source.uri} too"
                continue
            if target.has(digest):
                where = target.quarantine(digest)
                if where is not None:
                    quarantined[digest] = where
            cache = getattr(cached, "cache", None)
            if cache is not None:  # a cached copy of the damaged blob must not be served
                cache.evict(digest)
            with open(tmp, "rb") as f:
                target.put(digest, f)  # type: ignore[arg-type]
            try:
                with target.open(digest) as check:
                    while check.read(4 << 20):
                        pass
            except ArchivistError as e:
                unavailable[digest] = f"stored again but does not read back intact ({e})"
                continue
            repaired.append(digest)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return RepairReport(source.uri, tuple(repaired), unavailable, quarantined)
