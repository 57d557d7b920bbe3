"""Artifact trees: rows ``path -> (digest, size)`` in SQL, bytes in a blob store."""

from __future__ import annotations

import contextlib
import io
import os
import stat
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from archivist.entities import FileInfo, TreeEntry
from archivist.errors import ArchivistError, InvalidArgument, InvalidState, ResourceNotFound
from archivist.paths import join, validate_artifact_file, validate_artifact_path
from archivist.stores._readonly import read_only_error
from archivist.stores.artifacts.failures import storing
from archivist.stores.artifacts.naming import NamingReader, naming_corruption
from archivist.stores.artifacts.sources import (
    check_regular,
    download_error,
    put_file_stable,
    put_files_stable,
)
from archivist.stores.blobs.hashing import CHUNK

if TYPE_CHECKING:
    from archivist.stores.blobs.base import BlobStore
    from archivist.stores.tracking.sql import SqlTrackingStore

__all__ = ["ArtifactStore", "check_local_dir", "check_local_file"]

_PROGRESS_MIN_BYTES = 64 << 20


def _show_progress() -> bool:
    return sys.stderr.isatty()


@contextlib.contextmanager
def _progress(label: str, total: int) -> Iterator[Callable[[int], object]]:
    """A transient rich progress bar on a terminal for transfers of 64 MiB or more.

    Yields ``advance(n_bytes)``; elsewhere (a pipe, a log, small transfers) it does nothing.
    """
    if total < _PROGRESS_MIN_BYTES or not _show_progress():
        yield lambda n: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    columns = (
        TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
        TransferSpeedColumn(), TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


def _already_there(target: Path, entry: TreeEntry) -> bool:
    """True when ``target`` is a regular file holding exactly ``entry``'s bytes."""
    try:
        st = target.lstat()
    except FileNotFoundError:
        return False
    if not stat.S_ISREG(st.st_mode) or st.st_size != entry.size:
        return False
    from archivist.stores.blobs.hashing import hash_file, split

    return hash_file(target, split(entry.digest)[0])[0] == entry.digest


def _artifact_name(local: str | os.PathLike[str], rel: str, base: str = "") -> str:
    """``rel`` (a local file's name or path below the logged folder) as an artifact path
    under ``base``."""
    try:
        path = join(base, validate_artifact_path(rel, name="file name"))
    except InvalidArgument as e:
        reason = e.message.split(";")[0]
        raise InvalidArgument(
            f"local file {os.fspath(local)!r} cannot be logged under its own name: {reason}; "
            "rename it, or copy it to a valid name, before logging"
        ) from None
    try:
        return validate_artifact_path(path)
    except InvalidArgument as e:
        raise InvalidArgument(
            f"local file {os.fspath(local)!r} would be logged as {e.message}"
        ) from None


def check_local_file(local_path: str | os.PathLike[str]) -> Path:
    path = Path(os.fspath(local_path))
    if path.exists():  # a FIFO, device or socket is refused before anything opens it
        check_regular(path, f"local_path {os.fspath(local_path)!r}", allow_dir=True)
    else:
        raise InvalidArgument(
            f"local_path {os.fspath(local_path)!r} does not exist; give the path of a file to "
            "log (relative paths are taken from the working directory "
            f"{os.getcwd()!r})"
        )
    if not os.access(path, os.R_OK):
        raise InvalidArgument(
            f"local_path {os.fspath(local_path)!r} cannot be read (permission denied); fix "
            "its permissions or log another file"
        )
    return path


def check_local_dir(local_dir: str | os.PathLike[str]) -> Path:
    path = check_local_file(local_dir)
    if not path.is_dir():
        raise InvalidArgument(
            f"local_dir {os.fspath(local_dir)!r} is not a directory; use log_artifact() for a "
            "single file"
        )
    return path


def _walk_files(root: Path) -> list[tuple[str, str]]:
    """(absolute path, relative posix path) of every file below ``root``, sorted.

    Symlinks are followed; one that leads back to a folder above it is an error, since
    following it would never end.
    """
    out: list[tuple[str, str]] = []
    top = os.stat(root)
    stack = [(str(root), "", frozenset({(top.st_dev, top.st_ino)}))]
    while stack:
        directory, rel, above = stack.pop()
        with os.scandir(directory) as it:
            for entry in it:
                name = entry.name
                child_rel = f"{rel}/{name}" if rel else name
                if entry.is_dir():
                    st = entry.stat()
                    ident = (st.st_dev, st.st_ino)
                    if ident in above:
                        raise InvalidArgument(
                            f"local_dir '{root}' holds a symlink loop: {child_rel!r} leads back "
                            "to a folder above it; remove the link or log a folder without it"
                        )
                    stack.append((entry.path, child_rel, above | {ident}))
                elif entry.is_file():
                    out.append((entry.path, child_rel))
                else:  # FIFO, device, socket or broken symlink: refuse, never open it
                    _refuse_entry(root, entry.path, child_rel)
    out.sort(key=lambda t: t[1])
    return out


def _refuse_entry(root: Path, path: str, rel: str) -> None:
    if not os.path.exists(path):
        raise InvalidArgument(
            f"local_dir '{root}' holds {rel!r}, a symlink to {os.readlink(path)!r}, which does "
            "not exist; remove the link or log a folder without it"
        )
    check_regular(path, f"{rel!r} in local_dir '{root}'")


def _path_of(entries: list[TreeEntry], digest: str) -> str:
    return next(e.path for e in entries if e.digest == digest)


class ArtifactStore:
    """Logs, lists, reads and downloads the artifact tree of an owner (run or model)."""

    def __init__(self, tracking: SqlTrackingStore, blobs: BlobStore) -> None:
        self.tracking = tracking
        self.blobs = blobs

    # -- writing -------------------------------------------------------------------
    def _check_writable(self) -> None:
        """Refuse a write to a read-only store before any byte is stored."""
        if self.tracking.db.read_only or getattr(self.blobs, "read_only", False):
            root = getattr(self.blobs, "root", None)
            raise read_only_error(str(root.parent if root is not None else self.blobs.uri))

    def log_file(
        self, owner_id: str, local_path: str | os.PathLike[str], artifact_path: str | None = None
    ) -> TreeEntry:
        self._check_writable()
        base = validate_artifact_path(artifact_path)
        path = check_local_file(local_path)
        target = _artifact_name(path, path.name, base)
        if path.is_dir():
            self.log_dir(owner_id, path, target)
            return TreeEntry(target, "", 0)
        with self._storing(owner_id, f"artifact {target!r}"):
            try:
                digest, size = put_file_stable(self.blobs, str(path), f"local_path {str(path)!r}")
            except PermissionError:
                raise InvalidArgument(
                    f"local_path {os.fspath(local_path)!r} cannot be read (permission denied)"
                ) from None
            entry = TreeEntry(target, digest, size)
            self._commit(owner_id, [entry], {digest: lambda: self.blobs.put_file(path)})
        return entry

    def log_dir(
        self, owner_id: str, local_dir: str | os.PathLike[str], artifact_path: str | None = None
    ) -> list[TreeEntry]:
        self._check_writable()
        base = validate_artifact_path(artifact_path)
        root = check_local_dir(local_dir)
        files = _walk_files(root)
        for local, rel in files:
            _artifact_name(local, rel, base)
        paths = [p for p, _ in files]
        total = sum(os.path.getsize(p) for p in paths) if _show_progress() else 0
        what = f"the {len(paths)} file(s) of local_dir {os.fspath(local_dir)!r}"
        with self._storing(owner_id, what), _progress("storing", total) as advance:
            stored = put_files_stable(self.blobs, paths, lambda p: f"local file {p!r}", advance)
            entries = [
                TreeEntry(join(base, rel), digest, size)
                for (_, rel), (digest, size) in zip(files, stored, strict=True)
            ]
            again = {e.digest: (lambda p=p: self.blobs.put_file(p)) for e, p in zip(entries, paths, strict=True)}
            self._commit(owner_id, entries, again)
        return entries

    def log_bytes(self, owner_id: str, artifact_file: str, data: bytes) -> TreeEntry:
        self._check_writable()
        path = validate_artifact_file(artifact_file)
        with self._storing(owner_id, f"artifact {path!r}"):
            digest, size = self.blobs.put_bytes(data)
            entry = TreeEntry(path, digest, size)
            self._commit(owner_id, [entry], {digest: lambda: self.blobs.put_bytes(data)})
        return entry

    def _storing(self, owner_id: str, what: str) -> contextlib.AbstractContextManager[None]:
        db = self.tracking.uri if self.tracking.uri.startswith("sqlite") else "the tracking database"
        return storing(owner_id, what, f"the blob store ({self.blobs.uri}) and {db}")

    # -- transfer primitives (push/pull; a remote store sends these over HTTP) ----------
    def missing_blobs(self, owner_id: str, digests: Iterable[str]) -> set[str]:
        """Which of ``digests`` must be sent before ``owner_id``'s tree can name them."""
        wanted = set(digests)
        return wanted - self.blobs.has_many(wanted)

    def put_blob(self, owner_id: str, digest: str, data: BinaryIO, size: int) -> None:
        """Store bytes read from ``data`` (verified against ``digest``) for ``owner_id``."""
        with self._storing(owner_id, f"blob {digest}"):
            if not self.blobs.reuse(digest):
                self.blobs.put(digest, data)

    def open_blob(self, owner_id: str, digest: str) -> BinaryIO:
        """Verified bytes of ``digest``, which ``owner_id``'s tree names."""
        with naming_corruption(owner_id, ""):
            raw = self.blobs.open(digest)
        return io.BufferedReader(NamingReader(raw, owner_id, ""), CHUNK)  # type: ignore[return-value]

    def commit_entries(self, owner_id: str, entries: list[TreeEntry]) -> None:
        """Add entries to ``owner_id``'s tree; their blobs must already be stored.

        Raises:
            InvalidState: a blob is not stored (never sent, or gc removed it since): send
                the blobs ``missing_blobs`` names again, then commit again.
        """

        def ensure(digests: list[str]) -> None:
            gone = sorted(set(digests) - self.blobs.has_many(digests))
            if gone:
                raise InvalidState(
                    f"{len(gone)} blob(s) named by the entries for {owner_id} are not stored "
                    f"(first: {gone[0]} for {_path_of(entries, gone[0])!r}); send them again "
                    "(missing_blobs lists them), then commit again"
                )

        with self._storing(owner_id, f"{len(entries)} artifact entr{'y' if len(entries) == 1 else 'ies'}"):
            self.tracking.put_tree_entries(owner_id, entries, ensure=ensure)

    def _commit(
        self,
        owner_id: str,
        entries: list[TreeEntry],
        again: Mapping[str, Callable[[], tuple[str, int]]],
    ) -> None:
        """Commit tree rows, storing again (with gc held off) any blob gc took meanwhile."""

        def ensure(digests: list[str]) -> None:
            present = self.blobs.has_many(digests)
            for digest in digests:
                if digest not in present and again[digest]()[0] != digest:
                    raise InvalidArgument(
                        f"a file logged as {owner_id}/{_path_of(entries, digest)} changed while "
                        "it was being logged; log it again once nothing writes to it"
                    )

        self.tracking.put_tree_entries(owner_id, entries, ensure=ensure)

    # -- reading ---------------------------------------------------------------------
    def entries(self, owner_id: str, path: str = "") -> list[TreeEntry]:
        return self.tracking.list_tree_entries(owner_id, validate_artifact_path(path))

    def listdir(self, owner_id: str, path: str | None = None) -> list[FileInfo]:
        """Immediate children of ``path`` (files with sizes, folders without)."""
        prefix = validate_artifact_path(path)
        entries = self.tracking.list_tree_entries(owner_id, prefix)
        children: dict[str, FileInfo] = {}
        cut = len(prefix) + 1 if prefix else 0
        for e in entries:
            if e.path == prefix:
                return []  # a file: MLflow lists nothing under a file
            rest = e.path[cut:]
            head, sep, _ = rest.partition("/")
            child = join(prefix, head)
            if sep:
                children.setdefault(child, FileInfo(child, True, None))
            else:
                children[child] = FileInfo(child, False, e.size)
        return sorted(children.values(), key=lambda f: f.path)

    def _entry(self, owner_id: str, path: str) -> TreeEntry:
        norm = validate_artifact_path(path)
        for e in self.tracking.list_tree_entries(owner_id, norm):
            if e.path == norm:
                return e
        raise ResourceNotFound(
            f"artifact {path!r} does not exist in {owner_id}; list what is there with "
            f"list_artifacts({owner_id!r})"
        )

    def open(self, owner_id: str, path: str) -> BinaryIO:
        entry = self._entry(owner_id, path)
        with naming_corruption(owner_id, entry.path):
            raw = self.blobs.open(entry.digest)
        return io.BufferedReader(NamingReader(raw, owner_id, entry.path), CHUNK)  # type: ignore[return-value]

    def read_bytes(self, owner_id: str, path: str) -> bytes:
        entry = self._entry(owner_id, path)
        with naming_corruption(owner_id, entry.path):
            return self.blobs.read_bytes(entry.digest)

    def download(
        self, owner_id: str, path: str | None, dst_dir: str | os.PathLike[str], *, link: bool = False
    ) -> str:
        """Materialize ``path`` (a file or a folder; '' for everything) under ``dst_dir``.

        Resumable: a file already at its target with the right size and digest (left by an
        earlier, interrupted download) is kept; anything else there is replaced.
        Returns the local path of what was asked for, as MLflow does.
        """
        prefix = validate_artifact_path(path)
        entries = self.tracking.list_tree_entries(owner_id, prefix)
        if not entries and prefix:
            raise ResourceNotFound(
                f"artifact path {prefix!r} does not exist in {owner_id}; list what is "
                f"there with list_artifacts({owner_id!r})"
            )
        dst = Path(dst_dir).absolute()
        try:
            self._materialize(owner_id, entries, dst, link)
        except ArchivistError:
            raise
        except OSError as e:
            raise download_error(e, dst) from None
        return str(dst / prefix) if prefix else str(dst)

    def _materialize(self, owner_id: str, entries: list[TreeEntry], dst: Path, link: bool) -> None:
        dst.mkdir(parents=True, exist_ok=True)
        with _progress("downloading", sum(e.size for e in entries)) as advance:
            made: set[Path] = set()
            for e in entries:
                target = dst / e.path
                parent = target.parent
                if parent not in made:
                    parent.mkdir(parents=True, exist_ok=True)
                    made.add(parent)
                if not _already_there(target, e):
                    with naming_corruption(owner_id, e.path):
                        self.blobs.copy_to(e.digest, str(target), link=link)
                advance(e.size)
