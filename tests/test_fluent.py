"""The fluent API, end to end on the embedded default store."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

import archivist
from archivist.errors import InvalidArgument, InvalidState, ResourceNotFound


def test_default_location_is_cwd_archivist(tmp_path: Path) -> None:
    with archivist.start_run() as run:
        archivist.log_param("p", 1)
    assert (tmp_path / "archivist" / "archivist.db").exists()
    assert (tmp_path / "archivist" / "blobs" / "objects").is_dir()
    assert archivist.get_run(run.info.run_id).info.status == "FINISHED"


@pytest.mark.parametrize("kind", ["folder", "sqlite", "env"])
def test_tracking_uri_forms(kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if kind == "folder":
        archivist.set_tracking_uri(str(tmp_path / "store"))
        db = tmp_path / "store" / "archivist.db"
    elif kind == "sqlite":
        archivist.set_tracking_uri(f"sqlite:///{tmp_path / 'meta' / 'm.db'}")
        db = tmp_path / "meta" / "m.db"
    else:
        monkeypatch.setenv("ARCHIVIST_TRACKING_URI", str(tmp_path / "envstore"))
        monkeypatch.setenv("ARCHIVIST_ARTIFACT_ROOT", str(tmp_path / "elsewhere"))
        db = tmp_path / "envstore" / "archivist.db"
    with archivist.start_run():
        archivist.log_text("x", "x.txt")
    assert db.exists()
    if kind == "env":
        assert (tmp_path / "elsewhere" / "objects").is_dir()
    else:
        assert (db.parent / "blobs" / "objects").is_dir()
    assert not (tmp_path / "archivist").exists()


def test_postgres_uri(pg_schema_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCHIVIST_ARTIFACT_ROOT", str(tmp_path / "blobs"))
    archivist.set_tracking_uri(pg_schema_uri)
    archivist.set_experiment("pg")
    with archivist.start_run() as run:
        archivist.log_metric("m", 1.5)
        archivist.log_text("hello", "a.txt")
    client = archivist.ArchivistClient(pg_schema_uri)
    assert client.get_run(run.info.run_id).data.metrics == {"m": 1.5}
    assert client.load_text(run.info.run_id, "a.txt") == "hello"


def test_run_lifecycle_and_nesting() -> None:
    assert archivist.active_run() is None
    with archivist.start_run(run_name="outer", tags={"a": "1"}, description="desc") as outer:
        assert archivist.active_run() is outer
        with pytest.raises(InvalidState, match="already active"):
            archivist.start_run()
        with archivist.start_run(run_name="inner", nested=True) as inner:
            assert archivist.active_run() is inner
        assert archivist.active_run() is outer
    inner_run = archivist.get_run(inner.info.run_id)
    assert inner_run.data.tags["mlflow.parentRunId"] == outer.info.run_id
    outer_run = archivist.get_run(outer.info.run_id)
    assert outer_run.info.run_name == "outer"
    assert outer_run.data.tags["a"] == "1"
    assert outer_run.data.tags["mlflow.note.content"] == "desc"
    assert outer_run.info.status == "FINISHED" and outer_run.info.end_time is not None
    assert archivist.last_active_run().info.run_id == outer.info.run_id  # type: ignore[union-attr]


def test_exception_ends_run_failed() -> None:
    with pytest.raises(RuntimeError), archivist.start_run() as run:
        raise RuntimeError("boom")
    assert archivist.get_run(run.info.run_id).info.status == "FAILED"
    assert archivist.active_run() is None


def test_plain_calls_and_resume() -> None:
    run = archivist.start_run(run_name="plain")
    archivist.log_metric("m", 1)
    archivist.end_run(status="KILLED")
    assert archivist.get_run(run.info.run_id).info.status == "KILLED"
    resumed = archivist.start_run(run_id=run.info.run_id)
    assert archivist.get_run(run.info.run_id).info.status == "RUNNING"
    archivist.log_metric("m", 2, step=1)
    archivist.end_run()
    assert resumed.info.run_id == run.info.run_id
    hist = archivist.ArchivistClient().get_metric_history(run.info.run_id, "m")
    assert [m.value for m in hist] == [1.0, 2.0]


def test_log_without_active_run_starts_one() -> None:
    archivist.log_metric("auto", 0.5)
    run = archivist.active_run()
    assert run is not None
    archivist.end_run()
    assert archivist.get_run(run.info.run_id).data.metrics == {"auto": 0.5}


def test_params_metrics_tags() -> None:
    with archivist.start_run() as run:
        archivist.log_param("lr", 0.1)
        archivist.log_params({"epochs": 3, "opt": "sgd"})
        archivist.log_metric("acc", 0.5, step=1)
        archivist.log_metrics({"acc": 0.7, "nan": float("nan"), "inf": float("inf")}, step=2)
        archivist.set_tag("stage", "dev")
        archivist.set_tags({"x": 1, "y": 2})
        archivist.delete_tag("y")
        with pytest.raises(InvalidArgument, match=r"'0\.1'.*'0\.2'"):
            archivist.log_param("lr", 0.2)
        with pytest.raises(InvalidArgument, match="type str"):
            archivist.log_metric("acc", "high")  # type: ignore[arg-type]
        with pytest.raises(InvalidArgument, match="bad\\$key"):
            archivist.log_metric("bad$key", 1.0)
    data = archivist.get_run(run.info.run_id).data
    assert data.params == {"lr": "0.1", "epochs": "3", "opt": "sgd"}
    assert data.metrics["acc"] == 0.7 and math.isnan(data.metrics["nan"]) and data.metrics["inf"] == math.inf
    assert data.tags["stage"] == "dev" and data.tags["x"] == "1" and "y" not in data.tags
    assert data.tags["mlflow.source.name"].endswith(("pytest", "__main__.py", "py.test")) or data.tags["mlflow.source.name"]


def test_source_tags_git_commit(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@x"}
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    script = repo / "train.py"
    script.write_text(
        "import archivist\n"
        "with archivist.start_run() as r:\n"
        "    pass\n"
        "print(r.info.run_id)\n"
    )
    subprocess.run(["git", "add", "."], cwd=repo, check=True)
    subprocess.run(["git", "commit", "-qm", "init"], cwd=repo, check=True, env=env)
    sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, check=True, capture_output=True,
                         text=True).stdout.strip()
    out = subprocess.run([sys.executable, str(script)], cwd=tmp_path, check=True, capture_output=True,
                         text=True).stdout.strip()
    tags = archivist.ArchivistClient().get_run(out).data.tags
    assert tags["mlflow.source.git.commit"] == sha
    assert tags["mlflow.source.name"] == str(script)


def test_experiments() -> None:
    exp = archivist.set_experiment("first")
    assert archivist.set_experiment("first").experiment_id == exp.experiment_id
    with archivist.start_run() as run:
        pass
    assert run.info.experiment_id == exp.experiment_id
    eid = archivist.create_experiment("second", tags={"k": "v"})
    assert archivist.get_experiment(eid).tags == {"k": "v"}
    assert archivist.get_experiment_by_name("second").experiment_id == eid  # type: ignore[union-attr]
    names = [e.name for e in archivist.search_experiments()]
    assert set(names) == {"Default", "first", "second"}
    archivist.delete_experiment(eid)
    with pytest.raises(InvalidState, match="deleted"):
        archivist.set_experiment("second")
    archivist.restore_experiment(eid)
    assert archivist.set_experiment("second").experiment_id == eid


def test_delete_and_restore_run() -> None:
    with archivist.start_run() as run:
        archivist.log_param("p", 1)
    rid = run.info.run_id
    archivist.delete_run(rid)
    assert archivist.get_run(rid).info.lifecycle_stage == "deleted"
    assert archivist.search_runs(output_format="list") == []
    with pytest.raises(InvalidState, match="deleted"):
        archivist.log_metric("m", 1.0, run_id=rid)
    archivist.restore_run(rid)
    assert archivist.get_run(rid).info.lifecycle_stage == "active"
    assert [r.info.run_id for r in archivist.search_runs(output_format="list")] == [rid]
    assert archivist.get_run(rid).data.params == {"p": "1"}


def test_search_runs_fluent_pandas_and_list() -> None:
    archivist.set_experiment("search")
    for i in range(4):
        with archivist.start_run(run_name=f"r{i}"):
            archivist.log_metric("acc", i / 4)
            archivist.log_param("lr", "0.1" if i % 2 else "0.01")
            archivist.set_tag("x", "ab" if i < 2 else "cd")
    df = archivist.search_runs(filter_string="metrics.acc > 0.2 and params.lr = '0.1'")
    assert sorted(df["metrics.acc"].tolist()) == [0.25, 0.75]
    assert set(df.columns) >= {"run_id", "status", "start_time", "params.lr", "tags.x"}
    runs = archivist.search_runs(experiment_names=["search"], filter_string="tags.x LIKE 'a%'",
                                 order_by=["metrics.acc DESC"], output_format="list")
    assert [r.data.metrics["acc"] for r in runs] == [0.25, 0.0]
    with pytest.raises(archivist.MalformedFilter, match="acc"):
        archivist.search_runs(filter_string="metrics.acc >> 1")


def test_unknown_run_ids() -> None:
    with pytest.raises(ResourceNotFound, match="does not exist"):
        archivist.get_run("f" * 32)
    with pytest.raises(ResourceNotFound):
        archivist.log_metric("m", 1.0, run_id="f" * 32)
    with pytest.raises(InvalidArgument, match="malformed"):
        archivist.log_param("a", 1, run_id="xyz")


def test_run_from_another_store(tmp_path: Path) -> None:
    other = archivist.ArchivistClient(str(tmp_path / "other"))
    run = other.create_run("0")
    with pytest.raises(ResourceNotFound, match=run.info.run_id):
        archivist.log_artifact(__file__, run_id=run.info.run_id)


def test_threads_have_their_own_run_stack() -> None:
    seen: dict[str, str | None] = {}
    with archivist.start_run():
        def worker() -> None:
            active = archivist.active_run()
            seen["worker"] = None if active is None else active.info.run_id

        t = threading.Thread(target=worker)
        t.start()
        t.join()
    assert seen == {"worker": None}


def test_exports_match_all() -> None:
    code = (
        "import types, archivist\n"
        "print(sorted(n for n, v in vars(archivist).items() if not n.startswith('_')"
        " and not isinstance(v, types.ModuleType) and n not in ('annotations', 'TYPE_CHECKING',"
        " 'lazy_getattr')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    eager = set(eval(out.stdout))
    assert eager <= set(archivist.__all__)
    for name in archivist.__all__:
        assert getattr(archivist, name) is not None


def test_parent_run_and_uris(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert archivist.is_tracking_uri_set() is False
    with archivist.start_run() as parent, archivist.start_run(nested=True) as child:
        pass
    got = archivist.get_parent_run(child.info.run_id)
    assert got is not None and got.info.run_id == parent.info.run_id
    assert archivist.get_parent_run(parent.info.run_id) is None
    archivist.set_tracking_uri(tmp_path / "store")
    assert archivist.is_tracking_uri_set() is True
    assert archivist.get_registry_uri() == archivist.get_tracking_uri()
    archivist.set_registry_uri(tmp_path / "store")  # the same store: accepted
    with pytest.raises(InvalidArgument, match=r"registry URI .* differs from the tracking URI"):
        archivist.set_registry_uri(tmp_path / "elsewhere")
    archivist.set_tracking_uri(tmp_path / "store")
    monkeypatch.setenv("ARCHIVIST_TRACKING_URI", str(tmp_path / "env"))
    from archivist import config

    config.set_tracking_uri(None)
    assert archivist.is_tracking_uri_set() is True


def test_mlflow_exception_names_catch_our_errors() -> None:
    from archivist.exceptions import MlflowException

    assert MlflowException is archivist.MlflowException is archivist.ArchivistError
    with pytest.raises(MlflowException) as caught:
        archivist.get_run("f" * 32)
    assert caught.value.error_code == "RESOURCE_DOES_NOT_EXIST"


@pytest.mark.parametrize(
    ("call", "what"),
    [
        (lambda: archivist.log_params([("a", 1)]), "params"),
        (lambda: archivist.log_metrics([1.0, 2.0]), "metrics"),
        (lambda: archivist.set_tags("k=v"), "tags"),
        (lambda: archivist.set_experiment_tags(None), "tags"),
    ],
)
def test_batch_calls_need_a_dict_and_start_no_run(call: Any, what: str) -> None:
    with pytest.raises(InvalidArgument, match=f"^{what} must be a dict of key -> value, got "):
        call()
    assert archivist.active_run() is None
    assert archivist.search_runs(search_all_experiments=True, output_format="list") == []


def test_log_metrics_step_is_validated() -> None:
    with archivist.start_run() as run:
        with pytest.raises(InvalidArgument, match="'acc' got step 'two'"):
            archivist.log_metrics({"acc": 1.0}, step="two")  # type: ignore[arg-type]
        archivist.log_metrics({"acc": 1.0}, step=3)
    history = archivist.ArchivistClient().get_metric_history(run.info.run_id, "acc")
    assert [(m.value, m.step) for m in history] == [(1.0, 3)]


def test_metric_link_to_an_unknown_model_logs_nothing_and_typos_fail() -> None:
    with archivist.start_run() as run:
        with pytest.raises(archivist.ResourceNotFound, match=r"m-a{32}"):
            archivist.log_metric("acc", 0.9, model_id="m-" + "a" * 32)
        archivist.log_metrics({"loss": 0.1}, dataset=object())  # no model: on the run only
        with pytest.raises(TypeError):
            archivist.log_metric("acc", 0.8, stpe=2)  # type: ignore[call-arg]
    assert archivist.get_run(run.info.run_id).data.metrics == {"loss": 0.1}


def test_client_without_uri_follows_set_tracking_uri(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCHIVIST_TRACKING_URI", str(tmp_path / "from-env"))
    assert archivist.ArchivistClient().tracking_uri == archivist.get_tracking_uri()
    assert "from-env" in archivist.ArchivistClient().tracking_uri
    archivist.set_tracking_uri(tmp_path / "from-code")  # wins over the environment, as in MLflow
    with archivist.start_run() as run:
        archivist.log_param("p", 1)
    client = archivist.ArchivistClient()
    assert "from-code" in client.tracking_uri
    assert client.get_run(run.info.run_id).data.params == {"p": "1"}


def test_run_data_keeps_latest_metric_points_out_of_its_dictionary() -> None:
    import archivist

    with archivist.start_run() as run:
        archivist.log_metric("acc", 0.5, step=1, timestamp=10)
        archivist.log_metric("acc", 0.7, step=3, timestamp=20)
    data = archivist.get_run(run.info.run_id).data
    point = data.latest_metrics["acc"]
    assert (point.value, point.step, point.timestamp) == (0.7, 3, 20)
    assert data.metrics == {"acc": 0.7}
    assert set(dict(data)) == {"metrics", "params", "tags"}
    assert "latest_metrics" not in data.to_dictionary()
