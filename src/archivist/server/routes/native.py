"""Archivist's own endpoints, for what MLflow's API lacks (dedup-aware blob transfer, ...).

Filled in by Archivist's HTTP client work; mounted like every other route group.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

__all__ = ["routes"]

routes: list[BaseRoute] = []
