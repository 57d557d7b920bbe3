"""Artifact logging, listing, downloading and reading back; dedup and bad input."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

import archivist
from archivist.errors import ArtifactCorrupted, InvalidArgument, ResourceNotFound


def _stored_digests(root: Path) -> set[str]:
    from archivist.stores.blobs.local import LocalBlobStore

    return set(LocalBlobStore(root / "archivist" / "blobs").iter_digests())


def test_log_artifact_file_and_dir(tmp_path: Path) -> None:
    f = tmp_path / "features.txt"
    f.write_text("rooms, zipcode")
    d = tmp_path / "plots"
    (d / "sub").mkdir(parents=True)
    (d / "a.png").write_bytes(b"\x89PNG fake")
    (d / "sub" / "b.txt").write_text("b")
    with archivist.start_run() as run:
        archivist.log_artifact(f)
        archivist.log_artifact(str(f), artifact_path="copies/deep")
        archivist.log_artifacts(d, artifact_path="plots")
        archivist.log_artifacts(str(d))
    rid = run.info.run_id
    client = archivist.ArchivistClient()
    top = client.list_artifacts(rid)
    assert [(x.path, x.is_dir, x.file_size) for x in top] == [
        ("a.png", False, 9), ("copies", True, None), ("features.txt", False, 14),
        ("plots", True, None), ("sub", True, None),
    ]
    assert [x.path for x in client.list_artifacts(rid, "plots")] == ["plots/a.png", "plots/sub"]
    assert client.list_artifacts(rid, "features.txt") == []
    assert client.load_text(rid, "copies/deep/features.txt") == "rooms, zipcode"
    # the same content is stored once
    assert len(_stored_digests(tmp_path)) == 3


def test_download_forms(tmp_path: Path) -> None:
    d = tmp_path / "data"
    d.mkdir()
    (d / "x.bin").write_bytes(os.urandom(1000))
    (d / "y.txt").write_text("y" * 5000)
    with archivist.start_run() as run:
        archivist.log_artifacts(d, artifact_path="data")
        archivist.log_text("t", "top.txt")
    rid = run.info.run_id
    out = archivist.artifacts.download_artifacts(run_id=rid, artifact_path="data", dst_path=tmp_path / "o1")
    assert out == str(tmp_path / "o1" / "data")
    assert (Path(out) / "x.bin").read_bytes() == (d / "x.bin").read_bytes()
    assert (Path(out) / "y.txt").read_text() == "y" * 5000
    single = archivist.artifacts.download_artifacts(
        artifact_uri=f"runs:/{rid}/data/y.txt", dst_path=tmp_path / "o2"
    )
    assert Path(single).read_text() == "y" * 5000
    everything = archivist.artifacts.download_artifacts(run_id=rid, dst_path=tmp_path / "o3")
    assert sorted(p.name for p in Path(everything).rglob("*") if p.is_file()) == ["top.txt", "x.bin", "y.txt"]
    via_uri = archivist.artifacts.download_artifacts(
        artifact_uri=f"{run.info.artifact_uri}/top.txt", dst_path=tmp_path / "o4"
    )
    assert Path(via_uri).read_text() == "t"
    with pytest.raises(ResourceNotFound, match="nope"):
        archivist.artifacts.download_artifacts(run_id=rid, artifact_path="nope", dst_path=tmp_path / "o5")
    # downloaded copies are independent of the store
    Path(out, "y.txt").write_text("changed")
    assert archivist.artifacts.load_text(f"runs:/{rid}/data/y.txt") == "y" * 5000


def test_download_resumes_keeping_what_is_already_right(tmp_path: Path) -> None:
    d = tmp_path / "data"
    d.mkdir()
    for name in ("a.bin", "b.bin", "c.bin"):
        (d / name).write_bytes(os.urandom(300_000))
    with archivist.start_run() as run:
        archivist.log_artifacts(d)
    rid = run.info.run_id
    out = Path(archivist.artifacts.download_artifacts(run_id=rid, dst_path=tmp_path / "out"))
    kept_inode = (out / "a.bin").stat().st_ino
    (out / "b.bin").unlink()  # an interrupted download: one file missing ...
    c = bytearray((out / "c.bin").read_bytes())
    c[0] ^= 0xFF
    (out / "c.bin").write_bytes(bytes(c))  # ... one with the right size but wrong bytes
    archivist.artifacts.download_artifacts(run_id=rid, dst_path=tmp_path / "out")
    assert (out / "a.bin").stat().st_ino == kept_inode  # already right: not copied again
    for name in ("a.bin", "b.bin", "c.bin"):
        assert (out / name).read_bytes() == (d / name).read_bytes()


def test_text_dict_table_image_figure(tmp_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import plotly.graph_objects as go
    from PIL import Image

    with archivist.start_run() as run:
        archivist.log_text("hello", "notes/a.txt")
        archivist.log_dict({"a": 1, "b": [1, 2]}, "cfg.json")
        archivist.log_dict({"a": 1, "b": [1, 2]}, "cfg.yaml")
        archivist.log_table({"x": [1, 2], "y": ["a", "b"]}, "table.json")
        archivist.log_table({"x": [3], "y": ["c"]}, "table.json")
        archivist.log_image(np.zeros((4, 5, 3), dtype=np.uint8), "img/zeros.png")
        archivist.log_image(Image.new("RGB", (3, 2), "red"), "img/red.png")
        archivist.log_image(np.ones((2, 2)), key="ones", step=3)
        fig, ax = plt.subplots()
        ax.plot([1, 2])
        archivist.log_figure(fig, "fig.png")
        archivist.log_figure(fig, "fig.svg")
        fig.set_size_inches(2, 1)
        archivist.log_figure(fig, "small.png", save_kwargs={"dpi": 50})
        archivist.log_figure(fig, "big.png", save_kwargs={"dpi": 100})
        plt.close(fig)
        archivist.log_figure(go.Figure(data=[go.Bar(y=[1, 2])]), "plotly.html")
    rid = run.info.run_id
    uri = f"runs:/{rid}"
    assert archivist.artifacts.load_text(f"{uri}/notes/a.txt") == "hello"
    assert archivist.artifacts.load_dict(f"{uri}/cfg.json") == {"a": 1, "b": [1, 2]}
    assert archivist.artifacts.load_dict(f"{uri}/cfg.yaml") == {"a": 1, "b": [1, 2]}
    assert "b:" in archivist.artifacts.load_text(f"{uri}/cfg.yaml")
    table = archivist.load_table("table.json", run_ids=[rid], extra_columns=["run_id"])
    assert table["x"].tolist() == [1, 2, 3] and table["y"].tolist() == ["a", "b", "c"]
    assert set(table["run_id"]) == {rid}
    img = archivist.artifacts.load_image(f"{uri}/img/zeros.png")
    assert img.size == (5, 4)
    assert archivist.artifacts.load_image(f"{uri}/img/red.png").getpixel((0, 0)) == (255, 0, 0)
    (series,) = [f.path for f in archivist.artifacts.list_artifacts(run_id=rid, artifact_path="images")]
    assert series.startswith("images/ones+step+3+timestamp+") and series.endswith(".png")
    assert archivist.artifacts.load_image(f"{uri}/{series}").size == (2, 2)
    client = archivist.ArchivistClient()
    assert client.read_artifact(rid, "fig.png")[:4] == b"\x89PNG"
    assert b"<svg" in client.read_artifact(rid, "fig.svg")
    assert b"plotly" in client.read_artifact(rid, "plotly.html")
    assert archivist.artifacts.load_image(f"{uri}/small.png").size == (100, 50)
    assert archivist.artifacts.load_image(f"{uri}/big.png").size == (200, 100)


def test_dedup_across_runs(tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(3 << 20))
    for _ in range(3):
        with archivist.start_run():
            archivist.log_artifact(big)
    assert len(_stored_digests(tmp_path)) == 1
    blobs = [p for p in (tmp_path / "archivist" / "blobs" / "objects").rglob("*") if p.is_file()]
    assert len(blobs) == 1 and blobs[0].stat().st_size == 3 << 20


@pytest.mark.parametrize(
    ("artifact_path", "message"),
    [
        ("/etc", "absolute"),
        ("../up", "leaves"),
        ("a/../../b", "leaves"),
        ("C:/x", "drive letter"),
        ("a\\b", "backslash"),
        ("a\x00b", "NUL"),
    ],
)
def test_bad_artifact_paths_rejected(tmp_path: Path, artifact_path: str, message: str) -> None:
    f = tmp_path / "f.txt"
    f.write_text("x")
    with archivist.start_run() as run:
        archivist.log_artifact(f, artifact_path="ok")
        with pytest.raises(InvalidArgument, match=message):
            archivist.log_artifact(f, artifact_path=artifact_path)
        with pytest.raises(InvalidArgument, match=message):
            archivist.log_text("x", f"{artifact_path}/t.txt" if "\x00" not in artifact_path else artifact_path)
    entries = archivist.ArchivistClient().artifact_store.entries(run.info.run_id)
    assert [e.path for e in entries] == ["ok/f.txt"]


def test_missing_and_unreadable_local_paths(tmp_path: Path) -> None:
    with archivist.start_run() as run:
        with pytest.raises(InvalidArgument, match="does not exist"):
            archivist.log_artifact(tmp_path / "missing.txt")
        with pytest.raises(InvalidArgument, match="not a directory"):
            f = tmp_path / "file.txt"
            f.write_text("x")
            archivist.log_artifacts(f)
        with pytest.raises(InvalidArgument, match="does not exist"):
            archivist.log_artifacts(tmp_path / "nodir")
    assert archivist.ArchivistClient().list_artifacts(run.info.run_id) == []


def test_symlinks_are_followed_and_a_loop_is_a_clear_error(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "w.bin").write_bytes(b"weights")
    d = tmp_path / "d"
    (d / "sub").mkdir(parents=True)
    (d / "sub" / "a.txt").write_text("a")
    (d / "one").symlink_to(shared)  # the same folder twice is not a loop
    (d / "two").symlink_to(shared)
    (d / "f.txt").symlink_to(d / "sub" / "a.txt")
    with archivist.start_run() as run:
        archivist.log_artifacts(d)
        paths = [f.path for f in archivist.ArchivistClient().artifact_store.entries(run.info.run_id)]
        assert paths == ["f.txt", "one/w.bin", "sub/a.txt", "two/w.bin"]
        (d / "sub" / "back").symlink_to(d)
        with pytest.raises(InvalidArgument, match=r"symlink loop: 'sub/back' leads back"):
            archivist.log_artifacts(d, artifact_path="again")
    entries = archivist.ArchivistClient().artifact_store.entries(run.info.run_id)
    assert [e.path for e in entries] == paths  # nothing of the refused call was logged


@pytest.mark.parametrize("name", ["a\\b.txt", "C:evil.txt", "tab\there.txt"])
def test_local_names_that_cannot_be_artifact_paths(tmp_path: Path, name: str) -> None:
    d = tmp_path / "d"
    d.mkdir()
    (d / "fine.txt").write_text("ok")
    (d / name).write_text("x")
    with archivist.start_run() as run:
        for call in (lambda: archivist.log_artifacts(d), lambda: archivist.log_artifact(d / name)):
            with pytest.raises(InvalidArgument, match="cannot be logged under its own name") as e:
                call()
            assert repr(name) in str(e.value) and "rename it" in str(e.value)
    assert archivist.ArchivistClient().artifact_store.entries(run.info.run_id) == []


def test_corrupted_blob_is_an_error_on_read(tmp_path: Path) -> None:
    with archivist.start_run() as run:
        archivist.log_text("precious data" * 10, "a.txt")
    from archivist.stores.blobs.local import LocalBlobStore

    (digest,) = _stored_digests(tmp_path)
    pack = LocalBlobStore(tmp_path / "archivist" / "blobs")._pack
    pack._conn().execute("UPDATE blobs SET data = ? WHERE digest = ?", (b"tampered", digest))
    with pytest.raises(ArtifactCorrupted):
        archivist.ArchivistClient().load_text(run.info.run_id, "a.txt")
    with pytest.raises(ArtifactCorrupted):
        archivist.artifacts.download_artifacts(run_id=run.info.run_id, dst_path=tmp_path / "out")
    assert not (tmp_path / "out" / "a.txt").exists()


def test_log_table_rejects_bad_input() -> None:
    with archivist.start_run():
        with pytest.raises(InvalidArgument, match="same number of rows"):
            archivist.log_table({"a": [1, 2], "b": [1]}, "t.json")
        with pytest.raises(InvalidArgument, match=r"\.json"):
            archivist.log_table({"a": [1]}, "t.csv")
        with pytest.raises(InvalidArgument, match="dict"):
            archivist.log_dict([1, 2], "d.json")  # type: ignore[arg-type]


def test_table_json_layout(tmp_path: Path) -> None:
    import pandas as pd

    with archivist.start_run() as run:
        archivist.log_table(pd.DataFrame({"a": [1.5, float("nan")], "b": ["x", "y"]}), "t.json")
    raw = json.loads(archivist.ArchivistClient().read_artifact(run.info.run_id, "t.json"))
    assert raw == {"columns": ["a", "b"], "data": [[1.5, "x"], [None, "y"]]}


def test_large_transfers_show_progress_on_a_terminal_only(tmp_path: Path) -> None:
    import pty
    import subprocess
    import sys

    data = tmp_path / "data"
    data.mkdir()
    (data / "a.bin").write_bytes(os.urandom(40 << 20))
    (data / "b.bin").write_bytes(os.urandom(30 << 20))
    script = (
        "import archivist\n"
        "with archivist.start_run() as run:\n"
        "    archivist.log_artifacts('data', artifact_path='d')\n"
        "archivist.artifacts.download_artifacts(run_id=run.info.run_id, dst_path='out')\n"
    )

    def run_with_stderr(stderr: int) -> None:
        subprocess.run([sys.executable, "-c", script], cwd=tmp_path, stderr=stderr, check=True,
                       env={**os.environ, "COLUMNS": "100", "TERM": "xterm"})

    main, secondary = pty.openpty()
    try:
        run_with_stderr(secondary)
        os.close(secondary)
        shown = b""
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: the terminal has no writer left
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(main)
    assert b"storing" in shown and b"downloading" in shown and b"MB" in shown
    for name in ("a.bin", "b.bin"):
        assert (tmp_path / "out" / "d" / name).read_bytes() == (data / name).read_bytes()
    piped = subprocess.run([sys.executable, "-c", script.replace("'out'", "'out2'")], cwd=tmp_path,
                           capture_output=True, check=True)
    assert piped.stderr == b""  # no terminal: no bar, nothing on stderr


def test_image_series_keep_every_call() -> None:
    import numpy as np

    with archivist.start_run() as run:
        archivist.log_image(np.zeros((2, 2)), key="val/samples", step=1, timestamp=1000)
        archivist.log_image(np.ones((2, 2)), key="val/samples", step=1, timestamp=1000)
        archivist.log_image(np.ones((3, 3)), key="val/samples", step=2)
        with pytest.raises(InvalidArgument, match="either artifact_file or key"):
            archivist.log_image(np.ones((2, 2)), "x.png", step=1)
        with pytest.raises(InvalidArgument, match="image 'k' got step 'two'"):
            archivist.log_image(np.ones((2, 2)), key="k", step="two")  # type: ignore[arg-type]
        with pytest.raises(InvalidArgument, match="is invalid: keys may contain only"):
            archivist.log_image(np.ones((2, 2)), key="bad\\key")
    rid = run.info.run_id
    paths = sorted(e.path for e in archivist.ArchivistClient().artifact_store.entries(rid))
    assert len(paths) == 3  # the same key and step twice: both kept
    assert [p.split("+")[:5] for p in paths[:2]] == [["images/val~samples", "step", "1", "timestamp", "1000"]] * 2
    assert paths[2].startswith("images/val~samples+step+2+timestamp+")
    assert archivist.get_run(rid).data.tags["mlflow.loggedImages"] == "True"


def test_log_dict_writes_numpy_tuples_and_mappings_in_json_and_yaml() -> None:
    import collections
    import datetime

    import numpy as np

    value = {"f": np.float32(1.5), "arr": np.arange(2), "t": (1, 2),
             "m": collections.OrderedDict(x=1), "n": np.int64(3)}
    with archivist.start_run() as run:
        archivist.log_dict({**value, "d": datetime.date(2024, 1, 2)}, "c.yaml")
        archivist.log_dict(value, "c.json")
        for name in ("o.yaml", "o.json"):
            with pytest.raises(InvalidArgument, match=f"could not write '{name}' as .*type object cannot be written"):
                archivist.log_dict({"a": object()}, name)
    uri = f"runs:/{run.info.run_id}"
    expected = {"f": 1.5, "arr": [0, 1], "t": [1, 2], "m": {"x": 1}, "n": 3}
    assert archivist.artifacts.load_dict(f"{uri}/c.yaml") == {**expected, "d": datetime.date(2024, 1, 2)}
    assert archivist.artifacts.load_dict(f"{uri}/c.json") == expected
    assert [f.path for f in archivist.artifacts.list_artifacts(run_id=run.info.run_id)] == ["c.json", "c.yaml"]
