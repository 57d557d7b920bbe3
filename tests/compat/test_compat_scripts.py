"""Our MLflow-style scripts (tests/compat/scripts) run unchanged with ``mlflow`` -> ``archivist``.

Each script is written as an MLflow user writes one (``import mlflow``,
``from mlflow.tracking import MlflowClient``, ...) and asserts what MLflow would give. It
runs in a fresh interpreter, in an empty working directory (so the default store
``./archivist`` is its own), through :mod:`tests.compat.run_script`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
SCRIPTS = sorted((HERE / "scripts").glob("*.py"))


def test_there_are_at_least_forty_scripts() -> None:
    assert len(SCRIPTS) >= 40, [s.name for s in SCRIPTS]


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_script_runs_unchanged(script: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "ARCHIVIST_"))}
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(Path(__file__).parents[2] / "src"), os.environ.get("PYTHONPATH")) if p
    )
    proc = subprocess.run(
        [sys.executable, str(HERE / "run_script.py"), str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, f"{script.name} failed:\n{proc.stdout}\n{proc.stderr}"


def test_alias_gives_archivist_modules(tmp_path: Path) -> None:
    code = (
        f"import sys; sys.path.insert(0, {str(HERE)!r}); import alias; alias.install()\n"
        "import mlflow, mlflow.pyfunc, archivist, archivist.pyfunc\n"
        "from mlflow.tracking import MlflowClient\n"
        "assert mlflow is archivist and mlflow.pyfunc is archivist.pyfunc\n"
        "assert MlflowClient is archivist.ArchivistClient\n"
        "try:\n    import mlflow.no_such_module\nexcept ModuleNotFoundError:\n    pass\n"
        "else:\n    raise SystemExit('an unknown mlflow module imported')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
