"""SQLite writers take turns through a kernel lock (issue 7: under 16 concurrent writers the
slowest write waited ~7 s in SQLite's sleeping busy handler; bench/contention.py measures)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from archivist.client import ArchivistClient
from archivist.stores.db.turns import WriterTurns

_HOLDER = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(float(sys.argv[2]))
released = time.time()
fcntl.flock(fd, fcntl.LOCK_UN)
print(released, flush=True)
"""


def _hold(lock: Path, seconds: float) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(lock), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def test_a_write_waits_for_the_turn_and_goes_when_it_is_released(tmp_path: Path) -> None:
    db = tmp_path / "store" / "archivist.db"
    client = ArchivistClient(f"sqlite:///{db}")
    rid = client.create_run(client.create_experiment("e")).info.run_id
    lock = Path(f"{db}-writers.lock")
    assert lock.exists()  # created by the writes above
    holder = _hold(lock, 0.5)
    try:
        client.log_param(rid, "p", "1")
        done = time.time()
        assert holder.stdout is not None
        released = float(holder.stdout.readline())
    finally:
        holder.wait(10)
        holder.stdout.close()  # type: ignore[union-attr]
    assert done >= released  # the write waited for the other writer's turn to end
    assert client.get_run(rid).data.params == {"p": "1"}
    client.log_param(rid, "q", "2")  # and the turn is free again afterwards
    assert client.get_run(rid).data.params == {"p": "1", "q": "2"}


def test_a_turn_that_does_not_come_in_time_leaves_it_to_sqlite(tmp_path: Path) -> None:
    turns = WriterTurns(str(tmp_path / "x.db"), timeout=0.2)
    holder = _hold(Path(turns.path), 30)
    try:
        ran = False
        with turns.turn():
            ran = True
        assert ran
        with turns.turn(), turns.turn():  # re-entrant within a thread
            pass
    finally:
        holder.kill()
        holder.wait(10)
        holder.stdout.close()  # type: ignore[union-attr]
    with turns.turn():  # the holder died: the kernel released its lock
        pass
    turns.close()


def test_a_forked_child_takes_its_own_turn(tmp_path: Path) -> None:
    turns = WriterTurns(str(tmp_path / "x.db"), timeout=5)
    with turns.turn():
        pass
    parent_fd = turns._fd
    pid = os.fork()
    if pid == 0:  # child: must get a descriptor of its own, not share the parent's lock
        code = 1
        try:
            with turns.turn():
                code = 0 if turns._fd != parent_fd or os.path.exists(turns.path) else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    turns.close()
