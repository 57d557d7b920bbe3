"""Tracking-server bench: ``archivist server`` against ``mlflow server`` in the same run.

    python bench/server_bench.py [--repeat N] [--quick] [--output bench/RESULTS.md]

Both servers serve a fresh SQLite store on 127.0.0.1 with artifacts proxied; each workload
runs in a fresh client interpreter (bench/server_client.py): the real ``mlflow`` client
(mlflow venv) against each server, and Archivist's own client against ``archivist server``
when it speaks HTTP. Ratios are MLflow-server time / Archivist-server time (medians).
The table replaces the section after ``<!-- server-bench -->`` in RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
VENV = ROOT / ".bench" / "mlflow-venv"
TMP = ROOT / ".bench" / "tmp-server"
MARKER = "<!-- server-bench -->"
MiB = 1 << 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_health(url: str, proc: subprocess.Popen[bytes], timeout: float = 180) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.01)
    raise RuntimeError(f"{url} not healthy after {timeout}s")


class Server:
    def __init__(self, kind: str, work: Path) -> None:
        self.kind = kind
        self.work = work
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ARCHIVIST_", "MLFLOW_"))}
        env["MLFLOW_DISABLE_TELEMETRY"] = "true"
        if kind == "archivist":
            self.store = str(work / "store")
            cmd = [sys.executable, "-m", "archivist", "server", "--port", str(self.port),
                   "--backend-store-uri", self.store]
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
        else:
            self.store = str(work / "mlartifacts")
            cmd = [str(VENV / "bin" / "mlflow"), "server", "--host", "127.0.0.1", "--port",
                   str(self.port), "--backend-store-uri", f"sqlite:///{work / 'mlflow.db'}",
                   "--artifacts-destination", self.store, "--serve-artifacts"]
        self.log = open(work / f"{kind}-server.log", "wb")  # noqa: SIM115
        start = time.perf_counter()
        self.proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        wait_health(self.url, self.proc)
        self.start_seconds = time.perf_counter() - start

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(30)
        except (subprocess.TimeoutExpired, ProcessLookupError):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(30)
        self.log.close()


def run_client(python: str, lib: str, job: str, server: Server, params: dict) -> dict | None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARCHIVIST_", "MLFLOW_"))}
    env["MLFLOW_DISABLE_TELEMETRY"] = "true"
    if lib == "archivist":
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    os.sync()
    proc = subprocess.run([python, str(BENCH / "server_client.py"), lib, job, server.url,
                           json.dumps(params)], capture_output=True, text=True, env=env,
                          cwd=server.work, timeout=1800)
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or ["no output"]
        print(f"  {lib} client on {server.kind} server, {job}: failed: {tail[0]}", flush=True)
        return None
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="64 MiB instead of 256 MiB")
    parser.add_argument("--output", type=Path, default=BENCH / "RESULTS.md")
    args = parser.parse_args()
    size = (64 if args.quick else 256) * MiB
    shutil.rmtree(TMP, ignore_errors=True)
    TMP.mkdir(parents=True)
    data = TMP / "artifact.bin"
    with open(data, "wb") as f:
        for _ in range(size // MiB):
            f.write(os.urandom(MiB))
    jobs = {
        "metrics_single": {"n": 1000},
        "log_batch": {"n": 10_000},
        "runs_search": {"runs": 200},
        "artifact": {"file": str(data)},
        "log_model": {},
    }
    mlflow_py = str(VENV / "bin" / "python")
    own_client = True  # Archivist's client over HTTP: tried once, dropped if it cannot
    results: dict[str, dict[str, list[float]]] = {}

    def record(key: str, measured: dict | None, prefix: str = "") -> None:
        for k, v in (measured or {}).items():
            results.setdefault(f"{prefix}{k}", {}).setdefault(key, []).append(float(v))

    started = time.time()
    load_before = os.getloadavg()
    for rep in range(args.repeat):
        for kind in ("archivist", "mlflow"):
            work = TMP / f"{kind}-{rep}"
            work.mkdir()
            server = Server(kind, work)
            print(f"repeat {rep + 1}: {kind} server healthy after {server.start_seconds:.2f}s", flush=True)
            record(f"{kind}+mlflow", {"seconds": server.start_seconds}, "server_start.")
            try:
                clients = [("mlflow", mlflow_py)]
                if kind == "archivist" and own_client:
                    clients.append(("archivist", sys.executable))
                for lib, python in clients:
                    for job, params in jobs.items():
                        p = dict(params, store=server.store, scratch=str(work))
                        measured = run_client(python, lib, job, server, p)
                        if measured is None and lib == "archivist" and job == "metrics_single":
                            own_client = False
                            break
                        record(f"{kind}+{lib}", measured, f"{job}.")
            finally:
                server.stop()
                shutil.rmtree(work, ignore_errors=True)
    elapsed = time.time() - started
    write(args, results, size, own_client, elapsed, load_before, os.getloadavg())
    shutil.rmtree(TMP, ignore_errors=True)
    return 0


GOALS = {
    "server_start.seconds": "≥ 10x",
    "metrics_single.seconds": "≥ 10x (mlflow client), ≥ 50x (archivist client)",
    "log_batch.seconds": "—",
    "runs_search.seconds_log": "—",
    "runs_search.seconds_search": "—",
    "artifact.seconds_upload": "≥ 1x",
    "artifact.seconds_download": "≥ 1x",
    "artifact.seconds_again": "—",
    "artifact.store_growth_again": "< 1 MiB added (archivist)",
    "log_model.seconds_log_model": "≥ 20x (archivist client)",
    "log_model.seconds_load_model": "—",
}


def write(args: argparse.Namespace, results: dict, size: int, own_client: bool, elapsed: float,
          load_before: tuple[float, ...], load_after: tuple[float, ...]) -> None:
    def med(name: str, key: str) -> float | None:
        xs = results.get(name, {}).get(key)
        return statistics.median(xs) if xs else None

    def fmt(x: float | None, name: str) -> str:
        if x is None:
            return "n/a"
        return f"{x / MiB:.1f} MiB" if name.endswith("growth_again") else f"{x:.3f}"

    rows = []
    for name, goal in GOALS.items():
        ml = med(name, "mlflow+mlflow")
        ours = med(name, "archivist+mlflow")
        own = med(name, "archivist+archivist")
        ratio = f"{ml / ours:.1f}x" if ml and ours else "n/a"
        own_ratio = f"{ml / own:.1f}x" if ml and own else "n/a"
        if name.endswith("growth_again"):
            ratio = own_ratio = "—"
        rows.append(f"| {name} | {fmt(ml, name)} | {fmt(ours, name)} | {ratio} | {fmt(own, name)} | "
                     f"{own_ratio} | {goal} |")
    now = dt.datetime.now().astimezone()
    section = [
        MARKER,
        "## Tracking server (archivist server vs mlflow server)",
        "",
        f"Written by `python bench/server_bench.py{' --quick' if args.quick else ''} --repeat "
        f"{args.repeat}` on {now:%Y-%m-%d %H:%M %Z} ({elapsed / 60:.1f} min; load average "
        f"before {load_before[0]:.2f}, after {load_after[0]:.2f}). Both servers on a fresh "
        f"SQLite store, artifacts proxied, 127.0.0.1; artifact {size // MiB} MiB of random bytes; "
        "medians of the repeats; ratio = mlflow server / archivist server.",
        "",
        "| measurement | mlflow server + mlflow client | archivist server + mlflow client | ratio "
        "| archivist server + archivist client | ratio | goal |",
        "|---|---|---|---|---|---|---|",
        *rows,
        "",
        "Workloads: server start = process start to first `GET /health` 200; metrics_single = "
        "1,000 `log_metric` calls and `end_run`; log_batch = 10,000 metrics in one "
        "`log_batch` call (the mlflow client sends 10 requests); runs_search = 200 runs with 3 "
        "params and 3 metrics each, then one filtered `search_runs`; artifact = `log_artifact`, "
        "`download_artifacts`, then the same file in a new run, with the growth of the server's "
        "artifact storage; log_model = `sklearn.log_model(registered_model_name=)` then "
        "`pyfunc.load_model('models:/<name>/1')` and predict. With the mlflow client every "
        "upload sends the whole file (one PUT), so bytes sent equal the file size on both servers.",
        "" if own_client else "Archivist's own client did not speak HTTP when this ran: its columns are n/a.",
        "",
        "Raw: `" + json.dumps(results, separators=(",", ":")) + "`",
        "",
    ]
    path = args.output
    text = path.read_text() if path.exists() else ""
    head = text.split(MARKER, 1)[0].rstrip("\n")
    path.write_text(head + "\n\n" + "\n".join(section))
    print("\n".join(section[:len(rows) + 8]))


if __name__ == "__main__":
    sys.exit(main())
