"""Lineage across runs: raw data -> features run -> training run -> model -> version -> alias."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import archivist
from archivist.cli import archivist as cli
from archivist.errors import InvalidArgument, ResourceNotFound


def _chain(tmp_path: Path) -> dict[str, str]:
    raw = tmp_path / "raw.csv"
    pd.DataFrame({"a": np.arange(20.0), "b": np.arange(20) % 2}).to_csv(raw, index=False)
    with archivist.start_run(run_name="features") as feat_run:
        raw_ds = archivist.log_input(archivist.data.from_path(raw, name="raw"), context="source")
        feats = tmp_path / "features.csv"
        df = pd.read_csv(raw)
        df["a2"] = df["a"] ** 2
        df.to_csv(feats, index=False)
        archivist.log_artifact(feats, derived_from=[raw_ds.uri])
    with archivist.start_run(run_name="train") as train_run:
        ds = archivist.data.from_path(feats, name="features", targets="b")
        train_ds = archivist.log_input(ds, context="training")
        X = pd.read_csv(feats)
        model = LogisticRegression().fit(X[["a", "a2"]], X["b"])
        info = archivist.sklearn.log_model(model, name="clf", registered_model_name="clf")
    client = archivist.ArchivistClient()
    client.set_registered_model_alias("clf", "champion", "1")
    return {"raw": raw_ds.uri, "train_ds": train_ds.uri, "feat_run": feat_run.info.run_id,
            "train_run": train_run.info.run_id, "model": info.model_uri}


def test_chain_upstream_and_downstream(tracking_uri: str, tmp_path: Path) -> None:
    archivist.set_tracking_uri(tracking_uri)
    ids = _chain(tmp_path)
    up = archivist.lineage("models:/clf@champion", direction="up")
    kinds = [n.kind for n in up.upstream()]
    uris = {n.uri for n in up.upstream()}
    # alias <- version <- logged model <- training run <- dataset <- features artifact <- ...
    assert kinds[:4] == ["model_version", "logged_model", "run", "dataset"]
    assert {ids["model"], f"runs:/{ids['train_run']}", ids["train_ds"],
            f"runs:/{ids['feat_run']}/features.csv", ids["raw"]} <= uris
    by_uri = {n.uri: n for n in up.upstream()}
    assert by_uri[ids["train_ds"]].attrs["profile"]["num_rows"] == 20
    # the features file logged by one run and used by the next is recognised by its bytes
    same = [e for e in up.edges if e.kind == "same_content"]
    assert [(e.source, e.target) for e in same] == [
        (f"runs:/{ids['feat_run']}/features.csv", ids["train_ds"])]
    # from the raw dataset down: every registered version trained on it
    down = archivist.lineage(ids["raw"], direction="down")
    assert [(v.attrs["name"], v.attrs["version"]) for v in down.registered_versions()] == [("clf", "1")]
    assert any(n.uri == "models:/clf@champion" for n in down.downstream())
    # names resolve: datasets:/<name> is the newest dataset of that name
    assert archivist.lineage("datasets:/features").root == ids["train_ds"]
    # a dataset nobody trained on gives no versions
    with archivist.start_run():
        other = archivist.log_input(archivist.data.from_pandas(pd.DataFrame({"z": [1]}), name="z"))
    assert archivist.lineage(other.uri).registered_versions() == []


def test_renderings_and_cli(tracking_uri: str, tmp_path: Path) -> None:
    from click.testing import CliRunner

    archivist.set_tracking_uri(tracking_uri)
    ids = _chain(tmp_path)
    runner = CliRunner()
    res = runner.invoke(cli, ["lineage", ids["raw"], "--registered-versions",
                              "--tracking-uri", tracking_uri], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines()[1:] == ["clf\t1\tmodels:/clf/1"]
    res = runner.invoke(cli, ["lineage", "datasets:/raw", "--registered-versions", "--format",
                              "json", "--tracking-uri", tracking_uri])
    assert json.loads(res.stdout) == [{"name": "clf", "version": "1", "uri": "models:/clf/1"}]
    res = runner.invoke(cli, ["lineage", "models:/clf@champion", "--tracking-uri", tracking_uri])
    tree = res.stdout
    assert tree.startswith("alias clf@champion")
    assert "<- alias -- model_version clf v1" in tree
    assert "<- input training -- dataset features" in tree
    assert "<- derived_from -- dataset raw" in tree
    g = json.loads(runner.invoke(cli, ["lineage", ids["train_run"], "--format", "json",
                                       "--tracking-uri", tracking_uri]).stdout)
    assert g["root"] == f"runs:/{ids['train_run']}"
    assert {"source": ids["train_ds"], "target": g["root"], "kind": "input", "label": "training"} in g["edges"]
    dot = runner.invoke(cli, ["lineage", ids["model"], "--format", "dot", "--tracking-uri", tracking_uri]).stdout
    assert dot.startswith("digraph lineage {") and dot.count("->") == len(
        archivist.lineage(ids["model"]).edges)
    mer = runner.invoke(cli, ["lineage", ids["model"], "--format", "mermaid", "--tracking-uri", tracking_uri]).stdout
    assert mer.startswith("flowchart LR") and '-->|"registered"|' in mer
    res = runner.invoke(cli, ["datasets", "list", "--json", "--tracking-uri", tracking_uri])
    names = {d["name"]: d for d in json.loads(res.stdout)}
    assert set(names) == {"raw", "features"} and names["features"]["contexts"] == ["training"]
    res = runner.invoke(cli, ["lineage", "datasets:/nope", "--tracking-uri", tracking_uri])
    assert res.exit_code == 1 and "no dataset matches 'datasets:/nope'" in res.stderr


def test_bad_derived_from_is_refused_before_logging(tmp_path: Path) -> None:
    f = tmp_path / "f.txt"
    f.write_text("x")
    with archivist.start_run() as run:
        with pytest.raises(InvalidArgument, match=r"derived_from entry 'raw\.csv' is not a URI"):
            archivist.log_artifact(f, derived_from=["raw.csv"])
        with pytest.raises(ResourceNotFound):
            archivist.log_artifact(f, derived_from=["datasets:/missing"])
        archivist.log_artifact(f, derived_from="s3://bucket/raw/f.txt")
    assert [a.path for a in archivist.ArchivistClient().list_artifacts(run.info.run_id)] == ["f.txt"]
    g = archivist.lineage(f"runs:/{run.info.run_id}/f.txt")
    assert [(n.kind, n.uri) for n in g.upstream()] == [("external", "s3://bucket/raw/f.txt"),
                                                      ("run", f"runs:/{run.info.run_id}")]


def test_log_artifacts_records_derived_from_for_the_folder(tmp_path: Path) -> None:
    d = tmp_path / "plots"
    d.mkdir()
    (d / "a.png").write_bytes(b"png")
    with archivist.start_run() as src:
        archivist.log_text("raw", "raw.txt")
    with archivist.start_run() as run:
        archivist.log_artifacts(d, artifact_path="plots", derived_from=[f"runs:/{src.info.run_id}/raw.txt"])
    g = archivist.lineage(f"runs:/{run.info.run_id}/plots", direction="up")
    assert {n.uri for n in g.upstream()} == {
        f"runs:/{src.info.run_id}/raw.txt", f"runs:/{src.info.run_id}", f"runs:/{run.info.run_id}"}
