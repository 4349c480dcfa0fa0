"""One factor per case instead of rescaling every stored row: ``case_totals.log_factor`` holds
``log2((prior/N) / denominator)`` of the case's current state, and a current top-k row's
probability is ``min(1, 2**(log_factor + score))``, derived when read. A night that changes a
case's totals then writes one number for the case instead of updating each of its stored rows.
Rows of a case whose totals have no factor (stored before this revision) keep their stored
probability until a run touches the case.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column("case_totals", sa.Column("log_factor", sa.Float(), nullable=True))


def downgrade() -> None:
    # the stored probabilities of rows that stayed through incremental runs are stale without the
    # factor: write the derived ones back before dropping it
    connection = op.get_bind()
    found = connection.execute(sa.text(
        "SELECT t.case_id, t.person_id, t.score, c.log_factor FROM current_topk t "
        "JOIN case_totals c ON c.case_id = t.case_id WHERE c.log_factor IS NOT NULL")).fetchall()
    if found:
        connection.execute(
            sa.text("UPDATE current_topk SET probability = :p WHERE case_id = :c AND person_id = :q"),
            [{"p": min(1.0, 2.0 ** (lf + score)), "c": c, "q": p} for c, p, score, lf in found])
    with op.batch_alter_table("case_totals") as batch:
        batch.drop_column("log_factor")
