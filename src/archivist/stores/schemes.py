"""The one registry from URI scheme to backend class: ``scheme -> "module:Class"``.

Built-ins are declared here and (for blob stores) as ``archivist.blob_stores`` entry points,
the way a third-party package would declare its own; a class is imported on first use.
An unknown scheme is an error listing the known ones, never a silent local fallback.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from archivist.errors import InvalidArgument, MissingDependency

__all__ = ["BLOB_STORES", "TRACKING_STORES", "Backend", "get_blob_store", "resolve"]


@dataclass(frozen=True, slots=True)
class Backend:
    target: str  # "module:Class"
    extra: str | None = None  # the pip extra that provides its dependencies

    def load(self) -> Any:
        module_name, _, attr = self.target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as e:
            if self.extra:
                raise MissingDependency(
                    f"{self.target} needs a package that is not installed ({e.name}); "
                    f"install it with: pip install 'archivist[{self.extra}]'"
                ) from e
            raise
        return getattr(module, attr)


BLOB_STORES: dict[str, Backend] = {
    "file": Backend("archivist.stores.blobs.local:LocalBlobStore"),
    "memory": Backend("archivist.stores.blobs.memory:MemoryBlobStore"),
    "s3": Backend("archivist.stores.blobs.s3:S3BlobStore", extra="s3"),
}


#: remote tracking stores; local URIs (folders, sqlite, postgresql) open the SQL store
TRACKING_STORES: dict[str, Backend] = {
    "http": Backend("archivist.stores.tracking.rest:RestTrackingStore"),
    "https": Backend("archivist.stores.tracking.rest:RestTrackingStore"),
}


def _from_entry_points(group: str, scheme: str) -> Backend | None:
    from importlib.metadata import entry_points

    for ep in entry_points(group=group):
        if ep.name == scheme:
            return Backend(ep.value)
    return None


def resolve(registry: dict[str, Backend], group: str, scheme: str, what: str) -> Backend:
    backend = registry.get(scheme) or _from_entry_points(group, scheme)
    if backend is None:
        known = ", ".join(sorted(registry))
        raise InvalidArgument(
            f"{what} scheme {scheme!r} is unknown; known schemes: {known} "
            f"(plugins add more through the {group!r} entry point group)"
        )
    return backend


def get_blob_store(uri: str, *, raw: bool = False) -> Any:
    """Open the blob store a URI names: a plain path or ``file://`` is a local directory.

    The backend comes behind the encryption layer (when the store is encrypted) and the
    chunk layer; ``raw`` returns the backend alone (for key management).
    """
    parsed = urlparse(uri)
    scheme = parsed.scheme
    if scheme == "" or (len(scheme) == 1 and os.name == "nt"):
        scheme, location = "file", uri
    elif scheme == "file":
        location = parsed.path
    else:
        location = uri
    cls = resolve(BLOB_STORES, "archivist.blob_stores", scheme, "artifact store").load()
    if raw:
        return cls(location)
    from archivist.stores.blobs.chunked import with_chunking
    from archivist.stores.blobs.encrypted import with_encryption

    return with_chunking(with_encryption(cls(location)))
