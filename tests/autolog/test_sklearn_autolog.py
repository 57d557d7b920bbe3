"""archivist.sklearn.autolog() gives the run contents mlflow.sklearn.autolog() gives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression

import archivist
from archivist.autolog import sklearn as al

SCRIPT = Path(__file__).with_name("autolog_script.py")
ROOT = Path(__file__).resolve().parents[2]
PLOTS = {"training_confusion_matrix.png", "training_precision_recall_curve.png", "training_roc_curve.png"}


@pytest.fixture(autouse=True)
def _off_afterwards() -> Iterator[None]:
    yield
    al.autolog(disable=True)
    al._METRIC_INFO.clear()


def _run(python: str, lib: str, uri: str, cwd: Path, extra_env: dict[str, str]) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "ARCHIVIST_", "PYTHONPATH"))}
    env.update(extra_env, MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true")
    res = subprocess.run([python, str(SCRIPT), lib, uri], cwd=cwd, env=env, capture_output=True,
                         text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    return json.loads(res.stdout)


def test_same_run_contents_as_mlflow(mlflow_python: str, tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "a").mkdir()
    theirs = _run(mlflow_python, "mlflow", f"sqlite:///{tmp_path / 'm' / 'mlflow.db'}", tmp_path / "m", {})
    ours = _run(sys.executable, "archivist", str(tmp_path / "a" / "store"), tmp_path / "a",
                {"PYTHONPATH": str(ROOT / "src"), "ARCHIVIST_CAPTURE_ENVIRONMENT": "0"})
    for kind in ("plain", "pipe", "grid"):
        want = dict(theirs[kind])
        # matplotlib plots of the training data are the one thing we do not draw
        want["artifacts"] = [a for a in want["artifacts"] if a not in PLOTS]
        assert ours[kind] == want, kind
    assert "LogisticRegression_score_X_test" in ours["plain"]["metrics"]
    assert ours["grid"]["children"] == 3 and "best_C" in ours["grid"]["params"]


def _data() -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"a": rng.normal(size=40), "b": rng.normal(size=40)})
    return X, (X["a"] > 0).astype(int)


def test_model_signature_dataset_and_regressor_metrics() -> None:
    archivist.sklearn.autolog(log_input_examples=True)
    X, _ = _data()
    LinearRegression().fit(X, X["a"] * 2)
    run = archivist.last_active_run()
    assert run is not None and run.info.status == "FINISHED"
    assert {"training_mean_squared_error", "training_r2_score", "training_root_mean_squared_error",
            "training_mean_absolute_error", "training_score"} <= set(run.data.metrics)
    assert run.data.metrics["training_r2_score"] == pytest.approx(1.0)
    [di] = run.inputs.dataset_inputs
    assert di.context == "train" and json.loads(di.dataset.profile)["num_rows"] == 40
    model = archivist.last_logged_model()
    assert model is not None and model.source_run_id == run.info.run_id
    loaded = archivist.pyfunc.load_model(model.model_uri)
    assert loaded.metadata.signature.inputs.input_names() == ["a", "b"]
    np.testing.assert_allclose(loaded.predict(X.head(3)), X["a"].head(3) * 2)


def test_options_disable_log_models_exclusive() -> None:
    X, y = _data()
    archivist.sklearn.autolog(log_models=False)
    LogisticRegression().fit(X, y)
    assert archivist.last_logged_model() is None
    assert "training_accuracy_score" in archivist.last_active_run().data.metrics
    # exclusive: a run the user started gets nothing from autolog
    archivist.sklearn.autolog(exclusive=True)
    with archivist.start_run() as user_run:
        LogisticRegression().fit(X, y)
    assert archivist.get_run(user_run.info.run_id).data.params == {}
    # not exclusive: it logs into the user's run and leaves it open
    archivist.sklearn.autolog(log_models=False)
    with archivist.start_run() as user_run:
        LogisticRegression(C=2.0).fit(X, y)
        assert archivist.active_run().info.run_id == user_run.info.run_id
    assert archivist.get_run(user_run.info.run_id).data.params["C"] == "2.0"
    # disable: nothing at all
    archivist.sklearn.autolog(disable=True)
    before = len(archivist.search_runs(output_format="list"))
    LogisticRegression().fit(X, y)
    assert len(archivist.search_runs(output_format="list")) == before


def test_silent_and_archivist_autolog(recwarn: pytest.WarningsRecorder) -> None:
    X, y = _data()
    archivist.autolog(silent=True, log_models=False)
    LogisticRegression(max_iter=1).fit(X, y)  # would warn ConvergenceWarning
    assert not [w for w in recwarn if "converge" in str(w.message).lower()]
    assert "max_iter" in archivist.last_active_run().data.params
