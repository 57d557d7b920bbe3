"""Shared fixtures: isolated stores on SQLite and PostgreSQL, clean fluent state."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from s3_support import s3_env, s3_server, s3_uri  # noqa: F401 - shared S3 fixtures

PG_URI = os.environ.get(
    "ARCHIVIST_TEST_POSTGRES_URI", "postgresql://postgres@127.0.0.1:5432/test"
)
REQUIRE_PG = os.environ.get("ARCHIVIST_REQUIRE_POSTGRES") == "1"


def _pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_URI, connect_timeout=3):
            return True
    except Exception:
        return False


_PG_OK: bool | None = None


def pg_or_skip() -> None:
    global _PG_OK
    if _PG_OK is None:
        _PG_OK = _pg_available()
    if not _PG_OK:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL at {PG_URI} is required (ARCHIVIST_REQUIRE_POSTGRES=1) but unreachable")
        pytest.skip(f"PostgreSQL at {PG_URI} is unreachable")


@pytest.fixture
def pg_schema_uri() -> Iterator[str]:
    """A PostgreSQL URI whose search_path is a fresh schema, dropped afterwards."""
    pg_or_skip()
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URI, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in PG_URI else "?"
    try:
        yield f"{PG_URI}{sep}options=-csearch_path%3D{schema}"
    finally:
        from archivist.client import close_all_stores

        close_all_stores()
        with psycopg.connect(PG_URI, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(autouse=True)
def _isolate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test runs in its own working directory with no ARCHIVIST_* settings."""
    for name in list(os.environ):
        if name.startswith(("ARCHIVIST_", "MLFLOW_")) and name not in (
            "ARCHIVIST_TEST_POSTGRES_URI",
            "ARCHIVIST_REQUIRE_POSTGRES",
        ):
            monkeypatch.delenv(name)
    # Runs record their environment as an artifact by default; tests that count a run's
    # artifacts or blobs would all see it, so it is off here and on in tests/test_capture.py.
    monkeypatch.setenv("ARCHIVIST_CAPTURE_ENVIRONMENT", "0")
    monkeypatch.chdir(tmp_path)
    yield
    import archivist.fluent as fluent

    fluent._end_all_runs()
    from archivist import config

    config.set_tracking_uri(None)
    fluent._state.experiment_id = None
    fluent._state.last_run_id = None
    fluent._state.last_model_id = None
    fluent._state.clients.clear()
    from archivist.client import close_all_stores

    close_all_stores()


@pytest.fixture(params=["sqlite", "postgresql"])
def tracking_uri(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh store URI, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store' / 'archivist.db'}"
    uri: str = request.getfixturevalue("pg_schema_uri")
    request.getfixturevalue("monkeypatch").setenv("ARCHIVIST_ARTIFACT_ROOT", str(tmp_path / "pgblobs"))
    return uri


ROOT = Path(__file__).resolve().parents[1]
MLFLOW_VENV = ROOT / ".bench" / "mlflow-venv"
MLFLOW_VERSION = "3.17.2"


@pytest.fixture(scope="session")
def mlflow_python() -> str:
    """Python of a virtualenv holding the real mlflow 3.17.2, created on first use.

    MLflow never enters our own environment: compatibility tests run it in a subprocess.
    """
    import fcntl
    import subprocess
    import sys

    python = MLFLOW_VENV / "bin" / "python"
    MLFLOW_VENV.parent.mkdir(parents=True, exist_ok=True)
    with open(MLFLOW_VENV.parent / ".mlflow-venv.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        ok = python.exists() and subprocess.run(
            [str(python), "-c", f"import mlflow, sklearn; assert mlflow.__version__ == '{MLFLOW_VERSION}'"],
            capture_output=True,
        ).returncode == 0
        if not ok:
            import sklearn

            subprocess.run([sys.executable, "-m", "venv", str(MLFLOW_VENV)], check=True)
            subprocess.run(
                [str(python), "-m", "pip", "install", "-q", f"mlflow=={MLFLOW_VERSION}",
                 f"scikit-learn=={sklearn.__version__}"],
                check=True,
            )
    return str(python)
