"""Serve a model over HTTP with MLflow's scoring protocol (``/ping``, ``/invocations``).

``create_app(model)`` builds the Starlette app; :func:`parse_input` and :func:`score`
turn a request body into model input and predictions, for the server and for
``archivist models predict`` alike. Starlette is imported only when ``create_app`` is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from archivist._lazy import lazy_getattr

if TYPE_CHECKING:
    from archivist.serving.app import create_app
    from archivist.serving.scoring import (
        BadRequest,
        ModelInput,
        UnsupportedContentType,
        parse_input,
        predictions_to_json,
        score,
    )

__all__ = [
    "BadRequest",
    "ModelInput",
    "UnsupportedContentType",
    "create_app",
    "parse_input",
    "predictions_to_json",
    "score",
]

__getattr__ = lazy_getattr(
    __name__,
    {
        "create_app": "archivist.serving.app:create_app",
        **{name: f"archivist.serving.scoring:{name}" for name in __all__ if name != "create_app"},
    },
)
