"""Run the tracking app under uvicorn: one process, or N forked workers on one socket.

Workers get no settings through the environment: the parent builds the config, binds the
socket, forks, and each child builds its own app (its own database connections) from the
config it inherited. SIGTERM or Ctrl-C stops every worker gracefully: requests in flight
finish (up to ``graceful_seconds``), then the process exits.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import time
from typing import Any

from archivist.server.app import ServerConfig

__all__ = ["configure_logging", "serve"]

_logger = logging.getLogger("archivist.server")


def configure_logging(level: int = logging.INFO) -> None:
    """Server logs (access lines are JSON) to stderr, one line each."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    for name in ("archivist.server", "uvicorn.error"):
        log = logging.getLogger(name)
        log.handlers[:] = [handler]
        log.setLevel(level)
        log.propagate = False


def _uvicorn_config(app: Any, host: str, port: int, graceful_seconds: float) -> Any:
    import uvicorn

    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=int(graceful_seconds),
        server_header=False,
    )


def serve(
    config: ServerConfig,
    *,
    host: str = "127.0.0.1",
    port: int = 5000,
    workers: int = 1,
    graceful_seconds: float = 30,
) -> None:
    """Serve until SIGTERM / Ctrl-C."""
    import uvicorn

    from archivist.server.app import create_app

    if workers <= 1:
        app = create_app(config)
        _logger.info("archivist server listening on http://%s:%d", host, port)
        uvicorn.Server(_uvicorn_config(app, host, port, graceful_seconds)).run()
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    _logger.info("archivist server listening on http://%s:%d (%d workers)", host, port, workers)
    _Supervisor(config, sock, host, port, workers, graceful_seconds).run()


class _Supervisor:
    """Forks the workers, restarts one that dies, forwards SIGTERM to all on shutdown."""

    def __init__(
        self, config: ServerConfig, sock: socket.socket, host: str, port: int, workers: int,
        graceful_seconds: float,
    ) -> None:
        self.config = config
        self.sock = sock
        self.host = host
        self.port = port
        self.workers = workers
        self.graceful_seconds = graceful_seconds
        self.children: set[int] = set()
        self.stopping = False

    def _spawn(self) -> None:
        pid = os.fork()
        if pid == 0:  # the worker
            code = 0
            try:
                os.setpgid(0, 0)  # Ctrl-C reaches the supervisor only; it forwards SIGTERM
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                import uvicorn

                from archivist.server.app import create_app

                app = create_app(self.config)
                cfg = _uvicorn_config(app, self.host, self.port, self.graceful_seconds)
                uvicorn.Server(cfg).run(sockets=[self.sock])
            except BaseException as e:  # a worker must never return into the parent's code
                _logger.error("worker %d failed: %s", os.getpid(), e)
                code = 1
            finally:
                logging.shutdown()
                os._exit(code)
        self.children.add(pid)

    def _stop(self, signum: int, frame: Any) -> None:
        self.stopping = True
        for pid in list(self.children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                self.children.discard(pid)

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        for _ in range(self.workers):
            self._spawn()
        deadline: float | None = None
        while self.children:
            try:
                pid, status = os.waitpid(-1, 0)
            except ChildProcessError:
                break
            except InterruptedError:
                continue
            self.children.discard(pid)
            if self.stopping:
                deadline = deadline or time.monotonic() + self.graceful_seconds + 5
                continue
            _logger.error("worker %d exited (status %d); starting another", pid, status)
            time.sleep(0.5)
            self._spawn()
        self.sock.close()
