"""What a run ran on: Python, OS, CPU, memory, GPUs, installed distributions and git state.

Recorded by ``start_run`` for every new run as tags (``archivist.env.*``, git branch and
dirtiness) and a compact artifact ``environment/environment.json`` (plus
``environment/git.diff`` when the tree is dirty, capped at ``ARCHIVIST_GIT_DIFF_MAX_BYTES``).
Turned off with ``ARCHIVIST_CAPTURE_ENVIRONMENT=0``.

Nothing secret is recorded: no environment variables, no command line, and credentials
are removed from git remote URLs. The machine and distribution facts are gathered once per
process (the code a process runs was loaded when it started); installed distributions are
listed from ``importlib.metadata`` folder names, without reading every METADATA file and
without a subprocess. Only git's dirtiness and diff need ``git`` itself.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

__all__ = ["DIFF_ARTIFACT", "ENV_ARTIFACT", "collect", "environment_tags", "for_new_run",
           "git_state", "installed_distributions", "system_info"]

ENV_ARTIFACT = "environment/environment.json"
DIFF_ARTIFACT = "environment/git.diff"
TAG_PREFIX = "archivist.env."
_LOCK = threading.Lock()
_SYSTEM: dict[str, Any] | None = None
_GIT: dict[str, dict[str, Any] | None] = {}


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def _os_release() -> str | None:
    for line in _read("/etc/os-release").splitlines():
        if line.startswith("PRETTY_NAME="):
            return line.split("=", 1)[1].strip().strip('"')
    return None


def _cpu_model() -> str:
    for line in _read("/proc/cpuinfo").splitlines():
        if line.startswith(("model name", "Hardware", "cpu model")):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _memory_bytes() -> int | None:
    for line in _read("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return None


def _gpus() -> list[dict[str, Any]]:
    """NVIDIA GPUs via NVML (pynvml) or nvidia-smi; nothing (and no cost) when there is none."""
    if not (os.path.exists("/proc/driver/nvidia/version") or shutil.which("nvidia-smi")):
        return []
    try:
        import pynvml  # type: ignore[import-not-found]

        pynvml.nvmlInit()
        try:
            driver = pynvml.nvmlSystemGetDriverVersion()
            out = []
            for i in range(pynvml.nvmlDeviceGetCount()):
                h = pynvml.nvmlDeviceGetHandleByIndex(i)
                name = pynvml.nvmlDeviceGetName(h)
                out.append({
                    "name": name.decode() if isinstance(name, bytes) else str(name),
                    "memory_bytes": int(pynvml.nvmlDeviceGetMemoryInfo(h).total),
                    "driver": driver.decode() if isinstance(driver, bytes) else str(driver),
                })
            return out
        finally:
            pynvml.nvmlShutdown()
    except Exception:  # no NVML binding or no usable driver: try the CLI
        pass
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return []
    try:
        res = subprocess.run(
            [exe, "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader,nounits"],
            capture_output=True, text=True, timeout=10, check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    gpus = []
    for line in res.stdout.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) == 3:
            mem = int(float(parts[1]) * (1 << 20)) if parts[1].replace(".", "").isdigit() else None
            gpus.append({"name": parts[0], "memory_bytes": mem, "driver": parts[2]})
    return gpus


def installed_distributions() -> dict[str, str]:
    """``{name: version}`` of every installed distribution, from importlib.metadata.

    Names and versions are taken from the ``<name>-<version>.dist-info`` folder names
    (standardized by the wheel spec), reading METADATA only for other layouts (egg-info).
    """
    import importlib.metadata as md

    found: dict[str, str] = {}
    for dist in md.distributions():
        path = getattr(dist, "_path", None)
        stem = path.name[: -len(".dist-info")] if path is not None and path.name.endswith(".dist-info") else ""
        if stem.count("-") == 1:
            name, version = stem.split("-")
        else:
            name, version = dist.metadata["Name"] or "", dist.version or ""
        if name:
            found.setdefault(re.sub(r"[-_.]+", "-", name).lower(), version)
    return dict(sorted(found.items()))


def system_info() -> dict[str, Any]:
    """Python, OS, CPU, memory and GPUs of this machine (gathered once per process)."""
    global _SYSTEM
    with _LOCK:
        if _SYSTEM is None:
            uname = platform.uname()
            affinity = getattr(os, "sched_getaffinity", None)
            _SYSTEM = {
                "python": {
                    "version": platform.python_version(),
                    "implementation": platform.python_implementation(),
                    "compiler": platform.python_compiler(),
                },
                "os": {"system": uname.system, "release": uname.release, "version": uname.version,
                       "machine": uname.machine, "distribution": _os_release()},
                "cpu": {"model": _cpu_model(), "cores": os.cpu_count(),
                        "usable_cores": len(affinity(0)) if affinity else os.cpu_count()},
                "memory_bytes": _memory_bytes(),
                "gpus": _gpus(),
            }
        copied: dict[str, Any] = json.loads(json.dumps(_SYSTEM))
        return copied


def _clean_remote(url: str) -> str:
    """A remote URL without credentials (``https://user:token@host/x`` -> ``https://host/x``)."""
    return re.sub(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@]*@", r"\1", url)


def _git_remote(git_dir: Path) -> str | None:
    common = git_dir
    if (git_dir / "commondir").exists():
        common = (git_dir / _read(str(git_dir / "commondir")).strip()).resolve()
    section = None
    first = None
    for line in _read(str(common / "config")).splitlines():
        s = line.strip()
        m = re.match(r'^\[remote "(.+)"\]$', s)
        if m:
            section = m.group(1)
            continue
        if s.startswith("["):
            section = None
        elif section and s.startswith("url"):
            url = s.split("=", 1)[1].strip()
            if section == "origin":
                return _clean_remote(url)
            first = first or _clean_remote(url)
    return first


def git_state(path: Path, diff_max_bytes: int) -> dict[str, Any] | None:
    """Commit, branch, remote, dirtiness and (capped) diff of the checkout holding ``path``."""
    key = str(path)
    with _LOCK:
        if key in _GIT:
            cached = _GIT[key]
            return None if cached is None else dict(cached)
    from archivist._source import _git_dir, git_commit

    git_dir = _git_dir(path)
    found = git_commit(path)
    state: dict[str, Any] | None = None
    if git_dir is not None and found is not None:
        head = _read(str(git_dir / "HEAD")).strip()
        state = {
            "commit": found[0],
            "branch": head.split("refs/heads/", 1)[1] if "refs/heads/" in head else None,
            "remote": _git_remote(git_dir),
            "root": found[1],
            "dirty": None,
            "diff": None,
            "diff_truncated": False,
        }
        exe = shutil.which("git")
        if exe is not None:
            try:
                res = subprocess.run(
                    [exe, "-C", found[1], "diff", "HEAD", "--no-color", "--no-ext-diff"],
                    capture_output=True, timeout=20, check=False,
                    env={"PATH": os.environ.get("PATH", ""), "GIT_OPTIONAL_LOCKS": "0"},
                )
                if res.returncode == 0:
                    state["dirty"] = bool(res.stdout)
                    state["diff"] = res.stdout[:diff_max_bytes]
                    state["diff_truncated"] = len(res.stdout) > diff_max_bytes
            except (OSError, subprocess.TimeoutExpired):
                pass
    with _LOCK:
        _GIT[key] = state
    return None if state is None else dict(state)


def _run_dir() -> Path:
    argv0 = sys.argv[0] if sys.argv and sys.argv[0] else ""
    if argv0 and argv0 not in ("-c", "-m") and os.path.exists(argv0):
        return Path(argv0).absolute().parent
    return Path(os.getcwd())


def collect(*, diff_max_bytes: int = 1 << 20) -> tuple[dict[str, Any], bytes | None]:
    """The environment document and the git diff bytes (None when clean or not in git)."""
    doc: dict[str, Any] = {"format": 1, **system_info(), "distributions": installed_distributions()}
    git = git_state(_run_dir(), diff_max_bytes)
    diff = None
    if git is not None:
        diff = git.pop("diff") or None
        doc["git"] = git
    return doc, diff


_FOR_RUN: dict[str, tuple[dict[str, str], list[tuple[str, bytes]]]] = {}


def for_new_run(diff_max_bytes: int) -> tuple[dict[str, str], list[tuple[str, bytes]]]:
    """(tags, [(artifact path, bytes)]) to record on a new run, built once per process."""
    key = f"{_run_dir()}\0{diff_max_bytes}"
    cached = _FOR_RUN.get(key)
    if cached is None:
        from archivist.stores.blobs.hashing import hash_bytes

        doc, diff = collect(diff_max_bytes=diff_max_bytes)
        data = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
        files = [(ENV_ARTIFACT, data)]
        if diff:
            files.append((DIFF_ARTIFACT, diff))
        cached = _FOR_RUN[key] = (environment_tags(doc, hash_bytes(data)), files)
    return dict(cached[0]), list(cached[1])


_STORED: dict[tuple[int, str], float] = {}
_RESTORE_AFTER_S = 600.0


def record(artifacts: Any, run_id: str, files: list[tuple[str, bytes]]) -> None:
    """Log ``files`` to the run; bytes this process stored lately only get a tree entry.

    Every run of a process carries the same environment document, so its blob is written
    (and its pack row rewritten) once per ten minutes rather than once per run; a damaged
    blob is still caught when read, and gc keeps it while any run's tree names it.
    """
    import time

    from archivist.entities import TreeEntry
    from archivist.stores.blobs.hashing import hash_bytes

    log_many = getattr(artifacts, "log_many_bytes", None)
    if log_many is not None:  # a tracking server: one dedup query, one commit
        log_many(run_id, files)
        return
    entries = []
    now = time.monotonic()
    for path, data in files:
        digest = hash_bytes(data, artifacts.blobs.algorithm)
        key = (id(artifacts.blobs), digest)
        if now - _STORED.get(key, -1e18) > _RESTORE_AFTER_S:
            digest, _ = artifacts.blobs.put_bytes(data)
            _STORED[key] = now
        entries.append(TreeEntry(path, digest, len(data)))
    artifacts.tracking.put_tree_entries(run_id, entries)


def _gib(n: int | None) -> str:
    return "" if n is None else f"{n / (1 << 30):.1f} GiB"


def environment_tags(doc: dict[str, Any], digest: str) -> dict[str, str]:
    """Short, searchable tags summarizing ``doc`` (the full document is the artifact)."""
    py, osi, cpu = doc["python"], doc["os"], doc["cpu"]
    hardware = f"{cpu['model']}, {cpu['cores']} cores, {_gib(doc.get('memory_bytes'))}"
    tags = {
        f"{TAG_PREFIX}python": f"{py['version']} ({py['implementation']})",
        f"{TAG_PREFIX}os": " ".join(x for x in (osi["system"], osi["release"]) if x)
        + (f" ({osi['distribution']})" if osi.get("distribution") else ""),
        f"{TAG_PREFIX}hardware": hardware,
        f"{TAG_PREFIX}digest": digest,
    }
    if doc["gpus"]:
        g = doc["gpus"]
        tags[f"{TAG_PREFIX}gpus"] = (
            f"{len(g)} x {g[0]['name']} ({_gib(g[0].get('memory_bytes'))}), driver {g[0]['driver']}"
        )
    git = doc.get("git")
    if git:
        tags["mlflow.source.git.commit"] = git["commit"]
        if git["branch"]:
            tags["mlflow.source.git.branch"] = git["branch"]
        if git["remote"]:
            tags["archivist.git.remote"] = git["remote"]
        if git["dirty"] is not None:
            tags["archivist.git.dirty"] = str(git["dirty"]).lower()
    return {k: v for k, v in tags.items() if v}
