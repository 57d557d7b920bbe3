"""Errors raised by Archivist.

Every error is an :class:`ArchivistError`; each leaf also inherits the builtin a caller
would naturally catch, and carries a stable ``error_code`` using MLflow's names so that
the server can answer ``{"error_code", "message"}`` and the HTTP client can map it back::

    ArchivistError (Exception)                    INTERNAL_ERROR            500
    ├── InvalidArgument (ValueError)              INVALID_PARAMETER_VALUE   400
    │   ├── MalformedFilter                       INVALID_PARAMETER_VALUE   400
    │   ├── MalformedRequest                      BAD_REQUEST               400
    │   └── PayloadTooLarge                       REQUEST_TOO_LARGE         413
    ├── ResourceNotFound (LookupError)            RESOURCE_DOES_NOT_EXIST   404
    │   └── EndpointNotFound                      ENDPOINT_NOT_FOUND        404
    ├── ResourceAlreadyExists                     RESOURCE_ALREADY_EXISTS   400
    ├── InvalidState (RuntimeError)               INVALID_STATE             400
    │   └── ReadOnlyStore                         INVALID_STATE             400
    ├── ArtifactCorrupted (OSError)               DATA_LOSS                 500
    ├── StorageFull (OSError)                     INSUFFICIENT_STORAGE      507
    ├── PermissionDenied (PermissionError)        PERMISSION_DENIED         403
    ├── Unauthenticated (PermissionError)         UNAUTHENTICATED           401
    ├── Conflict                                  RESOURCE_CONFLICT         409
    ├── ServerUnavailable (ConnectionError)       TEMPORARILY_UNAVAILABLE   503
    └── MissingDependency (ImportError)           INTERNAL_ERROR            500

``to_dict()`` also names the class (``archivist_error``), so a client maps a payload back
to the exact class even where two classes share a code (``error_from_payload``).
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "HTTP_STATUS",
    "ArchivistError",
    "ArtifactCorrupted",
    "Conflict",
    "EndpointNotFound",
    "InvalidArgument",
    "InvalidState",
    "MalformedFilter",
    "MalformedRequest",
    "MissingDependency",
    "PayloadTooLarge",
    "PermissionDenied",
    "ReadOnlyStore",
    "ResourceAlreadyExists",
    "ResourceNotFound",
    "ServerUnavailable",
    "StorageFull",
    "Unauthenticated",
    "error_for_code",
    "error_from_payload",
]


class ArchivistError(Exception):
    """Root of every error Archivist raises on purpose."""

    error_code: ClassVar[str] = "INTERNAL_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __reduce__(self) -> tuple[type[ArchivistError], tuple[str]]:
        return (type(self), (self.message,))

    def to_dict(self) -> dict[str, str]:
        return {
            "error_code": self.error_code,
            "message": self.message,
            "archivist_error": type(self).__name__,
        }


class InvalidArgument(ArchivistError, ValueError):
    """A value given by the caller is not acceptable."""

    error_code = "INVALID_PARAMETER_VALUE"


class MalformedFilter(InvalidArgument):
    """A search filter or order-by clause could not be parsed."""


class MalformedRequest(InvalidArgument):
    """An HTTP request body or query is not what the endpoint reads (bad JSON, wrong types)."""

    error_code = "BAD_REQUEST"


class PayloadTooLarge(InvalidArgument):
    """An HTTP request body or upload is over the server's configured limit."""

    error_code = "REQUEST_TOO_LARGE"


class ResourceNotFound(ArchivistError, LookupError):
    """An experiment, run, artifact, model or version does not exist."""

    error_code = "RESOURCE_DOES_NOT_EXIST"


class EndpointNotFound(ResourceNotFound):
    """No server endpoint answers this method and path."""

    error_code = "ENDPOINT_NOT_FOUND"


class ResourceAlreadyExists(ArchivistError):
    """Creating something whose name or id is taken."""

    error_code = "RESOURCE_ALREADY_EXISTS"


class InvalidState(ArchivistError, RuntimeError):
    """The operation is not allowed in the resource's current state."""

    error_code = "INVALID_STATE"


class ReadOnlyStore(InvalidState):
    """A write to a store that can only be read (read-only file system or folder)."""


class ArtifactCorrupted(ArchivistError, OSError):
    """Stored bytes do not match their digest, or a referenced blob is missing."""

    error_code = "DATA_LOSS"


class StorageFull(ArchivistError, OSError):
    """The disk (or quota) holding the blob store or the database is full; nothing was kept."""

    error_code = "INSUFFICIENT_STORAGE"
    #: the artifact being logged, when the error names one
    artifact: str | None = None


class PermissionDenied(ArchivistError, PermissionError):
    """The caller may not do this."""

    error_code = "PERMISSION_DENIED"


class Unauthenticated(ArchivistError, PermissionError):
    """The caller did not prove who they are."""

    error_code = "UNAUTHENTICATED"


class Conflict(ArchivistError):
    """What exists differs from what is being written (e.g. a pushed run id with other content)."""

    error_code = "RESOURCE_CONFLICT"


class ServerUnavailable(ArchivistError, ConnectionError):
    """A tracking server could not be reached, or kept failing, within the retry budget."""

    error_code = "TEMPORARILY_UNAVAILABLE"


class MissingDependency(ArchivistError, ImportError):
    """An optional dependency is needed; the message names the extra to install."""

    error_code = "INTERNAL_ERROR"


HTTP_STATUS: dict[str, int] = {
    "INTERNAL_ERROR": 500,
    "INVALID_PARAMETER_VALUE": 400,
    "RESOURCE_DOES_NOT_EXIST": 404,
    "RESOURCE_ALREADY_EXISTS": 400,
    "INVALID_STATE": 400,
    "DATA_LOSS": 500,
    "INSUFFICIENT_STORAGE": 507,
    "PERMISSION_DENIED": 403,
    "UNAUTHENTICATED": 401,
    "BAD_REQUEST": 400,
    "REQUEST_TOO_LARGE": 413,
    "ENDPOINT_NOT_FOUND": 404,
    "RESOURCE_CONFLICT": 409,
    "TEMPORARILY_UNAVAILABLE": 503,
}

_BY_CODE: dict[str, type[ArchivistError]] = {
    "INVALID_PARAMETER_VALUE": InvalidArgument,
    "RESOURCE_DOES_NOT_EXIST": ResourceNotFound,
    "RESOURCE_ALREADY_EXISTS": ResourceAlreadyExists,
    "INVALID_STATE": InvalidState,
    "DATA_LOSS": ArtifactCorrupted,
    "INSUFFICIENT_STORAGE": StorageFull,
    "PERMISSION_DENIED": PermissionDenied,
    "UNAUTHENTICATED": Unauthenticated,
    "BAD_REQUEST": MalformedRequest,
    "REQUEST_TOO_LARGE": PayloadTooLarge,
    "ENDPOINT_NOT_FOUND": EndpointNotFound,
    "RESOURCE_CONFLICT": Conflict,
    "TEMPORARILY_UNAVAILABLE": ServerUnavailable,
}


def error_for_code(code: str, message: str) -> ArchivistError:
    """Build the error class that ``code`` names (the HTTP client's inverse of ``to_dict``)."""
    return _BY_CODE.get(code, ArchivistError)(message)


def _all_classes(cls: type[ArchivistError]) -> dict[str, type[ArchivistError]]:
    out = {cls.__name__: cls}
    for sub in cls.__subclasses__():
        out.update(_all_classes(sub))
    return out


def error_from_payload(payload: object, fallback: str) -> ArchivistError:
    """The error an ``{"error_code", "message"[, "archivist_error"]}`` body describes.

    The class named by ``archivist_error`` wins when it is one of ours and agrees with the
    code; otherwise the code decides (MLflow servers send only the code). ``fallback`` is
    the message when the body has none.
    """
    if not isinstance(payload, dict):
        return ArchivistError(fallback)
    code = str(payload.get("error_code") or "INTERNAL_ERROR")
    message = str(payload.get("message") or fallback)
    named = _all_classes(ArchivistError).get(str(payload.get("archivist_error", "")))
    if named is not None and named.error_code == code:
        return named(message)
    return error_for_code(code, message)


def missing(package: str, extra: str, purpose: str) -> MissingDependency:
    """The error for an optional dependency that is not installed."""
    return MissingDependency(
        f"{purpose} needs the '{package}' package, which is not installed; "
        f"install it with: pip install 'archivist[{extra}]'"
    )
