"""The shared HTTP client against a real scripted server on 127.0.0.1: errors and retries."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from archivist import errors
from archivist._http import HttpClient

Reply = tuple[int, bytes, float]  # status, body, seconds to wait before answering


class Scripted:
    """A real HTTP server answering from a script of replies, counting requests."""

    def __init__(self) -> None:
        self.script: list[Reply] = []
        self.default: Reply = (200, b"{}", 0.0)
        self.requests: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                outer.requests.append(f"{self.command} {self.path}")
                status, body, wait = outer.script.pop(0) if outer.script else outer.default
                time.sleep(wait)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=lambda: self.server.serve_forever(0.05), daemon=True)

    def __enter__(self) -> Scripted:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def scripted() -> Iterator[Scripted]:
    with Scripted() as s:
        yield s


def _all_error_classes() -> list[type[errors.ArchivistError]]:
    out: list[type[errors.ArchivistError]] = []
    todo: list[type[errors.ArchivistError]] = [errors.ArchivistError]
    while todo:
        cls = todo.pop()
        out.append(cls)
        todo.extend(cls.__subclasses__())
    return sorted(out, key=lambda c: c.__name__)


@pytest.mark.parametrize("cls", _all_error_classes(), ids=lambda c: c.__name__)
def test_every_error_class_round_trips(
    scripted: Scripted, cls: type[errors.ArchivistError]
) -> None:
    err = cls("run 'abc' is gone; create a new one")
    status = errors.HTTP_STATUS[err.error_code]
    scripted.default = (status, json.dumps(err.to_dict()).encode(), 0.0)
    client = HttpClient(scripted.url, retry_seconds=0.3)
    with pytest.raises(errors.ArchivistError) as info:
        client.call("POST", "/x", json={})
    assert type(info.value) is cls
    if cls is errors.ServerUnavailable:  # transient: retried, then reported as the server's
        assert len(scripted.requests) > 1 and scripted.url in info.value.message
    else:
        assert info.value.message == err.message
        assert len(scripted.requests) == 1  # deliberate errors are never retried


def test_mlflow_style_body_maps_by_code(scripted: Scripted) -> None:
    body = {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "no run"}
    scripted.default = (404, json.dumps(body).encode(), 0.0)
    with pytest.raises(errors.ResourceNotFound, match="no run"):
        HttpClient(scripted.url).call("GET", "/x")


def test_non_json_error_names_the_server(scripted: Scripted) -> None:
    scripted.default = (404, b"<html>not here</html>", 0.0)
    with pytest.raises(errors.ResourceNotFound, match=r"answered HTTP 404.*Archivist server"):
        HttpClient(scripted.url).call("GET", "/nowhere")


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 413, 422, 429])
def test_4xx_is_never_retried(scripted: Scripted, status: int) -> None:
    scripted.default = (status, b'{"error_code": "BAD_REQUEST", "message": "no"}', 0.0)
    with pytest.raises(errors.ArchivistError):
        HttpClient(scripted.url, retry_seconds=5).call("POST", "/x", json={})
    assert len(scripted.requests) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_is_retried_until_it_succeeds(scripted: Scripted, status: int) -> None:
    scripted.script = [(status, b"oops", 0.0), (status, b"", 0.0)]
    scripted.default = (200, b'{"ok": 1}', 0.0)
    assert HttpClient(scripted.url, retry_seconds=10).call("POST", "/x", json={}) == {"ok": 1}
    assert len(scripted.requests) == 3


def test_5xx_forever_ends_in_a_clear_error(scripted: Scripted) -> None:
    scripted.default = (502, b"bad gateway", 0.0)
    with pytest.raises(errors.ServerUnavailable) as info:
        HttpClient(scripted.url, retry_seconds=0.5).call("GET", "/x")
    msg = info.value.message
    assert scripted.url in msg and "HTTP 502" in msg and "attempt(s)" in msg
    assert len(scripted.requests) >= 2


def test_timeout_is_retried(scripted: Scripted) -> None:
    scripted.script = [(200, b'{"late": 1}', 1.5)]
    scripted.default = (200, b'{"ok": 1}', 0.0)
    assert HttpClient(scripted.url, timeout=0.3, retry_seconds=10).call("GET", "/x") == {"ok": 1}
    assert len(scripted.requests) == 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_connection_refused_ends_in_a_clear_error() -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    with pytest.raises(errors.ServerUnavailable) as info:
        HttpClient(url, retry_seconds=0.5).call("GET", "/api/x")
    assert url in info.value.message and "ConnectError" in info.value.message
    assert isinstance(info.value, ConnectionError)


def test_server_coming_up_during_retries_is_reached() -> None:
    port = _free_port()
    client = HttpClient(f"http://127.0.0.1:{port}", retry_seconds=20)
    result: list[object] = []
    t = threading.Thread(target=lambda: result.append(client.call("GET", "/x")))
    t.start()
    time.sleep(0.5)
    s = Scripted()
    s.server.server_close()
    s.server = ThreadingHTTPServer(("127.0.0.1", port), s.server.RequestHandlerClass)
    s.thread = threading.Thread(target=lambda: s.server.serve_forever(0.05), daemon=True)
    with s:
        t.join(20)
    assert result == [{}]
