"""One structured line per request: method, path, status, duration, user when known.

The query string is never logged (it may carry tokens), nor are headers or bodies.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["AccessLogMiddleware"]

logger = logging.getLogger("archivist.server.access")


class AccessLogMiddleware:
    """Pure ASGI middleware (no body buffering), so streamed transfers stay streamed."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            if logger.isEnabledFor(logging.INFO):
                record: dict[str, Any] = {
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - start) * 1000, 2),
                }
                user = scope.get("state", {}).get("user")
                if user:
                    record["user"] = str(user)
                logger.info(json.dumps(record, separators=(",", ":")))
