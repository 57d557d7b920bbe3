"""Helpers for server tests: an in-process client over ASGITransport, a real server process."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 60


class InProcess:
    """A synchronous httpx-like client calling the app in process (httpx.ASGITransport)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                response = await c.request(method, path, **kwargs)
                await response.aread()
                return response

        return asyncio.run(go())

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def api(self, method: str, endpoint: str, body: dict[str, Any] | None = None,
            *, expect: int = 200) -> Any:
        """Call ``/api/2.0/mlflow/<endpoint>`` (GET: query; others: JSON) and check the status."""
        path = f"/api/2.0/mlflow/{endpoint}"
        if method == "GET":
            response = self.request(method, path, params=body or {})
        else:
            response = self.request(method, path, json=body or {})
        assert response.status_code == expect, (response.status_code, response.text)
        return response.json() if response.content else {}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def server_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARCHIVIST_", "MLFLOW_"))}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    env.update(extra)
    return env


@dataclass
class Server:
    url: str
    proc: subprocess.Popen[bytes]
    log: Path
    store: str

    def stop(self, timeout: float = 20) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=timeout)
        return self.proc.returncode


def wait_ready(server: Server) -> float:
    """Seconds until ``/health`` answered 200."""
    start = time.monotonic()
    while time.monotonic() - start < STARTUP_SECONDS:
        if server.proc.poll() is not None:
            raise AssertionError(f"server exited {server.proc.returncode}:\n{server.log.read_text()}")
        try:
            if httpx.get(f"{server.url}/health", timeout=1).status_code == 200:
                return time.monotonic() - start
        except httpx.TransportError:
            pass
        time.sleep(0.02)
    raise AssertionError(f"server not ready after {STARTUP_SECONDS}s:\n{server.log.read_text()}")


def start_server(workdir: Path, store: str, *args: str, env: dict[str, str] | None = None) -> Server:
    """``archivist server`` on a free 127.0.0.1 port, serving ``store``; waits until ready."""
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / f"server-{port}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "archivist", "server", "--port", str(port),
             "--backend-store-uri", store, *args],
            stdout=out, stderr=subprocess.STDOUT, env=env or server_env(), cwd=workdir,
        )
    server = Server(f"http://127.0.0.1:{port}", proc, log, store)
    try:
        wait_ready(server)
    except BaseException:
        server.stop()
        raise
    return server


@contextmanager
def running_server(workdir: Path, store: str, *args: str, env: dict[str, str] | None = None) -> Iterator[Server]:
    server = start_server(workdir, store, *args, env=env)
    try:
        yield server
    finally:
        server.stop()
