"""Registered model and model version searches, compiled to SQL.

The filter language is the AND-only subset of MLflow's (no OR, no parentheses), parsed by
:mod:`archivist.stores.search_grammar`:

- registered models: ``name`` (``=``, ``!=``, ``LIKE``, ``ILIKE``, ``IN``, ``NOT IN``) and
  ``tags.<key>`` (``=``, ``!=``, ``LIKE``, ``ILIKE``); sortable by ``name``,
  ``creation_timestamp`` and ``last_updated_timestamp`` (or ``timestamp``); ties go by name.
- model versions: ``name``, ``run_id``, ``source_path``, ``model_id`` as ``name`` above,
  ``version_number`` (``=``, ``!=``, ``<``, ``<=``, ``>``, ``>=``, ``IN``, ``NOT IN``, the
  number bare or quoted) and ``tags.<key>``; sortable by ``name``, ``version_number`` and
  the two timestamps; ties go by name, then newest version first.

Unlike run search, ``tags.k != 'v'`` also matches models without tag ``k``, and ``!=`` /
``NOT IN`` on ``run_id`` or ``model_id`` also match versions without one: MLflow's client
sends ``tag.`mlflow.prompt.is_prompt` != 'true'`` with every registered-model search and
expects ordinary models back.
"""

from __future__ import annotations

from collections.abc import Sequence

from archivist.stores.db.schema import metadata
from archivist.stores.tracking.search import RunSearch, SearchTables, compile_search

__all__ = ["compile_model_version_search", "compile_registered_model_search"]

_MODEL_TABLES = SearchTables(
    table=metadata.tables["registered_models"],
    key_tables={"tag": metadata.tables["registered_model_tags"]},
    owner_columns=("name",),
    negation_matches_missing=True,
)
_VERSION_TABLES = SearchTables(
    table=metadata.tables["model_versions"],
    key_tables={"tag": metadata.tables["model_version_tags"]},
    owner_columns=("name", "version"),
    negation_matches_missing=True,
)


def compile_registered_model_search(
    filter_string: str | None, order_by: Sequence[str] | None, *, dialect: str
) -> RunSearch:
    """Compile a registered model search to SQL against the ``registered_models`` table.

    Raises:
        MalformedFilter: the filter or an order-by clause does not parse.

    Example::

        >>> s = compile_registered_model_search("name LIKE 'churn%'", None, dialect="sqlite")
        >>> len(s.where), len(s.order_by)
        (1, 1)
    """
    return compile_search(
        "registered_model", _MODEL_TABLES, filter_string, order_by, dialect=dialect
    )


def compile_model_version_search(
    filter_string: str | None, order_by: Sequence[str] | None, *, dialect: str
) -> RunSearch:
    """Compile a model version search to SQL against the ``model_versions`` table.

    Deleted versions are tombstones in that table; the caller excludes them.

    Raises:
        MalformedFilter: the filter or an order-by clause does not parse.

    Example::

        >>> s = compile_model_version_search("version_number >= 2", None, dialect="sqlite")
        >>> len(s.where), len(s.order_by)
        (1, 2)
    """
    return compile_search(
        "model_version", _VERSION_TABLES, filter_string, order_by, dialect=dialect
    )
