"""Where data lives: resolving a tracking URI into a tracking store and a blob store."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from archivist import config
from archivist.errors import InvalidArgument
from archivist.stores.schemes import TRACKING_STORES

if TYPE_CHECKING:
    from archivist.stores.artifacts.store import ArtifactStore
    from archivist.stores.tracking.sql import SqlTrackingStore

__all__ = ["DEFAULT_DIR", "Location", "open_blob_store", "open_stores", "resolve_location"]

DEFAULT_DIR = "archivist"
DB_FILE = "archivist.db"
BLOB_DIR = "blobs"


@dataclass(frozen=True, slots=True)
class Location:
    """The resolved database URI and artifact root of a tracking URI."""

    tracking_uri: str
    db_uri: str
    artifact_root: str


def resolve_location(tracking_uri: str | None = None) -> Location:
    """Turn a tracking URI (or the environment, or the default) into concrete locations.

    - nothing set: ``./archivist/archivist.db`` and ``./archivist/blobs``;
    - a folder path or ``file://`` URI: the same layout inside that folder;
    - ``sqlite:///path.db``: that database, blobs beside it;
    - ``sqlite:///:memory:``: a database in memory and blobs in a temporary folder, both
      gone when the process ends;
    - ``postgresql://...``: that database, blobs in ``ARCHIVIST_ARTIFACT_ROOT`` (default
      ``./archivist/blobs``).
    ``ARCHIVIST_ARTIFACT_ROOT`` overrides the blob location in every case.
    """
    uri = tracking_uri or config.tracking_uri() or DEFAULT_DIR
    artifact_root = config.ARTIFACT_ROOT.get()
    parsed = urlparse(uri)
    scheme = parsed.scheme.lower()
    if scheme in ("", "file") or (len(scheme) == 1 and os.name == "nt"):
        folder = Path(parsed.path if scheme == "file" else uri).expanduser().absolute()
        if folder.suffix == ".db":
            raise InvalidArgument(
                f"tracking URI {uri!r} looks like a database file; write it as "
                f"'sqlite:///{folder}' (or give a folder path)"
            )
        db_uri = f"sqlite:///{folder / DB_FILE}"
        root = artifact_root or str(folder / BLOB_DIR)
    elif uri in ("sqlite://", "sqlite:///:memory:"):
        # lives as long as the process, blobs included (as MLflow's in-memory store does)
        db_uri = "sqlite:///:memory:"
        root = artifact_root or _memory_blob_root()
    elif scheme == "sqlite":
        db_path = uri[len("sqlite:///") :]
        if not uri.startswith("sqlite:///") or not db_path:
            raise InvalidArgument(
                f"tracking URI {uri!r} is not a SQLite file URI; write sqlite:///relative.db "
                "or sqlite:////absolute/path.db"
            )
        db_file = Path(db_path).expanduser().absolute()
        db_uri = f"sqlite:///{db_file}"
        root = artifact_root or str(db_file.parent / BLOB_DIR)
    elif scheme in ("postgresql", "postgres") or scheme.startswith("postgresql+"):
        db_uri = uri
        root = artifact_root or str(Path(DEFAULT_DIR, BLOB_DIR).absolute())
    elif scheme in TRACKING_STORES:  # a tracking server keeps both
        return Location(tracking_uri=uri.rstrip("/"), db_uri=uri.rstrip("/"), artifact_root="")
    else:
        raise InvalidArgument(
            f"tracking URI {uri!r} has scheme {scheme!r}, which is not supported; use a folder "
            "path, sqlite:///path.db, postgresql://user@host:port/db or http(s)://server:port"
        )
    return Location(tracking_uri=uri, db_uri=db_uri, artifact_root=root)


_MEMORY_BLOBS: list[str] = []


def _memory_blob_root() -> str:
    """One temporary blob folder per process for ``sqlite:///:memory:``, removed at exit."""
    if not _MEMORY_BLOBS:
        import atexit
        import shutil
        import tempfile

        root = tempfile.mkdtemp(prefix="archivist-memory-")
        _MEMORY_BLOBS.append(root)
        atexit.register(shutil.rmtree, root, True)
    return _MEMORY_BLOBS[0]


def open_blob_store(uri: str) -> Any:
    """The blob store at ``uri``; a remote one (S3) is fronted by the local blob cache."""
    from archivist.stores.blobs.cache import with_cache
    from archivist.stores.schemes import get_blob_store

    return with_cache(get_blob_store(uri))


def open_stores(tracking_uri: str | None = None) -> tuple[SqlTrackingStore, ArtifactStore]:
    from archivist.stores.artifacts.store import ArtifactStore
    from archivist.stores.schemes import resolve
    from archivist.stores.tracking.sql import SqlTrackingStore

    loc = resolve_location(tracking_uri)
    scheme = urlparse(loc.tracking_uri).scheme.lower()
    if scheme in TRACKING_STORES:
        from archivist.stores.artifacts.remote import RemoteArtifactStore

        cls = resolve(TRACKING_STORES, "archivist.tracking_stores", scheme, "tracking").load()
        remote = cls(loc.tracking_uri)
        # the REST store implements the same interface; typed as the SQL one for callers
        return remote, RemoteArtifactStore(remote)
    tracking = SqlTrackingStore(loc.db_uri)
    blobs = open_blob_store(loc.artifact_root)
    return tracking, ArtifactStore(tracking, blobs)
