"""How a route module declares its endpoints: plain functions from a :class:`Call` to JSON.

Each module under ``server/routes/`` exposes ``routes: list[BaseRoute]``, built with
:func:`api` (MLflow-style JSON endpoints) or plain Starlette routes (streams, pages).
An :func:`api` handler is synchronous — the stores are — and runs in the thread pool with
the request already parsed; whatever it raises goes through ``server/errors.py``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from archivist.server.messages import Message, read_message

if TYPE_CHECKING:
    from archivist.server.app import ServerConfig, ServerStores

__all__ = ["MLFLOW_API", "Call", "JsonResponse", "api", "json_number"]

MLFLOW_API = "/api/2.0/mlflow"


@dataclass(frozen=True, slots=True)
class Call:
    """What a handler gets: the stores, the parsed fields, the path parameters."""

    stores: ServerStores
    config: ServerConfig
    msg: Message
    path: dict[str, Any]
    request: Request

    @property
    def base_url(self) -> str:
        """This server's URL as the client reached it (no trailing slash)."""
        return str(self.request.base_url).rstrip("/")


Handler = Callable[[Call], "dict[str, Any] | Response"]


class JsonResponse(Response):
    """Compact JSON; a float that JSON cannot hold must be converted by the caller first."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json.dumps(content, separators=(",", ":"), allow_nan=False).encode()


def json_number(value: float) -> float | str:
    """A double as proto JSON writes it: NaN and infinities as the strings MLflow reads."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def api(path: str, handler: Handler, methods: Sequence[str], *, prefix: str = MLFLOW_API) -> Route:
    """A JSON endpoint at ``prefix + path`` answering ``handler``'s dict (``{}`` if empty)."""

    async def endpoint(request: Request) -> Response:
        app_state = request.app.state
        config: ServerConfig = app_state.config
        msg = await read_message(
            request, max_bytes=config.max_body_bytes, max_depth=config.max_json_depth
        )
        call = Call(app_state.stores, config, msg, dict(request.path_params), request)
        result = await run_in_threadpool(handler, call)
        if isinstance(result, Response):
            return result
        return JsonResponse(result)

    endpoint.__name__ = handler.__name__
    endpoint.__doc__ = handler.__doc__
    return Route(prefix + path, endpoint, methods=list(methods), name=handler.__name__)


def paged(key: str, items: Sequence[Any], token: str | None, convert: Callable[[Any], Any]) -> dict[str, Any]:
    """``{key: [...], "next_page_token": token}``, the token left out on the last page."""
    out: dict[str, Any] = {key: [convert(i) for i in items]}
    if token:
        out["next_page_token"] = token
    return out


def page_of(items: Sequence[Any], token: str | None, max_results: int) -> tuple[Sequence[Any], str | None]:
    """One page of an in-memory list with the stores' offset tokens."""
    from archivist.stores.tracking.sql import _decode_token, _encode_token

    start = _decode_token(token)
    end = start + max_results
    return items[start:end], (_encode_token(end) if end < len(items) else None)
