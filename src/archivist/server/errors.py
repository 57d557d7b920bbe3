"""One mapping from errors to HTTP answers: ``{"error_code", "message"}`` plus a status.

The status comes from the error tree's code table (:data:`archivist.errors.HTTP_STATUS`),
so the server, the scoring app and the HTTP client agree on it. Expected errors are never
5xx: the ``mlflow`` client retries 5xx for minutes before it reports anything.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from archivist.errors import (
    HTTP_STATUS,
    ArchivistError,
    EndpointNotFound,
    MalformedRequest,
)

__all__ = ["error_response", "exception_handlers", "status_for"]

_logger = logging.getLogger("archivist.server")


def status_for(exc: ArchivistError) -> int:
    """The HTTP status of an error: its class's override, else its code's row in the table."""
    override = getattr(exc, "http_status", None)
    if isinstance(override, int):
        return override
    return HTTP_STATUS.get(exc.error_code, 500)


def error_response(exc: ArchivistError) -> JSONResponse:
    """The JSON answer for ``exc`` in MLflow's shape."""
    return JSONResponse(exc.to_dict(), status_code=status_for(exc))


async def _archivist_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ArchivistError)
    status = status_for(exc)
    if status >= 500:
        _logger.error("%s %s failed: %s", request.method, request.url.path, exc.message,
                      exc_info=exc)
    return error_response(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    err: ArchivistError
    if exc.status_code == 404:
        err = EndpointNotFound(
            f"no endpoint {request.method} {request.url.path} on this server; see the REST API "
            "section of the README for the paths it answers"
        )
    elif exc.status_code == 405:
        allow = (exc.headers or {}).get("Allow", "another method")
        err = MalformedRequest(f"{request.url.path} does not accept {request.method}; use {allow}")
    else:
        err = MalformedRequest(str(exc.detail))
    response = JSONResponse(err.to_dict(), status_code=exc.status_code)
    response.headers.update(exc.headers or {})
    return response


async def _unexpected(request: Request, exc: Exception) -> Response:
    _logger.error("%s %s raised", request.method, request.url.path, exc_info=exc)
    return JSONResponse(
        {
            "error_code": "INTERNAL_ERROR",
            "message": f"the server failed on {request.method} {request.url.path}: "
            f"{type(exc).__name__}; the server log has the traceback",
        },
        status_code=500,
    )


def exception_handlers() -> dict[Any, Any]:
    """Starlette ``exception_handlers`` for the tracking app."""
    return {ArchivistError: _archivist_error, HTTPException: _http_error, Exception: _unexpected}

