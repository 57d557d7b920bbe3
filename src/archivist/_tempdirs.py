"""Temporary files and folders that a crashed process leaves behind, told from live ones.

The process using one holds an ``flock`` on it; the kernel drops the lock when the process
ends, however it ends. A cleaner (``archivist gc``) removes only what it can lock itself,
so a live writer never loses its temp file or folder, whatever the age limit.
``locked_tempdir`` is the folder a flavor's ``log_model`` saves into; the blob store's temp
files use :func:`create_locked` and :func:`lock_abandoned` the same way.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator

__all__ = [
    "SAVE_PREFIX",
    "create_locked",
    "live_owner_ids",
    "lock_abandoned",
    "locked_tempdir",
    "remove_stale",
]

#: prefix of the folder a flavor's log_model saves into: archivist-save-<model id>-<random>
SAVE_PREFIX = "archivist-save-"


def _try_lock(fd: int, *, blocking: bool) -> bool:
    try:
        import fcntl
    except ImportError:  # no flock: such leftovers are only ever told apart by age
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _same(path: str, fd: int) -> bool:
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


def create_locked(create: Callable[[], str]) -> tuple[str, int]:
    """Make a new file or folder with ``create`` and lock it: ``(path, fd)``; close ``fd``
    only after removing ``path``. Made again if a cleaner took it before the lock."""
    while True:
        path = create()
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:  # a cleaner took it before we could even open it
            continue
        _try_lock(fd, blocking=True)
        if _same(path, fd):
            return path, fd
        os.close(fd)


def lock_abandoned(path: str) -> int | None:
    """Lock ``path`` if no live process holds it: the fd (close it after removing ``path``),
    or None when it is in use or gone."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    if _try_lock(fd, blocking=False) and _same(path, fd):
        return fd
    os.close(fd)
    return None


@contextlib.contextmanager
def locked_tempdir(prefix: str) -> Iterator[str]:
    """A new folder under the system temp dir, locked while in use, removed after."""
    path, fd = create_locked(lambda: tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        os.close(fd)


def _stale(prefix: str, older_than: float) -> Iterator[tuple[str, int]]:
    """(path, fd with the lock taken) of each unheld folder older than ``older_than``."""
    now = time.time()
    with os.scandir(tempfile.gettempdir()) as it:
        entries = [e for e in it if e.name.startswith(prefix)]
    for entry in entries:
        try:
            if not entry.is_dir(follow_symlinks=False) or now - entry.stat().st_mtime < older_than:
                continue
        except FileNotFoundError:
            continue
        fd = lock_abandoned(entry.path)
        if fd is not None:
            try:
                yield entry.path, fd
            finally:
                os.close(fd)


def remove_stale(prefix: str, older_than: float, *, dry_run: bool = False) -> list[str]:
    """Remove folders ``prefix*`` in the temp dir whose process is gone; returns their paths."""
    removed = []
    for path, _fd in _stale(prefix, older_than):
        if not dry_run:
            shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def live_owner_ids(prefix: str) -> set[str]:
    """Ids named by folders ``<prefix><id>-<random>`` that a live process holds."""
    stale = {p for p, _ in _stale(prefix, 0.0)}
    with os.scandir(tempfile.gettempdir()) as it:
        held = [e.path for e in it if e.name.startswith(prefix) and e.path not in stale]
    return {os.path.basename(p)[len(prefix) :].rpartition("-")[0] for p in held}
