"""Push/pull store-to-store: a local SQLite store copied to SQLite and to PostgreSQL."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import archivist
import archivist.sklearn
from archivist.client import ArchivistClient
from archivist.entities import RunTag, ViewType
from archivist.errors import ArtifactCorrupted, Conflict, InvalidArgument
from archivist.sync import Selection, transfer


def _everything(c: ArchivistClient) -> dict[str, Any]:
    """A comparable picture of a store: experiments by name, runs, models, registry."""
    out: dict[str, Any] = {}
    exps = c.search_experiments(ViewType.ALL)
    out["experiments"] = sorted((e.name, e.lifecycle_stage, sorted(e.tags.items())) for e in exps)
    names = {e.experiment_id: e.name for e in exps}
    runs = c.search_runs([e.experiment_id for e in exps], "", ViewType.ALL)
    pics = []
    for r in runs:
        rid = r.info.run_id
        pics.append((
            rid, names[r.info.experiment_id], r.info.run_name, r.info.status,
            r.info.start_time, r.info.end_time, r.info.lifecycle_stage,
            sorted(r.data.params.items()), sorted(r.data.tags.items()),
            {k: [(m.step, m.timestamp, "nan" if math.isnan(m.value) else m.value)
                 for m in c.get_metric_history(rid, k)] for k in r.data.metrics},
            [(e.path, e.digest, e.size) for e in c.tracking_store.list_tree_entries(rid)],
        ))
    out["runs"] = sorted(pics)
    models = c.search_logged_models([e.experiment_id for e in exps])
    out["models"] = sorted(
        (m.model_id, m.name, m.source_run_id, m.status, sorted(m.tags.items()),
         sorted(m.params.items()),
         [(e.path, e.digest) for e in c.tracking_store.list_tree_entries(m.model_id)])
        for m in models
    )
    out["registry"] = sorted(
        (v.name, v.version, v.model_id, v.run_id, v.current_stage, sorted(v.tags.items()),
         sorted(v.aliases))
        for v in c.search_model_versions()
    )
    return out


@pytest.fixture
def source(tmp_path: Path) -> tuple[ArchivistClient, dict[str, str]]:
    """A local store with two experiments, three runs, a registered model and an alias."""
    uri = f"sqlite:///{tmp_path / 'src' / 'archivist.db'}"
    archivist.set_tracking_uri(uri)
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(300_000))
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.txt").write_text("alpha")
    (tmp_path / "d" / "same.bin").write_bytes(big.read_bytes())  # same content twice
    archivist.set_experiment("offline")
    ids: dict[str, str] = {}
    with archivist.start_run(run_name="train") as run:
        ids["train"] = run.info.run_id
        archivist.log_params({"lr": "0.1", "layers": "3"})
        for step in range(30):
            archivist.log_metric("loss", 1 / (step + 1), step=step)
        archivist.log_metric("loss", float("nan"), step=30)
        archivist.log_metric("loss", 0.5, step=3)  # two points on one step
        archivist.set_tag("team", "vision")
        archivist.log_artifact(str(big))
        archivist.log_artifacts(str(tmp_path / "d"), artifact_path="data")
        model = LogisticRegression().fit(np.array([[0.0], [1.0], [2.0], [3.0]]), [0, 0, 1, 1])
        info = archivist.sklearn.log_model(model, name="clf", registered_model_name="churn")
        ids["model"] = info.model_id
    client = ArchivistClient(uri)
    client.set_registered_model_alias("churn", "champion", "1")
    client.set_model_version_tag("churn", "1", "validated", "yes")
    with archivist.start_run(run_name="failed") as run:
        ids["failed"] = run.info.run_id
        archivist.log_metric("acc", 0.1)
        archivist.log_artifact(str(big), artifact_path="copy")
    client.set_terminated(ids["failed"], "FAILED")
    archivist.set_experiment("other")
    with archivist.start_run() as run:
        ids["other"] = run.info.run_id
        archivist.log_param("x", "1")
    client.delete_run(ids["other"])
    return client, ids


def test_push_everything_copies_it_all_and_twice_changes_nothing(
    source: tuple[ArchivistClient, dict[str, str]], tracking_uri: str, tmp_path: Path
) -> None:
    src, ids = source
    dst = ArchivistClient(tracking_uri)
    report = transfer(src, dst, Selection(everything=True))
    assert report.runs_created == 3 and report.models_created == 1
    assert report.versions_created == 1 and report.metrics_sent == 33
    # big.bin is logged three times (twice in runs, once as data/same.bin): sent once
    assert report.blobs_sent == len({e.digest for r in ids.values() if len(r) == 32
                                     for e in src.tracking_store.list_tree_entries(r)}
                                    | {e.digest for e in src.tracking_store.list_tree_entries(
                                        ids["model"])})
    want, got = _everything(src), _everything(dst)
    assert got == want
    # the copied model loads from the destination, by version and by alias
    archivist.set_tracking_uri(tracking_uri)
    loaded = archivist.sklearn.load_model("models:/churn@champion")
    assert list(loaded.predict(np.array([[0.0], [3.0]]))) == [0, 1]
    assert dst.read_artifact(ids["train"], "data/a.txt") == b"alpha"

    again = transfer(src, dst, Selection(everything=True))
    assert not again.changed(), again.as_dict()
    assert _everything(dst) == want

    # pull it back into an empty store: the same picture again
    back = ArchivistClient(f"sqlite:///{tmp_path / 'back' / 'archivist.db'}")
    transfer(dst, back, Selection(everything=True))
    assert _everything(back) == want


def test_push_one_run_then_more_points_sends_only_the_new(
    source: tuple[ArchivistClient, dict[str, str]], tmp_path: Path
) -> None:
    src, ids = source
    dst = ArchivistClient(f"sqlite:///{tmp_path / 'dst' / 'archivist.db'}")
    first = transfer(src, dst, Selection(run_ids=(ids["failed"],)))
    assert (first.runs_created, first.blobs_sent, first.models_created) == (1, 1, 0)
    assert dst.get_run(ids["failed"]).info.status == "FAILED"
    # the other run shares big.bin: its blob is not sent again
    second = transfer(src, dst, Selection(experiment_names=("offline",)))
    assert second.runs_created == 1 and second.models_created == 1
    assert second.bytes_sent < 300_000 + 200_000  # big.bin not again; model files and a.txt
    src.log_metric(ids["train"], "loss", 0.01, step=31)
    src.set_tag(ids["train"], "team", "vision-2")
    third = transfer(src, dst, Selection(run_ids=(ids["train"],)))
    assert (third.metrics_sent, third.tags_sent, third.runs_updated) == (1, 1, 1)
    assert dst.get_run(ids["train"]).data.tags["team"] == "vision-2"


def test_interrupted_push_resumes(
    source: tuple[ArchivistClient, dict[str, str]], tmp_path: Path
) -> None:
    src, ids = source
    dst = ArchivistClient(f"sqlite:///{tmp_path / 'dst' / 'archivist.db'}")
    # a real fault mid-run: one source blob is damaged, so the artifact step fails
    digest = next(e.digest for e in src.tracking_store.list_tree_entries(ids["train"])
                  if e.path == "big.bin")
    blob = next(p for p in Path(tmp_path / "src").rglob("*") if p.name == digest.split(":")[1])
    good = blob.read_bytes()
    blob.chmod(0o644)
    blob.write_bytes(b"x" + good[1:])
    with pytest.raises(ArtifactCorrupted):
        transfer(src, dst, Selection(run_ids=(ids["train"],)))
    half = dst.get_run(ids["train"])
    assert half.data.params == {"lr": "0.1", "layers": "3"}
    assert dst.list_artifacts(ids["train"]) == []  # nothing committed for the artifacts
    blob.write_bytes(good)
    report = transfer(src, dst, Selection(run_ids=(ids["train"],)))
    assert report.runs_created == 0 and report.metrics_sent == 0 and report.params_sent == 0
    model_files = len(src.tracking_store.list_tree_entries(ids["model"]))
    assert report.entries_sent == 3 + model_files and report.models_created == 1
    assert dst.tracking_store.list_tree_entries(ids["train"]) == (
        src.tracking_store.list_tree_entries(ids["train"]))
    assert [m.value for m in dst.get_metric_history(ids["train"], "acc")] == []
    assert len(dst.get_metric_history(ids["train"], "loss")) == 32


def test_a_run_id_with_other_content_is_a_conflict(
    source: tuple[ArchivistClient, dict[str, str]], tracking_uri: str
) -> None:
    src, ids = source
    dst = ArchivistClient(tracking_uri)
    exp = dst.create_experiment("offline")
    run = src.get_run(ids["train"]).info
    dst.tracking_store.create_run(exp, run.user_id, run.start_time, [RunTag("k", "v")], "x",
                                  run_id=ids["train"])
    dst.log_param(ids["train"], "lr", "0.9")
    with pytest.raises(Conflict, match=rf"run {ids['train']}.*param 'lr' is '0.9' there"):
        transfer(src, dst, Selection(run_ids=(ids["train"],)))
    assert dst.get_run(ids["train"]).data.params == {"lr": "0.9"}  # nothing overwritten
    assert dst.get_metric_history(ids["train"], "loss") == []


def test_an_artifact_with_other_bytes_is_a_conflict(
    source: tuple[ArchivistClient, dict[str, str]], tmp_path: Path
) -> None:
    src, ids = source
    dst = ArchivistClient(f"sqlite:///{tmp_path / 'dst' / 'archivist.db'}")
    transfer(src, dst, Selection(run_ids=(ids["failed"],)))
    dst.log_text(ids["failed"], "changed there", "note.txt")
    src.log_text(ids["failed"], "written here", "note.txt")
    with pytest.raises(Conflict, match=r"artifact 'note\.txt'"):
        transfer(src, dst, Selection(run_ids=(ids["failed"],)))
    assert dst.load_text(ids["failed"], "note.txt") == "changed there"


def test_selection_needs_exactly_one_choice() -> None:
    with pytest.raises(InvalidArgument, match="exactly one"):
        Selection()
    with pytest.raises(InvalidArgument, match="exactly one"):
        Selection(run_ids=("a" * 32,), everything=True)
