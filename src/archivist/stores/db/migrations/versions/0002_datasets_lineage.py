"""datasets, run inputs and lineage edges

Revision ID: 0002_datasets_lineage
Revises: 0001_initial
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_datasets_lineage"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "datasets",
        sa.Column("dataset_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("digest", sa.String(length=80), nullable=False),
        sa.Column("source_type", sa.String(length=36), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("schema", sa.Text(), nullable=True),
        sa.Column("profile", sa.Text(), nullable=True),
        sa.Column("creation_time", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("dataset_id", name=op.f("pk_datasets")),
        sa.UniqueConstraint("name", "digest", name=op.f("uq_datasets_name_digest")),
    )
    op.create_index(op.f("ix_datasets_digest"), "datasets", ["digest"], unique=False)
    op.create_table(
        "dataset_inputs",
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("dataset_id", sa.String(length=36), nullable=False),
        sa.Column("context", sa.String(length=250), nullable=True),
        sa.Column("creation_time", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["datasets.dataset_id"],
            name=op.f("fk_dataset_inputs_dataset_id_datasets"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.run_id"], name=op.f("fk_dataset_inputs_run_id_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "dataset_id", name=op.f("pk_dataset_inputs")),
    )
    op.create_index(op.f("ix_dataset_inputs_dataset_id"), "dataset_inputs", ["dataset_id"])
    op.create_index(op.f("ix_dataset_inputs_context"), "dataset_inputs", ["context"])
    op.create_table(
        "dataset_input_tags",
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("dataset_id", sa.String(length=36), nullable=False),
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column("value", sa.String(length=8000), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.run_id"], name=op.f("fk_dataset_input_tags_run_id_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "dataset_id", "key", name=op.f("pk_dataset_input_tags")),
    )
    op.create_table(
        "lineage_edges",
        sa.Column("child", sa.String(length=1000), nullable=False),
        sa.Column("parent", sa.String(length=1000), nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=True),
        sa.Column("creation_time", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("child", "parent", name=op.f("pk_lineage_edges")),
    )
    op.create_index(op.f("ix_lineage_edges_parent"), "lineage_edges", ["parent"])


def downgrade() -> None:
    op.drop_index(op.f("ix_lineage_edges_parent"), table_name="lineage_edges")
    op.drop_table("lineage_edges")
    op.drop_table("dataset_input_tags")
    op.drop_index(op.f("ix_dataset_inputs_context"), table_name="dataset_inputs")
    op.drop_index(op.f("ix_dataset_inputs_dataset_id"), table_name="dataset_inputs")
    op.drop_table("dataset_inputs")
    op.drop_index(op.f("ix_datasets_digest"), table_name="datasets")
    op.drop_table("datasets")
