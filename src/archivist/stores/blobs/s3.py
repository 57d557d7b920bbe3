"""Blobs in an S3 bucket (AWS, or any S3-compatible server: MinIO, SeaweedFS, ...).

URI ``s3://bucket/prefix``. Layout under the prefix::

    objects/<algorithm>/<ab>/<hex>   one object per blob; metadata ``codec`` (raw or zstd)
    touched/<algorithm>/<hex>        empty marker a writer puts when it reuses a blob
    gc/<algorithm>/<hex>             empty marker gc holds while it deletes a blob

Credentials come from boto3's standard chain (environment, shared files, instance
roles); the endpoint from ``ARCHIVIST_S3_ENDPOINT_URL``, else ``MLFLOW_S3_ENDPOINT_URL``,
else AWS's own resolution (``AWS_ENDPOINT_URL_S3`` included).

Writes never expose a partial object: a small blob is one ``PutObject``; a large one a
multipart upload whose parts go up in parallel and which becomes visible only when it is
completed, after the bytes were hashed and matched the digest (otherwise it is aborted).
Both are conditional creates (``If-None-Match: *``) where the server supports it, so a
blob is never overwritten, and carry a CRC32 checksum that the server verifies. Reads hash
what they return, as the local store does. Dedup trusts a stored object (the server
checked its checksum on the way in, and S3 keeps its own integrity checks); ``archivist
verify`` reads every object back to find damage.

gc and writers meet through the two markers (S3 has no rename to fall back on): gc puts
``gc/<hex>``, checks the blob's age (its own and its ``touched`` marker's, as the server's
clock tells), deletes it, and removes the marker; a writer that wants to reuse a blob puts
``touched/<hex>``, waits while a fresh ``gc/<hex>`` exists, then checks that the blob is
still there. Either gc sees the touch and keeps the blob, or the writer sees it gone and
uploads it again.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, BinaryIO

from archivist import config
from archivist.errors import ArchivistError, ArtifactCorrupted, InvalidArgument, PermissionDenied
from archivist.stores.blobs.base import (
    BlobStore,
    SourceChanged,
    VerifyingReader,
    corrupted,
    download_tmp,
)
from archivist.stores.blobs.codec import compressor, decompressing_reader, worth_compressing
from archivist.stores.blobs.hashing import CHUNK, new_hasher, split

if TYPE_CHECKING:
    from datetime import datetime

__all__ = ["S3BlobStore", "parse_s3_uri"]

_MiB = 1 << 20
#: Blobs up to this size go up in one PutObject; larger ones as a multipart upload.
SINGLE_PUT_MAX = 16 * _MiB
#: Part size of multipart uploads and ranged downloads (raised for huge blobs: S3 allows
#: 10,000 parts).
PART_SIZE = 16 * _MiB
_MAX_PARTS = 9_000
#: A gc marker older than this belongs to a gc that died; writers stop waiting for it, and
#: a gc that has held its marker for half as long gives up on the blob.
GC_MARKER_STALE = 60.0
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` -> ``('bucket', 'some/prefix/')`` (prefix '' for none)."""
    if not uri.startswith("s3://"):
        raise InvalidArgument(f"S3 URI {uri!r} must start with s3://; write s3://bucket/prefix")
    bucket, _, prefix = uri[len("s3://") :].partition("/")
    if not _BUCKET.match(bucket) or ".." in bucket:
        raise InvalidArgument(
            f"S3 URI {uri!r} names bucket {bucket!r}, which is not a valid bucket name; use "
            "3-63 lowercase letters, digits, '-' and '.', starting and ending with a letter "
            "or digit"
        )
    parts = [p for p in prefix.split("/") if p]
    if any(p in (".", "..") for p in parts):
        raise InvalidArgument(f"S3 URI {uri!r} has '.' or '..' in its prefix; give a plain prefix")
    return bucket, "".join(f"{p}/" for p in parts)


def _code(e: Exception) -> str:
    response = getattr(e, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _status(e: Exception) -> int:
    response = getattr(e, "response", None) or {}
    return int(response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


def _server_now(response: dict[str, Any]) -> datetime | None:
    date = response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
    return parsedate_to_datetime(date) if date else None


class _GcMarkerHeld(Exception):
    pass


class S3BlobStore(BlobStore):
    """Content-addressed blobs in an S3 bucket under a prefix.

    Args:
        uri: ``s3://bucket/prefix``.
        client: a boto3 S3 client to use instead of one built from the environment.
        endpoint_url: overrides ``ARCHIVIST_S3_ENDPOINT_URL`` / ``MLFLOW_S3_ENDPOINT_URL``.
        max_workers: parallel requests for multipart uploads, ranged downloads and
            batched lookups.

    Example:
        >>> store = S3BlobStore("s3://ml-artifacts/team-a")
        >>> digest, size = store.put_file("model.pkl")
        >>> store.copy_to(digest, "/tmp/model.pkl")
    """

    #: Reads cross a network: callers may front this store with a local cache.
    remote = True

    def __init__(
        self,
        uri: str,
        *,
        client: Any = None,
        endpoint_url: str | None = None,
        max_workers: int = 8,
    ) -> None:
        self.bucket, self.prefix = parse_s3_uri(uri)
        self.uri = f"s3://{self.bucket}/{self.prefix}"
        self._endpoint = (
            endpoint_url
            or config.S3_ENDPOINT_URL.get()
            or os.environ.get("MLFLOW_S3_ENDPOINT_URL")
            or None
        )
        self._given_client = client
        self._client_obj: Any = None
        self._client_pid = 0
        self._client_lock = threading.Lock()
        self._workers = max(1, max_workers)
        self._conditional = True  # If-None-Match: * until the server says it cannot
        self._bucket_checked = False

    # -- client ----------------------------------------------------------------------------
    def client(self) -> Any:
        """The boto3 client: one per process (boto3 clients are thread-safe, not fork-safe)."""
        if self._given_client is not None:
            return self._given_client
        pid = os.getpid()
        if self._client_pid != pid:
            with self._client_lock:
                if self._client_pid != pid:
                    self._client_obj = self._new_client()
                    self._client_pid = pid
        return self._client_obj

    def _new_client(self) -> Any:
        import boto3
        from botocore.config import Config

        cfg = Config(
            retries={"max_attempts": 5, "mode": "standard"},
            max_pool_connections=max(10, 4 * self._workers),
            s3={"addressing_style": "path"} if self._endpoint else {},
        )
        return boto3.session.Session().client("s3", endpoint_url=self._endpoint, config=cfg)

    def _call(self, what: str, fn: Callable[..., Any], **kwargs: Any) -> Any:
        """Call the client, turning credential and access failures into clear errors."""
        from botocore.exceptions import (
            ClientError,
            EndpointConnectionError,
            NoCredentialsError,
        )

        try:
            return fn(**kwargs)
        except NoCredentialsError:
            raise PermissionDenied(
                f"no AWS credentials found for {self.uri}; set AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run where an instance role applies"
            ) from None
        except EndpointConnectionError as e:
            raise ArchivistError(
                f"cannot reach the S3 endpoint for {self.uri} ({e}); check "
                "ARCHIVIST_S3_ENDPOINT_URL (or MLFLOW_S3_ENDPOINT_URL) and the network"
            ) from None
        except ClientError as e:
            code = _code(e)
            if code in ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "403"):
                raise PermissionDenied(
                    f"S3 refused {what} in {self.uri} ({code}); check the credentials and "
                    "that they may read and write this bucket and prefix"
                ) from None
            if code == "NoSuchBucket":
                raise InvalidArgument(
                    f"bucket {self.bucket!r} of {self.uri} does not exist; create it first "
                    f"(aws s3 mb s3://{self.bucket})"
                ) from None
            raise

    # -- keys ------------------------------------------------------------------------------
    def _key(self, digest: str) -> str:
        algorithm, hexpart = split(digest)
        return f"{self.prefix}objects/{algorithm}/{hexpart[:2]}/{hexpart}"

    def _marker(self, kind: str, digest: str) -> str:
        algorithm, hexpart = split(digest)
        return f"{self.prefix}{kind}/{algorithm}/{hexpart}"

    def _head(self, key: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            return self._call("HEAD", self.client().head_object, Bucket=self.bucket, Key=key)  # type: ignore[no-any-return]
        except ClientError as e:
            if _status(e) == 404 or _code(e) in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def _age(self, key: str) -> float | None:
        """Seconds since ``key`` was last written, by the server's clock; None if absent."""
        head = self._head(key)
        if head is None:
            return None
        now = _server_now(head)
        if now is None:
            return max(0.0, time.time() - float(head["LastModified"].timestamp()))
        return max(0.0, float((now - head["LastModified"]).total_seconds()))

    # -- the five primitives ---------------------------------------------------------------
    def has(self, digest: str) -> bool:
        return self._head(self._key(digest)) is not None

    def put(self, digest: str, data: BinaryIO) -> None:
        algorithm, _ = split(digest)
        head = data.read(SINGLE_PUT_MAX + 1)
        compress = worth_compressing(head)
        if len(head) <= SINGLE_PUT_MAX:
            actual = new_hasher(algorithm)
            actual.update(head)
            self._check(digest, f"{algorithm}:{actual.hexdigest()}")
            body = compressor().compress(head) if compress else head
            created = self._put_single(self._key(digest), body, compress, len(head))
        else:
            created = self._put_multipart(digest, head, data, compress)
        if not created and not self.touch(digest):
            # it existed but a gc removed it meanwhile: this write must land
            raise ArchivistError(
                f"blob {digest} was being removed by a concurrent 'archivist gc' in {self.uri} "
                "while it was stored; log the artifact again"
            )

    @staticmethod
    def _check(digest: str, actual: str) -> None:
        if actual != digest:
            raise SourceChanged(
                f"bytes given for blob {digest} hash to {actual}; the source changed while it "
                "was being stored or the digest is wrong"
            )

    def _conditional_kwargs(self) -> dict[str, str]:
        return {"IfNoneMatch": "*"} if self._conditional else {}

    def _put_single(self, key: str, body: bytes, compressed: bool, size: int) -> bool:
        """PutObject; False when the object already existed (nothing was written)."""
        from botocore.exceptions import ClientError

        meta = {"codec": "zstd" if compressed else "raw", "size": str(size)}
        try:
            self._call(
                "PutObject", self.client().put_object, Bucket=self.bucket, Key=key, Body=body,
                Metadata=meta, ChecksumAlgorithm="CRC32", **self._conditional_kwargs(),
            )
        except ClientError as e:
            if _code(e) in ("PreconditionFailed", "ConditionalRequestConflict") or _status(e) == 412:
                return False
            if self._conditional and _code(e) == "NotImplemented":
                self._conditional = False
                return self._put_single(key, body, compressed, size)
            raise
        return True

    def _part_size(self, data: BinaryIO) -> int:
        try:
            size = os.fstat(data.fileno()).st_size
        except (AttributeError, OSError, io.UnsupportedOperation):
            return 4 * PART_SIZE
        return max(PART_SIZE, -(-size // _MAX_PARTS))

    def _put_multipart(self, digest: str, head: bytes, data: BinaryIO, compress: bool) -> bool:
        from botocore.exceptions import ClientError

        algorithm, _ = split(digest)
        key = self._key(digest)
        client = self.client()
        upload = self._call(
            "CreateMultipartUpload", client.create_multipart_upload, Bucket=self.bucket,
            Key=key, Metadata={"codec": "zstd" if compress else "raw"}, ChecksumAlgorithm="CRC32",
        )
        upload_id = upload["UploadId"]
        part_size = self._part_size(data)
        hasher = new_hasher(algorithm)
        zc = compressor().compressobj() if compress else None
        parts: list[dict[str, Any]] = []
        pending: deque[Future[dict[str, Any]]] = deque()

        def send(number: int, body: bytes) -> dict[str, Any]:
            r = self._call(
                "UploadPart", client.upload_part, Bucket=self.bucket, Key=key,
                UploadId=upload_id, PartNumber=number, Body=body, ChecksumAlgorithm="CRC32",
            )
            return {"PartNumber": number, "ETag": r["ETag"], "ChecksumCRC32": r.get("ChecksumCRC32")}

        try:
            with ThreadPoolExecutor(self._workers) as pool:
                buf = bytearray()
                chunk = head
                number = 0
                while True:
                    if chunk:
                        hasher.update(chunk)
                        buf += zc.compress(chunk) if zc is not None else chunk
                    else:
                        if zc is not None:
                            buf += zc.flush()
                    while len(buf) >= part_size or (not chunk and (buf or number == 0)):
                        number += 1
                        body = bytes(buf[:part_size])
                        del buf[:part_size]
                        pending.append(pool.submit(send, number, body))
                        if len(pending) > self._workers:
                            parts.append(pending.popleft().result())
                    if not chunk:
                        break
                    chunk = data.read(max(CHUNK, part_size))
                while pending:
                    parts.append(pending.popleft().result())
            self._check(digest, f"{algorithm}:{hasher.hexdigest()}")
            for p in parts:
                if p["ChecksumCRC32"] is None:
                    del p["ChecksumCRC32"]
            try:
                self._call(
                    "CompleteMultipartUpload", client.complete_multipart_upload,
                    Bucket=self.bucket, Key=key, UploadId=upload_id,
                    MultipartUpload={"Parts": parts}, **self._conditional_kwargs(),
                )
            except ClientError as e:
                if _code(e) in ("PreconditionFailed", "ConditionalRequestConflict") or _status(e) == 412:
                    self._abort(key, upload_id)
                    return False
                raise
        except BaseException:
            for f in pending:
                f.cancel()
            self._abort(key, upload_id)
            raise
        return True

    def _abort(self, key: str, upload_id: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        # if this fails too, gc's clean_tmp aborts the upload later
        with contextlib.suppress(ClientError, BotoCoreError):
            self.client().abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)

    def _get(self, digest: str, **kwargs: Any) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        try:
            return self._call(  # type: ignore[no-any-return]
                "GetObject", self.client().get_object, Bucket=self.bucket, Key=self._key(digest),
                **kwargs,
            )
        except ClientError as e:
            if _code(e) in ("NoSuchKey", "404") or _status(e) == 404:
                raise ArtifactCorrupted(
                    f"blob {digest} is missing from {self.uri}; an artifact references bytes "
                    "that are gone. Run 'archivist verify' to list what is affected"
                ) from None
            raise

    def open(self, digest: str) -> BinaryIO:
        r = self._get(digest)
        raw: BinaryIO = r["Body"]
        if r.get("Metadata", {}).get("codec") == "zstd":
            raw = decompressing_reader(raw)
        where = f"s3://{self.bucket}/{self._key(digest)}"
        return io.BufferedReader(VerifyingReader(raw, digest, where), CHUNK)  # type: ignore[return-value]

    def delete(self, digest: str) -> None:
        self._call(
            "DeleteObjects", self.client().delete_objects, Bucket=self.bucket,
            Delete={"Objects": [{"Key": self._key(digest)}, {"Key": self._marker("touched", digest)}],
                    "Quiet": True},
        )

    def iter_digests(self) -> Iterator[str]:
        paginator = self.client().get_paginator("list_objects_v2")
        start = f"{self.prefix}objects/"
        for page in self._call("ListObjectsV2", paginator.paginate, Bucket=self.bucket, Prefix=start):
            for obj in page.get("Contents", ()):
                algorithm, _, rest = obj["Key"][len(start) :].partition("/")
                name = rest.rpartition("/")[2]
                if algorithm and name:
                    yield f"{algorithm}:{name}"

    # -- derived, done better on S3 --------------------------------------------------------
    def has_many(self, digests: Iterable[str]) -> set[str]:
        """Parallel HEAD requests."""
        wanted = list(dict.fromkeys(digests))
        if len(wanted) < 2:
            return {d for d in wanted if self.has(d)}
        with ThreadPoolExecutor(min(len(wanted), 4 * self._workers)) as pool:
            present = pool.map(self.has, wanted)
            return {d for d, ok in zip(wanted, present, strict=True) if ok}

    def touch(self, digest: str) -> bool:
        self._call(
            "PutObject", self.client().put_object, Bucket=self.bucket,
            Key=self._marker("touched", digest), Body=b"",
        )
        deadline = time.monotonic() + GC_MARKER_STALE
        pause = 0.02
        while time.monotonic() < deadline:
            age = self._age(self._marker("gc", digest))
            if age is None or age >= GC_MARKER_STALE:
                break
            time.sleep(pause)  # a gc is deciding about this blob: let it finish
            pause = min(pause * 2, 0.5)
        return self.has(digest)

    def age_seconds(self, digest: str) -> float:
        own = self._age(self._key(digest))
        if own is None:
            return 0.0
        touched = self._age(self._marker("touched", digest))
        return own if touched is None else min(own, touched)

    def delete_if_older(self, digest: str, seconds: float) -> bool:
        started = time.monotonic()
        marker = self._marker("gc", digest)
        self._call("PutObject", self.client().put_object, Bucket=self.bucket, Key=marker, Body=b"")
        try:
            if self._head(self._key(digest)) is None or self.age_seconds(digest) < seconds:
                return False
            if time.monotonic() - started > GC_MARKER_STALE / 2:
                return False  # writers may no longer be waiting for us
            self.delete(digest)
            return True
        finally:
            self._call("DeleteObject", self.client().delete_object, Bucket=self.bucket, Key=marker)

    def quarantine(self, digest: str) -> str | None:
        """Move a damaged blob to ``<prefix>quarantine/`` (a server-side copy); returns its URI."""
        algorithm, hexpart = split(digest)
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        target = f"{self.prefix}quarantine/{algorithm}-{hexpart}.{stamp}"
        from botocore.exceptions import ClientError

        try:
            self._call(
                "CopyObject", self.client().copy, CopySource={"Bucket": self.bucket, "Key": self._key(digest)},
                Bucket=self.bucket, Key=target,
            )
        except ClientError as e:
            if _status(e) == 404 or _code(e) in ("404", "NoSuchKey"):
                return None
            raise
        self.delete(digest)
        return f"s3://{self.bucket}/{target}"

    def stored_size(self, digest: str) -> int:
        head = self._head(self._key(digest))
        return 0 if head is None else int(head["ContentLength"])

    def clean_tmp(self, older_than: float) -> int:
        """Abort multipart uploads and drop gc markers that crashed writers or gcs left."""
        n = 0
        client = self.client()
        paginator = client.get_paginator("list_multipart_uploads")
        for page in self._call("ListMultipartUploads", paginator.paginate, Bucket=self.bucket,
                               Prefix=f"{self.prefix}objects/"):
            now = _server_now(page)
            for up in page.get("Uploads", ()):
                age = (now - up["Initiated"]).total_seconds() if now else time.time() - up["Initiated"].timestamp()
                if age >= older_than:
                    self._abort(up["Key"], up["UploadId"])
                    n += 1
        objects = client.get_paginator("list_objects_v2")
        for page in self._call("ListObjectsV2", objects.paginate, Bucket=self.bucket,
                               Prefix=f"{self.prefix}gc/"):
            now = _server_now(page)
            for obj in page.get("Contents", ()):
                age = (now - obj["LastModified"]).total_seconds() if now else 0.0
                if age > max(older_than, GC_MARKER_STALE):
                    client.delete_object(Bucket=self.bucket, Key=obj["Key"])
                    n += 1
        return n

    def put_files(
        self, paths: list[str], progress: Callable[[int], object] | None = None
    ) -> list[tuple[str, int]]:
        """Store many files with parallel requests (each large file also uploads in parallel)."""
        if len(paths) < 2:
            return super().put_files(paths, progress)
        results: list[tuple[str, int]] = []
        with ThreadPoolExecutor(self._workers) as pool:
            for stored in pool.map(self.put_file, paths):
                results.append(stored)
                if progress is not None:
                    progress(stored[1])
        return results

    def read_range(self, digest: str, offset: int, length: int) -> bytes:
        """Stored bytes by position with one ranged GET (unverified; see BlobStore)."""
        head = self._head(self._key(digest))
        if head is None or head.get("Metadata", {}).get("codec") == "zstd":
            return super().read_range(digest, offset, length)
        end = min(offset + length, int(head["ContentLength"])) - 1
        if length <= 0 or end < offset:
            return b""
        body: bytes = self._get(digest, Range=f"bytes={offset}-{end}", IfMatch=head["ETag"])["Body"].read()
        return body

    def copy_to(self, digest: str, dest: str, *, link: bool = False) -> None:
        """Download with parallel ranged GETs, hashing in order as the parts arrive."""
        head = self._head(self._key(digest))
        if head is None:
            self._get(digest)  # raises the "missing" error
        assert head is not None
        size = int(head["ContentLength"])
        if head.get("Metadata", {}).get("codec") == "zstd" or size <= SINGLE_PUT_MAX:
            super().copy_to(digest, dest)
            return
        algorithm, _ = split(digest)
        etag = head["ETag"]
        part = max(PART_SIZE, -(-size // _MAX_PARTS))
        tmp = download_tmp(dest)
        hasher = new_hasher(algorithm)

        def fetch(start: int) -> bytes:
            r = self._get(digest, Range=f"bytes={start}-{min(size, start + part) - 1}", IfMatch=etag)
            body: bytes = r["Body"].read()
            return body

        try:
            with ThreadPoolExecutor(self._workers) as pool, open(tmp, "wb") as out:
                starts = iter(range(0, size, part))
                pending: deque[Future[bytes]] = deque()
                for start in starts:
                    pending.append(pool.submit(fetch, start))
                    if len(pending) > self._workers:
                        break
                while pending:
                    data = pending.popleft().result()
                    hasher.update(data)
                    out.write(data)
                    nxt = next(starts, None)
                    if nxt is not None:
                        pending.append(pool.submit(fetch, nxt))
            actual = f"{algorithm}:{hasher.hexdigest()}"
            if actual != digest:
                raise corrupted(digest, f"s3://{self.bucket}/{self._key(digest)}", actual)
            os.replace(tmp, dest)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
