"""Fitted models: the model a full re-screen fitted, kept so incremental runs score with it.

Revision ID: 0003
Revises: 0002
Create Date: 2025-01-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "fitted_models",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version", sa.Text(), nullable=False),
        sa.Column("base_version", sa.Text(), nullable=False),
        sa.Column("config_hash", sa.Text(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("model", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_fitted_models"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_fitted_models_run_id_runs"),
    )
    op.create_index("ix_fitted_models_version", "fitted_models", ["version"])


def downgrade() -> None:
    op.drop_index("ix_fitted_models_version", table_name="fitted_models")
    op.drop_table("fitted_models")
