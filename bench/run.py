"""Benchmark Archivist against MLflow on the same workloads; see bench/README.md.

    python bench/run.py [--quick] [--only NAME ...] [--repeat N] [--libs archivist mlflow]

Each workload runs in a fresh child interpreter, in a fresh empty working directory, once
per library and repeat, interleaved (archivist, mlflow, archivist, mlflow, ...). The table
shows medians; bench/RESULTS.md is overwritten with it, the machine and the versions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import datasets
import report

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORKLOADS = BENCH / "workloads.py"
VENV = ROOT / ".bench" / "mlflow-venv"
TMP = ROOT / ".bench" / "tmp"
MLFLOW_PIN = "mlflow==3.17.2"
MiB = datasets.MiB
GiB = 1 << 30
CHILD_TIMEOUT = 1200
SERVER_MARKER = "<!-- server-bench -->"


# --- jobs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """One child invocation (workloads.JOBS key) and the measurements it prints."""

    name: str
    produces: tuple[str, ...]
    params: Callable[[Path, bool], dict] = lambda data, quick: {}
    # extra archivist runs: (suffix added to measurement names, environment)
    archivist_variants: tuple[tuple[str, dict[str, str]], ...] = ()
    sizes: Callable[[bool], str] = lambda quick: ""


def _artifact_1g(data: Path, quick: bool) -> dict:
    return {"file": str(datasets.random_file(data / "random.bin", 128 * MiB if quick else GiB))}


def _dir_x10(data: Path, quick: bool) -> dict:
    files = 20 if quick else 100
    unique = datasets.mixed_dir(data / "mixed", files, MiB)
    return {"dir": str(data / "mixed"), "runs": 10, "unique_bytes": unique}


def _small_files(data: Path, quick: bool) -> dict:
    files = 2000 if quick else 10_000
    datasets.small_files(data / "small", files, 1024)
    return {"dir": str(data / "small"), "files": files}


def _download(data: Path, quick: bool) -> dict:
    return {"file": str(datasets.random_file(data / "download.bin", (64 if quick else 256) * MiB))}


def _model_params(data: Path, quick: bool) -> dict:
    return {"warm": not quick}  # a second, warm log_model call: extra info, full runs only


JOBS = [
    Job("import", ("import",), sizes=lambda q: "fresh interpreter"),
    Job("new_store", ("new_store",), sizes=lambda q: "first set_experiment in an empty directory"),
    Job(
        "artifact_1g",
        ("artifact_1g_first", "artifact_1g_again"),
        _artifact_1g,
        archivist_variants=(("_nofsync", {"ARCHIVIST_FSYNC": "0"}),),
        sizes=lambda q: "128 MiB random file" if q else "1 GiB random file",
    ),
    Job(
        "dir_100m_x10",
        ("dir_100m_x10",),
        _dir_x10,
        sizes=lambda q: f"{20 if q else 100} x 1 MiB (half text, half random) into 10 runs",
    ),
    Job(
        "small_files_10k",
        ("small_files_10k",),
        _small_files,
        sizes=lambda q: f"{2000 if q else 10_000} x 1 KiB random files, one folder",
    ),
    Job(
        "download_256m",
        ("download_256m",),
        _download,
        sizes=lambda q: f"{64 if q else 256} MiB random file",
    ),
    Job(
        "metrics_single_10k",
        ("metrics_single_10k",),
        lambda data, q: {"n": 1000 if q else 10_000},
        sizes=lambda q: f"{1000 if q else 10_000} log_metric calls",
    ),
    Job(
        "metrics_batched_100k",
        ("metrics_batched_100k",),
        lambda data, q: {"n": 10_000 if q else 100_000, "chunk": 1000},
        sizes=lambda q: f"{10_000 if q else 100_000} points, log_batch of 1000",
    ),
    Job(
        "runs_search",
        ("runs_2000", "search"),
        lambda data, q: {"n": 200 if q else 2000, "searches": 5},
        sizes=lambda q: f"{200 if q else 2000} runs x (5 params + 5 metrics); median of 5 searches",
    ),
    Job(
        "log_model_sklearn",
        ("log_model_sklearn",),
        _model_params,
        sizes=lambda q: "RandomForest(100) on iris, first call in the process",
    ),
    Job(
        "log_model_registered",
        ("log_model_registered",),
        _model_params,
        sizes=lambda q: "as above + registered_model_name",
    ),
    Job("load_predict", ("load_predict",), sizes=lambda q: "load_model + predict(150 rows)"),
]


def select_jobs(only: list[str] | None) -> list[Job]:
    if not only:
        return JOBS
    known = {n: j for j in JOBS for n in (j.name, *j.produces)}
    known.update({n + s: j for j in JOBS for s, _ in j.archivist_variants for n in j.produces})
    unknown = [n for n in only if n not in known]
    if unknown:
        sys.exit(f"unknown workload(s) {unknown}; choose from {sorted(known)}")
    wanted = {known[n].name for n in only}
    return [j for j in JOBS if j.name in wanted]


# --- interpreters --------------------------------------------------------------------------


def mlflow_python() -> Path:
    """The MLflow venv's interpreter, creating the venv first if it is missing."""
    python = VENV / "bin" / "python"
    check = "import mlflow, sklearn; assert mlflow.__version__ == '3.17.2', mlflow.__version__"
    if (
        python.exists()
        and subprocess.run([python, "-c", check], capture_output=True).returncode == 0
    ):
        return python
    print(f"creating {VENV} with {MLFLOW_PIN} scikit-learn (a few minutes)...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
    subprocess.run([python, "-m", "pip", "install", "-q", MLFLOW_PIN, "scikit-learn"], check=True)
    subprocess.run([python, "-c", check], check=True)
    return python


def archivist_problem() -> str | None:
    """Why the archivist side cannot run yet, or None."""
    proc = subprocess.run(
        [sys.executable, "-c", "import archivist; archivist.start_run"],
        capture_output=True,
        text=True,
        env=child_env({}),
    )
    if proc.returncode == 0:
        return None
    last = (proc.stderr.strip().splitlines() or ["?"])[-1]
    return f"archivist's fluent API is not importable yet: {last}"


def child_env(extra: dict[str, str]) -> dict[str, str]:
    """The parent's environment without ARCHIVIST_*/MLFLOW_* settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARCHIVIST_", "MLFLOW_"))}
    env.pop("PYTHONPATH", None)
    # Telemetry off: a background network call is no part of storing data.
    env.update({"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"})
    env.update(extra)
    return env


def versions(python: Path | str, packages: list[str]) -> dict[str, str]:
    code = (
        "import json, importlib.metadata as m, sys\n"
        "out = {}\n"
        "for p in sys.argv[1:]:\n"
        "    try: out[p] = m.version(p)\n"
        "    except m.PackageNotFoundError: out[p] = 'not installed'\n"
        "print(json.dumps(out))"
    )
    proc = subprocess.run([python, "-c", code, *packages], capture_output=True, text=True)
    return json.loads(proc.stdout) if proc.returncode == 0 else {}


def git_state() -> str:
    """The commit Archivist was measured at, with '+ uncommitted changes' when dirty."""
    head = subprocess.run(
        ["git", "-C", str(ROOT), "log", "-1", "--format=%h %s"], capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no", "--", "src"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return f"{head or 'unknown'}{' + uncommitted changes in src/' if dirty else ''}"


# --- running -------------------------------------------------------------------------------


def run_child(python: Path | str, job: Job, lib: str, params: dict, env: dict[str, str]) -> dict:
    """Run one job in a fresh interpreter and working directory; return its parsed result."""
    work = Path(tempfile.mkdtemp(prefix=f"{job.name}-{lib}-", dir=TMP))
    if lib == "mlflow":
        env = {**env, "MLFLOW_TRACKING_URI": f"sqlite:///{work}/mlflow.db"}
    os.sync()  # earlier children's dirty pages are not this child's to flush
    cmd = [str(python), str(WORKLOADS), job.name, lib, json.dumps(params)]
    try:
        proc = subprocess.run(
            cmd, cwd=work, env=child_env(env), capture_output=True, text=True, timeout=CHILD_TIMEOUT
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {CHILD_TIMEOUT} s"}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("BENCH_RESULT "):
            return json.loads(line.removeprefix("BENCH_RESULT "))
    tail = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()][-1:] or ["no output"]
    return {"error": f"exit {proc.returncode}: {tail[0]}", "stderr": proc.stderr[-4000:]}


def record(results: report.Results, lib: str, job: Job, suffix: str, out: dict) -> None:
    for name in job.produces:
        if isinstance(out.get(name), dict):
            entry = {**out[name], "child_max_rss_kib": out.get("max_rss_kib")}
        else:
            entry = {k: out[k] for k in ("skipped", "error") if k in out} or {
                "error": f"child printed no '{name}'"
            }
        results.setdefault(lib, {}).setdefault(name + suffix, []).append(entry)


def describe(out: dict, job: Job) -> str:
    if "skipped" in out:
        return "skipped"
    if "error" in out:
        return f"ERROR {out['error']}"
    return "  ".join(f"{n}={out[n]['seconds']:.3f}s" for n in job.produces if n in out)


def run_jobs(
    jobs: list[Job],
    libs: list[str],
    repeat: int,
    quick: bool,
    pythons: dict[str, Path | str],
    env: dict[str, str],
) -> report.Results:
    results: report.Results = {}
    for job in jobs:
        data = TMP / "data" / job.name
        t0 = time.perf_counter()
        params = job.params(data, quick)
        if data.exists():
            print(f"[{job.name}] data ready in {time.perf_counter() - t0:.1f}s", flush=True)
        sides = []
        for lib in libs:
            sides.append((lib, "", env))
            if lib == "archivist":
                sides += [(lib, s, {**env, **extra}) for s, extra in job.archivist_variants]
        try:
            for rep in range(repeat):
                for lib, suffix, side_env in sides:
                    out = run_child(pythons[lib], job, lib, params, side_env)
                    record(results, lib, job, suffix, out)
                    label = f"{lib}{suffix}"
                    print(
                        f"[{job.name}] {rep + 1}/{repeat} {label:<18} {describe(out, job)}",
                        flush=True,
                    )
                    if "stderr" in out:
                        print("    " + "\n    ".join(out["stderr"].splitlines()[-15:]))
                    if "skipped" in out:
                        sides = [s for s in sides if s[0] != lib]  # a skip will not change
        finally:
            shutil.rmtree(data, ignore_errors=True)
    return results


# --- RESULTS.md ----------------------------------------------------------------------------


def machine() -> dict[str, str]:
    mem = cpu = fs = "?"
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / (1 << 20):.1f} GiB"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    best = ""
    with open("/proc/mounts") as f:
        for line in f:
            dev, mnt, kind = line.split()[:3]
            if str(TMP).startswith(mnt) and len(mnt) > len(best):
                best, fs = mnt, f"{kind} ({dev} on {mnt})"
    return {
        "cpu": cpu,
        "nproc": str(os.cpu_count()),
        "memory": mem,
        "kernel": platform.release(),
        "filesystem": fs,
        "python": platform.python_version(),
    }


def method_notes() -> str:
    """The "How it measures" section of bench/README.md, so the method is written once."""
    text = (BENCH / "README.md").read_text()
    body = text.split("## How it measures", 1)[1]
    return body.split("\n## ", 1)[0].strip() + "\n"


def write_results(
    path: Path,
    results: report.Results,
    jobs: list[Job],
    args: argparse.Namespace,
    extra_notes: list[str],
    vers: dict[str, dict[str, str]],
    elapsed: float,
    load: dict[str, tuple[float, float, float]],
) -> None:
    now = dt.datetime.now().astimezone()
    facts = machine()
    facts["load average (1, 5, 15 min)"] = ", ".join(
        f"{when} {' '.join(f'{x:.2f}' for x in values)}" for when, values in load.items()
    )
    out = [
        "# Archivist vs MLflow benchmark results",
        "",
        f"Written by `{' '.join(['python bench/run.py', *sys.argv[1:]])}` on {now:%Y-%m-%d %H:%M %Z}"
        f" ({'quick sizes: targets are for full sizes' if args.quick else 'full sizes'}, "
        f"{args.repeat} repeat(s), "
        f"{elapsed / 60:.1f} min). Re-run to overwrite.",
        "",
        "## Machine",
        "",
        *[f"- {k}: {v}" for k, v in facts.items()],
        "",
        "## Versions",
        "",
        *[f"- {env}: " + ", ".join(f"{p} {v}" for p, v in pk.items()) for env, pk in vers.items()],
        "",
        "## Time (median seconds)",
        "",
        report.markdown(*report.time_table(results)),
        "",
        "## Storage",
        "",
        report.markdown(*report.storage_table(results)),
        "",
        "### All repeats (seconds, in run order)",
        "",
        report.markdown(*report.repeats_table(results)),
        "",
        "## Sizes",
        "",
        *[f"- {j.name}: {j.sizes(args.quick)}" for j in jobs],
        "",
        "## How it measures",
        "",
        method_notes(),
    ]
    if extra_notes:
        out += ["## Skipped or failed", "", *[f"- {n}" for n in extra_notes], ""]
    out += [
        "## Raw results",
        "",
        "One JSON object per child, per library and measurement, in run order.",
        "",
        "```json",
        json.dumps(_raw(results), indent=1),
        "```",
        "",
    ]
    old = path.read_text() if path.exists() else ""
    kept = ""  # bench/server_bench.py's section survives a re-run of this bench
    if SERVER_MARKER in old:
        old, kept = old.split(SERVER_MARKER, 1)
        kept = SERVER_MARKER + kept
    path.write_text("\n".join(out) + _kept_sections(old) + ("\n" + kept if kept else ""))


def _kept_sections(old: str) -> str:
    """Sections other bench scripts own (``<!-- bench/NAME begin -->`` .. ``end -->``)."""
    import re

    pattern = r"<!-- (bench/\S+) begin -->.*?<!-- \1 end -->"
    return "".join(f"\n{m.group(0)}\n" for m in re.finditer(pattern, old, flags=re.S))


def _raw(results: report.Results) -> dict:
    return {
        lib: {
            name: [{k: v for k, v in r.items() if k != "stderr"} for r in runs]
            for name, runs in per_lib.items()
        }
        for lib, per_lib in results.items()
    }


def print_profiles(folder: Path, top: int = 25) -> None:
    import pstats

    for path in sorted(folder.glob("*.prof")):
        print(f"\n===== {path} (by own time) =====")
        pstats.Stats(str(path)).sort_stats("tottime").print_stats(top)


# --- main ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, 1 repeat")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these workloads")
    parser.add_argument("--repeat", type=int, help="repeats per library (default 3, quick 1)")
    parser.add_argument(
        "--libs", nargs="+", choices=["archivist", "mlflow"], default=["archivist", "mlflow"]
    )
    parser.add_argument("--output", type=Path, default=BENCH / "RESULTS.md")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="run the timed blocks under cProfile, write DIR/<lib>-<workload>.prof and print "
        "the hot spots (timings are inflated, so RESULTS.md is not written)",
    )
    args = parser.parse_args()
    args.repeat = args.repeat or (1 if args.quick else 3)
    jobs = select_jobs(args.only)

    TMP.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    pythons: dict[str, Path | str] = {}
    libs = list(args.libs)
    if "mlflow" in libs:
        pythons["mlflow"] = mlflow_python()
    if "archivist" in libs:
        problem = archivist_problem()
        if problem:
            print(f"skipping archivist: {problem}", flush=True)
            notes.append(problem)
            libs.remove("archivist")
        else:
            pythons["archivist"] = sys.executable
    for lib in libs:  # first import compiles bytecode; keep that out of the measurements
        subprocess.run([pythons[lib], "-c", f"import {lib}"], env=child_env({}), check=False)

    env = {}
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
        env["BENCH_PROFILE"] = str(args.profile.resolve())
    source = git_state()
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    try:
        results = run_jobs(jobs, libs, args.repeat, args.quick, pythons, env)
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    elapsed = time.perf_counter() - t0
    load = {"before": load_before, "after": os.getloadavg()}

    mode = "quick sizes: targets are for full sizes" if args.quick else "full sizes"
    title = f"Archivist vs MLflow ({mode}, median of {args.repeat})"
    report.print_rich(title, *report.time_table(results))
    report.print_rich("Storage (st_blocks * 512)", *report.storage_table(results))
    notes += report.problems(results)
    for n in notes:
        print(f"note: {n}")
    if args.profile:
        print_profiles(args.profile)
        return
    vers = {
        "archivist source (at start)": {"git": source},
        "archivist env": versions(
            sys.executable, ["archivist", "sqlalchemy", "blake3", "zstandard", "scikit-learn"]
        ),
    }
    if "mlflow" in pythons:
        vers["mlflow venv"] = versions(pythons["mlflow"], ["mlflow", "sqlalchemy", "scikit-learn"])
    write_results(args.output, results, jobs, args, notes, vers, elapsed, load)
    print(f"wrote {args.output} ({elapsed / 60:.1f} min)")


if __name__ == "__main__":
    main()
