"""End to end with the artifact root on S3 (SeaweedFS on 127.0.0.1): log, read back,
download, load a model, verify and gc, on SQLite and PostgreSQL metadata."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

import archivist
from archivist.cli import archivist as cli
from archivist.stores.blobs.s3 import S3BlobStore
from s3_support import S3Server


def test_log_and_read_artifacts_on_s3(
    tracking_uri: str, s3_env: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = s3_env.new_uri()
    monkeypatch.setenv("ARCHIVIST_ARTIFACT_ROOT", root)
    archivist.set_tracking_uri(tracking_uri)
    big = tmp_path / "weights.bin"
    big.write_bytes(os.urandom(20 << 20))
    folder = tmp_path / "plots"
    (folder / "sub").mkdir(parents=True)
    for i in range(30):
        (folder / "sub" / f"p{i}.txt").write_text(f"point {i % 10}\n" * 50)
    with archivist.start_run() as run:
        archivist.log_param("lr", 0.1)
        archivist.log_artifact(big, artifact_path="model")
        archivist.log_artifacts(folder, artifact_path="plots")
        archivist.log_dict({"layers": [8, 4]}, "config.json")
    with archivist.start_run() as again:  # same bytes: nothing new stored
        archivist.log_artifact(big)
    rid = run.info.run_id

    client = archivist.ArchivistClient()
    store = client.artifact_store.blobs
    layered = getattr(store, "origin", store)
    store = getattr(layered, "inner", layered)  # below the chunk layer
    assert isinstance(store, S3BlobStore) and store.uri == root + "/"
    digests = set(layered.iter_digests())  # files (the big one is a recipe and a pack below)
    assert len(digests) == 1 + 10 + 1  # the big file, 10 distinct plot files, config.json
    assert json.loads(client.download_artifacts(rid, "config.json", str(tmp_path / "c")) and
                      (tmp_path / "c" / "config.json").read_text()) == {"layers": [8, 4]}
    out = archivist.artifacts.download_artifacts(run_id=rid, dst_path=tmp_path / "all")
    assert (Path(out) / "model" / "weights.bin").read_bytes() == big.read_bytes()
    assert (Path(out) / "plots" / "sub" / "p13.txt").read_text() == "point 3\n" * 50
    assert client.load_text(rid, "plots/sub/p7.txt") == "point 7\n" * 50

    runner = CliRunner()
    result = runner.invoke(cli, ["verify", "--tracking-uri", tracking_uri, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] and report["blobs"] == 12 and report["bytes_read"] >= 20 << 20

    # gc on S3: delete the second run, purge it, the big file stays (the first run uses it)
    client.delete_run(again.info.run_id)
    client.delete_run(rid)
    result = runner.invoke(
        cli, ["gc", "--tracking-uri", tracking_uri, "--grace-seconds", "0",
              "--purge-deleted-runs", "--json"],
    )
    assert result.exit_code == 0, result.output
    gc_report = json.loads(result.stdout)
    assert gc_report["deleted"] == 12 and gc_report["bytes_freed"] >= 20 << 20
    assert set(store.iter_digests()) == set()


def test_model_on_s3(s3_env: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sklearn.linear_model import LogisticRegression

    import archivist.sklearn

    monkeypatch.setenv("ARCHIVIST_ARTIFACT_ROOT", s3_env.new_uri())
    model = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    with archivist.start_run():
        info = archivist.sklearn.log_model(model, name="clf", registered_model_name="s3-clf")
    loaded = archivist.pyfunc.load_model("models:/s3-clf/1")
    assert list(loaded.predict([[0.0], [3.0]])) == [0, 1]
    assert archivist.sklearn.load_model(info.model_uri).coef_.tolist() == model.coef_.tolist()


def test_server_artifacts_destination_on_s3(s3_env: S3Server, tmp_path: Path) -> None:
    from archivist.server.app import ServerConfig, open_stores

    uri = s3_env.new_uri()
    stores = open_stores(ServerConfig(backend_store_uri=str(tmp_path / "srv"), artifacts_destination=uri))
    blobs = getattr(stores.artifacts.blobs, "origin", stores.artifacts.blobs)
    blobs = getattr(blobs, "inner", blobs)  # below the chunk layer
    assert isinstance(blobs, S3BlobStore) and blobs.uri == uri + "/"
