"""Where a dataset came from: a JSON description and a type, as MLflow's dataset sources."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archivist.errors import InvalidArgument

__all__ = ["DatasetSource", "resolve_source"]


@dataclass(frozen=True, slots=True)
class DatasetSource:
    """A dataset's origin: ``source_type`` ("local", "s3", "http", "code", ...) and details.

    Example:
        >>> DatasetSource("s3", {"uri": "s3://bucket/train.parquet"}).to_json()
        '{"uri": "s3://bucket/train.parquet"}'
    """

    source_type: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.details)

    def to_json(self) -> str:
        return json.dumps(self.details, sort_keys=True)

    @property
    def uri(self) -> str | None:
        value = self.details.get("uri") or self.details.get("url")
        return None if value is None else str(value)

    def _get_source_type(self) -> str:  # MLflow's name
        return self.source_type


_SCHEMES = {"s3": "s3", "gs": "gcs", "http": "http", "https": "http", "hf": "hugging_face",
            "dbfs": "dbfs", "file": "local", "runs": "run_artifact", "models": "model"}


def resolve_source(source: str | os.PathLike[str] | DatasetSource | None) -> DatasetSource:
    """A :class:`DatasetSource` from what a user passes as ``source=``.

    A path (or ``file://``) becomes a "local" source with its absolute path; a URI becomes
    a source of its scheme's type; None becomes a "code" source naming the running script.
    """
    if isinstance(source, DatasetSource):
        return source
    if source is None:
        from archivist._source import source_tags

        tags = {k: str(v) for k, v in source_tags().items() if k.startswith("mlflow.source.")}
        return DatasetSource("code", {"tags": tags})
    if not isinstance(source, str | os.PathLike):
        raise InvalidArgument(
            f"dataset source {source!r} is a {type(source).__name__}; give a path, a URI or "
            "an archivist.data.DatasetSource"
        )
    text = os.fspath(source)
    scheme, sep, _ = text.partition("://")
    if not sep and text.partition(":/")[1] and text.split(":/")[0] in ("runs", "models"):
        scheme, sep = text.split(":/")[0], ":/"
    if sep and scheme.lower() in _SCHEMES:
        kind = _SCHEMES[scheme.lower()]
        if kind == "local":
            return DatasetSource("local", {"uri": str(Path(text[len("file://") :]).absolute())})
        return DatasetSource(kind, {"url" if kind == "http" else "uri": text})
    if sep:
        return DatasetSource(scheme.lower()[:36], {"uri": text})
    return DatasetSource("local", {"uri": str(Path(text).expanduser().absolute())})
