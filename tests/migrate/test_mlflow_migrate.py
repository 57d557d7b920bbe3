"""Import stores written by the real mlflow 3.17.2 and export back: compared fact by fact.

The mlflow side (tests/migrate/mlflow_side.py) runs in its own virtualenv: it writes a
file store and a SQLite store, and dumps any store it can read as JSON. Our side dumps the
imported store in the same shape; the two must be equal, and so must the dump mlflow makes
of what ``archivist export mlflow`` wrote.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import archivist
from archivist.cli import archivist as cli
from archivist.entities import ViewType
from archivist.migrate import export_mlflow, import_mlflow

SIDE = Path(__file__).with_name("mlflow_side.py")


def _mlflow(python: str, *args: str, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "ARCHIVIST_", "PYTHONPATH"))}
    env.update(MLFLOW_ALLOW_FILE_STORE="true", MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true")
    res = subprocess.run([python, str(SIDE), *args], capture_output=True, text=True, cwd=cwd,
                         env=env, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    return res.stdout


@pytest.fixture(scope="session", params=["file", "sqlite"])
def mlflow_store(request: pytest.FixtureRequest, mlflow_python: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any]]:
    """(source to import, mlflow's own dump of it)."""
    d = tmp_path_factory.mktemp(f"mlflow-{request.param}")
    uri = (d / "mlruns").as_uri() if request.param == "file" else f"sqlite:///{d / 'mlflow.db'}"
    _mlflow(mlflow_python, "generate", uri, cwd=d)
    source = str(d / "mlruns") if request.param == "file" else uri
    return source, json.loads(_mlflow(mlflow_python, "dump", uri, cwd=d))


def _num(v: float) -> Any:
    return "NaN" if math.isnan(v) else v


def _ours(client: archivist.ArchivistClient) -> dict[str, Any]:
    runs: dict[str, Any] = {}
    models: dict[str, Any] = {}
    for e in client.search_experiments(ViewType.ALL, 1000):
        for r in client.search_runs([e.experiment_id], "", ViewType.ALL, 1000):
            i = r.info
            files = {}
            if i.lifecycle_stage == "active":
                for entry in client.tracking_store.list_tree_entries(i.run_id):
                    files[entry.path] = hashlib.sha256(client.read_artifact(i.run_id, entry.path)).hexdigest()
            runs[i.run_id] = {
                "experiment": e.name, "name": i.run_name, "status": i.status, "start_time": i.start_time,
                "end_time": i.end_time, "lifecycle_stage": i.lifecycle_stage, "user": i.user_id,
                "params": r.data.params, "tags": r.data.tags,
                "metrics": {k: sorted([m.step, m.timestamp, _num(m.value)] for m in client.get_metric_history(i.run_id, k))
                            for k in r.data.metrics},
                "inputs": sorted([d.dataset.name, d.dataset.digest, d.dataset.source, d.dataset.schema,
                                  d.dataset.profile, sorted([t.key, t.value] for t in d.tags)]
                                 for d in r.inputs.dataset_inputs),
                "artifacts": files,
            }
        for m in client.search_logged_models([e.experiment_id]):
            files = {entry.path: hashlib.sha256(client.artifact_store.read_bytes(m.model_id, entry.path)).hexdigest()
                     for entry in client.tracking_store.list_tree_entries(m.model_id)}
            models[m.model_id] = {"name": m.name, "source_run_id": m.source_run_id,
                                  "status": m.status, "params": m.params, "files": files}
    registry = {}
    for rm in client.search_registered_models():
        full = client.get_registered_model(rm.name)
        registry[rm.name] = {
            "description": full.description, "aliases": full.aliases, "tags": full.tags,
            "versions": sorted([int(v.version), v.source, v.run_id, v.description, v.tags]
                               for v in client.search_model_versions(f"name = '{rm.name}'")),
        }
    return json.loads(json.dumps({"runs": runs, "registry": registry, "models": models}, sort_keys=True))


def _compare(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    assert set(ours["runs"]) == set(theirs["runs"])
    for run_id, want in theirs["runs"].items():
        got = ours["runs"][run_id]
        for key in want:
            assert got[key] == want[key], f"run {run_id} {key}: {got[key]!r} != {want[key]!r}"
    assert ours["registry"] == theirs["registry"]
    for mid, want in theirs["models"].items():
        for key in want:
            assert ours["models"][mid][key] == want[key], f"model {mid} {key}: {ours['models'][mid][key]!r} != {want[key]!r}"
    assert set(ours["models"]) == set(theirs["models"])


def test_import_then_export_round_trip(
    mlflow_store: tuple[str, dict[str, Any]], tracking_uri: str, tmp_path: Path, mlflow_python: str,
) -> None:
    source, theirs = mlflow_store
    assert len(theirs["runs"]) == 4 and any(r["lifecycle_stage"] == "deleted" for r in theirs["runs"].values())
    assert sum(len(p) for r in theirs["runs"].values() for p in r["metrics"].values()) > 150
    client = archivist.ArchivistClient(tracking_uri)
    report = import_mlflow(source, client)
    _compare(_ours(client), theirs)
    assert report.found["runs"] == 4 and report.found["model_versions"] == 1
    assert report.found["metric_points"] == sum(
        len(p) for r in theirs["runs"].values() for p in r["metrics"].values())
    # the 50 kB file logged by three runs is stored once
    assert report.written["blobs_sent"] < report.written["entries_sent"]
    exp_a = client.get_experiment_by_name("exp-a")
    assert exp_a is not None
    if tracking_uri.startswith("sqlite"):  # ids kept where free (PostgreSQL: int4 ids only)
        assert report.experiment_ids[exp_a.experiment_id] == exp_a.experiment_id
    # twice: nothing new
    again = import_mlflow(source, client)
    assert not any(v for k, v in again.written.items() if k != "runs_seen"), again.written
    _compare(_ours(client), theirs)
    # out again, and mlflow reads it all
    out = tmp_path / "exported"
    export_mlflow(client, out)
    _compare(json.loads(json.dumps(theirs)), json.loads(_mlflow(mlflow_python, "dump", out.as_uri(), cwd=tmp_path)))


def test_cli_import_resumes_after_interruption(
    mlflow_store: tuple[str, dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, theirs = mlflow_store
    store = str(tmp_path / "store")
    import archivist.sync as sync

    real = sync._Transfer.run
    calls = {"n": 0}

    def flaky(self: Any, run_id: str) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("killed")  # the process dies in the middle of the import
        real(self, run_id)

    monkeypatch.setattr(sync._Transfer, "run", flaky)
    with pytest.raises(RuntimeError, match="killed"):
        CliRunner().invoke(cli, ["import", "mlflow", source, "--tracking-uri", store], catch_exceptions=False)
    monkeypatch.setattr(sync._Transfer, "run", real)
    res = CliRunner().invoke(cli, ["import", "mlflow", source, "--tracking-uri", store, "--json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert 0 < report["written"]["runs_created"] < 4  # only what the first attempt had not done
    _compare(_ours(archivist.ArchivistClient(store)), theirs)
    res = CliRunner().invoke(cli, ["import", "mlflow", source, "--tracking-uri", store])
    assert "written this time: runs_seen=4" in res.stdout or "nothing" in res.stdout
    res = CliRunner().invoke(cli, ["import", "mlflow", str(tmp_path / "nothing-here"), "--tracking-uri", store])
    assert res.exit_code == 1 and "is not an MLflow file store" in res.stderr
