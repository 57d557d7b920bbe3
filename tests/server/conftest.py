"""Server fixtures: the app in process (httpx.ASGITransport) and a real server process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from server_support import InProcess, Server, start_server

from archivist.server.app import ServerConfig, create_app


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture
def app_client(store_dir: Path) -> InProcess:
    """The tracking app over a fresh SQLite store, called in process."""
    return InProcess(create_app(ServerConfig(backend_store_uri=str(store_dir))))


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One real ``archivist server`` process per test module, on a free 127.0.0.1 port."""
    workdir = tmp_path_factory.mktemp("live-server")
    server = start_server(workdir, str(workdir / "store"))
    try:
        yield server
    finally:
        server.stop()
