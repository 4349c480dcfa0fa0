"""Fitted models (what a full re-screen fitted, so incremental runs score with it) and case bounds
(per case, the rank of the best candidate its current top-k may be missing).

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
    op.create_table(
        "case_bounds",
        sa.Column("case_id", sa.Text(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("person_id", sa.Text(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name="pk_case_bounds"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.case_id"], name="fk_case_bounds_case_id_cases"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_case_bounds_run_id_runs"),
    )


def downgrade() -> None:
    op.drop_table("case_bounds")
    op.drop_index("ix_fitted_models_version", table_name="fitted_models")
    op.drop_table("fitted_models")
