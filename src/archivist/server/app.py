"""``create_app(config)``: the tracking server as one Starlette app, stores injected.

The app keeps no state of its own beyond the database and the blob store it is given
(``app.state.stores``), so any number of processes can serve one store. Routes come from
one module per resource group (:data:`archivist.server.routes.ROUTE_GROUPS`).

Example:
    >>> from archivist.server.app import ServerConfig, create_app
    >>> app = create_app(ServerConfig(backend_store_uri="/tmp/store"))
    >>> import uvicorn; uvicorn.run(app, host="127.0.0.1", port=5000)  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.middleware import Middleware

from archivist import config as settings
from archivist.errors import InvalidArgument
from archivist.server.accesslog import AccessLogMiddleware
from archivist.server.errors import exception_handlers

if TYPE_CHECKING:
    from archivist.stores import Location
    from archivist.stores.artifacts.store import ArtifactStore
    from archivist.stores.registry.sql import SqlRegistryStore
    from archivist.stores.tracking.sql import SqlTrackingStore

__all__ = ["ServerConfig", "ServerStores", "create_app", "open_stores"]


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """Everything the app needs to know; ``None`` limits mean the ``ARCHIVIST_SERVER_*`` default.

    Args:
        backend_store_uri: a folder, ``sqlite:///file.db`` or ``postgresql://...``
            (default: ``./archivist``).
        artifacts_destination: where blobs live (a folder, ``file://`` or ``s3://`` URI); default:
            the store's own blob folder.
        max_body_bytes: JSON bodies above this get 413.
        max_upload_bytes: artifact uploads (and multipart parts) above this get 413.
        max_json_depth: JSON bodies nested deeper get 400.
        access_log: log one structured line per request on ``archivist.server.access``.
    """

    backend_store_uri: str | None = None
    artifacts_destination: str | None = None
    max_body_bytes: int = 0
    max_upload_bytes: int = 0
    max_json_depth: int = 0
    access_log: bool = True
    extra_middleware: tuple[Middleware, ...] = field(default_factory=tuple)

    def resolved(self) -> ServerConfig:
        """This config with every unset limit read from its setting, and checked."""
        out = replace(
            self,
            max_body_bytes=self.max_body_bytes or settings.SERVER_MAX_BODY_BYTES.get(),
            max_upload_bytes=self.max_upload_bytes or settings.SERVER_MAX_UPLOAD_BYTES.get(),
            max_json_depth=self.max_json_depth or settings.SERVER_MAX_JSON_DEPTH.get(),
        )
        for name in ("max_body_bytes", "max_upload_bytes", "max_json_depth"):
            if getattr(out, name) <= 0:
                raise InvalidArgument(f"server {name}={getattr(out, name)} must be positive")
        return out


@dataclass(frozen=True, slots=True)
class ServerStores:
    """The stores one app serves; built by :func:`open_stores` or given by a test."""

    location: Location
    tracking: SqlTrackingStore
    registry: SqlRegistryStore
    artifacts: ArtifactStore


def open_stores(config: ServerConfig) -> ServerStores:
    """Open the tracking, registry and artifact stores ``config`` names."""
    from archivist.stores import open_blob_store, resolve_location
    from archivist.stores.artifacts.store import ArtifactStore
    from archivist.stores.registry.sql import SqlRegistryStore
    from archivist.stores.tracking.sql import SqlTrackingStore

    location = resolve_location(config.backend_store_uri)
    if config.artifacts_destination:
        location = replace(location, artifact_root=config.artifacts_destination)
    tracking = SqlTrackingStore(location.db_uri)
    blobs: Any = open_blob_store(location.artifact_root)
    return ServerStores(
        location=location,
        tracking=tracking,
        registry=SqlRegistryStore(tracking.db),
        artifacts=ArtifactStore(tracking, blobs),
    )


def create_app(config: ServerConfig | None = None, *, stores: ServerStores | None = None) -> Starlette:
    """Build the tracking server.

    Args:
        config: what to serve and the request limits (default: ``ServerConfig()``).
        stores: already-open stores (default: opened from ``config``).

    Returns:
        A Starlette ASGI app; ``app.state.config`` and ``app.state.stores`` hold what it
        serves. Run it with uvicorn, or call it in process through ``httpx.ASGITransport``.
    """
    from archivist.server.routes import all_routes

    config = (config or ServerConfig()).resolved()
    middleware = list(config.extra_middleware)
    if config.access_log:
        middleware.insert(0, Middleware(AccessLogMiddleware))
    app = Starlette(
        routes=all_routes(),
        middleware=middleware,
        exception_handlers=exception_handlers(),
    )
    app.state.config = config
    app.state.stores = stores if stores is not None else open_stores(config)
    return app
