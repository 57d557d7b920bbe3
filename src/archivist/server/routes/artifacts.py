"""The artifact proxy (``/api/2.0/mlflow-artifacts``): upload, download, list, delete, multipart.

Every path is checked (``server/locations.py``) and must lie in a run's or a logged
model's artifact root. Bytes stream in both directions: an upload is hashed while it is
written to a temporary file, stored once by content (an already-stored file costs no
space) and only then entered in the owner's tree, so a broken upload leaves nothing.
Multipart parts are stored as blobs; ``complete`` joins them, so any worker can serve
any part.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import posixpath
import secrets
import tempfile
from collections.abc import Iterator
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from archivist.entities import TreeEntry
from archivist.errors import InvalidArgument, PayloadTooLarge, ResourceNotFound
from archivist.server.locations import Target, check_request_path, resolve_artifact_path
from archivist.server.routing import Call, JsonResponse, api

__all__ = ["routes"]

PREFIX = "/api/2.0/mlflow-artifacts"
_CHUNK = 1 << 20
_BATCH = 8 << 20


class _Spool:
    """A temporary file that hashes what is written to it."""

    def __init__(self, algorithm: str) -> None:
        from archivist.stores.blobs.hashing import new_hasher

        self.algorithm = algorithm
        self.hasher = new_hasher(algorithm)
        fd, self.path = tempfile.mkstemp(prefix="archivist-upload-")
        self.file = os.fdopen(fd, "wb")
        self.size = 0

    def write(self, data: bytes) -> None:
        self.hasher.update(data)
        self.file.write(data)
        self.size += len(data)

    def store(self, call_stores: Any) -> tuple[str, int]:
        """Put the bytes in the blob store (once per content); returns (digest, size)."""
        self.file.close()
        digest = f"{self.algorithm}:{self.hasher.hexdigest()}"
        blobs = call_stores.artifacts.blobs
        if not blobs.reuse(digest):
            stored, _ = blobs.put_file(self.path)
            if stored != digest:  # the spool changed under us: never record a wrong digest
                raise InvalidArgument("the upload changed while it was stored; send it again")
        return digest, self.size

    def discard(self) -> None:
        if not self.file.closed:
            self.file.close()
        if os.path.exists(self.path):
            os.unlink(self.path)


async def _receive_to_blob(request: Request, limit: int) -> tuple[str, int]:
    stores = request.app.state.stores
    spool = _Spool(stores.artifacts.blobs.algorithm)
    try:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise _too_large(limit)
        pending: list[bytes] = []
        pending_size = 0
        async for chunk in request.stream():
            if spool.size + pending_size + len(chunk) > limit:
                raise _too_large(limit)
            pending.append(chunk)
            pending_size += len(chunk)
            if pending_size >= _BATCH:
                await run_in_threadpool(spool.write, b"".join(pending))
                pending, pending_size = [], 0
        if pending:
            await run_in_threadpool(spool.write, b"".join(pending))
        return await run_in_threadpool(spool.store, stores)
    finally:
        await run_in_threadpool(spool.discard)


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"the upload is over the server's limit of {limit} bytes; raise "
        "ARCHIVIST_SERVER_MAX_UPLOAD_BYTES on the server for larger artifacts"
    )


def _owned_target(stores: Any, raw: str) -> Target:
    target = resolve_artifact_path(stores, raw)
    if target is None or not target.path:
        raise InvalidArgument(
            f"artifact path {raw[:120]!r} names no file inside a run's or logged model's "
            "artifact root; paths look like <experiment id>/<run id>/artifacts/<file>"
        )
    return target


async def upload(request: Request) -> Response:
    """PUT a file's bytes at ``<exp>/<run id>/artifacts/<path>`` (or a logged model's root)."""
    stores = request.app.state.stores
    raw = request.path_params["path"]
    target = await run_in_threadpool(_owned_target, stores, raw)
    digest, size = await _receive_to_blob(request, request.app.state.config.max_upload_bytes)
    await run_in_threadpool(
        stores.tracking.put_tree_entries, target.owner_id, [TreeEntry(target.path, digest, size)]
    )
    return JsonResponse({})


def _open_file(stores: Any, raw: str) -> tuple[Any, int]:
    target = _owned_target(stores, raw)
    for entry in stores.tracking.list_tree_entries(target.owner_id, target.path):
        if entry.path == target.path:
            return stores.artifacts.blobs.open(entry.digest), entry.size
    raise ResourceNotFound(f"artifact {raw[:120]!r} does not exist")


async def download(request: Request) -> Response:
    """GET a file's bytes, streamed and verified against its digest as they are read."""
    stores = request.app.state.stores
    reader, size = await run_in_threadpool(_open_file, stores, request.path_params["path"])

    def chunks() -> Iterator[bytes]:
        with reader:
            while block := reader.read(_CHUNK):
                yield block

    return StreamingResponse(
        chunks(), media_type="application/octet-stream", headers={"Content-Length": str(size)}
    )


def _delete(stores: Any, raw: str) -> None:
    target = resolve_artifact_path(stores, raw)
    if target is None:
        raise InvalidArgument(
            f"artifact path {raw[:120]!r} is above any run's or logged model's artifact root; "
            "delete artifacts inside one"
        )
    stores.tracking.delete_tree_entries(target.owner_id, target.path)


async def delete(request: Request) -> Response:
    """DELETE a file or a folder (everything under it) from an owner's tree."""
    await run_in_threadpool(_delete, request.app.state.stores, request.path_params["path"])
    return JsonResponse({})


def list_artifacts(call: Call) -> dict[str, Any]:
    """``?path=<dir>``: its children as basenames; a file or an unknown path lists nothing."""
    target = resolve_artifact_path(call.stores, call.msg.text("path", default="") or "")
    if target is None:
        return {}
    files = call.stores.artifacts.listdir(target.owner_id, target.path or None)
    return {"files": [_file_json(f, basename=True) for f in files]} if files else {}


def _file_json(f: Any, *, basename: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "path": posixpath.basename(f.path) if basename else f.path,
        "is_dir": f.is_dir,
    }
    if f.file_size is not None:
        out["file_size"] = f.file_size
    return out


def list_run_artifacts(call: Call) -> dict[str, Any]:
    """``/api/2.0/mlflow/artifacts/list``: a run's folder, paths relative to the run's root."""
    run = call.stores.tracking.get_run(call.msg.run_id())
    path = check_request_path(call.msg.text("path", default="") or "")
    files = call.stores.artifacts.listdir(run.info.run_id, path or None)
    out: dict[str, Any] = {"root_uri": run.info.artifact_uri}
    if files:
        out["files"] = [_file_json(f, basename=False) for f in files]
    return out


# ---------------------------------------------------------------------- multipart


def _encode_upload(path: str, num_parts: int) -> str:
    raw = json.dumps({"p": path, "n": num_parts, "r": secrets.token_hex(8)}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_upload(upload_id: str) -> tuple[str, int]:
    try:
        data = json.loads(base64.urlsafe_b64decode(upload_id.encode()))
        path, n = data["p"], data["n"]
        if isinstance(path, str) and isinstance(n, int):
            return path, n
    except (ValueError, KeyError, TypeError, binascii.Error):
        pass
    raise InvalidArgument(f"upload_id {upload_id[:60]!r} is not one this server issued")


def _mpu_file(call: Call) -> str:
    local = call.msg.required("path")
    name = posixpath.basename(local.replace("\\", "/"))
    if not name:
        raise InvalidArgument(f"path {local[:120]!r} names no file")
    return posixpath.join(call.path["path"], name)


def mpu_create(call: Call) -> dict[str, Any]:
    file_path = _mpu_file(call)
    _owned_target(call.stores, file_path)
    num_parts = call.msg.integer("num_parts", default=1) or 1
    if not 1 <= num_parts <= 10_000:
        raise InvalidArgument(f"num_parts={num_parts} must be from 1 to 10000")
    upload_id = _encode_upload(file_path, num_parts)
    base = f"{call.base_url}{PREFIX}/mpu/part/{upload_id}"
    return {
        "upload_id": upload_id,
        "credentials": [
            {"url": f"{base}/{n}", "part_number": n, "headers": {}}
            for n in range(1, num_parts + 1)
        ],
    }


async def mpu_part(request: Request) -> Response:
    """PUT one part; it is stored as a blob and its digest is the ETag."""
    _, num_parts = _decode_upload(request.path_params["upload_id"])
    part = int(request.path_params["part_number"])
    if not 1 <= part <= num_parts:
        raise InvalidArgument(f"part_number {part} is outside 1..{num_parts} of this upload")
    digest, _ = await _receive_to_blob(request, request.app.state.config.max_upload_bytes)
    return JsonResponse({}, headers={"ETag": digest})


def mpu_complete(call: Call) -> dict[str, Any]:
    file_path = _mpu_file(call)
    upload_path, num_parts = _decode_upload(call.msg.required("upload_id"))
    if upload_path != file_path:
        raise InvalidArgument(f"upload_id belongs to {upload_path!r}, not to {file_path!r}")
    target = _owned_target(call.stores, file_path)
    parts = sorted(call.msg.objects("parts"), key=lambda p: p.integer("part_number") or 0)
    numbers = [p.integer("part_number") for p in parts]
    if numbers != list(range(1, num_parts + 1)):
        raise InvalidArgument(
            f"parts {numbers} do not cover 1..{num_parts}; upload every part, then complete"
        )
    blobs = call.stores.artifacts.blobs
    spool = _Spool(blobs.algorithm)
    try:
        for p in parts:
            etag = p.required("etag").strip('"')
            if not blobs.has(etag):
                raise InvalidArgument(f"part {p.integer('part_number')} (ETag {etag[:80]!r}) "
                                      "was not uploaded to this server; upload it again")
            with blobs.open(etag) as reader:
                while block := reader.read(_BATCH):
                    spool.write(block)
        digest, size = spool.store(call.stores)
    finally:
        spool.discard()
    call.stores.tracking.put_tree_entries(target.owner_id, [TreeEntry(target.path, digest, size)])
    return {}


def mpu_abort(call: Call) -> dict[str, Any]:
    # Parts are unreferenced blobs: gc reclaims them after its grace period.
    _decode_upload(call.msg.required("upload_id"))
    return {}


def server_info(call: Call) -> dict[str, Any]:
    """What ``mlflow`` probes before transfers: proxy multipart uploads are supported."""
    return {
        "store_type": "SqlStore",
        "workspaces_enabled": False,
        "multipart_uploads_enabled": True,
        "multipart_downloads_enabled": False,
    }


routes: list[BaseRoute] = [
    api("/artifacts", list_artifacts, ["GET"], prefix=PREFIX),
    Route(PREFIX + "/artifacts/{path:path}", upload, methods=["PUT"]),
    Route(PREFIX + "/artifacts/{path:path}", download, methods=["GET"]),
    Route(PREFIX + "/artifacts/{path:path}", delete, methods=["DELETE"]),
    api("/mpu/create/{path:path}", mpu_create, ["POST"], prefix=PREFIX),
    api("/mpu/complete/{path:path}", mpu_complete, ["POST"], prefix=PREFIX),
    api("/mpu/abort/{path:path}", mpu_abort, ["POST"], prefix=PREFIX),
    Route(PREFIX + "/mpu/part/{upload_id}/{part_number:int}", mpu_part, methods=["PUT"]),
    api("/artifacts/list", list_run_artifacts, ["GET"]),
    api("/server-info", server_info, ["GET"], prefix="/api/3.0/mlflow"),
]
