"""fsck for artifacts: every tree entry has its blob, and every blob holds its digest's bytes.

A corrupted blob is moved to the blob store's quarantine (kept for inspection, never read
or reused again); logging any file with those bytes again stores a good copy, which
repairs every artifact that referenced it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from archivist.errors import ArtifactCorrupted, InvalidArgument
from archivist.stores.artifacts.naming import describe_owner

if TYPE_CHECKING:
    from archivist.entities import TreeEntry
    from archivist.stores.blobs.base import BlobStore

__all__ = [
    "DigestMismatch",
    "MissingBlob",
    "Reference",
    "SizeMismatch",
    "TreeIndex",
    "VerifyReport",
    "verify",
]

_CHUNK = 4 << 20


class TreeIndex(Protocol):
    """What verify needs from a tracking store: every tree entry, and the digests in use."""

    def iter_all_entries(self) -> Iterable[tuple[str, TreeEntry]]: ...
    def referenced_digests(self) -> set[str]: ...


@dataclass(frozen=True, slots=True)
class Reference:
    """One artifact that points at a blob: its owner (run or model id) and path."""

    owner_id: str
    path: str

    def __str__(self) -> str:
        return f"{describe_owner(self.owner_id)}, artifact {self.path!r}"


@dataclass(frozen=True, slots=True)
class MissingBlob:
    """A referenced blob that is not in the blob store."""

    digest: str
    references: tuple[Reference, ...]
    #: damaged copies of it kept in the quarantine (by an earlier verify or reuse check)
    quarantined: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DigestMismatch:
    """A blob whose stored bytes do not hash to its digest (or cannot be decoded)."""

    digest: str
    reason: str
    references: tuple[Reference, ...]
    #: where the damaged blob was moved (None: left in place, or the store cannot keep it)
    quarantined: str | None = None


@dataclass(frozen=True, slots=True)
class SizeMismatch:
    """A tree entry whose recorded size differs from the size of its blob's bytes."""

    reference: Reference
    digest: str
    recorded: int
    actual: int


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """What :func:`verify` found.

    Attributes:
        entries: tree entries checked.
        blobs: distinct referenced blobs checked (each read once).
        bytes_read: bytes read and hashed.
        missing: referenced blobs that are gone.
        digest_mismatches: blobs whose bytes are not what their digest names.
        size_mismatches: entries whose recorded size is wrong.
        unreferenced: blobs no entry references (``archivist gc`` reclaims them); not a
            problem.
    """

    entries: int = 0
    blobs: int = 0
    bytes_read: int = 0
    missing: tuple[MissingBlob, ...] = ()
    digest_mismatches: tuple[DigestMismatch, ...] = ()
    size_mismatches: tuple[SizeMismatch, ...] = ()
    unreferenced: int = 0

    @property
    def problem_count(self) -> int:
        """How many artifacts are affected (one per line of :meth:`problems`)."""
        return (
            sum(len(m.references) for m in self.missing)
            + sum(len(m.references) for m in self.digest_mismatches)
            + len(self.size_mismatches)
        )

    @property
    def ok(self) -> bool:
        """True when every entry's blob is present and intact."""
        return self.problem_count == 0

    def problems(self) -> list[str]:
        """One line per affected artifact, naming the artifact, the blob and the fault."""
        lines: list[str] = []
        for m in self.missing:
            note = (
                f" (a damaged copy is quarantined at {m.quarantined[-1]}); log the file again to repair"
                if m.quarantined
                else ""
            )
            lines.extend(f"missing: {ref} -> blob {m.digest} is not in the store{note}" for ref in m.references)
        for c in self.digest_mismatches:
            note = (
                f"; moved to {c.quarantined}, log the file again to repair" if c.quarantined else ""
            )
            lines.extend(f"corrupted: {ref} -> blob {c.digest} {c.reason}{note}" for ref in c.references)
        for s in self.size_mismatches:
            lines.append(
                f"size mismatch: {s.reference} -> blob {s.digest} holds {s.actual} bytes, "
                f"the entry records {s.recorded}"
            )
        return lines

    def to_dict(self) -> dict[str, Any]:
        def refs(references: tuple[Reference, ...]) -> list[dict[str, str]]:
            return [{"owner_id": r.owner_id, "path": r.path} for r in references]

        return {
            "ok": self.ok,
            "problem_count": self.problem_count,
            "entries": self.entries,
            "blobs": self.blobs,
            "bytes_read": self.bytes_read,
            "unreferenced": self.unreferenced,
            "missing": [
                {"digest": m.digest, "references": refs(m.references), "quarantined": list(m.quarantined)}
                for m in self.missing
            ],
            "digest_mismatches": [
                {
                    "digest": c.digest,
                    "reason": c.reason,
                    "references": refs(c.references),
                    "quarantined": c.quarantined,
                }
                for c in self.digest_mismatches
            ],
            "size_mismatches": [
                {
                    "owner_id": s.reference.owner_id,
                    "path": s.reference.path,
                    "digest": s.digest,
                    "recorded": s.recorded,
                    "actual": s.actual,
                }
                for s in self.size_mismatches
            ],
        }


def _read_through(blob_store: BlobStore, digest: str) -> int:
    """Read a blob to the end (the reader checks the digest at EOF); return its size."""
    check = getattr(blob_store, "check", None)
    if check is not None:  # the store's own fastest complete check
        return int(check(digest))
    size = 0
    with blob_store.open(digest) as f:
        while chunk := f.read(_CHUNK):
            size += len(chunk)
    return size


def _is_decode_error(exc: Exception) -> bool:
    # zstandard raises its own ZstdError on a damaged compressed blob
    return type(exc).__module__.startswith("zstandard")


def verify(tracking_store: TreeIndex, blob_store: BlobStore, *, quarantine: bool = True) -> VerifyReport:
    """Check that every artifact's blob exists and holds exactly the bytes its digest names.

    Each distinct blob is read once, to the end, through ``blob_store.open`` (which hashes
    what it returns); the size read is compared with every entry that references it.

    Args:
        tracking_store: where the artifact trees are (an ``SqlTrackingStore``).
        blob_store: where their bytes are.
        quarantine: move each corrupted blob to the store's quarantine (the default), so
            nothing reads or reuses it and logging the file again repairs it; False leaves
            it in place.

    Returns:
        A :class:`VerifyReport`; ``report.ok`` is False when anything is missing or wrong.

    Example:
        >>> client = ArchivistClient("/tmp/store")
        >>> report = verify(client.tracking_store, client.artifact_store.blobs)
        >>> for line in report.problems():
        ...     print(line)
    """
    blob_store = getattr(blob_store, "origin", blob_store)  # check a cached remote itself
    by_digest: dict[str, list[tuple[Reference, int]]] = {}
    entries = 0
    for owner_id, entry in tracking_store.iter_all_entries():
        entries += 1
        by_digest.setdefault(entry.digest, []).append((Reference(owner_id, entry.path), entry.size))

    missing: list[MissingBlob] = []
    mismatches: list[DigestMismatch] = []
    sizes: list[SizeMismatch] = []
    bytes_read = 0
    for digest in sorted(by_digest):
        refs = by_digest[digest]
        references = tuple(r for r, _ in refs)
        try:
            present = blob_store.has(digest)
        except InvalidArgument:
            mismatches.append(DigestMismatch(digest, "is not a valid digest", references))
            continue
        if not present:
            missing.append(MissingBlob(digest, references, tuple(blob_store.quarantined(digest))))
            continue
        try:
            actual = _read_through(blob_store, digest)
        except ArtifactCorrupted as e:
            if blob_store.has(digest):
                reason = (
                    f"cannot be decompressed ({e.message.split('(', 1)[-1].rstrip(')')}"
                    if "cannot be decoded" in e.message
                    else "holds bytes that do not hash to its digest"
                )
                moved = blob_store.quarantine(digest) if quarantine else None
                mismatches.append(DigestMismatch(digest, reason, references, moved))
            else:  # removed while we read it
                missing.append(MissingBlob(digest, references))
            continue
        except Exception as e:
            if not _is_decode_error(e):
                raise
            moved = blob_store.quarantine(digest) if quarantine else None
            mismatches.append(DigestMismatch(digest, f"cannot be decompressed ({e})", references, moved))
            continue
        bytes_read += actual
        sizes.extend(
            SizeMismatch(ref, digest, recorded, actual) for ref, recorded in refs if recorded != actual
        )

    # list blobs before reading the referenced set, as gc does: a blob written and
    # referenced meanwhile is then never counted as unreferenced
    stored = list(blob_store.iter_digests())
    referenced = tracking_store.referenced_digests()
    # an entry removed (and its blob collected) while we were checking is not a problem
    missing = [m for m in missing if m.digest in referenced]
    unreferenced = sum(1 for d in stored if d not in referenced)
    return VerifyReport(
        entries=entries,
        blobs=len(by_digest),
        bytes_read=bytes_read,
        missing=tuple(missing),
        digest_mismatches=tuple(mismatches),
        size_mismatches=tuple(sizes),
        unreferenced=unreferenced,
    )
