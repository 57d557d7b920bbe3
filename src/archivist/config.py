"""Every ``ARCHIVIST_*`` environment variable, declared once; read when used, never at import."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Generic, TypeVar

from archivist.errors import InvalidArgument

__all__ = [
    "ALLOW_PICKLE",
    "ARTIFACT_ROOT",
    "ASYNC_LOGGING",
    "CACHE_DIR",
    "CACHE_MAX_BYTES",
    "CAPTURE_ENVIRONMENT",
    "CHUNK_MIN_BYTES",
    "ENCRYPTION_KEY",
    "ENCRYPTION_KEY_FILE",
    "FSYNC",
    "GC_GRACE_SECONDS",
    "GIT_DIFF_MAX_BYTES",
    "HTTP_RETRY_SECONDS",
    "HTTP_TIMEOUT",
    "PACK_MAX_BYTES",
    "S3_ENDPOINT_URL",
    "SCORING_MAX_BODY_BYTES",
    "SERVER_MAX_BODY_BYTES",
    "SERVER_MAX_JSON_DEPTH",
    "SERVER_MAX_UPLOAD_BYTES",
    "TRACKING_URI",
    "Setting",
    "set_tracking_uri",
    "tracking_uri",
]

T = TypeVar("T", str, int, float, bool)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True, slots=True)
class Setting(Generic[T]):
    """One environment variable: its name, type, default and meaning."""

    name: str
    type: type[T]
    default: T
    doc: str

    def get(self) -> T:
        raw = os.environ.get(self.name)
        if raw is None:
            return self.default
        if self.type is bool:
            low = raw.strip().lower()
            if low in _TRUE:
                return True  # type: ignore[return-value]
            if low in _FALSE:
                return False  # type: ignore[return-value]
            raise InvalidArgument(
                f"environment variable {self.name}={raw!r} is not a boolean; use 1 or 0"
            )
        try:
            return self.type(raw)
        except ValueError:
            raise InvalidArgument(
                f"environment variable {self.name}={raw!r} is not a valid "
                f"{self.type.__name__}; unset it or give a {self.type.__name__}"
            ) from None

    def is_set(self) -> bool:
        return self.name in os.environ


TRACKING_URI: Setting[str] = Setting(
    "ARCHIVIST_TRACKING_URI",
    str,
    "",
    "Where metadata lives: a folder path, sqlite:///file.db or postgresql://...; "
    "empty means ./archivist/ in the working directory.",
)
ARTIFACT_ROOT: Setting[str] = Setting(
    "ARCHIVIST_ARTIFACT_ROOT",
    str,
    "",
    "Where artifact bytes live (a folder path, file:// URI or s3://bucket/prefix); "
    "empty means a 'blobs' folder beside the SQLite database, or ./archivist/blobs.",
)
FSYNC: Setting[bool] = Setting(
    "ARCHIVIST_FSYNC",
    bool,
    True,
    "fsync blobs before they become visible; 0 trades durability after a power cut for speed.",
)
GC_GRACE_SECONDS: Setting[float] = Setting(
    "ARCHIVIST_GC_GRACE_SECONDS",
    float,
    3600.0,
    "gc keeps unreferenced blobs younger than this (concurrent writers are safe at any value).",
)
PACK_MAX_BYTES: Setting[int] = Setting(
    "ARCHIVIST_PACK_MAX_BYTES",
    int,
    65536,
    "Blobs up to this size are packed into <blob root>/pack.sqlite instead of one file each "
    "(0 stores every blob as its own file).",
)
CHUNK_MIN_BYTES: Setting[int] = Setting(
    "ARCHIVIST_CHUNK_MIN_BYTES",
    int,
    16 << 20,
    "Files of at least this many bytes are stored as content-defined chunks, so a new "
    "version that changes a little adds little (0 stores every file whole).",
)
ENCRYPTION_KEY_FILE: Setting[str] = Setting(
    "ARCHIVIST_ENCRYPTION_KEY_FILE",
    str,
    "",
    "A file holding the master key (32 bytes, raw or base64) of an encrypted artifact store; "
    "set when the store is created, it turns encryption at rest on for that store.",
)
ENCRYPTION_KEY: Setting[str] = Setting(
    "ARCHIVIST_ENCRYPTION_KEY",
    str,
    "",
    "The master key in base64, instead of ARCHIVIST_ENCRYPTION_KEY_FILE.",
)
ALLOW_PICKLE: Setting[bool] = Setting(
    "ARCHIVIST_ALLOW_PICKLE",
    bool,
    True,
    "Whether loading pickle-based models is allowed; 0 refuses them.",
)
SCORING_MAX_BODY_BYTES: Setting[int] = Setting(
    "ARCHIVIST_SCORING_MAX_BODY_BYTES",
    int,
    256 << 20,
    "The scoring server answers 413 to a POST /invocations body larger than this.",
)
SERVER_MAX_BODY_BYTES: Setting[int] = Setting(
    "ARCHIVIST_SERVER_MAX_BODY_BYTES",
    int,
    32 << 20,
    "The tracking server answers 413 to a JSON request body larger than this.",
)
SERVER_MAX_UPLOAD_BYTES: Setting[int] = Setting(
    "ARCHIVIST_SERVER_MAX_UPLOAD_BYTES",
    int,
    64 << 30,
    "The tracking server answers 413 to an artifact upload (or upload part) larger than this.",
)
SERVER_MAX_JSON_DEPTH: Setting[int] = Setting(
    "ARCHIVIST_SERVER_MAX_JSON_DEPTH",
    int,
    32,
    "The tracking server refuses JSON bodies nested deeper than this (400).",
)

HTTP_TIMEOUT: Setting[float] = Setting(
    "ARCHIVIST_HTTP_TIMEOUT",
    float,
    60.0,
    "Seconds an HTTP request to a tracking server may wait to connect or between bytes.",
)
HTTP_RETRY_SECONDS: Setting[float] = Setting(
    "ARCHIVIST_HTTP_RETRY_SECONDS",
    float,
    60.0,
    "Total seconds spent retrying a request to a tracking server that is unreachable, "
    "times out or answers 5xx, before giving up with an error naming the server.",
)
CAPTURE_ENVIRONMENT: Setting[bool] = Setting(
    "ARCHIVIST_CAPTURE_ENVIRONMENT",
    bool,
    True,
    "start_run records Python, OS, CPU, memory, GPUs, installed distributions and git state "
    "(tags archivist.env.* and environment/environment.json); 0 turns it off.",
)
GIT_DIFF_MAX_BYTES: Setting[int] = Setting(
    "ARCHIVIST_GIT_DIFF_MAX_BYTES",
    int,
    1 << 20,
    "A dirty git tree's diff is logged as environment/git.diff up to this many bytes (0: none).",
)

CACHE_DIR: Setting[str] = Setting(
    "ARCHIVIST_CACHE_DIR",
    str,
    "",
    "Local cache of blobs read from remote stores (S3); empty means "
    "$XDG_CACHE_HOME/archivist/blobs (~/.cache/archivist/blobs).",
)
CACHE_MAX_BYTES: Setting[int] = Setting(
    "ARCHIVIST_CACHE_MAX_BYTES",
    int,
    4 << 30,
    "Size limit of the local blob cache; least recently used blobs are evicted beyond it "
    "(0 turns the cache off).",
)
S3_ENDPOINT_URL: Setting[str] = Setting(
    "ARCHIVIST_S3_ENDPOINT_URL",
    str,
    "",
    "Endpoint of an S3-compatible server (MinIO, SeaweedFS, ...) for s3:// artifact roots; "
    "empty falls back to MLFLOW_S3_ENDPOINT_URL, then to AWS's own endpoint resolution.",
)
ASYNC_LOGGING: Setting[bool] = Setting(
    "ARCHIVIST_ASYNC_LOGGING",
    bool,
    True,
    "On a tracking server, queue metrics and tags and send them in background batches "
    "(flushed by end_run, at exit, and by any read); 0 sends each call and waits.",
)

# What set_tracking_uri() chose for this process. Like MLflow's, it is process-wide and
# wins over ARCHIVIST_TRACKING_URI; the fluent API and ArchivistClient() both follow it.
_tracking_uri_from_code: str | None = None


def set_tracking_uri(uri: str | None) -> None:
    """Record the tracking URI chosen in code (None forgets it)."""
    global _tracking_uri_from_code
    _tracking_uri_from_code = uri


def tracking_uri() -> str:
    """The tracking URI in force: set_tracking_uri()'s, else ARCHIVIST_TRACKING_URI, else ''."""
    return _tracking_uri_from_code or TRACKING_URI.get()
