"""One search cannot tie up the database (issue 7: 1,000 OR terms failed on SQLite with
"Expression tree is too large"; 20,000 ran for 271 s on PostgreSQL)."""

from __future__ import annotations

import pytest

from archivist.client import ArchivistClient
from archivist.errors import InvalidArgument, MalformedFilter
from archivist.stores.search_grammar import (
    MAX_FILTER_COMPARISONS,
    MAX_FILTER_LENGTH,
    MAX_FILTER_LIST_VALUES,
    MAX_ORDER_BY_CLAUSES,
)


@pytest.fixture
def client(tracking_uri: str) -> ArchivistClient:
    return ArchivistClient(tracking_uri)


def _ors(n: int, term: str = "metrics.m = {i}") -> str:
    return " OR ".join(term.format(i=i) for i in range(n))


def test_run_filters_are_capped_with_a_clear_error(client: ArchivistClient) -> None:
    eid = client.create_experiment("e")
    for i in range(3):
        run = client.create_run(eid)
        client.log_metric(run.info.run_id, "m", i)
        client.log_param(run.info.run_id, "p", str(i))
    # at the limit: answered, on both backends
    assert len(client.search_runs([eid], _ors(MAX_FILTER_COMPARISONS))) == 3
    assert len(client.search_runs([eid], _ors(MAX_FILTER_COMPARISONS, "params.p = '{i}'"))) == 3
    for n in (MAX_FILTER_COMPARISONS + 1, 1000):
        with pytest.raises(MalformedFilter) as err:
            client.search_runs([eid], _ors(n))
        message = str(err.value)
        assert f"more than {MAX_FILTER_COMPARISONS} comparisons" in message
        assert "IN (" in message and len(message) < 800
    values = ", ".join(f"'{i}'" for i in range(MAX_FILTER_LIST_VALUES + 1))
    with pytest.raises(MalformedFilter, match=f"more than {MAX_FILTER_LIST_VALUES} values in IN"):
        client.search_runs([eid], f"params.p IN ({values})")
    ok = ", ".join(f"'{i}'" for i in range(MAX_FILTER_LIST_VALUES))
    assert len(client.search_runs([eid], f"params.p IN ({ok})")) == 3
    long_filter = "params.p = '" + "x" * MAX_FILTER_LENGTH + "'"
    with pytest.raises(InvalidArgument, match=f"the limit is {MAX_FILTER_LENGTH:,}"):
        client.search_runs([eid], long_filter)
    with pytest.raises(MalformedFilter, match=f"the limit is {MAX_ORDER_BY_CLAUSES}"):
        client.search_runs([eid], order_by=[f"metrics.k{i} DESC" for i in range(MAX_ORDER_BY_CLAUSES + 1)])


def test_other_searches_share_the_caps(client: ArchivistClient) -> None:
    client.create_registered_model("model")
    too_many = _ors(MAX_FILTER_COMPARISONS + 1, "name = 'model{i}'").replace(" OR ", " AND ")
    with pytest.raises(MalformedFilter, match="comparisons"):
        client.search_registered_models(too_many)
    with pytest.raises(MalformedFilter, match="comparisons"):
        client.search_model_versions(too_many)
    with pytest.raises(MalformedFilter, match="comparisons"):
        client.search_experiments(filter_string=_ors(1000, "name = 'e{i}'"))
    assert [m.name for m in client.search_registered_models("name = 'model'")] == ["model"]
