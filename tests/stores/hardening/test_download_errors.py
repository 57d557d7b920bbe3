"""Downloads the local file system refuses get clear errors (issue 7: raw OSError [Errno 30]
into a read-only folder, FileExistsError onto a file)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from archivist.client import ArchivistClient
from archivist.errors import InvalidArgument


@pytest.fixture
def logged(tracking_uri: str) -> tuple[ArchivistClient, str]:
    client = ArchivistClient(tracking_uri)
    rid = client.create_run(client.create_experiment("e")).info.run_id
    client.log_text(rid, "hello", "a/b.txt")
    client.log_text(rid, "x" * 300_000, "big.txt")  # a blob file, not a pack row
    return client, rid


def test_download_into_a_read_only_folder(logged: tuple[ArchivistClient, str], tmp_path: Path, read_only: Any) -> None:
    client, rid = logged
    target = tmp_path / "ro"
    target.mkdir()
    with read_only(target):
        for dst, path in ((target, ""), (target / "new", ""), (target, "big.txt")):
            with pytest.raises(InvalidArgument, match="is on a read-only file system") as err:
                client.download_artifacts(rid, path, str(dst))
            assert f"cannot download into '{dst}'" in str(err.value)
    assert list(target.iterdir()) == []


def test_download_onto_files_and_folders_in_the_way(logged: tuple[ArchivistClient, str], tmp_path: Path) -> None:
    client, rid = logged
    a_file = tmp_path / "afile"
    a_file.write_text("mine")
    with pytest.raises(InvalidArgument, match=r"'.*afile' is a file where the download needs a folder"):
        client.download_artifacts(rid, "", str(a_file))
    assert a_file.read_text() == "mine"
    parent_is_file = tmp_path / "d2"
    parent_is_file.mkdir()
    (parent_is_file / "a").write_text("mine")
    with pytest.raises(InvalidArgument, match=r"d2/a' is a file where the download needs a folder"):
        client.download_artifacts(rid, "", str(parent_is_file))
    target_is_dir = tmp_path / "d3"
    (target_is_dir / "a" / "b.txt").mkdir(parents=True)
    with pytest.raises(InvalidArgument, match=r"d3/a/b.txt' is a folder where the download needs a file"):
        client.download_artifacts(rid, "", str(target_is_dir))
    assert sorted(p.name for p in (target_is_dir / "a").iterdir()) == ["b.txt"]  # no temp left
