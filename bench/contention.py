"""Write latency under contention: many processes logging to one SQLite store at once.

Usage:

    python bench/contention.py                         # Archivist, 16 writers x 1000 writes
    python bench/contention.py --libs archivist mlflow  # and MLflow 3.17.2 (its venv)
    python bench/contention.py --writers 16 --writes 1000 --repeat 3 --append

Each writer is a fresh interpreter with its own run in one shared SQLite store (the
library's own ``sqlite:///`` tracking URI in a scratch directory under ``.bench/tmp``).
All writers start together (they wait on a start file) and then, with no pause, make
``--writes`` calls each: ``log_metric`` (8 of 10), ``set_tag`` and ``log_param`` (1 of 10
each). Every call is timed with ``perf_counter`` on its own; the parent pools the
latencies of all writers and prints p50, p99 and max in milliseconds, plus the wall time
and the number of points stored (checked: nothing may be lost).

``--append`` adds a section with the figures to ``bench/RESULTS.md`` (other sections are
left as they are).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MLFLOW_PYTHON = ROOT / ".bench" / "mlflow-venv" / "bin" / "python"


def _worker(lib_name: str, uri: str, n: int, start_file: str, ready_file: str, out: str) -> None:
    if lib_name == "mlflow":
        os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
        from mlflow import MlflowClient

        client = MlflowClient(uri)
        exp = client.get_experiment_by_name("contention")
        exp_id = exp.experiment_id if exp else _create_experiment(client)
    else:
        from archivist import ArchivistClient

        client = ArchivistClient(uri)
        exp = client.get_experiment_by_name("contention")
        exp_id = exp.experiment_id if exp else _create_experiment(client)
    run_id = client.create_run(exp_id).info.run_id
    Path(ready_file).touch()
    while not os.path.exists(start_file):
        time.sleep(0.001)
    lat: list[float] = []
    perf = time.perf_counter
    for i in range(n):
        t0 = perf()
        if i % 10 == 8:
            client.set_tag(run_id, f"t{i % 50}", str(i))
        elif i % 10 == 9:
            client.log_param(run_id, f"p{i}", str(i))
        else:
            client.log_metric(run_id, "loss", 1.0 / (i + 1), step=i)
        lat.append(perf() - t0)
    points = len(client.get_metric_history(run_id, "loss"))
    Path(out).write_text(json.dumps({"latencies": lat, "points": points, "expected": n - 2 * (n // 10)}))


def _create_experiment(client: object) -> str:
    try:
        return str(client.create_experiment("contention"))  # type: ignore[attr-defined]
    except Exception:  # another writer created it first
        return str(client.get_experiment_by_name("contention").experiment_id)  # type: ignore[attr-defined]


def _quantile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def run_once(lib_name: str, writers: int, writes: int) -> dict:
    scratch = ROOT / ".bench" / "tmp" / f"contention-{uuid.uuid4().hex[:8]}"
    scratch.mkdir(parents=True)
    try:
        db = scratch / f"{lib_name}.db"
        uri = f"sqlite:///{db}"
        python = str(MLFLOW_PYTHON) if lib_name == "mlflow" else sys.executable
        env = dict(os.environ)
        if lib_name == "archivist":
            env["ARCHIVIST_ARTIFACT_ROOT"] = str(scratch / "blobs")
            # create the store (schema) once, before the writers race
            subprocess.run(
                [python, "-c", f"from archivist import ArchivistClient as C; "
                 f"C({uri!r}).create_experiment('contention')"],
                check=True, env=env,
            )
        else:
            env["MLFLOW_DISABLE_TELEMETRY"] = "true"
            subprocess.run(
                [python, "-c", f"from mlflow import MlflowClient as C; "
                 f"C({uri!r}).create_experiment('contention')"],
                check=True, env=env, capture_output=True,
            )
        start = scratch / "start"
        procs = []
        for w in range(writers):
            args = [python, __file__, "--worker", lib_name, uri, str(writes), str(start),
                    str(scratch / f"ready{w}"), str(scratch / f"out{w}.json")]
            procs.append(subprocess.Popen(args, env=env, cwd=scratch))
        while not all((scratch / f"ready{w}").exists() for w in range(writers)):
            if any(p.poll() not in (None, 0) for p in procs):
                raise RuntimeError("a writer failed during setup")
            time.sleep(0.01)
        t0 = time.perf_counter()
        start.touch()
        codes = [p.wait() for p in procs]
        wall = time.perf_counter() - t0
        if any(codes):
            raise RuntimeError(f"writers exited with {codes}")
        lat: list[float] = []
        lost = 0
        for w in range(writers):
            result = json.loads((scratch / f"out{w}.json").read_text())
            lat.extend(result["latencies"])
            lost += result["expected"] - result["points"]
        return {
            "lib": lib_name,
            "writers": writers,
            "writes_per_writer": writes,
            "p50_ms": statistics.median(lat) * 1000,
            "p99_ms": _quantile(lat, 0.99) * 1000,
            "max_ms": max(lat) * 1000,
            "wall_s": wall,
            "lost_points": lost,
        }
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main(argv: list[str]) -> int:
    if argv[:1] == ["--worker"]:
        lib_name, uri, n, start, ready, out = argv[1:]
        _worker(lib_name, uri, int(n), start, ready, out)
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--libs", nargs="+", default=["archivist"], choices=["archivist", "mlflow"])
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--writes", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--append", action="store_true", help="add a section to bench/RESULTS.md")
    parser.add_argument("--label", default="", help="a label for the appended section")
    args = parser.parse_args(argv)
    rows = []
    for _ in range(args.repeat):
        for lib_name in args.libs:
            row = run_once(lib_name, args.writers, args.writes)
            print(json.dumps(row), flush=True)
            rows.append(row)
    if args.append:
        _append(rows, args.label)
    return 0


def _append(rows: list[dict], label: str) -> None:
    lines = [
        "",
        f"## Write latency under contention{f' ({label})' if label else ''}",
        "",
        f"`python bench/contention.py` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"nproc {os.cpu_count()}: {rows[0]['writers']} processes x {rows[0]['writes_per_writer']} "
        "writes each (log_metric 8/10, set_tag 1/10, log_param 1/10) to one SQLite store, all "
        "started together; every call timed on its own, latencies of all writers pooled.",
        "",
        "| library | p50 ms | p99 ms | max ms | wall s | points lost |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['lib']} | {r['p50_ms']:.2f} | {r['p99_ms']:.1f} | {r['max_ms']:.0f} | "
            f"{r['wall_s']:.1f} | {r['lost_points']} |"
        )
    with open(HERE / "RESULTS.md", "a") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
