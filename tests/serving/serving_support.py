"""Helpers for the serving tests (imported by name: tests have no packages)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

import archivist
import archivist.pyfunc
import archivist.sklearn
from archivist.flavors.pyfunc import PyFuncModel


@dataclass(frozen=True)
class Logged:
    model: PyFuncModel  # loaded back through pyfunc.load_model(model_uri)
    estimator: Any  # the fitted sklearn estimator, for the expected predictions
    model_uri: str
    frame: pd.DataFrame  # the iris features, with their column names


def log_sklearn(estimator: Any, signature: Any, tmp_path: Path, name: str, frame: pd.DataFrame) -> Logged:
    """Log ``estimator`` with archivist.sklearn.log_model in a run and load it as pyfunc."""
    with archivist.start_run():
        info = archivist.sklearn.log_model(estimator, name=name, signature=signature)
    model = archivist.pyfunc.load_model(info.model_uri, dst_path=str(tmp_path / f"loaded-{name}"))
    return Logged(model, estimator, info.model_uri, frame)
