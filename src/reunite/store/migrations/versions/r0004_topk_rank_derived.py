"""The current top-k no longer stores ranks: a case's rank is its rows' order by score, then person
id (the matcher's own order), derived when read. Merging a night's rows into a case then writes the
rows that enter and deletes the rows that leave, instead of renumbering (rewriting) every row below
them. An index on ``person_id`` finds the rows of re-scored persons.

Revision ID: 0004
Revises: 0003
Create Date: 2025-01-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("current_topk") as batch:
        batch.drop_constraint("uq_current_topk_case_rank", type_="unique")
        batch.drop_constraint("ck_current_topk_rank", type_="check")
        batch.drop_column("rank")
    op.create_index("ix_current_topk_person_id", "current_topk", ["person_id"])


def downgrade() -> None:
    op.drop_index("ix_current_topk_person_id", table_name="current_topk")
    with op.batch_alter_table("current_topk") as batch:
        batch.add_column(sa.Column("rank", sa.Integer(), nullable=True))
    # the derived rank, written back: 1 + the rows of the case that rank before this one
    op.execute(
        "UPDATE current_topk SET rank = 1 + (SELECT count(*) FROM current_topk AS other "
        "WHERE other.case_id = current_topk.case_id AND (other.score > current_topk.score OR "
        "(other.score = current_topk.score AND other.person_id < current_topk.person_id)))"
    )
    with op.batch_alter_table("current_topk") as batch:
        batch.alter_column("rank", existing_type=sa.Integer(), nullable=False)
        batch.create_unique_constraint("uq_current_topk_case_rank", ["case_id", "rank"])
        batch.create_check_constraint("ck_current_topk_rank", "rank >= 1")
