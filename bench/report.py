"""What each measurement is compared on, and the tables that show it (console and markdown)."""

from __future__ import annotations

import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

MiB = 1 << 20

# results[lib][measurement] -> one dict per repeat, as printed by workloads.py
Results = dict[str, dict[str, list[dict]]]


@dataclass(frozen=True, slots=True)
class Summary:
    """Medians over the repeats of one measurement, for both libraries."""

    archivist: dict[str, float] = field(default_factory=dict)
    mlflow: dict[str, float] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        a, m = self.archivist.get("seconds"), self.mlflow.get("seconds")
        if a is None or m is None:
            return None
        return m / a if a > 0 else float("inf")


@dataclass(frozen=True, slots=True)
class Row:
    name: str
    target: str
    met: Callable[[Summary], bool | None] = lambda s: None
    mlflow_name: str | None = None  # compare with another MLflow measurement (variants)


def _ratio_at_least(x: float) -> Callable[[Summary], bool | None]:
    return lambda s: None if s.ratio is None else s.ratio >= x


def _under(seconds: float) -> Callable[[Summary], bool | None]:
    return lambda s: None if "seconds" not in s.archivist else s.archivist["seconds"] <= seconds


def _again(s: Summary) -> bool | None:
    if "seconds" not in s.archivist:
        return None
    return s.archivist["seconds"] <= 0.3 and s.archivist.get("extra_bytes", 1) <= 0


def _stored_once(s: Summary) -> bool | None:
    r = s.archivist.get("stored_over_unique")
    return None if r is None else r <= 1.05


TIME_ROWS = [
    Row("import", "≥ 20x", _ratio_at_least(20)),
    Row("new_store", "well under 1 s (≤ 0.5 s)", _under(0.5)),
    Row("artifact_1g_first", "— (info: fsync on)"),
    Row(
        "artifact_1g_first_nofsync",
        "≥ 1x (no slower)",
        _ratio_at_least(1.0),
        mlflow_name="artifact_1g_first",
    ),
    Row("artifact_1g_again", "≤ 0.3 s and +0 B", _again),
    Row("artifact_1g_again_nofsync", "— (info)", mlflow_name="artifact_1g_again"),
    Row("dir_100m_x10", "stored ≈ once", _stored_once),
    Row("small_files_10k", "≥ 8x", _ratio_at_least(8)),
    Row("download_256m", "— (info)"),
    Row("metrics_single_10k", "≥ 20x", _ratio_at_least(20)),
    Row("metrics_batched_100k", "≥ 30x", _ratio_at_least(30)),
    Row("runs_2000", "≥ 15x", _ratio_at_least(15)),
    Row("search", "≥ 10x", _ratio_at_least(10)),
    Row("log_model_sklearn", "≥ 30x", _ratio_at_least(30)),
    Row("log_model_registered", "≥ 30x (assumed as above)", _ratio_at_least(30)),
    Row("load_predict", "≥ 1x (no slower)", _ratio_at_least(1.0)),
]

# (measurement, field shown, target) for the storage table; bytes are st_blocks * 512.
STORAGE_ROWS = [
    ("artifact_1g_first", "bytes_stored", "—"),
    ("artifact_1g_first_nofsync", "bytes_stored", "—"),
    ("artifact_1g_again", "extra_bytes", "+0 B"),
    ("dir_100m_x10", "bytes_stored", "≈ unique bytes"),
    ("small_files_10k", "bytes_stored", "—"),
    ("metrics_batched_100k", "metadata_bytes", "—"),
    ("runs_2000", "metadata_bytes", "—"),
]


def _median_fields(runs: list[dict]) -> dict[str, float]:
    ok = [r for r in runs if "error" not in r and "skipped" not in r]
    keys = {k for r in ok for k, v in r.items() if isinstance(v, int | float)}
    return {k: statistics.median(r[k] for r in ok if k in r) for k in keys}


def _status(runs: list[dict]) -> str | None:
    """'skipped' / 'error' when no repeat produced a number."""
    if not runs:
        return "not run"
    if any("seconds" in r for r in runs):
        return None
    return "skipped" if any("skipped" in r for r in runs) else "error"


def summarize(results: Results, row: Row) -> tuple[Summary, dict[str, str | None]]:
    a_runs = results.get("archivist", {}).get(row.name, [])
    m_runs = results.get("mlflow", {}).get(row.mlflow_name or row.name, [])
    summary = Summary(_median_fields(a_runs), _median_fields(m_runs))
    return summary, {"archivist": _status(a_runs), "mlflow": _status(m_runs)}


def present_rows(results: Results) -> list[Row]:
    names = {n for per_lib in results.values() for n in per_lib}
    return [r for r in TIME_ROWS if r.name in names or r.mlflow_name in names]


def _secs(summary_side: dict[str, float], status: str | None) -> str:
    if status:
        return status
    s = summary_side["seconds"]
    return f"{s:.3f}" if s >= 0.01 else f"{s * 1000:.2f} ms"


def _bytes(n: float | None) -> str:
    if n is None:
        return "—"
    if abs(n) < MiB:
        return f"{n:,.0f} B"
    return f"{n / MiB:,.1f} MiB"


def time_table(results: Results) -> tuple[list[str], list[list[str]]]:
    header = ["workload", "archivist s", "mlflow s", "mlflow/archivist", "target", "met"]
    rows = []
    for row in present_rows(results):
        s, status = summarize(results, row)
        ratio = s.ratio
        met = row.met(s)
        rows.append(
            [
                row.name,
                _secs(s.archivist, status["archivist"]),
                _secs(s.mlflow, status["mlflow"]),
                "—" if ratio is None else f"{ratio:,.1f}x",
                row.target,
                {True: "yes", False: "NO", None: "—"}[met],
            ]
        )
    return header, rows


def storage_table(results: Results) -> tuple[list[str], list[list[str]]]:
    header = ["workload", "what", "archivist", "mlflow", "target"]
    rows = []
    for name, key, target in STORAGE_ROWS:
        row = next(r for r in TIME_ROWS if r.name == name)
        if row not in present_rows(results):
            continue
        s, _ = summarize(results, row)
        a, m = s.archivist.get(key), s.mlflow.get(key)
        a_txt, m_txt = _bytes(a), _bytes(m)
        if name == "dir_100m_x10":
            unique = s.archivist.get("unique_bytes") or s.mlflow.get("unique_bytes")
            if unique:
                a_txt += "" if a is None else f" ({a / unique:.2f}x unique)"
                m_txt += "" if m is None else f" ({m / unique:.2f}x unique)"
        rows.append([name, key.replace("_", " "), a_txt, m_txt, target])
    return header, rows


def repeats_table(results: Results) -> tuple[list[str], list[list[str]]]:
    """Every repeat's seconds, in run order, to show the spread behind each median."""
    header = ["workload", "archivist s", "mlflow s"]

    def cell(runs: list[dict]) -> str:
        return ", ".join(f"{r['seconds']:.3f}" if "seconds" in r else "—" for r in runs) or "—"

    rows = []
    for row in present_rows(results):
        a_runs = results.get("archivist", {}).get(row.name, [])
        m_runs = results.get("mlflow", {}).get(row.mlflow_name or row.name, [])
        rows.append([row.name, cell(a_runs), cell(m_runs)])
    return header, rows


def markdown(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def print_rich(title: str, header: list[str], rows: list[list[str]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for i, h in enumerate(header):
        table.add_column(h, justify="left" if i == 0 or h == "target" else "right")
    for r in rows:
        style = {"NO": "red", "yes": "green"}.get(r[-1])
        table.add_row(*r, style=style)
    Console(width=None if sys.stdout.isatty() else 130).print(table)


def problems(results: Results) -> list[str]:
    """One line per skipped or failed child, deduplicated."""
    seen: dict[str, None] = {}
    for lib, per_lib in results.items():
        for name, runs in per_lib.items():
            for r in runs:
                msg = r.get("skipped") or r.get("error")
                if msg:
                    kind = "skipped" if "skipped" in r else "error"
                    seen[f"{lib} {name}: {kind}: {msg}"] = None
    return list(seen)
