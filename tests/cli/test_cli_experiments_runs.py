"""``archivist experiments`` and ``archivist runs`` against a real store."""

from __future__ import annotations

import json

import pytest
from cli_support import Store, assert_one_line_error, run_cli

import archivist


def rows(stdout: str) -> list[list[str]]:
    """Tab-separated output without its header line."""
    lines = stdout.splitlines()
    return [line.split("\t") for line in lines[1:]]


# ------------------------------------------------------------------- experiments
def test_experiments_list_plain(store: Store) -> None:
    result = run_cli("experiments", "list")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].split("\t")[:3] == ["experiment_id", "name", "lifecycle_stage"]
    got = {(r[0], r[1], r[2]) for r in rows(result.stdout)}
    assert got == {("0", "Default", "active"), (store.experiment_id, "baseline", "active")}


def test_experiments_list_views_and_json(store: Store) -> None:
    gone = archivist.create_experiment("gone")
    archivist.delete_experiment(gone)

    active = json.loads(run_cli("experiments", "list", "--json").stdout)
    assert {e["name"] for e in active} == {"Default", "baseline"}
    assert {"experiment_id", "name", "artifact_location", "lifecycle_stage", "tags"} <= set(active[0])

    deleted = json.loads(run_cli("experiments", "list", "--view", "deleted", "--json").stdout)
    assert [(e["experiment_id"], e["name"], e["lifecycle_stage"]) for e in deleted] == [
        (gone, "gone", "deleted")
    ]
    everything = json.loads(run_cli("experiments", "list", "--view", "all", "--json").stdout)
    assert {e["name"] for e in everything} == {"Default", "baseline", "gone"}


def test_experiments_create_prints_the_id(store: Store) -> None:
    result = run_cli("experiments", "create", "tuning")
    assert result.exit_code == 0, result.output
    new_id = result.stdout.strip()
    found = archivist.get_experiment_by_name("tuning")
    assert found is not None and found.experiment_id == new_id


def test_experiments_create_duplicate_is_one_line(store: Store) -> None:
    result = run_cli("experiments", "create", "baseline")
    assert_one_line_error(result, "'baseline' already exists")


def test_tracking_uri_option_before_and_after_the_command(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARCHIVIST_TRACKING_URI")
    after = run_cli("experiments", "list", "--json", "--tracking-uri", store.uri)
    before = run_cli("--tracking-uri", store.uri, "experiments", "list", "--json")
    assert after.exit_code == before.exit_code == 0
    assert json.loads(after.stdout) == json.loads(before.stdout)
    assert "baseline" in {e["name"] for e in json.loads(after.stdout)}


# -------------------------------------------------------------------------- runs
def test_runs_list_plain(store: Store) -> None:
    result = run_cli("runs", "list")
    assert result.exit_code == 0, result.output
    header = result.stdout.splitlines()[0].split("\t")
    assert header == ["run_id", "experiment_id", "run_name", "status", "start_time"]
    got = {(r[0], r[1], r[2], r[3]) for r in rows(result.stdout)}
    assert got == {
        (store.first, store.experiment_id, "first", "FINISHED"),
        (store.second, store.experiment_id, "second", "FINISHED"),
    }


def test_runs_list_filter_order_and_limit(store: Store) -> None:
    result = run_cli("runs", "list", "--experiment-name", "baseline", "--filter", "metrics.acc > 0.9")
    assert [r[0] for r in rows(result.stdout)] == [store.first]

    asc = run_cli("runs", "list", "--experiment-id", store.experiment_id, "--order-by", "metrics.acc ASC")
    assert [r[0] for r in rows(asc.stdout)] == [store.second, store.first]
    desc = run_cli("runs", "list", "--order-by", "metrics.acc DESC", "--max-results", "1")
    assert [r[0] for r in rows(desc.stdout)] == [store.first]

    assert rows(run_cli("runs", "list", "--experiment-id", "0").stdout) == []


def test_runs_list_json_and_views(store: Store) -> None:
    archivist.delete_run(store.second)
    active = json.loads(run_cli("runs", "list", "--json").stdout)
    assert [r["info"]["run_id"] for r in active] == [store.first]
    assert active[0]["data"]["metrics"] == {"acc": 0.91}
    assert active[0]["data"]["params"] == {"lr": "0.1"}

    deleted = json.loads(run_cli("runs", "list", "--view", "deleted", "--json").stdout)
    assert [(r["info"]["run_id"], r["info"]["lifecycle_stage"]) for r in deleted] == [
        (store.second, "deleted")
    ]
    every = json.loads(run_cli("runs", "list", "--view", "all", "--json").stdout)
    assert {r["info"]["run_id"] for r in every} == {store.first, store.second}


def test_runs_list_unknown_experiment_is_one_line(store: Store) -> None:
    assert_one_line_error(run_cli("runs", "list", "--experiment-name", "nope"), "'nope' does not exist")
    assert_one_line_error(run_cli("runs", "list", "--experiment-id", "999"), "'999' does not exist")


def test_runs_list_bad_filter_is_one_line(store: Store) -> None:
    result = run_cli("runs", "list", "--filter", "metrics.acc >>> 1")
    assert_one_line_error(result)


def test_runs_show_plain(store: Store) -> None:
    result = run_cli("runs", "show", store.first)
    assert result.exit_code == 0, result.output
    out = result.stdout
    for line in (
        f"  run_id: {store.first}",
        "  run_name: first",
        f"  experiment_id: {store.experiment_id}",
        "  status: FINISHED",
        "  lr: 0.1",
        "  acc: 0.91",
        "  team: vision",
        "  notes/hello.txt: 5",
        "  config.json: 12",
    ):
        assert line in out.splitlines(), line
    lines = out.splitlines()
    order = [lines.index(f"{title}:") for title in ("run", "params", "metrics", "tags", "artifacts")]
    assert order == sorted(order)


def test_runs_show_json(store: Store) -> None:
    doc = json.loads(run_cli("runs", "show", store.first, "--json").stdout)
    assert doc["info"]["run_id"] == store.first
    assert doc["info"]["status"] == "FINISHED"
    assert doc["data"]["params"] == {"lr": "0.1"}
    assert doc["data"]["metrics"] == {"acc": 0.91}
    assert doc["data"]["tags"]["team"] == "vision"
    assert [(a["path"], a["size"]) for a in doc["artifacts"]] == [
        ("config.json", 12),
        ("notes/hello.txt", 5),
    ]
    assert all(a["digest"].startswith("blake3:") for a in doc["artifacts"])


def test_runs_show_nan_metric_is_valid_json(store: Store) -> None:
    client = archivist.ArchivistClient(store.uri)
    client.log_metric(store.second, "loss", float("nan"))
    doc = json.loads(run_cli("runs", "show", store.second, "--json").stdout)
    assert doc["data"]["metrics"]["loss"] == "NaN"


def test_runs_show_draws_tables_on_a_terminal(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("archivist.cli._output.is_terminal", lambda: True)
    result = run_cli("runs", "show", store.first)
    assert result.exit_code == 0, result.output
    assert "┃" in result.stdout  # rich's table border
    assert "vision" in result.stdout and "notes/hello.txt" in result.stdout


def test_runs_show_unknown_run_is_one_line(store: Store) -> None:
    missing = "0" * 32
    assert_one_line_error(run_cli("runs", "show", missing), f"run '{missing}' does not exist")
    assert_one_line_error(run_cli("runs", "show", "not-a-run"), "malformed")
