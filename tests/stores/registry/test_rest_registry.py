"""The registry store contract over HTTP: the SQL registry's tests against a real server.

Each test gets a fresh ``archivist server`` process on 127.0.0.1 over a fresh store, on
SQLite and on PostgreSQL. Only the registered-model tests run here: the version tests
register sources outside any store (``s3://...``, made-up model ids), which a server refuses
on purpose, and others look inside the database. Versions and aliases over HTTP are tested
end to end in tests/test_remote_client.py.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "server"))

import test_sql_registry as sql_tests
from server_support import running_server

from archivist.stores.registry.rest import RestRegistryStore
from archivist.stores.tracking.rest import RestTrackingStore

#: the SQL store's tests that hold for any implementation
CONFORMANCE = (
    "test_create_and_get_registered_model",
    "test_create_registered_model_minimal",
    "test_get_missing_registered_model",
    "test_long_name_error_says_length_and_limit",
    "test_registered_model_tags",
    "test_rename_to_same_name_is_allowed",
    "test_sql_store_follows_the_protocol",
    "test_update_registered_model",
)
globals().update({name: getattr(sql_tests, name) for name in CONFORMANCE})


@pytest.fixture
def registry(tracking_uri: str, tmp_path: Path) -> Iterator[RestRegistryStore]:
    with running_server(tmp_path / "server", tracking_uri) as server:
        tracking = RestTrackingStore(server.url)
        yield RestRegistryStore(tracking)
        tracking.http.close()
