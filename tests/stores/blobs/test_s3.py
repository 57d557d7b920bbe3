"""What the S3 store adds to the blob contract, against a real SeaweedFS on 127.0.0.1."""

from __future__ import annotations

import hashlib
import io
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from archivist.errors import ArtifactCorrupted, InvalidArgument, PermissionDenied
from archivist.stores.blobs import s3 as s3mod
from archivist.stores.blobs.hashing import hash_bytes
from archivist.stores.blobs.s3 import S3BlobStore, parse_s3_uri
from archivist.stores.schemes import BLOB_STORES, get_blob_store
from s3_support import S3Server


def _objects(store: S3BlobStore) -> list[str]:
    listing = store.client().list_objects_v2(Bucket=store.bucket, Prefix=store.prefix)
    return sorted(o["Key"] for o in listing.get("Contents", ()))


def _uploads(store: S3BlobStore) -> list[Any]:
    found = store.client().list_multipart_uploads(Bucket=store.bucket, Prefix=store.prefix)
    return list(found.get("Uploads", ()))


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Multipart from 6 MiB with 5 MiB parts (S3's minimum), so tests stay small."""
    monkeypatch.setattr(s3mod, "SINGLE_PUT_MAX", 6 << 20)
    monkeypatch.setattr(s3mod, "PART_SIZE", 5 << 20)


def test_every_registered_scheme_loads() -> None:
    # the registry once named an s3 module that did not exist
    for scheme, backend in BLOB_STORES.items():
        assert isinstance(backend.load(), type), scheme


def test_uri_parsing() -> None:
    assert parse_s3_uri("s3://my-bucket") == ("my-bucket", "")
    assert parse_s3_uri("s3://my-bucket/a//b/") == ("my-bucket", "a/b/")
    for bad in ("s3://My_Bucket/x", "s3://ab", "s3://bucket/a/../b", "s3://-bucket"):
        with pytest.raises(InvalidArgument, match="s3://"):
            parse_s3_uri(bad)


def test_selected_by_uri(s3_uri: str) -> None:
    # the URI opens the backend behind the chunk layer; raw=True (as below) gives the backend
    layered = get_blob_store(s3_uri)
    assert isinstance(layered.inner, S3BlobStore) and layered.uri == s3_uri + "/"
    store = get_blob_store(s3_uri, raw=True)
    assert isinstance(store, S3BlobStore)
    assert store.uri == s3_uri + "/"
    d, _ = store.put_bytes(b"where does it go")
    assert _objects(store) == [f"{store.prefix}objects/blake3/{d[7:9]}/{d[7:]}"]
    assert store.prefix.endswith("/store/")


def test_mlflow_endpoint_variable_is_honoured(
    s3_uri: str, s3_env: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ARCHIVIST_S3_ENDPOINT_URL")
    monkeypatch.setenv("MLFLOW_S3_ENDPOINT_URL", s3_env.endpoint)
    store = get_blob_store(s3_uri, raw=True)
    d, _ = store.put_bytes(b"via MLFLOW_S3_ENDPOINT_URL")
    assert store.read_bytes(d) == b"via MLFLOW_S3_ENDPOINT_URL"


def test_large_blob_multipart_parallel_and_ranged_read(
    s3_uri: str, small_parts: None, tmp_path: Path
) -> None:
    store = get_blob_store(s3_uri, raw=True)
    data = os.urandom(23 << 20)  # 5 parts
    src = tmp_path / "big.bin"
    src.write_bytes(data)
    sent: list[int] = []
    client = store.client()
    real = client.upload_part

    def counting(**kw: Any) -> Any:
        sent.append(kw["PartNumber"])
        return real(**kw)

    client.upload_part = counting
    d, size = store.put_file(src)
    assert size == len(data) and sorted(sent) == [1, 2, 3, 4, 5]
    assert _uploads(store) == []
    assert store.stored_size(d) == len(data)
    out = tmp_path / "out.bin"
    store.copy_to(d, str(out))
    assert hashlib.sha256(out.read_bytes()).digest() == hashlib.sha256(data).digest()
    assert store.read_bytes(d) == data


def test_large_compressible_blob_is_compressed(s3_uri: str, small_parts: None, tmp_path: Path) -> None:
    store = get_blob_store(s3_uri, raw=True)
    data = b"a line of a log file that repeats\n" * 400_000  # 13.6 MB
    d, _ = store.put_bytes(data)
    assert store.stored_size(d) < len(data) // 20
    assert store.read_bytes(d) == data
    store.copy_to(d, str(tmp_path / "out"))
    assert (tmp_path / "out").read_bytes() == data


class _Failing(io.RawIOBase):
    """A source that fails after ``n`` bytes."""

    def __init__(self, data: bytes, n: int) -> None:
        self._data, self._n, self._pos = data, n, 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._pos >= self._n:
            raise OSError("disk went away")
        out = self._data[self._pos : self._pos + size]
        self._pos += len(out)
        return out


def test_failed_or_wrong_upload_exposes_nothing(s3_uri: str, small_parts: None) -> None:
    store = get_blob_store(s3_uri, raw=True)
    data = os.urandom(20 << 20)
    digest = hash_bytes(data)
    with pytest.raises(OSError, match="went away"):
        store.put(digest, _Failing(data, 12 << 20))  # type: ignore[arg-type]
    assert not store.has(digest) and _objects(store) == [] and _uploads(store) == []
    with pytest.raises(InvalidArgument, match="hash to"):
        store.put(hash_bytes(b"not these bytes"), io.BytesIO(data))
    assert _objects(store) == [] and _uploads(store) == []
    with pytest.raises(InvalidArgument, match="hash to"):
        store.put(hash_bytes(b"nor these"), io.BytesIO(b"small"))
    assert _objects(store) == []


def test_conditional_create_never_overwrites(s3_uri: str) -> None:
    store = get_blob_store(s3_uri, raw=True)
    d, _ = store.put_bytes(b"first and only")
    key = store._key(d)
    etag = store.client().head_object(Bucket=store.bucket, Key=key)["ETag"]
    store.put(d, io.BytesIO(b"first and only"))  # a second writer of the same blob
    assert store.client().head_object(Bucket=store.bucket, Key=key)["ETag"] == etag


def test_corruption_in_the_bucket_is_detected(s3_uri: str, small_parts: None, tmp_path: Path) -> None:
    store = get_blob_store(s3_uri, raw=True)
    small, _ = store.put_bytes(os.urandom(100_000))
    big, _ = store.put_bytes(os.urandom(12 << 20))
    for d in (small, big):
        good = store.read_bytes(d)
        bad = bytes([good[0] ^ 1]) + good[1:]
        store.client().put_object(Bucket=store.bucket, Key=store._key(d), Body=bad,
                                  Metadata={"codec": "raw"})
        with pytest.raises(ArtifactCorrupted, match="corrupted"):
            store.read_bytes(d)
        with pytest.raises(ArtifactCorrupted, match="corrupted"):
            store.copy_to(d, str(tmp_path / "out"))
        assert not (tmp_path / "out").exists()
        assert not [p for p in tmp_path.iterdir() if "archivist-tmp" in p.name]


def test_has_many_is_batched(s3_uri: str) -> None:
    store = get_blob_store(s3_uri, raw=True)
    stored = [store.put_bytes(f"blob {i}".encode())[0] for i in range(12)]
    absent = [hash_bytes(f"absent {i}".encode()) for i in range(12)]
    assert store.has_many(stored + absent) == set(stored)


def test_wrong_credentials_are_a_clear_error(s3_uri: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong")
    with pytest.raises(PermissionDenied, match="check the credentials"):
        get_blob_store(s3_uri, raw=True).put_bytes(b"x")


def test_missing_bucket_is_a_clear_error(s3_env: S3Server) -> None:
    with pytest.raises(InvalidArgument, match="does not exist; create it"):
        get_blob_store("s3://no-such-bucket-here/p").put_bytes(b"x")


def test_gc_marker_makes_writers_wait(s3_uri: str) -> None:
    store = get_blob_store(s3_uri, raw=True)
    d, _ = store.put_bytes(b"contended")
    marker = store._marker("gc", d)
    store.client().put_object(Bucket=store.bucket, Key=marker, Body=b"")
    order: list[str] = []

    def gc_finishes() -> None:
        time.sleep(0.5)
        order.append("gc done")
        store.client().delete_object(Bucket=store.bucket, Key=marker)

    t = threading.Thread(target=gc_finishes)
    t.start()
    assert store.reuse(d) is True
    order.append("writer reused")
    t.join()
    assert order == ["gc done", "writer reused"]


def test_gc_keeps_a_touched_blob_and_writer_rewrites_a_deleted_one(s3_uri: str) -> None:
    store = get_blob_store(s3_uri, raw=True)
    d, _ = store.put_bytes(b"old blob")
    assert store.age_seconds(d) < 60
    assert store.delete_if_older(d, 3600) is False
    assert store.delete_if_older(d, 0) is True
    assert not store.has(d) and store.reuse(d) is False
    assert _objects(store) == []  # no marker left behind
    store.put_bytes(b"old blob")
    assert store.read_bytes(d) == b"old blob"


def test_clean_tmp_aborts_abandoned_uploads(s3_uri: str) -> None:
    store = get_blob_store(s3_uri, raw=True)
    d = hash_bytes(b"abandoned")
    store.client().create_multipart_upload(Bucket=store.bucket, Key=store._key(d))
    assert len(_uploads(store)) == 1
    assert store.clean_tmp(3600) == 0
    assert store.clean_tmp(0) == 1
    assert _uploads(store) == []


def test_quarantine_keeps_the_damaged_bytes_aside(s3_uri: str) -> None:
    store = get_blob_store(s3_uri, raw=True)
    d, _ = store.put_bytes(os.urandom(5000))
    store.client().put_object(Bucket=store.bucket, Key=store._key(d), Body=b"damaged")
    where = store.quarantine(d)
    assert where is not None and where.startswith(f"s3://{store.bucket}/{store.prefix}quarantine/")
    assert not store.has(d) and list(store.iter_digests()) == []
    key = where[len(f"s3://{store.bucket}/") :]
    assert store.client().get_object(Bucket=store.bucket, Key=key)["Body"].read() == b"damaged"
    assert store.quarantine(d) is None  # nothing left to move
