"""Where a run comes from: user, script and git commit, read without subprocesses."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path

__all__ = ["current_user", "git_commit", "source_tags"]


def current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _git_dir(start: Path) -> Path | None:
    for d in (start, *start.parents):
        candidate = d / ".git"
        if candidate.is_dir():
            return candidate
        if candidate.is_file():  # worktree: "gitdir: <path>"
            text = candidate.read_text().strip()
            if text.startswith("gitdir:"):
                return (d / text.split(":", 1)[1].strip()).resolve()
    return None


def work_tree(start: Path) -> Path | None:
    """The checkout's top folder (the one holding ``.git``, a folder or a worktree's file)."""
    for d in (start, *start.parents):
        if (d / ".git").exists():
            return d
    return None


def git_commit(path: Path) -> tuple[str, str] | None:
    """(commit sha, repository root) of the checkout holding ``path``, or None."""
    git = _git_dir(path)
    top = work_tree(path)
    if git is None or top is None:
        return None
    root = str(top)
    try:
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref:"):
            return head, root
        ref = head.split(":", 1)[1].strip()
        common = git
        commondir = git / "commondir"
        if commondir.exists():
            common = (git / commondir.read_text().strip()).resolve()
        for base in (git, common):
            ref_file = base / ref
            if ref_file.exists():
                return ref_file.read_text().strip(), root
        packed = common / "packed-refs"
        if packed.exists():
            for line in packed.read_text().splitlines():
                sha, _, name = line.partition(" ")
                if name == ref:
                    return sha, root
    except OSError:
        return None
    return None


def source_tags() -> dict[str, str]:
    """MLflow's source tags: mlflow.source.name/type, mlflow.user, git commit when in a repo.

    Computed once per process and working directory (the script and its commit do not
    change under a running process), so starting many runs costs no repeated file reads.
    """
    key = (tuple(sys.argv[:1]), os.getcwd())
    cached = _CACHE.get(key)
    if cached is None:
        cached = _CACHE[key] = _source_tags()
    return dict(cached)


_CACHE: dict[tuple[tuple[str, ...], str], dict[str, str]] = {}


def _source_tags() -> dict[str, str]:
    argv0 = sys.argv[0] if sys.argv and sys.argv[0] else ""
    tags = {"mlflow.user": current_user(), "mlflow.source.type": "LOCAL"}
    if argv0 and argv0 not in ("-c", "-m"):
        script = Path(argv0).absolute()
        tags["mlflow.source.name"] = str(script)
        found = git_commit(script.parent)
    else:
        tags["mlflow.source.name"] = "<interactive>"
        found = git_commit(Path(os.getcwd()))
    if found:
        tags["mlflow.source.git.commit"] = found[0]
        tags["mlflow.source.git.repoURL"] = found[1]
    return tags
