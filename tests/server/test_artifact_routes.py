"""The artifact proxy in process: upload, download, list, delete, multipart, and path safety."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from server_support import InProcess

from archivist.server.app import ServerConfig, create_app

ART = "/api/2.0/mlflow-artifacts/artifacts"


def _run(app_client: InProcess) -> tuple[str, str]:
    info = app_client.api("POST", "runs/create", {"experiment_id": "0"})["run"]["info"]
    return info["run_id"], f"0/{info['run_id']}/artifacts"


def test_upload_download_list_delete(app_client: InProcess) -> None:
    run_id, root = _run(app_client)
    assert app_client.request("PUT", f"{ART}/{root}/a.txt", content=b"hello").status_code == 200
    assert app_client.request("PUT", f"{ART}/{root}/dir/b.bin", content=b"\x00" * 5000).status_code == 200
    r = app_client.get(f"{ART}/{root}/a.txt")
    assert r.status_code == 200 and r.content == b"hello" and r.headers["content-length"] == "5"
    listing = app_client.get(ART, params={"path": root}).json()
    assert listing["files"] == [{"path": "a.txt", "is_dir": False, "file_size": 5},
                                {"path": "dir", "is_dir": True}]
    assert app_client.get(ART, params={"path": f"{root}/dir"}).json()["files"] == [
        {"path": "b.bin", "is_dir": False, "file_size": 5000}]
    assert app_client.get(ART, params={"path": f"{root}/a.txt"}).json() == {}
    assert app_client.get(ART, params={"path": "0"}).json() == {}
    run_list = app_client.api("GET", "artifacts/list", {"run_id": run_id, "path": "dir"})
    assert run_list["root_uri"] == f"mlflow-artifacts:/{root}"
    assert run_list["files"] == [{"path": "dir/b.bin", "is_dir": False, "file_size": 5000}]
    assert app_client.request("DELETE", f"{ART}/{root}/dir").status_code == 200
    assert app_client.get(f"{ART}/{root}/dir/b.bin").status_code == 404
    missing = app_client.get(f"{ART}/{root}/nope.txt")
    assert missing.status_code == 404 and missing.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_same_bytes_twice_are_stored_once(app_client: InProcess, store_dir: Path) -> None:
    _, root = _run(app_client)
    _, root2 = _run(app_client)
    data = bytes(range(256)) * 4096  # 1 MiB, not compressible enough to matter

    def stored() -> int:
        return sum(f.stat().st_size for f in (store_dir / "blobs").rglob("*") if f.is_file())

    app_client.request("PUT", f"{ART}/{root}/big.bin", content=data)
    before = stored()
    app_client.request("PUT", f"{ART}/{root2}/copy.bin", content=data)
    assert stored() - before < 64 << 10
    assert app_client.get(f"{ART}/{root2}/copy.bin").content == data


def test_logged_model_root_and_unowned_paths(app_client: InProcess) -> None:
    model = app_client.api("POST", "logged-models", {"experiment_id": "0", "name": "m"})["model"]
    mid = model["info"]["model_id"]
    assert model["info"]["artifact_uri"] == f"mlflow-artifacts:/0/models/{mid}/artifacts"
    assert app_client.request("PUT", f"{ART}/0/models/{mid}/artifacts/MLmodel", content=b"x").status_code == 200
    assert app_client.get(f"{ART}/0/models/{mid}/artifacts/MLmodel").content == b"x"
    # a run id under the wrong experiment, and paths outside any owner
    run_id, _ = _run(app_client)
    wrong = app_client.request("PUT", f"{ART}/7/{run_id}/artifacts/x", content=b"x")
    assert wrong.status_code == 404
    for path in ("0/x.txt", "0/loose/file", "0/models/x"):
        r = app_client.request("PUT", f"{ART}/{path}", content=b"x")
        assert 400 <= r.status_code < 500, (path, r.status_code)


def test_upload_over_the_limit_is_413_and_leaves_nothing(store_dir: Path) -> None:
    app = InProcess(create_app(ServerConfig(backend_store_uri=str(store_dir), max_upload_bytes=1000)))
    _, root = _run(app)
    r = app.request("PUT", f"{ART}/{root}/big", content=b"x" * 2000)
    assert r.status_code == 413 and r.json()["error_code"] == "REQUEST_TOO_LARGE"
    assert app.get(f"{ART}/{root}/big").status_code == 404


def test_multipart_upload_create_parts_complete(app_client: InProcess) -> None:
    _, root = _run(app_client)
    parts = [b"a" * 3000, b"b" * 3000, b"c" * 10]
    create = app_client.post(f"/api/2.0/mlflow-artifacts/mpu/create/{root}/sub",
                             json={"path": "/home/me/data/file.bin", "num_parts": 3}).json()
    etags = []
    for cred, data in zip(create["credentials"], parts, strict=True):
        url = cred["url"].split("http://testserver", 1)[1]
        r = app_client.request("PUT", url, content=data)
        assert r.status_code == 200
        etags.append({"part_number": cred["part_number"], "etag": r.headers["etag"]})
    partial = app_client.post(f"/api/2.0/mlflow-artifacts/mpu/complete/{root}/sub",
                              json={"path": "file.bin", "upload_id": create["upload_id"], "parts": etags[:2]})
    assert partial.status_code == 400
    done = app_client.post(f"/api/2.0/mlflow-artifacts/mpu/complete/{root}/sub",
                           json={"path": "file.bin", "upload_id": create["upload_id"], "parts": etags})
    assert done.status_code == 200, done.text
    body = app_client.get(f"{ART}/{root}/sub/file.bin").content
    assert hashlib.sha256(body).digest() == hashlib.sha256(b"".join(parts)).digest()
    other = app_client.post(f"/api/2.0/mlflow-artifacts/mpu/complete/{root}/elsewhere",
                            json={"path": "file.bin", "upload_id": create["upload_id"], "parts": etags})
    assert other.status_code == 400
    abort = app_client.post(f"/api/2.0/mlflow-artifacts/mpu/abort/{root}/sub",
                            json={"path": "file.bin", "upload_id": create["upload_id"]})
    assert abort.status_code == 200
    info = app_client.get("/api/3.0/mlflow/server-info").json()
    assert info["multipart_uploads_enabled"] is True


# Every spelling of "leave the store" that a request can carry, as a raw request path.
TRAVERSALS = [
    "../../../etc/passwd",
    "%2e%2e/%2e%2e/etc/passwd",
    "%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
    "%252e%252e%252f%252e%252e%252fetc%252fpasswd",
    "%25252e%25252e/etc",
    "..%5c..%5cetc%5cpasswd",
    "..\\..\\etc\\passwd",
    "%2fetc%2fpasswd",
    "/etc/passwd",
    "//evil.example/share",
    "C:%5cWindows",
    "C:/Windows",
    "file:%2f%2f%2fetc%2fpasswd",
    "http:%2f%2fevil%2fx",
    "a%00b",
    "a%3fb=c",
    "a%23frag",
    "a%3bparam",
    ".%2e/.%2e/x",
    "%c0%ae%c0%ae/x",
]


@pytest.mark.parametrize("evil", TRAVERSALS)
def test_path_catalogue_never_leaves_the_store(app_client: InProcess, evil: str, tmp_path: Path) -> None:
    run_id, root = _run(app_client)
    outside = tmp_path / "outside.txt"
    outside.write_text("secret")
    for raw in (f"{root}/{evil}", evil, f"{root}/sub/{evil}"):
        for method, kwargs in (("PUT", {"content": b"pwned"}), ("GET", {}), ("DELETE", {})):
            r = _raw(app_client, method, f"{ART}/{raw}", **kwargs)
            assert r.status_code in (400, 404, 405), (method, raw, r.status_code, r.text)
            assert "secret" not in r.text
        r = _raw(app_client, "GET", f"{ART}?path={raw}")
        assert r.status_code in (200, 400, 404), (raw, r.status_code)
        if r.status_code == 200:
            assert r.json() == {}
        r = _raw(app_client, "POST", f"/api/2.0/mlflow-artifacts/mpu/create/{raw}",
                 json={"path": "f", "num_parts": 1})
        assert 400 <= r.status_code < 500, (raw, r.status_code)
    assert outside.read_text() == "secret"
    assert app_client.api("GET", "artifacts/list", {"run_id": run_id}) == {
        "root_uri": f"mlflow-artifacts:/{root}"}


def _raw(app_client: InProcess, method: str, raw_path: str, **kwargs: Any) -> Any:
    """Send ``raw_path`` byte for byte (httpx would normalize '..' in a URL)."""
    import httpx

    url = httpx.URL("http://testserver", raw_path=raw_path.encode())
    return app_client.request(method, url, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("source", [
    "/etc", "file:///etc/passwd", "http://evil/model", "s3://bucket/model",
    "mlflow-artifacts://evil/0/x", "mlflow-artifacts:/../../etc", "mlflow-artifacts:/0/%2e%2e/x",
    "runs:/../x", "models:/../../etc", "models:/m-" + "0" * 32, "dbfs:/x", "C:\\models",
])
def test_model_version_source_must_be_inside_the_store(app_client: InProcess, source: str) -> None:
    app_client.api("POST", "registered-models/create", {"name": "m"})
    r = app_client.post("/api/2.0/mlflow/model-versions/create", json={"name": "m", "source": source})
    assert 400 <= r.status_code < 500, (source, r.status_code, r.text)
