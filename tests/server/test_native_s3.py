"""The server with its artifacts on S3 (``--artifacts-destination s3://...``): verified
uploads land in the bucket, downloads (whole and ranged) come back through the cache."""

from __future__ import annotations

import os
from pathlib import Path

from server_support import InProcess

from archivist.entities import RunTag
from archivist.server.app import ServerConfig, create_app
from archivist.stores.blobs.hashing import hash_bytes
from archivist.stores.blobs.s3 import S3BlobStore
from archivist.stores.schemes import get_blob_store
from s3_support import S3Server

V1 = "/api/archivist/v1"


def test_native_round_trip_with_artifacts_on_s3(s3_env: S3Server, store_dir: Path) -> None:
    uri = s3_env.new_uri()
    app = InProcess(create_app(ServerConfig(backend_store_uri=str(store_dir), artifacts_destination=uri)))
    stores = app.app.state.stores
    run_id = stores.tracking.create_run("0", "alice", 1, [RunTag("k", "v")], None).info.run_id
    data = os.urandom(300_000)
    digest = hash_bytes(data)
    owner = f"{V1}/owners/{run_id}"
    assert app.post(f"{owner}/blobs/missing", json={"digests": [digest]}).json() == {"missing": [digest]}
    r = app.request("PUT", f"{owner}/blobs/{digest}", content=data)
    assert r.status_code == 200, r.text
    bucket = get_blob_store(uri, raw=True)  # the backend, below the chunk layer
    assert isinstance(bucket, S3BlobStore) and list(bucket.iter_digests()) == [digest]
    r = app.request("PUT", f"{owner}/blobs/{hash_bytes(b'other')}", content=data)
    assert r.status_code == 400 and list(bucket.iter_digests()) == [digest]
    r = app.post(f"{owner}/entries", json={"entries": [{"path": "w.bin", "digest": digest, "size": len(data)}]})
    assert r.status_code == 200, r.text
    r = app.get(f"{owner}/blobs/{digest}")
    assert r.status_code == 200 and r.content == data
    r = app.get(f"{owner}/blobs/{digest}", headers={"Range": "bytes=250000-"})
    assert r.status_code == 206 and r.content == data[250_000:]
