"""Requirements from pickle streams, environment files, version checks."""

from __future__ import annotations

import collections
import datetime as dt
import importlib.metadata
import pickle
import platform
import sys
import uuid
import warnings
from pathlib import Path

import cloudpickle
import numpy as np
import pytest
import scipy.sparse
import yaml
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from archivist.errors import InvalidArgument
from archivist.models.environment import (
    check_versions,
    conda_yaml,
    environment_info,
    modules_in_pickle,
    process_requirements,
    python_env_yaml,
    refresh_distributions,
    requirements_for_modules,
    requirements_from_pickle,
    warn_mismatches,
    write_environment,
)

NUMPY = f"numpy=={importlib.metadata.version('numpy')}"
SKLEARN = f"scikit-learn=={importlib.metadata.version('scikit-learn')}"
SCIPY = f"scipy=={importlib.metadata.version('scipy')}"
CLOUDPICKLE = f"cloudpickle=={importlib.metadata.version('cloudpickle')}"


def _pipeline() -> object:
    x = np.random.default_rng(0).random((40, 3))
    return make_pipeline(StandardScaler(), LogisticRegression()).fit(x, x[:, 0] > 0.5)


# --------------------------------------------------------------------------- pickles


def test_sklearn_model_requirements_are_pinned_without_a_subprocess(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import subprocess

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"a subprocess was started: {args}")

    data = cloudpickle.dumps(_pipeline())
    refresh_distributions()  # a cold lookup
    monkeypatch.setattr(subprocess, "Popen", refuse)
    assert requirements_from_pickle(data) == [NUMPY, SKLEARN]


def test_every_protocol_gives_the_same_answer() -> None:
    model = _pipeline()
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        assert requirements_from_pickle(pickle.dumps(model, protocol=protocol)) == [NUMPY, SKLEARN]


def test_scipy_is_included_when_referenced() -> None:
    data = cloudpickle.dumps({"features": scipy.sparse.csr_matrix(np.eye(3))})
    assert requirements_from_pickle(data) == [NUMPY, SCIPY]


def test_cloudpickled_function_names_the_modules_it_uses() -> None:
    def predict(x: object) -> object:
        return np.sum(x)

    data = cloudpickle.dumps(predict)
    assert "numpy" in modules_in_pickle(data)  # cloudpickle's subimport('numpy')
    assert requirements_from_pickle(data) == [CLOUDPICKLE, NUMPY]


def test_stdlib_only_pickle_has_no_requirements() -> None:
    data = pickle.dumps([collections.OrderedDict(a=1), dt.datetime(2024, 1, 1), Path("x")])
    assert modules_in_pickle(data) >= {"collections", "datetime", "pathlib"}
    assert requirements_from_pickle(data) == []


def test_memoized_module_names_are_followed() -> None:
    # The second class's module name is fetched from the memo (BINGET), not pushed again.
    data = pickle.dumps([StandardScaler(), MinMaxScaler()], protocol=4)
    ops = [op.name for op, _, _ in __import__("pickletools").genops(data)]
    assert ops.count("STACK_GLOBAL") >= 2 and "BINGET" in ops
    modules = modules_in_pickle(data)
    assert "sklearn.preprocessing._data" in modules
    assert requirements_from_pickle(data) == [SKLEARN]  # unfitted: no arrays, no numpy


def test_hand_written_opcodes() -> None:
    # PROTO 4, SHORT_BINUNICODE 'numpy', MEMOIZE, SHORT_BINUNICODE 'ndarray', MEMOIZE,
    # STACK_GLOBAL, MEMOIZE, BINGET 0 ('numpy'), SHORT_BINUNICODE 'dtype', STACK_GLOBAL, TUPLE2, STOP
    data = b"\x80\x04\x8c\x05numpy\x94\x8c\x07ndarray\x94\x93\x94h\x00\x8c\x05dtype\x93\x86."
    assert modules_in_pickle(data) == {"numpy"}
    # 'scipy' is pushed as plain data, memoized and popped; only the memo (BINGET 0) makes
    # it the module of the STACK_GLOBAL.
    data = b"\x80\x04\x8c\x05scipy\x94" + b"0" + b"h\x00\x8c\x06sparse\x93."
    assert modules_in_pickle(data) == {"scipy"}
    # Protocol 0 GLOBAL opcodes, with a Python 2 module name.
    assert modules_in_pickle(b"c__builtin__\nset\np0\n.") == {"__builtin__"}
    assert requirements_from_pickle(b"c__builtin__\nset\np0\n.") == []


def test_extra_modules_and_unknown_modules() -> None:
    data = pickle.dumps(1)
    assert requirements_from_pickle(data, ["yaml", "os.path", "no_such_module_xyz"]) == [
        f"PyYAML=={importlib.metadata.version('PyYAML')}"
    ]
    assert requirements_for_modules(["sklearn.base", "numpy.linalg"]) == [NUMPY, SKLEARN]


def test_not_a_pickle() -> None:
    with pytest.raises(InvalidArgument, match="not a complete pickle stream"):
        requirements_from_pickle(b"\x80\x04\x8c\x05num")


def test_distribution_found_by_its_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A distribution whose name differs from its module, with a local version label.
    name = f"arch_fake_{uuid.uuid4().hex[:8]}"
    (tmp_path / name).mkdir()
    (tmp_path / name / "__init__.py").write_text("")
    meta = tmp_path / "fake_dist_pkg-1.2.3+local.dist-info"
    meta.mkdir()
    (meta / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: Fake-Dist-Pkg\nVersion: 1.2.3+local\n\nBody\n"
    )
    (meta / "RECORD").write_text(
        f"{name}/__init__.py,,\nfake_dist_pkg-1.2.3+local.dist-info/RECORD,,\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    refresh_distributions()
    try:
        assert requirements_for_modules([f"{name}.sub"]) == ["Fake-Dist-Pkg==1.2.3"]
    finally:
        monkeypatch.undo()
        refresh_distributions()
    assert requirements_for_modules([name]) == []


# --------------------------------------------------------------------------- files


def _pinned(name: str) -> str:
    try:
        return f"{name}=={importlib.metadata.version(name)}"
    except importlib.metadata.PackageNotFoundError:
        return name


def test_python_env_yaml_layout() -> None:
    build = "".join(f"- {_pinned(n)}\n" for n in ("pip", "setuptools", "wheel"))
    assert python_env_yaml() == (
        f"python: {platform.python_version()}\n"
        f"build_dependencies:\n{build}"
        "dependencies:\n- -r requirements.txt\n"
    )
    inline = yaml.safe_load(python_env_yaml([NUMPY]))
    assert inline["dependencies"] == [NUMPY]


def test_conda_yaml_layout() -> None:
    pip = importlib.metadata.version("pip")
    assert conda_yaml([NUMPY, SKLEARN]) == (
        "channels:\n- conda-forge\n"
        "dependencies:\n"
        f"- python={platform.python_version()}\n"
        f"- pip<={pip}\n"
        "- pip:\n"
        f"  - {NUMPY}\n"
        f"  - {SKLEARN}\n"
        "name: mlflow-env\n"
    )


def test_write_environment(tmp_path: Path) -> None:
    write_environment(tmp_path / "m", [NUMPY, SKLEARN])
    assert (tmp_path / "m" / "requirements.txt").read_text() == f"{NUMPY}\n{SKLEARN}\n"
    assert (tmp_path / "m" / "python_env.yaml").read_text() == python_env_yaml()
    assert (tmp_path / "m" / "conda.yaml").read_text() == conda_yaml([NUMPY, SKLEARN])


# --------------------------------------------------------------------------- user requirements


def test_process_requirements(tmp_path: Path) -> None:
    default = [NUMPY, SKLEARN]
    assert process_requirements(default) == default
    assert process_requirements(default, pip_requirements=["torch==2.0", "torch==2.0"]) == [
        "torch==2.0"
    ]
    assert process_requirements(default, extra_pip_requirements=["numpy<3", "rich  # pretty"]) == [
        SKLEARN,
        "numpy<3",
        "rich",
    ]
    req_file = tmp_path / "requirements.txt"
    req_file.write_text("# pinned\nnumpy==1.0\n\n-r other.txt\nscikit_learn>=1\n")
    assert process_requirements(default, pip_requirements=req_file) == [
        "numpy==1.0",
        "-r other.txt",
        "scikit_learn>=1",
    ]
    assert process_requirements(default, extra_pip_requirements=str(req_file)) == [
        "numpy==1.0",
        "-r other.txt",
        "scikit_learn>=1",
    ]
    conda = {"dependencies": ["python=3.11", {"pip": ["pandas==2.0"]}]}
    assert process_requirements(default, conda_env=conda) == ["pandas==2.0"]
    conda_file = tmp_path / "conda.yaml"
    conda_file.write_text(yaml.safe_dump(conda))
    assert process_requirements(default, conda_env=conda_file) == ["pandas==2.0"]
    assert process_requirements(default, conda_env={"dependencies": ["python=3.11"]}) == []


def test_process_requirements_errors(tmp_path: Path) -> None:
    with pytest.raises(
        InvalidArgument, match="pip_requirements and extra_pip_requirements were given together"
    ):
        process_requirements([], pip_requirements=["a"], extra_pip_requirements=["b"])
    with pytest.raises(InvalidArgument, match="is not a readable requirements file"):
        process_requirements([], pip_requirements=tmp_path / "missing.txt")
    with pytest.raises(InvalidArgument, match="holds non-strings"):
        process_requirements([], pip_requirements=["a", 3])  # type: ignore[list-item]
    with pytest.raises(InvalidArgument, match="is not a conda environment"):
        process_requirements([], conda_env={"dependencies": "pip"})


# --------------------------------------------------------------------------- version checks


def test_environment_info() -> None:
    info = environment_info()
    assert info["python_version"] == platform.python_version()
    assert info["python_implementation"] == platform.python_implementation()
    assert info["system"] == platform.system()
    assert set(info) == {"python_version", "python_implementation", "platform", "system", "machine"}


def test_check_versions() -> None:
    installed = importlib.metadata.version("numpy")
    assert check_versions([NUMPY, SKLEARN, "rich", "-r x.txt"]) == []
    assert check_versions(
        ["numpy==0.0.1", "no-such-dist-xyz==1.0", f"numpy[extra]=={installed}+cpu"]
    ) == [
        ("numpy", "0.0.1", installed),
        ("no-such-dist-xyz", "1.0", None),
    ]


def test_version_mismatch_warns_once() -> None:
    recorded = f"0.0.{uuid.uuid4().int % 10**9}"  # unique, so no earlier test warned about it
    installed = importlib.metadata.version("numpy")
    with pytest.warns(UserWarning) as caught:
        found = warn_mismatches([f"numpy=={recorded}", SKLEARN])
    assert found == [("numpy", recorded, installed)]
    assert [str(w.message) for w in caught] == [
        f"the model was saved with numpy=={recorded} but numpy=={installed} is installed; "
        f"predictions may differ or loading may fail; install numpy=={recorded} to match"
    ]
    assert caught[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert warn_mismatches([f"numpy=={recorded}"]) == [("numpy", recorded, installed)]


def test_missing_package_warning_names_it() -> None:
    name = f"absent-{uuid.uuid4().hex[:8]}"
    with pytest.warns(UserWarning, match=rf"saved with {name}==1\.0 but it is not installed"):
        warn_mismatches([f"{name}==1.0"])


def test_import_stays_light() -> None:
    import subprocess

    code = (
        "import sys, archivist.models.environment, archivist.models.model, "
        "archivist.models.signature, archivist.models\n"
        "heavy = [m for m in ('numpy', 'pandas', 'yaml', 'sklearn', 'scipy') if m in sys.modules]\n"
        "print(heavy)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_every_module_a_pickled_function_uses_is_found() -> None:
    """cloudpickle memoizes subimport: the second module used came back from the memo."""
    import colorsys
    import json as json_module

    def uses_two() -> object:
        return colorsys.rgb_to_hsv(0, 0, 0), json_module.dumps(1)

    assert {"colorsys", "json"} <= modules_in_pickle(cloudpickle.dumps(uses_two))
