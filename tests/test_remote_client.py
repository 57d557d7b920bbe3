"""Archivist's own client against a real server: fluent API, models, registry, dedup, push."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import archivist
import archivist.artifacts
import archivist.sklearn
from archivist.client import ArchivistClient
from archivist.errors import ArtifactCorrupted, InvalidState, ResourceNotFound
from archivist.sync import Selection, transfer

sys.path.insert(0, str(Path(__file__).resolve().parent / "server"))
from server_support import Server, running_server, server_env


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with running_server(tmp_path / "server", str(tmp_path / "server-store")) as s:
        yield s


def test_fluent_api_models_and_registry_over_http(server: Server, tmp_path: Path) -> None:
    archivist.set_tracking_uri(server.url)
    archivist.set_experiment("remote")
    data = tmp_path / "data.csv"
    data.write_text("a,b\n1,2\n")
    with archivist.start_run(run_name="r1") as run:
        archivist.log_param("lr", 0.1)
        for step in range(50):
            archivist.log_metric("loss", 1 / (step + 1), step=step)  # queued
        archivist.set_tag("team", "vision")
        archivist.log_artifact(str(data), artifact_path="inputs")
        model = LogisticRegression().fit(np.array([[0.0], [1.0], [2.0], [3.0]]), [0, 0, 1, 1])
        info = archivist.sklearn.log_model(model, name="clf", registered_model_name="churn")
    # end_run flushed the queue: the server has every point, in order
    local_view = ArchivistClient(server.store)
    got = local_view.get_run(run.info.run_id)
    assert got.info.status == "FINISHED" and got.data.params == {"lr": "0.1"}
    assert got.data.tags["team"] == "vision"
    assert [m.step for m in local_view.get_metric_history(run.info.run_id, "loss")] == list(range(50))
    assert local_view.read_artifact(run.info.run_id, "inputs/data.csv") == b"a,b\n1,2\n"
    # load back over HTTP: by model id, by registered version, by runs:/ URI
    for uri in (info.model_uri, "models:/churn/1", f"runs:/{run.info.run_id}/clf"):
        loaded = archivist.sklearn.load_model(uri)
        assert list(loaded.predict(np.array([[0.0], [3.0]]))) == [0, 1]
    client = ArchivistClient()
    client.set_registered_model_alias("churn", "champion", 1)
    assert client.get_model_version_by_alias("churn", "champion").model_id == info.model_id
    assert [a.path for a in archivist.artifacts.list_artifacts(run_id=run.info.run_id)] == ["inputs"]
    out = archivist.artifacts.download_artifacts(run_id=run.info.run_id, dst_path=str(tmp_path / "dl"))
    assert Path(out, "inputs", "data.csv").read_text() == "a,b\n1,2\n"


def test_a_file_the_server_has_is_not_sent_again(server: Server, tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(3 << 20))
    client = ArchivistClient(server.url)
    r1 = client.create_run("0").info.run_id
    client.log_artifact(r1, str(big))
    sent_first = client.artifact_store.bytes_sent  # type: ignore[attr-defined]
    assert sent_first == 3 << 20
    r2 = client.create_run("0").info.run_id
    client.log_artifact(r2, str(big))
    assert client.artifact_store.bytes_sent == sent_first  # type: ignore[attr-defined]
    assert client.read_artifact(r2, "big.bin") == big.read_bytes()


def test_large_file_goes_in_parts_and_downloads_resume(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from archivist.stores.artifacts import remote

    monkeypatch.setattr(remote, "PART_SIZE", 1 << 20)  # 5 parts for a 4.5 MiB file
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom((9 << 20) // 2))
    client = ArchivistClient(server.url)
    run_id = client.create_run("0").info.run_id
    client.log_artifact(run_id, str(big))
    assert ArchivistClient(server.store).read_artifact(run_id, "big.bin") == big.read_bytes()
    # an interrupted download left a partial file: only the rest is fetched, then verified
    dst = tmp_path / "dl"
    dst.mkdir()
    (dst / "big.bin.archivist-part").write_bytes(big.read_bytes()[: 2 << 20])
    client.download_artifacts(run_id, "big.bin", str(dst))
    assert (dst / "big.bin").read_bytes() == big.read_bytes()
    assert not (dst / "big.bin.archivist-part").exists()
    # a partial file with wrong bytes is caught by the digest and removed
    (dst / "big.bin").unlink()
    (dst / "big.bin.archivist-part").write_bytes(b"\0" * 100)
    with pytest.raises(ArtifactCorrupted, match="hashes to"):
        client.download_artifacts(run_id, "big.bin", str(dst))
    assert not (dst / "big.bin.archivist-part").exists()
    client.download_artifacts(run_id, "big.bin", str(dst))
    assert (dst / "big.bin").read_bytes() == big.read_bytes()


def test_background_errors_are_raised_not_dropped(server: Server) -> None:
    client = ArchivistClient(server.url)
    run_id = client.create_run("0").info.run_id
    client.log_metric(run_id, "a", 1.0)
    ArchivistClient(server.store).delete_run(run_id)  # behind the client's back
    client.log_metric(run_id, "a", 2.0)  # queued: returns at once
    with pytest.raises(InvalidState, match=r"background.*deleted"):
        client.flush()
    # synchronous=True reports at once
    with pytest.raises(InvalidState, match="deleted"):
        client.log_metric(run_id, "a", 3.0, synchronous=True)
    with pytest.raises(ResourceNotFound):
        client.log_metric("f" * 32, "a", 1.0, synchronous=True)


def test_background_error_at_exit_is_printed(server: Server, tmp_path: Path) -> None:
    script = (
        "import archivist\n"
        f"archivist.set_tracking_uri({server.url!r})\n"
        "from archivist.client import ArchivistClient\n"
        f"c = ArchivistClient({server.store!r})\n"
        "run = archivist.start_run()\n"
        "c.delete_run(run.info.run_id)\n"
        "archivist.log_metric('m', 1.0)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env=server_env(), cwd=tmp_path, timeout=120)
    assert "deleted" in out.stderr and "archivist:" in out.stderr


def test_cli_works_against_a_server(server: Server, tmp_path: Path) -> None:
    client = ArchivistClient(server.url)
    exp = client.create_experiment("cli-exp")
    client.create_run(exp, run_name="via-http")
    out = subprocess.run(
        [sys.executable, "-m", "archivist", "runs", "list", "--experiment-name", "cli-exp",
         "--tracking-uri", server.url],
        capture_output=True, text=True, env=server_env(), cwd=tmp_path, timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "via-http" in out.stdout
    for command in ("gc", "verify"):
        out = subprocess.run(
            [sys.executable, "-m", "archivist", command, "--tracking-uri", server.url],
            capture_output=True, text=True, env=server_env(), cwd=tmp_path, timeout=120,
        )
        assert out.returncode == 1 and out.stderr.startswith("error: ")
        assert "run on the server" in out.stderr, out.stderr


def test_push_to_a_server_and_pull_back(server: Server, tmp_path: Path) -> None:
    local = ArchivistClient(f"sqlite:///{tmp_path / 'offline' / 'archivist.db'}")
    archivist.set_tracking_uri(local.tracking_uri)
    archivist.set_experiment("offline")
    f = tmp_path / "w.bin"
    f.write_bytes(os.urandom(500_000))
    with archivist.start_run() as run:
        archivist.log_param("p", 1)
        for i in range(20):
            archivist.log_metric("m", i, step=i)
        archivist.log_artifact(str(f))
    remote = ArchivistClient(server.url)
    report = transfer(local, remote, Selection(experiment_names=("offline",)))
    assert report.runs_created == 1 and report.blobs_sent == 1 and report.metrics_sent == 20
    again = transfer(local, remote, Selection(experiment_names=("offline",)))
    assert not again.changed()
    assert len(remote.get_metric_history(run.info.run_id, "m")) == 20
    back = ArchivistClient(f"sqlite:///{tmp_path / 'back' / 'archivist.db'}")
    pulled = transfer(remote, back, Selection(run_ids=(run.info.run_id,)))
    assert pulled.runs_created == 1
    assert back.read_artifact(run.info.run_id, "w.bin") == f.read_bytes()


def test_cli_push_to_a_server(server: Server, tmp_path: Path) -> None:
    local = ArchivistClient(f"sqlite:///{tmp_path / 'offline' / 'archivist.db'}")
    run_id = local.create_run("0").info.run_id
    local.log_metric(run_id, "m", 1.0)
    args = [sys.executable, "-m", "archivist", "push", "--all", "--to", server.url,
            "--tracking-uri", local.tracking_uri]
    first = subprocess.run(args, capture_output=True, text=True, env=server_env(), cwd=tmp_path,
                           timeout=120)
    assert first.returncode == 0, first.stderr
    assert "1 run(s) created" in first.stdout
    second = subprocess.run(args, capture_output=True, text=True, env=server_env(), cwd=tmp_path,
                            timeout=120)
    assert second.returncode == 0 and "nothing was sent" in second.stdout
    assert ArchivistClient(server.url).get_metric_history(run_id, "m")[0].value == 1.0
