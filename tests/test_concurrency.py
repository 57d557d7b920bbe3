"""Several processes and threads logging into one store lose nothing (SQLite and PostgreSQL)."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import archivist

WORKER = r"""
import sys, archivist
archivist.set_tracking_uri(sys.argv[1])
archivist.set_experiment("shared")
ids = []
for r in range(3):
    with archivist.start_run() as run:
        for i in range(60):
            archivist.log_metric("m", i, step=i)
        archivist.log_params({f"p{i}": i for i in range(5)})
        archivist.log_text(f"worker {sys.argv[2]} run {r}", "who.txt")
        archivist.log_text("same content everywhere", "same.txt")
        ids.append(run.info.run_id)
print(" ".join(ids))
"""


def test_processes_and_threads_share_a_store(tmp_path: Path, tracking_uri: str) -> None:
    store = tracking_uri
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    procs = [
        subprocess.Popen([sys.executable, str(script), store, str(i)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for i in range(4)
    ]
    archivist.set_tracking_uri(store)
    client = archivist.ArchivistClient(store)
    exp = archivist.set_experiment("shared")
    thread_runs: list[str] = []
    errors: list[BaseException] = []

    def thread_worker(n: int) -> None:
        try:
            run = client.create_run(exp.experiment_id)
            for i in range(60):
                client.log_metric(run.info.run_id, "m", i, step=i)
            client.log_text(run.info.run_id, f"thread {n}", "who.txt")
            client.set_terminated(run.info.run_id)
            thread_runs.append(run.info.run_id)
        except BaseException as e:  # collected and asserted below
            errors.append(e)

    threads = [threading.Thread(target=thread_worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    outputs = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        assert "locked" not in err
        outputs.append(out.split())
    assert errors == []
    all_ids = [rid for ids in outputs for rid in ids] + thread_runs
    assert len(set(all_ids)) == 16
    for ids in outputs:
        for rid in ids:
            run = client.get_run(rid)
            assert run.data.params == {f"p{i}": str(i) for i in range(5)}
            assert len(client.get_metric_history(rid, "m")) == 60
            assert client.load_text(rid, "same.txt") == "same content everywhere"
            assert run.info.status == "FINISHED"
    for rid in thread_runs:
        assert [m.value for m in client.get_metric_history(rid, "m")] == [float(i) for i in range(60)]
    found = client.search_runs([exp.experiment_id], max_results=100)
    assert len(found) == 16


def _forked_child(n: int) -> None:
    for r in range(2):
        with archivist.start_run(run_name=f"child-{n}-{r}"):
            for i in range(20):
                archivist.log_metric("m", i, step=i)
            archivist.log_text(f"child {n}", "who.txt")


def test_forked_workers_get_their_own_connections(tracking_uri: str) -> None:
    import multiprocessing

    archivist.set_tracking_uri(tracking_uri)
    exp = archivist.set_experiment("forked")
    with archivist.start_run():  # the parent holds pooled connections when it forks
        archivist.log_metric("p", 0.0)
        archivist.log_text("parent", "who.txt")
    ctx = multiprocessing.get_context("fork")
    workers = [ctx.Process(target=_forked_child, args=(n,)) for n in range(3)]
    for w in workers:
        w.start()
    with archivist.start_run(run_name="parent-while-forked"):
        for i in range(100):
            archivist.log_metric("p", float(i), step=i)
    for w in workers:
        w.join(120)
    assert [w.exitcode for w in workers] == [0, 0, 0]
    client = archivist.ArchivistClient()
    runs = client.search_runs([exp.experiment_id], max_results=100)
    names = {r.info.run_name for r in runs}
    assert len(runs) == 8 and "parent-while-forked" in names
    assert {f"child-{n}-{r}" for n in range(3) for r in range(2)} <= names
    for run in runs:
        if run.info.run_name.startswith("child-"):
            assert len(client.get_metric_history(run.info.run_id, "m")) == 20
            assert client.load_text(run.info.run_id, "who.txt").startswith("child ")


def test_a_forked_child_logs_to_the_parents_run_but_does_not_end_it(tmp_path: Path) -> None:
    import os

    store = str(tmp_path / "store")
    archivist.set_tracking_uri(store)
    with archivist.start_run() as run:
        pid = os.fork()
        if pid == 0:  # the child: log into the inherited run, then exit through atexit
            code = 0
            try:
                archivist.log_metric("from_child", 1.0)
            except BaseException:
                code = 1
            finally:
                from archivist import fluent

                fluent._end_all_runs()  # what the child's exit runs (atexit)
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert archivist.get_run(run.info.run_id).info.status == "RUNNING"  # still ours
        archivist.log_metric("from_parent", 2.0)
    done = archivist.get_run(run.info.run_id)
    assert done.info.status == "FINISHED"
    assert done.data.metrics == {"from_child": 1.0, "from_parent": 2.0}
