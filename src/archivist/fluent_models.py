"""Fluent calls for logged models and the registry, on the default client.

Like :mod:`archivist.fluent`, each is a thin call on the client for the current
tracking URI; they are re-exported as ``archivist.<name>``.
"""

from __future__ import annotations

from typing import Any, Literal

from archivist.entities import LoggedModel
from archivist.errors import InvalidArgument
from archivist.fluent import _active_experiment_id, _client, _state

__all__ = [
    "delete_logged_model_tag",
    "diff_models",
    "get_logged_model",
    "last_logged_model",
    "log_model_params",
    "search_logged_models",
    "search_model_versions",
    "search_registered_models",
    "set_logged_model_tags",
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


def search_logged_models(
    experiment_ids: list[str] | None = None,
    filter_string: str | None = None,
    datasets: list[dict[str, str]] | None = None,
    max_results: int | None = None,
    order_by: list[Any] | None = None,
    output_format: Literal["pandas", "list"] = "pandas",
) -> Any:
    """Logged models of the experiments (default: the active one) matching ``filter_string``,
    every page, as a DataFrame (one row per model, as ``to_dictionary()``) or a list.

    See :meth:`ArchivistClient.search_logged_models` for the filter, ``datasets`` and
    ``order_by``.

    Example:
        >>> archivist.search_logged_models(filter_string="metrics.acc > 0.9",
        ...     order_by=[{"field_name": "metrics.acc", "ascending": False}], output_format="list")
    """
    if output_format not in ("pandas", "list"):
        raise InvalidArgument(f"output_format {output_format!r} is unknown; use 'pandas' or 'list'")
    ids = [str(e) for e in experiment_ids] if experiment_ids else [_active_experiment_id()]
    models = _all_pages(
        _client().search_logged_models, max_results, experiment_ids=ids,
        filter_string=filter_string, datasets=datasets, order_by=order_by,
    )
    if output_format == "list":
        return models
    import pandas as pd

    return pd.DataFrame([m.to_dictionary() for m in models])


def set_logged_model_tags(model_id: str, tags: dict[str, Any]) -> None:
    """Set tags on a logged model (existing keys are overwritten)."""
    _client().set_logged_model_tags(model_id, tags)


def delete_logged_model_tag(model_id: str, key: str) -> None:
    """Remove a tag from a logged model."""
    _client().delete_logged_model_tag(model_id, key)


def log_model_params(params: dict[str, Any], model_id: str | None = None) -> None:
    """Add params to a logged model (default: the one this process logged last)."""
    mid = model_id or _state.last_model_id
    if mid is None:
        raise InvalidArgument("log_model_params needs model_id=; no model was logged yet")
    _client().log_model_params(mid, params)


def diff_models(uri_a: str, uri_b: str) -> Any:
    """What differs from model ``uri_a`` to ``uri_b``: files, params, metrics, signature,
    requirements, environment (a :class:`~archivist.models.diff.ModelDiff`)."""
    from archivist.models.diff import diff_models as _diff

    return _diff(_client(), uri_a, uri_b)
