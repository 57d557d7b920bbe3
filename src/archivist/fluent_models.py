"""Fluent calls for logged models and the registry, on the default client.

Like :mod:`archivist.fluent`, each is a thin call on the client for the current
tracking URI; they are re-exported as ``archivist.<name>``.
"""

from __future__ import annotations

from typing import Any

from archivist.entities import LoggedModel
from archivist.fluent import _client, _state

__all__ = [
    "get_logged_model",
    "last_logged_model",
    "search_model_versions",
    "search_registered_models",
]


def get_logged_model(model_id: str) -> LoggedModel:
    """The logged model ``m-<hex>`` (as ``log_model`` returned in ``ModelInfo.model_id``)."""
    return _client().get_logged_model(model_id)


def last_logged_model() -> LoggedModel | None:
    """The model this process logged most recently, or None if it logged none."""
    model_id = _state.last_model_id
    return None if model_id is None else _client().get_logged_model(model_id)


def _all_pages(search: Any, max_results: int | None, **kwargs: Any) -> list[Any]:
    out: list[Any] = []
    token = None
    while max_results is None or len(out) < max_results:
        page_size = 1000 if max_results is None else min(1000, max_results - len(out))
        page = search(max_results=page_size, page_token=token, **kwargs)
        out.extend(page)
        token = page.token
        if token is None:
            break
    return out


def search_registered_models(
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: list[str] | None = None,
) -> list[Any]:
    """Every registered model matching ``filter_string`` (all pages), e.g. ``"name LIKE 'iris%'"``."""
    return _all_pages(
        _client().search_registered_models, max_results,
        filter_string=filter_string, order_by=order_by,
    )


def search_model_versions(
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: list[str] | None = None,
) -> list[Any]:
    """Every model version matching ``filter_string`` (all pages), e.g. ``"name = 'iris'"``."""
    return _all_pages(
        _client().search_model_versions, max_results,
        filter_string=filter_string, order_by=order_by,
    )
