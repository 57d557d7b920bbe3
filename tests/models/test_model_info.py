"""get_model_info, logged-model lookups and the fluent registry searches."""

from __future__ import annotations

from pathlib import Path

import pytest
from sklearn.datasets import load_iris
from sklearn.tree import DecisionTreeClassifier

import archivist
import archivist.sklearn
from archivist.errors import InvalidArgument, ResourceNotFound
from archivist.models import get_model_info, infer_signature


def _model() -> tuple[DecisionTreeClassifier, object]:
    X, y = load_iris(return_X_y=True)
    return DecisionTreeClassifier(random_state=0).fit(X, y), X


def test_get_model_info_reads_only_mlmodel_for_every_uri_form(tmp_path: Path) -> None:
    model, X = _model()
    sig = infer_signature(X, model.predict(X))
    assert archivist.last_logged_model() is None
    with archivist.start_run() as run:
        info = archivist.sklearn.log_model(model, name="clf", signature=sig, params={"depth": 3},
                                           registered_model_name="iris")
    archivist.ArchivistClient().set_registered_model_alias("iris", "champion", 1)
    for uri in (info.model_uri, f"runs:/{run.info.run_id}/clf", "models:/iris/1",
                "models:/iris@champion", "models:/iris/latest"):
        got = get_model_info(uri)
        assert got.model_uri == uri
        assert got.model_id == info.model_id and got.run_id == run.info.run_id
        assert got.name == "clf" and got.signature == sig
        assert got.flavors == info.flavors and got.utc_time_created == info.utc_time_created
        assert got.params == {"depth": "3"}
    archivist.sklearn.save_model(model, tmp_path / "local", signature=sig)
    local = get_model_info(str(tmp_path / "local"))
    assert local.signature == sig and local.model_id == "" and "sklearn" in local.flavors
    with pytest.raises(ResourceNotFound, match="nope"):
        get_model_info("models:/nope/1")
    with pytest.raises(InvalidArgument, match="accepted forms"):
        get_model_info("ftp://x")


def test_logged_models_by_id_last_and_search() -> None:
    model, _ = _model()
    exp = archivist.set_experiment("models")
    with archivist.start_run():
        first = archivist.sklearn.log_model(model, name="a")
        second = archivist.sklearn.log_model(model, name="b")
    last = archivist.last_logged_model()
    assert last is not None and last.model_id == second.model_id and last.name == "b"
    got = archivist.get_logged_model(first.model_id)
    assert got.name == "a" and got.status == "READY" and got.experiment_id == exp.experiment_id
    client = archivist.ArchivistClient()
    found = client.search_logged_models([exp.experiment_id])
    assert [m.model_id for m in found] == [second.model_id, first.model_id]
    client.set_logged_model_tags(first.model_id, {"stage": "candidate"})
    assert client.get_logged_model(first.model_id).tags == {"stage": "candidate"}
    client.delete_logged_model(first.model_id)
    assert [m.model_id for m in client.search_logged_models(exp.experiment_id)] == [second.model_id]


def test_fluent_registry_searches_and_stage_transitions() -> None:
    model, _ = _model()
    with archivist.start_run():
        for name in ("iris-a", "iris-b", "other"):
            archivist.sklearn.log_model(model, name="m", registered_model_name=name)
        info = archivist.sklearn.log_model(model, name="m2", registered_model_name="iris-a")
    names = [m.name for m in archivist.search_registered_models(filter_string="name LIKE 'iris%'")]
    assert sorted(names) == ["iris-a", "iris-b"]
    assert len(archivist.search_registered_models(max_results=2)) == 2
    versions = archivist.search_model_versions(filter_string="name = 'iris-a'")
    assert sorted(int(v.version) for v in versions) == [1, 2]
    client = archivist.ArchivistClient()
    assert client.get_model_version_download_uri("iris-a", 2) == info.model_uri
    mv = client.transition_model_version_stage("iris-a", 1, "Production")
    assert mv.current_stage == "Production"
    client.transition_model_version_stage("iris-a", 2, "Production", archive_existing_versions=True)
    assert client.get_model_version("iris-a", 1).current_stage == "Archived"
    assert [v.version for v in client.get_latest_versions("iris-a", ["Production"])] == ["2"]
    with pytest.raises(InvalidArgument):
        client.transition_model_version_stage("iris-a", 1, "Shipped")


def test_model_logged_as_plain_artifacts_registers_and_loads(tmp_path: Path) -> None:
    model, X = _model()
    archivist.sklearn.save_model(model, tmp_path / "saved")
    with archivist.start_run() as run:
        archivist.log_artifacts(tmp_path / "saved", artifact_path="exported")
        archivist.log_text("not a model", "notes/readme.txt")
    rid = run.info.run_id
    client = archivist.ArchivistClient()
    for folder in ("nothing", "notes"):
        with pytest.raises(ResourceNotFound, match=f"no '{folder}/MLmodel' artifact"):
            archivist.register_model(f"runs:/{rid}/{folder}", "exported-model")
    assert archivist.search_registered_models() == []  # nothing was registered
    mv = archivist.register_model(f"runs:/{rid}/exported", "exported-model")
    assert mv.source == f"runs:/{rid}/exported" and mv.model_id is None
    loaded = archivist.sklearn.load_model("models:/exported-model/1")
    assert (loaded.predict(X) == model.predict(X)).all()
    info = get_model_info("models:/exported-model/1")
    assert info.run_id == rid and info.name == "exported" and "sklearn" in info.flavors
    assert client.get_model_version_download_uri("exported-model", 1) == f"runs:/{rid}/exported"


def test_names_with_at_signs_and_odd_characters_resolve() -> None:
    model, X = _model()
    client = archivist.ArchivistClient()
    with archivist.start_run():
        for name in ("team@iris", "bob's model", "ünï code"):
            archivist.sklearn.log_model(model, name="m", registered_model_name=name)
    client.set_registered_model_alias("team@iris", "champion", 1)
    for uri in ("models:/team@iris/1", "models:/team@iris/latest", "models:/team@iris@champion",
                "models:/bob's model/latest", "models:/ünï code/1"):
        loaded = archivist.sklearn.load_model(uri)
        assert (loaded.predict(X) == model.predict(X)).all(), uri
    with pytest.raises(ResourceNotFound, match="has no alias 'nope'"):
        archivist.sklearn.load_model("models:/team@iris@nope")
