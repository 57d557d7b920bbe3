"""``synchronous=False`` logging, as MLflow does it: the call returns at once.

Operations run in order on one background thread per process. Each call returns a
:class:`RunOperations`; its ``wait()`` raises the operation's error (re-logging a param
with another value, a deleted run, ...). ``flush()`` waits for everything queued and
raises the first error that no ``wait()`` has reported. Ending a run waits for what was
queued before it, so no point is lost.
"""

from __future__ import annotations

import atexit
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

__all__ = ["RunOperations", "drain", "flush", "submit"]



class RunOperations:
    """Pending asynchronous logging operations (MLflow's ``RunOperations``)."""

    def __init__(self, operation_futures: list[Future[Any]] | None = None) -> None:
        self._futures = list(operation_futures or [])

    def wait(self) -> None:
        """Block until the operations finish; raise the first one's error, if any."""
        for f in self._futures:
            _reported.add(f)
        for f in self._futures:
            f.result()


_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
_pending: list[Future[Any]] = []  # not yet known to have succeeded or been reported
_reported: weakref.WeakSet[Future[Any]] = weakref.WeakSet()


def submit(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> RunOperations:
    """Queue ``fn(*args, **kwargs)`` behind the operations queued before it."""
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="archivist-async")
            atexit.register(_at_exit)
        future = _executor.submit(fn, *args, **kwargs)
        _pending.append(future)
    return RunOperations([future])


def drain() -> list[BaseException]:
    """Wait for every queued operation; returns the errors no ``wait()`` has reported,
    which stay owed to :func:`flush`."""
    with _lock:
        futures = list(_pending)
    wait(futures)
    with _lock:
        _pending[:] = [
            f for f in _pending
            if not f.done() or (f.exception() is not None and f not in _reported)
        ]
        return [e for f in _pending if f.done() and (e := f.exception()) is not None]


def flush() -> None:
    """Wait for every queued operation; raise the first error not reported by ``wait()``."""
    errors = drain()
    with _lock:
        _pending[:] = [f for f in _pending if not f.done()]
    if errors:
        raise errors[0]


def _at_exit() -> None:
    errors = drain()
    if errors:
        from archivist._warnings import warn

        warn(
            f"{len(errors)} asynchronous logging call(s) failed and were never awaited; the "
            f"first: {type(errors[0]).__name__}: {errors[0]}. Call .wait() on what "
            "synchronous=False returns, or flush_async_logging(), to see such errors"
        )
