"""``archivist models diff`` and ``archivist.diff_models``: what changed between two versions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from click.testing import CliRunner
from sklearn.linear_model import LogisticRegression

import archivist
from archivist.cli import archivist as cli


def _fit(c: float, cols: list[str]) -> tuple[LogisticRegression, pd.DataFrame]:
    X = pd.DataFrame({k: np.arange(20.0) * (i + 1) for i, k in enumerate(cols)})
    return LogisticRegression(C=c).fit(X, np.arange(20) % 2), X


def test_diff_two_versions(tmp_path: Path) -> None:
    with archivist.start_run():
        archivist.log_params({"C": 1.0, "data": "v1"})
        archivist.log_metric("acc", 0.8)
        m, X = _fit(1.0, ["a", "b"])
        archivist.sklearn.log_model(m, name="clf", registered_model_name="clf", input_example=X.head(2),
                                    pip_requirements=["scikit-learn", "numpy==1.0"])
    with archivist.start_run():
        archivist.log_params({"C": 0.5, "data": "v1"})
        archivist.log_metric("acc", 0.9)
        m, X = _fit(0.5, ["a", "b", "c"])
        archivist.sklearn.log_model(m, name="clf", registered_model_name="clf", input_example=X.head(2),
                                    pip_requirements=["scikit-learn", "numpy==2.0", "pandas"])
    d = archivist.diff_models("models:/clf/1", "models:/clf/2")
    assert not d.identical
    changed = {f["path"] for f in d.files_changed}
    assert {"model.pkl", "MLmodel", "requirements.txt"} <= changed
    assert d.files_added == [] and d.files_removed == [] and d.files_unchanged >= 1
    assert d.params == {"C": ["1.0", "0.5"]}  # 'data' is the same
    assert d.metrics == {"acc": [0.8, 0.9]}
    assert d.signature["inputs.c"] == [None, "double"]
    assert d.requirements["numpy"] == ["==1.0", "==2.0"] and d.requirements["pandas"] == [None, "(any)"]
    assert d.bytes_different == sum(f["size_b"] for f in d.files_changed)
    assert archivist.diff_models("models:/clf/1", "models:/clf/1").identical
    res = CliRunner().invoke(cli, ["models", "diff", "models:/clf/1", "models:/clf/2", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["params"] == {"C": ["1.0", "0.5"]} and data["identical"] is False
    text = CliRunner().invoke(cli, ["models", "diff", "models:/clf/1", "models:/clf/2"]).stdout
    assert "~ model.pkl" in text and "numpy: ==1.0 -> ==2.0" in text and "inputs.c: None -> double" in text
