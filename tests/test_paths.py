"""Artifact-path validation, by example and by property."""

from __future__ import annotations

import posixpath

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archivist.errors import InvalidArgument
from archivist.paths import validate_artifact_path


@pytest.mark.parametrize(
    ("given_path", "expected"),
    [(None, ""), ("", ""), ("a", "a"), ("a/b/", "a/b"), ("./a//b/./c", "a/b/c"), ("a b/c-d.e", "a b/c-d.e")],
)
def test_normalizes(given_path: str | None, expected: str) -> None:
    assert validate_artifact_path(given_path) == expected


@given(st.text())
def test_never_escapes_root(path: str) -> None:
    try:
        norm = validate_artifact_path(path)
    except InvalidArgument as e:
        assert "artifact_path" in str(e)
        return
    assert not norm.startswith("/")
    assert "\\" not in norm and "\x00" not in norm
    assert ".." not in norm.split("/")
    joined = posixpath.normpath(posixpath.join("/root", norm))
    assert joined == "/root" or joined.startswith("/root/")
