"""Real iris models logged with archivist.sklearn.log_model, loaded as pyfunc models."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from serving_support import Logged, log_sklearn
from sklearn.datasets import load_iris
from sklearn.tree import DecisionTreeClassifier

from archivist.models import infer_signature


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def iris() -> tuple[pd.DataFrame, pd.Series]:
    X, y = load_iris(return_X_y=True, as_frame=True)
    return X, y


@pytest.fixture
def frame_model(iris: tuple[pd.DataFrame, pd.Series], tmp_path: Path) -> Logged:
    """Trained on a DataFrame: the signature has four named double columns."""
    X, y = iris
    tree = DecisionTreeClassifier(random_state=0).fit(X, y)
    return log_sklearn(tree, infer_signature(X, tree.predict(X)), tmp_path, "frame", X)


@pytest.fixture
def tensor_model(iris: tuple[pd.DataFrame, pd.Series], tmp_path: Path) -> Logged:
    """Trained on a numpy array: the signature is one float64 tensor of shape (-1, 4)."""
    X, y = iris
    tree = DecisionTreeClassifier(random_state=0).fit(X.to_numpy(), y.to_numpy())
    signature = infer_signature(X.to_numpy(), tree.predict(X.to_numpy()))
    return log_sklearn(tree, signature, tmp_path, "tensor", X)


@pytest.fixture
def params_model(iris: tuple[pd.DataFrame, pd.Series], tmp_path: Path) -> Logged:
    """The DataFrame model with a params schema (threshold: double = 0.5)."""
    X, y = iris
    tree = DecisionTreeClassifier(random_state=0).fit(X, y)
    signature = infer_signature(X, tree.predict(X), params={"threshold": 0.5})
    return log_sklearn(tree, signature, tmp_path, "params", X)
