"""Chunk-level dedup and the cost of chunking: 1 GiB file, then 1 MiB changed / inserted.

    python bench/chunking.py [--size-mib 1024] [--repeat 3]

Each measurement runs in a fresh child interpreter in a fresh empty folder (as run.py's
workloads do), repeats interleaved, medians reported. Measured:

- bytes added to the store by logging a 1 GiB random file into a run, then the same file
  with 1 MiB changed in the middle, then with 1 MiB inserted at the front (Archivist with
  chunking vs MLflow, which copies each file);
- seconds to log the first (new) file: Archivist fsync on and off vs MLflow's plain copy
  and vs ``cp`` + ``sync`` of the same file (the durable floor);
- seconds to download it back, and ``verify``'s GiB/s, with chunking vs the same store
  with ``ARCHIVIST_CHUNK_MIN_BYTES=0`` (every file whole, as before chunking).

The section between the ``bench/chunking.py`` markers in bench/RESULTS.md is replaced, or put before
bench/server_bench.py's section (run.py and server_bench.py keep it when they rewrite).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
TMP = ROOT / ".bench" / "tmp"
VENV_PY = ROOT / ".bench" / "mlflow-venv" / "bin" / "python"
MiB = 1 << 20
START, END = "<!-- bench/chunking.py begin -->", "<!-- bench/chunking.py end -->"

_USAGE = '''
def usage(root):
    total, seen = 0, set()
    for dirpath, _, files in os.walk(root):
        for n in files:
            st = os.lstat(os.path.join(dirpath, n))
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_blocks * 512
    return total
'''

ARCHIVIST_CHILD = _USAGE + '''
import json, os, sys, time
files = json.loads(sys.argv[1])
import archivist
from archivist.client import ArchivistClient
from archivist.maintenance import verify
client = ArchivistClient()
exp = client.create_experiment("bench")
out = {}
for name, path in files:
    run = client.create_run(exp)
    before = usage("archivist/blobs") if os.path.exists("archivist/blobs") else 0
    os.sync()
    t = time.perf_counter()
    client.log_artifact(run.info.run_id, path)
    out[name] = time.perf_counter() - t
    out[name + "_added"] = usage("archivist/blobs") - before
    if name == "first":
        first_run = run.info.run_id
os.sync()
os.mkdir("dst")
t = time.perf_counter()
client.download_artifacts(first_run, os.path.basename(files[0][1]), "dst")
out["read"] = time.perf_counter() - t
t = time.perf_counter()
report = verify(client.tracking_store, client.artifact_store.blobs)
out["verify"] = time.perf_counter() - t
out["verify_bytes"] = report.bytes_read
assert report.ok, report.problems()
print("RESULT " + json.dumps(out))
'''

MLFLOW_CHILD = _USAGE + '''
import json, os, sys, time
files = json.loads(sys.argv[1])
import mlflow
mlflow.set_experiment("bench")
out = {}
for name, path in files:
    before = usage("mlruns") if os.path.exists("mlruns") else 0
    os.sync()
    with mlflow.start_run():
        t = time.perf_counter()
        mlflow.log_artifact(path)
        out[name] = time.perf_counter() - t
    out[name + "_added"] = usage("mlruns") - before
print("RESULT " + json.dumps(out))
'''


def _child(python: str, code: str, files: list[tuple[str, str]], env: dict[str, str]) -> dict:
    work = Path(tempfile.mkdtemp(prefix="chunking-", dir=TMP))
    try:
        os.sync()
        proc = subprocess.run(
            [python, "-c", code, json.dumps(files)],
            cwd=work,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=1800,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return dict(json.loads(line[7:]))
    raise RuntimeError(f"child failed: {proc.stderr[-3000:]}")


def _cp_sync(src: Path) -> float:
    dst = TMP / "cp-sync.bin"
    os.sync()
    t = time.perf_counter()
    subprocess.run(["cp", str(src), str(dst)], check=True)
    os.sync()
    seconds = time.perf_counter() - t
    dst.unlink()
    return seconds


def _make_inputs(size: int) -> list[tuple[str, str]]:
    folder = TMP / "chunking-inputs"
    folder.mkdir(parents=True, exist_ok=True)
    base = folder / "original.bin"
    if not base.exists() or base.stat().st_size != size:
        with open(base, "wb") as f:
            for _ in range(size // (64 * MiB)):
                f.write(os.urandom(64 * MiB))
            f.write(os.urandom(size % (64 * MiB)))
    data = base.read_bytes()
    mid = size // 2
    changed = folder / "changed.bin"
    changed.write_bytes(data[:mid] + os.urandom(MiB) + data[mid + MiB :])
    inserted = folder / "inserted.bin"
    inserted.write_bytes(os.urandom(MiB) + data)
    return [("first", str(base)), ("changed", str(changed)), ("inserted", str(inserted))]


def _fmt_bytes(n: float) -> str:
    return f"{n / MiB:,.2f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--output", type=Path, default=BENCH / "RESULTS.md")
    args = parser.parse_args()
    TMP.mkdir(parents=True, exist_ok=True)
    size = args.size_mib * MiB
    files = _make_inputs(size)
    env_src = {"PYTHONPATH": str(ROOT / "src"), "MLFLOW_DISABLE_TELEMETRY": "true"}
    runs: dict[str, list[dict]] = {k: [] for k in ("fsync", "nofsync", "whole", "mlflow")}
    cp: list[float] = []
    load_before = os.getloadavg()
    for i in range(args.repeat):
        print(f"repeat {i + 1}/{args.repeat}", flush=True)
        runs["fsync"].append(_child(sys.executable, ARCHIVIST_CHILD, files, env_src))
        runs["mlflow"].append(_child(str(VENV_PY), MLFLOW_CHILD, files, {"MLFLOW_DISABLE_TELEMETRY": "true"}))
        runs["nofsync"].append(_child(sys.executable, ARCHIVIST_CHILD, files, {**env_src, "ARCHIVIST_FSYNC": "0"}))
        runs["whole"].append(
            _child(sys.executable, ARCHIVIST_CHILD, files, {**env_src, "ARCHIVIST_CHUNK_MIN_BYTES": "0"})
        )
        cp.append(_cp_sync(Path(files[0][1])))
    load_after = os.getloadavg()

    def med(kind: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[kind])

    cp_s = statistics.median(cp)
    rows = [
        ("log new file, fsync on (s)", med("fsync", "first"), f"cp+sync {cp_s:.3f}",
         f"{med('fsync', 'first') / cp_s:.2f}x of cp+sync (target <= 1.2x)"),
        ("log new file, fsync off (s)", med("nofsync", "first"), f"mlflow {med('mlflow', 'first'):.3f}",
         f"{med('mlflow', 'first') / med('nofsync', 'first'):.2f}x (mlflow/archivist, target >= 1x)"),
        ("log new file, whole blob, fsync on (s)", med("whole", "first"), f"cp+sync {cp_s:.3f}",
         f"{med('whole', 'first') / cp_s:.2f}x of cp+sync (before chunking)"),
        ("download (s)", med("fsync", "read"), f"whole blob {med('whole', 'read'):.3f}",
         f"{med('whole', 'read') / med('fsync', 'read'):.2f}x (whole/chunked, target >= 1x)"),
        ("verify (GiB/s)", med("fsync", "verify_bytes") / med("fsync", "verify") / (1 << 30),
         f"whole blob {med('whole', 'verify_bytes') / med('whole', 'verify') / (1 << 30):.2f}",
         "target >= 1 GiB/s"),
    ]
    lines = [
        START,
        "## Chunk-level dedup (bench/chunking.py)",
        "",
        f"Written by `python bench/chunking.py --size-mib {args.size_mib} --repeat {args.repeat}` on "
        f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC; medians of {args.repeat} interleaved "
        f"repeats, each in a fresh child and folder. Load average (1/5/15 min) before "
        f"{' '.join(f'{x:.2f}' for x in load_before)}, after {' '.join(f'{x:.2f}' for x in load_after)} "
        f"on {os.cpu_count()} cores: timings are only comparable on an idle machine.",
        "",
        f"| {args.size_mib} MiB random file | archivist (chunked) | mlflow | target |",
        "|---|---|---|---|",
        f"| bytes added: first log | {_fmt_bytes(med('fsync', 'first_added'))} | {_fmt_bytes(med('mlflow', 'first_added'))} | — |",
        f"| bytes added: 1 MiB changed in the middle | {_fmt_bytes(med('fsync', 'changed_added'))} | {_fmt_bytes(med('mlflow', 'changed_added'))} | <= 2 MiB |",
        f"| bytes added: 1 MiB inserted at the front | {_fmt_bytes(med('fsync', 'inserted_added'))} | {_fmt_bytes(med('mlflow', 'inserted_added'))} | <= 2 MiB |",
        "",
        "| measurement | archivist | compared with | ratio |",
        "|---|---|---|---|",
        *[f"| {name} | {value:.3f} | {other} | {ratio} |" for name, value, other, ratio in rows],
        "",
        "Bytes added are `st_blocks` of every file under `archivist/blobs` (objects, packs, the small-blob "
        "pack and the chunk index) or `mlruns`. `whole blob` is Archivist with "
        "`ARCHIVIST_CHUNK_MIN_BYTES=0` (every file one blob, as before chunking). Download is "
        "`download_artifacts` of the first file into an empty folder; verify is "
        "`archivist.maintenance.verify` over the store after the three logs (bytes read / seconds).",
        "",
        "```json",
        json.dumps({"cp_sync": cp, **runs}, indent=1),
        "```",
        END,
    ]
    section = "\n".join(lines)
    text = args.output.read_text() if args.output.exists() else ""
    server = "<!-- server-bench -->"  # bench/server_bench.py owns the file from there on
    if START in text and END in text:
        text = text[: text.index(START)] + section + text[text.index(END) + len(END) :]
    elif server in text:
        head, tail = text.split(server, 1)
        text = head.rstrip("\n") + "\n\n" + section + "\n\n" + server + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    args.output.write_text(text)
    print(section.split("```json")[0])


if __name__ == "__main__":
    main()
