"""Path checks on every request path: whatever the text, the result stays inside the root."""

from __future__ import annotations

from urllib.parse import quote, unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archivist.errors import InvalidArgument
from archivist.server.locations import check_artifact_location, check_request_path

PIECES = st.sampled_from(["..", ".", "/", "\\", "%2e", "%2f", "%252f", "%5c", "%00", "a", "b.txt",
                          "C:", "//", "?", "#", ";", "%25", "é", "\x00", " "])


@settings(max_examples=400, deadline=None)
@given(st.lists(PIECES, max_size=12).map("".join) | st.text(max_size=40))
def test_checked_paths_never_leave_the_root(raw: str) -> None:
    try:
        path = check_request_path(raw)
    except InvalidArgument:
        return
    parts = path.split("/")
    assert (".." not in parts and "." not in parts and "" not in parts) or path == ""
    assert not path.startswith("/") and "\\" not in path and "\x00" not in path
    assert all(c not in path for c in "?#;") and unquote(path) == path


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["..", "x", "%2e%2e"]), min_size=1, max_size=6))
def test_encoded_dot_dot_in_any_depth_is_refused(parts: list[str]) -> None:
    raw = "/".join(parts)
    for spelled in (raw, quote(raw, safe=""), quote(quote(raw, safe=""), safe="")):
        if ".." in parts or "%2e%2e" in parts:
            with pytest.raises(InvalidArgument):
                check_request_path(spelled)


def test_artifact_locations() -> None:
    assert check_artifact_location(None) is None
    assert check_artifact_location("mlflow-artifacts:/a/b") == "mlflow-artifacts:/a/b"
    for bad in ("mlflow-artifacts:/", "mlflow-artifacts://h/a", "file:/a", "/abs", "mlflow-artifacts:/a/../b"):
        with pytest.raises(InvalidArgument):
            check_artifact_location(bad)
