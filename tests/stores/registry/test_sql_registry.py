"""The model registry store, on SQLite and on PostgreSQL."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from archivist.entities.registry import ModelVersion, RegisteredModel
from archivist.errors import (
    InvalidArgument,
    MalformedFilter,
    ResourceAlreadyExists,
    ResourceNotFound,
)
from archivist.stores import resolve_location
from archivist.stores.db.schema import metadata
from archivist.stores.registry import RegistryStore, SqlRegistryStore
from archivist.stores.tracking.sql import SqlTrackingStore, now_ms

RUN_A = "a" * 32
RUN_B = "b" * 32
REGISTRY_TABLES = (
    "registered_models",
    "registered_model_tags",
    "model_versions",
    "model_version_tags",
    "registered_model_aliases",
)


@pytest.fixture
def tracking(tracking_uri: str) -> Iterator[SqlTrackingStore]:
    store = SqlTrackingStore(resolve_location(tracking_uri).db_uri)
    yield store
    store.db.dispose()


@pytest.fixture
def registry(tracking: SqlTrackingStore) -> SqlRegistryStore:
    return SqlRegistryStore(tracking.db)


@pytest.fixture
def sqlite_registry(tmp_path: Path) -> Iterator[SqlRegistryStore]:
    """For checks that fail before any SQL runs (filter parsing): one backend is enough."""
    store = SqlTrackingStore(f"sqlite:///{tmp_path / 'parse.db'}")
    yield SqlRegistryStore(store.db)
    store.db.dispose()


def dump(registry: SqlRegistryStore) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every registry table: to show that a failed call changed nothing."""
    with registry.db.read() as conn:
        return {
            name: sorted((tuple(r) for r in conn.execute(select(metadata.tables[name]))), key=repr)
            for name in REGISTRY_TABLES
        }


def unchanged(registry: SqlRegistryStore, before: dict[str, list[tuple[Any, ...]]]) -> None:
    assert dump(registry) == before


def versions_of(registry: SqlRegistryStore, name: str) -> list[str]:
    found, _ = registry.search_model_versions(f"name = '{name}'", order_by=["version_number"])
    return [v.version for v in found]


# --------------------------------------------------------------------------- basics


def test_sql_store_follows_the_protocol(registry: SqlRegistryStore) -> None:
    assert isinstance(registry, RegistryStore)


def test_entities_are_frozen() -> None:
    mv = ModelVersion("m", "1", 5)
    rm = RegisteredModel("m")
    with pytest.raises(dataclasses.FrozenInstanceError):
        mv.version = "2"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        rm.name = "n"  # type: ignore[misc]
    assert (mv.current_stage, mv.status, mv.tags, mv.aliases) == ("None", "READY", {}, [])
    assert (rm.latest_versions, rm.tags, rm.aliases) == ([], {}, {})


def test_shares_the_tracking_engine(tracking: SqlTrackingStore) -> None:
    registry = SqlRegistryStore(tracking.db)
    assert registry.db is tracking.db
    registry.create_registered_model("m")
    # a second store on the same database sees it
    other = SqlTrackingStore(tracking.uri)
    try:
        assert SqlRegistryStore(other.db).get_registered_model("m").name == "m"
    finally:
        other.db.dispose()


# --------------------------------------------------------------------------- registered models


def test_create_and_get_registered_model(registry: SqlRegistryStore) -> None:
    before = now_ms()
    created = registry.create_registered_model(
        "churn", tags={"team": "ml", "mlflow.prompt.is_prompt": "false"}, description="first"
    )
    after = now_ms()
    assert created == RegisteredModel(
        name="churn",
        creation_timestamp=created.creation_timestamp,
        last_updated_timestamp=created.creation_timestamp,
        description="first",
        latest_versions=[],
        tags={"team": "ml", "mlflow.prompt.is_prompt": "false"},
        aliases={},
    )
    assert created.creation_timestamp is not None
    assert before <= created.creation_timestamp <= after
    assert registry.get_registered_model("churn") == created


def test_create_registered_model_minimal(registry: SqlRegistryStore) -> None:
    created = registry.create_registered_model("m")
    assert (created.description, created.tags, created.aliases, created.latest_versions) == (
        None,
        {},
        {},
        [],
    )


def test_create_existing_registered_model_fails_and_changes_nothing(
    registry: SqlRegistryStore,
) -> None:
    registry.create_registered_model("churn", tags={"a": "1"}, description="keep")
    before = dump(registry)
    with pytest.raises(ResourceAlreadyExists, match="registered model 'churn' already exists"):
        registry.create_registered_model("churn", tags={"b": "2"}, description="other")
    unchanged(registry, before)
    assert registry.get_registered_model("churn").description == "keep"


@pytest.mark.parametrize("bad", ["", "   ", "x" * 257, None, 5, "team/iris", "iris:v2", "..", "."])
def test_invalid_model_names_create_nothing(registry: SqlRegistryStore, bad: Any) -> None:
    before = dump(registry)
    with pytest.raises(InvalidArgument, match="registered model name"):
        registry.create_registered_model(bad)
    with pytest.raises(InvalidArgument, match="registered model name"):
        registry.create_model_version(bad, "models:/m-1")
    with pytest.raises(InvalidArgument, match="registered model name"):
        registry.get_registered_model(bad)
    unchanged(registry, before)


def test_long_name_error_says_length_and_limit(registry: SqlRegistryStore) -> None:
    with pytest.raises(InvalidArgument, match="is 257 characters long; the limit is 256"):
        registry.create_registered_model("x" * 257)
    assert registry.create_registered_model("y" * 256).name == "y" * 256


def test_invalid_tag_or_description_creates_nothing(registry: SqlRegistryStore) -> None:
    before = dump(registry)
    with pytest.raises(InvalidArgument, match="tag key 'bad!key'"):
        registry.create_registered_model("m", tags={"bad!key": "v"})
    with pytest.raises(InvalidArgument, match="tag 'k' has a value of 8001 characters"):
        registry.create_registered_model("m", tags={"k": "v" * 8001})
    with pytest.raises(InvalidArgument, match=r"description .* 5001 characters long"):
        registry.create_registered_model("m", description="d" * 5001)
    unchanged(registry, before)


def test_get_missing_registered_model(registry: SqlRegistryStore) -> None:
    with pytest.raises(ResourceNotFound, match="registered model 'nope' does not exist"):
        registry.get_registered_model("nope")


def test_update_registered_model(registry: SqlRegistryStore) -> None:
    created = registry.create_registered_model("m", description="old")
    time.sleep(0.002)
    updated = registry.update_registered_model("m", "new")
    assert updated.description == "new"
    assert updated.creation_timestamp == created.creation_timestamp
    assert updated.last_updated_timestamp is not None and created.last_updated_timestamp is not None
    assert updated.last_updated_timestamp > created.last_updated_timestamp
    assert registry.get_registered_model("m") == updated
    assert registry.update_registered_model("m", None).description is None


def test_update_registered_model_errors_change_nothing(registry: SqlRegistryStore) -> None:
    registry.create_registered_model("m", description="old")
    before = dump(registry)
    with pytest.raises(ResourceNotFound, match="registered model 'nope'"):
        registry.update_registered_model("nope", "x")
    with pytest.raises(InvalidArgument, match="description"):
        registry.update_registered_model("m", "d" * 5001)
    unchanged(registry, before)


def test_rename_moves_versions_tags_and_aliases(registry: SqlRegistryStore) -> None:
    registry.create_registered_model("old", tags={"t": "1"}, description="d")
    registry.create_model_version("old", "s1", tags={"vt": "a"})
    registry.create_model_version("old", "s2")
    registry.set_registered_model_alias("old", "champion", "1")
    renamed = registry.rename_registered_model("old", "new")
    assert renamed.name == "new"
    assert (renamed.description, renamed.tags, renamed.aliases) == (
        "d",
        {"t": "1"},
        {"champion": "1"},
    )
    assert [v.version for v in renamed.latest_versions] == ["2"]
    v1 = registry.get_model_version("new", "1")
    assert (v1.name, v1.source, v1.tags, v1.aliases) == ("new", "s1", {"vt": "a"}, ["champion"])
    assert registry.get_model_version_by_alias("new", "champion") == v1
    assert versions_of(registry, "new") == ["1", "2"]
    with pytest.raises(ResourceNotFound, match="'old'"):
        registry.get_registered_model("old")
    assert versions_of(registry, "old") == []
    # numbering continues under the new name
    assert registry.create_model_version("new", "s3").version == "3"
    # the old name is free again and starts from 1
    assert registry.create_model_version("old", "fresh").version == "1"
    rows = dump(registry)
    assert {r[0] for r in rows["model_version_tags"]} == {"new"}


def test_rename_to_same_name_is_allowed(registry: SqlRegistryStore) -> None:
    registry.create_registered_model("m", tags={"a": "b"})
    assert registry.rename_registered_model("m", "m").tags == {"a": "b"}


def test_rename_errors_change_nothing(registry: SqlRegistryStore) -> None:
    registry.create_registered_model("a")
    registry.create_model_version("a", "s")
    registry.create_registered_model("b")
    before = dump(registry)
    with pytest.raises(
        ResourceAlreadyExists, match=r"cannot rename registered model 'a' to 'b': .* already exists"
    ):
        registry.rename_registered_model("a", "b")
    with pytest.raises(ResourceNotFound, match="registered model 'nope'"):
        registry.rename_registered_model("nope", "c")
    with pytest.raises(InvalidArgument, match="new registered model name ''"):
        registry.rename_registered_model("a", "")
    unchanged(registry, before)


def test_delete_registered_model_removes_everything(registry: SqlRegistryStore) -> None:
    registry.create_registered_model("gone", tags={"t": "1"})
    registry.create_model_version("gone", "s1", tags={"vt": "x"})
    registry.create_model_version("gone", "s2")
    registry.delete_model_version("gone", "2")  # a tombstone is removed too
    registry.set_registered_model_alias("gone", "champion", 1)
    registry.create_model_version("kept", "k1", tags={"vt": "y"})
    registry.set_registered_model_alias("kept", "champion", 1)
    kept_before = registry.get_registered_model("kept")

    registry.delete_registered_model("gone")

    with pytest.raises(ResourceNotFound, match="'gone'"):
        registry.get_registered_model("gone")
    rows = dump(registry)
    for table in REGISTRY_TABLES:
        assert all(r[0] != "gone" for r in rows[table]), table
    assert registry.get_registered_model("kept") == kept_before
    # the name can be reused, and numbering starts again
    assert registry.create_model_version("gone", "again").version == "1"
    assert registry.get_model_version("gone", "1").tags == {}


def test_delete_missing_registered_model(registry: SqlRegistryStore) -> None:
    registry.create_registered_model("m")
    before = dump(registry)
    with pytest.raises(ResourceNotFound, match="registered model 'nope' does not exist"):
        registry.delete_registered_model("nope")
    unchanged(registry, before)


def test_registered_model_tags(registry: SqlRegistryStore) -> None:
    registry.create_registered_model("m", tags={"a": "1"})
    registry.set_registered_model_tag("m", "b", "2")
    registry.set_registered_model_tag("m", "a", "changed")
    assert registry.get_registered_model("m").tags == {"a": "changed", "b": "2"}
    registry.delete_registered_model_tag("m", "a")
    assert registry.get_registered_model("m").tags == {"b": "2"}


def test_registered_model_tag_errors_change_nothing(registry: SqlRegistryStore) -> None:
    registry.create_registered_model("m", tags={"a": "1"})
    before = dump(registry)
    with pytest.raises(ResourceNotFound, match="registered model 'm' has no tag 'zz'"):
        registry.delete_registered_model_tag("m", "zz")
    with pytest.raises(ResourceNotFound, match="registered model 'nope'"):
        registry.set_registered_model_tag("nope", "a", "1")
    with pytest.raises(ResourceNotFound, match="registered model 'nope'"):
        registry.delete_registered_model_tag("nope", "a")
    with pytest.raises(InvalidArgument, match="tag key ''"):
        registry.set_registered_model_tag("m", "", "1")
    with pytest.raises(InvalidArgument, match="8001 characters"):
        registry.set_registered_model_tag("m", "a", "x" * 8001)
    unchanged(registry, before)


# --------------------------------------------------------------------------- searching models


@pytest.fixture
def some_models(registry: SqlRegistryStore) -> SqlRegistryStore:
    for name, tags in [
        ("Alpha", {"team": "ml"}),
        ("alpha-2", {"team": "ops"}),
        ("beta", {"mlflow.prompt.is_prompt": "true"}),
        ("gamma_1", {}),
        ("50%off", {}),
    ]:
        registry.create_registered_model(name, tags=tags)
        time.sleep(0.002)  # distinct creation timestamps
    return registry


def names(models: list[RegisteredModel]) -> list[str]:
    return [m.name for m in models]


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        (None, ["50%off", "Alpha", "alpha-2", "beta", "gamma_1"]),
        ("", ["50%off", "Alpha", "alpha-2", "beta", "gamma_1"]),
        ("name = 'beta'", ["beta"]),
        ("name != 'beta'", ["50%off", "Alpha", "alpha-2", "gamma_1"]),
        ("name LIKE 'al%'", ["alpha-2"]),
        ("name LIKE 'Al%'", ["Alpha"]),
        ("name ILIKE 'al%'", ["Alpha", "alpha-2"]),
        ("name like 'gamma\\_%'", ["gamma_1"]),
        ("name LIKE '50\\%%'", ["50%off"]),
        ("name LIKE '_eta'", ["beta"]),
        ("name IN ('beta', 'gamma_1', 'nope')", ["beta", "gamma_1"]),
        ("name NOT IN ('beta', 'gamma_1')", ["50%off", "Alpha", "alpha-2"]),
        ("tags.team = 'ml'", ["Alpha"]),
        ("tags.team != 'ml'", ["50%off", "alpha-2", "beta", "gamma_1"]),
        ("tags.team LIKE '%s'", ["alpha-2"]),
        ("tags.team ILIKE 'ML'", ["Alpha"]),
        ("tag.`mlflow.prompt.is_prompt` != 'true'", ["50%off", "Alpha", "alpha-2", "gamma_1"]),
        ('tags."mlflow.prompt.is_prompt" = "true"', ["beta"]),
        ("tags.mlflow.prompt.is_prompt = 'true'", ["beta"]),
        (
            "name ILIKE 'a%' AND tag.`mlflow.prompt.is_prompt` != 'true' and tags.team = 'ops'",
            ["alpha-2"],
        ),
    ],
)
def test_search_registered_models_filters(
    some_models: SqlRegistryStore, filter_string: str | None, expected: list[str]
) -> None:
    found, token = some_models.search_registered_models(filter_string)
    assert names(found) == expected
    assert token is None


def test_search_registered_models_returns_full_entities(registry: SqlRegistryStore) -> None:
    registry.create_model_version("m", "s1", tags={"k": "v"})
    registry.create_model_version("m", "s2")
    registry.set_registered_model_alias("m", "champion", "1")
    registry.set_registered_model_tag("m", "t", "x")
    found, _ = registry.search_registered_models("name = 'm'")
    assert found == [registry.get_registered_model("m")]
    assert found[0].aliases == {"champion": "1"}
    assert [v.version for v in found[0].latest_versions] == ["2"]


def test_search_registered_models_order_and_pages(some_models: SqlRegistryStore) -> None:
    found, _ = some_models.search_registered_models(order_by=["name DESC"])
    assert names(found) == ["gamma_1", "beta", "alpha-2", "Alpha", "50%off"]
    some_models.update_registered_model("beta", "touched")
    found, _ = some_models.search_registered_models(order_by=["last_updated_timestamp DESC"])
    assert names(found)[0] == "beta"
    found, _ = some_models.search_registered_models(order_by=["creation_timestamp ASC", "name"])
    assert names(found) == ["Alpha", "alpha-2", "beta", "gamma_1", "50%off"]
    found, _ = some_models.search_registered_models(order_by=["timestamp desc"])
    assert names(found)[0] == "beta"
    found, _ = some_models.search_registered_models(order_by="name DESC")  # type: ignore[arg-type]
    assert names(found)[0] == "gamma_1"
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        page, token = some_models.search_registered_models(max_results=2, page_token=token)
        seen += names(page)
        pages += 1
        if token is None:
            break
    assert (seen, pages) == (["50%off", "Alpha", "alpha-2", "beta", "gamma_1"], 3)
    page, token = some_models.search_registered_models(max_results=5)
    assert len(page) == 5 and token is None


@pytest.mark.parametrize(
    ("filter_string", "message"),
    [
        ("name = beta", "expected a quoted string after ="),
        ("nam = 'x'", "unknown registered model field 'nam'"),
        ("params.x = 'y'", "unknown prefix 'params'"),
        ("name > 'x'", "an operator for 'name'"),
        ("tags.k IN ('a')", "an operator for tag 'k'"),
        ("name = 'a' OR name = 'b'", "OR is not supported"),
        ("name = 'a' name", "AND or the end of the filter"),
        ("name = 'oops", "unterminated '"),
        ("name LIKE 'x\\'", "lone backslash"),
        ("tags.'k' = 'v'", "backticked or double-quoted key"),
        ("name = 'a' AND", "a field"),
        ("name IN ('a' 'b')", "',' or ')'"),
        ("name ~ 'x'", "unexpected character '~'"),
    ],
)
def test_search_registered_models_malformed_filters(
    sqlite_registry: SqlRegistryStore, filter_string: str, message: str
) -> None:
    with pytest.raises(MalformedFilter, match=re.escape(message)):
        sqlite_registry.search_registered_models(filter_string)


def test_search_registered_models_bad_arguments(registry: SqlRegistryStore) -> None:
    with pytest.raises(MalformedFilter, match="one of name, creation_timestamp"):
        registry.search_registered_models(order_by=["version_number"])
    with pytest.raises(MalformedFilter, match="sorted by twice"):
        registry.search_registered_models(order_by=["name", "name DESC"])
    with pytest.raises(MalformedFilter, match="ASC, DESC or the end"):
        registry.search_registered_models(order_by=["name UP"])
    with pytest.raises(InvalidArgument, match="max_results=1001 is out of range"):
        registry.search_registered_models(max_results=1001)
    with pytest.raises(InvalidArgument, match="max_results=0 is out of range"):
        registry.search_registered_models(max_results=0)
    with pytest.raises(InvalidArgument, match="page_token 'garbage' is invalid"):
        registry.search_registered_models(page_token="garbage")


# --------------------------------------------------------------------------- versions


def test_create_model_version_fields(registry: SqlRegistryStore) -> None:
    before = now_ms()
    mv = registry.create_model_version(
        "m",
        "models:/m-abc",
        run_id=RUN_A,
        tags={"k": "v"},
        run_link="http://runs/1",
        description="first",
        model_id="m-abc",
    )
    after = now_ms()
    assert mv == ModelVersion(
        name="m",
        version="1",
        creation_timestamp=mv.creation_timestamp,
        last_updated_timestamp=mv.creation_timestamp,
        description="first",
        user_id=None,
        current_stage="None",
        source="models:/m-abc",
        run_id=RUN_A,
        status="READY",
        status_message=None,
        tags={"k": "v"},
        run_link="http://runs/1",
        aliases=[],
        model_id="m-abc",
    )
    assert before <= mv.creation_timestamp <= after
    assert registry.get_model_version("m", "1") == mv
    assert registry.get_model_version("m", 1) == mv


def test_create_model_version_creates_the_model_and_counts_up(registry: SqlRegistryStore) -> None:
    first = registry.create_model_version("m", "s1")
    model = registry.get_registered_model("m")
    assert model.creation_timestamp == first.creation_timestamp
    assert [v.version for v in model.latest_versions] == ["1"]
    assert (first.run_id, first.model_id, first.run_link, first.description) == (None,) * 4
    assert [registry.create_model_version("m", f"s{i}").version for i in (2, 3)] == ["2", "3"]
    assert registry.create_model_version("other", "o").version == "1"
    model = registry.get_registered_model("m")
    third = registry.get_model_version("m", "3")
    assert model.last_updated_timestamp == third.creation_timestamp
    assert model.creation_timestamp == first.creation_timestamp


def test_create_model_version_on_existing_model_keeps_it(registry: SqlRegistryStore) -> None:
    registry.create_registered_model("m", tags={"a": "1"}, description="d")
    registry.create_model_version("m", "s")
    model = registry.get_registered_model("m")
    assert (model.tags, model.description) == ({"a": "1"}, "d")


def test_empty_optional_strings_mean_unset(registry: SqlRegistryStore) -> None:
    mv = registry.create_model_version("m", "s", run_id="", run_link="", model_id="")
    assert (mv.run_id, mv.run_link, mv.model_id) == (None, None, None)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"source": ""}, "model version source '' is invalid"),
        ({"source": None}, "model version source None is invalid"),
        ({"source": "s" * 1001}, "1001 characters long; the limit is 1000"),
        ({"run_id": "not-a-run"}, "run id 'not-a-run' is malformed"),
        ({"model_id": "m" * 65}, "model_id .* 65 characters long"),
        ({"description": "d" * 5001}, "description .* 5001 characters long"),
        ({"tags": {"bad!": "v"}}, "tag key 'bad!'"),
        ({"tags": {"archivist.run_link": "x"}}, "reserved for the version's run_link"),
        ({"run_link": "x" * 8001}, "8001 characters"),
    ],
)
def test_create_model_version_invalid_creates_nothing(
    registry: SqlRegistryStore, kwargs: dict[str, Any], message: str
) -> None:
    registry.create_model_version("existing", "s")
    before = dump(registry)
    args: dict[str, Any] = {"source": "models:/m-1", **kwargs}
    with pytest.raises(InvalidArgument, match=message):
        registry.create_model_version("new-model", **args)
    with pytest.raises(InvalidArgument, match=message):
        registry.create_model_version("existing", **args)
    unchanged(registry, before)


@pytest.mark.parametrize("bad", ["abc", "0", "-1", 0, -3, "1.5", True, None, ""])
def test_invalid_versions(registry: SqlRegistryStore, bad: Any) -> None:
    registry.create_model_version("m", "s")
    before = dump(registry)
    with pytest.raises(InvalidArgument, match=f"model version {re.escape(repr(bad))} is invalid"):
        registry.get_model_version("m", bad)
    with pytest.raises(InvalidArgument, match="positive integers"):
        registry.delete_model_version("m", bad)
    with pytest.raises(InvalidArgument, match="positive integers"):
        registry.set_registered_model_alias("m", "champion", bad)
    unchanged(registry, before)


def test_get_missing_version(registry: SqlRegistryStore) -> None:
    registry.create_model_version("m", "s")
    with pytest.raises(ResourceNotFound, match="version 7 of registered model 'm' does not exist"):
        registry.get_model_version("m", "7")
    with pytest.raises(ResourceNotFound, match="registered model 'nope' does not exist"):
        registry.get_model_version("nope", "1")


def test_update_model_version(registry: SqlRegistryStore) -> None:
    mv = registry.create_model_version("m", "s", description="old")
    time.sleep(0.002)
    updated = registry.update_model_version("m", "1", "new")
    assert (
        dataclasses.replace(
            mv, description="new", last_updated_timestamp=updated.last_updated_timestamp
        )
        == updated
    )
    assert updated.last_updated_timestamp is not None and mv.last_updated_timestamp is not None
    assert updated.last_updated_timestamp > mv.last_updated_timestamp
    assert registry.get_model_version("m", 1) == updated
    before = dump(registry)
    with pytest.raises(ResourceNotFound, match="version 2 of registered model 'm'"):
        registry.update_model_version("m", "2", "x")
    with pytest.raises(InvalidArgument, match="description"):
        registry.update_model_version("m", "1", "d" * 5001)
    unchanged(registry, before)


def test_delete_model_version(registry: SqlRegistryStore) -> None:
    registry.create_model_version("m", "s1")
    registry.create_model_version("m", "s2", tags={"k": "v"}, run_link="http://x")
    registry.set_registered_model_alias("m", "champion", "2")
    registry.set_registered_model_alias("m", "old", "1")
    registry.delete_model_version("m", "2")
    with pytest.raises(ResourceNotFound, match="version 2 of registered model 'm'"):
        registry.get_model_version("m", "2")
    model = registry.get_registered_model("m")
    assert model.aliases == {"old": "1"}
    assert [v.version for v in model.latest_versions] == ["1"]
    assert versions_of(registry, "m") == ["1"]
    with pytest.raises(ResourceNotFound, match="no alias 'champion'"):
        registry.get_model_version_by_alias("m", "champion")
    rows = dump(registry)
    assert [r for r in rows["model_version_tags"] if r[1] == 2] == []
    # the number is not reused
    assert registry.create_model_version("m", "s3").version == "3"
    assert registry.get_model_version("m", "3").tags == {}
    before = dump(registry)
    with pytest.raises(ResourceNotFound, match="version 2 of registered model 'm'"):
        registry.delete_model_version("m", "2")
    with pytest.raises(ResourceNotFound, match="registered model 'nope'"):
        registry.delete_model_version("nope", "1")
    unchanged(registry, before)


def test_deleting_the_only_version_leaves_an_empty_model(registry: SqlRegistryStore) -> None:
    registry.create_model_version("m", "s")
    registry.delete_model_version("m", 1)
    assert registry.get_registered_model("m").latest_versions == []
    assert registry.get_latest_versions("m") == []
    assert registry.create_model_version("m", "s").version == "2"


def test_model_version_tags(registry: SqlRegistryStore) -> None:
    registry.create_model_version("m", "s", tags={"a": "1"}, run_link="http://x")
    registry.set_model_version_tag("m", "1", "b", "2")
    registry.set_model_version_tag("m", 1, "a", "changed")
    mv = registry.get_model_version("m", "1")
    assert (mv.tags, mv.run_link) == ({"a": "changed", "b": "2"}, "http://x")
    registry.delete_model_version_tag("m", "1", "a")
    assert registry.get_model_version("m", "1").tags == {"b": "2"}
    before = dump(registry)
    with pytest.raises(ResourceNotFound, match="version 1 of registered model 'm' has no tag 'a'"):
        registry.delete_model_version_tag("m", "1", "a")
    with pytest.raises(ResourceNotFound, match="version 9 of registered model 'm'"):
        registry.set_model_version_tag("m", "9", "a", "1")
    with pytest.raises(ResourceNotFound, match="registered model 'nope'"):
        registry.set_model_version_tag("nope", "1", "a", "1")
    with pytest.raises(InvalidArgument, match="reserved"):
        registry.set_model_version_tag("m", "1", "archivist.run_link", "y")
    with pytest.raises(InvalidArgument, match="reserved"):
        registry.delete_model_version_tag("m", "1", "archivist.run_link")
    with pytest.raises(InvalidArgument, match=re.escape("tag key 'a/../b'")):
        registry.set_model_version_tag("m", "1", "a/../b", "1")
    unchanged(registry, before)


def test_run_link_is_kept_in_its_column(registry: SqlRegistryStore) -> None:
    versions = metadata.tables["model_versions"]
    mv = registry.create_model_version("m", "s", tags={"k": "v"}, run_link="http://runs/1")
    assert (mv.run_link, mv.tags) == ("http://runs/1", {"k": "v"})
    with registry.db.read() as conn:
        assert conn.execute(select(versions.c.run_link)).scalar_one() == "http://runs/1"
    assert [r[2] for r in dump(registry)["model_version_tags"]] == ["k"]
    found, _ = registry.search_model_versions("tags.`archivist.run_link` LIKE '%'")
    assert found == []
    registry.delete_model_version("m", "1")  # the tombstone keeps no link
    with registry.db.read() as conn:
        assert conn.execute(select(versions.c.run_link)).scalar_one() is None


def test_run_link_length_is_the_column_length(registry: SqlRegistryStore) -> None:
    assert registry.create_model_version("m", "s", run_link="x" * 500).run_link == "x" * 500
    before = dump(registry)
    with pytest.raises(InvalidArgument, match=r"run_link .* is 501 characters long; the limit is 500"):
        registry.create_model_version("m", "s", run_link="x" * 501)
    unchanged(registry, before)


# --------------------------------------------------------------------------- stages


def test_get_latest_versions_and_transitions(registry: SqlRegistryStore) -> None:
    for i in range(1, 5):
        registry.create_model_version("m", f"s{i}")
    staged = registry.transition_model_version_stage("m", "1", "staging")
    assert staged.current_stage == "Staging"
    registry.transition_model_version_stage("m", "2", "Production")
    registry.transition_model_version_stage("m", "3", "PRODUCTION")
    latest = registry.get_latest_versions("m")
    assert [(v.version, v.current_stage) for v in latest] == [
        ("1", "Staging"),
        ("3", "Production"),
        ("4", "None"),
    ]
    assert registry.get_registered_model("m").latest_versions == latest
    assert [v.version for v in registry.get_latest_versions("m", ["production"])] == ["3"]
    assert [v.version for v in registry.get_latest_versions("m", ["None", "Staging"])] == [
        "1",
        "4",
    ]
    assert registry.get_latest_versions("m", []) == latest
    assert registry.get_latest_versions("m", ["Archived"]) == []
    assert [v.version for v in registry.get_latest_versions("m", "Staging")] == ["1"]  # type: ignore[arg-type]


def test_transition_archiving_existing_versions(registry: SqlRegistryStore) -> None:
    for i in range(1, 4):
        registry.create_model_version("m", f"s{i}")
    registry.transition_model_version_stage("m", 1, "Production")
    registry.transition_model_version_stage("m", 2, "Production")
    registry.transition_model_version_stage("m", 3, "Staging")
    promoted = registry.transition_model_version_stage(
        "m", 3, "Production", archive_existing_versions=True
    )
    assert promoted.current_stage == "Production"
    stages = {v: registry.get_model_version("m", v).current_stage for v in ("1", "2", "3")}
    assert stages == {"1": "Archived", "2": "Archived", "3": "Production"}


def test_stage_errors_change_nothing(registry: SqlRegistryStore) -> None:
    registry.create_model_version("m", "s")
    before = dump(registry)
    with pytest.raises(InvalidArgument, match="stage 'Live' is invalid; use one of None, Staging"):
        registry.transition_model_version_stage("m", "1", "Live")
    with pytest.raises(InvalidArgument, match="needs stage Staging or Production, not 'Archived'"):
        registry.transition_model_version_stage(
            "m", "1", "Archived", archive_existing_versions=True
        )
    with pytest.raises(ResourceNotFound, match="version 2 of registered model 'm'"):
        registry.transition_model_version_stage("m", "2", "Staging")
    with pytest.raises(InvalidArgument, match="stage 'Live'"):
        registry.get_latest_versions("m", ["Live"])
    with pytest.raises(ResourceNotFound, match="registered model 'nope'"):
        registry.get_latest_versions("nope")
    unchanged(registry, before)


# --------------------------------------------------------------------------- searching versions


@pytest.fixture
def some_versions(registry: SqlRegistryStore) -> SqlRegistryStore:
    registry.create_model_version(
        "m", "models:/m-1", run_id=RUN_A, model_id="m-1", tags={"ok": "yes"}
    )
    registry.create_model_version("m", "runs:/x/model", run_id=RUN_B, tags={"ok": "no"})
    registry.create_model_version("m", "s3://bucket/Model")
    registry.create_model_version("n", "models:/m-2", run_id=RUN_A, model_id="m-2")
    registry.create_model_version("n", "gone")
    registry.delete_model_version("n", "2")
    return registry


def keys(versions: list[ModelVersion]) -> list[tuple[str, str]]:
    return [(v.name, v.version) for v in versions]


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        (None, [("m", "3"), ("m", "2"), ("m", "1"), ("n", "1")]),
        ("name = 'm'", [("m", "3"), ("m", "2"), ("m", "1")]),
        ("name='n'", [("n", "1")]),
        (f"run_id = '{RUN_A}'", [("m", "1"), ("n", "1")]),
        (f"run_id != '{RUN_A}'", [("m", "3"), ("m", "2")]),
        (f"run_id IN ('{RUN_B}', 'x')", [("m", "2")]),
        (f"run_id NOT IN ('{RUN_B}')", [("m", "3"), ("m", "1"), ("n", "1")]),
        ("source_path = 'runs:/x/model'", [("m", "2")]),
        ("source_path LIKE 'models:/%'", [("m", "1"), ("n", "1")]),
        ("source_path LIKE '%model'", [("m", "2")]),
        ("source_path ILIKE '%model'", [("m", "3"), ("m", "2")]),
        ("model_id = 'm-2'", [("n", "1")]),
        ("version_number = 2", [("m", "2")]),
        ("version_number >= 2", [("m", "3"), ("m", "2")]),
        ("version_number < '2'", [("m", "1"), ("n", "1")]),
        ("version_number IN (1, 3)", [("m", "3"), ("m", "1"), ("n", "1")]),
        ("version_number != 1 AND name = 'm'", [("m", "3"), ("m", "2")]),
        ("tags.ok = 'yes'", [("m", "1")]),
        ("tags.ok != 'yes'", [("m", "3"), ("m", "2"), ("n", "1")]),
        ("tags.`ok` LIKE 'n%'", [("m", "2")]),
        ("name = 'n' AND version_number = 2", []),  # deleted versions are never found
        ("source_path = 'gone'", []),
    ],
)
def test_search_model_versions_filters(
    some_versions: SqlRegistryStore, filter_string: str | None, expected: list[tuple[str, str]]
) -> None:
    found, token = some_versions.search_model_versions(filter_string)
    assert keys(found) == expected
    assert token is None


def test_search_model_versions_entities_order_and_pages(some_versions: SqlRegistryStore) -> None:
    some_versions.set_registered_model_alias("m", "champion", "1")
    found, _ = some_versions.search_model_versions("name = 'm' AND version_number = 1")
    assert found == [some_versions.get_model_version("m", "1")]
    assert (found[0].aliases, found[0].tags) == (["champion"], {"ok": "yes"})
    found, _ = some_versions.search_model_versions(order_by=["version_number ASC", "name DESC"])
    assert keys(found) == [("n", "1"), ("m", "1"), ("m", "2"), ("m", "3")]
    some_versions.update_model_version("m", "2", "touched")
    found, _ = some_versions.search_model_versions(order_by=["last_updated_timestamp DESC"])
    assert keys(found)[0] == ("m", "2")
    found, _ = some_versions.search_model_versions(order_by=["creation_timestamp"])
    assert len(found) == 4
    seen: list[tuple[str, str]] = []
    token = None
    while True:
        page, token = some_versions.search_model_versions(max_results=3, page_token=token)
        seen += keys(page)
        if token is None:
            break
    assert seen == [("m", "3"), ("m", "2"), ("m", "1"), ("n", "1")]


@pytest.mark.parametrize(
    ("filter_string", "message"),
    [
        ("version_number = 'x'", "a version number after ="),
        ("version_number LIKE '1%'", "an operator for 'version_number'"),
        ("run_id < 'a'", "an operator for 'run_id'"),
        ("source = 'x'", "unknown model version field 'source'"),
        ("name = 'a' OR name = 'b'", "OR is not supported"),
        ("run_id NOT LIKE 'a'", "IN after NOT"),
        ("run_id IN 'a'", "'(' and a list after IN"),
    ],
)
def test_search_model_versions_malformed(
    sqlite_registry: SqlRegistryStore, filter_string: str, message: str
) -> None:
    with pytest.raises(MalformedFilter, match=re.escape(message)):
        sqlite_registry.search_model_versions(filter_string)


def test_search_model_versions_bad_arguments(registry: SqlRegistryStore) -> None:
    with pytest.raises(InvalidArgument, match="max_results=200001 is out of range"):
        registry.search_model_versions(max_results=200_001)
    with pytest.raises(MalformedFilter, match="one of name, version_number"):
        registry.search_model_versions(order_by=["run_id"])
    with pytest.raises(MalformedFilter, match="is not a string"):
        registry.search_model_versions(order_by=[3])  # type: ignore[list-item]


def test_like_is_case_sensitive_and_literal(registry: SqlRegistryStore) -> None:
    for i, source in enumerate(("a[1]*?", "A[1]*?", "a1x")):
        registry.create_model_version(f"m{i}", source)
    found, _ = registry.search_model_versions("source_path LIKE 'a[1]*?'")
    assert [v.source for v in found] == ["a[1]*?"]
    found, _ = registry.search_model_versions("source_path ILIKE 'a[1]*?'")
    assert sorted(v.source for v in found) == ["A[1]*?", "a[1]*?"]
    found, _ = registry.search_model_versions("source_path LIKE 'a_%'")
    assert sorted(v.source for v in found) == ["a1x", "a[1]*?"]


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        # != and NOT IN also match versions where the value is missing (NULL, or no tag)
        ("model_id != 'm-1'", [("m", "3"), ("m", "2"), ("n", "1")]),
        ("model_id NOT IN ('m-1', 'm-2')", [("m", "3"), ("m", "2")]),
        ("tags.nope != 'x'", [("m", "3"), ("m", "2"), ("m", "1"), ("n", "1")]),
        ("version_number NOT IN (1)", [("m", "3"), ("m", "2")]),
        ("VERSION_NUMBER <= '2' and Name = 'm'", [("m", "2"), ("m", "1")]),
        ("version_number > 1 AND version_number < 3", [("m", "2")]),
        # a negation never brings back a deleted version
        ("source_path != 'x' AND name = 'n'", [("n", "1")]),
        ("version_number != 1 AND name = 'n'", []),
        # quoted field names, as in run search
        ("`name` = 'n'", [("n", "1")]),
        ("\"run_id\" = '" + RUN_B + "'", [("m", "2")]),
    ],
)
def test_search_model_versions_negations_and_spellings(
    some_versions: SqlRegistryStore, filter_string: str, expected: list[tuple[str, str]]
) -> None:
    found, _ = some_versions.search_model_versions(filter_string)
    assert keys(found) == expected


def test_search_model_versions_order_by_aliases_and_one_string(
    some_versions: SqlRegistryStore,
) -> None:
    found, _ = some_versions.search_model_versions(order_by="version_number")  # type: ignore[arg-type]
    assert keys(found) == [("m", "1"), ("n", "1"), ("m", "2"), ("m", "3")]
    found, _ = some_versions.search_model_versions(order_by=["`name` DESC", "VERSION_NUMBER"])
    assert keys(found) == [("n", "1"), ("m", "1"), ("m", "2"), ("m", "3")]
    with pytest.raises(MalformedFilter, match="sorted by twice"):
        some_versions.search_model_versions(order_by=["timestamp", "last_updated_timestamp"])


# --------------------------------------------------------------------------- aliases


def test_aliases(registry: SqlRegistryStore) -> None:
    registry.create_model_version("m", "s1")
    registry.create_model_version("m", "s2")
    registry.set_registered_model_alias("m", "champion", "1")
    registry.set_registered_model_alias("m", "challenger", 2)
    registry.set_registered_model_alias("m", "a-b_c", "1")
    v1 = registry.get_model_version_by_alias("m", "champion")
    assert (v1.version, v1.source, v1.aliases) == ("1", "s1", ["a-b_c", "champion"])
    assert registry.get_registered_model("m").aliases == {
        "a-b_c": "1",
        "challenger": "2",
        "champion": "1",
    }
    # moving an alias
    registry.set_registered_model_alias("m", "champion", "2")
    assert registry.get_model_version_by_alias("m", "champion").version == "2"
    assert registry.get_model_version("m", "2").aliases == ["challenger", "champion"]
    assert registry.get_model_version("m", "1").aliases == ["a-b_c"]
    registry.delete_registered_model_alias("m", "champion")
    assert registry.get_registered_model("m").aliases == {"a-b_c": "1", "challenger": "2"}
    assert registry.get_model_version("m", "2").aliases == ["challenger"]


@pytest.mark.parametrize(
    ("alias", "message"),
    [
        ("", "alias '' is invalid"),
        ("latest", "alias 'latest' is reserved"),
        ("LaTeSt", "alias 'LaTeSt' is reserved"),
        ("v1", "alias 'v1' looks like a version number"),
        ("V12", "alias 'V12' looks like a version number"),
        ("3", "alias '3' looks like a version number"),
        ("has space", "may contain only letters"),
        ("a/b", "may contain only letters"),
        ("x" * 257, "257 characters long; the limit is 256"),
        (None, "alias None is invalid"),
    ],
)
def test_invalid_aliases_change_nothing(
    registry: SqlRegistryStore, alias: Any, message: str
) -> None:
    registry.create_model_version("m", "s")
    before = dump(registry)
    with pytest.raises(InvalidArgument, match=re.escape(message)):
        registry.set_registered_model_alias("m", alias, "1")
    unchanged(registry, before)


def test_alias_errors_name_what_is_missing(registry: SqlRegistryStore) -> None:
    registry.create_model_version("m", "s")
    registry.set_registered_model_alias("m", "champion", "1")
    before = dump(registry)
    with pytest.raises(
        ResourceNotFound,
        match="alias 'prod' of registered model 'm' at version 5: that version does not exist",
    ):
        registry.set_registered_model_alias("m", "prod", "5")
    with pytest.raises(ResourceNotFound, match="registered model 'nope' does not exist"):
        registry.set_registered_model_alias("nope", "prod", "1")
    with pytest.raises(ResourceNotFound, match="registered model 'm' has no alias 'prod'"):
        registry.get_model_version_by_alias("m", "prod")
    with pytest.raises(ResourceNotFound, match="registered model 'm' has no alias 'prod'"):
        registry.delete_registered_model_alias("m", "prod")
    with pytest.raises(ResourceNotFound, match="registered model 'nope'"):
        registry.get_model_version_by_alias("nope", "champion")
    with pytest.raises(ResourceNotFound, match="registered model 'nope'"):
        registry.delete_registered_model_alias("nope", "champion")
    with pytest.raises(InvalidArgument, match="alias '' is invalid"):
        registry.get_model_version_by_alias("m", "")
    unchanged(registry, before)


def test_alias_to_a_deleted_version_is_refused(registry: SqlRegistryStore) -> None:
    registry.create_model_version("m", "s1")
    registry.create_model_version("m", "s2")
    registry.delete_model_version("m", "2")
    before = dump(registry)
    with pytest.raises(ResourceNotFound, match="at version 2: that version does not exist"):
        registry.set_registered_model_alias("m", "champion", "2")
    unchanged(registry, before)


# --------------------------------------------------------------------------- concurrency

WORKER = r"""
import os, sys, time
from archivist.stores.registry.sql import SqlRegistryStore
from archivist.stores.tracking.sql import SqlTrackingStore

db_uri, signals, worker, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
store = SqlTrackingStore(db_uri)
registry = SqlRegistryStore(store.db)
open(os.path.join(signals, f"ready-{worker}"), "w").close()
deadline = time.monotonic() + 60
while not os.path.exists(os.path.join(signals, "go")):
    if time.monotonic() > deadline:
        sys.exit("no start signal within 60 s")
    time.sleep(0.002)
versions = [
    registry.create_model_version("shared", f"src-{worker}-{i}").version for i in range(count)
]
store.db.dispose()
print(" ".join(versions))
"""


def test_processes_registering_at_once_get_versions_1_to_n(
    registry: SqlRegistryStore, tracking: SqlTrackingStore, tmp_path: Path
) -> None:
    workers, each = 4, 5
    script = tmp_path / "register.py"
    script.write_text(WORKER)
    signals = tmp_path / "signals"
    signals.mkdir()
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), tracking.uri, str(signals), str(w), str(each)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(workers)
    ]
    try:
        deadline = time.monotonic() + 60
        while len(list(signals.glob("ready-*"))) < workers:
            assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
            assert time.monotonic() < deadline, "workers did not start within 60 s"
            time.sleep(0.01)
        (signals / "go").touch()  # all start registering together; the model does not exist yet
        outputs = []
        for p in procs:
            out, err = p.communicate(timeout=60)
            assert p.returncode == 0, err
            outputs.append([int(v) for v in out.split()])
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.communicate()
    for got in outputs:
        assert len(got) == each and got == sorted(got)  # each worker sees its numbers rise
    assert sorted(v for got in outputs for v in got) == list(range(1, workers * each + 1))
    found, _ = registry.search_model_versions("name = 'shared'", order_by=["version_number"])
    assert [v.version for v in found] == [str(i) for i in range(1, workers * each + 1)]
    sources = {v.source for v in found}
    assert sources == {f"src-{w}-{i}" for w in range(workers) for i in range(each)}
    by_source = {v.source: int(v.version) for v in found}
    for w, got in enumerate(outputs):
        assert [by_source[f"src-{w}-{i}"] for i in range(each)] == got
    model = registry.get_registered_model("shared")
    assert [v.version for v in model.latest_versions] == [str(workers * each)]
