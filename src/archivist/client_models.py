"""Logged-model operations of :class:`~archivist.client.ArchivistClient` (MLflow 3).

A logged model (``m-<hex>``) may come from a run or stand alone; metrics may be linked to
it (``log_metric(..., model_id=)``), and ``search_logged_models`` filters and orders in
SQL, as ``search_runs`` does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from archivist.entities import LoggedModel, Metric
from archivist.errors import InvalidArgument

if TYPE_CHECKING:
    from archivist.client import PagedList
    from archivist.stores.tracking.logged_models import LoggedModelSql
    from archivist.stores.tracking.sql import SqlTrackingStore

__all__ = ["LoggedModelsMixin"]

_STATUSES = ("READY", "FAILED")


class LoggedModelsMixin:
    """Create, find, tag, link metrics to, and search logged models."""

    _tracking: SqlTrackingStore

    @property
    def _remote(self) -> Any:
        """The tracking store when it is a server's (it answers these calls itself), else None."""
        return None if hasattr(self._tracking, "db") else self._tracking

    @property
    def _model_sql(self) -> LoggedModelSql:
        from archivist.stores.tracking.logged_models import LoggedModelSql

        return LoggedModelSql(self._tracking.db)

    def create_logged_model(
        self,
        experiment_id: str,
        name: str | None = None,
        source_run_id: str | None = None,
        tags: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        model_type: str | None = None,
    ) -> LoggedModel:
        """A new logged model in PENDING status; ``finalize_logged_model`` ends it."""
        import uuid

        return self._tracking.create_logged_model(
            str(experiment_id),
            name or f"model-{uuid.uuid4().hex[:8]}",
            source_run_id,
            model_type,
            {k: str(v) for k, v in (params or {}).items()},
            {k: str(v) for k, v in (tags or {}).items()},
        )

    def finalize_logged_model(self, model_id: str, status: Any) -> LoggedModel:
        """Mark a model READY or FAILED."""
        value = getattr(status, "name", status)
        if value not in _STATUSES:
            raise InvalidArgument(f"status {status!r} is unknown; use 'READY' or 'FAILED'")
        return self._tracking.finalize_logged_model(model_id, str(value))

    def get_logged_model(self, model_id: str) -> LoggedModel:
        return self._tracking.get_logged_model(model_id)

    def set_logged_model_tags(self, model_id: str, tags: dict[str, Any]) -> None:
        self._tracking.set_logged_model_tags(model_id, {k: str(v) for k, v in tags.items()})

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        self._tracking.get_logged_model(model_id)
        if self._remote is not None:
            self._remote.delete_logged_model_tag(model_id, key)
            return
        self._model_sql.delete_tag(model_id, key)

    def delete_logged_model(self, model_id: str) -> None:
        self._tracking.delete_logged_model(model_id)

    def log_model_params(self, model_id: str, params: dict[str, Any]) -> None:
        """Add params to a logged model (an existing key keeps its value, as for runs)."""
        self._tracking.get_logged_model(model_id)
        if self._remote is not None:
            self._remote.log_logged_model_params(model_id, {k: str(v) for k, v in params.items()})
            return
        self._model_sql.add_params(model_id, {k: str(v) for k, v in params.items()})

    def link_metrics_to_model(self, metrics: Sequence[Metric]) -> None:
        """Record points (each with ``model_id`` set) as the model's metrics."""
        if self._remote is not None:
            self._remote.link_metrics_to_model(metrics)
            return
        self._model_sql.log_metrics(metrics)

    def search_logged_models(
        self,
        experiment_ids: Sequence[str] | str,
        filter_string: str | None = None,
        datasets: list[Mapping[str, Any]] | None = None,
        max_results: int | None = None,
        order_by: list[Any] | None = None,
        page_token: str | None = None,
    ) -> PagedList:
        """Active logged models of the experiments, one page (newest first by default).

        Args:
            experiment_ids: where to search.
            filter_string: e.g. ``"metrics.acc > 0.9 AND params.lr = '0.1'"``, over
                ``name``, ``model_id``, ``model_type``, ``status``, ``source_run_id``,
                ``creation_timestamp``, ``last_updated_timestamp``, ``metrics.*``,
                ``params.*`` and ``tags.*``.
            datasets: ``[{"dataset_name": ..., "dataset_digest": ...}]``: metrics count only
                on these datasets.
            max_results: page size (default 100).
            order_by: ``[{"field_name": "metrics.acc", "ascending": False}]`` as in MLflow,
                or clauses such as ``"name DESC"``.
            page_token: the ``token`` of the previous page.

        Example:
            >>> client.search_logged_models(["1"], filter_string="metrics.rmse < 0.3")
        """
        from archivist.client import PagedList
        from archivist.stores.tracking.sql import (
            _check_max_results,
            _decode_token,
            _encode_token,
            _experiment_int,
        )

        ids = [experiment_ids] if isinstance(experiment_ids, str) else list(experiment_ids)
        size = _check_max_results(100 if max_results is None else max_results)
        if self._remote is not None:
            items, token = self._remote.search_logged_models_page(
                ids, filter_string, datasets, size, order_by, page_token
            )
            return PagedList(items, token)
        offset = _decode_token(page_token)
        found, more = self._model_sql.search(
            [_experiment_int(e) for e in ids], filter_string, datasets, size, order_by, offset,
            self._tracking.dialect,
        )
        models = self._tracking.get_logged_models(found)
        return PagedList(models, _encode_token(offset + size) if more else None)
