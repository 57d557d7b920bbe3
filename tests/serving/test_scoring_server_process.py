"""End to end: the real ``archivist models serve`` process on 127.0.0.1, called with httpx."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from serving_support import Logged

from archivist.client import ArchivistClient

STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_until_ready(proc: subprocess.Popen[bytes], base: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/ping", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"server not ready after {STARTUP_SECONDS}s:\n{log.read_text()}")


def test_models_serve_answers_invocations(frame_model: Logged, tmp_path: Path) -> None:
    client = ArchivistClient()
    version = client.register_model(frame_model.model_uri, "iris").version
    client.set_registered_model_alias("iris", "champion", version)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHIVIST_")}
    env["ARCHIVIST_TRACKING_URI"] = str(tmp_path / "archivist")
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "archivist", "models", "serve", "-m", "models:/iris@champion",
             "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, env=env, cwd=tmp_path,
        )
    try:
        wait_until_ready(proc, base, log)
        frame = frame_model.frame.iloc[[0, 50, 100]]
        response = httpx.post(
            f"{base}/invocations",
            json={"dataframe_split": frame.to_dict(orient="split", index=False)},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        assert response.json() == {"predictions": frame_model.estimator.predict(frame).tolist()}
        bad = httpx.post(f"{base}/invocations", content=b"{", headers={"Content-Type": "application/json"})
        assert bad.status_code == 400 and bad.json()["error_code"] == "BAD_REQUEST"
        assert httpx.get(f"{base}/ping", timeout=5).status_code == 200
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
    assert f"serving models:/iris@champion at http://127.0.0.1:{port}" in log.read_text()
