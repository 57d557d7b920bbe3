"""These tests reach into blob files directly, so every blob is stored as a file here
(the small-blob pack has its own tests in tests/stores/blobs)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

import archivist
from archivist.client import ArchivistClient


@pytest.fixture(autouse=True)
def _every_blob_a_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCHIVIST_PACK_MAX_BYTES", "0")


@pytest.fixture(autouse=True)
def _own_temp_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """gc cleans archivist-save-* folders in the temp dir: give it one of its own, so no
    test touches another process's folders."""
    systmp = tmp_path / "systmp"
    systmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(systmp))
    monkeypatch.setenv("TMPDIR", str(systmp))
    return systmp


@pytest.fixture
def client(tracking_uri: str) -> ArchivistClient:
    """A client on a fresh store (SQLite and PostgreSQL), also used by the fluent API."""
    archivist.set_tracking_uri(tracking_uri)
    return ArchivistClient(tracking_uri)
