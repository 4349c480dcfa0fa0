"""Typed SQLAlchemy 2.0 models of the reunite database.

The schema is created and changed only by the Alembic revisions in ``store/migrations``; these
models describe the schema at the head revision, and a test checks the two agree.

Tables
------
``cases`` / ``candidates``
    Every canonical column of the data contract as text, a SHA-256 of the row (``content_hash``)
    to detect changes, and the runs that first saw and last changed the row. Cases also have
    ``closed`` (set when DNA confirms a candidate) and, since revision 0007, their normalized
    record (``normalized``, ``normalized_with``: :mod:`reunite.stored_records`). Since revision 0009
    both have ``removed_run``: the run that removed the row (kept for the history, the DNA outcomes
    and the audit log, but no longer screened, planned or exported); ``NULL`` while it is current.
    Since revision 0010 candidates have ``calendar``: whether how the row reads may still change
    with the day it is read on (``NULL``: not known yet); a night checks those rows.
``runs``
    One row per screening run: when, status, what configuration, model, package and seed, the
    input counts, full or incremental, and who ran it, so a night can be replayed; since revision
    0010 the day it read its rows on (``read_on``: dates read relative to it).
``results``
    Every ranked row every run produced (history; never rewritten).
``current_topk``
    The merged top-k per case as of the last run that touched the case; ranks are derived (score,
    then person id) when read, not stored (revision 0004).
``dna_outcomes``
    Every DNA outcome reported by a lab, in the order recorded; the latest one per pair counts.
``dna_profiles``
    Persons whose DNA profile is already in the database (compare there, no field trip).
``fitted_models``
    Models fitted by full re-screens (JSON), with the base model and configuration they came
    from; incremental runs score with the newest (added by revision 0003).
``case_totals``
    Per case, what its probabilities need besides its stored rows (revision 0005), and the factor
    that gives each current top-k row its probability (revision 0006).
``case_bounds``
    Per case, the (score, person) rank of the best candidate its current top-k may lack: every
    candidate not stored ranks after it; no row means the current top-k holds the case's whole
    window (added by revision 0003).
``audit_log``
    Who did what, when, on which inputs (with a hash of the inputs).
``run_lock``
    At most one row: the holder of the exclusive run lock.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "AuditEntry",
    "Base",
    "Candidate",
    "Case",
    "CaseBound",
    "CurrentTopK",
    "DnaOutcomeRecord",
    "DnaProfile",
    "FittedModel",
    "Result",
    "Run",
    "RunLock",
]

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

UtcDateTime = DateTime(timezone=True)


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so migrations can name every constraint."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _text() -> Mapped[str]:
    return mapped_column(Text, nullable=False, default="", server_default="")


class Case(Base):
    __tablename__ = "cases"

    case_id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = _text()
    alias: Mapped[str] = _text()
    sex: Mapped[str] = _text()
    birth_date: Mapped[str] = _text()
    birth_calendar: Mapped[str] = _text()
    missing_date: Mapped[str] = _text()
    missing_region: Mapped[str] = _text()
    marks: Mapped[str] = _text()
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    first_seen_run: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    updated_run: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    closed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    # added by revision 0007: the normalized record (reunite.stored_records) and what made it
    normalized: Mapped[str | None] = mapped_column(Text)
    normalized_with: Mapped[str | None] = mapped_column(String(64))
    # added by revision 0009: the run that removed the case (withdrawn); None while it is part of the data
    removed_run: Mapped[int | None] = mapped_column(Integer)


class Candidate(Base):
    __tablename__ = "candidates"
    __table_args__ = (
        Index("ix_candidates_id_number", "id_number"),  # a night's duplicate check
        # revision 0010: a night's look at the few rows upserted outside a run, or not settled in the calendar
        Index("ix_candidates_updated_run", "updated_run"),
        Index("ix_candidates_calendar", "calendar"),
    )

    person_id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = _text()
    former_names: Mapped[str] = _text()
    sex: Mapped[str] = _text()
    birth_date: Mapped[str] = _text()
    id_number: Mapped[str] = _text()
    region: Mapped[str] = _text()
    registration_date: Mapped[str] = _text()
    marks: Mapped[str] = _text()
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    first_seen_run: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    updated_run: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    # added by revision 0009: the run that removed the person (dead, record deleted or merged); None
    # while they are part of the data
    removed_run: Mapped[int | None] = mapped_column(Integer)
    # added by revision 0010: whether the row may read differently on a later day than on the day
    # the last run read it (reunite.stored_records.reads_by_date); None: not known yet (checked)
    calendar: Mapped[bool | None] = mapped_column(Boolean)


class Run(Base):
    __tablename__ = "runs"
    __table_args__ = (
        CheckConstraint("status IN ('running', 'succeeded', 'failed')", name="status"),
        CheckConstraint("kind IN ('full', 'incremental')", name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)
    finished: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    config_hash: Mapped[str] = mapped_column(Text, nullable=False)
    model_version: Mapped[str] = mapped_column(Text, nullable=False)
    package_version: Mapped[str] = mapped_column(Text, nullable=False)
    seed: Mapped[int | None] = mapped_column(BigInteger)
    input_counts: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    user: Mapped[str] = mapped_column(Text, nullable=False)
    host: Mapped[str] = mapped_column(Text, nullable=False)
    # added by revision 0002: why a failed run failed
    error: Mapped[str | None] = mapped_column(Text)
    # added by revision 0010: the day the run read its rows on (None: not recorded)
    read_on: Mapped[dt.date | None] = mapped_column(Date)


class Result(Base):
    __tablename__ = "results"
    __table_args__ = (
        UniqueConstraint("run_id", "case_id", "person_id", name="uq_results_run_case_person"),
        UniqueConstraint("run_id", "case_id", "rank", name="uq_results_run_case_rank"),
        CheckConstraint("probability >= 0 AND probability <= 1", name="probability"),
        CheckConstraint("rank >= 1", name="rank"),
        Index("ix_results_case_id", "case_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), nullable=False)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"), nullable=False)
    rank: Mapped[int] = mapped_column(Integer, nullable=False)
    person_id: Mapped[str] = mapped_column(ForeignKey("candidates.person_id"), nullable=False)
    score: Mapped[float] = mapped_column(Float, nullable=False)
    probability: Mapped[float] = mapped_column(Float, nullable=False)
    reasons: Mapped[str] = _text()


class CurrentTopK(Base):
    """A case's rank is not stored (since revision 0004): it is the order of the case's rows by
    score, then person id, derived when read."""

    __tablename__ = "current_topk"
    __table_args__ = (
        CheckConstraint("probability >= 0 AND probability <= 1", name="probability"),
        Index("ix_current_topk_person_id", "person_id"),
    )

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("candidates.person_id"), primary_key=True)
    score: Mapped[float] = mapped_column(Float, nullable=False)
    probability: Mapped[float] = mapped_column(Float, nullable=False)
    reasons: Mapped[str] = _text()
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), nullable=False)


class DnaOutcomeRecord(Base):
    __tablename__ = "dna_outcomes"
    __table_args__ = (
        CheckConstraint("outcome IN ('excluded', 'confirmed', 'pending')", name="outcome"),
        Index("ix_dna_outcomes_pair", "case_id", "person_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"), nullable=False)
    person_id: Mapped[str] = mapped_column(ForeignKey("candidates.person_id"), nullable=False)
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)
    outcome_date: Mapped[dt.date | None] = mapped_column(Date)
    lab_ref: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)
    recorded_by: Mapped[str] = mapped_column(Text, nullable=False)


class DnaProfile(Base):
    """Added by revision 0002."""

    __tablename__ = "dna_profiles"

    person_id: Mapped[str] = mapped_column(ForeignKey("candidates.person_id"), primary_key=True)
    marked_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)
    source: Mapped[str] = _text()


class FittedModel(Base):
    """Added by revision 0003: the newest row is the model incremental re-screens score with."""

    __tablename__ = "fitted_models"
    __table_args__ = (Index("ix_fitted_models_version", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version: Mapped[str] = mapped_column(Text, nullable=False)
    base_version: Mapped[str] = mapped_column(Text, nullable=False)
    config_hash: Mapped[str] = mapped_column(Text, nullable=False)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), nullable=False)
    created: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)
    model: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)


class CaseBound(Base):
    """Added by revision 0003: candidates missing from a case's current top-k rank after this."""

    __tablename__ = "case_bounds"

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"), primary_key=True)
    score: Mapped[float] = mapped_column(Float, nullable=False)
    person_id: Mapped[str] = mapped_column(Text, nullable=False)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), nullable=False)


class CaseTotal(Base):
    """Added by revision 0005: what a case's posterior needs besides its stored rows.

    ``pairs``: candidates compared with the case (DNA-excluded pairs not counted); ``rest``: the sum
    of ``2**score`` over those compared candidates that are not among its current top-k rows;
    ``exclusions``: a digest of the persons DNA had excluded for the case when they were counted;
    ``log_factor`` (revision 0006): the case's posterior factor, see :mod:`reunite.store.results`.
    """

    __tablename__ = "case_totals"

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"), primary_key=True)
    pairs: Mapped[int] = mapped_column(BigInteger, nullable=False)
    rest: Mapped[float] = mapped_column(Float, nullable=False)
    exclusions: Mapped[str] = mapped_column(Text, nullable=False)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), nullable=False)
    # added by revision 0006: a current top-k row's probability is min(1, 2**(log_factor + score));
    # None (totals stored before it): the rows' stored probabilities hold
    log_factor: Mapped[float | None] = mapped_column(Float)


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)
    user: Mapped[str] = mapped_column(Text, nullable=False)
    host: Mapped[str] = mapped_column(Text, nullable=False)
    action: Mapped[str] = mapped_column(Text, nullable=False)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    inputs_hash: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)


class RunLock(Base):
    """The exclusive run lock: the check on ``id`` allows one row only."""

    __tablename__ = "run_lock"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    pid: Mapped[int] = mapped_column(Integer, nullable=False)
    host: Mapped[str] = mapped_column(Text, nullable=False)
    user: Mapped[str] = mapped_column(Text, nullable=False)
    since: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)
    run_id: Mapped[int | None] = mapped_column(Integer)
