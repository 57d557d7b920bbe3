"""``archivist storage``: logical vs stored bytes, for the store and per experiment."""

from __future__ import annotations

import json
import os
from pathlib import Path

from click.testing import CliRunner

import archivist
from archivist.cli import archivist as cli
from archivist.client import ArchivistClient
from archivist.maintenance.storage import storage_report


def test_dedup_and_compression_savings(client: ArchivistClient, tracking_uri: str, tmp_path: Path) -> None:
    text = tmp_path / "log.txt"
    text.write_bytes(b"epoch 1 loss 0.25 acc 0.91\n" * 20_000)  # 540,000 bytes, compresses well
    rnd = tmp_path / "weights.bin"
    rnd.write_bytes(os.urandom(200_000))
    vision = archivist.set_experiment("vision")
    for _ in range(3):  # the same two files in three runs
        with archivist.start_run():
            archivist.log_artifact(text)
            archivist.log_artifact(rnd)
    nlp = archivist.set_experiment("nlp")
    with archivist.start_run():
        archivist.log_artifact(rnd)  # shared with vision

    report = storage_report(client.tracking_store, client.artifact_store.blobs)
    s = report.store
    assert (s.files, s.blobs) == (7, 2)
    assert s.logical_bytes == 3 * 540_000 + 4 * 200_000
    assert s.unique_bytes == 740_000 and s.dedup_saved == 2 * 540_000 + 3 * 200_000
    assert 200_000 < s.stored_bytes < 260_000  # the text is stored compressed, the random bytes not
    assert s.compression_saved == 740_000 - s.stored_bytes > 480_000
    by_name = {e.name: e for e in report.experiments}
    assert {"vision", "nlp"} <= set(by_name)
    v, n = by_name["vision"].usage, by_name["nlp"].usage
    assert by_name["vision"].experiment_id == vision.experiment_id
    assert by_name["nlp"].experiment_id == nlp.experiment_id
    assert (v.files, v.blobs, v.logical_bytes, v.unique_bytes) == (6, 2, 2_220_000, 740_000)
    assert v.stored_bytes == s.stored_bytes
    assert (n.files, n.blobs, n.logical_bytes, n.unique_bytes, n.stored_bytes) == (
        1, 1, 200_000, 200_000, 200_000)

    result = CliRunner().invoke(cli, ["storage", "--tracking-uri", tracking_uri, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["store"]["logical_bytes"] == s.logical_bytes
    assert data["store"]["ratio"] == round(s.logical_bytes / s.stored_bytes, 3)
    assert [e["name"] for e in data["experiments"] if e["files"]] == ["vision", "nlp"]
    result = CliRunner().invoke(cli, ["storage", "--tracking-uri", tracking_uri])
    lines = result.stdout.splitlines()
    assert lines.pop(0) == "# storage"
    assert lines[0].split("\t")[:3] == ["experiment_id", "name", "files"]
    assert lines[1].split("\t")[1:5] == ["(store)", "7", "2", str(s.logical_bytes)]


def test_models_count_in_their_experiment(client: ArchivistClient) -> None:
    from sklearn.linear_model import LinearRegression

    import archivist.sklearn

    archivist.set_experiment("models")
    with archivist.start_run():
        archivist.sklearn.log_model(LinearRegression().fit([[0.0], [1.0]], [0.0, 1.0]), name="lr")
    report = storage_report(client.tracking_store, client.artifact_store.blobs)
    (models,) = [e for e in report.experiments if e.name == "models"]
    assert models.usage.files >= 4  # MLmodel, model.pkl, requirements.txt, python_env.yaml, ...
    assert models.usage.files == report.store.files


def test_empty_store(client: ArchivistClient) -> None:
    report = storage_report(client.tracking_store, client.artifact_store.blobs)
    assert report.store.logical_bytes == report.store.stored_bytes == 0
    assert report.store.ratio == 1.0
