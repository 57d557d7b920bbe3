"""Real server processes: forked workers, two servers on one PostgreSQL store, SIGTERM."""

from __future__ import annotations

import re
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from server_support import running_server

API = "/api/2.0/mlflow"
ART = "/api/2.0/mlflow-artifacts/artifacts"


def _new_run(base: str, experiment_id: str = "0") -> str:
    r = httpx.post(f"{base}{API}/runs/create", json={"experiment_id": experiment_id}, timeout=30)
    assert r.status_code == 200, r.text
    return str(r.json()["run"]["info"]["run_id"])


def test_four_workers_serve_one_store_and_stop_on_sigterm(tmp_path: Path) -> None:
    with running_server(tmp_path, str(tmp_path / "store"), "--workers", "4") as srv:
        run_id = _new_run(srv.url)

        def log(i: int) -> int:
            r = httpx.post(f"{srv.url}{API}/runs/log-metric",
                           json={"run_id": run_id, "key": "m", "value": i, "timestamp": i, "step": i},
                           timeout=30)
            return r.status_code

        with ThreadPoolExecutor(16) as pool:
            assert set(pool.map(log, range(200))) == {200}
        history = httpx.get(f"{srv.url}{API}/metrics/get-history",
                            params={"run_id": run_id, "metric_key": "m"}, timeout=30).json()
        assert sorted(m["step"] for m in history["metrics"]) == list(range(200))
        pids = set(re.findall(r"Started server process \[(\d+)\]", srv.log.read_text()))
        assert len(pids) == 4
        assert srv.stop() == 0
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            import os

            os.kill(int(pid), 0)


def test_two_servers_on_one_postgres_store_serve_the_same_data(
    tmp_path: Path, pg_schema_uri: str
) -> None:
    blobs = str(tmp_path / "shared-blobs")
    with running_server(tmp_path / "a", pg_schema_uri, "--artifacts-destination", blobs) as a, \
            running_server(tmp_path / "b", pg_schema_uri, "--artifacts-destination", blobs) as b:
        exp = httpx.post(f"{a.url}{API}/experiments/create", json={"name": "shared"}).json()
        run_id = _new_run(b.url, exp["experiment_id"])
        for i, srv in enumerate((a, b, a, b)):
            r = httpx.post(f"{srv.url}{API}/runs/log-metric",
                           json={"run_id": run_id, "key": "loss", "value": i, "timestamp": i, "step": i})
            assert r.status_code == 200
        httpx.post(f"{a.url}{API}/runs/log-parameter", json={"run_id": run_id, "key": "p", "value": "1"})
        root = f"{exp['experiment_id']}/{run_id}/artifacts"
        assert httpx.put(f"{a.url}{ART}/{root}/f.txt", content=b"through a").status_code == 200
        assert httpx.get(f"{b.url}{ART}/{root}/f.txt").content == b"through a"
        for srv in (a, b):
            run = httpx.get(f"{srv.url}{API}/runs/get", params={"run_id": run_id}).json()["run"]
            assert run["data"]["params"] == [{"key": "p", "value": "1"}]
            hist = httpx.get(f"{srv.url}{API}/metrics/get-history",
                             params={"run_id": run_id, "metric_key": "loss"}).json()["metrics"]
            assert [m["step"] for m in hist] == [0, 1, 2, 3]
            found = httpx.post(f"{srv.url}{API}/runs/search",
                               json={"experiment_ids": [exp["experiment_id"]],
                                     "filter": "metrics.loss = 3"}).json()["runs"]
            assert [r["info"]["run_id"] for r in found] == [run_id]


def test_sigterm_lets_an_upload_in_flight_finish(tmp_path: Path) -> None:
    with running_server(tmp_path, str(tmp_path / "store")) as srv:
        run_id = _new_run(srv.url)
        started = threading.Event()

        def slow_body() -> Iterator[bytes]:
            for i in range(10):
                if i == 2:
                    started.set()
                yield bytes([i]) * 1000
                time.sleep(0.2)

        result: dict[str, int] = {}

        def upload() -> None:
            r = httpx.put(f"{srv.url}{ART}/0/{run_id}/artifacts/slow.bin", content=slow_body(),
                          timeout=60)
            result["status"] = r.status_code

        thread = threading.Thread(target=upload)
        thread.start()
        assert started.wait(30)
        srv.proc.send_signal(signal.SIGTERM)
        thread.join(60)
        assert result == {"status": 200}
        # uvicorn re-raises the signal once shut down, so the status says "ended by SIGTERM"
        assert srv.proc.wait(30) in (0, -signal.SIGTERM)
        assert "Finished server process" in srv.log.read_text()
    from archivist.client import ArchivistClient

    data = ArchivistClient(str(tmp_path / "store")).read_artifact(run_id, "slow.bin")
    assert data == b"".join(bytes([i]) * 1000 for i in range(10))


def test_binding_beyond_loopback_without_auth_warns(monkeypatch: pytest.MonkeyPatch) -> None:
    # No test may listen beyond 127.0.0.1, so serve() records its arguments instead.
    import archivist.server.runner as runner
    from archivist.cli import archivist as cli

    seen: dict[str, object] = {}
    monkeypatch.setattr(runner, "serve", lambda config, **kw: seen.update(kw, config=config))
    result = CliRunner().invoke(cli, ["server", "--host", "0.0.0.0", "--port", "5999"])
    assert result.exit_code == 0, result.output
    assert "warning: listening on 0.0.0.0 without authentication" in result.stderr
    assert seen["host"] == "0.0.0.0" and seen["port"] == 5999
    seen.clear()
    result = CliRunner().invoke(cli, ["server"])
    assert "warning" not in result.stderr and seen["host"] == "127.0.0.1" and seen["port"] == 5000
