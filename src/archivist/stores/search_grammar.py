"""The search filter language of every search: runs, experiments, registered models, versions.

The language is MLflow's filter grammar, plus ``OR`` and parentheses for runs and
experiments::

    filter      := [disjunction]
    disjunction := conjunction ("OR" conjunction)*   -- runs and experiments only
    conjunction := primary ("AND" primary)*          -- AND binds tighter than OR
    primary     := "(" disjunction ")" | comparison  -- parentheses: runs and experiments only
    comparison  := identifier operator value
    identifier  := [prefix "."] key                  -- metrics.acc, tags."a b", status
    operator    := = | != | < | <= | > | >= | LIKE | ILIKE | IN | NOT IN
    value       := number | string | "(" item ("," item)* ")"
    order_by    := identifier ["ASC" | "DESC"]

Keywords are case-insensitive. Strings are single- or double-quoted, and a doubled quote
inside one stands for itself (``'it''s'``). A key is a bare word that may contain dots
(``tags.mlflow.source.name``), or a backticked or double-quoted string after the prefix
(``metrics.`val loss` ``). Without a prefix, an identifier names an attribute.

Each kind of search has a :class:`Vocabulary`: the prefixes and attributes it knows, the
operators each takes, what it may be ordered by. Parsing checks names, operators and
value types, and yields a syntax tree; ``archivist.stores.tracking.search`` turns that
tree into SQL. LIKE patterns use ``%`` and ``_``, and a backslash makes the next
character literal.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from archivist.errors import MalformedFilter

__all__ = [
    "DATASET_FIELDS",
    "MAX_FILTER_COMPARISONS",
    "MAX_FILTER_LENGTH",
    "MAX_FILTER_LIST_VALUES",
    "MAX_ORDER_BY_CLAUSES",
    "BoolOp",
    "Comparison",
    "Entity",
    "Node",
    "Operator",
    "OrderKey",
    "SearchKind",
    "Value",
    "Vocabulary",
    "like_parts",
    "parse_filter",
    "parse_order_by",
    "resolve_order_by",
    "vocabulary",
]

Entity: TypeAlias = Literal["metric", "param", "tag", "attribute", "dataset"]
#: what ``datasets.<field>`` may name in a run filter (MLflow's dataset fields)
DATASET_FIELDS = ("name", "digest", "context")
Operator: TypeAlias = Literal["=", "!=", "<", "<=", ">", ">=", "LIKE", "ILIKE", "IN", "NOT IN"]
Value: TypeAlias = "int | float | str | tuple[str, ...] | tuple[int, ...]"
SearchKind: TypeAlias = Literal[
    "run", "experiment", "registered_model", "model_version", "logged_model"
]
_ValueKind: TypeAlias = Literal["number", "string", "registry_tag", "id", "version"]

_MAX_NESTING = 32
#: One search must not tie up the database: SQLite refuses expressions deeper than 1,000
#: and PostgreSQL plans thousands of OR'ed subqueries for minutes. These bound what one
#: filter may ask for, the same for every kind of search and every backend.
MAX_FILTER_LENGTH = 50_000
MAX_FILTER_COMPARISONS = 200
MAX_FILTER_LIST_VALUES = 5_000
MAX_ORDER_BY_CLAUSES = 20
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


# --------------------------------------------------------------------------- vocabulary


@dataclass(frozen=True, slots=True)
class _Attribute:
    """An attribute as searches name it, the column behind it, and the kind of its values."""

    name: str
    column: str
    kind: _ValueKind


@dataclass(frozen=True, slots=True)
class _Names:
    """What an identifier may name in one place: a filter, or an order_by clause."""

    prefixes: Mapping[str, Entity]
    attributes: Mapping[str, _Attribute]  # by lowercased name or alias
    examples: tuple[str, ...]

    def attribute_names(self) -> str:
        """``one of a, b, c``, or the only name."""
        names = list(dict.fromkeys(a.name for a in self.attributes.values()))
        return names[0] if len(names) == 1 else f"one of {', '.join(names)}"

    def prefix_names(self) -> str:
        plural = {
            "metric": "metrics.",
            "param": "params.",
            "tag": "tags.",
            "attribute": "attributes.",
            "dataset": "datasets.",
        }
        return _or([plural[e] for e in dict.fromkeys(self.prefixes.values())])

    def prefixed_example(self) -> str:
        return next(e for e in self.examples if "." in e)


@dataclass(frozen=True, slots=True)
class _Wording:
    """How error messages name things; the templates' fields are named in the comments.

    The grammar and the checks are the same for every kind of search. Registry searches
    keep the shorter messages they have always given (callers match on them); runs and
    experiments quote operators and say which operator was rejected.
    """

    identifier: str  # as in "expected an identifier such as ..."
    attribute: str  # what a bare name is called: "unknown run attribute 'x'"
    attribute_subject: str  # an attribute in messages; {key} (quoted)
    operator: str  # an operator in "after <op>"; {op}
    unterminated: tuple[str, str]  # (problem, expected); {quote}, {what}
    list_open: str  # expected instead of the '(' after IN; {what}, {op}
    operator_expected: str  # expected instead of an operator; {allowed}, {subject}
    # (problem, expected) for an operator that the subject does not take; {op}, {subject},
    # {allowed}. None: report it as not an operator, with operator_expected.
    operator_invalid: tuple[str, str] | None


_TRACKING_WORDING = _Wording(
    identifier="an identifier",
    attribute="attribute",
    attribute_subject="attribute {key}",
    operator="'{op}'",
    unterminated=(
        "unterminated {what}",
        "a closing {quote} (write {quote}{quote} for a literal {quote})",
    ),
    list_open="'(' and a list of {what} after {op}",
    operator_expected="a comparison operator ({allowed}) after {subject}",
    operator_invalid=("operator {op} is not valid for {subject}", "one of {allowed}"),
)
_REGISTRY_WORDING = _Wording(
    identifier="a field",
    attribute="field",
    attribute_subject="{key}",
    operator="{op}",
    unterminated=("unterminated {quote}", "a closing {quote}"),
    list_open="'(' and a list after {op}",
    operator_expected="an operator for {subject}: one of {allowed}",
    operator_invalid=None,
)


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """What one kind of search may refer to, and how it words its errors."""

    noun: str
    filter_names: _Names
    order_names: _Names
    key_kinds: Mapping[Entity, _ValueKind]  # the values of metric/param/tag keys
    allow_or: bool  # OR and parentheses
    default_order: tuple[OrderKey, ...]
    tiebreakers: tuple[OrderKey, ...]
    wording: _Wording

    def subject(self, entity: Entity, key: str) -> str:
        if entity == "attribute":
            return self.wording.attribute_subject.format(key=repr(key))
        return f"{entity} {key!r}"

    def identifier_hint(self, names: _Names) -> str:
        return f"{self.wording.identifier} such as {_or(list(names.examples))}"


def _attributes(
    *specs: tuple[str, str, _ValueKind], aliases: Mapping[str, str]
) -> dict[str, _Attribute]:
    table = {name: _Attribute(name, column, kind) for name, column, kind in specs}
    table.update({alias: table[name] for alias, name in aliases.items()})
    return table


def _or(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


_RUN_NAMES = _Names(
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
    examples=("metrics.acc", "params.lr", "tags.team", "status"),
)
_RUN_FILTER_NAMES = _Names(
    prefixes={**_RUN_NAMES.prefixes, "dataset": "dataset", "datasets": "dataset"},
    attributes=_RUN_NAMES.attributes,
    examples=_RUN_NAMES.examples,
)
_EXPERIMENT_NAMES = _Names(
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
    examples=("name", "creation_time", "tags.team"),
)
_LOGGED_MODEL_NAMES = _Names(
    prefixes={k: v for k, v in _RUN_NAMES.prefixes.items() if k != "run"},
    attributes=_attributes(
        ("name", "name", "string"),
        ("model_id", "model_id", "string"),
        ("model_type", "model_type", "string"),
        ("status", "status", "string"),
        ("source_run_id", "source_run_id", "string"),
        ("creation_timestamp", "creation_time", "number"),
        ("last_updated_timestamp", "last_updated_time", "number"),
        aliases={
            "creation_time": "creation_timestamp",
            "last_updated_time": "last_updated_timestamp",
        },
    ),
    examples=("metrics.acc", "params.lr", "tags.team", "name"),
)
_REGISTRY_TAGS: Mapping[str, Entity] = {"tag": "tag", "tags": "tag"}
_REGISTRY_TIMES: tuple[tuple[str, str, _ValueKind], ...] = (
    ("creation_timestamp", "creation_time", "number"),
    ("last_updated_timestamp", "last_updated_time", "number"),
)

_VOCABULARIES: dict[SearchKind, Vocabulary] = {
    "run": Vocabulary(
        noun="run",
        filter_names=_RUN_FILTER_NAMES,
        order_names=_RUN_NAMES,
        key_kinds={"metric": "number", "param": "string", "tag": "string", "dataset": "string"},
        allow_or=True,
        default_order=(),
        tiebreakers=(
            OrderKey("attribute", "start_time", False),
            OrderKey("attribute", "run_id", True),
        ),
        wording=_TRACKING_WORDING,
    ),
    "experiment": Vocabulary(
        noun="experiment",
        filter_names=_EXPERIMENT_NAMES,
        order_names=_EXPERIMENT_NAMES,
        key_kinds={"tag": "string"},
        allow_or=True,
        default_order=(OrderKey("attribute", "creation_time", False),),
        tiebreakers=(OrderKey("attribute", "experiment_id", True),),
        wording=_TRACKING_WORDING,
    ),
    "logged_model": Vocabulary(
        noun="logged model",
        filter_names=_LOGGED_MODEL_NAMES,
        order_names=_LOGGED_MODEL_NAMES,
        key_kinds={"metric": "number", "param": "string", "tag": "string"},
        allow_or=True,
        default_order=(),
        tiebreakers=(
            OrderKey("attribute", "creation_timestamp", False),
            OrderKey("attribute", "model_id", True),
        ),
        wording=_TRACKING_WORDING,
    ),
    "registered_model": Vocabulary(
        noun="registered model",
        filter_names=_Names(
            prefixes=_REGISTRY_TAGS,
            attributes=_attributes(("name", "name", "string"), aliases={}),
            examples=("name", "tags.team"),
        ),
        order_names=_Names(
            prefixes={},
            attributes=_attributes(
                ("name", "name", "string"),
                *_REGISTRY_TIMES,
                aliases={"timestamp": "last_updated_timestamp"},
            ),
            examples=("name", "last_updated_timestamp"),
        ),
        key_kinds={"tag": "registry_tag"},
        allow_or=False,
        default_order=(),
        tiebreakers=(OrderKey("attribute", "name", True),),
        wording=_REGISTRY_WORDING,
    ),
    "model_version": Vocabulary(
        noun="model version",
        filter_names=_Names(
            prefixes=_REGISTRY_TAGS,
            attributes=_attributes(
                ("name", "name", "string"),
                ("version_number", "version", "version"),
                ("run_id", "run_id", "string"),
                ("source_path", "source", "string"),
                ("model_id", "model_id", "string"),
                aliases={},
            ),
            examples=("name", "version_number", "tags.team"),
        ),
        order_names=_Names(
            prefixes={},
            attributes=_attributes(
                ("name", "name", "string"),
                ("version_number", "version", "version"),
                *_REGISTRY_TIMES,
                aliases={"timestamp": "last_updated_timestamp"},
            ),
            examples=("version_number", "last_updated_timestamp"),
        ),
        key_kinds={"tag": "registry_tag"},
        allow_or=False,
        default_order=(),
        tiebreakers=(
            OrderKey("attribute", "name", True),
            OrderKey("attribute", "version_number", False),
        ),
        wording=_REGISTRY_WORDING,
    ),
}


def vocabulary(kind: SearchKind) -> Vocabulary:
    """The vocabulary of one kind of search."""
    return _VOCABULARIES[kind]


_OPERATORS: dict[_ValueKind, tuple[Operator, ...]] = {
    "number": ("=", "!=", "<", "<=", ">", ">="),
    "string": ("=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"),
    "registry_tag": ("=", "!=", "LIKE", "ILIKE"),  # as in MLflow's registry
    "id": ("=", "!=", "IN", "NOT IN"),
    "version": ("=", "!=", "<", "<=", ">", ">=", "IN", "NOT IN"),
}
_INTEGER_RE = re.compile(r"[+-]?[0-9]+", re.ASCII)
# integer kinds, written bare or quoted: what one value and a list are called, the spelling
_INTEGERS: dict[_ValueKind, tuple[str, str, re.Pattern[str]]] = {
    "id": ("an experiment id", "experiment ids", _INTEGER_RE),
    "version": ("a version number", "version numbers", re.compile(r"[0-9]{1,18}", re.ASCII)),
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
            f'{self.label} "{self.shown()}": {problem} at position {position}; expected {expected}'
        )

    def shown(self) -> str:
        return self.text if len(self.text) <= 300 else f"{self.text[:300]}..."

    def unexpected(self, token: _Token, expected: str) -> MalformedFilter:
        return self.error(token.start, f"unexpected {token.describe()}", expected)


def _tokenize(source: _Source, wording: _Wording) -> list[_Token]:
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
                problem, expected = wording.unterminated
                names = {"quote": char, "what": _QUOTE_NAMES[char]}
                raise source.error(pos, problem.format(**names), expected.format(**names))
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


def like_parts(pattern: str) -> list[tuple[str, bool]] | None:
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


# --------------------------------------------------------------------------- parser


class _Parser:
    def __init__(self, source: _Source, vocabulary: Vocabulary, names: _Names) -> None:
        self.source = source
        self.vocabulary = vocabulary
        self.wording = vocabulary.wording
        self.names = names
        self.tokens = _tokenize(source, vocabulary.wording)
        self.index = 0
        self.comparisons = 0
        self.list_values = 0

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
        if token.kind == "end":
            return node
        if self.vocabulary.allow_or:
            raise self.source.unexpected(token, "AND, OR or the end of the filter")
        hint = ""
        if token.is_word("OR"):
            hint = (
                f" (OR is not supported in {self.vocabulary.noun} searches; run one search "
                "per alternative)"
            )
        raise self.source.unexpected(token, f"AND or the end of the filter{hint}")

    def disjunction(self, depth: int) -> Node:
        operands = [self.conjunction(depth)]
        while self.vocabulary.allow_or and self.peek().is_word("OR"):
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
        if token.kind != "(" or not self.vocabulary.allow_or:
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
        self.comparisons += 1
        if self.comparisons > MAX_FILTER_COMPARISONS:
            raise self.source.error(
                self.peek().start,
                f"more than {MAX_FILTER_COMPARISONS} comparisons",
                f"at most {MAX_FILTER_COMPARISONS} in one search: for many alternatives of "
                "one key use IN ('a', 'b', ...), or run several searches",
            )
        entity, key, kind = self.identifier()
        subject = self.vocabulary.subject(entity, key)
        op = self.operator(subject, kind)
        if op in ("IN", "NOT IN"):
            value: Value = self.value_list(op, kind)
        else:
            value = self.value(op, kind, subject, as_float=entity == "metric")
        return Comparison(entity, key, op, value)

    def identifier(self) -> tuple[Entity, str, _ValueKind]:
        """Read ``prefix.key`` or a bare attribute name; return (entity, key, value kind)."""
        token = self.take()
        if token.is_quoted_key():
            return self.attribute(_unquote(token.text), token)
        if token.kind != "word" or token.text.upper() in _KEYWORDS:
            raise self.source.unexpected(token, self.vocabulary.identifier_hint(self.names))
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
        entity = self.names.prefixes.get(prefix.lower())
        if entity is None:
            if self.names.prefixes:
                expected = (
                    f"{self.names.prefix_names()} before the '.', or a bare "
                    f"{self.wording.attribute} name"
                )
            else:
                expected = self.names.attribute_names()
            raise self.source.error(token.start, f"unknown prefix {prefix!r}", expected)
        if not key:
            raise self.source.error(token.start, "empty key", f"a key after '{prefix}.'")
        if entity == "attribute":
            return self.attribute(key, token)
        if entity == "dataset" and key.lower() not in DATASET_FIELDS:
            raise self.source.error(
                token.start,
                f"unknown dataset field {key!r}",
                "datasets.name, datasets.digest or datasets.context",
            )
        if entity == "dataset":
            key = key.lower()
        return entity, key, self.vocabulary.key_kinds[entity]

    def attribute(self, name: str, token: _Token) -> tuple[Entity, str, _ValueKind]:
        attribute = self.names.attributes.get(name.lower())
        if attribute is None:
            expected = self.names.attribute_names()
            if self.names.prefixes:
                expected += f", or a prefixed key such as {self.names.prefixed_example()}"
            raise self.source.error(
                token.start,
                f"unknown {self.vocabulary.noun} {self.wording.attribute} {name!r}",
                expected,
            )
        return "attribute", attribute.name, attribute.kind

    def operator(self, subject: str, kind: _ValueKind) -> Operator:
        token = self.take()
        allowed = ", ".join(_OPERATORS[kind])
        names = {"subject": subject, "allowed": allowed}
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
        if op is None or (op not in _OPERATORS[kind] and self.wording.operator_invalid is None):
            raise self.source.unexpected(token, self.wording.operator_expected.format(**names))
        if op not in _OPERATORS[kind]:
            assert self.wording.operator_invalid is not None
            problem, expected = self.wording.operator_invalid
            raise self.source.error(
                token.start, problem.format(op=op, **names), expected.format(**names)
            )
        return op

    def value(
        self, op: Operator, kind: _ValueKind, subject: str, *, as_float: bool
    ) -> int | float | str:
        token = self.take()
        after = "after " + self.wording.operator.format(op=op)
        if kind == "number":
            if token.kind != "number":
                raise self.source.unexpected(
                    token, f"an unquoted number {after} ({subject} is numeric)"
                )
            return self.number(token, as_float=as_float)
        if kind in _INTEGERS:
            return self.integer(token, kind, after)
        if token.kind != "string":
            raise self.source.unexpected(token, f"a quoted string {after}")
        text = _unquote(token.text)
        if op in ("LIKE", "ILIKE") and like_parts(text) is None:
            raise self.source.error(
                token.start,
                f"{op} pattern ends with a lone backslash",
                "a character after '\\' (write '\\\\' for a backslash)",
            )
        return text

    def value_list(self, op: Operator, kind: _ValueKind) -> tuple[str, ...] | tuple[int, ...]:
        what = _INTEGERS[kind][1] if kind in _INTEGERS else "quoted strings"
        token = self.take()
        if token.kind != "(":
            raise self.source.unexpected(token, self.wording.list_open.format(what=what, op=op))
        strings: list[str] = []
        ints: list[int] = []
        while True:
            token = self.take()
            self.list_values += 1
            if self.list_values > MAX_FILTER_LIST_VALUES:
                raise self.source.error(
                    token.start,
                    f"more than {MAX_FILTER_LIST_VALUES} values in IN lists",
                    f"at most {MAX_FILTER_LIST_VALUES} in one search: run several searches",
                )
            if kind in _INTEGERS:
                ints.append(self.integer(token, kind, f"in the {op} list"))
            elif token.kind == "string":
                strings.append(_unquote(token.text))
            else:
                raise self.source.unexpected(token, f"a quoted string in the {op} list")
            token = self.take()
            if token.kind == ")":
                return tuple(ints) if kind in _INTEGERS else tuple(strings)
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

    def integer(self, token: _Token, kind: _ValueKind, where: str) -> int:
        """An integer written bare or quoted (``1`` or ``'1'``), such as an experiment id."""
        what, _, spelling = _INTEGERS[kind]
        text = _unquote(token.text) if token.kind == "string" else token.text
        if token.kind in ("string", "number") and spelling.fullmatch(text):
            number = int(text)
            if number in _INT64:
                return number
        raise self.source.unexpected(token, f"{what} {where} (an integer)")

    # order_by := identifier ["ASC" | "DESC"]
    def order_key(self) -> OrderKey:
        if self.peek().kind == "end":
            raise self.source.error(
                0,
                "empty clause",
                f"{self.vocabulary.identifier_hint(self.names)}, then ASC or DESC",
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


# --------------------------------------------------------------------------- entry points


def parse_filter(filter_string: str | None, *, kind: SearchKind = "run") -> Node | None:
    """Parse a search filter into a syntax tree, checking names, operators and value types.

    Args:
        filter_string: for example ``"metrics.acc > 0.5 and params.lr = '0.1'"``; None or
            blank means no filter.
        kind: ``"run"``, ``"experiment"``, ``"registered_model"`` or ``"model_version"``,
            which decides the prefixes, attributes and operators allowed.

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
    if not isinstance(filter_string, str):
        raise MalformedFilter(
            f"filter {filter_string!r} is not a string; expected e.g. \"tags.team = 'ml'\""
        )
    if len(filter_string) > MAX_FILTER_LENGTH:
        raise MalformedFilter(
            f'filter "{filter_string[:80]}..." is {len(filter_string):,} characters long; the '
            f"limit is {MAX_FILTER_LENGTH:,}: run several smaller searches"
        )
    words = _VOCABULARIES[kind]
    return _Parser(_Source("filter", filter_string), words, words.filter_names).filter()


def parse_order_by(clause: str, *, kind: SearchKind = "run") -> OrderKey:
    """Parse one order-by clause such as ``"metrics.acc DESC"`` (ascending by default).

    Raises:
        MalformedFilter: the clause is empty, names an unknown key or has trailing text.
    """
    words = _VOCABULARIES[kind]
    return _Parser(_Source("order_by clause", clause), words, words.order_names).order_key()


def resolve_order_by(order_by: Any, *, kind: SearchKind) -> list[OrderKey]:
    """The keys to sort a search by: the clauses given (or the default), then tiebreakers.

    ``order_by`` is a list of clauses, one clause, or None. A tiebreaker is added unless
    its attribute is already sorted by.

    Raises:
        MalformedFilter: a clause is not a string, does not parse, or repeats a key.
    """
    words = _VOCABULARIES[kind]
    keys: list[OrderKey] = []
    seen: dict[tuple[Entity, str], str] = {}
    clauses = [order_by] if isinstance(order_by, str) else list(order_by or ())
    if len(clauses) > MAX_ORDER_BY_CLAUSES:
        raise MalformedFilter(
            f"order_by has {len(clauses)} clauses; the limit is {MAX_ORDER_BY_CLAUSES}: sort "
            "by fewer keys"
        )
    for clause in clauses:
        if not isinstance(clause, str):
            raise MalformedFilter(
                f"order_by clause {clause!r} is not a string; expected e.g. "
                f"'{words.order_names.examples[0]} DESC'"
            )
        key = parse_order_by(clause, kind=kind)
        if (key.entity, key.key) in seen:
            raise MalformedFilter(
                f'order_by clause "{clause}" sorts by {words.subject(key.entity, key.key)} again '
                f'(already in "{seen[key.entity, key.key]}"); expected each key at most once, '
                "not sorted by twice"
            )
        seen[key.entity, key.key] = clause
        keys.append(key)
    if not keys:
        keys.extend(words.default_order)
    keys.extend(
        k
        for k in words.tiebreakers
        if not any(k.key == o.key for o in keys if o.entity == "attribute")
    )
    return keys
