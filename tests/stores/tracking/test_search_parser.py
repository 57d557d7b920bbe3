"""The search filter language: parsing, error messages, and SQL on SQLite and PostgreSQL."""

from __future__ import annotations

import math
import os
import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql, sqlite

from archivist.errors import InvalidArgument, MalformedFilter
from archivist.stores.db import schema
from archivist.stores.db.engine import normalize_db_uri
from archivist.stores.tracking.search import (
    BoolOp,
    Comparison,
    OrderKey,
    compile_experiment_search,
    compile_run_search,
    parse_filter,
    parse_order_by,
)

RUNS = schema.metadata.tables["runs"]
EXPERIMENTS = schema.metadata.tables["experiments"]
PG_URI = normalize_db_uri(
    os.environ.get("ARCHIVIST_TEST_POSTGRES_URI", "postgresql://postgres@127.0.0.1:5432/test")
)
NAN = math.nan
# The root conftest has function-scoped autouse fixtures; nothing here depends on them
# being fresh for each example.
DB_SETTINGS = settings(
    deadline=None, max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
PARSE_SETTINGS = settings(
    deadline=None, max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


# --------------------------------------------------------------------------- seed data


@dataclass(frozen=True)
class FakeRun:
    run_id: str
    experiment_id: int
    run_name: str
    user_id: str
    status: str
    start_time: int
    end_time: int | None
    lifecycle_stage: str
    artifact_uri: str
    metrics: dict[str, float] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FakeExperiment:
    experiment_id: int
    name: str
    creation_time: int
    last_update_time: int
    tags: dict[str, str] = field(default_factory=dict)


SEED_RUNS = (
    FakeRun(
        "r1", 1, "alpha", "alice", "FINISHED", 1000, 2000, "active", "file:///a/r1",
        metrics={"acc": 0.9, "loss": 0.1},
        params={"lr": "0.1", "opt": "Adam"},
        tags={"mlflow.runName": "alpha", "team": "Vision", "my tag": "x y"},
    ),
    FakeRun(
        "r2", 1, "beta", "bob", "RUNNING", 2000, None, "active", "file:///a/r2",
        metrics={"acc": 0.5, "loss": NAN},
        params={"lr": "0.01", "opt": "adam"},
        tags={"mlflow.runName": "beta", "team": "vision", "mlflow.source.name": "train.py"},
    ),
    FakeRun(
        "r3", 2, "Gamma", "alice", "FAILED", 3000, 3500, "active", "s3://b/r3",
        metrics={"acc": NAN, "my metric": 2.0},
        params={"lr": "0.1", "batch": "32"},
        tags={"mlflow.runName": "Gamma", "team": "NLP", "odd%_key": "50%_off"},
    ),
    FakeRun(
        "r4", 2, "delta", "carol", "FINISHED", 3000, 4000, "deleted", "s3://b/r4",
        params={"batch": "64"},
        tags={"note": "a*b?[c]", "quote": "it's \"q\""},
    ),
    FakeRun(
        "r5", 3, "épsilon", "bob", "KILLED", 500, None, "active", "file:///a/r5",
        metrics={"acc": -1.5, "my metric": 5.0, "loss": 0.1},
        params={"lr": "1e-3", "opt": "SGD"},
        tags={"team": "Ünï", "path": "C:\\dir\\x"},
    ),
)  # fmt: skip

SEED_EXPERIMENTS = (
    FakeExperiment(1, "Default", 100, 900),
    FakeExperiment(2, "exp-alpha", 200, 800, {"team": "Vision"}),
    FakeExperiment(3, "Exp_Beta", 200, 700, {"team": "nlp", "owner": "bob"}),
    FakeExperiment(4, "exp%odd", 300, 600, {"team": "vision"}),
    FakeExperiment(5, "zeta", 50, 1000),
)
ALL_RUNS = {run.run_id for run in SEED_RUNS}


def _seed(engine: sa.Engine) -> None:
    t = schema.metadata.tables
    with engine.begin() as conn:
        conn.execute(
            sa.insert(t["experiments"]),
            [
                {
                    "experiment_id": e.experiment_id,
                    "name": e.name,
                    "artifact_location": f"file:///e/{e.experiment_id}",
                    "lifecycle_stage": "active",
                    "creation_time": e.creation_time,
                    "last_update_time": e.last_update_time,
                }
                for e in SEED_EXPERIMENTS
            ],
        )
        conn.execute(
            sa.insert(t["experiment_tags"]),
            [
                {"experiment_id": e.experiment_id, "key": k, "value": v}
                for e in SEED_EXPERIMENTS
                for k, v in e.tags.items()
            ],
        )
        conn.execute(
            sa.insert(t["runs"]),
            [
                {
                    "run_id": r.run_id,
                    "experiment_id": r.experiment_id,
                    "name": r.run_name,
                    "user_id": r.user_id,
                    "status": r.status,
                    "start_time": r.start_time,
                    "end_time": r.end_time,
                    "lifecycle_stage": r.lifecycle_stage,
                    "artifact_uri": r.artifact_uri,
                }
                for r in SEED_RUNS
            ],
        )
        for table, attr in (("params", "params"), ("tags", "tags")):
            conn.execute(
                sa.insert(t[table]),
                [
                    {"run_id": r.run_id, "key": k, "value": v}
                    for r in SEED_RUNS
                    for k, v in getattr(r, attr).items()
                ],
            )
        conn.execute(
            sa.insert(t["latest_metrics"]),
            [
                {
                    "run_id": r.run_id,
                    "key": k,
                    "value": 0.0 if math.isnan(v) else v,
                    "is_nan": math.isnan(v),
                    "timestamp": 0,
                    "step": 0,
                }
                for r in SEED_RUNS
                for k, v in r.metrics.items()
            ],
        )


# --------------------------------------------------------------------------- databases


@dataclass(frozen=True)
class SearchDb:
    engine: sa.Engine
    dialect: str

    def run_ids(self, filter_string: str | None, order_by: list[str] | None = None) -> list[str]:
        search = compile_run_search(filter_string, order_by, dialect=self.dialect)
        query = sa.select(RUNS.c.run_id).where(*search.where).order_by(*search.order_by)
        with self.engine.connect() as conn:
            return list(conn.scalars(query))

    def experiment_ids(
        self, filter_string: str | None, order_by: list[str] | None = None
    ) -> list[int]:
        search = compile_experiment_search(filter_string, order_by, dialect=self.dialect)
        query = (
            sa.select(EXPERIMENTS.c.experiment_id).where(*search.where).order_by(*search.order_by)
        )
        with self.engine.connect() as conn:
            return list(conn.scalars(query))


def _sqlite_db(directory: Path) -> Iterator[SearchDb]:
    engine = sa.create_engine(f"sqlite:///{directory / 'search.db'}")
    try:
        schema.metadata.create_all(engine)
        _seed(engine)
        yield SearchDb(engine, "sqlite")
    finally:
        engine.dispose()


_pg_failure: list[str] = []  # why PostgreSQL was unreachable, so it is tried only once


def _postgres_db() -> Iterator[SearchDb]:
    admin = sa.create_engine(PG_URI, poolclass=sa.NullPool, connect_args={"connect_timeout": 5})
    name = f"search_{uuid.uuid4().hex[:12]}"
    try:
        if _pg_failure:
            raise ConnectionError(_pg_failure[0])
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{name}"'))
    except (sa.exc.OperationalError, ConnectionError) as exc:
        admin.dispose()
        _pg_failure[:] = [str(exc).splitlines()[0]]
        if os.environ.get("ARCHIVIST_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL at {PG_URI} is required but unreachable: {_pg_failure[0]}")
        pytest.skip(f"PostgreSQL at {PG_URI} is unreachable")
    engine = sa.create_engine(PG_URI, connect_args={"options": f"-csearch_path={name}"})
    try:
        schema.metadata.create_all(engine)
        _seed(engine)
        yield SearchDb(engine, "postgresql")
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchDb]:
    """The seed data in a SQLite file and in a fresh PostgreSQL schema (read-only tests)."""
    if request.param == "sqlite":
        yield from _sqlite_db(tmp_path_factory.mktemp("search"))
    else:
        yield from _postgres_db()


# --------------------------------------------------------------------------- run filters

RUN_FILTERS: list[tuple[str, set[str]]] = [
    # metrics: every comparator; NaN and missing keys match nothing
    ("metrics.acc > 0.5", {"r1"}),
    ("metrics.acc >= 0.5", {"r1", "r2"}),
    ("metrics.acc < 0.5", {"r5"}),
    ("metrics.acc <= 0.5", {"r2", "r5"}),
    ("metrics.acc = 0.9", {"r1"}),
    ("metrics.acc != 0.9", {"r2", "r5"}),
    ("metrics.acc > -100", {"r1", "r2", "r5"}),
    ("metrics.acc <= -1.5", {"r5"}),
    ("metrics.acc < -1.5", set()),
    ("metrics.acc > .5", {"r1"}),
    ("metrics.acc > 1e-1", {"r1", "r2"}),
    ("metrics.acc>=+0.5", {"r1", "r2"}),
    ("metrics.loss = 0.1", {"r1", "r5"}),
    ("metrics.loss != 0.1", set()),
    ("metrics.loss = 0", set()),  # NaN is stored as 0 with is_nan set
    ("metric.acc > 0", {"r1", "r2"}),
    ("METRICS.acc > 0", {"r1", "r2"}),
    ("metrics.`my metric` > 3", {"r5"}),
    ('metrics."my metric" >= 2', {"r3", "r5"}),
    ("metrics.nope > 0", set()),
    # params
    ("params.lr = '0.1'", {"r1", "r3"}),
    ("params.lr != '0.1'", {"r2", "r5"}),
    ('params.lr = "0.1"', {"r1", "r3"}),
    ("param.opt = 'adam'", {"r2"}),
    ("parameters.opt LIKE 'a%'", {"r2"}),
    ("parameter.opt LIKE 'A%'", {"r1"}),
    ("params.opt ILIKE 'a%'", {"r1", "r2"}),
    ("params.opt ilike '%D%'", {"r1", "r2", "r5"}),
    ("params.lr IN ('0.1', '1e-3')", {"r1", "r3", "r5"}),
    ("params.lr in ('0.1')", {"r1", "r3"}),
    ("params.lr NOT IN ('0.1')", {"r2", "r5"}),
    ("params.lr not  in ('0.1', '0.01', '1e-3')", set()),
    ("params.lr LIKE '0._'", {"r1", "r3"}),
    ("params.lr LIKE '0.%'", {"r1", "r2", "r3"}),
    ("params.batch = '32'", {"r3"}),
    ("params.nope != 'x'", set()),
    # tags: case-sensitive LIKE, ILIKE, quoting and escapes
    ("tags.team = 'vision'", {"r2"}),
    ("tags.team ILIKE 'VISION'", {"r1", "r2"}),
    ("tags.team LIKE 'V%'", {"r1"}),
    ("tags.team LIKE '%i%'", {"r1", "r2"}),
    ("tags.team LIKE 'Ü%'", {"r5"}),
    ("tags.team LIKE 'ü%'", set()),
    ("tags.team != 'vision'", {"r1", "r3", "r5"}),
    ("tags.team NOT IN ('vision', 'Vision')", {"r3", "r5"}),
    ("tags.team IN ('NLP')", {"r3"}),
    ("tags.mlflow.source.name = 'train.py'", {"r2"}),
    ("tags.\"mlflow.runName\" = 'alpha'", {"r1"}),
    ("tags.`mlflow.runName` LIKE '%a'", {"r1", "r2", "r3"}),
    ("tags.`my tag` = 'x y'", {"r1"}),
    ("tag.`odd%_key` = '50%_off'", {"r3"}),
    ("tags.`odd%_key` LIKE '50\\%\\_off'", {"r3"}),
    ("tags.`odd%_key` LIKE '50\\%\\_of'", set()),
    ("tags.`odd%_key` LIKE '5\\0%'", {"r3"}),  # an escaped ordinary character is itself
    ("tags.note LIKE 'a*b?[c]'", {"r4"}),  # GLOB's wildcards are literal in LIKE
    ("tags.note LIKE 'a_b_[c]'", {"r4"}),
    ("tags.note LIKE 'a*%'", {"r4"}),
    ("tags.note LIKE '*%'", set()),
    ("tags.note LIKE '%[c]'", {"r4"}),
    ("tags.note LIKE '%[c'", set()),
    ("tags.quote = 'it''s \"q\"'", {"r4"}),
    ('tags.quote = "it\'s ""q"""', {"r4"}),
    ("tags.path = 'C:\\dir\\x'", {"r5"}),
    ("tags.path LIKE 'C:\\\\dir%'", {"r5"}),
    ("tags.path LIKE 'C:\\dir%'", set()),  # \d is a literal d
    # string attributes
    ("status = 'FINISHED'", {"r1", "r4"}),
    ("STATUS = 'FINISHED'", {"r1", "r4"}),
    ("status = 'finished'", set()),
    ("attributes.status != 'FINISHED'", {"r2", "r3", "r5"}),
    ("attr.status IN ('RUNNING', 'KILLED')", {"r2", "r5"}),
    ("run.status LIKE 'F%'", {"r1", "r3", "r4"}),
    ("status LIKE 'f%'", set()),
    ("attribute.status ILIKE 'f%'", {"r1", "r3", "r4"}),
    ("run_name = 'alpha'", {"r1"}),
    ("attributes.run_name ILIKE 'g%'", {"r3"}),
    ("attributes.`Run Name` = 'beta'", {"r2"}),
    ("`run name` = 'beta'", {"r2"}),
    ('"status" = \'KILLED\'', {"r5"}),
    ("run_id IN ('r1', 'r3', 'nope')", {"r1", "r3"}),
    ("run_id = 'r2'", {"r2"}),
    ("run_id NOT IN ('r1')", ALL_RUNS - {"r1"}),
    ("user_id = 'alice'", {"r1", "r3"}),
    ("artifact_uri LIKE 's3://%'", {"r3", "r4"}),
    ("lifecycle_stage = 'deleted'", {"r4"}),
    # numeric attributes
    ("start_time > 1000", {"r2", "r3", "r4"}),
    ("start_time >= 1000", {"r1", "r2", "r3", "r4"}),
    ("attributes.created < 1000", {"r5"}),
    ("Created > 2000", {"r3", "r4"}),
    ("start_time = 3000", {"r3", "r4"}),
    ("start_time != 3000", {"r1", "r2", "r5"}),
    ("start_time > 2999.5", {"r3", "r4"}),
    ("end_time > 0", {"r1", "r3", "r4"}),
    ("end_time != 2000", {"r3", "r4"}),  # no end_time: no match
    ("end_time <= 3500", {"r1", "r3"}),
    ("experiment_id = '2'", {"r3", "r4"}),
    ("attributes.experiment_id = 1", {"r1", "r2"}),
    ("experiment_id IN ('1', 3)", {"r1", "r2", "r5"}),
    ("experiment_id != 2", {"r1", "r2", "r5"}),
    ("experiment_id NOT IN (1, 2)", {"r5"}),
    # combinations
    ("", ALL_RUNS),
    ("  \n ", ALL_RUNS),
    ("metrics.acc > 0 and params.opt = 'Adam'", {"r1"}),
    ("metrics.acc > 0 AND tags.team ILIKE 'vision' And status = 'RUNNING'", {"r2"}),
    ("metrics.acc > 0.5 and metrics.acc < 0.5", set()),
    ("status = 'KILLED' or params.batch = '64'", {"r4", "r5"}),
    ("(status = 'KILLED' or params.batch = '64') and experiment_id = 3", {"r5"}),
    ("status = 'KILLED' or params.batch = '64' and experiment_id = 3", {"r5"}),
    ("status = 'KILLED' OR (params.batch = '64' and experiment_id = 2)", {"r4", "r5"}),
    ("((metrics.acc > 0.8))", {"r1"}),
    ("(tags.team = 'NLP' or tags.team = 'vision') and (metrics.acc > 0 or params.batch = '32')", {"r2", "r3"}),
]


@pytest.mark.parametrize(("filter_string", "expected"), RUN_FILTERS)
def test_run_filter(db: SearchDb, filter_string: str, expected: set[str]) -> None:
    assert set(db.run_ids(filter_string)) == expected


def test_ilike_folds_non_ascii_letters_on_postgresql_only(db: SearchDb) -> None:
    # SQLite's lower() only knows ASCII; this is the one documented difference.
    expected = {"r5"} if db.dialect == "postgresql" else set()
    assert set(db.run_ids("tags.team ILIKE 'ü%'")) == expected


def test_search_composes_with_the_store_query(db: SearchDb) -> None:
    search = compile_run_search("metrics.acc > -10 or params.batch = '64'", ["metrics.acc"], dialect=db.dialect)
    query = (
        sa.select(RUNS)
        .where(RUNS.c.experiment_id.in_([1, 2, 3]), RUNS.c.lifecycle_stage.in_(["active"]), *search.where)
        .order_by(*search.order_by)
    )
    with db.engine.connect() as conn:
        assert [row.run_id for row in conn.execute(query)] == ["r5", "r2", "r1"]
        page = [row.run_id for row in conn.execute(query.limit(1).offset(1))]
        count = conn.scalar(sa.select(sa.func.count()).select_from(RUNS).where(*search.where))
    assert page == ["r2"]
    assert count == 4


def test_top_level_and_becomes_separate_conditions() -> None:
    assert len(compile_run_search("status = 'a' and run_id = 'b' AND end_time > 1", None, dialect="sqlite").where) == 3
    assert len(compile_run_search("status = 'a' or run_id = 'b'", None, dialect="sqlite").where) == 1
    assert compile_run_search(None, None, dialect="sqlite").where == []
    assert compile_run_search("", None, dialect="postgresql").where == []


def test_many_clauses(db: SearchDb) -> None:
    filter_string = " and ".join(f"metrics.acc > {-i}" for i in range(100))
    assert set(db.run_ids(filter_string)) == {"r1", "r2"}


def test_unknown_dialect_is_rejected() -> None:
    with pytest.raises(InvalidArgument, match="'mysql' dialect; use 'sqlite' or 'postgresql'"):
        compile_run_search(None, None, dialect="mysql")
    with pytest.raises(InvalidArgument, match="mysql"):
        compile_experiment_search(None, None, dialect="mysql")


# --------------------------------------------------------------------------- run ordering

RUN_ORDERS: list[tuple[list[str] | None, list[str]]] = [
    (None, ["r3", "r4", "r2", "r1", "r5"]),  # start_time DESC, then run_id
    ([], ["r3", "r4", "r2", "r1", "r5"]),
    (["metrics.acc DESC"], ["r1", "r2", "r5", "r3", "r4"]),  # then NaN, then missing
    (["metrics.acc"], ["r5", "r2", "r1", "r3", "r4"]),
    (["metrics.acc ASC"], ["r5", "r2", "r1", "r3", "r4"]),
    (["metric.`my metric` desc"], ["r5", "r3", "r4", "r2", "r1"]),
    (["params.lr DESC"], ["r5", "r3", "r1", "r2", "r4"]),
    (["params.lr"], ["r2", "r3", "r1", "r5", "r4"]),
    (["params.batch DESC"], ["r4", "r3", "r2", "r1", "r5"]),
    (["params.batch ASC"], ["r3", "r4", "r2", "r1", "r5"]),
    (["tags.`my tag`"], ["r1", "r3", "r4", "r2", "r5"]),
    (["end_time DESC"], ["r4", "r3", "r1", "r2", "r5"]),
    (["end_time"], ["r1", "r3", "r4", "r2", "r5"]),
    (["attributes.start_time ASC"], ["r5", "r1", "r2", "r3", "r4"]),
    (["created DESC"], ["r3", "r4", "r2", "r1", "r5"]),
    (["user_id", "run_id DESC"], ["r3", "r1", "r5", "r2", "r4"]),
    (["experiment_id DESC", "metrics.loss"], ["r5", "r3", "r4", "r1", "r2"]),
]


@pytest.mark.parametrize(("order_by", "expected"), RUN_ORDERS)
def test_run_order(db: SearchDb, order_by: list[str] | None, expected: list[str]) -> None:
    assert db.run_ids(None, order_by) == expected


def test_order_by_with_filter(db: SearchDb) -> None:
    assert db.run_ids("metrics.acc > -10", ["metrics.acc"]) == ["r5", "r2", "r1"]
    assert db.run_ids("params.lr = '0.1'", ["start_time ASC"]) == ["r1", "r3"]


def test_tiebreakers_are_added_only_when_missing() -> None:
    def rendered(order_by: list[str] | None) -> list[str]:
        terms = compile_run_search(None, order_by, dialect="sqlite").order_by
        return [str(term.compile(compile_kwargs={"literal_binds": True})) for term in terms]

    assert rendered(None) == ["runs.start_time DESC", "runs.run_id ASC"]
    assert rendered(["start_time ASC"]) == ["runs.start_time ASC", "runs.run_id ASC"]
    assert rendered(["created"]) == ["runs.start_time ASC", "runs.run_id ASC"]
    assert rendered(["run_id DESC"]) == ["runs.run_id DESC", "runs.start_time DESC"]
    assert rendered(["end_time"]) == [
        "runs.end_time ASC NULLS LAST",
        "runs.start_time DESC",
        "runs.run_id ASC",
    ]


# --------------------------------------------------------------------------- experiments

EXPERIMENT_FILTERS: list[tuple[str, set[int]]] = [
    ("name = 'Default'", {1}),
    ("name LIKE 'exp%'", {2, 4}),
    ("name ILIKE 'exp%'", {2, 3, 4}),
    ("attributes.name LIKE 'exp\\%%'", {4}),
    ("name LIKE 'Exp\\_%'", {3}),
    ("name LIKE 'exp_odd'", {4}),
    ("name != 'Default'", {2, 3, 4, 5}),
    ("name IN ('Default', 'nope')", {1}),
    ("name NOT IN ('Default', 'zeta')", {2, 3, 4}),
    ("tags.team = 'vision'", {4}),
    ("tags.team ILIKE 'vision'", {2, 4}),
    ("tags.team LIKE 'V%'", {2}),
    ("tags.team != 'nlp'", {2, 4}),
    ("tag.owner = 'bob'", {3}),
    ('tags."owner" = \'bob\'', {3}),
    ("creation_time > 100", {2, 3, 4}),
    ("creation_time = 200", {2, 3}),
    ("last_update_time <= 700", {3, 4}),
    ("attributes.last_update_time != 900", {2, 3, 4, 5}),
    ("attr.experiment_id = '3'", {3}),
    ("creation_time >= 200 and tags.team ILIKE 'V%'", {2, 4}),
    ("name = 'zeta' or tags.owner = 'bob'", {3, 5}),
    ("", {1, 2, 3, 4, 5}),
]


@pytest.mark.parametrize(("filter_string", "expected"), EXPERIMENT_FILTERS)
def test_experiment_filter(db: SearchDb, filter_string: str, expected: set[int]) -> None:
    assert set(db.experiment_ids(filter_string)) == expected


EXPERIMENT_ORDERS: list[tuple[str | None, list[str] | None, list[int]]] = [
    (None, None, [4, 2, 3, 1, 5]),  # creation_time DESC, then experiment_id
    (None, ["last_update_time"], [4, 3, 2, 1, 5]),
    (None, ["creation_time ASC"], [5, 1, 2, 3, 4]),
    (None, ["creation_time DESC", "experiment_id DESC"], [4, 3, 2, 1, 5]),
    (None, ["attributes.experiment_id DESC"], [5, 4, 3, 2, 1]),
    (None, ["tags.owner"], [3, 1, 2, 4, 5]),
    ("name IN ('zeta', 'exp-alpha')", ["name"], [2, 5]),
    ("name IN ('zeta', 'exp-alpha')", ["name DESC"], [5, 2]),
]


@pytest.mark.parametrize(("filter_string", "order_by", "expected"), EXPERIMENT_ORDERS)
def test_experiment_order(
    db: SearchDb, filter_string: str | None, order_by: list[str] | None, expected: list[int]
) -> None:
    assert db.experiment_ids(filter_string, order_by) == expected


# --------------------------------------------------------------------------- errors

FILTER_ERRORS: list[tuple[str, str]] = [
    (
        "metrics.acc >> 1",
        "unexpected '>' at position 13; expected an unquoted number after '>' (metric 'acc' is numeric)",
    ),
    ("metrics.acc > '1'", "unexpected \"'1'\" at position 14; expected an unquoted number after '>'"),
    ("params.lr = 0.1", "unexpected '0.1' at position 12; expected a quoted string after '='"),
    ("status = RUNNING", "unexpected 'RUNNING' at position 9; expected a quoted string after '='"),
    ("metrics.acc", "unexpected end of input at position 11; expected a comparison operator (=, !=, <, <=, >, >=) after metric 'acc'"),
    ("metrics.acc LIKE '%'", "operator LIKE is not valid for metric 'acc' at position 12; expected one of =, !=, <, <=, >, >="),
    ("tags.x > 'a'", "operator > is not valid for tag 'x' at position 7; expected one of =, !=, LIKE, ILIKE, IN, NOT IN"),
    ("experiment_id LIKE '1'", "operator LIKE is not valid for attribute 'experiment_id' at position 14; expected one of =, !=, IN, NOT IN"),
    ("start_time IN (1)", "operator IN is not valid for attribute 'start_time' at position 11; expected one of =, !=, <, <=, >, >="),
    ("tags.x NOT LIKE 'a'", "unexpected 'LIKE' at position 11; expected IN after NOT"),
    ("tags.x == 'a'", "unexpected '=' at position 8; expected a quoted string after '='"),
    ("tags.x <> 'a'", "operator < is not valid for tag 'x' at position 7"),
    ("foo.bar = 'x'", "unknown prefix 'foo' at position 0; expected metrics., params., tags., attributes. or datasets. before the '.'"),
    ("bogus = 'x'", "unknown run attribute 'bogus' at position 0; expected one of run_id, run_name, status, user_id, artifact_uri, lifecycle_stage, start_time, end_time, experiment_id, or a prefixed key"),
    ("attributes.bogus = 'x'", "unknown run attribute 'bogus' at position 0"),
    ("status = 'x' and bogus = 'y'", "unknown run attribute 'bogus' at position 17"),
    ("tags.`` = 'x'", "empty key at position 0; expected a key after 'tags.'"),
    ("tags.'x' = 'a'", "unexpected \"'x'\" at position 5; expected a backticked or double-quoted key right after 'tags.'"),
    ("tags. `x` = 'a'", "unexpected '`x`' at position 6; expected a backticked or double-quoted key right after 'tags.'"),
    ("tags.x = 'a' and", "unexpected end of input at position 16; expected an identifier such as metrics.acc, params.lr, tags.team or status"),
    ("and tags.x = 'a'", "unexpected 'and'"),
    ("tags.x = 'a' tags.y = 'b'", "unexpected 'tags.y' at position 13; expected AND, OR or the end of the filter"),
    ("tags.x = 'a' && tags.y = 'b'", "unexpected character '&' at position 13"),
    ("(tags.x = 'a'", "unexpected end of input at position 13; expected AND, OR or ')' to close the '(' at position 0"),
    ("tags.x = 'a')", "unexpected ')' at position 12; expected AND, OR or the end of the filter"),
    ("()", "unexpected ')' at position 1; expected an identifier such as"),
    ("tags.x = 'abc", "unterminated string at position 9; expected a closing '"),
    ("tags.`x = 'abc'", "unterminated backticked key at position 5; expected a closing `"),
    ("tags.x IN 'a'", "unexpected \"'a'\" at position 10; expected '(' and a list of quoted strings after IN"),
    ("tags.x IN ()", "unexpected ')' at position 11; expected a quoted string in the IN list"),
    ("tags.x IN ('a',)", "unexpected ')' at position 15; expected a quoted string in the IN list"),
    ("tags.x IN ('a' 'b')", "unexpected \"'b'\" at position 15; expected ',' or ')' in the IN list"),
    ("tags.x NOT IN ('a', 1)", "unexpected '1' at position 20; expected a quoted string in the NOT IN list"),
    ("experiment_id = 'x'", "unexpected \"'x'\" at position 16; expected an experiment id after '=' (an integer)"),
    ("experiment_id = 1.5", "unexpected '1.5' at position 16; expected an experiment id after '=' (an integer)"),
    ("experiment_id IN (1, 'two')", "unexpected \"'two'\" at position 21; expected an experiment id in the IN list"),
    ("tags.x LIKE 'a\\'", "LIKE pattern ends with a lone backslash at position 12; expected a character after '\\'"),
    ("tags.x ILIKE 'a\\\\\\'", "ILIKE pattern ends with a lone backslash at position 13"),
    ("metrics.acc > 1e999", "number 1e999 is out of range at position 14; expected a finite number"),
    ("start_time > 9223372036854775808", "number 9223372036854775808 is out of range at position 13; expected a 64-bit integer"),
    ("tags.x = 'a\x00'", "NUL character at position 11; expected text without NUL characters"),
    ("tags.x = 'a' $", "unexpected character '$' at position 13; expected an identifier, operator, number or quoted string"),
    ("dataset.size = 'x'", "unknown dataset field 'size' at position 0; expected datasets.name, datasets.digest or datasets.context"),
    ("datasets.name > 'x'", "operator > is not valid for dataset 'name' at position 14"),
]


@pytest.mark.parametrize(("filter_string", "message"), FILTER_ERRORS)
def test_malformed_filter_names_token_and_position(filter_string: str, message: str) -> None:
    with pytest.raises(MalformedFilter) as info:
        compile_run_search(filter_string, None, dialect="sqlite")
    assert str(info.value).startswith(f'filter "{filter_string}": ')
    assert message in str(info.value)
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"


def test_malformed_filter_exact_message() -> None:
    with pytest.raises(MalformedFilter) as info:
        compile_run_search("metrics.acc >> 1", None, dialect="postgresql")
    assert str(info.value) == (
        "filter \"metrics.acc >> 1\": unexpected '>' at position 13; "
        "expected an unquoted number after '>' (metric 'acc' is numeric)"
    )


def test_experiment_filter_errors() -> None:
    with pytest.raises(MalformedFilter, match=r"unknown prefix 'metrics' at position 0; expected tags\. or attributes\."):
        compile_experiment_search("metrics.acc > 1", None, dialect="sqlite")
    with pytest.raises(MalformedFilter, match="unknown experiment attribute 'status' at position 0; expected one of name, experiment_id, creation_time, last_update_time"):
        compile_experiment_search("status = 'x'", None, dialect="sqlite")
    with pytest.raises(MalformedFilter, match="unexpected \"'1'\" at position 16; expected an unquoted number"):
        compile_experiment_search("creation_time > '1'", None, dialect="sqlite")
    with pytest.raises(MalformedFilter, match="unknown prefix 'run' at position 0"):
        compile_experiment_search("run.name = 'x'", None, dialect="sqlite")


def test_nesting_is_bounded() -> None:
    deep = "(" * 40 + "status = 'x'" + ")" * 40
    with pytest.raises(MalformedFilter, match="parentheses nested more than 32 deep at position 32"):
        parse_filter(deep)
    ok = "(" * 32 + "status = 'x'" + ")" * 32
    assert parse_filter(ok) == Comparison("attribute", "status", "=", "x")


ORDER_ERRORS: list[tuple[str, str]] = [
    ("", 'order_by clause "": empty clause at position 0; expected an identifier such as metrics.acc'),
    ("   ", 'order_by clause "   ": empty clause at position 0'),
    ("metrics.acc DESCENDING", "unexpected 'DESCENDING' at position 12; expected ASC, DESC or the end of the clause"),
    ("metrics.acc DESC ASC", "unexpected 'ASC' at position 17; expected ASC, DESC or the end of the clause"),
    ("metrics.acc, params.lr", "unexpected ',' at position 11"),
    ("bogus", "unknown run attribute 'bogus' at position 0"),
    ("foo.bar", "unknown prefix 'foo' at position 0"),
    ("= 1", "unexpected '=' at position 0; expected an identifier such as"),
]


@pytest.mark.parametrize(("clause", "message"), ORDER_ERRORS)
def test_malformed_order_by_names_clause(clause: str, message: str) -> None:
    with pytest.raises(MalformedFilter) as info:
        compile_run_search(None, ["start_time", clause], dialect="sqlite")
    assert str(info.value).startswith(f'order_by clause "{clause}": ')
    assert message in str(info.value)


def test_order_by_rejects_duplicates_and_non_strings() -> None:
    with pytest.raises(
        MalformedFilter,
        match=r'order_by clause "created DESC" sorts by attribute \'start_time\' again \(already in "start_time"\)',
    ):
        compile_run_search(None, ["start_time", "created DESC"], dialect="sqlite")
    with pytest.raises(MalformedFilter, match="sorts by metric 'acc' again"):
        compile_run_search(None, ["metrics.acc", "metric.`acc` DESC"], dialect="sqlite")
    with pytest.raises(MalformedFilter, match="order_by clause 3 is not a string"):
        compile_run_search(None, [3], dialect="sqlite")  # type: ignore[list-item]


def test_experiment_order_by_errors() -> None:
    with pytest.raises(MalformedFilter, match="unknown experiment attribute 'start_time' at position 0"):
        compile_experiment_search(None, ["start_time"], dialect="sqlite")
    with pytest.raises(MalformedFilter, match="unknown prefix 'metrics'"):
        compile_experiment_search(None, ["metrics.acc"], dialect="sqlite")


def test_parse_order_by() -> None:
    assert parse_order_by("metrics.`val loss` desc") == OrderKey("metric", "val loss", False)
    assert parse_order_by("  params.lr  ") == OrderKey("param", "lr", True)
    assert parse_order_by('tags."mlflow.runName" ASC') == OrderKey("tag", "mlflow.runName", True)
    assert parse_order_by("Created") == OrderKey("attribute", "start_time", True)
    assert parse_order_by("name DESC", kind="experiment") == OrderKey("attribute", "name", False)


def test_parse_filter_tree() -> None:
    assert parse_filter(None) is None
    assert parse_filter(" ") is None
    tree = parse_filter(
        "metrics.acc > 0.5 and (params.lr = '0.1' or tags.mlflow.source.name LIKE 'a%') "
        "and attributes.run_id NOT IN ('a', \"b\")"
    )
    assert tree == BoolOp(
        "AND",
        (
            Comparison("metric", "acc", ">", 0.5),
            BoolOp(
                "OR",
                (
                    Comparison("param", "lr", "=", "0.1"),
                    Comparison("tag", "mlflow.source.name", "LIKE", "a%"),
                ),
            ),
            Comparison("attribute", "run_id", "NOT IN", ("a", "b")),
        ),
    )
    # nested groups of the same operator are flattened; AND binds tighter than OR
    assert parse_filter("(status = 'a' and (status = 'b' and status = 'c')) or status = 'd'") == BoolOp(
        "OR",
        (
            BoolOp("AND", tuple(Comparison("attribute", "status", "=", s) for s in "abc")),
            Comparison("attribute", "status", "=", "d"),
        ),
    )
    assert parse_filter("experiment_id IN ('1', 2)") == Comparison("attribute", "experiment_id", "IN", (1, 2))
    assert parse_filter("start_time > 10") == Comparison("attribute", "start_time", ">", 10)
    assert parse_filter("tags.v1.5 = 'x'") == Comparison("tag", "v1.5", "=", "x")


# --------------------------------------------------------------------------- hypothesis: rendering

ANY_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)
BARE_KEY = re.compile(r"[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*\Z", re.ASCII)
BARE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z", re.ASCII)
DIALECTS: dict[str, sa.Dialect] = {
    "sqlite": sqlite.dialect(),
    "postgresql": postgresql.dialect(),  # type: ignore[no-untyped-call]
}
SPACE = st.sampled_from(["", " ", "  ", "\t", "\n "])
GAP = st.sampled_from([" ", "  ", "\t", "\n"])
NUMERIC_OPS = ["=", "!=", "<", "<=", ">", ">="]
STRING_OPS = ["=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"]
ID_OPS = ["=", "!=", "IN", "NOT IN"]


@dataclass(frozen=True)
class Vocabulary:
    kind: str
    prefixes: dict[str, list[str]]
    attributes: dict[str, tuple[str, list[str]]]  # canonical -> (value kind, spellings)


RUN_VOCABULARY = Vocabulary(
    "run",
    {
        "metric": ["metrics", "metric", "Metrics"],
        "param": ["params", "param", "parameters", "parameter"],
        "tag": ["tags", "tag", "TAGS"],
        "attribute": ["attributes", "attribute", "attr", "run"],
    },
    {
        "run_id": ("string", ["run_id", "RUN_ID"]),
        "run_name": ("string", ["run_name", "run name", "Run Name"]),
        "status": ("string", ["status", "Status"]),
        "user_id": ("string", ["user_id"]),
        "artifact_uri": ("string", ["artifact_uri"]),
        "lifecycle_stage": ("string", ["lifecycle_stage"]),
        "start_time": ("number", ["start_time", "created", "Created"]),
        "end_time": ("number", ["end_time"]),
        "experiment_id": ("id", ["experiment_id"]),
    },
)
EXPERIMENT_VOCABULARY = Vocabulary(
    "experiment",
    {"tag": ["tags", "tag"], "attribute": ["attributes", "attribute", "attr"]},
    {
        "name": ("string", ["name", "NAME"]),
        "experiment_id": ("id", ["experiment_id"]),
        "creation_time": ("number", ["creation_time"]),
        "last_update_time": ("number", ["last_update_time"]),
    },
)


def quote(text: str, mark: str) -> str:
    return mark + text.replace(mark, mark * 2) + mark


def valid_like(pattern: str) -> bool:
    """A LIKE pattern may not end in an odd number of backslashes."""
    return (len(pattern) - len(pattern.rstrip("\\"))) % 2 == 0


@st.composite
def render_identifier(draw: st.DrawFn, vocabulary: Vocabulary, entity: str, key: str) -> str:
    if entity == "attribute":
        spelling = draw(st.sampled_from(vocabulary.attributes[key][1]))
        styles = ["`", '"', "prefix`", 'prefix"'] + (["bare", "prefix"] if BARE_NAME.match(spelling) else [])
    else:
        spelling = key
        styles = ["prefix`", 'prefix"'] + (["prefix"] if BARE_KEY.match(key) else [])
    style = draw(st.sampled_from(styles))
    if style == "bare":
        return spelling
    if style in ("`", '"'):
        return quote(spelling, style)
    prefix = draw(st.sampled_from(vocabulary.prefixes[entity]))
    if style == "prefix":
        return f"{prefix}.{spelling}"
    return f"{prefix}.{quote(spelling, style[-1])}"


@st.composite
def render_scalar(draw: st.DrawFn, value: Any, value_kind: str) -> str:
    if isinstance(value, str):
        return quote(value, draw(st.sampled_from(["'", '"'])))
    if value_kind == "id" and draw(st.booleans()):
        return quote(str(value), draw(st.sampled_from(["'", '"'])))
    return repr(value) if isinstance(value, float) else str(value)


@st.composite
def render(draw: st.DrawFn, node: Any, vocabulary: Vocabulary, parent: str | None = None) -> str:
    if isinstance(node, BoolOp):
        parts = [draw(render(child, vocabulary, node.op)) for child in node.operands]
        keyword = draw(st.sampled_from([node.op, node.op.lower(), node.op.capitalize()]))
        text = "".join(
            part if i == 0 else f"{draw(GAP)}{keyword}{draw(GAP)}{part}" for i, part in enumerate(parts)
        )
        if (parent == "AND" and node.op == "OR") or (parent is not None and draw(st.booleans())):
            return f"({draw(SPACE)}{text}{draw(SPACE)})"
        return text
    assert isinstance(node, Comparison)
    if node.entity == "attribute":
        value_kind = vocabulary.attributes[node.key][0]
    else:
        value_kind = "number" if node.entity == "metric" else "string"
    identifier = draw(render_identifier(vocabulary, node.entity, node.key))
    if node.op in ("IN", "NOT IN"):
        items = [draw(render_scalar(v, value_kind)) for v in node.value]  # type: ignore[union-attr]
        value = "(" + draw(SPACE) + ("," + draw(SPACE)).join(items) + draw(SPACE) + ")"
    else:
        value = draw(render_scalar(node.value, value_kind))
    if node.op in ("LIKE", "ILIKE", "IN", "NOT IN"):
        words = node.op.split()
        op = draw(GAP).join(draw(st.sampled_from([w, w.lower()])) for w in words)
        return f"{identifier}{draw(GAP)}{op}{draw(GAP)}{value}"
    return f"{identifier}{draw(SPACE)}{node.op}{draw(SPACE)}{value}"


def string_value(op: str) -> st.SearchStrategy[Any]:
    if op in ("IN", "NOT IN"):
        return st.lists(ANY_TEXT, min_size=1, max_size=3).map(tuple)
    if op in ("LIKE", "ILIKE"):
        return ANY_TEXT.filter(valid_like)
    return ANY_TEXT


INT64 = st.integers(-(2**63), 2**63 - 1)
FINITE = st.floats(allow_nan=False, allow_infinity=False)


@st.composite
def any_comparison(draw: st.DrawFn, vocabulary: Vocabulary) -> Comparison:
    entity = draw(st.sampled_from(sorted(vocabulary.prefixes)))
    if entity == "attribute":
        key = draw(st.sampled_from(sorted(vocabulary.attributes)))
        value_kind = vocabulary.attributes[key][0]
    else:
        key = draw(ANY_TEXT.filter(bool))
        value_kind = "number" if entity == "metric" else "string"
    if value_kind == "number":
        op = draw(st.sampled_from(NUMERIC_OPS))
        value: Any = draw(FINITE) if entity == "metric" else draw(st.one_of(INT64, FINITE))
    elif value_kind == "id":
        op = draw(st.sampled_from(ID_OPS))
        ids = st.integers(0, 2**63 - 1)
        value = tuple(draw(st.lists(ids, min_size=1, max_size=3))) if "IN" in op else draw(ids)
    else:
        op = draw(st.sampled_from(STRING_OPS))
        value = draw(string_value(op))
    return Comparison(entity, key, op, value)  # type: ignore[arg-type]


def trees(leaves: st.SearchStrategy[Comparison]) -> st.SearchStrategy[Any]:
    """Filter trees in the parser's normal form: AND and OR alternate, each with 2+ operands."""

    @st.composite
    def tree(draw: st.DrawFn, op: str, depth: int) -> Any:
        other = "OR" if op == "AND" else "AND"
        children = st.one_of(leaves, tree(other, depth + 1)) if depth < 2 else leaves
        return BoolOp(op, tuple(draw(st.lists(children, min_size=2, max_size=3))))  # type: ignore[arg-type]

    return st.one_of(leaves, tree("AND", 0), tree("OR", 0))


@PARSE_SETTINGS
@given(data=st.data())
def test_rendered_run_filters_parse_back(data: st.DataObject) -> None:
    node = data.draw(trees(any_comparison(RUN_VOCABULARY)))
    text = data.draw(render(node, RUN_VOCABULARY))
    assert parse_filter(text) == node
    for dialect in ("sqlite", "postgresql"):
        search = compile_run_search(text, None, dialect=dialect)
        sa.select(RUNS.c.run_id).where(*search.where).compile(dialect=DIALECTS[dialect])


@PARSE_SETTINGS
@given(data=st.data())
def test_rendered_experiment_filters_parse_back(data: st.DataObject) -> None:
    node = data.draw(trees(any_comparison(EXPERIMENT_VOCABULARY)))
    text = data.draw(render(node, EXPERIMENT_VOCABULARY))
    assert parse_filter(text, kind="experiment") == node
    compile_experiment_search(text, None, dialect="postgresql")


# --------------------------------------------------------------------------- hypothesis: garbage

SOUP = [
    "metrics.acc", "params.lr", "tags.`a b`", 'tags."x"', "tags.", "attributes.", "status",
    "experiment_id", "created", "start_time", "end_time", "run_id", "=", "!=", "<", "<=", ">",
    ">=", "LIKE", "ilike", "IN", "NOT", "in", "and", "OR", "(", ")", ",", ".", "'x'", '"y"',
    "'%a\\'", "'a\\\\'", "1", "-2.5e3", "1e999", "99999999999999999999", "'3'", "`", "'",
    '"', "\\", "%", "ASC", "DESC", "foo.bar", "``", "''",
]  # fmt: skip
GARBAGE = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="metrics.acpl=<>!()', \"`%_\\ANDORIN0123.-e", max_size=40),
    st.lists(st.tuples(st.sampled_from(SOUP), st.sampled_from(["", " "])), max_size=10).map(
        lambda pieces: "".join(token + gap for token, gap in pieces)
    ),
)


@DB_SETTINGS
@given(text=GARBAGE)
def test_garbage_filter_parses_or_raises_malformed(db: SearchDb, text: str) -> None:
    for kind, compile_search, ids in (
        ("run", compile_run_search, db.run_ids),
        ("experiment", compile_experiment_search, db.experiment_ids),
    ):
        try:
            parse_filter(text, kind=kind)  # type: ignore[arg-type]
        except MalformedFilter as exc:
            assert str(exc).startswith(f'filter "{text}": ')
            assert re.search(r" at position \d+; expected ", str(exc))
            with pytest.raises(MalformedFilter):
                compile_search(text, None, dialect=db.dialect)
        else:
            ids(text)  # whatever parses must also run on the database


@DB_SETTINGS
@given(text=GARBAGE)
def test_garbage_order_by_parses_or_raises_malformed(db: SearchDb, text: str) -> None:
    try:
        parse_order_by(text)
    except MalformedFilter as exc:
        assert str(exc).startswith(f'order_by clause "{text}": ')
    else:
        assert sorted(db.run_ids(None, [text])) == sorted(ALL_RUNS)


# --------------------------------------------------------------------------- hypothesis: semantics

PATTERN_CHARS = "aAdDeEiIlLnNpPsSvV0123.:-*?[]' \"/\\%_"
ATTRIBUTE_VALUES: dict[str, list[Any]] = {
    "run_id": [r.run_id for r in SEED_RUNS] + ["r"],
    "run_name": [r.run_name for r in SEED_RUNS] + ["Alpha"],
    "status": ["FINISHED", "RUNNING", "FAILED", "KILLED", "finished"],
    "user_id": ["alice", "bob", "carol"],
    "artifact_uri": [r.artifact_uri for r in SEED_RUNS],
    "lifecycle_stage": ["active", "deleted"],
    "start_time": [0, 500, 1000, 2000, 3000, 4000],
    "end_time": [0, 2000, 3500, 4000, 5000],
    "experiment_id": [1, 2, 3, 4],
}
METRIC_KEYS = sorted({k for r in SEED_RUNS for k in r.metrics} | {"nope"})
KEYS = {
    "param": sorted({k for r in SEED_RUNS for k in r.params} | {"nope"}),
    "tag": sorted({k for r in SEED_RUNS for k in r.tags} | {"nope"}),
}
KNOWN_STRINGS = sorted({v for r in SEED_RUNS for v in [*r.params.values(), *r.tags.values()]})


def escape_like(char: str) -> str:
    return "\\" + char if char in "%_\\" else char


@st.composite
def like_pattern(draw: st.DrawFn, *, ascii_only: bool) -> str:
    """Patterns that often match: a known value with some characters made wildcards."""
    base = draw(st.sampled_from([*KNOWN_STRINGS, *ATTRIBUTE_VALUES["run_name"], ""]))
    if ascii_only:
        base = base.encode("ascii", "replace").decode().replace("?", "_")
    pieces = []
    for char in base:
        choice = draw(st.sampled_from(["keep", "keep", "keep", "swapcase", "_", "%", "drop"]))
        if choice in ("_", "%"):
            pieces.append(choice)
        elif choice != "drop":
            pieces.append(escape_like(char.swapcase() if choice == "swapcase" else char))
    extra = draw(st.lists(st.one_of(st.sampled_from(["%", "_"]), st.sampled_from(PATTERN_CHARS).map(escape_like)), max_size=3))
    at = draw(st.integers(0, len(pieces)))
    return "".join(pieces[:at] + extra + pieces[at:])


def data_string(op: str) -> st.SearchStrategy[Any]:
    known = st.sampled_from(KNOWN_STRINGS)
    one = st.one_of(known, known.map(str.swapcase), st.text(PATTERN_CHARS, max_size=4))
    if op in ("IN", "NOT IN"):
        return st.lists(one, min_size=1, max_size=3).map(tuple)
    if op in ("LIKE", "ILIKE"):
        return like_pattern(ascii_only=op == "ILIKE")
    return one


@st.composite
def data_comparison(draw: st.DrawFn) -> Comparison:
    entity = draw(st.sampled_from(["metric", "param", "tag", "attribute"]))
    if entity == "metric":
        key = draw(st.sampled_from(METRIC_KEYS))
        value: Any = draw(st.one_of(st.sampled_from([0.9, 0.5, 0.1, -1.5, 2.0, 5.0, 0.0]), st.floats(-10, 10)))
        return Comparison("metric", key, draw(st.sampled_from(NUMERIC_OPS)), value)
    if entity in ("param", "tag"):
        key = draw(st.sampled_from(KEYS[entity]))
        op = draw(st.sampled_from(STRING_OPS))
        return Comparison(entity, key, op, draw(data_string(op)))  # type: ignore[arg-type]
    key = draw(st.sampled_from(sorted(ATTRIBUTE_VALUES)))
    value_kind = RUN_VOCABULARY.attributes[key][0]
    ops = {"number": NUMERIC_OPS, "id": ID_OPS, "string": STRING_OPS}[value_kind]
    op = draw(st.sampled_from(ops))
    if value_kind == "string" and op in ("LIKE", "ILIKE"):
        return Comparison("attribute", key, op, draw(like_pattern(ascii_only=op == "ILIKE")))  # type: ignore[arg-type]
    one = st.sampled_from(ATTRIBUTE_VALUES[key])
    value = tuple(draw(st.lists(one, min_size=1, max_size=3))) if "IN" in op else draw(one)
    return Comparison("attribute", key, op, value)  # type: ignore[arg-type]


def like_regex(pattern: str, *, fold: bool) -> re.Pattern[str]:
    out = []
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            out.append(re.escape(next(chars)))
        elif char == "%":
            out.append(".*")
        elif char == "_":
            out.append(".")
        else:
            out.append(re.escape(char))
    return re.compile("".join(out), re.DOTALL | (re.IGNORECASE if fold else 0))


COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "IN": lambda a, b: a in b,
    "NOT IN": lambda a, b: a not in b,
    "LIKE": lambda a, b: like_regex(b, fold=False).fullmatch(a) is not None,
    "ILIKE": lambda a, b: like_regex(b.lower(), fold=False).fullmatch(a.lower()) is not None,
}


def reference(node: Any, run: FakeRun) -> bool:
    """What a filter means, evaluated in Python over the seed data."""
    if isinstance(node, BoolOp):
        results = [reference(child, run) for child in node.operands]
        return all(results) if node.op == "AND" else any(results)
    if node.entity == "attribute":
        actual = getattr(run, node.key)
    elif node.entity == "metric":
        actual = run.metrics.get(node.key)
        if actual is not None and math.isnan(actual):
            actual = None
    else:
        actual = getattr(run, f"{node.entity}s").get(node.key)
    return actual is not None and COMPARE[node.op](actual, node.value)


@DB_SETTINGS
@given(data=st.data())
def test_sql_matches_reference_semantics(db: SearchDb, data: st.DataObject) -> None:
    node = data.draw(trees(data_comparison()))
    text = data.draw(render(node, RUN_VOCABULARY))
    expected = {run.run_id for run in SEED_RUNS if reference(node, run)}
    assert set(db.run_ids(text)) == expected, text


NUMERIC_ORDER_KEYS = [
    *(f"metrics.`{k}`" for k in METRIC_KEYS),
    "start_time",
    "end_time",
    "experiment_id",
]


def reference_order(order_by: Sequence[tuple[str, bool]]) -> list[str]:
    def sort_key(run: FakeRun) -> tuple[Any, ...]:
        parts: list[Any] = []
        for key, ascending in order_by:
            sign = 1 if ascending else -1
            if key.startswith("metrics."):
                value = run.metrics.get(key[len("metrics.`") : -1])
                if value is None:
                    parts.append((2, 0.0))
                elif math.isnan(value):
                    parts.append((1, 0.0))
                else:
                    parts.append((0, sign * value))
            else:
                value = getattr(run, key)
                parts.append((1, 0) if value is None else (0, sign * value))
        if "start_time" not in [key for key, _ in order_by]:
            parts.append(-run.start_time)
        return (*parts, run.run_id)

    return [run.run_id for run in sorted(SEED_RUNS, key=sort_key)]


@DB_SETTINGS
@given(
    order_by=st.lists(
        st.tuples(st.sampled_from(NUMERIC_ORDER_KEYS), st.booleans()),
        max_size=3,
        unique_by=lambda item: item[0],
    )
)
def test_numeric_order_matches_reference(db: SearchDb, order_by: list[tuple[str, bool]]) -> None:
    clauses = [f"{key} {'ASC' if ascending else 'DESC'}" for key, ascending in order_by]
    assert db.run_ids(None, clauses) == reference_order(order_by)


# --------------------------------------------------------------------------- registry kinds
# The registry's searches use the same parser with their own vocabulary (AND only, no
# parentheses); tests/stores/registry/test_sql_registry.py checks them on a database.


def test_registry_kinds_parse_with_the_shared_grammar() -> None:
    assert parse_filter("name = 'm' and tags.`k` != 'v'", kind="registered_model") == BoolOp(
        "AND", (Comparison("attribute", "name", "=", "m"), Comparison("tag", "k", "!=", "v"))
    )
    assert parse_filter("VERSION_NUMBER IN ('1', 2)", kind="model_version") == Comparison(
        "attribute", "version_number", "IN", (1, 2)
    )
    assert parse_filter("version_number >= '3'", kind="model_version") == Comparison(
        "attribute", "version_number", ">=", 3
    )
    assert parse_filter("source_path LIKE 's3://%'", kind="model_version") == Comparison(
        "attribute", "source_path", "LIKE", "s3://%"
    )
    assert parse_filter('tag."mlflow.prompt.is_prompt" != "true"', kind="registered_model") == (
        Comparison("tag", "mlflow.prompt.is_prompt", "!=", "true")
    )
    assert parse_order_by("timestamp desc", kind="registered_model") == OrderKey(
        "attribute", "last_updated_timestamp", False
    )
    assert parse_order_by("version_number", kind="model_version") == OrderKey(
        "attribute", "version_number", True
    )


REGISTRY_FILTER_ERRORS: list[tuple[str, str, str]] = [
    ("registered_model", "name = 'a' OR name = 'b'", "unexpected 'OR' at position 11; expected AND or the end of the filter (OR is not supported in registered model searches"),
    ("model_version", "(name = 'a')", "unexpected '(' at position 0; expected a field such as name, version_number or tags.team"),
    ("registered_model", "run_id = 'a'", "unknown registered model field 'run_id' at position 0; expected name, or a prefixed key such as tags.team"),
    ("registered_model", "metrics.acc > 1", "unknown prefix 'metrics' at position 0; expected tags. before the '.', or a bare field name"),
    ("model_version", "version_number = -1", "unexpected '-1' at position 17; expected a version number after = (an integer)"),
    ("model_version", "version_number = 1.0", "unexpected '1.0' at position 17; expected a version number after = (an integer)"),
    ("model_version", "version_number IN (1, 'x')", "unexpected \"'x'\" at position 22; expected a version number in the IN list (an integer)"),
    ("model_version", "tags.k NOT IN ('a')", "unexpected 'NOT' at position 7; expected an operator for tag 'k': one of =, !=, LIKE, ILIKE"),
    ("model_version", "name < 'a'", "unexpected '<' at position 5; expected an operator for 'name': one of =, !=, LIKE, ILIKE, IN, NOT IN"),
    ("registered_model", "name = 'a", "unterminated ' at position 7; expected a closing '"),
]


@pytest.mark.parametrize(("kind", "filter_string", "message"), REGISTRY_FILTER_ERRORS)
def test_registry_filter_errors(kind: Any, filter_string: str, message: str) -> None:
    with pytest.raises(MalformedFilter) as info:
        parse_filter(filter_string, kind=kind)
    assert str(info.value).startswith(f'filter "{filter_string}": ')
    assert message in str(info.value)


def test_registry_order_by_names_differ_from_filter_names() -> None:
    with pytest.raises(MalformedFilter, match=r"unknown model version field 'run_id' at position 0; expected one of name, version_number, creation_timestamp, last_updated_timestamp$"):
        parse_order_by("run_id", kind="model_version")
    with pytest.raises(MalformedFilter, match="unknown prefix 'tags' at position 0; expected one of name, creation_timestamp"):
        parse_order_by("tags.team", kind="registered_model")
    with pytest.raises(MalformedFilter, match="unknown registered model field 'version_number'"):
        parse_order_by("version_number", kind="registered_model")


@PARSE_SETTINGS
@given(text=GARBAGE)
def test_garbage_registry_filter_parses_or_raises_malformed(text: str) -> None:
    for kind in ("registered_model", "model_version"):
        try:
            node = parse_filter(text, kind=kind)  # type: ignore[arg-type]
        except MalformedFilter as exc:
            assert str(exc).startswith(f'filter "{text}": ')
            assert re.search(r" at position \d+; expected ", str(exc))
        else:
            if isinstance(node, BoolOp):  # AND only: one flat AND of comparisons
                assert node.op == "AND"
                assert all(isinstance(operand, Comparison) for operand in node.operands)


def test_order_by_may_be_one_string() -> None:
    def rendered(order_by: Any) -> list[str]:
        terms = compile_run_search(None, order_by, dialect="sqlite").order_by
        return [str(term.compile(compile_kwargs={"literal_binds": True})) for term in terms]

    assert rendered("run_id DESC") == rendered(["run_id DESC"]) == ["runs.run_id DESC", "runs.start_time DESC"]


def test_a_filter_that_is_not_a_string_is_malformed() -> None:
    # used to escape as AttributeError from the tokenizer
    with pytest.raises(MalformedFilter, match="filter 5 is not a string"):
        compile_run_search(5, None, dialect="sqlite")  # type: ignore[arg-type]
    with pytest.raises(MalformedFilter, match=r"filter \['x'\] is not a string"):
        parse_filter(["x"], kind="model_version")  # type: ignore[arg-type]
