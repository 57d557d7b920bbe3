"""The one HTTP client every remote store uses: timeouts, retries, error mapping.

- Connection refused, timeouts, dropped connections and 5xx answers are retried with
  exponential backoff and jitter, for at most ``ARCHIVIST_HTTP_RETRY_SECONDS`` in total;
  then :class:`~archivist.errors.ServerUnavailable` names the server and what failed.
- 4xx answers are never retried: they are the caller's mistake, and are raised as the
  ``ArchivistError`` subclass their ``{"error_code", "message"}`` body names.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from archivist import config
from archivist.errors import ArchivistError, ServerUnavailable, error_from_payload

if TYPE_CHECKING:
    import httpx

__all__ = ["HttpClient", "raise_for_error"]

_BACKOFF_FIRST = 0.1
_BACKOFF_MAX = 5.0
#: codes whose 5xx answer is deterministic: retrying cannot help
_PERMANENT = {"DATA_LOSS", "NOT_IMPLEMENTED"}


def raise_for_error(response: httpx.Response, server: str) -> None:
    """Raise the ArchivistError a non-2xx answer describes (no-op on success)."""
    if response.status_code < 400:
        return
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if isinstance(payload, dict) and "error_code" in payload:
        raise error_from_payload(payload, f"{server} answered {response.status_code}")
    text = response.text[:200].strip()
    raise error_from_payload(
        {"error_code": _CODE_FOR_STATUS.get(response.status_code, "INTERNAL_ERROR")},
        f"{response.request.method} {response.request.url} answered HTTP "
        f"{response.status_code} {text!r}; is {server} an Archivist server?",
    )


_CODE_FOR_STATUS = {
    400: "INVALID_PARAMETER_VALUE",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "RESOURCE_DOES_NOT_EXIST",
    409: "RESOURCE_CONFLICT",
    503: "TEMPORARILY_UNAVAILABLE",
}


def _retryable_status(response: httpx.Response) -> bool:
    """5xx, except an error the server raised on purpose that a retry cannot change."""
    if response.status_code < 500:
        return False
    try:
        body = response.json()
        code = body.get("error_code")
    except (ValueError, AttributeError):
        return True
    if code in _PERMANENT:
        return False
    # an Archivist server names the class of a deliberate error; only "unavailable" is transient
    named = body.get("archivist_error")
    return named is None or code == "TEMPORARILY_UNAVAILABLE"


class HttpClient:
    """A pooled, thread-safe client for one server (``base_url``), with bounded retries.

    Args:
        base_url: ``http(s)://host:port[/prefix]`` of the server.
        timeout: seconds to connect and between bytes (default ``ARCHIVIST_HTTP_TIMEOUT``).
        retry_seconds: total retry budget (default ``ARCHIVIST_HTTP_RETRY_SECONDS``).
        headers: sent with every request (e.g. authentication).
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float | None = None,
        retry_seconds: float | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        import httpx

        from archivist._version import __version__

        self.base_url = base_url.rstrip("/")
        self.retry_seconds = (
            config.HTTP_RETRY_SECONDS.get() if retry_seconds is None else retry_seconds
        )
        t = config.HTTP_TIMEOUT.get() if timeout is None else timeout
        self._httpx = httpx
        self._client = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(t, connect=min(t, 10.0)),
            headers={"User-Agent": f"archivist/{__version__}", **(headers or {})},
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
            follow_redirects=True,
        )
        self._lock = threading.Lock()

    def close(self) -> None:
        self._client.close()

    # -- the one retry loop ----------------------------------------------------------
    def _with_retries(self, what: str, attempt: Callable[[], httpx.Response]) -> httpx.Response:
        httpx = self._httpx
        deadline = time.monotonic() + self.retry_seconds
        delay = _BACKOFF_FIRST
        tries = 0
        while True:
            tries += 1
            try:
                response = attempt()
            except (httpx.TransportError, OSError) as e:
                # connection refused/reset, DNS, timeouts, a dropped connection
                failure = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
            else:
                if not _retryable_status(response):
                    return response
                failure = f"HTTP {response.status_code}"
                with contextlib.suppress(ValueError, AttributeError):
                    failure += f" {response.json().get('message', '')!s}"[:300]
                response.close()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ServerUnavailable(
                    f"tracking server {self.base_url} did not answer {what} after {tries} "
                    f"attempt(s) over {self.retry_seconds:g} s (last: {failure}); check that "
                    "the server is running and reachable, or raise ARCHIVIST_HTTP_RETRY_SECONDS"
                )
            time.sleep(min(remaining, delay * (0.5 + random.random())))
            delay = min(delay * 2, _BACKOFF_MAX)

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Send a request (retried as the module says) and return the final answer.

        4xx/5xx answers are returned, not raised; see :meth:`call` for that.
        """
        return self._with_retries(
            f"{method} {path}",
            lambda: self._client.request(
                method, path, json=json, params=params, content=content, headers=headers
            ),
        )

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """Like :meth:`request` (same arguments), returning the decoded JSON body.

        An error answer raises the ArchivistError subclass it names.
        """
        response = self.request(method, path, **kwargs)
        raise_for_error(response, self.base_url)
        if not response.content:
            return {}
        try:
            return response.json()
        except ValueError:
            raise ArchivistError(
                f"{method} {self.base_url}{path} answered {response.status_code} with a body "
                f"that is not JSON ({response.text[:100]!r}); is this an Archivist server?"
            ) from None

    def upload(
        self,
        method: str,
        path: str,
        body: Callable[[], Iterable[bytes] | bytes],
        *,
        params: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """Send a body made by ``body()`` (called again on each retry); returns JSON."""
        response = self._with_retries(
            f"{method} {path}",
            lambda: self._client.request(
                method, path, content=body(), params=params, headers=headers
            ),
        )
        raise_for_error(response, self.base_url)
        return response.json() if response.content else {}

    @contextlib.contextmanager
    def stream(
        self, path: str, *, params: Any = None, headers: dict[str, str] | None = None
    ) -> Iterator[httpx.Response]:
        """``with client.stream(path) as r:`` a streamed GET (connects with retries)."""

        def attempt() -> httpx.Response:
            req = self._client.build_request("GET", path, params=params, headers=headers)
            return self._client.send(req, stream=True)

        response = self._with_retries(f"GET {path}", attempt)
        try:
            if response.status_code >= 400:
                response.read()
                raise_for_error(response, self.base_url)
            yield response
        finally:
            response.close()
