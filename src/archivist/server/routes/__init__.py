"""Route groups, one module per resource; each module exposes ``routes: list[BaseRoute]``.

A new group (auth pages, UI, ...) is a new module named here; ``create_app`` mounts them
in this order, so catch-all routes (UI) belong last.
"""

from __future__ import annotations

import importlib

from starlette.routing import BaseRoute

__all__ = ["ROUTE_GROUPS", "all_routes"]

ROUTE_GROUPS: tuple[str, ...] = (
    "health",
    "experiments",
    "runs",
    "metrics",
    "artifacts",
    "logged_models",
    "registry",
    "native",
)


def all_routes() -> list[BaseRoute]:
    """Every group's routes, in :data:`ROUTE_GROUPS` order."""
    out: list[BaseRoute] = []
    for name in ROUTE_GROUPS:
        module = importlib.import_module(f"archivist.server.routes.{name}")
        out.extend(module.routes)
    return out
