"""MLflow 3 logged models on SQLite and PostgreSQL: run-less models, params and metrics
linked at log time, metrics linked by model_id (and dataset), tag deletion, and
search_logged_models compiled to SQL (filter, datasets, order_by, pages)."""

from __future__ import annotations

import math
from typing import Any

import pytest

import archivist
from archivist import ArchivistClient
from archivist.errors import InvalidArgument, MalformedFilter, ResourceNotFound


class Echo(archivist.pyfunc.PythonModel):
    def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
        return model_input


class _Data:
    def __init__(self, name: str, digest: str) -> None:
        self.name, self.digest = name, digest


def _log(name: str, **kwargs: Any) -> Any:
    return archivist.pyfunc.log_model(name=name, python_model=Echo(), **kwargs)


def test_without_a_run_the_model_stands_alone(tracking_uri: str) -> None:
    archivist.set_tracking_uri(tracking_uri)
    exp = archivist.set_experiment("runless")
    info = _log("alone")
    assert archivist.active_run() is None
    model = archivist.get_logged_model(info.model_id)
    assert model.source_run_id is None and info.run_id is None
    assert model.experiment_id == exp.experiment_id and model.status == "READY"
    assert archivist.search_runs(output_format="list") == []


def test_a_run_links_its_params_and_step_metrics(tracking_uri: str) -> None:
    archivist.set_tracking_uri(tracking_uri)
    with archivist.start_run() as run:
        archivist.log_params({"lr": 0.1, "depth": 3})
        archivist.log_metric("acc", 0.5, step=0)
        archivist.log_metric("acc", 0.7, step=1)
        archivist.log_metric("loss", float("nan"), step=1)
        info = _log("m", step=1, params={"extra": "yes"})
    model = archivist.get_logged_model(info.model_id)
    assert model.params == {"lr": "0.1", "depth": "3", "extra": "yes"}
    got = {(m.key, m.step): m for m in model.metrics}
    assert set(got) == {("acc", 1), ("loss", 1)}
    assert got["acc", 1].value == 0.7 and got["acc", 1].run_id == run.info.run_id
    assert math.isnan(got["loss", 1].value)
    assert [m.key for m in info.metrics] == ["acc", "loss"]
    # the run's own history is unchanged: nothing was logged twice
    client = ArchivistClient()
    assert [m.step for m in client.get_metric_history(run.info.run_id, "acc")] == [0, 1]


def test_metric_linked_by_model_id_and_dataset(tracking_uri: str) -> None:
    archivist.set_tracking_uri(tracking_uri)
    info = _log("evaluated")
    with archivist.start_run() as run:
        archivist.log_metric("rmse", 0.3, model_id=info.model_id, dataset=_Data("val", "d1"))
        archivist.log_metrics({"mae": 0.2}, step=4, model_id=info.model_id)
    model = archivist.get_logged_model(info.model_id)
    rmse = next(m for m in model.metrics if m.key == "rmse")
    assert (rmse.dataset_name, rmse.dataset_digest, rmse.run_id) == ("val", "d1", run.info.run_id)
    assert [(m.key, m.step) for m in model.metrics] == [("mae", 4), ("rmse", 0)]
    assert archivist.get_run(run.info.run_id).data.metrics == {"rmse": 0.3, "mae": 0.2}


def test_tags_set_and_deleted(tracking_uri: str) -> None:
    archivist.set_tracking_uri(tracking_uri)
    info = _log("tagged", tags={"a": "1"})
    archivist.set_logged_model_tags(info.model_id, {"b": 2})
    archivist.delete_logged_model_tag(info.model_id, "a")
    assert archivist.get_logged_model(info.model_id).tags == {"b": "2"}
    with pytest.raises(ResourceNotFound, match="no tag 'a'"):
        archivist.delete_logged_model_tag(info.model_id, "a")
    with pytest.raises(ResourceNotFound):
        archivist.delete_logged_model_tag("m-" + "0" * 32, "b")
    d = archivist.get_logged_model(info.model_id).to_dictionary()
    assert d["model_id"] == info.model_id and d["tags"] == {"b": "2"} and "model_uri" not in d


def _models(**kwargs: Any) -> list[str]:
    return [m.name for m in archivist.search_logged_models(output_format="list", **kwargs)]


def test_search_filters_orders_and_pages_in_sql(tracking_uri: str) -> None:
    archivist.set_tracking_uri(tracking_uri)
    archivist.set_experiment("search")
    for i, (acc, kind) in enumerate([(0.8, "rf"), (0.95, "gb"), (0.9, "rf"), (None, "lin")]):
        with archivist.start_run():
            archivist.log_param("kind", kind)
            if acc is not None:
                archivist.log_metric("acc", acc)
                archivist.log_metric("acc", acc - 0.5, step=5)  # not at the model's step: not linked
            _log(f"m{i}", tags={"team": "a" if i % 2 else "b"})
    assert _models() == ["m3", "m2", "m1", "m0"]  # newest first
    assert _models(filter_string="metrics.acc >= 0.9") == ["m2", "m1"]
    assert _models(filter_string="params.kind = 'rf' AND tags.team = 'b'") == ["m2", "m0"]
    assert _models(filter_string="name IN ('m0', 'm3')") == ["m3", "m0"]
    assert _models(order_by=[{"field_name": "metrics.acc", "ascending": False}]) == [
        "m1", "m2", "m0", "m3",  # a model without the metric comes last
    ]
    assert _models(order_by=[{"field_name": "creation_time", "ascending": True}])[0] == "m0"
    assert _models(order_by=["name DESC"], max_results=2) == ["m3", "m2"]
    client = ArchivistClient()
    exp_id = archivist.get_experiment_by_name("search").experiment_id
    page = client.search_logged_models([exp_id], max_results=3)
    assert len(page) == 3 and page.token is not None
    rest = client.search_logged_models([exp_id], max_results=3, page_token=page.token)
    assert [m.name for m in rest] == ["m0"] and rest.token is None
    frame = archivist.search_logged_models(filter_string="metrics.acc > 0.85")
    assert sorted(frame["name"]) == ["m1", "m2"] and "params" in frame.columns
    with pytest.raises(MalformedFilter):
        _models(filter_string="metrics.acc > 'x'")
    with pytest.raises(MalformedFilter):
        _models(filter_string="nosuch = 1")
    with pytest.raises(InvalidArgument):
        _models(order_by=[{"ascending": True}])


def test_search_restricted_to_datasets(tracking_uri: str) -> None:
    archivist.set_tracking_uri(tracking_uri)
    a, b = _log("a"), _log("b")
    with archivist.start_run():
        archivist.log_metric("acc", 0.9, model_id=a.model_id, dataset=_Data("train", "t"))
        archivist.log_metric("acc", 0.6, model_id=a.model_id, dataset=_Data("test", "x"))
        archivist.log_metric("acc", 0.8, model_id=b.model_id, dataset=_Data("test", "x"))
    on_test = [{"dataset_name": "test"}]
    assert _models(filter_string="metrics.acc > 0.7", datasets=on_test) == ["b"]
    assert _models(filter_string="metrics.acc > 0.7") == ["b", "a"]
    by_test = [{"field_name": "metrics.acc", "ascending": False, "dataset_name": "test"}]
    assert _models(order_by=by_test) == ["b", "a"]
    with pytest.raises(InvalidArgument, match="dataset_name"):
        _models(datasets=[{"dataset_digest": "x"}])
