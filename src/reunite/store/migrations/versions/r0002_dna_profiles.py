"""DNA profiles on file, and the error message of a failed run.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "dna_profiles",
        sa.Column("person_id", sa.Text(), nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.Text(), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("person_id", name="pk_dna_profiles"),
        sa.ForeignKeyConstraint(["person_id"], ["candidates.person_id"],
                                name="fk_dna_profiles_person_id_candidates"),
    )
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("error", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("error")
    op.drop_table("dna_profiles")
