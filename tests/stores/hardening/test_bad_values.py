"""Values a database cannot hold are refused the same way on SQLite and PostgreSQL, before
anything is written (issue 7: NUL characters, over-long names and artifact paths)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from archivist.client import ArchivistClient
from archivist.errors import InvalidArgument
from archivist.paths import validate_artifact_file, validate_artifact_path

NUL = "bad\x00value"


@pytest.fixture
def client(tracking_uri: str) -> ArchivistClient:
    return ArchivistClient(tracking_uri)


def _cases(c: ArchivistClient, eid: str, rid: str) -> dict[str, Callable[[], Any]]:
    store = c.tracking_store
    return {
        "experiment name": lambda: c.create_experiment(NUL),
        "experiment tag": lambda: c.create_experiment("e-tag", tags={"k": NUL}),
        "set experiment tag": lambda: c.set_experiment_tag(eid, "k", NUL),
        "rename experiment": lambda: c.rename_experiment(eid, NUL),
        "param value": lambda: c.log_param(rid, "p", NUL),
        "tag value": lambda: c.set_tag(rid, "t", NUL),
        "metric key": lambda: c.log_metric(rid, NUL, 1.0),
        "run name": lambda: c.create_run(eid, run_name=NUL),
        "run name too long": lambda: c.create_run(eid, run_name="r" * 251),
        "rename run": lambda: c.update_run(rid, name=NUL),
        "user id": lambda: c.create_run(eid, tags={"mlflow.user": NUL}),
        "logged model name": lambda: store.create_logged_model(eid, name=NUL),
        "logged model param": lambda: store.create_logged_model(eid, name="m", params={"p": NUL}),
        "logged model type": lambda: store.create_logged_model(eid, name="m", model_type=NUL),
    }


@pytest.mark.parametrize(
    "case",
    [
        "experiment name", "experiment tag", "set experiment tag", "rename experiment",
        "param value", "tag value", "metric key", "run name", "run name too long", "rename run",
        "user id", "logged model name", "logged model param", "logged model type",
    ],
)
def test_nul_and_overlong_values_are_invalid_argument(client: ArchivistClient, case: str) -> None:
    eid = client.create_experiment("e")
    run = client.create_run(eid, run_name="keep")
    rid = run.info.run_id
    before = client.get_run(rid)
    with pytest.raises(InvalidArgument) as err:
        _cases(client, eid, rid)[case]()
    message = str(err.value)
    assert "NUL" in message or "limit" in message or "invalid" in message
    # nothing was written or damaged
    after = client.get_run(rid)
    assert after.data.params == before.data.params and after.data.tags == before.data.tags
    assert after.info.run_name == "keep"
    assert client.get_experiment(eid).name == "e"
    assert [e.name for e in client.search_experiments()] in (["e", "Default"], ["Default", "e"])


def test_registry_values_with_nul_are_invalid_argument(tracking_uri: str) -> None:
    registry = ArchivistClient(tracking_uri).registry_store
    with pytest.raises(InvalidArgument, match="NUL"):
        registry.create_registered_model(NUL)
    with pytest.raises(InvalidArgument, match="NUL"):
        registry.create_registered_model("m", description=NUL)
    with pytest.raises(InvalidArgument, match="NUL"):
        registry.create_registered_model("m", tags={"k": NUL})
    registry.create_registered_model("m")
    with pytest.raises(InvalidArgument, match="NUL"):
        registry.create_model_version("m", source=NUL)
    assert [m.name for m in registry.search_registered_models()[0]] == ["m"]


def test_artifact_paths_over_the_limits_are_refused(client: ArchivistClient, tmp_path: Any) -> None:
    eid = client.create_experiment("e")
    rid = client.create_run(eid).info.run_id
    long_path = "d/" * 600 + "f.txt"  # 1,205 characters: over the column's 1,000
    with pytest.raises(InvalidArgument, match="1205 characters long; the limit is 1000"):
        client.log_text(rid, "x", long_path)
    long_name = "a" * 300 + ".txt"  # a file system takes at most 255 bytes per name
    with pytest.raises(InvalidArgument, match="could never be downloaded"):
        client.log_text(rid, "x", long_name)
    with pytest.raises(InvalidArgument, match="bytes"):
        client.log_text(rid, "x", "é" * 128)  # 128 characters but 256 bytes
    local = tmp_path / ("b" * 200)
    local.write_text("x")
    with pytest.raises(InvalidArgument, match="would be logged as artifact_path"):
        client.log_artifact(rid, local, artifact_path="/".join(["c" * 200] * 4))
    client.log_text(rid, "ok", "é" * 127)
    client.log_text(rid, "ok", "/".join(["a" * 255] * 3))
    assert sorted(len(e.path) for e in client.artifact_store.entries(rid)) == [127, 767]
    dst = client.download_artifacts(rid, "", str(tmp_path / "out"))
    assert (tmp_path / "out" / ("é" * 127)).read_text() == "ok"
    assert dst == str(tmp_path / "out")


@pytest.mark.parametrize(
    "call",
    ["log_text", "log_dict", "log_table", "log_image", "log_figure"],
)
def test_artifact_file_ending_in_slash_is_an_error(client: ArchivistClient, call: str) -> None:
    rid = client.create_run(client.create_experiment("e")).info.run_id
    data: Any = {
        "log_text": "hello",
        "log_dict": {"a": 1},
        "log_table": {"a": [1, 2]},
        "log_image": None,
        "log_figure": None,
    }[call]
    if call == "log_image":
        np = pytest.importorskip("numpy")
        data = np.zeros((2, 2, 3), dtype=np.uint8)
    if call == "log_figure":
        plt = pytest.importorskip("matplotlib.pyplot")
        data = plt.figure()
    name = {"log_table": "dir/", "log_image": "dir/", "log_figure": "dir/"}.get(call, "dir/")
    with pytest.raises(InvalidArgument, match="ends with '/'"):
        getattr(client, call)(rid, data, name)
    assert client.artifact_store.entries(rid) == []


def test_validate_artifact_file() -> None:
    assert validate_artifact_file("a//b.txt") == "a/b.txt"
    for bad in ("", None, "a/", "a/.", "/a", "../a"):
        with pytest.raises(InvalidArgument):
            validate_artifact_file(bad)
    with pytest.raises(InvalidArgument, match="not valid Unicode"):
        validate_artifact_path("bad\udcffname")
