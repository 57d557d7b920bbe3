"""gc cleans what killed log_model calls leave: save folders and PENDING logged models."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from archivist._tempdirs import SAVE_PREFIX, locked_tempdir
from archivist.cli import archivist as cli
from archivist.client import ArchivistClient
from archivist.errors import InvalidState
from archivist.maintenance import gc

KILLED_SAVE = (
    "import os, sys; from archivist._tempdirs import locked_tempdir\n"
    "cm = locked_tempdir(sys.argv[1]); path = cm.__enter__()\n"
    "open(os.path.join(path, 'model.pkl'), 'wb').write(b'half a model')\n"
    "print(path, flush=True); os._exit(9)\n"
)


def killed_save_dir(prefix: str) -> Path:
    """The folder a log_model call killed mid-save leaves behind."""
    out = subprocess.run([sys.executable, "-c", KILLED_SAVE, prefix], capture_output=True, text=True, check=False)
    assert out.returncode == 9, out.stderr
    path = Path(out.stdout.strip())
    assert path.parent == Path(tempfile.gettempdir()) and path.is_dir()
    return path


def test_gc_removes_save_folders_of_killed_calls_only(client: ArchivistClient) -> None:
    dead = killed_save_dir(f"{SAVE_PREFIX}m-dead-")
    with locked_tempdir(f"{SAVE_PREFIX}m-live-") as live:
        report = gc(client.tracking_store, client.artifact_store.blobs, 0)
        assert report.save_dirs_removed == 1
        assert not dead.exists() and os.path.isdir(live)
    assert not os.path.exists(live)


def test_gc_keeps_save_folders_within_the_grace(client: ArchivistClient) -> None:
    dead = killed_save_dir(f"{SAVE_PREFIX}m-dead-")
    dry = gc(client.tracking_store, client.artifact_store.blobs, 0, dry_run=True)
    assert dry.save_dirs_removed == 1 and dead.exists()
    assert gc(client.tracking_store, client.artifact_store.blobs, 3600).save_dirs_removed == 0
    assert dead.exists()


def pending_model(client: ArchivistClient, tmp_path: Path, content: bytes) -> tuple[str, str]:
    """A logged model whose log_model was killed after its files were stored."""
    run_id = client.create_run("0").info.run_id
    model = client.tracking_store.create_logged_model("0", "clf", run_id)
    weights = tmp_path / f"{model.model_id}.pkl"
    weights.write_bytes(content)
    entry = client.artifact_store.log_file(model.model_id, weights)
    return model.model_id, entry.digest


def test_gc_fails_models_left_pending_and_reclaims_their_blobs(client: ArchivistClient, tmp_path: Path) -> None:
    blobs = client.artifact_store.blobs
    stuck, stuck_digest = pending_model(client, tmp_path, os.urandom(5000))
    saving, saving_digest = pending_model(client, tmp_path, os.urandom(5000))

    # the default pending grace (an hour at least) keeps both, even with grace 0
    assert gc(client.tracking_store, blobs, 0).pending_models_failed == ()
    assert client.tracking_store.get_logged_model(stuck).status == "PENDING"

    with locked_tempdir(f"{SAVE_PREFIX}{saving}-"):  # still being saved by a live process
        report = gc(client.tracking_store, blobs, 0, pending_grace_seconds=0)
        assert report.pending_models_failed == (stuck,)
        assert report.deleted == 1 and not blobs.has(stuck_digest)
        assert client.tracking_store.get_logged_model(stuck).status == "FAILED"
        assert client.artifact_store.entries(stuck) == []
        assert client.tracking_store.get_logged_model(saving).status == "PENDING"
        assert blobs.has(saving_digest)
        # the killed call cannot come back and call it READY without its artifacts
        with pytest.raises(InvalidState, match=f"logged model '{stuck}' is FAILED"):
            client.tracking_store.finalize_logged_model(stuck, "READY")
        assert client.tracking_store.finalize_logged_model(saving, "READY").status == "READY"


def test_gc_cli_reports_leftovers(client: ArchivistClient, tracking_uri: str, tmp_path: Path) -> None:
    stuck, _ = pending_model(client, tmp_path, b"weights")
    killed_save_dir(f"{SAVE_PREFIX}{stuck}-")
    result = CliRunner().invoke(
        cli,
        ["gc", "--tracking-uri", tracking_uri, "--grace-seconds", "0", "--pending-grace-seconds", "0"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "removed 1 archivist-save-* folder(s) of killed log_model calls" in result.stdout
    assert f"marked FAILED 1 logged model(s) left PENDING: {stuck}" in result.stdout
