"""Datasets: digests, schemas, profiles, run inputs and search, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import archivist
from archivist.entities import DatasetInput, InputTag
from archivist.errors import InvalidArgument, InvalidState
from archivist.stores.blobs.hashing import hash_file


def _df(n: int = 5) -> pd.DataFrame:
    return pd.DataFrame({"x": np.arange(n, dtype="float64"), "name": [f"r{i}" for i in range(n)],
                         "y": np.arange(n) % 2})


def test_pandas_digest_schema_profile() -> None:
    ds = archivist.data.from_pandas(_df(), source="data/train.csv", name="train", targets="y")
    same = archivist.data.from_pandas(_df(), name="other")
    changed = _df()
    changed.loc[2, "x"] = 99.0
    assert ds.digest == same.digest and ds.digest.startswith("blake3:")
    assert archivist.data.from_pandas(changed).digest != ds.digest
    assert archivist.data.from_pandas(_df().rename(columns={"x": "z"})).digest != ds.digest
    assert ds.profile["num_rows"] == 5 and ds.profile["num_columns"] == 3
    assert ds.profile["num_elements"] == 15 and ds.profile["size_bytes"] > 0
    cols = {c["name"]: c["type"] for c in ds.schema["mlflow_colspec"]}
    assert cols == {"x": "double", "name": "string", "y": "long"}
    assert ds.source.source_type == "local"
    assert json.loads(ds.to_entity().source)["uri"].endswith("data/train.csv")
    assert list(ds.features.columns) == ["x", "name"]
    assert same.source.source_type == "code"
    with pytest.raises(InvalidArgument, match="'label' is not in the DataFrame"):
        archivist.data.from_pandas(_df(), targets="label")


def test_numpy_dataset() -> None:
    x = np.arange(12, dtype="float32").reshape(4, 3)
    ds = archivist.data.from_numpy(x, targets=np.array([0, 1, 0, 1]), source="s3://b/x.npy")
    assert ds.profile["num_rows"] == 4 and ds.profile["num_columns"] == 3
    assert ds.source.source_type == "s3"
    assert archivist.data.from_numpy(x.copy(), targets=np.array([0, 1, 0, 1])).digest == ds.digest
    assert archivist.data.from_numpy(x, targets=np.array([1, 1, 0, 1])).digest != ds.digest
    assert "features" in ds.schema["mlflow_tensorspec"]


def test_path_digest_is_the_blob_digest(tmp_path: Path) -> None:
    f = tmp_path / "t.csv"
    _df().to_csv(f, index=False)
    ds = archivist.data.from_path(f)
    assert ds.digest == hash_file(f)[0]  # the blob store's own digest of these bytes
    assert ds.name == "t.csv" and ds.profile["num_rows"] == 5 and ds.profile["num_columns"] == 3
    assert ds.schema is not None
    d = tmp_path / "dir"
    (d / "sub").mkdir(parents=True)
    (d / "a.bin").write_bytes(b"a" * 10)
    (d / "sub" / "b.bin").write_bytes(b"b" * 7)
    one = archivist.data.from_path(d)
    assert one.profile == {"num_files": 2, "size_bytes": 17}
    (d / "sub" / "b.bin").write_bytes(b"c" * 7)
    assert archivist.data.from_path(d).digest != one.digest
    with pytest.raises(InvalidArgument, match="does not exist"):
        archivist.data.from_path(tmp_path / "missing.csv")


def test_log_input_run_inputs_and_search(tracking_uri: str, tmp_path: Path) -> None:
    archivist.set_tracking_uri(tracking_uri)
    ds = archivist.data.from_pandas(_df(), source="train.csv", name="train", targets="y")
    with archivist.start_run() as r1:
        stored = archivist.log_input(ds, context="training", tags={"split": "a"})
        archivist.log_input(archivist.data.from_pandas(_df(3), name="test"), context="test")
    archivist.set_experiment("other")
    with archivist.start_run() as r2:
        again = archivist.log_input(ds, context="training")  # same data, another run
    assert again.dataset_id == stored.dataset_id  # one dataset per (name, digest)
    run = archivist.get_run(r1.info.run_id)
    inputs = {di.dataset.name: di for di in run.inputs.dataset_inputs}
    assert set(inputs) == {"train", "test"}
    assert inputs["train"].context == "training"
    assert InputTag("split", "a") in inputs["train"].tags
    assert inputs["train"].dataset.digest == ds.digest
    assert json.loads(inputs["train"].dataset.profile)["num_rows"] == 5
    listed = archivist.search_runs(experiment_ids=["0"], output_format="list")
    assert [len(r.inputs.dataset_inputs) for r in listed] == [2]
    client = archivist.ArchivistClient(tracking_uri)
    assert {d.name for d in client.search_datasets()} == {"train", "test"}
    assert [d.name for d in client.search_datasets(context="test")] == ["test"]
    assert [d.name for d in client.search_datasets(name="tr%")] == ["train"]
    assert [d.name for d in client.search_datasets(digest=ds.digest[:15])] == ["train"]
    other = archivist.get_experiment_by_name("other")
    assert other is not None
    assert [d.name for d in client.search_datasets([other.experiment_id])] == ["train"]
    found = client.tracking_store.search_datasets(name="train")
    assert found[0][1] == sorted(["0", other.experiment_id], key=int) and found[0][2] == ["training"]
    assert client.get_dataset(stored.dataset_id).name == "train"
    assert archivist.get_run(r2.info.run_id).inputs.dataset_inputs[0].dataset.dataset_id == stored.dataset_id


def test_store_log_inputs_validates_and_leaves_nothing(tracking_uri: str) -> None:
    client = archivist.ArchivistClient(tracking_uri)
    run = client.create_run("0")
    ok = archivist.data.from_pandas(_df(), name="ok").to_entity()
    bad = archivist.data.from_pandas(_df(), name="x" * 501).to_entity()
    with pytest.raises(InvalidArgument, match="dataset name"):
        client.log_inputs(run.info.run_id, [DatasetInput(ok), DatasetInput(bad)])
    assert client.get_run(run.info.run_id).inputs.dataset_inputs == []
    client.delete_run(run.info.run_id)
    with pytest.raises(InvalidState):
        client.log_inputs(run.info.run_id, [DatasetInput(ok)])
    assert client.search_datasets() == []
