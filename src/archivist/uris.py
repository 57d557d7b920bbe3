"""Parsing artifact URIs: ``runs:/<run_id>/<path>`` and ``mlflow-artifacts:/<exp>/<run>/artifacts/<path>``."""

from __future__ import annotations

import re

from archivist.errors import InvalidArgument
from archivist.paths import validate_artifact_path

__all__ = ["parse_artifact_uri"]

_RUNS = re.compile(r"^runs:/(?P<run>[0-9a-f]{32})(?:/(?P<path>.*))?$")
_PROXY = re.compile(r"^mlflow-artifacts:/+(?P<exp>\d+)/(?P<run>[0-9a-f]{32})/artifacts(?:/(?P<path>.*))?$")


def parse_artifact_uri(uri: str) -> tuple[str, str]:
    """``(run_id, artifact_path)`` named by an artifact URI."""
    for pattern in (_RUNS, _PROXY):
        m = pattern.match(uri)
        if m:
            return m.group("run"), validate_artifact_path(m.group("path") or "")
    raise InvalidArgument(
        f"artifact URI {uri!r} is not understood; use runs:/<run_id>/<path> or the "
        "artifact_uri of a run followed by /<path>"
    )
