"""The app skeleton: health, version, error mapping, request parsing, limits, access log."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from server_support import InProcess, Server

from archivist import __version__
from archivist.errors import HTTP_STATUS, ArchivistError, InvalidArgument
from archivist.server.app import ServerConfig, create_app
from archivist.server.messages import Message
from archivist.server.routes import ROUTE_GROUPS


def test_health_and_version(app_client: InProcess) -> None:
    r = app_client.get("/health")
    assert (r.status_code, r.text) == (200, "OK")
    r = app_client.get("/version")
    assert (r.status_code, r.text) == (200, __version__)


def test_unknown_route_is_json_endpoint_not_found(app_client: InProcess) -> None:
    r = app_client.get("/api/2.0/mlflow/no-such-thing")
    assert r.status_code == 404
    assert r.json()["error_code"] == "ENDPOINT_NOT_FOUND"
    assert "/api/2.0/mlflow/no-such-thing" in r.json()["message"]


def test_wrong_method_is_4xx_json(app_client: InProcess) -> None:
    r = app_client.post("/health")
    assert r.status_code == 405 and r.json()["error_code"] == "BAD_REQUEST"


def test_every_group_module_exposes_routes() -> None:
    import importlib

    for name in ROUTE_GROUPS:
        module = importlib.import_module(f"archivist.server.routes.{name}")
        assert isinstance(module.routes, list), name


def test_message_getters_type_check_and_name_the_field() -> None:
    m = Message({"a": "3", "b": 4, "c": "TRUE", "d": ["x", "y"], "e": "x", "f": {"k": 1}})
    assert m.integer("a") == 3 and m.integer("b") == 4
    assert m.flag("c") is True and m.flag("missing", default=True) is True
    assert m.texts("d") == ["x", "y"] and m.texts("e") == ["x"]
    assert m.text("missing", default="z") == "z"
    with pytest.raises(InvalidArgument, match="'missing' is required"):
        m.required("missing")
    with pytest.raises(InvalidArgument, match=r"field 'e'.*integer"):
        m.integer("e")
    with pytest.raises(InvalidArgument, match=r"field 'f'.*string"):
        m.text("f")
    with pytest.raises(InvalidArgument, match=r"field 'e'.*true or false"):
        m.flag("e")


def test_status_table_drives_every_error() -> None:
    from archivist.server.errors import error_response

    for code, status in HTTP_STATUS.items():
        cls = type("E", (ArchivistError,), {"error_code": code})
        response = error_response(cls("boom"))
        assert response.status_code == status
        assert json.loads(bytes(response.body)) == {
            "error_code": code, "message": "boom", "archivist_error": "E"
        }


def test_config_limits_must_be_positive(store_dir: Path) -> None:
    with pytest.raises(InvalidArgument, match="max_body_bytes"):
        create_app(ServerConfig(backend_store_uri=str(store_dir), max_body_bytes=-1))


def test_access_log_has_method_path_status_duration_and_no_query(
    app_client: InProcess, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="archivist.server.access"):
        app_client.get("/health?token=secret123")
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "archivist.server.access"]
    assert len(lines) == 1
    line = lines[0]
    assert line["method"] == "GET" and line["path"] == "/health" and line["status"] == 200
    assert isinstance(line["duration_ms"], float)
    assert "secret123" not in caplog.text


def test_real_process_health_version_and_sigterm(live_server: Server) -> None:
    import httpx

    assert httpx.get(f"{live_server.url}/health").text == "OK"
    assert httpx.get(f"{live_server.url}/version").text == __version__
