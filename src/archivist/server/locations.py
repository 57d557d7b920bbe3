"""Every path or URI a request names, checked against what the store owns.

Checks run on the fully decoded text (``%252f`` is decoded until nothing changes), so no
spelling of ``..``, a separator, a scheme or a host gets through. The only locations a
request may name are inside the store: ``mlflow-artifacts:/<relative path>`` below a
run's or a logged model's artifact root, ``runs:/<run id>/<path>`` and ``models:/<id>``.
Refusals never say whether something outside the store exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote

from archivist.errors import InvalidArgument, ResourceNotFound
from archivist.paths import validate_artifact_path

if TYPE_CHECKING:
    from archivist.server.app import ServerStores

__all__ = [
    "ARTIFACTS_SCHEME",
    "Target",
    "check_artifact_location",
    "check_model_source",
    "check_request_path",
    "resolve_artifact_path",
]

ARTIFACTS_SCHEME = "mlflow-artifacts:"
_RUN_ID = re.compile(r"^[0-9a-f]{32}$")
_MODEL_ID = re.compile(r"^m-[0-9a-f]{32}$")
_DRIVE = re.compile(r"^[A-Za-z]:")
_FORBIDDEN = ("\\", "?", "#", ";", "\x00")


def _decoded(raw: str) -> str:
    text = raw
    for _ in range(8):
        nxt = unquote(text, errors="strict")
        if nxt == text:
            return text
        text = nxt
    raise InvalidArgument(f"path {raw[:80]!r} is percent-encoded too many times")


def check_request_path(raw: str, what: str = "artifact path") -> str:
    """A store-relative path from a request, normalized; anything that could leave is refused."""
    try:
        text = _decoded(raw)
    except UnicodeDecodeError:
        raise InvalidArgument(f"{what} {raw[:80]!r} is not valid UTF-8 once decoded") from None
    shown = raw if len(raw) < 120 else raw[:117] + "..."
    if "\ufffd" in text:
        raise InvalidArgument(f"{what} {shown!r} is not valid UTF-8 once URL-decoded")
    if text != raw:
        raise InvalidArgument(
            f"{what} {shown!r} holds percent-encoded characters after URL decoding; send the "
            "path with plain characters"
        )
    if any(c in text for c in _FORBIDDEN) or any(ord(c) < 32 for c in text):
        raise InvalidArgument(
            f"{what} {shown!r} contains a backslash, '?', '#', ';' or a control character; "
            "use a plain relative path"
        )
    segments = text.split("/")
    if text.startswith("/") or "//" in text or ":" in segments[0] or any(
        _DRIVE.match(seg) for seg in segments
    ):
        raise InvalidArgument(
            f"{what} {shown!r} is absolute or names a host or scheme; use a path relative to "
            "the artifact root"
        )
    if ".." in segments:
        raise InvalidArgument(f"{what} {shown!r} leaves the artifact root; remove '..'")
    return validate_artifact_path(text, name=what)


def check_artifact_location(location: str | None) -> str | None:
    """An experiment's artifact location: unset, or ``mlflow-artifacts:/<relative path>``."""
    if not location:
        return None
    if not location.startswith(ARTIFACTS_SCHEME):
        raise InvalidArgument(
            f"artifact_location {location[:120]!r} is outside this server's store; omit it (the "
            "server picks mlflow-artifacts:/<experiment id>) or give mlflow-artifacts:/<path>"
        )
    rest = location[len(ARTIFACTS_SCHEME):]
    if rest.startswith("//"):
        raise InvalidArgument(
            f"artifact_location {location[:120]!r} names a host; give mlflow-artifacts:/<path>"
        )
    path = check_request_path(rest.lstrip("/"), "artifact_location path")
    if not path:
        raise InvalidArgument("artifact_location 'mlflow-artifacts:/' names no folder")
    return f"{ARTIFACTS_SCHEME}/{path}"


@dataclass(frozen=True, slots=True)
class Target:
    """Where an ``mlflow-artifacts`` path points: an owner's tree and a path inside it."""

    owner_id: str
    path: str


def resolve_artifact_path(stores: ServerStores, raw: str) -> Target | None:
    """The owner (run or logged model) and inner path of a proxy path, or None above any owner.

    ``<exp>/<run id>/artifacts/<p>`` and ``<exp>/models/<model id>/artifacts/<p>``, where
    the owner's recorded artifact URI must be exactly the prefix; anything else is refused.
    """
    path = check_request_path(raw)
    parts = path.split("/") if path else []
    for i, seg in enumerate(parts):
        if _RUN_ID.match(seg) and parts[i + 1 : i + 2] == ["artifacts"]:
            root = "/".join(parts[: i + 2])
            run = stores.tracking.get_run(seg)
            if run.info.artifact_uri.rstrip("/") == f"{ARTIFACTS_SCHEME}/{root}":
                return Target(seg, "/".join(parts[i + 2 :]))
            break
        if seg == "models" and i + 2 < len(parts) and _MODEL_ID.match(parts[i + 1]) and (
            parts[i + 2] == "artifacts"
        ):
            root = "/".join(parts[: i + 3])
            model = stores.tracking.get_logged_model(parts[i + 1])
            if model.artifact_location.rstrip("/") == f"{ARTIFACTS_SCHEME}/{root}":
                return Target(parts[i + 1], "/".join(parts[i + 3 :]))
            break
    if _is_prefix_of_an_owner(parts):
        return None
    raise ResourceNotFound(
        f"artifact path {path!r} is not inside a run's or a logged model's artifact root; "
        "paths look like <experiment id>/<run id>/artifacts/<file>"
    )


def _is_prefix_of_an_owner(parts: list[str]) -> bool:
    # '', '<exp>', '<exp>/<run id>', '<exp>/models', '<exp>/models/<model id>'
    if len(parts) <= 1:
        return True
    if len(parts) == 2:
        return bool(_RUN_ID.match(parts[1])) or parts[1] == "models"
    return len(parts) == 3 and parts[1] == "models" and bool(_MODEL_ID.match(parts[2]))


def check_model_source(stores: ServerStores, source: str, model_id: str | None) -> str:
    """A model version's ``source``: something inside this store, else refused.

    Accepted: ``models:/<model id>``, ``runs:/<run id>/<path>``, and
    ``mlflow-artifacts:/<path>`` inside a run's or a logged model's artifact root.
    """
    refused = InvalidArgument(
        f"model version source {source[:120]!r} is not a location in this server's store; "
        "register a logged model (models:/<model id>), runs:/<run id>/<path>, or "
        "mlflow-artifacts:/<path> inside a run or logged model"
    )
    if source.startswith("models:/"):
        mid = source[len("models:/"):]
        if not _MODEL_ID.match(mid):
            raise refused
        stores.tracking.get_logged_model(mid)
        return source
    if source.startswith("runs:/"):
        run_id, _, rest = source[len("runs:/"):].partition("/")
        if not _RUN_ID.match(run_id):
            raise refused
        stores.tracking.get_run(run_id)
        inner = check_request_path(rest, "model source path")
        return f"runs:/{run_id}/{inner}" if inner else f"runs:/{run_id}"
    if source.startswith(ARTIFACTS_SCHEME) and not source[len(ARTIFACTS_SCHEME):].startswith("//"):
        target = resolve_artifact_path(stores, source[len(ARTIFACTS_SCHEME):].lstrip("/"))
        if target is None:
            raise refused
        return f"{ARTIFACTS_SCHEME}/{check_request_path(source[len(ARTIFACTS_SCHEME):].lstrip('/'))}"
    raise refused
