"""Model registry on SQL, sharing the tracking store's database.

Version numbers count up per registered model and are never reused: deleting a version
leaves a tombstone row (stage ``Deleted_Internal``, as in MLflow) that every read skips,
so ``models:/name/3`` never comes to mean a different model. Deleting the registered
model removes everything, tombstones included, and a new model of that name starts at 1.

Numbering is safe across processes: :meth:`SqlRegistryStore.create_model_version` takes
the next number inside its write transaction after locking the model's row (SQLite's
``BEGIN IMMEDIATE`` serializes writers; on PostgreSQL the upsert of the
``registered_models`` row holds its row lock until commit).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    Row,
    Table,
    and_,
    delete,
    func,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.exc import IntegrityError

from archivist.entities.registry import (
    ModelVersion,
    ModelVersionStage,
    ModelVersionStatus,
    RegisteredModel,
)
from archivist.errors import InvalidArgument, ResourceAlreadyExists, ResourceNotFound
from archivist.stores.db.engine import Database
from archivist.stores.db.schema import (
    ModelVersionRow,
    ModelVersionTagRow,
    RegisteredModelAliasRow,
    RegisteredModelRow,
    RegisteredModelTagRow,
)
from archivist.stores.registry.search import (
    compile_model_version_search,
    compile_registered_model_search,
)
from archivist.stores.tracking.sql import _decode_token, _encode_token, now_ms
from archivist.validation import (
    check_key,
    check_registered_model_name,
    check_run_id,
    check_tag_value,
    check_text,
)

__all__ = ["SqlRegistryStore"]

MODELS: Table = RegisteredModelRow.__table__  # type: ignore[assignment]
MODEL_TAGS: Table = RegisteredModelTagRow.__table__  # type: ignore[assignment]
VERSIONS: Table = ModelVersionRow.__table__  # type: ignore[assignment]
VERSION_TAGS: Table = ModelVersionTagRow.__table__  # type: ignore[assignment]
ALIASES: Table = RegisteredModelAliasRow.__table__  # type: ignore[assignment]

MAX_DESCRIPTION_LENGTH = 5000
MAX_SOURCE_LENGTH = 1000
MAX_MODEL_ID_LENGTH = 64
MAX_RUN_LINK_LENGTH = 500
MAX_ALIAS_LENGTH = 256
MAX_MODELS_PER_PAGE = 1000
MAX_VERSIONS_PER_PAGE = 200_000

STAGES = tuple(s.value for s in ModelVersionStage)
DELETED_STAGE = "Deleted_Internal"
# The run link used to be stored as this hidden version tag. It has its own column now;
# the key stays refused as a version tag, as it always was, so callers see no change.
RUN_LINK_TAG = "archivist.run_link"

_ALIAS_RE = re.compile(r"^[\w\-]+$")
_VERSION_LIKE_RE = re.compile(r"^[vV]?[0-9]+$")
_CHUNK = 500

# ON CONFLICT has the same syntax on SQLite and PostgreSQL.
_INSERT_MODEL = text(
    "INSERT INTO registered_models (name, creation_time, last_updated_time, description) "
    "VALUES (:name, :ts, :ts, :description) ON CONFLICT (name) DO NOTHING"
)
# Creates the model if needed and, on PostgreSQL, holds its row lock until commit: the
# lock that serializes version numbering for one name.
_TOUCH_MODEL = text(
    "INSERT INTO registered_models (name, creation_time, last_updated_time) "
    "VALUES (:name, :ts, :ts) "
    "ON CONFLICT (name) DO UPDATE SET last_updated_time = excluded.last_updated_time"
)
_NEXT_VERSION = text("SELECT COALESCE(MAX(version), 0) + 1 FROM model_versions WHERE name = :name")
_UPSERT_MODEL_TAG = text(
    "INSERT INTO registered_model_tags (name, key, value) VALUES (:name, :key, :value) "
    "ON CONFLICT (name, key) DO UPDATE SET value = excluded.value"
)
_UPSERT_VERSION_TAG = text(
    "INSERT INTO model_version_tags (name, version, key, value) "
    "VALUES (:name, :version, :key, :value) "
    "ON CONFLICT (name, version, key) DO UPDATE SET value = excluded.value"
)
_UPSERT_ALIAS = text(
    "INSERT INTO registered_model_aliases (name, alias, version) VALUES (:name, :alias, :version) "
    "ON CONFLICT (name, alias) DO UPDATE SET version = excluded.version"
)


# --------------------------------------------------------------------------- checks


_check_name = check_registered_model_name


def _check_text(value: Any, what: str, limit: int) -> str | None:
    """An optional string column: None, or a string within the column's length."""
    if value is None:
        return None
    return _require_text(value, what, limit, allow_empty=True)


_require_text = check_text


def _check_version(version: Any) -> int:
    text_form = str(version) if isinstance(version, (int, str)) else ""
    if isinstance(version, bool) or not text_form.strip().isdigit() or int(text_form) < 1:
        raise InvalidArgument(
            f"model version {version!r} is invalid: versions are positive integers such as "
            "'1' (as returned by create_model_version)"
        )
    return int(text_form)


def _check_alias(alias: Any) -> str:
    if not isinstance(alias, str) or not alias:
        raise InvalidArgument(f"alias {alias!r} is invalid: give a non-empty string")
    if len(alias) > MAX_ALIAS_LENGTH:
        raise InvalidArgument(
            f"alias {alias[:40]!r}... is {len(alias)} characters long; the limit is "
            f"{MAX_ALIAS_LENGTH}"
        )
    if not _ALIAS_RE.match(alias):
        raise InvalidArgument(
            f"alias {alias!r} is invalid: aliases may contain only letters, digits, "
            "underscores (_) and dashes (-)"
        )
    if alias.lower() == "latest":
        raise InvalidArgument(
            f"alias {alias!r} is reserved: models:/<name>@latest always means the newest "
            "version; pick another alias such as 'champion'"
        )
    if _VERSION_LIKE_RE.match(alias):
        raise InvalidArgument(
            f"alias {alias!r} looks like a version number, which would make model URIs "
            "ambiguous; pick an alias that is not 'v<digits>' or digits, such as 'champion'"
        )
    return alias


def _check_stage(stage: Any) -> str:
    if isinstance(stage, str):
        for known in STAGES:
            if stage.lower() == known.lower():
                return known
    raise InvalidArgument(f"stage {stage!r} is invalid; use one of {', '.join(STAGES)}")


def _check_tags(tags: Mapping[str, str] | None, *, version_tags: bool = False) -> dict[str, str]:
    rows: dict[str, str] = {}
    for key, value in (tags or {}).items():
        rows[_check_tag_key(key, version_tags=version_tags)] = check_tag_value(key, value)
    return rows


def _check_tag_key(key: Any, *, version_tags: bool) -> str:
    check_key(key, "tag")
    if version_tags and key == RUN_LINK_TAG:
        raise InvalidArgument(
            f"tag key {key!r} is reserved for the version's run_link; pass run_link to "
            "create_model_version() instead"
        )
    return str(key)


def _optional(value: str | None) -> str | None:
    # proto3 clients send "" for an unset string field
    return value or None


def _check_page_size(max_results: Any, limit: int) -> int:
    if (
        isinstance(max_results, bool)
        or not isinstance(max_results, int)
        or not (1 <= max_results <= limit)
    ):
        raise InvalidArgument(
            f"max_results={max_results!r} is out of range; give an integer from 1 to {limit}"
        )
    return max_results


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


# --------------------------------------------------------------------------- store


class SqlRegistryStore:
    """Registered models, versions, tags and aliases in the tracking database.

    Args:
        db: the tracking store's :class:`Database`, so that both share one engine.

    Example::

        >>> tracking = SqlTrackingStore("sqlite:///archivist.db")
        >>> registry = SqlRegistryStore(tracking.db)
        >>> registry.create_model_version("churn", "models:/m-1234").version
        '1'
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self.dialect = db.dialect

    # ------------------------------------------------------------ registered models
    def create_registered_model(
        self,
        name: str,
        tags: Mapping[str, str] | None = None,
        description: str | None = None,
    ) -> RegisteredModel:
        """Create an empty registered model.

        Raises:
            InvalidArgument: the name, a tag or the description is invalid.
            ResourceAlreadyExists: a registered model of that name exists.
        """
        name = _check_name(name)
        tag_rows = _check_tags(tags)
        description = _check_text(description, "description", MAX_DESCRIPTION_LENGTH)
        with self.db.write() as conn:
            inserted = conn.execute(
                _INSERT_MODEL, {"name": name, "ts": now_ms(), "description": description}
            ).rowcount
            if not inserted:
                raise ResourceAlreadyExists(
                    f"registered model {name!r} already exists; pick another name, or add a "
                    "version to it with create_model_version()"
                )
            if tag_rows:
                conn.execute(
                    _UPSERT_MODEL_TAG,
                    [{"name": name, "key": k, "value": v} for k, v in tag_rows.items()],
                )
            return self._models(conn, [self._model_row(conn, name)])[0]

    def get_registered_model(self, name: str) -> RegisteredModel:
        name = _check_name(name)
        with self.db.read() as conn:
            return self._models(conn, [self._model_row(conn, name)])[0]

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        """Rename a model; its versions, tags and aliases follow it."""
        name = _check_name(name)
        new_name = _check_name(new_name, "new registered model name")
        ts = now_ms()
        try:
            with self.db.write() as conn:
                self._model_row(conn, name, lock=True)
                if new_name != name:
                    if self._find_model(conn, new_name) is not None:
                        raise self._rename_taken(name, new_name)
                    # registered_model_tags, model_versions and aliases follow by ON UPDATE
                    # CASCADE; model_version_tags has no foreign key.
                    conn.execute(update(MODELS).where(MODELS.c.name == name).values(name=new_name))
                    conn.execute(
                        update(VERSION_TAGS)
                        .where(VERSION_TAGS.c.name == name)
                        .values(name=new_name)
                    )
                conn.execute(
                    update(MODELS).where(MODELS.c.name == new_name).values(last_updated_time=ts)
                )
                conn.execute(
                    update(VERSIONS)
                    .where(VERSIONS.c.name == new_name, VERSIONS.c.current_stage != DELETED_STAGE)
                    .values(last_updated_time=ts)
                )
                return self._models(conn, [self._model_row(conn, new_name)])[0]
        except IntegrityError:  # a concurrent create took new_name
            raise self._rename_taken(name, new_name) from None

    @staticmethod
    def _rename_taken(name: str, new_name: str) -> ResourceAlreadyExists:
        return ResourceAlreadyExists(
            f"cannot rename registered model {name!r} to {new_name!r}: a registered model "
            f"named {new_name!r} already exists; pick another name or delete that model first"
        )

    def update_registered_model(self, name: str, description: str | None) -> RegisteredModel:
        name = _check_name(name)
        description = _check_text(description, "description", MAX_DESCRIPTION_LENGTH)
        with self.db.write() as conn:
            self._model_row(conn, name, lock=True)
            conn.execute(
                update(MODELS)
                .where(MODELS.c.name == name)
                .values(description=description, last_updated_time=now_ms())
            )
            return self._models(conn, [self._model_row(conn, name)])[0]

    def delete_registered_model(self, name: str) -> None:
        """Delete a model with all its versions, tags and aliases."""
        name = _check_name(name)
        with self.db.write() as conn:
            self._model_row(conn, name, lock=True)
            for table in (VERSION_TAGS, ALIASES, VERSIONS, MODEL_TAGS, MODELS):
                conn.execute(delete(table).where(table.c.name == name))

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int = 100,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> tuple[list[RegisteredModel], str | None]:
        """Find registered models.

        Args:
            filter_string: clauses joined by AND on ``name`` and ``tags.<key>`` with
                ``=``, ``!=``, ``LIKE``, ``ILIKE`` (and ``IN``/``NOT IN`` on name), e.g.
                ``"name LIKE 'churn%' AND tags.team = 'ml'"``. ``tags.k != 'v'`` also
                matches models without tag ``k``.
            max_results: page size, 1 to 1000.
            order_by: e.g. ``["last_updated_timestamp DESC"]``; ``name``,
                ``creation_timestamp`` and ``last_updated_timestamp`` (or ``timestamp``)
                are sortable; ties and the default go by name.
            page_token: the ``next_page_token`` of the previous page.

        Returns:
            ``(models, next_page_token)``; the token is None on the last page.

        Raises:
            MalformedFilter: the filter or an order-by clause does not parse.
            InvalidArgument: max_results or page_token is invalid.
        """
        _check_page_size(max_results, MAX_MODELS_PER_PAGE)
        offset = _decode_token(page_token)
        search = compile_registered_model_search(filter_string, order_by, dialect=self.dialect)
        stmt = (
            select(MODELS)
            .where(*search.where)
            .order_by(*search.order_by)
            .limit(max_results + 1)
            .offset(offset)
        )
        with self.db.read() as conn:
            rows = conn.execute(stmt).all()
            models = self._models(conn, rows[:max_results])
        more = len(rows) > max_results
        return models, _encode_token(offset + max_results) if more else None

    def set_registered_model_tag(self, name: str, key: str, value: str) -> None:
        name = _check_name(name)
        key = _check_tag_key(key, version_tags=False)
        value = check_tag_value(key, value)
        with self.db.write() as conn:
            self._model_row(conn, name, lock=True)
            conn.execute(_UPSERT_MODEL_TAG, {"name": name, "key": key, "value": value})

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        name = _check_name(name)
        with self.db.write() as conn:
            self._model_row(conn, name, lock=True)
            deleted = conn.execute(
                delete(MODEL_TAGS).where(MODEL_TAGS.c.name == name, MODEL_TAGS.c.key == key)
            ).rowcount
        if not deleted:
            raise ResourceNotFound(
                f"registered model {name!r} has no tag {key!r}; nothing was deleted"
            )

    # ------------------------------------------------------------------- versions
    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: Mapping[str, str] | None = None,
        run_link: str | None = None,
        description: str | None = None,
        model_id: str | None = None,
    ) -> ModelVersion:
        """Register the next version of ``name``, creating the registered model if needed.

        Version numbers are 1, 2, 3... per model with no gaps or duplicates even when
        many processes register at once.

        Args:
            name: registered model name.
            source: where the model's files are, e.g. ``models:/m-<id>`` or a run's
                artifact URI.
            run_id: the run that produced the model.
            tags: version tags.
            run_link: a URL to the run.
            description: free text.
            model_id: the logged model's id.

        Raises:
            InvalidArgument: an argument is invalid; nothing is created.
        """
        name = _check_name(name)
        source = _require_text(source, "model version source", MAX_SOURCE_LENGTH)
        run_id = _optional(run_id)
        if run_id is not None:
            check_run_id(run_id)
        model_id = _check_text(_optional(model_id), "model_id", MAX_MODEL_ID_LENGTH)
        description = _check_text(description, "description", MAX_DESCRIPTION_LENGTH)
        tag_rows = _check_tags(tags, version_tags=True)
        run_link = _check_text(_optional(run_link), "run_link", MAX_RUN_LINK_LENGTH)
        ts = now_ms()
        with self.db.write() as conn:
            conn.execute(_TOUCH_MODEL, {"name": name, "ts": ts})
            version = int(conn.execute(_NEXT_VERSION, {"name": name}).scalar_one())
            conn.execute(
                VERSIONS.insert().values(
                    name=name,
                    version=version,
                    creation_time=ts,
                    last_updated_time=ts,
                    description=description,
                    user_id=None,
                    current_stage=ModelVersionStage.NONE.value,
                    source=source,
                    run_id=run_id,
                    run_link=run_link,
                    model_id=model_id,
                    status=ModelVersionStatus.READY.value,
                    status_message=None,
                )
            )
            if tag_rows:
                conn.execute(
                    _UPSERT_VERSION_TAG,
                    [
                        {"name": name, "version": version, "key": k, "value": v}
                        for k, v in tag_rows.items()
                    ],
                )
            return self._versions(conn, [self._version_row(conn, name, version)])[0]

    def get_model_version(self, name: str, version: str | int) -> ModelVersion:
        name = _check_name(name)
        number = _check_version(version)
        with self.db.read() as conn:
            return self._versions(conn, [self._version_row(conn, name, number)])[0]

    def update_model_version(
        self, name: str, version: str | int, description: str | None
    ) -> ModelVersion:
        name = _check_name(name)
        number = _check_version(version)
        description = _check_text(description, "description", MAX_DESCRIPTION_LENGTH)
        with self.db.write() as conn:
            self._version_row(conn, name, number)
            conn.execute(
                update(VERSIONS)
                .where(VERSIONS.c.name == name, VERSIONS.c.version == number)
                .values(description=description, last_updated_time=now_ms())
            )
            return self._versions(conn, [self._version_row(conn, name, number)])[0]

    def delete_model_version(self, name: str, version: str | int) -> None:
        """Delete a version, its tags and the aliases pointing at it.

        Its number is not reused: the next version registered still gets max + 1.
        """
        name = _check_name(name)
        number = _check_version(version)
        ts = now_ms()
        with self.db.write() as conn:
            self._version_row(conn, name, number)
            conn.execute(
                update(VERSIONS)
                .where(VERSIONS.c.name == name, VERSIONS.c.version == number)
                .values(
                    current_stage=DELETED_STAGE,
                    last_updated_time=ts,
                    description=None,
                    user_id=None,
                    source="",
                    run_id=None,
                    run_link=None,
                    model_id=None,
                    status_message=None,
                )
            )
            for table in (VERSION_TAGS, ALIASES):
                conn.execute(delete(table).where(table.c.name == name, table.c.version == number))
            conn.execute(update(MODELS).where(MODELS.c.name == name).values(last_updated_time=ts))

    def get_latest_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]:
        """The newest version in each of ``stages`` (all stages if None or empty), oldest first."""
        name = _check_name(name)
        if isinstance(stages, str):
            stages = [stages]
        wanted = [_check_stage(s) for s in stages or ()] or list(STAGES)
        with self.db.read() as conn:
            self._model_row(conn, name)
            latest = self._latest_versions(conn, [name])[name]
        return [v for v in latest if v.current_stage in wanted]

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int = 10_000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> tuple[list[ModelVersion], str | None]:
        """Find model versions.

        Args:
            filter_string: clauses joined by AND on ``name``, ``run_id``, ``source_path``,
                ``model_id`` (``=``, ``!=``, ``LIKE``, ``ILIKE``, ``IN``, ``NOT IN``),
                ``version_number`` (``=``, ``!=``, ``<``, ``<=``, ``>``, ``>=``, ``IN``,
                ``NOT IN``) and ``tags.<key>`` (``=``, ``!=``, ``LIKE``, ``ILIKE``), e.g.
                ``"name = 'churn' AND tags.validated = 'yes'"``.
            max_results: page size, 1 to 200000.
            order_by: e.g. ``["version_number DESC"]``; ``name``, ``version_number``,
                ``creation_timestamp`` and ``last_updated_timestamp`` (or ``timestamp``)
                are sortable; ties and the default go by name, then newest version first.
            page_token: the ``next_page_token`` of the previous page.

        Returns:
            ``(versions, next_page_token)``; the token is None on the last page.

        Raises:
            MalformedFilter: the filter or an order-by clause does not parse.
            InvalidArgument: max_results or page_token is invalid.
        """
        _check_page_size(max_results, MAX_VERSIONS_PER_PAGE)
        offset = _decode_token(page_token)
        search = compile_model_version_search(filter_string, order_by, dialect=self.dialect)
        stmt = (
            select(VERSIONS)
            .where(VERSIONS.c.current_stage != DELETED_STAGE, *search.where)
            .order_by(*search.order_by)
            .limit(max_results + 1)
            .offset(offset)
        )
        with self.db.read() as conn:
            rows = conn.execute(stmt).all()
            versions = self._versions(conn, rows[:max_results])
        more = len(rows) > max_results
        return versions, _encode_token(offset + max_results) if more else None

    def set_model_version_tag(self, name: str, version: str | int, key: str, value: str) -> None:
        name = _check_name(name)
        number = _check_version(version)
        key = _check_tag_key(key, version_tags=True)
        value = check_tag_value(key, value)
        with self.db.write() as conn:
            self._version_row(conn, name, number)
            conn.execute(
                _UPSERT_VERSION_TAG, {"name": name, "version": number, "key": key, "value": value}
            )

    def delete_model_version_tag(self, name: str, version: str | int, key: str) -> None:
        name = _check_name(name)
        number = _check_version(version)
        key = _check_tag_key(key, version_tags=True)
        with self.db.write() as conn:
            self._version_row(conn, name, number)
            deleted = conn.execute(
                delete(VERSION_TAGS).where(
                    VERSION_TAGS.c.name == name,
                    VERSION_TAGS.c.version == number,
                    VERSION_TAGS.c.key == key,
                )
            ).rowcount
        if not deleted:
            raise ResourceNotFound(
                f"version {number} of registered model {name!r} has no tag {key!r}; nothing "
                "was deleted"
            )

    def transition_model_version_stage(
        self,
        name: str,
        version: str | int,
        stage: str,
        archive_existing_versions: bool = False,
    ) -> ModelVersion:
        """Move a version to a stage (deprecated in MLflow in favour of aliases).

        With ``archive_existing_versions``, the other versions in ``stage`` (which must then
        be Staging or Production) move to Archived.
        """
        name = _check_name(name)
        number = _check_version(version)
        stage = _check_stage(stage)
        movable = (ModelVersionStage.STAGING.value, ModelVersionStage.PRODUCTION.value)
        if archive_existing_versions and stage not in movable:
            raise InvalidArgument(
                f"archive_existing_versions=True needs stage Staging or Production, not "
                f"{stage!r}; pass archive_existing_versions=False"
            )
        ts = now_ms()
        with self.db.write() as conn:
            self._model_row(conn, name, lock=True)
            self._version_row(conn, name, number)
            if archive_existing_versions:
                conn.execute(
                    update(VERSIONS)
                    .where(
                        VERSIONS.c.name == name,
                        VERSIONS.c.version != number,
                        VERSIONS.c.current_stage == stage,
                    )
                    .values(current_stage=ModelVersionStage.ARCHIVED.value, last_updated_time=ts)
                )
            conn.execute(
                update(VERSIONS)
                .where(VERSIONS.c.name == name, VERSIONS.c.version == number)
                .values(current_stage=stage, last_updated_time=ts)
            )
            conn.execute(update(MODELS).where(MODELS.c.name == name).values(last_updated_time=ts))
            return self._versions(conn, [self._version_row(conn, name, number)])[0]

    # -------------------------------------------------------------------- aliases
    def set_registered_model_alias(self, name: str, alias: str, version: str | int) -> None:
        """Point ``alias`` at an existing version (moving it if it pointed elsewhere)."""
        name = _check_name(name)
        alias = _check_alias(alias)
        number = _check_version(version)
        with self.db.write() as conn:
            self._model_row(conn, name, lock=True)
            if self._find_version(conn, name, number) is None:
                raise ResourceNotFound(
                    f"cannot point alias {alias!r} of registered model {name!r} at version "
                    f"{number}: that version does not exist; register it first or pick an "
                    "existing version"
                )
            conn.execute(_UPSERT_ALIAS, {"name": name, "alias": alias, "version": number})

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        name = _check_name(name)
        alias = _require_text(alias, "alias", MAX_ALIAS_LENGTH)
        with self.db.write() as conn:
            self._model_row(conn, name, lock=True)
            deleted = conn.execute(
                delete(ALIASES).where(ALIASES.c.name == name, ALIASES.c.alias == alias)
            ).rowcount
        if not deleted:
            raise ResourceNotFound(
                f"registered model {name!r} has no alias {alias!r}; nothing was deleted"
            )

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        name = _check_name(name)
        alias = _require_text(alias, "alias", MAX_ALIAS_LENGTH)
        with self.db.read() as conn:
            self._model_row(conn, name)
            number = conn.execute(
                select(ALIASES.c.version).where(ALIASES.c.name == name, ALIASES.c.alias == alias)
            ).scalar()
            if number is None:
                raise ResourceNotFound(
                    f"registered model {name!r} has no alias {alias!r}; set it with "
                    "set_registered_model_alias()"
                )
            return self._versions(conn, [self._version_row(conn, name, int(number))])[0]

    # -------------------------------------------------------------------- reading
    def _find_model(self, conn: Connection, name: str, *, lock: bool = False) -> Row[Any] | None:
        stmt = select(MODELS).where(MODELS.c.name == name)
        if lock and self.dialect == "postgresql":
            stmt = stmt.with_for_update()
        return conn.execute(stmt).first()

    def _model_row(self, conn: Connection, name: str, *, lock: bool = False) -> Row[Any]:
        row = self._find_model(conn, name, lock=lock)
        if row is None:
            raise ResourceNotFound(
                f"registered model {name!r} does not exist; create it with "
                "create_registered_model(), or list models with search_registered_models()"
            )
        return row

    @staticmethod
    def _find_version(conn: Connection, name: str, number: int) -> Row[Any] | None:
        return conn.execute(
            select(VERSIONS).where(
                VERSIONS.c.name == name,
                VERSIONS.c.version == number,
                VERSIONS.c.current_stage != DELETED_STAGE,
            )
        ).first()

    def _version_row(self, conn: Connection, name: str, number: int) -> Row[Any]:
        row = self._find_version(conn, name, number)
        if row is None:
            self._model_row(conn, name)  # a missing model gets its own message
            raise ResourceNotFound(
                f"version {number} of registered model {name!r} does not exist; list its "
                "versions with search_model_versions(\"name = '{name}'\")"
            )
        return row

    def _versions(self, conn: Connection, rows: Sequence[Row[Any]]) -> list[ModelVersion]:
        """Entities for version rows, with their tags and aliases in two batched queries."""
        tags: dict[tuple[str, int], dict[str, str]] = defaultdict(dict)
        aliases: dict[tuple[str, int], list[str]] = defaultdict(list)
        keys = list(dict.fromkeys((r.name, r.version) for r in rows))
        for chunk in _chunks(keys):
            for t in conn.execute(
                select(VERSION_TAGS).where(
                    tuple_(VERSION_TAGS.c.name, VERSION_TAGS.c.version).in_(chunk)
                )
            ):
                tags[t.name, t.version][t.key] = t.value
            for a in conn.execute(
                select(ALIASES)
                .where(tuple_(ALIASES.c.name, ALIASES.c.version).in_(chunk))
                .order_by(ALIASES.c.alias)
            ):
                aliases[a.name, a.version].append(a.alias)
        return [
            _version_entity(
                r, tags.get((r.name, r.version), {}), aliases.get((r.name, r.version), [])
            )
            for r in rows
        ]

    def _latest_versions(
        self, conn: Connection, names: Sequence[str]
    ) -> dict[str, list[ModelVersion]]:
        """Per model, the newest version in each stage, oldest first."""
        latest: dict[str, list[ModelVersion]] = {n: [] for n in names}
        for chunk in _chunks(names):
            newest = (
                select(VERSIONS.c.name, func.max(VERSIONS.c.version).label("version"))
                .where(VERSIONS.c.name.in_(chunk), VERSIONS.c.current_stage != DELETED_STAGE)
                .group_by(VERSIONS.c.name, VERSIONS.c.current_stage)
                .subquery()
            )
            rows = conn.execute(
                select(VERSIONS)
                .join(
                    newest,
                    and_(VERSIONS.c.name == newest.c.name, VERSIONS.c.version == newest.c.version),
                )
                .order_by(VERSIONS.c.name, VERSIONS.c.version)
            ).all()
            for version in self._versions(conn, rows):
                latest[version.name].append(version)
        return latest

    def _models(self, conn: Connection, rows: Sequence[Row[Any]]) -> list[RegisteredModel]:
        """Entities for model rows, with tags, aliases and latest versions batched."""
        names = [r.name for r in rows]
        tags: dict[str, dict[str, str]] = defaultdict(dict)
        aliases: dict[str, dict[str, str]] = defaultdict(dict)
        for chunk in _chunks(names):
            for t in conn.execute(select(MODEL_TAGS).where(MODEL_TAGS.c.name.in_(chunk))):
                tags[t.name][t.key] = t.value
            for a in conn.execute(
                select(ALIASES).where(ALIASES.c.name.in_(chunk)).order_by(ALIASES.c.alias)
            ):
                aliases[a.name][a.alias] = str(a.version)
        latest = self._latest_versions(conn, names)
        return [
            RegisteredModel(
                name=r.name,
                creation_timestamp=r.creation_time,
                last_updated_timestamp=r.last_updated_time,
                description=r.description,
                latest_versions=latest[r.name],
                tags=tags.get(r.name, {}),
                aliases=aliases.get(r.name, {}),
            )
            for r in rows
        ]


def _version_entity(r: Row[Any], tags: Mapping[str, str], aliases: list[str]) -> ModelVersion:
    return ModelVersion(
        name=r.name,
        version=str(r.version),
        creation_timestamp=r.creation_time,
        last_updated_timestamp=r.last_updated_time,
        description=r.description,
        user_id=r.user_id,
        current_stage=r.current_stage,
        source=r.source,
        run_id=r.run_id,
        status=r.status,
        status_message=r.status_message,
        tags=dict(tags),
        run_link=r.run_link,
        aliases=list(aliases),
        model_id=r.model_id,
    )
