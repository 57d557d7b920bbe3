"""Datasets made from a DataFrame, a numpy array or files, with digest, schema and profile.

The digest identifies the content: the same data gets the same digest whoever logs it.
Files are hashed exactly as the blob store hashes them (so a dataset made from a file and
the same file logged as an artifact share a digest); a directory's digest is that of its
sorted manifest of ``<digest> <size> <path>`` lines; frames and arrays hash their values,
column names and types.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archivist.data.sources import DatasetSource, resolve_source
from archivist.entities import Dataset as DatasetEntity
from archivist.errors import InvalidArgument

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = ["Dataset", "FileDataset", "NumpyDataset", "PandasDataset", "manifest_digest"]

_TABULAR = {".csv": ",", ".tsv": "\t", ".parquet": None}
_TABULAR_MAX_BYTES = 256 << 20  # read at most this much to infer a schema and count rows


def _blake3(*parts: bytes) -> str:
    from archivist.stores.blobs.hashing import new_hasher

    h = new_hasher("blake3")
    for p in parts:
        h.update(len(p).to_bytes(8, "little"))
        h.update(p)
    return f"blake3:{h.hexdigest()}"


class Dataset:
    """A dataset to log with :func:`archivist.log_input`.

    Attributes:
        name: its name (default ``"dataset"``, as in MLflow).
        digest: ``blake3:<hex>`` of the content.
        source: a :class:`DatasetSource`.
        schema: a JSON-able dict describing columns/tensors, or None.
        profile: ``{"num_rows", "num_columns", "num_elements", "size_bytes", ...}``.
        derived_from: URIs this dataset was made from (recorded as lineage when logged).
    """

    def __init__(
        self,
        *,
        name: str | None,
        digest: str,
        source: DatasetSource,
        schema: dict[str, Any] | None,
        profile: dict[str, Any],
        derived_from: list[str] | None = None,
    ) -> None:
        self.name = name or "dataset"
        self.digest = digest
        self.source = source
        self.schema = schema
        self.profile = profile
        self.derived_from = list(derived_from or [])

    @property
    def source_type(self) -> str:
        return self.source.source_type

    def to_entity(self) -> DatasetEntity:
        """The stored form (what ``Run.inputs.dataset_inputs`` returns)."""
        return DatasetEntity(
            name=self.name,
            digest=self.digest,
            source_type=self.source.source_type,
            source=self.source.to_json(),
            schema=None if self.schema is None else json.dumps(self.schema, sort_keys=True),
            profile=json.dumps(self.profile, sort_keys=True),
        )

    _to_mlflow_entity = to_entity  # MLflow's name

    def to_dict(self) -> dict[str, str]:
        e = self.to_entity()
        return {
            "name": e.name, "digest": e.digest, "source": e.source,
            "source_type": e.source_type, "schema": e.schema or "", "profile": e.profile or "",
        }

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r} digest={self.digest[:19]!r}>"


def _frame_digest(df: pd.DataFrame) -> str:
    import pandas as pd

    try:
        values = pd.util.hash_pandas_object(df, index=True).to_numpy().tobytes()
    except TypeError:  # unhashable cells (lists, dicts): hash their JSON
        values = df.to_json(orient="split", date_format="iso", default_handler=str).encode()
    columns = json.dumps([str(c) for c in df.columns]).encode()
    dtypes = json.dumps([str(t) for t in df.dtypes]).encode()
    return _blake3(b"pandas", columns, dtypes, values)


def _array_digest(a: np.ndarray[Any, Any]) -> bytes:
    import numpy as np

    if a.dtype == object:
        import pandas as pd

        body = pd.util.hash_array(a.ravel()).tobytes()
    else:
        body = np.ascontiguousarray(a).tobytes()
    return json.dumps([str(a.dtype), list(a.shape)]).encode() + body


def _tensor_schema(a: Any) -> str:
    from archivist.models.signature import infer_schema

    return infer_schema(a).to_json()


class PandasDataset(Dataset):
    """A dataset over a pandas DataFrame (``df``), with optional target/prediction columns."""

    def __init__(
        self,
        df: pd.DataFrame,
        *,
        source: DatasetSource,
        name: str | None = None,
        targets: str | None = None,
        predictions: str | None = None,
        digest: str | None = None,
        derived_from: list[str] | None = None,
    ) -> None:
        for what, col in (("targets", targets), ("predictions", predictions)):
            if col is not None and col not in df.columns:
                raise InvalidArgument(
                    f"{what} column {col!r} is not in the DataFrame; its columns are "
                    f"{[str(c) for c in df.columns][:20]}"
                )
        from archivist.models.signature import infer_schema

        schema = None
        if df.shape[1]:
            schema = {"mlflow_colspec": infer_schema(df).to_dict()}
        profile = {
            "num_rows": int(df.shape[0]),
            "num_columns": int(df.shape[1]),
            "num_elements": int(df.size),
            "size_bytes": int(df.memory_usage(index=True, deep=True).sum()),
        }
        super().__init__(
            name=name, digest=digest or _frame_digest(df), source=source, schema=schema,
            profile=profile, derived_from=derived_from,
        )
        self.df = df
        self.targets = targets
        self.predictions = predictions

    @property
    def features(self) -> pd.DataFrame:
        drop = [c for c in (self.targets, self.predictions) if c is not None]
        return self.df.drop(columns=drop)


class NumpyDataset(Dataset):
    """A dataset over numpy features (an array or a dict of arrays) and optional targets."""

    def __init__(
        self,
        features: Any,
        *,
        source: DatasetSource,
        targets: Any = None,
        name: str | None = None,
        digest: str | None = None,
        derived_from: list[str] | None = None,
    ) -> None:
        import numpy as np

        def arrays(value: Any, what: str) -> dict[str, np.ndarray[Any, Any]]:
            if isinstance(value, dict):
                return {str(k): np.asarray(v) for k, v in value.items()}
            if isinstance(value, np.ndarray | list | tuple):
                return {"": np.asarray(value)}
            raise InvalidArgument(
                f"from_numpy {what} must be a numpy array or a dict of arrays, got "
                f"{type(value).__name__}"
            )

        feats = arrays(features, "features")
        targs = arrays(targets, "targets") if targets is not None else {}
        parts = [b"numpy"]
        for group in (feats, targs):
            for key in sorted(group):
                parts += [key.encode(), _array_digest(group[key])]
            parts.append(b"|")
        first = next(iter(feats.values()))
        schema: dict[str, Any] = {"mlflow_tensorspec": {
            "features": _tensor_schema(features if isinstance(features, dict) else first),
            "targets": None if targets is None else _tensor_schema(
                targets if isinstance(targets, dict) else next(iter(targs.values()))
            ),
        }}
        profile = {
            "num_rows": int(first.shape[0]) if first.ndim else 1,
            "num_columns": int(np.prod(first.shape[1:])) if first.ndim > 1 else 1,
            "num_elements": int(sum(a.size for a in feats.values())),
            "size_bytes": int(sum(a.nbytes for a in (*feats.values(), *targs.values()))),
            "features_shape": {k: list(a.shape) for k, a in feats.items()},
        }
        super().__init__(
            name=name, digest=digest or _blake3(*parts), source=source, schema=schema,
            profile=profile, derived_from=derived_from,
        )
        self.features = features
        self.targets = targets


def manifest_digest(root: str | os.PathLike[str]) -> tuple[str, int, int]:
    """(digest, file count, total bytes) of a directory, each file hashed as the blob store does."""
    from archivist.stores.artifacts.store import _walk_files
    from archivist.stores.blobs.hashing import hash_bytes, hash_file

    lines = []
    total = 0
    files = _walk_files(Path(root))
    for local, rel in files:
        digest, size = hash_file(local)
        total += size
        lines.append(f"{digest} {size} {rel}\n")
    return hash_bytes("".join(lines).encode()), len(files), total


class FileDataset(Dataset):
    """A dataset made from a file or a directory; tabular files also get schema and rows."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        source: DatasetSource | None = None,
        name: str | None = None,
        targets: str | None = None,
        derived_from: list[str] | None = None,
    ) -> None:
        from archivist.stores.blobs.hashing import hash_file

        local = Path(os.fspath(path)).expanduser()
        if not local.exists():
            raise InvalidArgument(
                f"dataset path {os.fspath(path)!r} does not exist; give a file or directory "
                f"(relative paths are taken from {os.getcwd()!r})"
            )
        schema: dict[str, Any] | None = None
        if local.is_dir():
            digest, n_files, size = manifest_digest(local)
            profile: dict[str, Any] = {"num_files": n_files, "size_bytes": size}
        else:
            digest, size = hash_file(local)
            profile = {"num_files": 1, "size_bytes": size}
            table = _read_table(local, size)
            if table is not None:
                from archivist.models.signature import infer_schema

                if table.shape[1]:
                    schema = {"mlflow_colspec": infer_schema(table).to_dict()}
                profile.update(num_rows=int(table.shape[0]), num_columns=int(table.shape[1]),
                               num_elements=int(table.size))
        super().__init__(
            name=name or local.absolute().name, digest=digest,
            source=source or resolve_source(local), schema=schema, profile=profile,
            derived_from=derived_from,
        )
        self.path = str(local.absolute())
        self.targets = targets


def _read_table(path: Path, size: int) -> Any:
    """The file as a DataFrame when it is a small enough CSV/TSV/Parquet and pandas is here."""
    suffix = path.suffix.lower()
    if suffix not in _TABULAR or size > _TABULAR_MAX_BYTES:
        return None
    try:
        import pandas as pd
    except ImportError:
        return None
    try:
        if suffix == ".parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path, sep=_TABULAR[suffix])
    except Exception:  # not actually tabular: the dataset is still its bytes
        return None
