"""``archivist.data``: datasets from DataFrames, arrays and files, for :func:`archivist.log_input`.

Example:
    >>> ds = archivist.data.from_pandas(df, source="data/train.csv", name="train", targets="y")
    >>> with archivist.start_run():
    ...     archivist.log_input(ds, context="training")
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from archivist.data.dataset import Dataset, FileDataset, NumpyDataset, PandasDataset
from archivist.data.sources import DatasetSource, resolve_source
from archivist.errors import InvalidArgument

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Dataset",
    "DatasetSource",
    "FileDataset",
    "NumpyDataset",
    "PandasDataset",
    "from_numpy",
    "from_pandas",
    "from_path",
]


def from_pandas(
    df: pd.DataFrame,
    source: str | os.PathLike[str] | DatasetSource | None = None,
    targets: str | None = None,
    name: str | None = None,
    digest: str | None = None,
    predictions: str | None = None,
    *,
    derived_from: list[str] | None = None,
) -> PandasDataset:
    """A dataset over ``df``; its digest is of the values, column names and types.

    Args:
        df: the DataFrame.
        source: where it came from (a path or URI); default: the running script.
        targets: the name of the label column, if any.
        name: a name (default ``"dataset"``).
        digest: override the computed digest.
        predictions: the name of a predictions column, if any.
        derived_from: URIs of what it was made from (datasets:/, runs:/, models:/).
    """
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise InvalidArgument(f"from_pandas expects a pandas DataFrame, got {type(df).__name__}")
    return PandasDataset(
        df, source=resolve_source(source), name=name, targets=targets, predictions=predictions,
        digest=digest, derived_from=derived_from,
    )


def from_numpy(
    features: Any,
    source: str | os.PathLike[str] | DatasetSource | None = None,
    targets: Any = None,
    name: str | None = None,
    digest: str | None = None,
    *,
    derived_from: list[str] | None = None,
) -> NumpyDataset:
    """A dataset over numpy ``features`` (array or dict of arrays) and optional ``targets``."""
    return NumpyDataset(
        features, source=resolve_source(source), targets=targets, name=name, digest=digest,
        derived_from=derived_from,
    )


def from_path(
    path: str | os.PathLike[str],
    name: str | None = None,
    targets: str | None = None,
    source: str | DatasetSource | None = None,
    *,
    derived_from: list[str] | None = None,
) -> FileDataset:
    """A dataset made from a file or directory, its digest computed as the blob store's.

    CSV, TSV and Parquet files up to 256 MiB also get a schema and row/column counts.
    """
    return FileDataset(
        path, name=name, targets=targets,
        source=None if source is None else resolve_source(source), derived_from=derived_from,
    )
