"""Runs as a pandas DataFrame, in MLflow's column layout."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from archivist.entities import Run
from archivist.errors import missing

__all__ = ["runs_to_frame"]


def runs_to_frame(runs: Sequence[Run]) -> Any:
    try:
        import pandas as pd
    except ImportError:
        raise missing("pandas", "pandas", "search_runs(output_format='pandas')") from None
    metric_keys = sorted({k for r in runs for k in r.data.metrics})
    param_keys = sorted({k for r in runs for k in r.data.params})
    tag_keys = sorted({k for r in runs for k in r.data.tags})
    columns: dict[str, list[Any]] = {
        "run_id": [], "experiment_id": [], "status": [], "artifact_uri": [],
        "start_time": [], "end_time": [],
    }
    for k in metric_keys:
        columns[f"metrics.{k}"] = []
    for k in param_keys:
        columns[f"params.{k}"] = []
    for k in tag_keys:
        columns[f"tags.{k}"] = []
    for r in runs:
        i = r.info
        columns["run_id"].append(i.run_id)
        columns["experiment_id"].append(i.experiment_id)
        columns["status"].append(i.status)
        columns["artifact_uri"].append(i.artifact_uri)
        columns["start_time"].append(i.start_time)
        columns["end_time"].append(i.end_time)
        for k in metric_keys:
            columns[f"metrics.{k}"].append(r.data.metrics.get(k))
        for k in param_keys:
            columns[f"params.{k}"].append(r.data.params.get(k))
        for k in tag_keys:
            columns[f"tags.{k}"].append(r.data.tags.get(k))
    frame = pd.DataFrame(columns)
    for col in ("start_time", "end_time"):
        frame[col] = pd.to_datetime(frame[col], unit="ms", utc=True)
    for k in metric_keys:
        frame[f"metrics.{k}"] = frame[f"metrics.{k}"].astype("float64")
    return frame
