"""Archivist's native endpoints: missing digests, verified uploads, owner-scoped downloads."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from urllib.parse import urlparse

import httpx
from server_support import InProcess, Server

from archivist.entities import RunTag
from archivist.stores.blobs.hashing import hash_bytes

V1 = "/api/archivist/v1"


def _run(app_client: InProcess) -> str:
    stores = app_client.app.state.stores
    return str(stores.tracking.create_run("0", "alice", 1, [RunTag("k", "v")], None).info.run_id)


def _blob_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and p.name != "pack.sqlite"
            and not p.name.startswith("pack.sqlite")]


def test_upload_commit_download_round_trip(app_client: InProcess) -> None:
    run_id = _run(app_client)
    data = os.urandom(200_000)
    digest = hash_bytes(data)
    owner = f"{V1}/owners/{run_id}"
    r = app_client.post(f"{owner}/blobs/missing", json={"digests": [digest]})
    assert r.status_code == 200 and r.json() == {"missing": [digest]}
    r = app_client.request("PUT", f"{owner}/blobs/{digest}", content=data)
    assert r.status_code == 200, r.text
    assert app_client.post(f"{owner}/blobs/missing", json={"digests": [digest]}).json() == {
        "missing": []}
    r = app_client.post(f"{owner}/entries",
                        json={"entries": [{"path": "d/x.bin", "digest": digest, "size": len(data)}]})
    assert r.status_code == 200, r.text
    assert app_client.get(f"{owner}/entries").json() == {
        "entries": [{"path": "d/x.bin", "digest": digest, "size": len(data)}]}
    r = app_client.get(f"{owner}/blobs/{digest}")
    assert r.status_code == 200 and r.content == data
    r = app_client.get(f"{owner}/blobs/{digest}", headers={"Range": "bytes=150000-"})
    assert r.status_code == 206 and r.content == data[150_000:]
    assert r.headers["content-range"] == f"bytes 150000-{len(data) - 1}/{len(data)}"


def test_altered_upload_is_refused_and_leaves_nothing(app_client: InProcess, store_dir: Path) -> None:
    run_id = _run(app_client)
    data = os.urandom(300_000)
    claimed = hash_bytes(data)
    before = _blob_files(store_dir)
    r = app_client.request("PUT", f"{V1}/owners/{run_id}/blobs/{claimed}",
                           content=data[:-1] + b"!")
    assert r.status_code == 400 and "hash to" in r.json()["message"]
    assert not app_client.app.state.stores.artifacts.blobs.has(claimed)
    assert _blob_files(store_dir) == before


def test_commit_needs_the_blob_and_a_valid_path(app_client: InProcess) -> None:
    run_id = _run(app_client)
    digest = hash_bytes(b"never sent")
    owner = f"{V1}/owners/{run_id}/entries"
    r = app_client.post(owner, json={"entries": [{"path": "a", "digest": digest, "size": 10}]})
    assert r.status_code == 400 and "upload them" in r.json()["message"]
    stored = hash_bytes(b"sent")
    app_client.request("PUT", f"{V1}/owners/{run_id}/blobs/{stored}", content=b"sent")
    for bad in ("../a", "/etc/passwd", "a/../../b", "a\x00b"):
        r = app_client.post(owner, json={"entries": [{"path": bad, "digest": stored, "size": 4}]})
        assert r.status_code == 400, bad
    assert app_client.get(owner).json() == {"entries": []}


def test_knowing_a_digest_is_not_enough_to_read_it(app_client: InProcess) -> None:
    mine, other = _run(app_client), _run(app_client)
    data = b"secret weights"
    digest = hash_bytes(data)
    app_client.request("PUT", f"{V1}/owners/{mine}/blobs/{digest}", content=data)
    app_client.post(f"{V1}/owners/{mine}/entries",
                    json={"entries": [{"path": "w", "digest": digest, "size": len(data)}]})
    assert app_client.get(f"{V1}/owners/{mine}/blobs/{digest}").content == data
    r = app_client.get(f"{V1}/owners/{other}/blobs/{digest}")
    assert r.status_code == 404 and data not in r.content
    unknown = hash_bytes(b"not stored anywhere")
    r2 = app_client.get(f"{V1}/owners/{other}/blobs/{unknown}")
    # the same answer whether or not the blob exists elsewhere
    assert r2.status_code == 404
    assert r.json()["message"].replace(digest, "D") == r2.json()["message"].replace(unknown, "D")


def test_compose_verifies_the_whole(app_client: InProcess) -> None:
    run_id = _run(app_client)
    parts = [os.urandom(100_000) for _ in range(3)]
    whole = b"".join(parts)
    digests = [hash_bytes(p) for p in parts]
    for p, d in zip(parts, digests, strict=True):
        assert app_client.request("PUT", f"{V1}/owners/{run_id}/blobs/{d}", content=p).status_code == 200
    wrong = hash_bytes(whole + b"x")
    r = app_client.post(f"{V1}/owners/{run_id}/blobs/{wrong}/compose", json={"parts": digests})
    assert r.status_code == 400
    assert not app_client.app.state.stores.artifacts.blobs.has(wrong)
    right = hash_bytes(whole)
    r = app_client.post(f"{V1}/owners/{run_id}/blobs/{right}/compose", json={"parts": digests})
    assert r.status_code == 200, r.text
    blobs = app_client.app.state.stores.artifacts.blobs
    assert blobs.read_bytes(right) == whole
    missing_part = hash_bytes(b"absent part")
    r = app_client.post(f"{V1}/owners/{run_id}/blobs/{hash_bytes(b'q')}/compose",
                        json={"parts": [missing_part]})
    assert r.status_code == 400 and "upload them" in r.json()["message"]


def test_bad_owner_and_digest(app_client: InProcess) -> None:
    good = hash_bytes(b"x")
    r = app_client.post(f"{V1}/owners/nope/blobs/missing", json={"digests": [good]})
    assert r.status_code == 400
    r = app_client.post(f"{V1}/owners/{'a' * 32}/blobs/missing", json={"digests": [good]})
    assert r.status_code == 404
    run_id = _run(app_client)
    r = app_client.post(f"{V1}/owners/{run_id}/blobs/missing", json={"digests": ["md5:abc"]})
    assert r.status_code == 400 and "malformed" in r.json()["message"]
    r = app_client.request("PUT", f"{V1}/owners/{run_id}/blobs/sha1:00", content=b"x")
    assert r.status_code == 400


def test_truncated_upload_over_a_real_socket_leaves_nothing(live_server: Server) -> None:
    from archivist.client import ArchivistClient

    run_id = ArchivistClient(live_server.store).create_run("0").info.run_id
    data = os.urandom(2_000_000)
    digest = hash_bytes(data)
    url = urlparse(live_server.url)
    with socket.create_connection((url.hostname, url.port)) as s:
        s.sendall(
            f"PUT {V1}/owners/{run_id}/blobs/{digest} HTTP/1.1\r\nHost: x\r\n"
            f"Content-Length: {len(data)}\r\n\r\n".encode() + data[:1_000_000]
        )
    with httpx.Client(base_url=live_server.url) as c:
        r = c.post(f"{V1}/owners/{run_id}/blobs/missing", json={"digests": [digest]})
        assert r.json() == {"missing": [digest]}

