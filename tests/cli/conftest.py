"""These tests reach into blob files directly, so every blob is stored as a file here
(the small-blob pack has its own tests in tests/stores/blobs)."""

from __future__ import annotations

import pytest
from cli_support import Store

import archivist


@pytest.fixture(autouse=True)
def _every_blob_a_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCHIVIST_PACK_MAX_BYTES", "0")


@pytest.fixture
def store(tracking_uri: str, monkeypatch: pytest.MonkeyPatch) -> Store:
    """A store (SQLite and PostgreSQL) with experiment 'baseline' and two finished runs.

    first: param lr=0.1, metric acc=0.91, tag team=vision, artifacts config.json (12 bytes)
    and notes/hello.txt ("hello"); second: metric acc=0.5 and second.txt (14 bytes).
    """
    monkeypatch.setenv("ARCHIVIST_TRACKING_URI", tracking_uri)
    archivist.set_tracking_uri(tracking_uri)
    exp = archivist.set_experiment("baseline")
    with archivist.start_run(run_name="first") as first:
        archivist.log_param("lr", 0.1)
        archivist.log_metric("acc", 0.91)
        archivist.set_tag("team", "vision")
        archivist.log_dict({"a": 1}, "config.json")
        archivist.log_text("hello", "notes/hello.txt")
    with archivist.start_run(run_name="second") as second:
        archivist.log_metric("acc", 0.5)
        archivist.log_text("second content", "second.txt")
    return Store(tracking_uri, exp.experiment_id, first.info.run_id, second.info.run_id)
