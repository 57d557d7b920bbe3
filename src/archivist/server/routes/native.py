"""Archivist's own endpoints (``/api/archivist/v1``): dedup-aware blob transfer, tree commits.

Every blob endpoint names the *owner* (a run id or a logged-model id) the bytes are for:

- ``POST /owners/{owner}/blobs/missing`` ``{"digests": [...]}`` -> ``{"missing": [...]}``
- ``PUT /owners/{owner}/blobs/{digest}``: the bytes, streamed; stored only if they hash to
  ``digest`` (a truncated or altered body is refused and leaves nothing behind).
- ``GET /owners/{owner}/blobs/{digest}``: streamed, ``Range: bytes=N-`` resumes; only a
  digest that the owner's tree names can be read.
- ``POST /owners/{owner}/blobs/{digest}/compose`` ``{"parts": [digest, ...]}``: a large blob
  made from parts uploaded like any blob (each part is retried alone by the client); the
  joined bytes are verified against ``digest`` before the blob exists.
- ``GET|POST|DELETE /owners/{owner}/entries``: list, commit (by digests already stored),
  delete tree entries.
- ``POST /runs/import``, ``POST /logged-models/import``, ``GET /logged-models/find``,
  ``POST /logged-models/{id}/metrics``: what push/pull and the REST store need beyond
  MLflow's API (keeping ids, linking a run's metrics to a model without re-logging them).

Access: reading bytes always goes through an owner whose tree names the digest, so knowing
a digest is not enough. ``_usable`` is the one place that decides which stored digests a
caller may commit (or skip uploading): today every stored blob, since the server has no
users yet; the access-control work narrows it to blobs named by owners the caller may read.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import queue
import re
from collections.abc import Iterable, Iterator
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from archivist.entities import RunTag, TreeEntry
from archivist.errors import InvalidArgument, PayloadTooLarge, ResourceNotFound
from archivist.paths import validate_artifact_path
from archivist.server.routing import Call, JsonResponse, api
from archivist.stores.blobs.hashing import split

__all__ = ["PREFIX", "routes"]

PREFIX = "/api/archivist/v1"
_FEED = 1 << 20  # bytes handed to the storing thread at a time
_READ = 1 << 20
_MAX_DIGESTS = 10_000
_MAX_PARTS = 10_000
_RUN_ID = re.compile(r"^[0-9a-f]{32}$")
_MODEL_ID = re.compile(r"^m-[0-9a-f]{32}$")


# -------------------------------------------------------------------------- owners, access
def _check_owner(stores: Any, owner_id: str, *, write: bool) -> str:
    """``owner_id`` is an existing run (active, to write) or logged model; else an error."""
    if _RUN_ID.match(owner_id):
        run = stores.tracking.get_run(owner_id)
        if write and run.info.lifecycle_stage != "active":
            raise InvalidArgument(f"run {owner_id} is deleted; restore it before logging to it")
        return owner_id
    if _MODEL_ID.match(owner_id):
        stores.tracking.get_logged_model(owner_id)
        return owner_id
    raise InvalidArgument(
        f"owner {owner_id[:80]!r} is neither a run id (32 hex) nor a logged model id (m-<32 hex>)"
    )


def _usable(call_stores: Any, request: Request, digests: Iterable[str]) -> set[str]:
    """The stored digests this caller may reference without sending their bytes."""
    wanted = set(digests)
    return set(call_stores.artifacts.blobs.has_many(wanted))


def _digests(value: Any, what: str) -> list[str]:
    if not isinstance(value, list) or len(value) > _MAX_DIGESTS:
        raise InvalidArgument(f"{what} must be a list of at most {_MAX_DIGESTS} digests")
    for d in value:
        if not isinstance(d, str):
            raise InvalidArgument(f"{what} holds {d!r}, which is not a digest string")
        split(d)
    return list(value)


def missing(call: Call) -> dict[str, Any]:
    """Which of ``digests`` the server lacks (for this owner): send only those."""
    _check_owner(call.stores, call.path["owner_id"], write=True)
    wanted = _digests(call.msg.data.get("digests", []), "field 'digests'")
    have = _usable(call.stores, call.request, wanted)
    return {"missing": sorted(set(wanted) - have)}


# -------------------------------------------------------------------------------- upload
class _Pipe(io.RawIOBase):
    """Bytes handed from the event loop to the thread that stores them, a few MiB at a time."""

    def __init__(self) -> None:
        super().__init__()
        self.q: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=8)
        self._buf = memoryview(b"")
        self._eof = False

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while not self._buf and not self._eof:
            item = self.q.get()
            if isinstance(item, BaseException):
                raise item
            if item is None:
                self._eof = True
            else:
                self._buf = memoryview(item)
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n

    def feed(self, item: bytes | BaseException | None, done: asyncio.Future[Any]) -> None:
        """Queue ``item`` unless the storing thread is gone (then nothing will read it)."""
        while not done.done():
            try:
                self.q.put(item, timeout=0.2)
                return
            except queue.Full:
                continue


def _store_stream(stores: Any, digest: str, pipe: _Pipe) -> None:
    blobs = stores.artifacts.blobs
    if blobs.reuse(digest):  # already stored: read the body to its end and keep nothing
        while pipe.read(_READ):
            pass
        return
    blobs.put(digest, pipe)  # verifies the digest; nothing is visible unless it matches


async def _receive(request: Request, digest: str, limit: int) -> int:
    """Stream the body into the blob store under ``digest``; returns its size."""
    stores = request.app.state.stores
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    pipe = _Pipe()
    loop = asyncio.get_running_loop()
    done: asyncio.Future[Any] = loop.run_in_executor(None, _store_stream, stores, digest, pipe)
    size = 0
    pending: list[bytes] = []
    pending_size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            pending.append(chunk)
            pending_size += len(chunk)
            if pending_size >= _FEED:
                await run_in_threadpool(pipe.feed, b"".join(pending), done)
                pending, pending_size = [], 0
        if declared.isdigit() and size != int(declared):
            raise InvalidArgument(f"the upload ended after {size} of {declared} bytes; send it again")
        if pending:
            await run_in_threadpool(pipe.feed, b"".join(pending), done)
        await run_in_threadpool(pipe.feed, None, done)
    except BaseException as e:
        stop = e if isinstance(e, Exception) else InvalidArgument("upload cancelled")
        if isinstance(e, ClientDisconnect):
            stop = InvalidArgument(f"the upload of {digest} was cut off after {size} bytes")
        await run_in_threadpool(pipe.feed, stop, done)
        with contextlib.suppress(Exception):
            await done
        if isinstance(e, ClientDisconnect):
            raise stop from None
        raise
    await done
    return size


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"the upload is over the server's limit of {limit} bytes; raise "
        "ARCHIVIST_SERVER_MAX_UPLOAD_BYTES on the server, or send the blob in parts"
    )


async def upload_blob(request: Request) -> Response:
    """PUT the bytes of one blob (or one part of a large one) for an owner."""
    stores = request.app.state.stores
    owner_id, digest = request.path_params["owner_id"], request.path_params["digest"]
    await run_in_threadpool(split, digest)
    await run_in_threadpool(_check_owner, stores, owner_id, write=True)
    size = await _receive(request, digest, request.app.state.config.max_upload_bytes)
    return JsonResponse({"digest": digest, "size": size})


def compose(call: Call) -> dict[str, Any]:
    """Join uploaded parts into the blob ``digest``, verified before it becomes visible."""
    owner_id, digest = call.path["owner_id"], call.path["digest"]
    split(digest)
    _check_owner(call.stores, owner_id, write=True)
    parts = _digests(call.msg.data.get("parts", []), "field 'parts'")
    if not parts or len(parts) > _MAX_PARTS:
        raise InvalidArgument(f"field 'parts' must list 1 to {_MAX_PARTS} part digests")
    blobs = call.stores.artifacts.blobs
    if blobs.reuse(digest):
        return {"digest": digest}
    absent = sorted(set(parts) - _usable(call.stores, call.request, parts))
    if absent:
        raise InvalidArgument(
            f"{len(absent)} part(s) of {digest} are not on the server (first: {absent[0]}); "
            "upload them, then compose again"
        )
    blobs.put(digest, _Joined(blobs, parts))  # type: ignore[arg-type]
    return {"digest": digest}


class _Joined(io.RawIOBase):
    """The bytes of several blobs one after the other (each verified as it is read)."""

    def __init__(self, blobs: Any, digests: list[str]) -> None:
        super().__init__()
        self._blobs = blobs
        self._todo = list(digests)
        self._current: Any = None

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while True:
            if self._current is None:
                if not self._todo:
                    return 0
                self._current = self._blobs.open(self._todo.pop(0))
            data = self._current.read(len(b))
            if data:
                b[: len(data)] = data
                return len(data)
            self._current.close()
            self._current = None


# ------------------------------------------------------------------------------ download
def _open_owned(stores: Any, owner_id: str, digest: str) -> tuple[Any, int]:
    split(digest)
    _check_owner(stores, owner_id, write=False)
    for entry in stores.tracking.list_tree_entries(owner_id):
        if entry.digest == digest:
            return stores.artifacts.blobs.open(digest), entry.size
    # the same answer whether or not the blob exists elsewhere
    raise ResourceNotFound(f"{owner_id} has no artifact with digest {digest}")


_RANGE = re.compile(r"^bytes=(\d+)-$")


async def download_blob(request: Request) -> Response:
    """GET a blob the owner's tree names; ``Range: bytes=N-`` skips what the client has."""
    stores = request.app.state.stores
    owner_id, digest = request.path_params["owner_id"], request.path_params["digest"]
    reader, size = await run_in_threadpool(_open_owned, stores, owner_id, digest)
    start = 0
    raw_range = request.headers.get("range")
    if raw_range:
        m = _RANGE.match(raw_range.strip())
        if m is None or int(m.group(1)) > size:
            reader.close()
            raise InvalidArgument(
                f"Range {raw_range[:60]!r} is not 'bytes=<offset>-' within the blob's {size} bytes"
            )
        start = int(m.group(1))

    def chunks() -> Iterator[bytes]:
        # skipped bytes are still read (and hashed), so the digest is verified to the end
        with reader:
            skip = start
            while skip:
                skip -= len(reader.read(min(skip, _READ)))
            while block := reader.read(_READ):
                yield block

    headers = {"Content-Length": str(size - start), "Accept-Ranges": "bytes"}
    status = 200
    if start:
        headers["Content-Range"] = f"bytes {start}-{size - 1}/{size}"
        status = 206
    return StreamingResponse(
        chunks(), status_code=status, media_type="application/octet-stream", headers=headers
    )


# ---------------------------------------------------------------------------- tree entries
def _entry_json(e: TreeEntry) -> dict[str, Any]:
    return {"path": e.path, "digest": e.digest, "size": e.size}


def list_entries(call: Call) -> dict[str, Any]:
    owner_id = _check_owner(call.stores, call.path["owner_id"], write=False)
    prefix = validate_artifact_path(call.msg.text("prefix", default="") or "")
    return {"entries": [_entry_json(e) for e in call.stores.tracking.list_tree_entries(
        owner_id, prefix)]}


def commit_entries(call: Call) -> dict[str, Any]:
    """Add entries to the owner's tree; each digest must be stored (and usable) already."""
    owner_id = _check_owner(call.stores, call.path["owner_id"], write=True)
    entries: dict[str, TreeEntry] = {}
    for item in call.msg.objects("entries"):
        path = validate_artifact_path(item.required("path"), name="entry path")
        if not path:
            raise InvalidArgument("an entry path is empty; give the file's path in the tree")
        size = item.integer("size", required=True)
        assert size is not None
        if size < 0:
            raise InvalidArgument(f"entry {path!r} has a negative size {size}")
        digest = item.required("digest")
        split(digest)
        entries[path] = TreeEntry(path, digest, size)
    absent = {e.digest for e in entries.values()} - _usable(
        call.stores, call.request, {e.digest for e in entries.values()}
    )
    if absent:
        raise InvalidArgument(
            f"{len(absent)} blob(s) are not on the server (first: {sorted(absent)[0]}); "
            "upload them before committing the entries that name them"
        )
    call.stores.tracking.put_tree_entries(owner_id, list(entries.values()))
    return {"committed": len(entries)}


def delete_entries(call: Call) -> dict[str, Any]:
    owner_id = _check_owner(call.stores, call.path["owner_id"], write=True)
    prefix = validate_artifact_path(call.msg.text("prefix", default="") or "")
    return {"deleted": call.stores.tracking.delete_tree_entries(owner_id, prefix)}


# -------------------------------------------------------------------------- ids preserved
def import_run(call: Call) -> dict[str, Any]:
    """Create a run with a given id (push keeps run ids); an existing id is an error."""
    m = call.msg
    tags = [RunTag(t.required("key"), t.text("value", default="") or "") for t in m.objects("tags")]
    start_time = m.integer("start_time", required=True)
    assert start_time is not None
    run = call.stores.tracking.create_run(
        m.text("experiment_id", default="0") or "0", m.text("user_id", default="") or "",
        start_time, tags, m.text("run_name"), run_id=m.required("run_id"),
    )
    return {"run_id": run.info.run_id}


def import_logged_model(call: Call) -> dict[str, Any]:
    """Create a logged model with a given id (push keeps model ids)."""
    m = call.msg
    model = call.stores.tracking.create_logged_model(
        m.required("experiment_id"), m.required("name"),
        source_run_id=m.text("source_run_id"), model_type=m.text("model_type"),
        params={p.required("key"): p.text("value", default="") or "" for p in m.objects("params")},
        tags={t.required("key"): t.text("value", default="") or "" for t in m.objects("tags")},
        model_id=m.required("model_id"),
    )
    return {"model_id": model.model_id}


def find_logged_model(call: Call) -> dict[str, Any]:
    """The newest READY model ``name`` of run ``run_id`` (``runs:/<run>/<name>`` URIs)."""
    found = call.stores.tracking.find_logged_model(call.msg.run_id(), call.msg.required("name"))
    return {"model_id": found.model_id} if found is not None else {}


def link_model_metrics(call: Call) -> dict[str, Any]:
    """Record metric points as a logged model's (what ``log_model`` links from its run)."""
    from archivist.entities import Metric
    from archivist.stores.tracking.logged_models import LoggedModelSql

    model_id = call.path["model_id"]
    points = []
    for m in call.msg.objects("metrics"):
        value = m.number("value", required=True)
        assert value is not None
        points.append(Metric(
            m.required("key"), value, m.integer("timestamp", default=0) or 0,
            m.integer("step", default=0) or 0, model_id=model_id, run_id=m.text("run_id"),
            dataset_name=m.text("dataset_name"), dataset_digest=m.text("dataset_digest"),
        ))
    LoggedModelSql(call.stores.tracking.db).log_metrics(points)
    return {}


def _owner_routes() -> list[BaseRoute]:
    base = "/owners/{owner_id}"
    return [
        api(f"{base}/blobs/missing", missing, ["POST"], prefix=PREFIX),
        Route(PREFIX + base + "/blobs/{digest}", upload_blob, methods=["PUT"]),
        Route(PREFIX + base + "/blobs/{digest}", download_blob, methods=["GET"]),
        api(f"{base}/blobs/{{digest}}/compose", compose, ["POST"], prefix=PREFIX),
        api(f"{base}/entries", list_entries, ["GET"], prefix=PREFIX),
        api(f"{base}/entries", commit_entries, ["POST"], prefix=PREFIX),
        api(f"{base}/entries", delete_entries, ["DELETE"], prefix=PREFIX),
    ]


routes: list[BaseRoute] = [
    *_owner_routes(),
    api("/runs/import", import_run, ["POST"], prefix=PREFIX),
    api("/logged-models/import", import_logged_model, ["POST"], prefix=PREFIX),
    api("/logged-models/find", find_logged_model, ["GET"], prefix=PREFIX),
    api("/logged-models/{model_id}/metrics", link_model_metrics, ["POST"], prefix=PREFIX),
]
