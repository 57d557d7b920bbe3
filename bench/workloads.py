"""Workload bodies, run in a fresh child interpreter against one library.

Usage (the harness does this; see run.py):

    python bench/workloads.py JOB archivist|mlflow '{"param": ...}'

The child runs in a fresh, empty working directory, so each library uses its default local
store there: ``./archivist/`` for Archivist, and for MLflow the ``sqlite:///<cwd>/mlflow.db``
tracking URI the harness sets (artifacts then go to MLflow's default ``./mlruns/``).

Every job body takes the imported library module as ``lib`` and calls only the API the two
libraries share, so the same lines run against both. Seconds are measured here, inside
``clock`` blocks around the operation only (creating the experiment, training a model or
building metric objects stay outside). The child prints one line ``BENCH_RESULT <json>``
mapping each measurement name to a dict with at least ``seconds``.

With ``BENCH_PROFILE=<dir>`` in the environment, each ``clock`` block also runs under
cProfile and the stats are written to ``<dir>/<lib>-<measurement>.prof``.

Only the standard library is imported at module level: the ``import`` job measures the
library's import from a clean interpreter.
"""

from __future__ import annotations

import os
import stat
import sys
import time

MARKER = "BENCH_RESULT "
LIBS = ("archivist", "mlflow")
SEARCH_FILTER = "metrics.m0 > 0.5 and params.p0 = 'x'"
# MLflow 3.17 saves sklearn models with skops by default, which refuses a RandomForest's
# tree type unless it is named as trusted; keep the default format and name it.
TRUST = {"skops_trusted_types": ["sklearn.tree._tree.Tree"]}


class Skip(Exception):
    """The library cannot run this workload yet; reported as skipped, not failed."""


# --- timing --------------------------------------------------------------------------------

_profiles: dict = {}  # measurement name -> cProfile.Profile, when BENCH_PROFILE is set


class clock:
    """Time a block: flush dirty pages first (untimed), then measure with perf_counter.

    ``with clock("search") as c: ...`` leaves the seconds in ``c.seconds``.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.seconds = 0.0
        self._profile = None

    def __enter__(self) -> clock:
        os.sync()  # earlier untimed writes must not be flushed inside the timed block
        if os.environ.get("BENCH_PROFILE"):
            import cProfile

            self._profile = _profiles.setdefault(self.name, cProfile.Profile())
            self._profile.enable()
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._t0
        if self._profile is not None:
            self._profile.disable()


def _dump_profiles(libname: str) -> None:
    out = os.environ.get("BENCH_PROFILE")
    for name, profile in _profiles.items():
        profile.dump_stats(os.path.join(out, f"{libname}-{name}.prof"))


def _median(xs: list[float]) -> float:
    xs = sorted(xs)
    mid = len(xs) // 2
    return xs[mid] if len(xs) % 2 else (xs[mid - 1] + xs[mid]) / 2


# --- stores --------------------------------------------------------------------------------


def _usage(*paths: str) -> dict[str, int]:
    """Disk usage of regular files under ``paths``, each inode counted once.

    ``blocks`` is the sum of ``st_blocks * 512`` (what ``du`` reports: the space taken on
    disk); ``size`` is the sum of ``st_size`` (apparent bytes).
    """
    seen: set[tuple[int, int]] = set()
    totals = {"blocks": 0, "size": 0, "files": 0}

    def add(path: str) -> None:
        st = os.lstat(path)
        key = (st.st_dev, st.st_ino)
        if key in seen or not stat.S_ISREG(st.st_mode):
            return
        seen.add(key)
        totals["blocks"] += st.st_blocks * 512
        totals["size"] += st.st_size
        totals["files"] += 1

    for top in paths:
        if os.path.isfile(top):
            add(top)
        for dirpath, _dirs, names in os.walk(top):
            for name in names:
                add(os.path.join(dirpath, name))
    return totals


def store_usage(lib) -> dict[str, dict[str, int]]:
    """Bytes in the default local store of ``lib`` in the working directory.

    ``artifacts``: Archivist's ``./archivist/blobs``, MLflow's ``./mlruns``.
    ``metadata``: the rest of ``./archivist/`` (SQLite database, WAL), MLflow's
    ``mlflow.db`` and its journal/WAL files.
    """
    if lib.__name__ == "archivist":
        artifacts = _usage(os.path.join("archivist", "blobs"))
        everything = _usage("archivist")
    else:
        artifacts = _usage("mlruns")
        everything = _usage("mlruns", *(n for n in os.listdir(".") if n.startswith("mlflow.db")))
    metadata = {k: everything[k] - artifacts[k] for k in everything}
    return {"artifacts": artifacts, "metadata": metadata}


def _delta(after: dict, before: dict) -> dict[str, dict[str, int]]:
    return {part: {k: after[part][k] - before[part][k] for k in after[part]} for part in after}


# --- shared API helpers --------------------------------------------------------------------


def _client(lib):
    """The library's explicit-id client: ``ArchivistClient`` or ``MlflowClient``."""
    cls = getattr(lib, "ArchivistClient", None) or lib.MlflowClient
    return cls()


def _experiment_id(lib, name: str) -> str:
    return lib.set_experiment(name).experiment_id


# --- jobs ----------------------------------------------------------------------------------


def job_import(libname: str) -> dict:
    import importlib

    before = len(sys.modules)
    with clock("import") as c:
        importlib.import_module(libname)
    return {"import": {"seconds": c.seconds, "modules_loaded": len(sys.modules) - before}}


def job_new_store(lib, params: dict) -> dict:
    """The first ``set_experiment`` in an empty directory: creates the store and its schema.

    The library is already imported (untimed), so Archivist's time includes importing
    SQLAlchemy, which MLflow's import has already paid.
    """
    with clock("new_store") as c:
        lib.set_experiment("bench")
    return {"new_store": {"seconds": c.seconds}}


def job_artifact_1g(lib, params: dict) -> dict:
    """Log one big file in a new run, then the same file again in another run."""
    path = params["file"]
    _experiment_id(lib, "bench")
    before = store_usage(lib)
    with lib.start_run(), clock("artifact_1g_first") as first:
        lib.log_artifact(path)
    after_first = store_usage(lib)
    with lib.start_run(), clock("artifact_1g_again") as again:
        lib.log_artifact(path)
    after_again = store_usage(lib)
    stored = _delta(after_first, before)
    extra = _delta(after_again, after_first)
    return {
        "artifact_1g_first": {
            "seconds": first.seconds,
            "bytes_stored": stored["artifacts"]["blocks"],
            "input_bytes": os.path.getsize(path),
            "usage": stored,
        },
        "artifact_1g_again": {
            "seconds": again.seconds,
            "extra_bytes": extra["artifacts"]["blocks"],
            "usage": extra,
        },
    }


def job_dir_x10(lib, params: dict) -> dict:
    """Log the same directory into ``runs`` runs; report total seconds and bytes stored."""
    src, runs = params["dir"], params["runs"]
    _experiment_id(lib, "bench")
    before = store_usage(lib)
    seconds = []
    for _ in range(runs):
        with lib.start_run(), clock("dir_100m_x10") as c:
            lib.log_artifacts(src, artifact_path="data")
        seconds.append(c.seconds)
    stored = _delta(store_usage(lib), before)
    unique = params["unique_bytes"]
    return {
        "dir_100m_x10": {
            "seconds": sum(seconds),
            "per_run_seconds": seconds,
            "bytes_stored": stored["artifacts"]["blocks"],
            "unique_bytes": unique,
            "stored_over_unique": stored["artifacts"]["blocks"] / unique,
            "usage": stored,
        }
    }


def job_small_files(lib, params: dict) -> dict:
    _experiment_id(lib, "bench")
    before = store_usage(lib)
    with lib.start_run(), clock("small_files_10k") as c:
        lib.log_artifacts(params["dir"], artifact_path="small")
    stored = _delta(store_usage(lib), before)
    return {
        "small_files_10k": {
            "seconds": c.seconds,
            "files": params["files"],
            "bytes_stored": stored["artifacts"]["blocks"],
            "usage": stored,
        }
    }


def job_download(lib, params: dict) -> dict:
    """Log a file (untimed), then download it into a fresh directory (timed)."""
    path = params["file"]
    _experiment_id(lib, "bench")
    with lib.start_run() as run:
        lib.log_artifact(path, artifact_path="big")
    os.mkdir("dst")
    with clock("download_256m") as c:
        local = lib.artifacts.download_artifacts(
            run_id=run.info.run_id,
            artifact_path=f"big/{os.path.basename(path)}",
            dst_path="dst",
        )
    st = os.stat(local)
    if st.st_size != os.path.getsize(path):
        raise AssertionError(f"downloaded {st.st_size} bytes, expected {os.path.getsize(path)}")
    return {
        "download_256m": {
            "seconds": c.seconds,
            "bytes": st.st_size,
            "dst_blocks": st.st_blocks * 512,
            "dst_nlink": st.st_nlink,
        }
    }


def job_metrics_single(lib, params: dict) -> dict:
    n = params["n"]
    values = [1.0 / (i + 1) for i in range(n)]
    _experiment_id(lib, "bench")
    with lib.start_run() as run, clock("metrics_single_10k") as c:
        for i, v in enumerate(values):
            lib.log_metric("loss", v, step=i)
    stored = len(_client(lib).get_metric_history(run.info.run_id, "loss"))
    if stored != n:
        raise AssertionError(f"metric history has {stored} points, expected {n}")
    return {"metrics_single_10k": {"seconds": c.seconds, "points": n}}


def job_metrics_batched(lib, params: dict) -> dict:
    n, chunk = params["n"], params["chunk"]
    client = _client(lib)
    Metric = lib.entities.Metric
    _experiment_id(lib, "bench")
    with lib.start_run() as run:
        run_id = run.info.run_id
        ts = int(time.time() * 1000)
        points = [Metric(f"m{i % 10}", float(i), ts + i, i // 10) for i in range(n)]
        with clock("metrics_batched_100k") as c:
            for k in range(0, n, chunk):
                client.log_batch(run_id, metrics=points[k : k + chunk])
    stored = len(client.get_metric_history(run_id, "m0"))
    if stored != n // 10:
        raise AssertionError(f"m0 has {stored} points, expected {n // 10}")
    return {
        "metrics_batched_100k": {
            "seconds": c.seconds,
            "points": n,
            "chunk": chunk,
            "metadata_bytes": store_usage(lib)["metadata"]["blocks"],
        }
    }


def job_runs_search(lib, params: dict) -> dict:
    """Create ``n`` runs with 5 params + 5 metrics each, then search them."""
    import random

    n, searches = params["n"], params["searches"]
    rng = random.Random(42)
    plan = [
        (
            {"p0": "xyz"[i % 3], **{f"p{j}": f"v{i}-{j}" for j in range(1, 5)}},
            {f"m{j}": rng.random() for j in range(5)},
        )
        for i in range(n)
    ]
    expected = sum(1 for p, m in plan if m["m0"] > 0.5 and p["p0"] == "x")
    exp_id = _experiment_id(lib, "bench")
    with clock("runs_2000") as runs:
        for p, m in plan:
            with lib.start_run():
                lib.log_params(p)
                lib.log_metrics(m)

    search_seconds = []
    for _ in range(searches):
        with clock("search") as c:
            found = lib.search_runs(
                experiment_ids=[exp_id],
                filter_string=SEARCH_FILTER,
                max_results=1000,
                output_format="list",
            )
        search_seconds.append(c.seconds)
        if len(found) != expected:
            raise AssertionError(f"search found {len(found)} runs, expected {expected}")
    return {
        "runs_2000": {
            "seconds": runs.seconds,
            "runs": n,
            "metadata_bytes": store_usage(lib)["metadata"]["blocks"],
        },
        "search": {
            "seconds": _median(search_seconds),
            "all_seconds": search_seconds,
            "matches": expected,
            "runs": n,
        },
    }


def _sklearn_setup(lib):
    """The flavor module, a fitted RandomForest on iris, its inputs and log_model kwargs."""
    try:
        flavor, infer_signature = lib.sklearn, lib.models.infer_signature
    except (AttributeError, ImportError) as exc:
        raise Skip(f"{lib.__name__}.sklearn is not available yet ({exc})") from None
    from sklearn.datasets import load_iris
    from sklearn.ensemble import RandomForestClassifier

    X, y = load_iris(return_X_y=True)
    model = RandomForestClassifier(n_estimators=100, random_state=0).fit(X, y)
    kwargs = {
        "name": "model",
        "signature": infer_signature(X, model.predict(X)),
        "input_example": X[:5],
        **TRUST,
    }
    return flavor, model, X, kwargs


def _log_model(lib, params: dict, name: str, **extra) -> dict:
    """First ``log_model`` in the process (cold), then optionally a second one (warm)."""
    flavor, model, _X, kwargs = _sklearn_setup(lib)
    _experiment_id(lib, "bench")
    with lib.start_run(), clock(name) as cold:
        flavor.log_model(model, **kwargs, **extra)
    result = {"seconds": cold.seconds}
    if params.get("warm", True):
        with lib.start_run(), clock(name + "_warm") as warm:
            flavor.log_model(model, **kwargs, **extra)
        result["warm_seconds"] = warm.seconds
    return {name: result}


def job_log_model(lib, params: dict) -> dict:
    return _log_model(lib, params, "log_model_sklearn")


def job_log_model_registered(lib, params: dict) -> dict:
    return _log_model(lib, params, "log_model_registered", registered_model_name="bench-iris")


def job_load_predict(lib, params: dict) -> dict:
    flavor, model, X, kwargs = _sklearn_setup(lib)
    _experiment_id(lib, "bench")
    with lib.start_run():
        info = flavor.log_model(model, **kwargs)
    with clock("load_predict") as c:
        predicted = flavor.load_model(info.model_uri).predict(X)
    if list(predicted) != list(model.predict(X)):
        raise AssertionError("the loaded model predicts differently from the logged one")
    return {"load_predict": {"seconds": c.seconds, "model_uri": info.model_uri}}


JOBS = {
    "new_store": job_new_store,
    "artifact_1g": job_artifact_1g,
    "dir_100m_x10": job_dir_x10,
    "small_files_10k": job_small_files,
    "download_256m": job_download,
    "metrics_single_10k": job_metrics_single,
    "metrics_batched_100k": job_metrics_batched,
    "runs_search": job_runs_search,
    "log_model_sklearn": job_log_model,
    "log_model_registered": job_log_model_registered,
    "load_predict": job_load_predict,
}


def main(argv: list[str]) -> int:
    """``JOB LIB PARAMS_JSON``; parsed by hand so the ``import`` job runs before any import."""
    if len(argv) != 3 or argv[0] not in ("import", *JOBS) or argv[1] not in LIBS:
        print(__doc__, file=sys.stderr)
        return 2
    job, libname, raw = argv
    if job == "import":
        result = job_import(libname)

    import importlib
    import json
    import resource

    if job != "import":
        try:
            result = JOBS[job](importlib.import_module(libname), json.loads(raw))
        except Skip as exc:
            print(MARKER + json.dumps({"skipped": str(exc)}), flush=True)
            return 0
    _dump_profiles(libname)
    result["max_rss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(MARKER + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
