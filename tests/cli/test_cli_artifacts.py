"""``archivist artifacts list|download|log`` against a real store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_support import Store, assert_one_line_error, run_cli

import archivist


def rows(stdout: str) -> list[list[str]]:
    return [line.split("\t") for line in stdout.splitlines()[1:]]


# -------------------------------------------------------------------------- list
def test_list_root_and_folder(store: Store) -> None:
    result = run_cli("artifacts", "list", store.first)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "path\ttype\tsize"
    assert rows(result.stdout) == [["config.json", "file", "12"], ["notes", "dir", ""]]
    assert rows(run_cli("artifacts", "list", store.first, "notes").stdout) == [
        ["notes/hello.txt", "file", "5"]
    ]


def test_list_recursive_and_json(store: Store) -> None:
    recursive = rows(run_cli("artifacts", "list", "-r", store.first).stdout)
    assert [(r[0], r[1]) for r in recursive] == [("config.json", "12"), ("notes/hello.txt", "5")]
    assert all(r[2].startswith("blake3:") for r in recursive)

    listed = json.loads(run_cli("artifacts", "list", store.first, "--json").stdout)
    assert listed == [
        {"path": "config.json", "is_dir": False, "file_size": 12},
        {"path": "notes", "is_dir": True, "file_size": None},
    ]
    deep = json.loads(run_cli("artifacts", "list", store.first, "notes", "-r", "--json").stdout)
    assert [(d["path"], d["file_size"]) for d in deep] == [("notes/hello.txt", 5)]


def test_list_bad_path_and_unknown_run(store: Store) -> None:
    assert_one_line_error(
        run_cli("artifacts", "list", store.first, "../x"), "'../x' leaves the run's artifact root"
    )
    assert_one_line_error(run_cli("artifacts", "list", "f" * 32), "does not exist")
    assert_one_line_error(run_cli("artifacts", "list", "-r", "f" * 32), "does not exist")


# ---------------------------------------------------------------------- download
def test_download_everything(store: Store, tmp_path: Path) -> None:
    dst = tmp_path / "out"
    result = run_cli("artifacts", "download", store.first, "-d", str(dst))
    assert result.exit_code == 0, result.output
    assert Path(result.stdout.strip()) == dst
    assert (dst / "notes" / "hello.txt").read_text() == "hello"
    assert json.loads((dst / "config.json").read_text()) == {"a": 1}


def test_download_one_file_to_a_temporary_directory(store: Store) -> None:
    result = run_cli("artifacts", "download", store.first, "notes/hello.txt")
    assert result.exit_code == 0, result.output
    local = Path(result.stdout.strip())
    assert local.name == "hello.txt" and local.read_text() == "hello"


def test_download_link(store: Store, tmp_path: Path) -> None:
    result = run_cli("artifacts", "download", store.first, "notes", "-d", str(tmp_path / "l"), "--link")
    assert result.exit_code == 0, result.output
    assert (Path(result.stdout.strip()) / "hello.txt").read_text() == "hello"


def test_download_errors(store: Store, tmp_path: Path) -> None:
    assert_one_line_error(
        run_cli("artifacts", "download", store.first, "../x", "-d", str(tmp_path)), "leaves"
    )
    assert_one_line_error(
        run_cli("artifacts", "download", store.first, "nope.txt", "-d", str(tmp_path)),
        "'nope.txt' does not exist",
    )


# --------------------------------------------------------------------------- log
def test_log_a_file(store: Store, tmp_path: Path) -> None:
    local = tmp_path / "model.bin"
    local.write_bytes(b"\x00weights\x01")
    result = run_cli("artifacts", "log", store.second, str(local), "--artifact-path", "model")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"runs:/{store.second}/model/model.bin"
    client = archivist.ArchivistClient(store.uri)
    assert client.read_artifact(store.second, "model/model.bin") == b"\x00weights\x01"


def test_log_a_directory(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "plots"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("A")
    (folder / "sub" / "b.txt").write_text("B")
    result = run_cli("artifacts", "log", store.second, str(folder), "--artifact-path", "figs")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"runs:/{store.second}/figs"
    client = archivist.ArchivistClient(store.uri)
    assert client.read_artifact(store.second, "figs/a.txt") == b"A"
    assert client.read_artifact(store.second, "figs/sub/b.txt") == b"B"
    listed = rows(run_cli("artifacts", "list", "-r", store.second, "figs").stdout)
    assert [r[0] for r in listed] == ["figs/a.txt", "figs/sub/b.txt"]


def test_log_to_the_root(store: Store, tmp_path: Path) -> None:
    local = tmp_path / "readme.md"
    local.write_text("# hi")
    result = run_cli("artifacts", "log", store.second, str(local))
    assert result.stdout.strip() == f"runs:/{store.second}/readme.md"
    assert archivist.ArchivistClient(store.uri).read_artifact(store.second, "readme.md") == b"# hi"


def test_log_errors_are_one_line(store: Store, tmp_path: Path) -> None:
    local = tmp_path / "x.txt"
    local.write_text("x")
    assert_one_line_error(
        run_cli("artifacts", "log", store.second, str(tmp_path / "missing.txt")),
        "missing.txt' does not exist",
    )
    assert_one_line_error(
        run_cli("artifacts", "log", store.second, str(local), "--artifact-path", "../x"),
        "artifact_path '../x' leaves the run's artifact root",
    )
    assert_one_line_error(run_cli("artifacts", "log", "a" * 32, str(local)), "does not exist")


def test_log_to_a_deleted_run_is_refused(store: Store, tmp_path: Path) -> None:
    local = tmp_path / "x.txt"
    local.write_text("x")
    archivist.delete_run(store.second)
    assert_one_line_error(run_cli("artifacts", "log", store.second, str(local)), "deleted")


@pytest.mark.parametrize("args", [("artifacts", "log"), ("artifacts", "download"), ("runs", "show")])
def test_missing_arguments_are_usage_errors(store: Store, args: tuple[str, ...]) -> None:
    result = run_cli(*args)
    assert result.exit_code == 2
    assert "Missing argument" in result.stderr
