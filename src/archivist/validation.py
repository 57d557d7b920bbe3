"""Checks on keys and values, shared by the client, the stores and the server."""

from __future__ import annotations

import math
import numbers
import re
from typing import Any

from archivist.errors import InvalidArgument

__all__ = [
    "MAX_KEY_LENGTH",
    "MAX_PARAM_VALUE_LENGTH",
    "MAX_TAG_VALUE_LENGTH",
    "check_artifact_location",
    "check_experiment_name",
    "check_int",
    "check_key",
    "check_logged_model_name",
    "check_metric_value",
    "check_model_type",
    "check_param_value",
    "check_run_id",
    "check_run_name",
    "check_tag_value",
    "check_text",
    "check_user_id",
]

MAX_KEY_LENGTH = 250
MAX_PARAM_VALUE_LENGTH = 6000
MAX_TAG_VALUE_LENGTH = 8000
MAX_EXPERIMENT_NAME_LENGTH = 500
MAX_RUN_NAME_LENGTH = 250
MAX_USER_ID_LENGTH = 256
MAX_LOGGED_MODEL_NAME_LENGTH = 500
MAX_ARTIFACT_LOCATION_LENGTH = 1000

# MLflow's set: letters, digits, underscores, dashes, periods, spaces, slashes, colons.
_KEY_RE = re.compile(r"^[/\w.\- :]*$")
_RUN_ID_RE = re.compile(r"^[0-9a-f]{32}$")


_KNOWN_GOOD_KEYS: set[str] = set()


def check_key(key: Any, kind: str) -> str:
    """``kind`` is 'param', 'metric' or 'tag'; returns the key."""
    if key in _KNOWN_GOOD_KEYS:  # keys repeat: validate each once per process
        return str(key)
    if not isinstance(key, str) or not key:
        raise InvalidArgument(f"{kind} key {key!r} is invalid: a {kind} key must be a non-empty string")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidArgument(
            f"{kind} key {key[:40]!r}... is {len(key)} characters long; the limit is "
            f"{MAX_KEY_LENGTH}"
        )
    if not _KEY_RE.match(key) or ".." in key.split("/") or key.startswith("/"):
        raise InvalidArgument(
            f"{kind} key {key!r} is invalid: keys may contain only letters, digits, "
            "underscores (_), dashes (-), periods (.), spaces ( ), colons (:) and slashes (/), "
            "and may not be a path that leaves its folder"
        )
    if len(_KNOWN_GOOD_KEYS) < 100_000:
        _KNOWN_GOOD_KEYS.add(key)
    return key


def _refuse_nul(text: str, what: str) -> None:
    """NUL cannot be stored by PostgreSQL (and is cut short by C tools reading SQLite):
    refuse it the same way on every backend, before anything is written."""
    if "\x00" in text:
        raise InvalidArgument(
            f"{what} {text[:60]!r} contains a NUL character (\\x00) at position "
            f"{text.index(chr(0))}; text stored in the tracking database cannot hold NUL: "
            "remove it (log binary data as an artifact instead)"
        )


def check_text(
    value: Any, what: str, limit: int, *, allow_empty: bool = False
) -> str:
    """A string column's value: a (non-empty unless ``allow_empty``) string of at most
    ``limit`` characters, without NUL."""
    if not isinstance(value, str) or not (value or allow_empty):
        raise InvalidArgument(f"{what} {value!r} is invalid: give a non-empty string")
    if len(value) > limit:
        raise InvalidArgument(
            f"{what} {value[:40]!r}... is {len(value)} characters long; the limit is {limit}"
        )
    _refuse_nul(value, what)
    return value


def check_param_value(key: str, value: Any) -> str:
    text = str(value)
    _refuse_nul(text, f"param {key!r} value")
    if len(text) > MAX_PARAM_VALUE_LENGTH:
        raise InvalidArgument(
            f"param {key!r} has a value of {len(text)} characters; the limit is "
            f"{MAX_PARAM_VALUE_LENGTH}. Log long values as an artifact (log_text) instead"
        )
    return text


def check_tag_value(key: str, value: Any) -> str:
    text = str(value)
    _refuse_nul(text, f"tag {key!r} value")
    if len(text) > MAX_TAG_VALUE_LENGTH:
        raise InvalidArgument(
            f"tag {key!r} has a value of {len(text)} characters; the limit is "
            f"{MAX_TAG_VALUE_LENGTH}. Log long values as an artifact (log_text) instead"
        )
    return text


def check_metric_value(key: str, value: Any) -> float:
    """Numbers (including NaN and ±inf) become floats; anything else is an error."""
    kind = type(value)
    if kind is float or kind is int:
        return float(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        # numpy scalars are numbers.Real; strings and None are not
        if hasattr(value, "item") and not isinstance(value, (str, bytes)):
            try:
                return check_metric_value(key, value.item())
            except (TypeError, ValueError):
                pass
        if isinstance(value, bool):
            return float(value)
        raise InvalidArgument(
            f"metric {key!r} got value {value!r} of type {type(value).__name__}; metric "
            "values must be numbers (int or float; NaN and ±inf are kept)"
        )
    result = float(value)
    if math.isnan(result) or math.isinf(result):
        return result
    return result


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def check_int(key: str, what: str, value: Any, kind: str = "metric") -> int:
    """A metric's (or image's) step or timestamp: a 64-bit integer (numpy integers and
    integral floats too)."""
    if type(value) is int and _INT64_MIN <= value <= _INT64_MAX:
        return value
    try:
        as_int = int(value)
        if isinstance(value, bool) or as_int != value:
            raise ValueError
    except (TypeError, ValueError, OverflowError):
        raise InvalidArgument(
            f"{kind} {key!r} got {what} {value!r}; a {what} must be an integer"
        ) from None
    if not _INT64_MIN <= as_int <= _INT64_MAX:
        raise InvalidArgument(
            f"{kind} {key!r} got {what} {as_int}, which does not fit in 64 bits; use a {what} "
            f"between {_INT64_MIN} and {_INT64_MAX}"
        )
    return as_int


def check_run_id(run_id: Any) -> str:
    if not isinstance(run_id, str) or not _RUN_ID_RE.match(run_id):
        raise InvalidArgument(
            f"run id {run_id!r} is malformed: run ids are 32 lowercase hexadecimal characters, "
            "as returned by start_run().info.run_id"
        )
    return run_id


_MODEL_ID_RE = re.compile(r"^m-[0-9a-f]{32}$")


def check_model_id(model_id: Any) -> str:
    if not isinstance(model_id, str) or not _MODEL_ID_RE.match(model_id):
        raise InvalidArgument(
            f"model id {model_id!r} is malformed: logged model ids look like 'm-<32 lowercase hex>'"
        )
    return model_id


def _check_name(name: Any, what: str, limit: int) -> str:
    """A non-blank string of at most ``limit`` characters."""
    if isinstance(name, str) and not name.strip():
        raise InvalidArgument(f"{what} {name!r} is invalid: give a non-empty string")
    return check_text(name, what, limit)


def check_experiment_name(name: Any) -> str:
    return _check_name(name, "experiment name", MAX_EXPERIMENT_NAME_LENGTH)


def check_run_name(name: Any) -> str:
    return check_text(name, "run name", MAX_RUN_NAME_LENGTH)


def check_user_id(user_id: Any) -> str:
    return check_text(user_id, "user id", MAX_USER_ID_LENGTH, allow_empty=True)


def check_logged_model_name(name: Any) -> str:
    return check_text(name, "logged model name", MAX_LOGGED_MODEL_NAME_LENGTH)


def check_model_type(model_type: Any) -> str | None:
    if model_type is None:
        return None
    return check_text(model_type, "model_type", MAX_LOGGED_MODEL_NAME_LENGTH, allow_empty=True)


def check_artifact_location(location: Any) -> str:
    return check_text(location, "artifact_location", MAX_ARTIFACT_LOCATION_LENGTH, allow_empty=True)


MAX_REGISTERED_MODEL_NAME_LENGTH = 256


def check_registered_model_name(name: Any, what: str = "registered model name") -> str:
    """A registered model name as MLflow accepts it: non-empty, at most 256 characters,
    without '/' or ':' and not '.' or '..' (which would be ambiguous in models:/ URIs)."""
    checked = _check_name(name, what, MAX_REGISTERED_MODEL_NAME_LENGTH)
    if "/" in checked or ":" in checked or checked.strip() in (".", ".."):
        raise InvalidArgument(
            f"{what} {checked!r} is invalid: names cannot contain '/' or ':' nor be '.' or '..' "
            "(they would be ambiguous in models:/ URIs); pick a name such as 'iris-classifier'"
        )
    return checked
