"""Where a custom model's pieces come from: artifacts given by path or URI, model code."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from archivist.errors import InvalidArgument

__all__ = ["ARTIFACT_URI_SCHEMES", "copy_artifacts"]

#: Artifact values with these schemes are downloaded from the store before being copied.
ARTIFACT_URI_SCHEMES = ("runs", "models", "mlflow-artifacts")


def _copy(src: Path, dst: Path) -> None:
    if src.is_dir():
        shutil.copytree(src, dst)
    else:
        shutil.copy2(src, dst)


def copy_artifacts(artifacts: dict[str, Any] | None, target: Path) -> dict[str, dict[str, str]]:
    """Copy each artifact into ``<target>/artifacts/`` and return the flavor's ``artifacts``.

    A value is a local path, a ``file://`` URI, or a store URI (``runs:/<id>/<path>``,
    ``models:/...``, a run's ``artifact_uri`` + path), which is downloaded first, as in
    MLflow.
    """
    conf: dict[str, dict[str, str]] = {}
    for name, value in (artifacts or {}).items():
        uri = os.fspath(value)
        parsed = urlparse(uri)
        folder = target / "artifacts"
        folder.mkdir(exist_ok=True)
        if parsed.scheme in ARTIFACT_URI_SCHEMES:
            from archivist.artifacts import download_artifacts

            with tempfile.TemporaryDirectory(prefix="archivist-artifact-") as tmp:
                local = Path(download_artifacts(artifact_uri=uri, dst_path=tmp))
                rel = f"artifacts/{local.name}"
                if (target / rel).exists():
                    rel = f"artifacts/{name}"
                _copy(local, target / rel)
        else:
            src = Path(unquote(parsed.path) if parsed.scheme == "file" else uri)
            if not src.exists():
                raise InvalidArgument(
                    f"artifact {name!r}: {uri!r} is neither an existing local path nor a "
                    f"store URI ({', '.join(s + ':/' for s in ARTIFACT_URI_SCHEMES)})"
                )
            rel = f"artifacts/{src.name}"
            _copy(src, target / rel)
        conf[name] = {"path": rel, "uri": uri}
    return conf
