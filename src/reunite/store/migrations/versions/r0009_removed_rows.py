"""Cases and candidates can be removed (a person dies, a register record is deleted or merged into
another; a case is withdrawn): ``cases.removed_run`` and ``candidates.removed_run`` name the run
that removed the row, ``NULL`` while it is part of the data. A removed row is kept, not deleted:
the history of results and the DNA outcomes point at it, and the audit log says who removed it and
why. A removed row that comes back in a later input is stored again as a new row.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("removed_run", sa.Integer(), nullable=True))
    op.add_column("candidates", sa.Column("removed_run", sa.Integer(), nullable=True))


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+, PostgreSQL), as revision 0007 does
    op.execute("ALTER TABLE candidates DROP COLUMN removed_run")
    op.execute("ALTER TABLE cases DROP COLUMN removed_run")
