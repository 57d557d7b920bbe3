"""Helpers for the maintenance tests (imported by name: tests have no packages)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from archivist.stores.blobs.local import LocalBlobStore


def blob_file(blob_store: LocalBlobStore, digest: str) -> Path:
    """The file holding a blob, from the documented layout objects/<algo>/ab/cd/<hex>[.zst]."""
    algorithm, hexpart = digest.split(":")
    folder = blob_store.root / "objects" / algorithm / hexpart[:2] / hexpart[2:4]
    (found,) = [p for p in (folder / hexpart, folder / f"{hexpart}.zst") if p.exists()]
    return found


def age(blob_store: LocalBlobStore, digest: str, seconds: float) -> None:
    """Make a blob look written ``seconds`` ago."""
    past = time.time() - seconds
    os.utime(blob_file(blob_store, digest), (past, past))
