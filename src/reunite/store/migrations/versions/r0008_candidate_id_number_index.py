"""An index on ``candidates.id_number``: a night looks up the stored persons carrying the resident
ID numbers of its new and changed candidates (a second person_id with the same number is a likely
duplicate record, flagged as ``screen`` flags one within a file).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_index("ix_candidates_id_number", "candidates", ["id_number"])


def downgrade() -> None:
    op.drop_index("ix_candidates_id_number", table_name="candidates")
