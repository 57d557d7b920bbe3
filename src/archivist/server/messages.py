"""Reading requests, once for every route: the JSON body or the query string, typed.

MLflow's client sends GET fields in the query string (repeated keys for lists, ``True`` /
``False`` for booleans) and every other method's fields as a JSON body (DELETE included).
:func:`read_message` turns either into a :class:`Message` whose getters check types and
name the field in their errors. Bodies are bounded in size and JSON nesting depth.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request

from archivist.errors import InvalidArgument, MalformedRequest, PayloadTooLarge

__all__ = ["Message", "check_depth", "read_body", "read_message"]


class Message:
    """The fields of one request, with typed getters that raise :class:`MalformedRequest`."""

    __slots__ = ("data", "where")

    def __init__(self, data: Mapping[str, Any], where: str = "request") -> None:
        self.data = dict(data)
        self.where = where

    def __contains__(self, key: str) -> bool:
        return self.data.get(key) not in (None, "", [])

    def _bad(self, key: str, value: Any, want: str) -> MalformedRequest:
        shown = repr(value) if len(repr(value)) < 80 else repr(value)[:77] + "..."
        return MalformedRequest(f"field {key!r} of the {self.where} is {shown}; give {want}")

    def _missing(self, key: str) -> InvalidArgument:
        # MLflow answers a missing required field with INVALID_PARAMETER_VALUE
        return InvalidArgument(f"field {key!r} is required in the {self.where}; it is missing")

    def _scalar(self, key: str, required: bool) -> Any:
        """The field's one value, or None when unset ('' counts as unset, as proto3 sends it)."""
        value = self.data.get(key)
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if value is None or value == "":
            if required:
                raise self._missing(key)
            return None
        return value

    def text(self, key: str, *, required: bool = False, default: str | None = None) -> str | None:
        """A string field ('' counts as missing, as proto3 clients send unset fields)."""
        value = self._scalar(key, required)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise self._bad(key, value, "a string")
        return str(value)

    def required(self, key: str) -> str:
        value = self.text(key, required=True)
        assert value is not None
        return value

    def integer(self, key: str, *, default: int | None = None, required: bool = False) -> int | None:
        """An int64 field, as a JSON number or a string of digits."""
        value = self._scalar(key, required)
        if value is None:
            return default
        if isinstance(value, bool):
            raise self._bad(key, value, "an integer")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise self._bad(key, value, "an integer")

    def number(self, key: str, *, required: bool = False) -> float | None:
        """A double field: a JSON number, or a string such as "NaN" or "Infinity"."""
        value = self._scalar(key, required)
        if value is None:
            return None
        if isinstance(value, bool):
            raise self._bad(key, value, "a number")
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
        raise self._bad(key, value, "a number")

    def flag(self, key: str, *, default: bool = False) -> bool:
        """A boolean: JSON true/false, or "true"/"false" in any case from a query string."""
        value = self._scalar(key, False)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise self._bad(key, value, "true or false")

    def texts(self, key: str) -> list[str]:
        """A repeated string field (one value is a list of one)."""
        value = self.data.get(key)
        if value is None or value == "":
            return []
        if not isinstance(value, list):
            value = [value]
        out = []
        for v in value:
            if isinstance(v, bool) or not isinstance(v, (str, int)):
                raise self._bad(key, value, "a list of strings")
            out.append(str(v))
        return out

    def objects(self, key: str) -> list[Message]:
        """A repeated message field, each item a :class:`Message`."""
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self._bad(key, value, "a list of JSON objects")
        return [Message(v, f"{self.where} field {key!r}") for v in value]

    def obj(self, key: str) -> Message | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self._bad(key, value, "a JSON object")
        return Message(value, f"{self.where} field {key!r}")

    def run_id(self) -> str:
        """``run_id``, or the legacy ``run_uuid`` that old clients send instead."""
        value = self.text("run_id") or self.text("run_uuid")
        if value is None:
            raise self._missing("run_id")
        return value


def check_depth(value: Any, limit: int) -> None:
    """Raise if ``value`` nests lists/objects deeper than ``limit``."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            raise MalformedRequest(
                f"the JSON body nests deeper than {limit} levels; flatten it (the limit is "
                "ARCHIVIST_SERVER_MAX_JSON_DEPTH)"
            )
        stack.extend((c, depth + 1) for c in children)


async def read_body(request: Request, limit: int, what: str = "request body") -> bytes:
    """The whole body, refused with :class:`PayloadTooLarge` as soon as it passes ``limit``."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(what, limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(what, limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(what: str, limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"the {what} is over the server's limit of {limit} bytes; send less per request "
        "(log_batch in smaller batches) or raise ARCHIVIST_SERVER_MAX_BODY_BYTES on the server"
    )


def _query(request: Request) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in request.query_params.multi_items():
        if key in data:
            old = data[key]
            data[key] = [*old, value] if isinstance(old, list) else [old, value]
        else:
            data[key] = value
    return data


async def read_message(request: Request, *, max_bytes: int, max_depth: int) -> Message:
    """The request's fields: the query string, overlaid by a JSON object body if any."""
    data = _query(request)
    if request.method in ("GET", "HEAD"):
        return Message(data, "query")
    body = await read_body(request, max_bytes)
    if not body.strip():
        return Message(data, "request")
    # json's C parser guards its own recursion (RecursionError), so a deep body cannot
    # crash the process; the depth limit proper is checked on the parsed value
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        raise MalformedRequest(
            "the request body is not valid JSON; send a JSON object with "
            "Content-Type: application/json"
        ) from None
    if not isinstance(parsed, dict):
        raise MalformedRequest(
            f"the request body is JSON {type(parsed).__name__}, not an object; send {{...}}"
        )
    check_depth(parsed, max_depth)
    data.update(parsed)
    return Message(data, "request body")
