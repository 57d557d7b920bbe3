"""MLflow 3's logged-model features in SQL: linked metrics, tag deletion, and search.

``search_logged_models`` runs in the database like ``search_runs``: the filter grammar is
:mod:`archivist.stores.search_grammar`'s (vocabulary ``logged_model``), compiled by
:mod:`archivist.stores.tracking.search` against ``logged_models``, its params and tags, and
the latest linked value of each metric (optionally only points on the given datasets).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Connection, Table, and_, delete, func, or_, select, text
from sqlalchemy.exc import IntegrityError

from archivist.entities import LifecycleStage, Metric
from archivist.errors import InvalidArgument, ResourceNotFound
from archivist.stores.db.engine import Database
from archivist.stores.db.schema import metadata
from archivist.stores.search_grammar import OrderKey, SearchKind, parse_order_by, vocabulary
from archivist.stores.tracking.search import SearchTables, _order_terms, compile_search
from archivist.validation import check_key, check_metric_value, check_param_value

__all__ = ["LoggedModelSql", "order_clauses"]

MODELS: Table = metadata.tables["logged_models"]
MODEL_PARAMS: Table = metadata.tables["logged_model_params"]
MODEL_TAGS: Table = metadata.tables["logged_model_tags"]
MODEL_METRICS: Table = metadata.tables["logged_model_metrics"]
_KIND: SearchKind = "logged_model"


def order_clauses(order_by: Sequence[Any] | None) -> list[tuple[str, Mapping[str, Any]]]:
    """MLflow's order_by entries (``{"field_name", "ascending", "dataset_name",
    "dataset_digest"}`` dicts, or clauses like ``"metrics.acc DESC"``) as
    ``(clause, dataset restriction)`` pairs."""
    out: list[tuple[str, Mapping[str, Any]]] = []
    for item in order_by or []:
        if isinstance(item, str):
            out.append((item, {}))
            continue
        if not isinstance(item, Mapping) or not isinstance(item.get("field_name"), str):
            raise InvalidArgument(
                f"order_by entry {item!r} is not understood; give a dict such as "
                "{'field_name': 'metrics.acc', 'ascending': False} or a clause 'name DESC'"
            )
        ascending = item.get("ascending", True)
        clause = f"{item['field_name']} {'ASC' if ascending else 'DESC'}"
        datasets = {k: item[k] for k in ("dataset_name", "dataset_digest") if item.get(k)}
        if datasets and not item["field_name"].startswith("metrics."):
            raise InvalidArgument(
                f"order_by entry {item!r}: dataset_name/dataset_digest apply to metrics only"
            )
        out.append((clause, datasets))
    return out


def _dataset_condition(datasets: Sequence[Mapping[str, Any]] | None) -> Any:
    if not datasets:
        return None
    terms = []
    for d in datasets:
        name = d.get("dataset_name") if isinstance(d, Mapping) else None
        if not name:
            raise InvalidArgument(
                f"datasets entry {d!r} needs a 'dataset_name' (and optionally "
                "'dataset_digest')"
            )
        term = MODEL_METRICS.c.dataset_name == name
        if d.get("dataset_digest"):
            term = and_(term, MODEL_METRICS.c.dataset_digest == d["dataset_digest"])
        terms.append(term)
    return or_(*terms)


def _tables(datasets: Sequence[Mapping[str, Any]] | None, *, per_dataset: bool) -> SearchTables:
    """The search tables, with metrics as each model's latest point per key (on ``datasets``).

    A filter sees the latest point per key and dataset, so a model matches when its value on
    any dataset does (MLflow's rule); ordering needs one value per key, the latest overall.
    """
    partition = [MODEL_METRICS.c.model_id, MODEL_METRICS.c.key]
    if per_dataset:
        partition += [MODEL_METRICS.c.dataset_name, MODEL_METRICS.c.dataset_digest]
    ranked = select(
        MODEL_METRICS.c.model_id,
        MODEL_METRICS.c.key,
        MODEL_METRICS.c.value,
        MODEL_METRICS.c.is_nan,
        func.row_number()
        .over(
            partition_by=partition,
            order_by=(
                MODEL_METRICS.c.step.desc(),
                MODEL_METRICS.c.timestamp.desc(),
                MODEL_METRICS.c.id.desc(),
            ),
        )
        .label("rank"),
    )
    condition = _dataset_condition(datasets)
    if condition is not None:
        ranked = ranked.where(condition)
    inner = ranked.subquery()
    latest = (
        select(inner.c.model_id, inner.c.key, inner.c.value, inner.c.is_nan)
        .where(inner.c.rank == 1)
        .subquery("latest_model_metrics")
    )
    return SearchTables(
        table=MODELS,
        key_tables={"metric": cast(Table, latest), "param": MODEL_PARAMS, "tag": MODEL_TAGS},
        owner_columns=("model_id",),
    )


class LoggedModelSql:
    """Linked metrics, tag deletion and search for logged models, on one database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def log_metrics(self, points: Sequence[Metric]) -> None:
        """Record metric points linked to logged models (each ``Metric.model_id`` set)."""
        rows = []
        for m in points:
            if not m.model_id:
                raise InvalidArgument(f"metric {m.key!r} has no model_id to link it to")
            value = check_metric_value(check_key(m.key, "metric"), m.value)
            nan = math.isnan(value)
            rows.append({
                "model_id": m.model_id, "key": m.key, "value": None if nan else value,
                "is_nan": nan, "timestamp": m.timestamp, "step": m.step, "run_id": m.run_id,
                "dataset_name": m.dataset_name, "dataset_digest": m.dataset_digest,
            })
        if not rows:
            return
        ids = sorted({str(m.model_id) for m in points})
        try:
            with self.db.write() as conn:
                found = {
                    r[0]
                    for r in conn.execute(
                        select(MODELS.c.model_id).where(
                            MODELS.c.model_id.in_(ids),
                            MODELS.c.lifecycle_stage == LifecycleStage.ACTIVE.value,
                        )
                    )
                }
                missing = [i for i in ids if i not in found]
                if missing:
                    raise ResourceNotFound(
                        f"logged model {missing[0]!r} does not exist; link metrics to the "
                        "model_id that log_model returned (ModelInfo.model_id)"
                    )
                conn.execute(MODEL_METRICS.insert(), rows)
        except IntegrityError:
            raise ResourceNotFound(f"logged model among {ids} does not exist") from None

    def metrics_for(self, conn: Connection, model_ids: Sequence[str]) -> dict[str, list[Metric]]:
        """Every linked point of each model, ordered by key, step and time."""
        out: dict[str, list[Metric]] = defaultdict(list)
        if not model_ids:
            return out
        rows = conn.execute(
            select(MODEL_METRICS)
            .where(MODEL_METRICS.c.model_id.in_(list(model_ids)))
            .order_by(
                MODEL_METRICS.c.model_id, MODEL_METRICS.c.key, MODEL_METRICS.c.step,
                MODEL_METRICS.c.timestamp, MODEL_METRICS.c.id,
            )
        )
        for r in rows:
            out[r.model_id].append(
                Metric(
                    r.key, math.nan if r.is_nan else float(r.value), r.timestamp, r.step,
                    model_id=r.model_id, dataset_name=r.dataset_name,
                    dataset_digest=r.dataset_digest, run_id=r.run_id,
                )
            )
        return out

    def add_params(self, model_id: str, params: Mapping[str, str]) -> None:
        """Add params; a key the model already has keeps its value."""
        rows = [
            {"model_id": model_id, "key": check_key(k, "param"), "value": check_param_value(k, v)}
            for k, v in params.items()
        ]
        if not rows:
            return
        stmt = text(
            "INSERT INTO logged_model_params (model_id, key, value) "
            "VALUES (:model_id, :key, :value) ON CONFLICT (model_id, key) DO NOTHING"
        )
        with self.db.write() as conn:
            conn.execute(stmt, rows)

    def delete_tag(self, model_id: str, key: str) -> None:
        with self.db.write() as conn:
            result = conn.execute(
                delete(MODEL_TAGS).where(MODEL_TAGS.c.model_id == model_id, MODEL_TAGS.c.key == key)
            )
        if result.rowcount == 0:
            raise ResourceNotFound(
                f"logged model {model_id!r} has no tag {key!r}; list its tags with "
                "get_logged_model(model_id).tags"
            )

    def search(
        self,
        experiment_ids: Sequence[int],
        filter_string: str | None,
        datasets: Sequence[Mapping[str, Any]] | None,
        max_results: int,
        order_by: Sequence[Any] | None,
        offset: int,
        dialect: str,
    ) -> tuple[list[str], bool]:
        """The ids of one page of active models, and whether more follow."""
        compiled = compile_search(
            _KIND, _tables(datasets, per_dataset=True), filter_string, None, dialect=dialect
        )
        tables = _tables(datasets, per_dataset=False)
        terms: list[Any] = []
        for clause, restrict in order_clauses(order_by):
            key = parse_order_by(clause, kind=_KIND)
            on = _tables([restrict], per_dataset=False) if restrict else tables
            terms.extend(_order_terms(key, _KIND, on))
        if not order_by:
            terms.extend(_order_terms(OrderKey("attribute", "creation_timestamp", False), _KIND, tables))
        for key in vocabulary(_KIND).tiebreakers:
            terms.extend(_order_terms(key, _KIND, tables))
        stmt = (
            select(MODELS.c.model_id)
            .where(
                MODELS.c.experiment_id.in_(list(experiment_ids)),
                MODELS.c.lifecycle_stage == LifecycleStage.ACTIVE.value,
                *compiled.where,
            )
            .order_by(*terms)
            .limit(max_results + 1)
            .offset(offset)
        )
        with self.db.read() as conn:
            ids = [r[0] for r in conn.execute(stmt)]
        return ids[:max_results], len(ids) > max_results

