"""Archivist's HTTP client vs the ``mlflow`` client, over real servers on 127.0.0.1.

    python bench/client_http.py [--repeat 3] [--big-mib 256] [--no-write]

Starts ``archivist server`` (SQLite store) and ``mlflow server`` (SQLite, artifacts proxied,
from ``.bench/mlflow-venv``) in fresh directories, then runs each workload in a fresh child
interpreter, interleaved, ``--repeat`` times, and reports medians:

- ``metrics_1000``: 1,000 single ``log_metric`` calls then ``end_run`` (so every point is on
  the server when the clock stops). Archivist's client queues and batches them (its
  default); the ``mlflow`` client sends one request per call.
- ``artifact_again``: a ``--big-mib`` file logged in one run (untimed), then the same file
  in a new run (timed): seconds, request bytes the client sent (bodies and headers, counted
  in the client's HTTP transport) and bytes the server's store grew by.
- ``log_model`` / ``load_model``: ``sklearn.log_model(..., registered_model_name=)`` and
  ``pyfunc.load_model("models:/<name>/1")``.

Ratios are MLflow median / Archivist median (> 1: Archivist is faster). The section between
the ``client_http`` markers in bench/RESULTS.md is replaced (the rest is left alone).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MLFLOW_PY = ROOT / ".bench" / "mlflow-venv" / "bin" / "python"
BEGIN, END = "<!-- client_http:begin -->", "<!-- client_http:end -->"
MARK = "BENCH_RESULT "


# ------------------------------------------------------------------------------ children
def _count_request_bytes() -> list[int]:
    """Patch httpx (Archivist) / requests (MLflow) to count the bytes of every request sent."""
    sent = [0]
    try:
        import httpx

        orig = httpx.HTTPTransport.handle_request

        def handle(self, request):  # type: ignore[no-untyped-def]
            sent[0] += len(request.method) + len(str(request.url)) + sum(
                len(k) + len(v) + 4 for k, v in request.headers.raw)
            inner = request.stream

            class Counting(httpx.SyncByteStream):
                def __iter__(self):  # type: ignore[no-untyped-def]
                    for chunk in inner:
                        sent[0] += len(chunk)
                        yield chunk

            request.stream = Counting()
            return orig(self, request)

        httpx.HTTPTransport.handle_request = handle  # type: ignore[method-assign]
    except ImportError:
        pass
    try:
        import requests.adapters

        orig_send = requests.adapters.HTTPAdapter.send

        def send(self, request, **kw):  # type: ignore[no-untyped-def]
            body = request.body
            size = 0
            if isinstance(body, (bytes, str)):
                size = len(body)
            elif hasattr(body, "fileno"):
                size = os.fstat(body.fileno()).st_size - body.tell()
            sent[0] += size + len(request.url) + sum(len(k) + len(v) + 4
                                                     for k, v in request.headers.items())
            return orig_send(self, request, **kw)

        requests.adapters.HTTPAdapter.send = send  # type: ignore[method-assign]
    except ImportError:
        pass
    return sent


def _du(path: str) -> int:
    total, seen = 0, set()
    for dirpath, _, files in os.walk(path):
        for f in files:
            try:
                st = os.lstat(os.path.join(dirpath, f))
            except FileNotFoundError:
                continue
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_blocks * 512
    return total


def child(job: str, lib: str, params: dict) -> dict:
    sent = _count_request_bytes()
    if lib == "archivist":
        import archivist as m
        import archivist.pyfunc as pyfunc
        import archivist.sklearn as sk
    else:
        import mlflow as m
        import mlflow.pyfunc as pyfunc
        import mlflow.sklearn as sk
    m.set_tracking_uri(params["url"])
    m.set_experiment(params["experiment"])
    out: dict = {}
    if job == "metrics_1000":
        m.start_run()
        t0 = time.perf_counter()
        for i in range(1000):
            m.log_metric("loss", 1.0 / (i + 1), step=i)
        m.end_run()
        out["seconds"] = time.perf_counter() - t0
    elif job == "artifact_again":
        with m.start_run():
            m.log_artifact(params["file"])
        before_store = _du(params["store"])
        before_sent = sent[0]
        m.start_run()
        t0 = time.perf_counter()
        m.log_artifact(params["file"])
        out["seconds"] = time.perf_counter() - t0
        m.end_run()
        out["request_bytes"] = sent[0] - before_sent
        out["store_growth_bytes"] = _du(params["store"]) - before_store
    elif job == "log_model":
        import numpy as np
        from sklearn.ensemble import RandomForestClassifier

        rng = np.random.default_rng(0)
        x = rng.normal(size=(500, 8))
        y = (x[:, 0] > 0).astype(int)
        model = RandomForestClassifier(n_estimators=20, random_state=0).fit(x, y)
        name = params["experiment"] + "-model"
        extra = {} if lib == "archivist" else {"skops_trusted_types": ["sklearn.tree._tree.Tree"]}
        with m.start_run():
            t0 = time.perf_counter()
            sk.log_model(model, name="model", registered_model_name=name, **extra)
            out["log_seconds"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        loaded = pyfunc.load_model(f"models:/{name}/1")
        out["load_seconds"] = time.perf_counter() - t0
        assert list(loaded.predict(x[:5])) == list(model.predict(x[:5]))
    return out


# ------------------------------------------------------------------------------- servers
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, proc: subprocess.Popen[bytes], log: Path) -> float:
    import urllib.request

    t0 = time.monotonic()
    while time.monotonic() - t0 < 120:
        if proc.poll() is not None:
            raise SystemExit(f"server exited:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "/health", timeout=1) as r:
                if r.status == 200:
                    return time.monotonic() - t0
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"server at {url} not ready:\n{log.read_text()[-3000:]}")


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARCHIVIST_", "MLFLOW_"))}
    env["MLFLOW_DISABLE_TELEMETRY"] = "true"
    env["PYTHONPATH"] = str(ROOT / "src")
    return env


def start_servers(work: Path) -> dict[str, dict]:
    servers = {}
    a_port, m_port = _free_port(), _free_port()
    (work / "a").mkdir()
    (work / "m").mkdir()
    a_log, m_log = work / "archivist-server.log", work / "mlflow-server.log"
    a = subprocess.Popen(
        [sys.executable, "-m", "archivist", "server", "--port", str(a_port),
         "--backend-store-uri", str(work / "a" / "store")],
        stdout=a_log.open("wb"), stderr=subprocess.STDOUT, env=_clean_env(), cwd=work / "a",
    )
    m = subprocess.Popen(
        [str(MLFLOW_PY), "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(m_port),
         "--backend-store-uri", f"sqlite:///{work / 'm' / 'mlflow.db'}",
         "--artifacts-destination", str(work / "m" / "artifacts")],
        stdout=m_log.open("wb"), stderr=subprocess.STDOUT, env=_clean_env(), cwd=work / "m",
    )
    servers["archivist"] = {"url": f"http://127.0.0.1:{a_port}", "proc": a,
                            "store": str(work / "a" / "store"),
                            "start_seconds": _wait(f"http://127.0.0.1:{a_port}", a, a_log)}
    servers["mlflow"] = {"url": f"http://127.0.0.1:{m_port}", "proc": m,
                         "store": str(work / "m" / "artifacts"),
                         "start_seconds": _wait(f"http://127.0.0.1:{m_port}", m, m_log)}
    return servers


def stop(servers: dict[str, dict]) -> None:
    for s in servers.values():
        proc = s["proc"]
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()


# --------------------------------------------------------------------------------- runner
#: (label, client library, server) — the three pairings measured
PAIRS = [("archivist client -> archivist server", "archivist", "archivist"),
         ("mlflow client -> archivist server", "mlflow", "archivist"),
         ("mlflow client -> mlflow server", "mlflow", "mlflow")]


def run_child(job: str, lib: str, params: dict, cwd: Path) -> dict | None:
    python = sys.executable if lib == "archivist" else str(MLFLOW_PY)
    cmd = [python, str(Path(__file__).resolve()), "--child", job, lib, json.dumps(params)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=_clean_env(), cwd=cwd,
                         timeout=1800)
    for line in out.stdout.splitlines():
        if line.startswith(MARK):
            return dict(json.loads(line[len(MARK):]))
    # a failed sample is reported (and counted in the table), not silently dropped
    print(f"{job}/{lib} FAILED:\n{out.stderr[-1500:]}", flush=True)
    return None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--big-mib", type=int, default=256)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    scratch = ROOT / ".bench" / "tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="client-http-", dir=scratch))
    raw: dict[str, list[dict]] = {}
    try:
        big = work / "big.bin"
        with open(big, "wb") as f:
            for _ in range(args.big_mib):
                f.write(os.urandom(1 << 20))
        servers = start_servers(work)
        try:
            for rep in range(args.repeat):
                for label, lib, server in PAIRS:
                    s = servers[server]
                    base = {"url": s["url"], "store": s["store"]}
                    for job in ("metrics_1000", "artifact_again", "log_model"):
                        if job == "artifact_again" and label.startswith("mlflow client -> arch") \
                                and rep > 0:
                            continue  # one sample is enough for the compatibility row
                        params = {**base, "experiment": f"{job}-{lib}-{server}-{rep}",
                                  "file": str(big)}
                        res = run_child(job, lib, params, work)
                        if res is None:
                            raw.setdefault(f"failed|{job}|{label}", []).append({"failed": 1})
                            continue
                        raw.setdefault(f"{job}|{label}", []).append(res)
                        print(job, label, res, flush=True)
        finally:
            stop(servers)
        report = render(raw, servers, args)
        print(report)
        if not args.no_write:
            write(report)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _med(raw: dict, key: str, field: str) -> float:
    return statistics.median(r[field] for r in raw[key])


def render(raw: dict, servers: dict, args: argparse.Namespace) -> str:
    A, MA, MM = (p[0] for p in PAIRS)
    lines = [
        BEGIN,
        "## Archivist's HTTP client (issue 8)",
        "",
        f"`python bench/client_http.py --repeat {args.repeat} --big-mib {args.big_mib}` on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs. Both "
        "servers on SQLite on this machine (`archivist server`, `mlflow server` 3.17.2 with "
        "its default proxied artifacts); medians of interleaved fresh-process runs; ratio = "
        "MLflow (mlflow client -> mlflow server) / Archivist (Archivist's client -> Archivist's "
        "server). Server start to first `/health`: Archivist "
        f"{servers['archivist']['start_seconds']:.2f} s, MLflow "
        f"{servers['mlflow']['start_seconds']:.2f} s (one sample).",
        "",
        "| workload | archivist client -> archivist server | mlflow client -> archivist server "
        "| mlflow client -> mlflow server | ratio | goal |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]

    def row(name: str, job: str, field: str, goal: str, unit: str = "s") -> None:
        a, ma, mm = (_med(raw, f"{job}|{p}", field) for p in (A, MA, MM))
        fmt = (lambda v: f"{v:.3f} s") if unit == "s" else (lambda v: f"{v / (1 << 20):.3f} MiB")
        ratio = mm / a if a else float("inf")
        lines.append(f"| {name} | {fmt(a)} | {fmt(ma)} | {fmt(mm)} | {ratio:.1f}x | {goal} |")

    row("1,000 single `log_metric` + `end_run`", "metrics_1000", "seconds", ">= 50x")
    row(f"same {args.big_mib} MiB file again, new run: time", "artifact_again", "seconds", "")
    row(f"same {args.big_mib} MiB file again: request bytes sent", "artifact_again",
        "request_bytes", "< 1 MiB (Archivist's client)", unit="b")
    row(f"same {args.big_mib} MiB file again: server store growth", "artifact_again",
        "store_growth_bytes", "< 1 MiB", unit="b")
    row("`sklearn.log_model(registered_model_name=)`", "log_model", "log_seconds", ">= 20x")
    row("`pyfunc.load_model('models:/name/1')`", "log_model", "load_seconds", "")
    failed = {k[len("failed|"):]: len(v) for k, v in raw.items() if k.startswith("failed|")}
    if failed:
        lines += ["", "Failed samples (left out of the medians): " + ", ".join(
            f"{k.replace('|', ' / ')}: {n}" for k, n in failed.items())]
    lines += ["", "<details><summary>raw samples</summary>", "", "```json",
              json.dumps(raw, indent=1), "```", "</details>", END]
    return "\n".join(lines)


def write(section: str) -> None:
    path = ROOT / "bench" / "RESULTS.md"
    text = path.read_text() if path.exists() else ""
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + section + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        result = child(sys.argv[2], sys.argv[3], json.loads(sys.argv[4]))
        print(MARK + json.dumps(result), flush=True)
        os._exit(0)  # skip atexit flushes already done inside the timed block
    main()
