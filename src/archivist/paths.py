"""Artifact-path validation: relative, normalized, inside the artifact root."""

from __future__ import annotations

import re

from archivist.errors import InvalidArgument

__all__ = [
    "MAX_ARTIFACT_PATH_LENGTH",
    "MAX_PATH_COMPONENT_BYTES",
    "join",
    "validate_artifact_file",
    "validate_artifact_path",
]

_DRIVE = re.compile(r"^[A-Za-z]:")

#: Longest artifact path, in characters: the width of the tree-path column (the same on
#: SQLite and PostgreSQL, which enforces it).
MAX_ARTIFACT_PATH_LENGTH = 1000
#: Longest file or folder name, in UTF-8 bytes: what Linux, macOS and Windows file systems
#: accept (NAME_MAX), so every logged artifact can be downloaded again.
MAX_PATH_COMPONENT_BYTES = 255


def validate_artifact_path(path: str | None, *, name: str = "artifact_path") -> str:
    """Return ``path`` normalized ('' for the root), or raise :class:`InvalidArgument`.

    Rejected: absolute paths, ``..`` components, drive letters, backslashes, NUL and
    other control characters, paths longer than :data:`MAX_ARTIFACT_PATH_LENGTH`
    characters and names longer than :data:`MAX_PATH_COMPONENT_BYTES` bytes (UTF-8).

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
    norm = "/".join(parts)
    _check_lengths(norm, path, name)
    return norm


def _check_lengths(norm: str, given: str, name: str) -> None:
    if len(norm) > MAX_ARTIFACT_PATH_LENGTH:
        raise InvalidArgument(
            f"{name} {given[:60]!r}... is {len(norm)} characters long; the limit is "
            f"{MAX_ARTIFACT_PATH_LENGTH}: use shorter folder or file names"
        )
    try:
        norm.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidArgument(
            f"{name} {given!r} holds characters that are not valid Unicode (a file name in "
            "another encoding?); rename it with UTF-8 characters"
        ) from None
    for part in norm.split("/"):
        # a character is at most 4 bytes: only long names need encoding
        if len(part) > MAX_PATH_COMPONENT_BYTES // 4 and len(
            part.encode("utf-8")
        ) > MAX_PATH_COMPONENT_BYTES:
            raise InvalidArgument(
                f"{name} {given[:60]!r}... has a name of "
                f"{len(part.encode('utf-8'))} bytes ({part[:40]!r}...); file "
                f"systems accept at most {MAX_PATH_COMPONENT_BYTES} bytes per name, so it "
                "could never be downloaded: use a shorter name"
            )


def validate_artifact_file(path: str | None, *, name: str = "artifact_file") -> str:
    """Like :func:`validate_artifact_path`, for a path that must name a file.

    Also rejected: the root ('' or None) and a path ending in '/' (a folder).

    Example:
        >>> validate_artifact_file("notes/summary.txt")
        'notes/summary.txt'
    """
    norm = validate_artifact_path(path, name=name)
    if not norm:
        raise InvalidArgument(
            f"{name} {path!r} names no file; give a file name such as 'notes.txt'"
        )
    if path is not None and path.endswith(("/", "/.")):
        raise InvalidArgument(
            f"{name} {path!r} ends with '/', so it names a folder, not a file; give a file "
            f"name such as {norm + '/notes.txt'!r}"
        )
    return norm


def join(*parts: str) -> str:
    """Join already-validated artifact path parts with '/'."""
    return "/".join(p for p in parts if p)
