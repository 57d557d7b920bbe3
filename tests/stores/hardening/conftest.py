"""A real read-only file system for the hardening tests: a bind mount remounted read-only
(root alone ignores file permissions, so chmod would prove nothing)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def _run(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(args, capture_output=True, check=False)


@contextmanager
def _read_only(folder: Path) -> Iterator[Path]:
    """Make ``folder`` read-only for as long as the block runs (a bind mount onto itself,
    remounted ro). Skips the test only when this machine does not permit mounting."""
    bound = _run("mount", "--bind", str(folder), str(folder))
    if bound.returncode != 0:
        pytest.skip(f"cannot bind-mount here ({bound.stderr.decode().strip()}); read-only file "
                    "system behaviour is untested on this machine")
    try:
        ro = _run("mount", "-o", "remount,bind,ro", str(folder))
        if ro.returncode != 0:
            pytest.skip(f"cannot remount read-only here ({ro.stderr.decode().strip()})")
        yield folder
    finally:
        if _run("umount", str(folder)).returncode != 0:
            _run("umount", "-l", str(folder))


@pytest.fixture
def read_only() -> Callable[[Path], Iterator[Path]]:
    """``with read_only(folder): ...`` makes ``folder`` a read-only file system."""
    return _read_only  # type: ignore[return-value]
