"""Search filters and order-by clauses for runs and experiments, compiled to SQL.

The language is MLflow's ``search_runs`` filter grammar, plus ``OR`` and parentheses::

    filter      := [disjunction]
    disjunction := conjunction ("OR" conjunction)*
    conjunction := primary ("AND" primary)*          -- AND binds tighter than OR
    primary     := "(" disjunction ")" | comparison
    comparison  := identifier operator value
    identifier  := [prefix "."] key                  -- metrics.acc, tags."a b", status
    operator    := = | != | < | <= | > | >= | LIKE | ILIKE | IN | NOT IN
    value       := number | string | "(" item ("," item)* ")"
    order_by    := identifier ["ASC" | "DESC"]

Keywords are case-insensitive. Strings are single- or double-quoted, and a doubled quote
inside one stands for itself (``'it''s'``). A key is a bare word that may contain dots
(``tags.mlflow.source.name``), or a backticked or double-quoted string after the prefix
(``metrics.`val loss` ``). Without a prefix, an identifier names an attribute.

Metrics compare numbers, params and tags compare strings; ``!=`` and ``NOT IN`` on them
match runs that have the key with another value, and a NaN metric matches nothing. LIKE
patterns use ``%`` and ``_``, and a backslash makes the next character literal. LIKE is
case-sensitive on every backend (SQLite's own LIKE is not, so there it becomes GLOB);
ILIKE lowers both sides, which SQLite does for ASCII letters only.

Everything is evaluated by the database: a filter becomes ``EXISTS`` subqueries correlated
with the ``runs`` (or ``experiments``) table, and an order-by key becomes a correlated
scalar subquery, with runs that lack the key sorted last in either direction.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from sqlalchemy import Boolean, ColumnElement, Table, and_, exists, or_, select

from archivist.errors import InvalidArgument, MalformedFilter
from archivist.stores.db.schema import metadata

__all__ = [
    "BoolOp",
    "Comparison",
    "OrderKey",
    "RunSearch",
    "compile_experiment_search",
    "compile_run_search",
    "parse_filter",
    "parse_order_by",
]

Entity: TypeAlias = Literal["metric", "param", "tag", "attribute"]
Operator: TypeAlias = Literal["=", "!=", "<", "<=", ">", ">=", "LIKE", "ILIKE", "IN", "NOT IN"]
Value: TypeAlias = "int | float | str | tuple[str, ...] | tuple[int, ...]"
SearchKind: TypeAlias = Literal["run", "experiment"]
_ValueKind: TypeAlias = Literal["number", "string", "id"]

_DIALECTS = ("sqlite", "postgresql")
_MAX_NESTING = 32
_INT64 = range(-(2**63), 2**63)


# --------------------------------------------------------------------------- syntax tree


@dataclass(frozen=True, slots=True)
class Comparison:
    """One ``identifier operator value`` clause.

    ``key`` is the metric, param or tag key, or the canonical attribute name (``created``
    becomes ``start_time``). ``value`` is a number for numeric comparisons, the string as
    written (without quotes) for string ones, and a tuple for ``IN`` / ``NOT IN``.
    """

    entity: Entity
    key: str
    op: Operator
    value: Value


@dataclass(frozen=True, slots=True)
class BoolOp:
    """Two or more clauses joined by AND or OR; nested operators of the same kind are flattened."""

    op: Literal["AND", "OR"]
    operands: tuple[Node, ...]


Node: TypeAlias = "Comparison | BoolOp"


@dataclass(frozen=True, slots=True)
class OrderKey:
    """One parsed order-by clause."""

    entity: Entity
    key: str
    ascending: bool


@dataclass(frozen=True, slots=True)
class RunSearch:
    """SQL for one search: conditions to AND into the WHERE clause, and ORDER BY terms.

    The expressions are correlated with the searched table (``runs`` or ``experiments``),
    so they are used as ``select(runs).where(*s.where).order_by(*s.order_by)``.
    """

    where: list[ColumnElement[bool]]
    order_by: list[ColumnElement[Any]]


# --------------------------------------------------------------------------- vocabulary


@dataclass(frozen=True, slots=True)
class _Attribute:
    name: str
    column: str
    kind: _ValueKind


@dataclass(frozen=True, slots=True)
class _Target:
    """What one kind of search may refer to, and the tables behind it."""

    noun: str
    table: Table
    id_column: str
    prefixes: Mapping[str, Entity]
    attributes: Mapping[str, _Attribute]  # by lowercased name or alias
    key_tables: Mapping[Entity, Table]  # metric/param/tag -> (owner id, key, value) table
    owner_column: str
    examples: str
    default_order: tuple[OrderKey, ...]
    tiebreakers: tuple[OrderKey, ...]

    def attribute_names(self) -> str:
        names = dict.fromkeys(a.name for a in self.attributes.values())
        return ", ".join(names)

    def prefix_names(self) -> str:
        plural = {
            "metric": "metrics.",
            "param": "params.",
            "tag": "tags.",
            "attribute": "attributes.",
        }
        names = [plural[e] for e in dict.fromkeys(self.prefixes.values())]
        return ", ".join(names[:-1]) + " or " + names[-1]


def _attributes(
    *specs: tuple[str, str, _ValueKind], aliases: Mapping[str, str]
) -> dict[str, _Attribute]:
    table = {name: _Attribute(name, column, kind) for name, column, kind in specs}
    table.update({alias: table[name] for alias, name in aliases.items()})
    return table


_RUN_TARGET = _Target(
    noun="run",
    table=metadata.tables["runs"],
    id_column="run_id",
    prefixes={
        "metric": "metric",
        "metrics": "metric",
        "param": "param",
        "params": "param",
        "parameter": "param",
        "parameters": "param",
        "tag": "tag",
        "tags": "tag",
        "attribute": "attribute",
        "attributes": "attribute",
        "attr": "attribute",
        "run": "attribute",
    },
    attributes=_attributes(
        ("run_id", "run_id", "string"),
        ("run_name", "name", "string"),
        ("status", "status", "string"),
        ("user_id", "user_id", "string"),
        ("artifact_uri", "artifact_uri", "string"),
        ("lifecycle_stage", "lifecycle_stage", "string"),
        ("start_time", "start_time", "number"),
        ("end_time", "end_time", "number"),
        ("experiment_id", "experiment_id", "id"),
        aliases={"created": "start_time", "run name": "run_name"},
    ),
    key_tables={
        "metric": metadata.tables["latest_metrics"],
        "param": metadata.tables["params"],
        "tag": metadata.tables["tags"],
    },
    owner_column="run_id",
    examples="metrics.acc, params.lr, tags.team or status",
    default_order=(),
    tiebreakers=(OrderKey("attribute", "start_time", False), OrderKey("attribute", "run_id", True)),
)

_EXPERIMENT_TARGET = _Target(
    noun="experiment",
    table=metadata.tables["experiments"],
    id_column="experiment_id",
    prefixes={
        "tag": "tag",
        "tags": "tag",
        "attribute": "attribute",
        "attributes": "attribute",
        "attr": "attribute",
    },
    attributes=_attributes(
        ("name", "name", "string"),
        ("experiment_id", "experiment_id", "id"),
        ("creation_time", "creation_time", "number"),
        ("last_update_time", "last_update_time", "number"),
        aliases={},
    ),
    key_tables={"tag": metadata.tables["experiment_tags"]},
    owner_column="experiment_id",
    examples="name, creation_time or tags.team",
    default_order=(OrderKey("attribute", "creation_time", False),),
    tiebreakers=(OrderKey("attribute", "experiment_id", True),),
)

_TARGETS: dict[SearchKind, _Target] = {"run": _RUN_TARGET, "experiment": _EXPERIMENT_TARGET}

_OPERATORS: dict[_ValueKind, tuple[Operator, ...]] = {
    "number": ("=", "!=", "<", "<=", ">", ">="),
    "string": ("=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"),
    "id": ("=", "!=", "IN", "NOT IN"),
}
_WORD_OPERATORS: dict[str, Operator] = {"LIKE": "LIKE", "ILIKE": "ILIKE", "IN": "IN"}
_KEYWORDS = frozenset({"AND", "OR", "NOT", "IN", "LIKE", "ILIKE", "ASC", "DESC"})
_SYMBOL_OPERATORS: dict[str, Operator] = {
    "=": "=",
    "!=": "!=",
    "<": "<",
    "<=": "<=",
    ">": ">",
    ">=": ">=",
}


# --------------------------------------------------------------------------- tokens

_TOKEN_RE = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<number>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)
    | (?P<string>'(?:[^']|'')*'|"(?:[^"]|"")*")
    | (?P<backtick>`(?:[^`]|``)*`)
    | (?P<op><=|>=|!=|=|<|>)
    | (?P<punct>[(),.])
    """,
    re.VERBOSE | re.ASCII,
)
_INTEGER_RE = re.compile(r"[+-]?[0-9]+", re.ASCII)
_QUOTE_NAMES = {"'": "string", '"': "string", "`": "backticked key"}


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # space-free group name of _TOKEN_RE, a punctuation character, or "end"
    text: str
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.text)

    def is_word(self, word: str) -> bool:
        return self.kind == "word" and self.text.upper() == word

    def is_quoted_key(self) -> bool:
        return self.kind == "backtick" or (self.kind == "string" and self.text[0] == '"')

    def describe(self) -> str:
        return "end of input" if self.kind == "end" else repr(self.text)


@dataclass(frozen=True, slots=True)
class _Source:
    """The text being parsed, for error messages."""

    label: str
    text: str

    def error(self, position: int, problem: str, expected: str) -> MalformedFilter:
        return MalformedFilter(
            f'{self.label} "{self.text}": {problem} at position {position}; expected {expected}'
        )

    def unexpected(self, token: _Token, expected: str) -> MalformedFilter:
        return self.error(token.start, f"unexpected {token.describe()}", expected)


def _tokenize(source: _Source) -> list[_Token]:
    text = source.text
    nul = text.find("\x00")
    if nul >= 0:
        raise source.error(nul, "NUL character", "text without NUL characters")
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN_RE.match(text, pos)
        if match is None:
            char = text[pos]
            if char in _QUOTE_NAMES:
                raise source.error(
                    pos,
                    f"unterminated {_QUOTE_NAMES[char]}",
                    f"a closing {char} (write {char}{char} for a literal {char})",
                )
            raise source.error(
                pos,
                f"unexpected character {char!r}",
                "an identifier, operator, number or quoted string",
            )
        kind = match.lastgroup or ""
        if kind != "space":
            value = match.group()
            tokens.append(_Token(value if kind == "punct" else kind, value, pos))
        pos = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


def _unquote(text: str) -> str:
    quote = text[0]
    return text[1:-1].replace(quote * 2, quote)


# --------------------------------------------------------------------------- LIKE patterns


def _like_parts(pattern: str) -> list[tuple[str, bool]] | None:
    """Split a LIKE pattern into (character, is_wildcard); None if it ends in a lone backslash."""
    parts: list[tuple[str, bool]] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            if i + 1 == len(pattern):
                return None
            parts.append((pattern[i + 1], False))
            i += 2
        else:
            parts.append((char, char in "%_"))
            i += 1
    return parts


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


# --------------------------------------------------------------------------- parser


class _Parser:
    def __init__(self, source: _Source, target: _Target) -> None:
        self.source = source
        self.target = target
        self.tokens = _tokenize(source)
        self.index = 0

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    # filter := [disjunction]
    def filter(self) -> Node | None:
        if self.peek().kind == "end":
            return None
        node = self.disjunction(0)
        token = self.peek()
        if token.kind != "end":
            raise self.source.unexpected(token, "AND, OR or the end of the filter")
        return node

    def disjunction(self, depth: int) -> Node:
        operands = [self.conjunction(depth)]
        while self.peek().is_word("OR"):
            self.take()
            operands.append(self.conjunction(depth))
        return _combine("OR", operands)

    def conjunction(self, depth: int) -> Node:
        operands = [self.primary(depth)]
        while self.peek().is_word("AND"):
            self.take()
            operands.append(self.primary(depth))
        return _combine("AND", operands)

    def primary(self, depth: int) -> Node:
        token = self.peek()
        if token.kind != "(":
            return self.comparison()
        if depth >= _MAX_NESTING:
            raise self.source.error(
                token.start, f"parentheses nested more than {_MAX_NESTING} deep", "a flatter filter"
            )
        self.take()
        node = self.disjunction(depth + 1)
        close = self.take()
        if close.kind != ")":
            raise self.source.unexpected(
                close, f"AND, OR or ')' to close the '(' at position {token.start}"
            )
        return node

    def comparison(self) -> Comparison:
        entity, key, kind = self.identifier()
        subject = f"{entity} {key!r}"
        op = self.operator(subject, kind)
        if op in ("IN", "NOT IN"):
            value: Value = self.value_list(op, kind)
        else:
            value = self.value(op, kind, subject, as_float=entity == "metric")
        return Comparison(entity, key, op, value)

    def identifier(self) -> tuple[Entity, str, _ValueKind]:
        """Read ``prefix.key`` or a bare attribute name; return (entity, key, value kind)."""
        token = self.take()
        expected = f"an identifier such as {self.target.examples}"
        if token.is_quoted_key():
            return self.attribute(_unquote(token.text), token)
        if token.kind != "word" or token.text.upper() in _KEYWORDS:
            raise self.source.unexpected(token, expected)
        prefix, dot, key = token.text.partition(".")
        if not dot:
            after = self.peek()
            if after.kind != "." or after.start != token.end:
                return self.attribute(token.text, token)
            self.take()
            quoted = self.take()
            if not quoted.is_quoted_key() or quoted.start != after.end:
                raise self.source.unexpected(
                    quoted, f"a backticked or double-quoted key right after '{token.text}.'"
                )
            key = _unquote(quoted.text)
        entity = self.target.prefixes.get(prefix.lower())
        if entity is None:
            raise self.source.error(
                token.start,
                f"unknown prefix {prefix!r}",
                f"{self.target.prefix_names()} before the '.', or a bare attribute name",
            )
        if not key:
            raise self.source.error(token.start, "empty key", f"a key after '{prefix}.'")
        if entity == "attribute":
            return self.attribute(key, token)
        return entity, key, "number" if entity == "metric" else "string"

    def attribute(self, name: str, token: _Token) -> tuple[Entity, str, _ValueKind]:
        attribute = self.target.attributes.get(name.lower())
        if attribute is None:
            raise self.source.error(
                token.start,
                f"unknown {self.target.noun} attribute {name!r}",
                f"one of {self.target.attribute_names()}, or a prefixed key such as "
                f"{self.target.examples.split(', ')[0]}",
            )
        return "attribute", attribute.name, attribute.kind

    def operator(self, subject: str, kind: _ValueKind) -> Operator:
        token = self.take()
        allowed = _OPERATORS[kind]
        op: Operator | None = None
        if token.kind == "op":
            op = _SYMBOL_OPERATORS[token.text]
        elif token.kind == "word":
            op = _WORD_OPERATORS.get(token.text.upper())
            if token.is_word("NOT"):
                after = self.take()
                if not after.is_word("IN"):
                    raise self.source.unexpected(after, "IN after NOT")
                op = "NOT IN"
        if op is None:
            raise self.source.unexpected(
                token, f"a comparison operator ({', '.join(allowed)}) after {subject}"
            )
        if op not in allowed:
            raise self.source.error(
                token.start,
                f"operator {op} is not valid for {subject}",
                f"one of {', '.join(allowed)}",
            )
        return op

    def value(
        self, op: Operator, kind: _ValueKind, subject: str, *, as_float: bool
    ) -> int | float | str:
        token = self.take()
        if kind == "number":
            if token.kind != "number":
                raise self.source.unexpected(
                    token, f"an unquoted number after '{op}' ({subject} is numeric)"
                )
            return self.number(token, as_float=as_float)
        if kind == "id":
            return self.experiment_id(token, f"an experiment id after '{op}'")
        if token.kind != "string":
            raise self.source.unexpected(token, f"a quoted string after '{op}'")
        text = _unquote(token.text)
        if op in ("LIKE", "ILIKE") and _like_parts(text) is None:
            raise self.source.error(
                token.start,
                f"{op} pattern ends with a lone backslash",
                "a character after '\\' (write '\\\\' for a backslash)",
            )
        return text

    def value_list(self, op: Operator, kind: _ValueKind) -> tuple[str, ...] | tuple[int, ...]:
        what = "experiment ids" if kind == "id" else "quoted strings"
        token = self.take()
        if token.kind != "(":
            raise self.source.unexpected(token, f"'(' and a list of {what} after {op}")
        strings: list[str] = []
        ids: list[int] = []
        while True:
            token = self.take()
            if kind == "id":
                ids.append(self.experiment_id(token, f"an experiment id in the {op} list"))
            elif token.kind == "string":
                strings.append(_unquote(token.text))
            else:
                raise self.source.unexpected(token, f"a quoted string in the {op} list")
            token = self.take()
            if token.kind == ")":
                return tuple(ids) if kind == "id" else tuple(strings)
            if token.kind != ",":
                raise self.source.unexpected(token, f"',' or ')' in the {op} list")

    def number(self, token: _Token, *, as_float: bool) -> int | float:
        if not as_float and _INTEGER_RE.fullmatch(token.text):
            number = int(token.text)
            if number not in _INT64:
                raise self.source.error(
                    token.start, f"number {token.text} is out of range", "a 64-bit integer"
                )
            return number
        real = float(token.text)
        if not math.isfinite(real):
            raise self.source.error(
                token.start, f"number {token.text} is out of range", "a finite number"
            )
        return real

    def experiment_id(self, token: _Token, expected: str) -> int:
        text = _unquote(token.text) if token.kind == "string" else token.text
        if token.kind in ("string", "number") and _INTEGER_RE.fullmatch(text):
            number = int(text)
            if number in _INT64:
                return number
        raise self.source.unexpected(token, f"{expected} (an integer)")

    # order_by := identifier ["ASC" | "DESC"]
    def order_key(self) -> OrderKey:
        if self.peek().kind == "end":
            raise self.source.error(
                0, "empty clause", f"an identifier such as {self.target.examples}, then ASC or DESC"
            )
        entity, key, _ = self.identifier()
        ascending = True
        token = self.peek()
        if token.is_word("ASC") or token.is_word("DESC"):
            ascending = token.is_word("ASC")
            self.take()
        token = self.peek()
        if token.kind != "end":
            raise self.source.unexpected(token, "ASC, DESC or the end of the clause")
        return OrderKey(entity, key, ascending)


def _combine(op: Literal["AND", "OR"], operands: list[Node]) -> Node:
    if len(operands) == 1:
        return operands[0]
    flat: list[Node] = []
    for operand in operands:
        if isinstance(operand, BoolOp) and operand.op == op:
            flat.extend(operand.operands)
        else:
            flat.append(operand)
    return BoolOp(op, tuple(flat))


def parse_filter(filter_string: str | None, *, kind: SearchKind = "run") -> Node | None:
    """Parse a search filter into a syntax tree, checking names, operators and value types.

    Args:
        filter_string: for example ``"metrics.acc > 0.5 and params.lr = '0.1'"``; None or
            blank means no filter.
        kind: ``"run"`` or ``"experiment"``, which decides the prefixes and attributes allowed.

    Returns:
        None for an empty filter, else a :class:`Comparison` or a :class:`BoolOp`.

    Raises:
        MalformedFilter: naming the offending token, its position and what was expected.

    Example::

        >>> parse_filter("status = 'RUNNING'")
        Comparison(entity='attribute', key='status', op='=', value='RUNNING')
    """
    if filter_string is None:
        return None
    return _Parser(_Source("filter", filter_string), _TARGETS[kind]).filter()


def parse_order_by(clause: str, *, kind: SearchKind = "run") -> OrderKey:
    """Parse one order-by clause such as ``"metrics.acc DESC"`` (ascending by default).

    Raises:
        MalformedFilter: the clause is empty, names an unknown key or has trailing text.
    """
    return _Parser(_Source("order_by clause", clause), _TARGETS[kind]).order_key()


# --------------------------------------------------------------------------- SQL


def _check_dialect(dialect: str) -> None:
    if dialect not in _DIALECTS:
        raise InvalidArgument(
            f"search does not support the {dialect!r} dialect; use 'sqlite' or 'postgresql'"
        )


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
    parts = _like_parts(value)
    assert parts is not None  # the parser rejected a trailing backslash
    if op == "ILIKE":
        return column.ilike(_to_like(parts), escape="\\")
    if dialect == "sqlite":
        # SQLite's LIKE ignores ASCII case; GLOB is its case-sensitive equivalent.
        return column.op("GLOB", return_type=Boolean)(_to_glob(parts))
    return column.like(_to_like(parts), escape="\\")


def _compile_node(node: Node, target: _Target, dialect: str) -> ColumnElement[bool]:
    if isinstance(node, BoolOp):
        operands = [_compile_node(operand, target, dialect) for operand in node.operands]
        return and_(*operands) if node.op == "AND" else or_(*operands)
    if node.entity == "attribute":
        column = target.table.c[target.attributes[node.key].column]
        return _compare(column, node.op, node.value, dialect)
    table = target.key_tables[node.entity]
    conditions = [
        table.c[target.owner_column] == target.table.c[target.id_column],
        table.c.key == node.key,
    ]
    if node.entity == "metric":
        conditions.append(~table.c.is_nan)
    conditions.append(_compare(table.c.value, node.op, node.value, dialect))
    return exists().where(*conditions)


def _order_terms(key: OrderKey, target: _Target) -> list[ColumnElement[Any]]:
    if key.entity == "attribute":
        column = target.table.c[target.attributes[key.key].column]
        term = column.asc() if key.ascending else column.desc()
        return [term.nulls_last() if column.nullable else term]
    table = target.key_tables[key.entity]
    owned = (
        table.c[target.owner_column] == target.table.c[target.id_column],
        table.c.key == key.key,
    )
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


def _compile_order_by(order_by: Sequence[str] | None, target: _Target) -> list[ColumnElement[Any]]:
    keys: list[OrderKey] = []
    seen: dict[tuple[Entity, str], str] = {}
    for clause in order_by or ():
        if not isinstance(clause, str):
            raise MalformedFilter(
                f"order_by clause {clause!r} is not a string; expected e.g. 'metrics.acc DESC'"
            )
        key = _Parser(_Source("order_by clause", clause), target).order_key()
        if (key.entity, key.key) in seen:
            raise MalformedFilter(
                f'order_by clause "{clause}" sorts by {key.entity} {key.key!r} again '
                f'(already in "{seen[key.entity, key.key]}"); expected each key at most once'
            )
        seen[key.entity, key.key] = clause
        keys.append(key)
    if not keys:
        keys.extend(target.default_order)
    keys.extend(
        k
        for k in target.tiebreakers
        if not any(k.key == o.key for o in keys if o.entity == "attribute")
    )
    return [term for key in keys for term in _order_terms(key, target)]


def _compile(
    target: _Target, filter_string: str | None, order_by: Sequence[str] | None, dialect: str
) -> RunSearch:
    _check_dialect(dialect)
    node = None
    if filter_string is not None:
        node = _Parser(_Source("filter", filter_string), target).filter()
    if node is None:
        where = []
    elif isinstance(node, BoolOp) and node.op == "AND":
        where = [_compile_node(operand, target, dialect) for operand in node.operands]
    else:
        where = [_compile_node(node, target, dialect)]
    return RunSearch(where=where, order_by=_compile_order_by(order_by, target))


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
    return _compile(_RUN_TARGET, filter_string, order_by, dialect)


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
    return _compile(_EXPERIMENT_TARGET, filter_string, order_by, dialect)
