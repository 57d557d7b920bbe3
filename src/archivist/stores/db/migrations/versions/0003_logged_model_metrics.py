"""metrics linked to logged models (MLflow 3's LoggedModel.metrics)

Revision ID: 0003_logged_model_metrics
Revises: 0002_datasets_lineage
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_logged_model_metrics"
down_revision = "0002_datasets_lineage"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "logged_model_metrics",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True,
            nullable=False,
        ),
        sa.Column("model_id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column("value", sa.Float(precision=53), nullable=True),
        sa.Column("is_nan", sa.Boolean(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=True),
        sa.Column("dataset_name", sa.String(length=500), nullable=True),
        sa.Column("dataset_digest", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(
            ["model_id"], ["logged_models.model_id"],
            name=op.f("fk_logged_model_metrics_model_id_logged_models"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_logged_model_metrics")),
    )
    op.create_index(
        "ix_logged_model_metrics_model_key", "logged_model_metrics", ["model_id", "key"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_logged_model_metrics_model_key", table_name="logged_model_metrics")
    op.drop_table("logged_model_metrics")
