"""Artifact-path validation: relative, normalized, inside the artifact root."""

from __future__ import annotations

import re

from archivist.errors import InvalidArgument

__all__ = ["join", "validate_artifact_path"]

_DRIVE = re.compile(r"^[A-Za-z]:")


def validate_artifact_path(path: str | None, *, name: str = "artifact_path") -> str:
    """Return ``path`` normalized ('' for the root), or raise :class:`InvalidArgument`.

    Rejected: absolute paths, ``..`` components, drive letters, backslashes, NUL and
    other control characters.

    Example:
        >>> validate_artifact_path("plots//a/./b.png")
        'plots/a/b.png'
    """
    if path is None:
        return ""
    if not isinstance(path, str):
        raise InvalidArgument(f"{name} {path!r} is not a string; give a relative path like 'plots'")
    if "\x00" in path or any(ord(c) < 32 for c in path):
        raise InvalidArgument(
            f"{name} {path!r} contains a NUL or control character; use printable characters only"
        )
    if "\\" in path:
        raise InvalidArgument(
            f"{name} {path!r} contains a backslash; separate folders with '/' instead"
        )
    if _DRIVE.match(path):
        raise InvalidArgument(
            f"{name} {path!r} starts with a drive letter; use a path relative to the run's "
            "artifact root"
        )
    if path.startswith("/"):
        raise InvalidArgument(
            f"{name} {path!r} is absolute; use a path relative to the run's artifact root"
        )
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise InvalidArgument(
            f"{name} {path!r} leaves the run's artifact root; use a relative path inside it"
        )
    return "/".join(parts)


def join(*parts: str) -> str:
    """Join already-validated artifact path parts with '/'."""
    return "/".join(p for p in parts if p)
