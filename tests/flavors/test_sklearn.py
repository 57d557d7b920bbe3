"""The sklearn and pyfunc flavors: the seeds as written, URIs, formats, bad input."""

from __future__ import annotations

import json
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

import archivist
import archivist.pyfunc
import archivist.sklearn
from archivist.errors import (
    ArtifactCorrupted,
    InvalidArgument,
    PermissionDenied,
)
from archivist.models import infer_signature

SEED_1 = '''
import archivist
import archivist.sklearn
from archivist.models import infer_signature
from sklearn.datasets import load_iris
from sklearn.tree import DecisionTreeClassifier

with archivist.start_run():
    iris = load_iris()
    model = DecisionTreeClassifier()
    model.fit(iris.data, iris.target)
    signature = infer_signature(iris.data, model.predict(iris.data))
    model_info = archivist.sklearn.log_model(
        model,
        name="iris_classifier",
        signature=signature,
    )
    print(f"Model URI: {model_info.model_uri}")
'''

SEED_2 = '''
import archivist
import archivist.sklearn
from sklearn.ensemble import RandomForestClassifier
from sklearn.datasets import load_iris
X_train, y_train = load_iris(return_X_y=True)

with archivist.start_run():
    model = RandomForestClassifier(n_estimators=100)
    model.fit(X_train, y_train)
    archivist.sklearn.log_model(
        model,
        name="rf_model",
        registered_model_name="production-classifier",
    )
'''


def _run_script(tmp_path: Path, code: str) -> str:
    import sys

    script = tmp_path / "seed.py"
    script.write_text(code)
    out = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_seed_examples_run_as_written(tmp_path: Path) -> None:
    out = _run_script(tmp_path, SEED_1)
    uri = out.strip().removeprefix("Model URI: ")
    assert uri.startswith("models:/m-")
    _run_script(tmp_path, SEED_2)
    _run_script(tmp_path, SEED_2)
    client = archivist.ArchivistClient()
    versions = client.search_model_versions("name = 'production-classifier'")
    assert sorted(int(v.version) for v in versions) == [1, 2]
    iris = load_iris()
    model = archivist.sklearn.load_model("models:/production-classifier/2")
    assert isinstance(model, RandomForestClassifier)
    assert (model.predict(iris.data) == iris.target).mean() > 0.95
    tree = archivist.sklearn.load_model(uri)
    assert isinstance(tree, DecisionTreeClassifier)


def _fitted() -> tuple[DecisionTreeClassifier, np.ndarray, np.ndarray]:
    iris = load_iris()
    model = DecisionTreeClassifier(random_state=0).fit(iris.data, iris.target)
    return model, iris.data, iris.target


def test_model_info_and_every_uri_form() -> None:
    model, X, _ = _fitted()
    sig = infer_signature(X, model.predict(X))
    with archivist.start_run() as run:
        info = archivist.sklearn.log_model(
            model, name="clf", signature=sig, input_example=X[:3], registered_model_name="iris",
            metadata={"owner": "ml"}, params={"depth": 3}, tags={"k": "v"},
        )
    assert info.model_id.startswith("m-") and info.model_uri == f"models:/{info.model_id}"
    assert info.run_id == run.info.run_id and info.name == "clf" == info.artifact_path
    assert set(info.flavors) == {"python_function", "sklearn"}
    assert info.signature == sig and info.metadata == {"owner": "ml"}
    assert info.registered_model_version == 1
    assert info.utc_time_created and info.params == {"depth": "3"} and info.tags == {"k": "v"}
    client = archivist.ArchivistClient()
    client.set_registered_model_alias("iris", "champion", "1")
    expected = model.predict(X)
    for uri in (info.model_uri, f"runs:/{run.info.run_id}/clf", "models:/iris/1", "models:/iris@champion",
                "models:/iris/latest"):
        loaded = archivist.pyfunc.load_model(uri)
        assert (loaded.predict(X) == expected).all(), uri
        assert loaded.metadata.model_id == info.model_id
    tree = client.artifact_store.entries(info.model_id)
    names = {e.path for e in tree}
    assert {"MLmodel", "model.pkl", "requirements.txt", "python_env.yaml", "conda.yaml",
            "input_example.json", "serving_input_example.json"} <= names
    mlmodel = yaml.safe_load(client.artifact_store.read_bytes(info.model_id, "MLmodel"))
    assert mlmodel["model_id"] == info.model_id and mlmodel["run_id"] == run.info.run_id
    assert mlmodel["flavors"]["python_function"]["loader_module"] == "mlflow.sklearn"
    assert mlmodel["flavors"]["sklearn"]["serialization_format"] == "cloudpickle"
    import platform

    env = mlmodel["archivist_environment"]
    assert env["python_version"] == platform.python_version() and env["platform"] == platform.platform()
    reqs = client.artifact_store.read_bytes(info.model_id, "requirements.txt").decode()
    import sklearn

    assert f"scikit-learn=={sklearn.__version__}" in reqs
    serving = json.loads(client.artifact_store.read_bytes(info.model_id, "serving_input_example.json"))
    assert "inputs" in serving


def test_unknown_uri_names_it_and_the_forms(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match=r"s3://x.*accepted forms.*models:/<model_id>"):
        archivist.pyfunc.load_model("s3://x")
    with pytest.raises(InvalidArgument, match="not an existing directory"):
        archivist.pyfunc.load_model(str(tmp_path / "nope"))
    with pytest.raises(archivist.ResourceNotFound):
        archivist.pyfunc.load_model("models:/m-" + "0" * 32)
    with pytest.raises(archivist.ResourceNotFound):
        archivist.pyfunc.load_model("models:/no-such-model/1")


def test_same_model_twice_stored_once(tmp_path: Path) -> None:
    model, _, _ = _fitted()
    with archivist.start_run():
        a = archivist.sklearn.log_model(model, name="a")
        b = archivist.sklearn.log_model(model, name="b")
    client = archivist.ArchivistClient()
    da = {e.path: e.digest for e in client.artifact_store.entries(a.model_id)}
    db = {e.path: e.digest for e in client.artifact_store.entries(b.model_id)}
    assert da["model.pkl"] == db["model.pkl"]
    from archivist.stores.blobs.local import LocalBlobStore

    stored = set(LocalBlobStore(tmp_path / "archivist" / "blobs").iter_digests())
    assert stored == {*da.values(), *db.values()}


@pytest.mark.parametrize("fmt", ["cloudpickle", "pickle", "skops"])
def test_formats_roundtrip(fmt: str, tmp_path: Path) -> None:
    model, X, _ = _fitted()
    archivist.sklearn.save_model(model, tmp_path / "m", serialization_format=fmt)
    loaded = archivist.sklearn.load_model(str(tmp_path / "m"))
    assert (loaded.predict(X) == model.predict(X)).all()


def test_every_estimator_roundtrips_with_default_format(tmp_path: Path) -> None:
    from sklearn.utils import all_estimators

    count = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, cls in all_estimators():
            est = None
            for args in ((), (LogisticRegression(),), (LogisticRegression(), {"C": [1.0]})):
                try:
                    est = cls(*args)  # meta-estimators need an inner estimator
                    break
                except TypeError:
                    continue
            if est is None or (not hasattr(est, "predict") and not hasattr(est, "transform")):
                continue
            fn = "predict" if hasattr(est, "predict") else "transform"
            path = tmp_path / name
            archivist.sklearn.save_model(est, path, pyfunc_predict_fn=fn)
            back = archivist.sklearn.load_model(str(path))
            assert type(back) is cls
            assert back.get_params().keys() == est.get_params().keys()
            count += 1
    assert count > 100


def test_pipeline_and_forest_with_dataframe_signature() -> None:
    iris = load_iris(as_frame=True)
    X, y = iris.data, iris.target
    pipe = Pipeline([("scale", StandardScaler()), ("rf", RandomForestClassifier(n_estimators=10, random_state=0))])
    pipe.fit(X, y)
    with archivist.start_run():
        info = archivist.sklearn.log_model(pipe, name="pipe", signature=infer_signature(X, pipe.predict(X)),
                                           input_example=X.head(2))
    loaded = archivist.pyfunc.load_model(info.model_uri)
    assert (loaded.predict(X) == pipe.predict(X)).all()
    with pytest.raises(InvalidArgument, match="petal width"):
        loaded.predict(X.drop(columns=["petal width (cm)"]))
    ints = X.astype("int64")
    assert len(loaded.predict(ints)) == len(X)  # int -> double is a safe widening
    with pytest.raises(InvalidArgument, match="sepal length"):
        loaded.predict(X.assign(**{"sepal length (cm)": ["a"] * len(X)}))


def _logged_model_count() -> int:
    client = archivist.ArchivistClient()
    return len(client.tracking_store.search_logged_models(["0"]))


def test_bad_input_logs_nothing() -> None:
    model, X, _ = _fitted()
    with archivist.start_run():
        with pytest.raises(InvalidArgument, match="no fit"):
            archivist.sklearn.log_model(object(), name="x")
        with pytest.raises(InvalidArgument, match="'json'"):
            archivist.sklearn.log_model(model, name="x", serialization_format="json")
        bad_sig = infer_signature(pd.DataFrame({"a": [1.0]}), np.array([1]))
        with pytest.raises(InvalidArgument):
            archivist.sklearn.log_model(model, name="x", signature=bad_sig, input_example=X[:2])
        with pytest.raises(InvalidArgument, match="registered_model_name '' is invalid"):
            archivist.sklearn.log_model(model, name="x", registered_model_name="")
        with pytest.raises(InvalidArgument, match="is 300 characters long; the limit is 256"):
            archivist.sklearn.log_model(model, name="x", registered_model_name="n" * 300)
        with pytest.raises(InvalidArgument, match="cannot contain '/' or ':'"):
            archivist.sklearn.log_model(model, name="x", registered_model_name="team/iris")
        with pytest.raises(InvalidArgument, match=r"unexpected keyword argument\(s\) \['signatrue'\]"):
            archivist.sklearn.log_model(model, name="x", signatrue=None)
        with pytest.raises(InvalidArgument, match=r"pyfunc\.log_model got unexpected"):
            archivist.pyfunc.log_model(name="x", python_model=AddN(), artefacts={})
    assert _logged_model_count() == 0
    assert archivist.ArchivistClient().search_registered_models() == []


def test_corrupt_model_file_and_pickle_refusal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model, _, _ = _fitted()
    archivist.sklearn.save_model(model, tmp_path / "m")
    data = (tmp_path / "m" / "model.pkl").read_bytes()
    (tmp_path / "m" / "model.pkl").write_bytes(data[: len(data) // 2])
    with pytest.raises(ArtifactCorrupted, match="corrupt or truncated"):
        archivist.sklearn.load_model(str(tmp_path / "m"))
    archivist.sklearn.save_model(model, tmp_path / "ok")
    monkeypatch.setenv("ARCHIVIST_ALLOW_PICKLE", "0")
    with pytest.raises(PermissionDenied, match="ARCHIVIST_ALLOW_PICKLE"):
        archivist.sklearn.load_model(str(tmp_path / "ok"))


def test_pickle_warning_once(tmp_path: Path) -> None:
    import archivist.flavors._common as common

    model, _, _ = _fitted()
    archivist.sklearn.save_model(model, tmp_path / "m")
    common._warned_pickle = False
    with pytest.warns(UserWarning, match="pickle-based") as record:
        archivist.sklearn.load_model(str(tmp_path / "m"))
        archivist.sklearn.load_model(str(tmp_path / "m"))
    pickle_warnings = [w for w in record if "pickle-based" in str(w.message)]
    assert len(pickle_warnings) == 1
    assert pickle_warnings[0].filename == __file__  # the caller's line, not our internals


def test_pickle_warning_names_the_model_uri_not_a_temporary_path() -> None:
    import archivist.flavors._common as common

    model, _, _ = _fitted()
    with archivist.start_run():
        info = archivist.sklearn.log_model(model, name="clf")
    common._warned_pickle = False
    with pytest.warns(UserWarning, match="pickle-based") as record:
        archivist.sklearn.load_model(info.model_uri)
    (message,) = [str(w.message) for w in record if "pickle-based" in str(w.message)]
    assert f"'model.pkl of {info.model_uri}'" in message and "archivist-model-" not in message


class AddN(archivist.pyfunc.PythonModel):
    def load_context(self, context: archivist.pyfunc.PythonModelContext) -> None:
        self.n = int(Path(context.artifacts["n"]).read_text())

    def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]
        return [x + self.n for x in model_input["x"]]


def test_custom_pyfunc_with_artifacts(tmp_path: Path) -> None:
    n = tmp_path / "n.txt"
    n.write_text("5")
    with archivist.start_run():
        info = archivist.pyfunc.log_model(name="adder", python_model=AddN(), artifacts={"n": str(n)},
                                          registered_model_name="adder")
    loaded = archivist.pyfunc.load_model("models:/adder/1")
    assert loaded.predict(pd.DataFrame({"x": [1, 2]})) == [6, 7]
    assert info.registered_model_version == 1


def test_loading_from_the_store_leaves_no_temporary_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc
    import tempfile

    model, _, _ = _fitted()
    n = tmp_path / "n.txt"
    n.write_text("5")
    with archivist.start_run() as run:
        archivist.sklearn.log_model(model, name="clf")
        archivist.pyfunc.log_model(name="adder", python_model=AddN(), artifacts={"n": str(n)})
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    for _ in range(3):
        assert isinstance(archivist.sklearn.load_model(f"runs:/{run.info.run_id}/clf"),
                          DecisionTreeClassifier)
    assert list(scratch.iterdir()) == []
    loaded = archivist.pyfunc.load_model(f"runs:/{run.info.run_id}/adder")
    assert len(list(scratch.iterdir())) == 1  # a custom model's artifacts live as long as it
    assert loaded.predict(pd.DataFrame({"x": [1]})) == [6]
    del loaded
    gc.collect()
    assert list(scratch.iterdir()) == []
    with pytest.raises(InvalidArgument, match="no sklearn flavor"):
        archivist.sklearn.load_model(f"runs:/{run.info.run_id}/adder")
    assert list(scratch.iterdir()) == []


def test_mlflow_interop_both_ways(tmp_path: Path, mlflow_python: str) -> None:
    import scipy.sparse as sp

    model, X, _ = _fitted()
    formats = ("cloudpickle", "pickle", "skops")
    for fmt in formats:
        archivist.sklearn.save_model(model, tmp_path / f"ours-{fmt}", serialization_format=fmt,
                                     signature=infer_signature(X, model.predict(X)))
    Xs = sp.random(40, 6, density=0.4, format="csr", random_state=0)
    sparse_model = LogisticRegression().fit(Xs, np.arange(40) % 2)
    archivist.sklearn.save_model(sparse_model, tmp_path / "ours-sparse", input_example=Xs[:3])
    np.save(tmp_path / "X.npy", X)
    theirs = {fmt: tmp_path / f"theirs-{fmt}" for fmt in ("cloudpickle", "skops")}
    script = f'''
import json, numpy as np, mlflow, mlflow.pyfunc, mlflow.sklearn
from sklearn.datasets import load_iris
from sklearn.tree import DecisionTreeClassifier
X = np.load({str(tmp_path / "X.npy")!r})
ours = {{fmt: mlflow.pyfunc.load_model({str(tmp_path)!r} + "/ours-" + fmt).predict(X).tolist()
        for fmt in {formats!r}}}
sparse_dir = {str(tmp_path / "ours-sparse")!r}
example = mlflow.models.Model.load(sparse_dir).load_input_example(sparse_dir)
sparse = [type(example).__name__, mlflow.pyfunc.load_model(sparse_dir).predict(example).tolist()]
iris = load_iris()
mm = DecisionTreeClassifier(random_state=1, max_depth=2).fit(iris.data, iris.target)
mlflow.sklearn.save_model(mm, {str(theirs["cloudpickle"])!r}, serialization_format="cloudpickle")
mlflow.sklearn.save_model(mm, {str(theirs["skops"])!r}, input_example=X[:2],  # MLflow's default
                          skops_trusted_types=["sklearn.tree._tree.Tree"])
print(json.dumps({{"ours": ours, "sparse": sparse, "theirs": mm.predict(X).tolist()}}))
'''
    out = subprocess.run([mlflow_python, "-c", script], capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin",
                              "HOME": str(tmp_path)})
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["ours"] == {fmt: model.predict(X).tolist() for fmt in formats}
    assert result["sparse"] == ["csr_matrix", sparse_model.predict(Xs[:3]).tolist()]
    for path in theirs.values():
        loaded = archivist.pyfunc.load_model(str(path))
        assert loaded.predict(X).tolist() == result["theirs"]
    assert archivist.models.get_model_info(str(theirs["skops"])).signature.inputs.to_dict() == [  # type: ignore[union-attr]
        {"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 4]}}
    ]


def test_skops_refuses_types_not_trusted_at_save(tmp_path: Path) -> None:
    model, X, _ = _fitted()
    archivist.sklearn.save_model(model, tmp_path / "m", serialization_format="skops")
    mlmodel = yaml.safe_load((tmp_path / "m" / "MLmodel").read_text())
    assert "sklearn.tree._tree.Tree" in mlmodel["flavors"]["sklearn"]["skops_trusted_types"]
    assert (archivist.sklearn.load_model(str(tmp_path / "m")).predict(X) == model.predict(X)).all()
    mlmodel["flavors"]["sklearn"]["skops_trusted_types"] = []
    (tmp_path / "m" / "MLmodel").write_text(yaml.safe_dump(mlmodel))
    with pytest.raises(PermissionDenied, match=r"sklearn\.tree\._tree\.Tree"):
        archivist.sklearn.load_model(str(tmp_path / "m"))


def test_sparse_inputs_infer_log_and_predict_without_densifying(tmp_path: Path) -> None:
    import scipy.sparse as sp

    from archivist.models import Model, load_input_example

    X = sp.random(60, 8, density=0.3, format="csr", random_state=0)
    y = np.arange(60) % 2
    model = LogisticRegression().fit(X, y)
    sig = infer_signature(X, model.predict(X))
    assert sig.inputs.to_dict() == [{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 8]}}]
    with archivist.start_run():
        info = archivist.sklearn.log_model(model, name="sparse", input_example=X[:3])
    assert info.signature == sig
    assert info.saved_input_example_info == {"artifact_path": "input_example.json", "type": "sparse_matrix_csr"}
    stored = json.loads(archivist.ArchivistClient().artifact_store.read_bytes(info.model_id, "input_example.json"))
    assert set(stored) == {"data", "indices", "indptr", "shape"} and stored["shape"] == [3, 8]
    loaded = archivist.pyfunc.load_model(info.model_uri)
    expected = model.predict(X)
    assert (loaded.predict(X) == expected).all()
    assert (loaded.predict(X.astype(np.float32).tocsc()) == expected).all()  # safe widening
    assert (loaded.predict(X.toarray()) == expected).all()
    with pytest.raises(InvalidArgument, match=r"expects shape \(-1, 8\) .* got shape \(60, 5\)"):
        loaded.predict(X[:, :5])
    with pytest.raises(InvalidArgument, match="expects type 'float64' but got 'complex128'"):
        loaded.predict(X.astype(complex))
    archivist.sklearn.save_model(model, tmp_path / "csc", input_example=X[:2].tocsc())
    saved = Model.load(tmp_path / "csc")
    back = load_input_example(tmp_path / "csc", saved.saved_input_example_info,
                              schema=saved.signature.inputs)  # type: ignore[union-attr]
    assert sp.issparse(back) and back.format == "csc" and (back.toarray() == X[:2].toarray()).all()


class Scale(archivist.pyfunc.PythonModel):
    def load_context(self, context: archivist.pyfunc.PythonModelContext) -> None:
        self.base = float(Path(context.artifacts["base"]).read_text())

    def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]
        return model_input["x"] * self.base * (params or {}).get("k", 1)


class Broken(archivist.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]
        raise RuntimeError("not ready")


def test_pyfunc_signature_is_inferred_from_the_example(tmp_path: Path) -> None:
    base = tmp_path / "base.txt"
    base.write_text("10")
    model = Scale()
    example = (pd.DataFrame({"x": [1.0, 2.0]}), {"k": 2})
    with archivist.start_run():
        info = archivist.pyfunc.log_model(name="scale", python_model=model,
                                          artifacts={"base": str(base)}, input_example=example)
    assert not hasattr(model, "base")  # a fresh copy predicted; the caller's object is untouched
    sig = info.signature
    assert sig is not None and sig.inputs.input_names() == ["x"]
    assert sig.params is not None and [(p.name, p.default) for p in sig.params.params] == [("k", 2)]
    loaded = archivist.pyfunc.load_model(info.model_uri)
    assert loaded.predict(pd.DataFrame({"x": [3.0]}), params={"k": 3}).tolist() == [90.0]
    assert loaded.predict(pd.DataFrame({"x": [3.0]})).tolist() == [60.0]  # default k=2 applies
    with pytest.raises(InvalidArgument, match="kk"):
        loaded.predict(pd.DataFrame({"x": [3.0]}), params={"kk": 3})
    with pytest.raises(InvalidArgument, match="missing required column 'x'"):
        loaded.predict(pd.DataFrame({"y": [3.0]}))
    with archivist.start_run(), pytest.warns(UserWarning, match="RuntimeError: not ready"):
        broken = archivist.pyfunc.log_model(name="broken", python_model=Broken(),
                                            input_example=pd.DataFrame({"x": [1.0]}))
    assert broken.signature is None and broken.saved_input_example_info is not None
