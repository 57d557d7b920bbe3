"""search_runs over ``datasets.name|digest|context`` (MLflow's dataset filters), in SQL on
SQLite and PostgreSQL."""

from __future__ import annotations

import pandas as pd
import pytest

import archivist
import archivist.data
from archivist.errors import MalformedFilter


def _names(filter_string: str) -> list[str]:
    runs = archivist.search_runs(filter_string=filter_string, output_format="list")
    return sorted(r.info.run_name for r in runs)


def test_runs_filtered_by_the_datasets_they_used(tracking_uri: str) -> None:
    archivist.set_tracking_uri(tracking_uri)
    train = archivist.data.from_pandas(pd.DataFrame({"x": [1, 2]}), name="iris-train")
    test = archivist.data.from_pandas(pd.DataFrame({"x": [3]}), name="iris-test")
    with archivist.start_run(run_name="a"):
        archivist.log_input(train, context="training")
        archivist.log_input(test, context="test")
    with archivist.start_run(run_name="b"):
        archivist.log_input(train, context="training")
    with archivist.start_run(run_name="c"):
        archivist.log_param("p", 1)
    assert _names("datasets.name = 'iris-test'") == ["a"]
    assert _names("datasets.name LIKE 'iris-%'") == ["a", "b"]
    assert _names("datasets.context IN ('test', 'validation')") == ["a"]
    assert _names(f"datasets.digest = '{train.digest}' AND datasets.context = 'training'") == [
        "a", "b",
    ]
    assert _names("datasets.name != 'iris-train'") == ["a"]  # a run with another dataset
    assert _names("datasets.name = 'iris-train' OR params.p = '1'") == ["a", "b", "c"]
    with pytest.raises(MalformedFilter, match="unknown dataset field 'size'"):
        _names("datasets.size = '1'")
    with pytest.raises(MalformedFilter):
        archivist.search_runs(order_by=["datasets.name"])
