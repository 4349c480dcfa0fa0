"""The store keeps each case's normalized record (``cases.normalized``, JSON text written by
:mod:`reunite.stored_records`) and the fingerprint of the code that made it
(``cases.normalized_with``), so a night reads the open cases back instead of normalizing them
again. A row changed by an upsert loses both; a store upgraded to this revision has none, and its
next run normalizes its cases once and keeps them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("normalized", sa.Text(), nullable=True))
    op.add_column("cases", sa.Column("normalized_with", sa.String(64), nullable=True))


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+, PostgreSQL): a batch copy of ``cases`` would drop a
    # table that others reference, which SQLite's foreign keys refuse
    op.execute("ALTER TABLE cases DROP COLUMN normalized_with")
    op.execute("ALTER TABLE cases DROP COLUMN normalized")
