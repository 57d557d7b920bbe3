"""SQLAlchemy tables for tracking, registry and artifact trees.

Alembic migrations in ``migrations/versions`` must produce exactly this metadata
(``tests/stores/test_schema.py`` compares them on SQLite and PostgreSQL).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Bumped by every migration; a new database is created from this metadata and stamped
# with it, so that opening a brand-new store does not have to import alembic.
SCHEMA_REVISION = "0003_logged_model_metrics"

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


KEY = String(250)
VALUE = String(8000)


class ExperimentRow(Base):
    __tablename__ = "experiments"
    experiment_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(500), unique=True)
    artifact_location: Mapped[str] = mapped_column(String(1000))
    lifecycle_stage: Mapped[str] = mapped_column(String(32), default="active")
    creation_time: Mapped[int] = mapped_column(BigInteger)
    last_update_time: Mapped[int] = mapped_column(BigInteger)


class ExperimentTagRow(Base):
    __tablename__ = "experiment_tags"
    experiment_id: Mapped[int] = mapped_column(
        ForeignKey("experiments.experiment_id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(KEY, primary_key=True)
    value: Mapped[str] = mapped_column(VALUE)


class RunRow(Base):
    __tablename__ = "runs"
    run_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    experiment_id: Mapped[int] = mapped_column(
        ForeignKey("experiments.experiment_id"), index=True
    )
    name: Mapped[str] = mapped_column(String(250))
    user_id: Mapped[str] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(20))
    start_time: Mapped[int] = mapped_column(BigInteger)
    end_time: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    lifecycle_stage: Mapped[str] = mapped_column(String(20))
    artifact_uri: Mapped[str] = mapped_column(String(1000))
    deleted_time: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class ParamRow(Base):
    __tablename__ = "params"
    run_id: Mapped[str] = mapped_column(
        ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(KEY, primary_key=True)
    value: Mapped[str] = mapped_column(VALUE)


class TagRow(Base):
    __tablename__ = "tags"
    run_id: Mapped[str] = mapped_column(
        ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(KEY, primary_key=True)
    value: Mapped[str] = mapped_column(VALUE)


class MetricChunkRow(Base):
    """Metric points of one key logged in one call, packed (see stores/tracking/points.py)."""

    __tablename__ = "metric_chunks"
    __table_args__ = (Index("ix_metric_chunks_run_key", "run_id", "key"),)
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.run_id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(KEY)
    n: Mapped[int] = mapped_column(Integer)
    min_step: Mapped[int] = mapped_column(BigInteger)
    max_step: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    model_id: Mapped[str | None] = mapped_column(String(64), nullable=True)


class LatestMetricRow(Base):
    """The point with the highest (step, timestamp) per key: what search filters on."""

    __tablename__ = "latest_metrics"
    __table_args__ = (Index("ix_latest_metrics_key_value", "key", "value"),)
    run_id: Mapped[str] = mapped_column(
        ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(KEY, primary_key=True)
    value: Mapped[float] = mapped_column(Float(53))
    is_nan: Mapped[bool] = mapped_column(Boolean, default=False)
    timestamp: Mapped[int] = mapped_column(BigInteger)
    step: Mapped[int] = mapped_column(BigInteger)


class ArtifactEntryRow(Base):
    """One file of an owner's artifact tree (owner = a run id or a logged-model id)."""

    __tablename__ = "artifact_entries"
    __table_args__ = (Index("ix_artifact_entries_digest", "digest"),)
    owner_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    path: Mapped[str] = mapped_column(String(1000), primary_key=True)
    digest: Mapped[str] = mapped_column(String(80))
    size: Mapped[int] = mapped_column(BigInteger)


class LoggedModelRow(Base):
    __tablename__ = "logged_models"
    model_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    experiment_id: Mapped[int] = mapped_column(
        ForeignKey("experiments.experiment_id"), index=True
    )
    name: Mapped[str] = mapped_column(String(500))
    source_run_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    model_type: Mapped[str | None] = mapped_column(String(500), nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    status_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    lifecycle_stage: Mapped[str] = mapped_column(String(20), default="active")
    artifact_location: Mapped[str] = mapped_column(String(1000))
    creation_time: Mapped[int] = mapped_column(BigInteger)
    last_updated_time: Mapped[int] = mapped_column(BigInteger)


class LoggedModelParamRow(Base):
    __tablename__ = "logged_model_params"
    model_id: Mapped[str] = mapped_column(
        ForeignKey("logged_models.model_id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(KEY, primary_key=True)
    value: Mapped[str] = mapped_column(VALUE)


class LoggedModelTagRow(Base):
    __tablename__ = "logged_model_tags"
    model_id: Mapped[str] = mapped_column(
        ForeignKey("logged_models.model_id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(KEY, primary_key=True)
    value: Mapped[str] = mapped_column(VALUE)


class LoggedModelMetricRow(Base):
    """A metric point linked to a logged model (MLflow 3), optionally on a dataset.

    The point is also in its run's history (``metric_chunks``) when it has a run.
    """

    __tablename__ = "logged_model_metrics"
    __table_args__ = (Index("ix_logged_model_metrics_model_key", "model_id", "key"),)
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    model_id: Mapped[str] = mapped_column(
        ForeignKey("logged_models.model_id", ondelete="CASCADE")
    )
    key: Mapped[str] = mapped_column(KEY)
    value: Mapped[float | None] = mapped_column(Float(53), nullable=True)
    is_nan: Mapped[bool] = mapped_column(Boolean, default=False)
    timestamp: Mapped[int] = mapped_column(BigInteger)
    step: Mapped[int] = mapped_column(BigInteger)
    run_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    dataset_name: Mapped[str | None] = mapped_column(String(500), nullable=True)
    dataset_digest: Mapped[str | None] = mapped_column(String(80), nullable=True)


class RegisteredModelRow(Base):
    __tablename__ = "registered_models"
    name: Mapped[str] = mapped_column(String(256), primary_key=True)
    creation_time: Mapped[int] = mapped_column(BigInteger)
    last_updated_time: Mapped[int] = mapped_column(BigInteger)
    description: Mapped[str | None] = mapped_column(String(5000), nullable=True)


class RegisteredModelTagRow(Base):
    __tablename__ = "registered_model_tags"
    name: Mapped[str] = mapped_column(
        ForeignKey("registered_models.name", ondelete="CASCADE", onupdate="CASCADE"),
        primary_key=True,
    )
    key: Mapped[str] = mapped_column(KEY, primary_key=True)
    value: Mapped[str] = mapped_column(VALUE)


class ModelVersionRow(Base):
    __tablename__ = "model_versions"
    name: Mapped[str] = mapped_column(
        ForeignKey("registered_models.name", ondelete="CASCADE", onupdate="CASCADE"),
        primary_key=True,
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    creation_time: Mapped[int] = mapped_column(BigInteger)
    last_updated_time: Mapped[int] = mapped_column(BigInteger)
    description: Mapped[str | None] = mapped_column(String(5000), nullable=True)
    user_id: Mapped[str | None] = mapped_column(String(256), nullable=True)
    current_stage: Mapped[str] = mapped_column(String(20), default="None")
    source: Mapped[str] = mapped_column(String(1000))
    run_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    run_link: Mapped[str | None] = mapped_column(String(500), nullable=True)
    model_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="READY")
    status_message: Mapped[str | None] = mapped_column(String(500), nullable=True)


class ModelVersionTagRow(Base):
    __tablename__ = "model_version_tags"
    name: Mapped[str] = mapped_column(String(256), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(KEY, primary_key=True)
    value: Mapped[str] = mapped_column(VALUE)


class RegisteredModelAliasRow(Base):
    __tablename__ = "registered_model_aliases"
    name: Mapped[str] = mapped_column(
        ForeignKey("registered_models.name", ondelete="CASCADE", onupdate="CASCADE"),
        primary_key=True,
    )
    alias: Mapped[str] = mapped_column(String(256), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)


class DatasetRow(Base):
    """A dataset, identified by (name, digest) across every experiment."""

    __tablename__ = "datasets"
    __table_args__ = (UniqueConstraint("name", "digest"),)
    dataset_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(500))
    digest: Mapped[str] = mapped_column(String(80), index=True)
    source_type: Mapped[str] = mapped_column(String(36))
    source: Mapped[str] = mapped_column(Text)
    schema: Mapped[str | None] = mapped_column(Text, nullable=True)
    profile: Mapped[str | None] = mapped_column(Text, nullable=True)
    creation_time: Mapped[int] = mapped_column(BigInteger)


class DatasetInputRow(Base):
    """A run used a dataset (in a context such as "training")."""

    __tablename__ = "dataset_inputs"
    run_id: Mapped[str] = mapped_column(
        ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True
    )
    dataset_id: Mapped[str] = mapped_column(
        ForeignKey("datasets.dataset_id", ondelete="CASCADE"), primary_key=True, index=True
    )
    context: Mapped[str | None] = mapped_column(String(250), nullable=True, index=True)
    creation_time: Mapped[int] = mapped_column(BigInteger)


class DatasetInputTagRow(Base):
    __tablename__ = "dataset_input_tags"
    run_id: Mapped[str] = mapped_column(
        ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True
    )
    dataset_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    key: Mapped[str] = mapped_column(KEY, primary_key=True)
    value: Mapped[str] = mapped_column(VALUE)


class LineageEdgeRow(Base):
    """``child`` was derived from ``parent`` (both URIs: datasets:/, runs:/, models:/)."""

    __tablename__ = "lineage_edges"
    child: Mapped[str] = mapped_column(String(1000), primary_key=True)
    parent: Mapped[str] = mapped_column(String(1000), primary_key=True, index=True)
    run_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    creation_time: Mapped[int] = mapped_column(BigInteger)


metadata = Base.metadata
