"""Writers to one SQLite database wait in the kernel, not in SQLite's sleep loop.

SQLite lets one writer in at a time; the others wait in its busy handler, which sleeps
between attempts (growing to 100 ms per sleep) and grants the lock to whoever happens to
try at the right moment. Under many concurrent writers most writes take well under a
millisecond, yet an unlucky one keeps sleeping through the moments the lock is free and
can wait for seconds (issue 7 measured 7 s with 16 processes). Here each write
transaction first takes an exclusive ``flock`` on a lock file beside the database
(``<db>-writers.lock``): a waiter sleeps in the kernel and is woken the moment the lock
is released, so no free moment is slept through.

The kernel wakes every waiter and the quickest wins, and the quickest is usually the
process that just released the lock and comes straight back for its next write. So a
process that had to wait for its last turn (others were queued) and writes again within
2 ms first yields the CPU (``sched_yield``), giving the woken waiters their turn; a writer
alone never yields. Measured with ``bench/contention.py`` (16 processes in a tight loop
on 2 cores, see bench/RESULTS.md): the slowest write went from 3-6 s to under 1.1 s with
the median unchanged (0.1 ms). Yielding before every write bounded the tail further but
raised the median to the writers' fair share (5-9 ms) and cost throughput; a strict
first-come, first-served queue (a ticket and a slot lock per writer) cost every write a
process hand-off and halved the throughput; plain ``flock`` without the yield still let
a write wait 2-3 s. None of those was kept.

The lock only orders archivist writers; SQLite's own locking still guarantees
correctness (a writer that does not take it, such as another program, simply is not
ordered). The kernel drops the lock of a process that dies. If the lock cannot be had
within the busy timeout, the write goes ahead and SQLite decides, as before. Without
``fcntl`` (Windows) nothing changes.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["WriterTurns"]

_POLITE_SECONDS = 0.002


class WriterTurns:
    """A process-wide, fork-safe turn for the writers of one SQLite file."""

    def __init__(self, db_path: str, timeout: float) -> None:
        self.path = f"{db_path}-writers.lock"
        self.timeout = timeout
        self._local = threading.RLock()  # threads of this process take turns here first
        self._depth = 0
        self._fd = -1
        self._pid = -1
        self._released = 0.0
        self._contended = False

    def _descriptor(self) -> int:
        pid = os.getpid()
        if self._pid != pid:
            # After fork the inherited descriptor shares its lock with the parent: it
            # would let both in at once. Open one of our own (closing the inherited copy
            # leaves the parent's lock alone).
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            self._pid = pid
        return self._fd

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Hold the write turn for the block (re-entrant within a thread)."""
        if fcntl is None:
            yield
            return
        with self._local:
            self._depth += 1
            held = False
            try:
                if self._depth == 1:
                    if self._contended and time.monotonic() - self._released < _POLITE_SECONDS:
                        # This process wrote just now and others were waiting: let them
                        # run first rather than take the lock again at once.
                        os.sched_yield()
                    try:
                        held, self._contended = _acquire(self._descriptor(), self.timeout)
                    except OSError:  # no lock file (a full disk...): SQLite alone decides
                        held = False
                yield
            finally:
                self._depth -= 1
                if held:
                    fcntl.flock(self._fd, fcntl.LOCK_UN)
                    self._released = time.monotonic()

    def close(self) -> None:
        if self._fd >= 0 and self._pid == os.getpid():
            os.close(self._fd)
        self._fd, self._pid = -1, -1


def _acquire(fd: int, timeout: float) -> tuple[bool, bool]:
    """Take the lock; when another process holds it, block in the kernel (in a helper
    thread, so that the wait can end after ``timeout`` seconds). Returns whether it is
    held, and whether another process held it first (others are likely queued too)."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True, False
    except BlockingIOError:
        pass
    got = threading.Event()
    guard = threading.Lock()
    abandoned = False
    own = os.dup(fd)  # the same lock, on a descriptor that close() cannot pull away

    def wait() -> None:
        try:
            fcntl.flock(own, fcntl.LOCK_EX)
            with guard:
                if abandoned:
                    fcntl.flock(own, fcntl.LOCK_UN)
                else:
                    got.set()
        finally:
            os.close(own)

    threading.Thread(target=wait, name="archivist-write-turn", daemon=True).start()
    if got.wait(timeout):
        return True, True
    with guard:
        if got.is_set():
            return True, True
        abandoned = True
    return False, True
