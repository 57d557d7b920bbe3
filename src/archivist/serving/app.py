"""The scoring server: one loaded model behind MLflow's ``/invocations`` protocol.

Routes:

- ``GET /ping`` and ``GET /health``: ``{"status": "ok"}`` once the model is loaded;
- ``GET /version``: ``{"version": "<archivist version>"}``;
- ``POST /invocations``: a JSON or CSV body (see :mod:`archivist.serving.scoring`),
  answered with ``{"predictions": ...}``.

Errors are JSON ``{"error_code", "message"}``: 400 for a malformed body or an input that
does not fit the model's signature, 413 for a body over the size limit, 415 for an
unsupported content type, 500 when the model itself fails. No error stops the server.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from archivist import config
from archivist._version import __version__
from archivist.errors import HTTP_STATUS, ArchivistError, InvalidArgument
from archivist.serving.scoring import score

if TYPE_CHECKING:
    from archivist.flavors.pyfunc import PyFuncModel

__all__ = ["create_app"]

_logger = logging.getLogger("archivist.serving")

_HTTP_CODES = {404: "ENDPOINT_NOT_FOUND", 405: "BAD_REQUEST"}


def create_app(model: PyFuncModel, *, max_body_bytes: int | None = None) -> Starlette:
    """Build the scoring app for a loaded ``model`` (kept on ``app.state.model``).

    Args:
        model: a model loaded with :func:`archivist.pyfunc.load_model`.
        max_body_bytes: larger ``/invocations`` bodies get 413 before they are read whole
            (default: ``ARCHIVIST_SCORING_MAX_BODY_BYTES``, 256 MiB).

    Returns:
        A Starlette ASGI app; run it with uvicorn, or call it in process through
        ``httpx.ASGITransport``.

    Example:
        >>> import uvicorn
        >>> from archivist.pyfunc import load_model
        >>> app = create_app(load_model("models:/iris@champion"))
        >>> uvicorn.run(app, host="127.0.0.1", port=5001)  # doctest: +SKIP
    """
    app = Starlette(
        routes=[
            Route("/ping", _ping, methods=["GET"]),
            Route("/health", _ping, methods=["GET"]),
            Route("/version", _version, methods=["GET"]),
            Route("/invocations", _invocations, methods=["POST"]),
        ],
        exception_handlers={HTTPException: _http_error},
    )
    app.state.model = model
    limit = config.SCORING_MAX_BODY_BYTES.get() if max_body_bytes is None else max_body_bytes
    if limit <= 0:
        raise InvalidArgument(f"max_body_bytes {limit} must be a positive number of bytes")
    app.state.max_body_bytes = limit
    return app


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error_code": code, "message": message}, status_code=status)


async def _ping(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def _version(request: Request) -> Response:
    return JSONResponse({"version": __version__})


async def _invocations(request: Request) -> Response:
    model: PyFuncModel = request.app.state.model
    body = await _read_body(request, request.app.state.max_body_bytes)
    if body is None:
        return _error(
            413,
            "REQUEST_LIMIT_EXCEEDED",
            f"the request body is over the server's limit of {request.app.state.max_body_bytes} "
            "bytes; send fewer rows per request, or restart the server with a larger "
            "ARCHIVIST_SCORING_MAX_BODY_BYTES",
        )
    content_type = request.headers.get("content-type")
    try:
        # Parsing large bodies and predicting both block, so neither runs on the loop.
        payload = await run_in_threadpool(score, model, body, content_type)
    except ArchivistError as e:
        status = getattr(e, "http_status", None) or HTTP_STATUS.get(e.error_code, 500)
        if status >= 500:
            _logger.error("scoring failed: %s", e.message, exc_info=e)
        return _error(status, e.error_code, e.message)
    except Exception as e:
        _logger.error("the model raised while predicting", exc_info=e)
        return _error(
            500,
            "INTERNAL_ERROR",
            f"the model failed to predict: {type(e).__name__}: {e}; check that the input "
            "matches what the model was trained on (the server log has the traceback)",
        )
    return JSONResponse(payload)


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it is known to be over ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def _http_error(request: Request, exc: Any) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "BAD_REQUEST")
    if exc.status_code == 404:
        message = (
            f"no endpoint {request.method} {request.url.path}; this server answers GET /ping, "
            "GET /health, GET /version and POST /invocations"
        )
    elif exc.status_code == 405:
        allow = (exc.headers or {}).get("Allow", "another method")
        message = f"{request.url.path} does not accept {request.method}; use {allow}"
    else:
        message = str(exc.detail)
    response = _error(exc.status_code, code, message)
    response.headers.update(exc.headers or {})
    return response
