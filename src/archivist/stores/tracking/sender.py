"""Background batching of metrics and tags for a remote store (MLflow's async logging).

``queue(run_id, metrics, tags)`` returns at once; a daemon thread merges what is queued
into ``log_batch`` calls (up to 1,000 metrics and 100 tags each, in logging order per run)
and sends them. It sends when ``_MAX_WAIT`` seconds passed since the first queued item or
when ``_FLUSH_AT`` items are waiting; :meth:`BatchSender.flush` (called by every other
store operation, by ``end_run`` and at process exit) waits until everything is sent.

An error in the background is never dropped: it is raised by the next call to the store
(``queue``, ``flush``, or any other operation), and printed to stderr at exit if nothing
raised it by then.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
import weakref
from collections.abc import Callable, Sequence

from archivist.entities import Metric, Param, RunTag
from archivist.errors import ArchivistError

__all__ = ["BatchSender"]

_MAX_WAIT = 0.2
_FLUSH_AT = 1000
_MAX_QUEUED = 100_000  # queue() blocks beyond this: memory stays bounded
_METRICS_PER_CALL = 1000
_TAGS_PER_CALL = 100

Send = Callable[[str, Sequence[Metric], Sequence[Param], Sequence[RunTag]], None]
_LIVE: weakref.WeakSet[BatchSender] = weakref.WeakSet()


class BatchSender:
    """Queues ``(run_id, metrics, tags)`` and sends them through ``send`` in batches."""

    def __init__(self, send: Send, where: str) -> None:
        self._send = send
        self._where = where
        self._cond = threading.Condition()
        self._items: list[tuple[str, list[Metric], list[RunTag]]] = []
        self._count = 0
        self._in_flight = 0
        self._urgent = False  # a flush is waiting: send without waiting for more
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        _LIVE.add(self)
        _register_exit_flush()

    def _ensure_thread(self) -> None:
        if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
            if self._pid != os.getpid():  # forked: the parent's queue is not ours to send
                self._items, self._count, self._in_flight = [], 0, 0
                self._error, self._pid = None, os.getpid()
            self._thread = threading.Thread(
                target=self._loop, name="archivist-batch-sender", daemon=True
            )
            self._thread.start()

    def queue(self, run_id: str, metrics: Sequence[Metric], tags: Sequence[RunTag]) -> None:
        """Queue points and tags of ``run_id``; raises an earlier background error first."""
        with self._cond:
            self._raise_pending()
            self._ensure_thread()
            while self._count >= _MAX_QUEUED and self._error is None:
                self._cond.wait()
            self._items.append((run_id, list(metrics), list(tags)))
            self._count += len(metrics) + len(tags)
            if self._count >= _FLUSH_AT:
                self._cond.notify_all()

    def flush(self) -> None:
        """Wait until everything queued is sent; raise the first background error, if any."""
        with self._cond:
            if self._items:
                self._ensure_thread()
                self._urgent = True
                self._cond.notify_all()
            while (self._items or self._in_flight) and self._error is None:
                self._cond.wait()
            self._raise_pending()

    def _raise_pending(self) -> None:
        error, self._error = self._error, None
        if error is not None:
            self._items, self._count = [], 0  # what followed the failure is dropped *and said so*
            if isinstance(error, ArchivistError):
                raise type(error)(
                    f"logging in the background to {self._where} failed: {error.message} "
                    "(metrics and tags queued after the failure were not sent)"
                ) from error
            raise error

    def _loop(self) -> None:
        import time

        while True:
            with self._cond:
                while not self._items:
                    self._cond.wait()
                first = time.monotonic()
                while self._count < _FLUSH_AT and not self._urgent:
                    left = _MAX_WAIT - (time.monotonic() - first)
                    if left <= 0 or not self._cond.wait(left):
                        break
                items, self._items = self._items, []
                self._in_flight, self._count = self._count, 0
                self._urgent = False
            try:
                for run_id, metrics, tags in _merge(items):
                    self._send(run_id, metrics, (), tags)
            except BaseException as e:
                with self._cond:
                    self._error = e
                    self._in_flight = 0
                    self._cond.notify_all()
                continue
            with self._cond:
                self._in_flight = 0
                self._cond.notify_all()

    def report_at_exit(self) -> None:
        if self._pid != os.getpid():
            return
        try:
            self.flush()
        except BaseException as e:
            print(f"archivist: {e}", file=sys.stderr)


def _merge(
    items: list[tuple[str, list[Metric], list[RunTag]]],
) -> list[tuple[str, list[Metric], list[RunTag]]]:
    """Items grouped by run (logging order kept within a run), cut to the per-call limits."""
    by_run: dict[str, tuple[list[Metric], list[RunTag]]] = {}
    for run_id, metrics, tags in items:
        got = by_run.setdefault(run_id, ([], []))
        got[0].extend(metrics)
        got[1].extend(tags)
    out: list[tuple[str, list[Metric], list[RunTag]]] = []
    for run_id, (metrics, tags) in by_run.items():
        for i in range(0, len(metrics), _METRICS_PER_CALL):
            out.append((run_id, metrics[i : i + _METRICS_PER_CALL], []))
        for i in range(0, len(tags), _TAGS_PER_CALL):
            out.append((run_id, [], tags[i : i + _TAGS_PER_CALL]))
    return out


_exit_registered = False


def _register_exit_flush() -> None:
    global _exit_registered
    if not _exit_registered:
        atexit.register(_flush_all_at_exit)
        _exit_registered = True


def _flush_all_at_exit() -> None:
    for sender in list(_LIVE):
        sender.report_at_exit()
