"""``archivist push`` / ``archivist pull`` between two local stores (a server: test_remote_client)."""

from __future__ import annotations

import json
from pathlib import Path

from cli_support import assert_one_line_error, run_cli

from archivist.client import ArchivistClient


def _offline_store(tmp_path: Path) -> tuple[str, str]:
    uri = f"sqlite:///{tmp_path / 'offline' / 'archivist.db'}"
    client = ArchivistClient(uri)
    exp = client.create_experiment("offline")
    run_id = client.create_run(exp, run_name="r").info.run_id
    client.log_param(run_id, "p", 1)
    for i in range(5):
        client.log_metric(run_id, "m", i, step=i)
    client.log_text(run_id, "hello", "notes.txt")
    return uri, run_id


def test_push_then_push_again_then_pull(tmp_path: Path) -> None:
    src, run_id = _offline_store(tmp_path)
    dst = f"sqlite:///{tmp_path / 'team' / 'archivist.db'}"
    first = run_cli("push", "--experiment", "offline", "--to", dst, "--tracking-uri", src)
    assert first.exit_code == 0, first.output
    assert "1 run(s) created" in first.stdout and "5 metric points" in first.stdout
    again = run_cli("push", "--experiment", "offline", "--to", dst, "--tracking-uri", src, "--json")
    assert again.exit_code == 0
    report = json.loads(again.stdout)
    assert report["runs_seen"] == 1 and report["metrics_sent"] == report["blobs_sent"] == 0
    back = f"sqlite:///{tmp_path / 'back' / 'archivist.db'}"
    pulled = run_cli("pull", "--run", run_id, "--from", dst, "--tracking-uri", back)
    assert pulled.exit_code == 0, pulled.output
    assert ArchivistClient(back).load_text(run_id, "notes.txt") == "hello"


def test_push_needs_one_selection_and_reports_conflicts(tmp_path: Path) -> None:
    src, run_id = _offline_store(tmp_path)
    dst = f"sqlite:///{tmp_path / 'team' / 'archivist.db'}"
    result = run_cli("push", "--to", dst, "--tracking-uri", src)
    assert_one_line_error(result, "exactly one")
    run_cli("push", "--run", run_id, "--to", dst, "--tracking-uri", src)
    ArchivistClient(dst).log_text(run_id, "changed on the team store", "notes.txt")
    ArchivistClient(src).log_text(run_id, "changed offline", "notes.txt")
    result = run_cli("push", "--run", run_id, "--to", dst, "--tracking-uri", src)
    assert_one_line_error(result, "notes.txt", "other content")
