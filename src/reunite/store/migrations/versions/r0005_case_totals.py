"""Per-case posterior totals: the compared-candidate count and the sum of Bayes factors outside the
stored rows, so the nightly merge recomputes a case's probabilities exactly (see reunite.merge).
A store upgraded from 0004 has no totals: its next incremental run screens each case in full once.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "case_totals",
        sa.Column("case_id", sa.Text(), nullable=False),
        sa.Column("pairs", sa.BigInteger(), nullable=False),
        sa.Column("rest", sa.Float(), nullable=False),
        sa.Column("exclusions", sa.Text(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name="pk_case_totals"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.case_id"], name="fk_case_totals_case_id_cases"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_case_totals_run_id_runs"),
    )


def downgrade() -> None:
    op.drop_table("case_totals")
