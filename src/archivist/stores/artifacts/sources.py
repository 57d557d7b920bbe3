"""Local files as sources of artifacts (only regular files, only a stable snapshot), and
local folders as destinations of downloads (clear errors when the file system refuses).

A FIFO, a device or a socket is refused before it is opened (opening a FIFO with no
writer blocks forever; ``/dev/zero`` never ends). A file that changes while it is being
stored (a log still being written, a checkpoint rewritten in place) is stored again, a
bounded number of times, and then refused: its tree entry is only committed when the
file's identity, size and timestamps are the same before and after its bytes were read,
so a torn mix of old and new bytes is never recorded as a clean artifact.
"""

from __future__ import annotations

import errno
import os
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from archivist.errors import ArchivistError, InvalidArgument
from archivist.stores.blobs.base import SourceChanged

if TYPE_CHECKING:
    from archivist.stores.blobs.base import BlobStore

__all__ = ["ATTEMPTS", "check_regular", "download_error", "put_file_stable", "put_files_stable"]

#: How many times a file that changes while it is stored is read again before giving up.
ATTEMPTS = 5
_RETRY_PAUSE = 0.05
#: A write this soon after the previous one may leave the modification time unchanged
#: (timestamps advance by clock ticks): wait this long after a file's last change
#: before trusting that an unchanged timestamp means unchanged bytes.
_RACY_NS = 20_000_000
_RACY_COARSE_NS = 2_000_000_000  # file systems with whole-second timestamps


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def check_regular(path: str | os.PathLike[str], shown: str, *, allow_dir: bool = False) -> os.stat_result:
    """The ``stat`` of ``path`` (symlinks followed) if it is a regular file (or a folder
    when ``allow_dir``); else :class:`InvalidArgument`. Never opens ``path``."""
    st = os.stat(path)
    if stat.S_ISREG(st.st_mode) or (allow_dir and stat.S_ISDIR(st.st_mode)):
        return st
    raise InvalidArgument(
        f"{shown} is {_kind(st.st_mode)}, not a regular file; only regular files and "
        "folders can be logged: write its contents to a file first and log that file"
    )


def _signature(st: os.stat_result) -> tuple[int, ...]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _settle(st: os.stat_result) -> None:
    """Wait until a just-modified file's next change would show in its timestamps."""
    window = _RACY_COARSE_NS if st.st_mtime_ns % 1_000_000_000 == 0 else _RACY_NS
    age = time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns)
    if 0 <= age < window:
        time.sleep((window - age) / 1e9)
    elif age < 0:  # a timestamp in the future (clock skew): nothing to wait for
        pass


def _changed_error(shown: str) -> InvalidArgument:
    return InvalidArgument(
        f"{shown} changed while it was being logged, {ATTEMPTS} times in a row, so no "
        "consistent copy of it could be stored (nothing was logged for it); log it once "
        "whatever writes it has finished, or log a copy of it"
    )


def put_file_stable(blobs: BlobStore, path: str, shown: str) -> tuple[str, int]:
    """Store the regular file at ``path``; returns (digest, size) of bytes it held
    unchanged from before it was read until after it was stored."""
    for attempt in range(ATTEMPTS):
        before = check_regular(path, shown)
        _settle(before)
        try:
            digest, size = blobs.put_file(path)
        except SourceChanged:
            pass
        else:
            after = os.stat(path)
            if _signature(after) == _signature(before) and size == after.st_size:
                return digest, size
        if attempt + 1 < ATTEMPTS:
            time.sleep(_RETRY_PAUSE * (attempt + 1))
    raise _changed_error(shown)


def put_files_stable(
    blobs: BlobStore,
    paths: list[str],
    shown: Callable[[str], str],
    progress: Callable[[int], object] | None = None,
) -> list[tuple[str, int]]:
    """Store many regular files at once (the backend batches them); any that changed
    meanwhile is stored again on its own, as :func:`put_file_stable` does."""
    befores = [check_regular(p, shown(p)) for p in paths]
    for st in befores:
        _settle(st)
    try:
        stored = blobs.put_files(paths, progress)
    except SourceChanged:
        stored = [(None, -1)] * len(paths)  # type: ignore[list-item]
    out: list[tuple[str, int]] = []
    for p, before, (digest, size) in zip(paths, befores, stored, strict=True):
        if digest is not None:
            after = os.stat(p)
            if _signature(after) == _signature(before) and size == after.st_size:
                out.append((digest, size))
                continue
        out.append(put_file_stable(blobs, p, shown(p)))
    return out


_DOWNLOAD_PROBLEMS: dict[int, str] = {
    errno.EROFS: "{where!r} is on a read-only file system; give a dst_path on a writable disk",
    errno.EACCES: "permission denied writing {where!r}; give a dst_path you can write to, or "
    "fix its permissions",
    errno.EEXIST: "{where!r} is a file where the download needs a folder; move it away or "
    "download elsewhere",
    errno.EISDIR: "{target!r} is a folder where the download needs a file; move it away or "
    "download elsewhere",
    errno.ENAMETOOLONG: "{where!r} is longer than this file system accepts; download into a "
    "folder with a shorter path",
    errno.ENOSPC: "the disk holding it is full; free some space and download again (files "
    "already downloaded are kept and not fetched twice)",
}
_DOWNLOAD_PROBLEMS[errno.EPERM] = _DOWNLOAD_PROBLEMS[errno.EACCES]
_DOWNLOAD_PROBLEMS[errno.ENOTDIR] = _DOWNLOAD_PROBLEMS[errno.EEXIST]
_DOWNLOAD_PROBLEMS[errno.EDQUOT] = _DOWNLOAD_PROBLEMS[errno.ENOSPC]


def download_error(e: OSError, dst: Path) -> ArchivistError:
    """A clear error for a download into ``dst`` that the local file system refused."""
    where = str(e.filename or dst)
    problem = _DOWNLOAD_PROBLEMS.get(e.errno or 0)
    if problem is None:
        return ArchivistError(f"cannot download into '{dst}': {e}")
    message = f"cannot download into '{dst}': " + problem.format(
        where=where, target=str(e.filename2 or where)
    )
    full = e.errno in (errno.ENOSPC, errno.EDQUOT)
    return ArchivistError(message) if full else InvalidArgument(message)
