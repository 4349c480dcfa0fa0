"""A run records the day it read its rows on (``runs.read_on``), and each candidate whether how it
reads may still change with the calendar (``candidates.calendar``): normalizing reads dates
relative to that day (an interval reaching it is clipped, a later date is unknown, a two-digit year
is read relative to it, a resident ID number born after it is not valid). A night takes a changed or
removed candidate's old terms out of the stored sums by reading its stored row as of the day the
last run read it on, and treats a stored candidate that reads differently today as changed.
``calendar`` is ``NULL`` where not known yet (rows stored before this revision, or by
``Store.upsert`` outside a run): such rows are checked. A store upgraded to this revision has no
``read_on``: its next run screens everything in full. Indexes on ``candidates.updated_run`` and
``candidates.calendar`` find a night's few rows written outside a run (``updated_run`` empty) or
not settled without reading the table.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("read_on", sa.Date(), nullable=True))
    op.add_column("candidates", sa.Column("calendar", sa.Boolean(), nullable=True))
    op.create_index("ix_candidates_updated_run", "candidates", ["updated_run"])
    op.create_index("ix_candidates_calendar", "candidates", ["calendar"])


def downgrade() -> None:
    op.drop_index("ix_candidates_calendar", table_name="candidates")
    op.drop_index("ix_candidates_updated_run", table_name="candidates")
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+, PostgreSQL), as revision 0007 does
    op.execute("ALTER TABLE candidates DROP COLUMN calendar")
    op.execute("ALTER TABLE runs DROP COLUMN read_on")
