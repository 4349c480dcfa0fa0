"""Initial schema: cases, candidates, runs, results, current top-k, DNA outcomes, audit log, run lock.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

_TZ = sa.DateTime(timezone=True)


def _text(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.Text(), nullable=False, server_default="")


def _run_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ["runs.id"], name=f"fk_{table}_{column}_runs")


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("started", _TZ, nullable=False),
        sa.Column("finished", _TZ, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("config_hash", sa.Text(), nullable=False),
        sa.Column("model_version", sa.Text(), nullable=False),
        sa.Column("package_version", sa.Text(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=True),
        sa.Column("input_counts", sa.JSON(), nullable=False),
        sa.Column("user", sa.Text(), nullable=False),
        sa.Column("host", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
        sa.CheckConstraint("status IN ('running', 'succeeded', 'failed')", name="ck_runs_status"),
        sa.CheckConstraint("kind IN ('full', 'incremental')", name="ck_runs_kind"),
    )
    op.create_table(
        "cases",
        sa.Column("case_id", sa.Text(), nullable=False),
        *(_text(c) for c in ("name", "alias", "sex", "birth_date", "birth_calendar", "missing_date",
                             "missing_region", "marks")),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("first_seen_run", sa.Integer(), nullable=True),
        sa.Column("updated_run", sa.Integer(), nullable=True),
        sa.Column("closed", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.PrimaryKeyConstraint("case_id", name="pk_cases"),
        _run_fk("cases", "first_seen_run"),
        _run_fk("cases", "updated_run"),
    )
    op.create_table(
        "candidates",
        sa.Column("person_id", sa.Text(), nullable=False),
        *(_text(c) for c in ("name", "former_names", "sex", "birth_date", "id_number", "region",
                             "registration_date", "marks")),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("first_seen_run", sa.Integer(), nullable=True),
        sa.Column("updated_run", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("person_id", name="pk_candidates"),
        _run_fk("candidates", "first_seen_run"),
        _run_fk("candidates", "updated_run"),
    )
    op.create_table(
        "results",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Text(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Text(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        _text("reasons"),
        sa.PrimaryKeyConstraint("id", name="pk_results"),
        _run_fk("results", "run_id"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.case_id"], name="fk_results_case_id_cases"),
        sa.ForeignKeyConstraint(["person_id"], ["candidates.person_id"],
                                name="fk_results_person_id_candidates"),
        sa.UniqueConstraint("run_id", "case_id", "person_id", name="uq_results_run_case_person"),
        sa.UniqueConstraint("run_id", "case_id", "rank", name="uq_results_run_case_rank"),
        sa.CheckConstraint("probability >= 0 AND probability <= 1", name="ck_results_probability"),
        sa.CheckConstraint("rank >= 1", name="ck_results_rank"),
    )
    op.create_index("ix_results_case_id", "results", ["case_id"])
    op.create_table(
        "current_topk",
        sa.Column("case_id", sa.Text(), nullable=False),
        sa.Column("person_id", sa.Text(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        _text("reasons"),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "person_id", name="pk_current_topk"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.case_id"], name="fk_current_topk_case_id_cases"),
        sa.ForeignKeyConstraint(["person_id"], ["candidates.person_id"],
                                name="fk_current_topk_person_id_candidates"),
        _run_fk("current_topk", "run_id"),
        sa.UniqueConstraint("case_id", "rank", name="uq_current_topk_case_rank"),
        sa.CheckConstraint("probability >= 0 AND probability <= 1", name="ck_current_topk_probability"),
        sa.CheckConstraint("rank >= 1", name="ck_current_topk_rank"),
    )
    op.create_table(
        "dna_outcomes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Text(), nullable=False),
        sa.Column("person_id", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("outcome_date", sa.Date(), nullable=True),
        sa.Column("lab_ref", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_at", _TZ, nullable=False),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dna_outcomes"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.case_id"], name="fk_dna_outcomes_case_id_cases"),
        sa.ForeignKeyConstraint(["person_id"], ["candidates.person_id"],
                                name="fk_dna_outcomes_person_id_candidates"),
        sa.CheckConstraint("outcome IN ('excluded', 'confirmed', 'pending')", name="ck_dna_outcomes_outcome"),
    )
    op.create_index("ix_dna_outcomes_pair", "dna_outcomes", ["case_id", "person_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", _TZ, nullable=False),
        sa.Column("user", sa.Text(), nullable=False),
        sa.Column("host", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("inputs_hash", sa.String(64), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
        _run_fk("audit_log", "run_id"),
    )
    op.create_table(
        "run_lock",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("host", sa.Text(), nullable=False),
        sa.Column("user", sa.Text(), nullable=False),
        sa.Column("since", _TZ, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_run_lock"),
        sa.CheckConstraint("id = 1", name="ck_run_lock_single_row"),
    )


def downgrade() -> None:
    for table in ("run_lock", "audit_log", "dna_outcomes", "current_topk", "results", "candidates",
                  "cases", "runs"):
        op.drop_table(table)
