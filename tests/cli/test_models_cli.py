"""``archivist models``: predict on files, and list/show/register/alias against a real store."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from cli_support import assert_one_line_error, run_cli
from sklearn.datasets import load_iris
from sklearn.tree import DecisionTreeClassifier

import archivist
import archivist.pyfunc
import archivist.sklearn
from archivist.client import ArchivistClient
from archivist.models import infer_signature


@dataclass(frozen=True)
class Registry:
    client: ArchivistClient
    estimator: Any
    frame: pd.DataFrame  # a few iris rows, every class present
    first: Any  # ModelInfo of iris version 1
    second: Any  # ModelInfo of iris version 2 (alias champion)
    spare: Any  # ModelInfo of spare version 1 (tag stage=dev)


@pytest.fixture
def registry() -> Registry:
    """In ./archivist: 'iris' v1 and v2 (champion -> 2), 'spare' v1 with a tag."""
    X, y = load_iris(return_X_y=True, as_frame=True)
    tree = DecisionTreeClassifier(random_state=0).fit(X, y)
    signature = infer_signature(X, tree.predict(X))
    with archivist.start_run():
        first = archivist.sklearn.log_model(tree, name="tree", signature=signature, registered_model_name="iris")
        second = archivist.sklearn.log_model(tree, name="tree2", signature=signature, registered_model_name="iris")
        spare = archivist.sklearn.log_model(tree, name="spare", signature=signature, registered_model_name="spare")
    client = ArchivistClient()
    client.set_registered_model_alias("iris", "champion", 2)
    client.set_model_version_tag("spare", 1, "stage", "dev")
    client.set_registered_model_tag("spare", "team", "ml")
    return Registry(client, tree, X.iloc[[0, 50, 100, 149]], first, second, spare)


def table(stdout: str) -> tuple[list[str], list[list[str]]]:
    lines = stdout.splitlines()
    return lines[0].split("\t"), [line.split("\t") for line in lines[1:]]


# ------------------------------------------------------------------------ predict
def test_predict_json_file_to_output_file(registry: Registry, tmp_path: Path) -> None:
    body = {"dataframe_split": registry.frame.to_dict(orient="split", index=False)}
    (tmp_path / "input.json").write_text(json.dumps(body))
    result = run_cli("models", "predict", "-m", "models:/iris@champion", "-i", "input.json", "-o", "out.json")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    expected = registry.estimator.predict(registry.frame).tolist()
    assert expected == [0, 1, 2, 2]
    assert json.loads((tmp_path / "out.json").read_text()) == {"predictions": expected}


def test_predict_to_stdout_with_params_free_inputs(registry: Registry, tmp_path: Path) -> None:
    (tmp_path / "rows.json").write_text(json.dumps({"inputs": registry.frame.to_dict(orient="list")}))
    result = run_cli("models", "predict", "-m", "models:/iris/1", "-i", "rows.json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"predictions": [0, 1, 2, 2]}


def test_predict_csv_by_extension_and_by_option(registry: Registry, tmp_path: Path) -> None:
    registry.frame.to_csv(tmp_path / "rows.csv", index=False)
    shutil.copy(tmp_path / "rows.csv", tmp_path / "rows.txt")
    by_extension = run_cli("models", "predict", "-m", registry.first.model_uri, "-i", "rows.csv")
    by_option = run_cli(
        "models", "predict", "-m", "models:/iris/latest", "-i", "rows.txt", "--content-type", "csv",
        "-o", "csv-out.json",
    )
    assert by_extension.exit_code == by_option.exit_code == 0, by_extension.output + by_option.output
    assert json.loads(by_extension.stdout) == {"predictions": [0, 1, 2, 2]}
    assert json.loads((tmp_path / "csv-out.json").read_text()) == {"predictions": [0, 1, 2, 2]}
    # without --content-type csv the same text is read as JSON, and refused
    as_json = run_cli("models", "predict", "-m", "models:/iris/1", "-i", "rows.txt")
    assert_one_line_error(as_json, "not valid JSON")


def test_predict_from_a_local_directory_opens_no_store(
    registry: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model_dir = Path(archivist.pyfunc.load_model(registry.spare.model_uri, dst_path=str(tmp_path / "m")).model_dir)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    (elsewhere / "in.json").write_text(json.dumps({"dataframe_records": registry.frame.to_dict(orient="records")}))
    result = run_cli("models", "predict", "-m", str(model_dir), "-i", "in.json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"predictions": [0, 1, 2, 2]}
    assert sorted(os.listdir(elsewhere)) == ["in.json"]


def test_predict_errors_are_one_line_and_write_nothing(registry: Registry, tmp_path: Path) -> None:
    (tmp_path / "short.json").write_text(json.dumps({"dataframe_records": [{"sepal length (cm)": 1.0}]}))
    result = run_cli("models", "predict", "-m", "models:/iris/1", "-i", "short.json", "-o", "out.json")
    assert_one_line_error(result, "missing required column 'sepal width (cm)'")
    assert not (tmp_path / "out.json").exists()
    (tmp_path / "two.json").write_text(json.dumps({"inputs": [], "instances": []}))
    result = run_cli("models", "predict", "-m", "models:/iris/1", "-i", "two.json")
    assert_one_line_error(result, "exactly one of", "holds 2")
    result = run_cli("models", "predict", "-m", "models:/iris/7", "-i", "two.json")
    assert_one_line_error(result, "version 7 of registered model 'iris' does not exist")
    (tmp_path / "ok.json").write_text(json.dumps({"dataframe_records": registry.frame.to_dict(orient="records")}))
    result = run_cli("models", "predict", "-m", "models:/iris/1", "-i", "ok.json", "-o", "no/such/dir/out.json")
    assert result.exit_code == 1 and result.stdout == ""
    assert "no/such/dir/out.json" in result.stderr and "No such file or directory" in result.stderr


# ---------------------------------------------------------------------- registry
def test_list_plain(registry: Registry) -> None:
    result = run_cli("models", "list")
    assert result.exit_code == 0, result.output
    header, rows = table(result.stdout)
    assert header == ["name", "latest_version", "aliases", "last_updated"]
    assert [r[:3] for r in rows] == [["iris", "2", "champion=2"], ["spare", "1", ""]]
    assert all(r[3] for r in rows)


def test_list_json_and_filter(registry: Registry) -> None:
    found = json.loads(run_cli("models", "list", "--json").stdout)
    assert [(m["name"], m["aliases"], m["tags"]) for m in found] == [
        ("iris", {"champion": "2"}, {}),
        ("spare", {}, {"team": "ml"}),
    ]
    assert [v["version"] for v in found[0]["latest_versions"]] == ["2"]
    only = json.loads(run_cli("models", "list", "--json", "--filter", "name LIKE 'sp%'").stdout)
    assert [m["name"] for m in only] == ["spare"]
    assert_one_line_error(run_cli("models", "list", "--filter", "name ~ 'x'"), "filter")


def test_list_empty_store() -> None:
    result = run_cli("models", "list")
    assert result.exit_code == 0, result.output
    assert result.stdout == "name\tlatest_version\taliases\tlast_updated\n"


def test_show_model_plain(registry: Registry) -> None:
    result = run_cli("models", "show", "iris")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:4] == ["model:", "  name: iris", "  description: ", "  latest_version: 2"]
    assert "aliases:\n  champion: 2\n" in result.stdout
    start = lines.index("# versions")
    assert lines[start + 1].split("\t") == [
        "version", "aliases", "status", "source", "model_id", "run_id", "created",
    ]
    rows = [line.split("\t")[:6] for line in lines[start + 2 :]]
    run_id = registry.first.run_id
    assert rows == [
        ["1", "", "READY", f"models:/{registry.first.model_id}", registry.first.model_id, run_id],
        ["2", "champion", "READY", f"models:/{registry.second.model_id}", registry.second.model_id, run_id],
    ]


def test_show_model_json(registry: Registry) -> None:
    doc = json.loads(run_cli("models", "show", "spare", "--json").stdout)
    assert doc["name"] == "spare" and doc["tags"] == {"team": "ml"}
    assert [(v["version"], v["model_id"], v["tags"]) for v in doc["versions"]] == [
        ("1", registry.spare.model_id, {"stage": "dev"})
    ]


def test_show_version(registry: Registry) -> None:
    result = run_cli("models", "show", "iris", "--version", "2")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:7] == [
        "version:",
        "  name: iris",
        "  version: 2",
        "  aliases: champion",
        f"  source: models:/{registry.second.model_id}",
        f"  model_id: {registry.second.model_id}",
        f"  run_id: {registry.second.run_id}",
    ]
    spare = run_cli("models", "show", "spare", "-v", "1")
    assert "tags:\n  stage: dev\n" in spare.stdout
    doc = json.loads(run_cli("models", "show", "iris", "-v", "1", "--json").stdout)
    assert (doc["version"], doc["aliases"], doc["model_id"]) == ("1", [], registry.first.model_id)


def test_show_missing_is_one_line(registry: Registry) -> None:
    assert_one_line_error(run_cli("models", "show", "nope"), "registered model 'nope' does not exist")
    assert_one_line_error(run_cli("models", "show", "iris", "-v", "9"), "version 9 of registered model 'iris'")


def test_register_prints_the_new_version(registry: Registry) -> None:
    result = run_cli("models", "register", registry.first.model_uri, "iris")
    assert result.exit_code == 0, result.output
    assert result.stdout == "3\n"
    v3 = registry.client.get_model_version("iris", 3)
    assert (v3.source, v3.model_id, v3.run_id) == (
        f"models:/{registry.first.model_id}", registry.first.model_id, registry.first.run_id,
    )
    fresh = run_cli("models", "register", f"runs:/{registry.spare.run_id}/spare", "fresh")
    assert fresh.stdout == "1\n"
    assert registry.client.get_model_version("fresh", 1).model_id == registry.spare.model_id


def test_register_bad_uri_is_one_line(registry: Registry, tmp_path: Path) -> None:
    result = run_cli("models", "register", str(tmp_path), "iris")
    assert_one_line_error(result, "is not a model store URI", "accepted forms")
    assert sorted(v.version for v in registry.client.search_model_versions("name = 'iris'")) == ["1", "2"]


def test_alias_set_move_and_delete(registry: Registry) -> None:
    result = run_cli("models", "alias", "iris", "best", "1")
    assert result.exit_code == 0, result.output
    assert result.stdout == "models:/iris@best -> version 1\n"
    assert registry.client.get_model_version_by_alias("iris", "best").version == "1"
    moved = run_cli("models", "alias", "iris", "champion", "1")
    assert moved.stdout == "models:/iris@champion -> version 1\n"
    assert registry.client.get_registered_model("iris").aliases == {"best": "1", "champion": "1"}
    deleted = run_cli("models", "alias", "iris", "best", "--delete")
    assert deleted.exit_code == 0, deleted.output
    assert deleted.stdout == "deleted alias 'best' of model 'iris'\n"
    assert registry.client.get_registered_model("iris").aliases == {"champion": "1"}
    again = run_cli("models", "alias", "iris", "best", "--delete")
    assert_one_line_error(again, "has no alias 'best'")


def test_alias_on_a_missing_version_changes_nothing(registry: Registry) -> None:
    before = registry.client.get_registered_model("iris").aliases
    result = run_cli("models", "alias", "iris", "champion", "9")
    assert_one_line_error(result, "version 9", "does not exist")
    result = run_cli("models", "alias", "iris", "newbie", "9")
    assert_one_line_error(result, "version 9", "does not exist")
    assert registry.client.get_registered_model("iris").aliases == before == {"champion": "2"}
    result = run_cli("models", "alias", "nope", "champion", "1")
    assert_one_line_error(result, "registered model 'nope' does not exist")


@pytest.mark.parametrize("args", [("iris", "champion"), ("iris", "champion", "1", "--delete")])
def test_alias_needs_a_version_or_delete(registry: Registry, args: tuple[str, ...]) -> None:
    result = run_cli("models", "alias", *args)
    assert result.exit_code == 2
    assert "give VERSION to set the alias, or --delete" in result.stderr
    assert registry.client.get_registered_model("iris").aliases == {"champion": "2"}
