"""Environment capture on start_run: tags, the environment artifact, git state, no secrets."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

import archivist
from archivist import capture


@pytest.fixture(autouse=True)
def _fresh_capture(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARCHIVIST_CAPTURE_ENVIRONMENT")  # the default: on
    capture._FOR_RUN.clear()
    capture._GIT.clear()


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@x"})


def test_run_records_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_TOKEN_FOR_TEST", "hunter2-very-secret")
    with archivist.start_run() as run:
        pass
    client = archivist.ArchivistClient()
    tags = client.get_run(run.info.run_id).data.tags
    assert tags["archivist.env.python"] == f"{platform.python_version()} ({platform.python_implementation()})"
    assert tags["archivist.env.os"].startswith(f"{platform.system()} {platform.release()}")
    assert f", {os.cpu_count()} cores, " in tags["archivist.env.hardware"]
    assert tags["archivist.env.hardware"].endswith("GiB")
    raw = client.read_artifact(run.info.run_id, capture.ENV_ARTIFACT)
    doc = json.loads(raw)
    import importlib.metadata as md

    assert doc["distributions"]["pytest"] == md.version("pytest")
    assert doc["distributions"]["scikit-learn"] == md.version("scikit-learn")
    assert len(doc["distributions"]) > 20
    assert doc["python"]["version"] == platform.python_version()
    assert doc["cpu"]["cores"] == os.cpu_count() and doc["memory_bytes"] > 0
    assert doc["gpus"] == [] or all("name" in g for g in doc["gpus"])
    from archivist.stores.blobs.hashing import hash_bytes

    assert tags["archivist.env.digest"] == hash_bytes(raw)
    assert b"hunter2" not in raw and not any("hunter2" in v for v in tags.values())
    assert len(raw) < 64 << 10  # compact
    # a second run shares the same bytes (stored once)
    with archivist.start_run() as run2:
        pass
    assert client.get_run(run2.info.run_id).data.tags["archivist.env.digest"] == tags["archivist.env.digest"]


def test_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCHIVIST_CAPTURE_ENVIRONMENT", "0")
    with archivist.start_run() as run:
        pass
    client = archivist.ArchivistClient()
    assert client.list_artifacts(run.info.run_id) == []
    assert not any(k.startswith("archivist.env.") for k in client.get_run(run.info.run_id).data.tags)


def test_git_state_dirty_diff_capped_remote_without_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "feature-x")
    _git(repo, "remote", "add", "origin", "https://alice:ghp_SECRET@github.com/acme/proj.git")
    (repo / "train.py").write_text("print(1)\n")
    _git(repo, "add", "train.py")
    _git(repo, "commit", "-q", "-m", "one")
    script = repo / "train.py"
    monkeypatch.setattr(sys, "argv", [str(script)])
    monkeypatch.setenv("ARCHIVIST_TRACKING_URI", str(tmp_path / "store"))
    with archivist.start_run() as clean:
        pass
    capture._FOR_RUN.clear()
    capture._GIT.clear()
    script.write_text("print(2)\n" + "x = 1\n" * 5000)
    monkeypatch.setenv("ARCHIVIST_GIT_DIFF_MAX_BYTES", "1000")
    with archivist.start_run() as dirty:
        pass
    client = archivist.ArchivistClient()
    t_clean = client.get_run(clean.info.run_id).data.tags
    t_dirty = client.get_run(dirty.info.run_id).data.tags
    head = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()
    assert t_clean["mlflow.source.git.commit"] == head
    assert t_clean["mlflow.source.git.branch"] == "feature-x"
    assert t_clean["archivist.git.remote"] == "https://github.com/acme/proj.git"
    assert t_clean["archivist.git.dirty"] == "false" and t_dirty["archivist.git.dirty"] == "true"
    names = {f.path for f in client.list_artifacts(dirty.info.run_id, "environment")}
    assert names == {capture.ENV_ARTIFACT, capture.DIFF_ARTIFACT}
    assert capture.DIFF_ARTIFACT not in {f.path for f in client.list_artifacts(clean.info.run_id, "environment")}
    diff = client.read_artifact(dirty.info.run_id, capture.DIFF_ARTIFACT)
    assert len(diff) == 1000 and diff.startswith(b"diff --git a/train.py")
    doc = json.loads(client.read_artifact(dirty.info.run_id, capture.ENV_ARTIFACT))
    assert doc["git"]["diff_truncated"] is True and doc["git"]["commit"] == head
    assert b"ghp_SECRET" not in client.read_artifact(dirty.info.run_id, capture.ENV_ARTIFACT)


def test_distributions_without_subprocess(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*a: object, **k: object) -> None:
        raise AssertionError("a subprocess was started")

    monkeypatch.setattr(subprocess, "Popen", refuse)
    found = capture.installed_distributions()
    import importlib.metadata as md

    assert found["click"] == md.version("click")
    assert capture.system_info()["python"]["implementation"] == platform.python_implementation()


def test_git_worktree_root_and_tags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    (repo / "a.py").write_text("1\n")
    _git(repo, "add", "a.py")
    _git(repo, "commit", "-q", "-m", "one")
    _git(repo, "worktree", "add", "-q", "-b", "side", str(tmp_path / "wt"))
    from archivist._source import git_commit

    found = git_commit(tmp_path / "wt")
    assert found is not None and found[1] == str(tmp_path / "wt")  # not .git/worktrees
    state = capture.git_state(tmp_path / "wt", 1000)
    assert state is not None and state["branch"] == "side" and state["dirty"] is False
