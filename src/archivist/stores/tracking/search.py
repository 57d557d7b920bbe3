"""Search filters and order-by clauses, compiled to SQL: runs and experiments here, and the
compiler the model registry's searches use too.

The language (MLflow's filter grammar, with ``OR`` and parentheses for runs and
experiments) is parsed by :mod:`archivist.stores.search_grammar`; this module turns its
syntax tree into SQL.

Metrics compare numbers, params and tags compare strings; for runs and experiments,
``!=`` and ``NOT IN`` on them match rows that have the key with another value, and a NaN
metric matches nothing. LIKE is case-sensitive on every backend (SQLite's own LIKE is not,
so there it becomes GLOB); ILIKE lowers both sides, which SQLite does for ASCII letters
only.

Everything is evaluated by the database: a filter becomes ``EXISTS`` subqueries correlated
with the searched table (``runs``, ``experiments``, ...), and an order-by key becomes a
correlated scalar subquery, with rows that lack the key sorted last in either direction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Boolean, ColumnElement, Table, and_, exists, or_, select

from archivist.errors import InvalidArgument
from archivist.stores.db.schema import metadata
from archivist.stores.search_grammar import (
    BoolOp,
    Comparison,
    Entity,
    Node,
    Operator,
    OrderKey,
    SearchKind,
    Value,
    like_parts,
    parse_filter,
    parse_order_by,
    resolve_order_by,
    vocabulary,
)

__all__ = [
    "BoolOp",
    "Comparison",
    "OrderKey",
    "RunSearch",
    "SearchTables",
    "compile_experiment_search",
    "compile_run_search",
    "compile_search",
    "parse_filter",
    "parse_order_by",
]

_DIALECTS = ("sqlite", "postgresql")
_POSITIVE: dict[Operator, Operator] = {"!=": "=", "NOT IN": "IN"}


@dataclass(frozen=True, slots=True)
class RunSearch:
    """SQL for one search: conditions to AND into the WHERE clause, and ORDER BY terms.

    The expressions are correlated with the searched table (``runs``, ``experiments``,
    ``registered_models`` or ``model_versions``), so they are used as
    ``select(runs).where(*s.where).order_by(*s.order_by)``.
    """

    where: list[ColumnElement[bool]]
    order_by: list[ColumnElement[Any]]


@dataclass(frozen=True, slots=True)
class SearchTables:
    """The tables behind one kind of search.

    Args:
        table: the searched table; attributes are its columns.
        key_tables: for metric, param and tag keys, the (owner, key, value) table.
        owner_columns: the columns, named alike in both, that join a key table to ``table``.
        negation_matches_missing: whether ``!=`` and ``NOT IN`` also match rows without the
            key or with a NULL attribute (the registry's rule) rather than only rows that
            have another value (the rule for runs and experiments).
    """

    table: Table
    key_tables: Mapping[Entity, Table]
    owner_columns: tuple[str, ...]
    negation_matches_missing: bool = False


_RUN_TABLES = SearchTables(
    table=metadata.tables["runs"],
    key_tables={
        "metric": metadata.tables["latest_metrics"],
        "param": metadata.tables["params"],
        "tag": metadata.tables["tags"],
    },
    owner_columns=("run_id",),
)
_EXPERIMENT_TABLES = SearchTables(
    table=metadata.tables["experiments"],
    key_tables={"tag": metadata.tables["experiment_tags"]},
    owner_columns=("experiment_id",),
)


# --------------------------------------------------------------------------- comparisons


def _to_like(parts: list[tuple[str, bool]]) -> str:
    """The pattern with every literal %, _ and backslash escaped by a backslash."""
    return "".join(c if wild or c not in "%_\\" else "\\" + c for c, wild in parts)


def _to_glob(parts: list[tuple[str, bool]]) -> str:
    """The same pattern for SQLite's case-sensitive GLOB (% -> *, _ -> ?, specials bracketed)."""
    out = []
    for char, wild in parts:
        if wild:
            out.append("*" if char == "%" else "?")
        elif char in "*?[":
            out.append(f"[{char}]")
        else:
            out.append(char)
    return "".join(out)


def _compare(
    column: ColumnElement[Any], op: Operator, value: Value, dialect: str
) -> ColumnElement[bool]:
    if op == "=":
        return column == value
    if op == "!=":
        return column != value
    if op == "<":
        return column < value
    if op == "<=":
        return column <= value
    if op == ">":
        return column > value
    if op == ">=":
        return column >= value
    if op == "IN":
        return column.in_(value)  # type: ignore[arg-type]
    if op == "NOT IN":
        return column.not_in(value)  # type: ignore[arg-type]
    assert isinstance(value, str)
    parts = like_parts(value)
    assert parts is not None  # the parser rejected a trailing backslash
    if op == "ILIKE":
        return column.ilike(_to_like(parts), escape="\\")
    if dialect == "sqlite":
        # SQLite's LIKE ignores ASCII case; GLOB is its case-sensitive equivalent.
        return column.op("GLOB", return_type=Boolean)(_to_glob(parts))
    return column.like(_to_like(parts), escape="\\")


def _compile_node(
    node: Node, kind: SearchKind, tables: SearchTables, dialect: str
) -> ColumnElement[bool]:
    if isinstance(node, BoolOp):
        operands = [_compile_node(operand, kind, tables, dialect) for operand in node.operands]
        return and_(*operands) if node.op == "AND" else or_(*operands)
    negated = tables.negation_matches_missing and node.op in _POSITIVE
    if node.entity == "attribute":
        attribute = vocabulary(kind).filter_names.attributes[node.key]
        column = tables.table.c[attribute.column]
        condition = _compare(column, node.op, node.value, dialect)
        return or_(column.is_(None), condition) if negated and column.nullable else condition
    if node.entity == "dataset":
        return _dataset_clause(node, tables, dialect)
    table = tables.key_tables[node.entity]
    owned = [table.c[c] == tables.table.c[c] for c in tables.owner_columns]
    owned.append(table.c.key == node.key)
    if node.entity == "metric":
        owned.append(~table.c.is_nan)
    if negated:
        # "no such key with a matching value", rather than "the key with another value"
        return ~exists().where(
            *owned, _compare(table.c.value, _POSITIVE[node.op], node.value, dialect)
        )
    return exists().where(*owned, _compare(table.c.value, node.op, node.value, dialect))


def _dataset_clause(node: Comparison, tables: SearchTables, dialect: str) -> ColumnElement[bool]:
    """``datasets.name|digest|context``: the run used a dataset with a matching field."""
    inputs, datasets = metadata.tables["dataset_inputs"], metadata.tables["datasets"]
    column = inputs.c.context if node.key == "context" else datasets.c[node.key]
    return exists().where(
        inputs.c.run_id == tables.table.c.run_id,
        datasets.c.dataset_id == inputs.c.dataset_id,
        _compare(column, node.op, node.value, dialect),
    )


# --------------------------------------------------------------------------- ordering


def _order_terms(key: OrderKey, kind: SearchKind, tables: SearchTables) -> list[ColumnElement[Any]]:
    if key.entity == "attribute":
        attribute = vocabulary(kind).order_names.attributes[key.key]
        column = tables.table.c[attribute.column]
        term = column.asc() if key.ascending else column.desc()
        return [term.nulls_last() if column.nullable else term]
    table = tables.key_tables[key.entity]
    owned = [table.c[c] == tables.table.c[c] for c in tables.owner_columns]
    owned.append(table.c.key == key.key)
    if key.entity != "metric":
        value = select(table.c.value).where(*owned).scalar_subquery()
        return [(value.asc() if key.ascending else value.desc()).nulls_last()]
    # A NaN metric has no value to sort by: it follows the real values, then come the
    # runs without the metric (is_nan is NULL for them), whatever the direction.
    value = select(table.c.value).where(*owned, ~table.c.is_nan).scalar_subquery()
    is_nan = select(table.c.is_nan).where(*owned).scalar_subquery()
    return [
        (value.asc() if key.ascending else value.desc()).nulls_last(),
        is_nan.asc().nulls_last(),
    ]


# --------------------------------------------------------------------------- entry points


def compile_search(
    kind: SearchKind,
    tables: SearchTables,
    filter_string: str | None,
    order_by: Sequence[str] | None,
    *,
    dialect: str,
) -> RunSearch:
    """Compile a filter and order-by list of one kind of search to SQL against ``tables``.

    Args:
        kind: the search's vocabulary (see :func:`~archivist.stores.search_grammar.parse_filter`).
        tables: the tables the vocabulary's names refer to.
        filter_string: the filter; None or blank matches every row.
        order_by: clauses such as ``["metrics.acc DESC"]`` (a single string is one clause);
            the kind's default order and tiebreakers are added.
        dialect: ``"sqlite"`` or ``"postgresql"`` (LIKE is compiled differently).

    Raises:
        MalformedFilter: the filter or an order-by clause does not parse.
        InvalidArgument: an unsupported dialect.
    """
    if dialect not in _DIALECTS:
        raise InvalidArgument(
            f"search does not support the {dialect!r} dialect; use 'sqlite' or 'postgresql'"
        )
    node = parse_filter(filter_string, kind=kind)
    if node is None:
        where = []
    elif isinstance(node, BoolOp) and node.op == "AND":
        where = [_compile_node(operand, kind, tables, dialect) for operand in node.operands]
    else:
        where = [_compile_node(node, kind, tables, dialect)]
    keys = resolve_order_by(order_by, kind=kind)
    return RunSearch(
        where=where, order_by=[term for key in keys for term in _order_terms(key, kind, tables)]
    )


def compile_run_search(
    filter_string: str | None, order_by: list[str] | None, *, dialect: str
) -> RunSearch:
    """Compile a run search filter and order-by list to SQL against the ``runs`` table.

    Args:
        filter_string: MLflow filter syntax, e.g. ``"metrics.acc > 0.5 and tags.team = 'nlp'"``;
            None or blank matches every run.
        order_by: clauses such as ``["metrics.acc DESC", "params.lr"]``; ties and the
            default order fall back to ``start_time DESC, run_id ASC``.
        dialect: ``"sqlite"`` or ``"postgresql"`` (LIKE is compiled differently).

    Returns:
        A :class:`RunSearch` to use as
        ``select(runs).where(*s.where).order_by(*s.order_by)``.

    Raises:
        MalformedFilter: the filter or an order-by clause does not parse.
        InvalidArgument: an unsupported dialect.

    Example::

        >>> s = compile_run_search("params.lr = '0.1'", ["metrics.acc DESC"], dialect="sqlite")
        >>> len(s.where), len(s.order_by)
        (1, 4)
    """
    return compile_search("run", _RUN_TABLES, filter_string, order_by, dialect=dialect)


def compile_experiment_search(
    filter_string: str | None, order_by: list[str] | None, *, dialect: str
) -> RunSearch:
    """Compile an experiment search to SQL against the ``experiments`` table.

    The filter may use ``name``, ``experiment_id``, ``creation_time``, ``last_update_time``
    (optionally as ``attributes.<name>``) and ``tags.<key>``; the default order is
    ``creation_time DESC`` and ties are broken by ``experiment_id ASC``.

    Raises:
        MalformedFilter: the filter or an order-by clause does not parse.
        InvalidArgument: an unsupported dialect.

    Example::

        >>> s = compile_experiment_search("name LIKE 'exp%'", None, dialect="postgresql")
        >>> len(s.where), len(s.order_by)
        (1, 2)
    """
    return compile_search(
        "experiment", _EXPERIMENT_TABLES, filter_string, order_by, dialect=dialect
    )
