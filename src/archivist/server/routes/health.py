"""``GET /health`` and ``GET /version``, as MLflow's server answers them (plain text)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from archivist._version import __version__

__all__ = ["routes"]


async def health(request: Request) -> Response:
    """``OK`` while the process serves requests (the database is not touched)."""
    return PlainTextResponse("OK")


async def version(request: Request) -> Response:
    """Archivist's version as bare text."""
    return PlainTextResponse(__version__)


routes: list[BaseRoute] = [
    Route("/health", health, methods=["GET"]),
    Route("/version", version, methods=["GET"]),
]
