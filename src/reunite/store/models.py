"""The tables of the reunite database, as SQLAlchemy Core ``Table`` objects.

Core, not the ORM: a nightly run imports no ORM and builds no declarative classes (0.23-0.27 s of a
night's start-up on the loaded machine, measured in the thirteenth session). A table's columns are
``Case.c.case_id``; rows are read and written with Core statements on a ``Connection``.

The schema is created and changed only by the Alembic revisions in ``store/migrations``; these
tables describe the schema at the head revision, and a test checks the two agree.

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

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

__all__ = [
    "AuditEntry",
    "Candidate",
    "Case",
    "CaseBound",
    "CaseTotal",
    "CurrentTopK",
    "DnaOutcomeRecord",
    "DnaProfile",
    "FittedModel",
    "Result",
    "Run",
    "RunLock",
    "metadata",
]

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)
"""Every table, with a naming convention, so migrations can name every constraint."""

UtcDateTime = DateTime(timezone=True)


def _text(name: str) -> Column[str]:
    return Column(name, Text, nullable=False, default="", server_default="")


def _run_ref(name: str, *, nullable: bool = True) -> Column[int]:
    return Column(name, Integer, ForeignKey("runs.id"), nullable=nullable)


Case = Table(
    "cases", metadata,
    Column("case_id", Text, primary_key=True),
    *(_text(c) for c in ("name", "alias", "sex", "birth_date", "birth_calendar", "missing_date", "missing_region",
                         "marks")),
    Column("content_hash", String(64), nullable=False),
    _run_ref("first_seen_run"),
    _run_ref("updated_run"),
    Column("closed", Boolean, nullable=False, default=False, server_default=false()),
    # added by revision 0007: the normalized record (reunite.stored_records) and what made it
    Column("normalized", Text),
    Column("normalized_with", String(64)),
    # added by revision 0009: the run that removed the case (withdrawn); None while it is part of the data
    Column("removed_run", Integer),
)

Candidate = Table(
    "candidates", metadata,
    Column("person_id", Text, primary_key=True),
    *(_text(c) for c in ("name", "former_names", "sex", "birth_date", "id_number", "region", "registration_date",
                         "marks")),
    Column("content_hash", String(64), nullable=False),
    _run_ref("first_seen_run"),
    _run_ref("updated_run"),
    # added by revision 0009: the run that removed the person (dead, record deleted or merged); None
    # while they are part of the data
    Column("removed_run", Integer),
    # added by revision 0010: whether the row may read differently on a later day than on the day
    # the last run read it (reunite.stored_records.reads_by_date); None: not known yet (checked)
    Column("calendar", Boolean),
    Index("ix_candidates_id_number", "id_number"),  # a night's duplicate check
    # revision 0010: a night's look at the few rows upserted outside a run, or not settled in the calendar
    Index("ix_candidates_updated_run", "updated_run"),
    Index("ix_candidates_calendar", "calendar"),
)

Run = Table(
    "runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("started", UtcDateTime, nullable=False),
    Column("finished", UtcDateTime),
    Column("status", String(16), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("config_hash", Text, nullable=False),
    Column("model_version", Text, nullable=False),
    Column("package_version", Text, nullable=False),
    Column("seed", BigInteger),
    Column("input_counts", JSON, nullable=False),
    Column("user", Text, nullable=False),
    Column("host", Text, nullable=False),
    # added by revision 0002: why a failed run failed
    Column("error", Text),
    # added by revision 0010: the day the run read its rows on (None: not recorded)
    Column("read_on", Date),
    CheckConstraint("status IN ('running', 'succeeded', 'failed')", name="status"),
    CheckConstraint("kind IN ('full', 'incremental')", name="kind"),
)

Result = Table(
    "results", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _run_ref("run_id", nullable=False),
    Column("case_id", Text, ForeignKey("cases.case_id"), nullable=False),
    Column("rank", Integer, nullable=False),
    Column("person_id", Text, ForeignKey("candidates.person_id"), nullable=False),
    Column("score", Float, nullable=False),
    Column("probability", Float, nullable=False),
    _text("reasons"),
    UniqueConstraint("run_id", "case_id", "person_id", name="uq_results_run_case_person"),
    UniqueConstraint("run_id", "case_id", "rank", name="uq_results_run_case_rank"),
    CheckConstraint("probability >= 0 AND probability <= 1", name="probability"),
    CheckConstraint("rank >= 1", name="rank"),
    Index("ix_results_case_id", "case_id"),
)

CurrentTopK = Table(
    # a case's rank is not stored (since revision 0004): it is the order of the case's rows by score, then
    # person id, derived when read
    "current_topk", metadata,
    Column("case_id", Text, ForeignKey("cases.case_id"), primary_key=True),
    Column("person_id", Text, ForeignKey("candidates.person_id"), primary_key=True),
    Column("score", Float, nullable=False),
    Column("probability", Float, nullable=False),
    _text("reasons"),
    _run_ref("run_id", nullable=False),
    CheckConstraint("probability >= 0 AND probability <= 1", name="probability"),
    Index("ix_current_topk_person_id", "person_id"),
)

DnaOutcomeRecord = Table(
    "dna_outcomes", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", Text, ForeignKey("cases.case_id"), nullable=False),
    Column("person_id", Text, ForeignKey("candidates.person_id"), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("outcome_date", Date),
    Column("lab_ref", Text),
    Column("note", Text),
    Column("recorded_at", UtcDateTime, nullable=False),
    Column("recorded_by", Text, nullable=False),
    CheckConstraint("outcome IN ('excluded', 'confirmed', 'pending')", name="outcome"),
    Index("ix_dna_outcomes_pair", "case_id", "person_id"),
)

DnaProfile = Table(  # added by revision 0002
    "dna_profiles", metadata,
    Column("person_id", Text, ForeignKey("candidates.person_id"), primary_key=True),
    Column("marked_at", UtcDateTime, nullable=False),
    _text("source"),
)

FittedModel = Table(  # added by revision 0003: the newest row is the model incremental re-screens score with
    "fitted_models", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("version", Text, nullable=False),
    Column("base_version", Text, nullable=False),
    Column("config_hash", Text, nullable=False),
    _run_ref("run_id", nullable=False),
    Column("created", UtcDateTime, nullable=False),
    Column("model", JSON, nullable=False),
    Index("ix_fitted_models_version", "version"),
)

CaseBound = Table(  # added by revision 0003: candidates missing from a case's current top-k rank after this
    "case_bounds", metadata,
    Column("case_id", Text, ForeignKey("cases.case_id"), primary_key=True),
    Column("score", Float, nullable=False),
    Column("person_id", Text, nullable=False),
    _run_ref("run_id", nullable=False),
)

CaseTotal = Table(
    # added by revision 0005: what a case's posterior needs besides its stored rows. ``pairs``: candidates
    # compared with the case (DNA-excluded pairs not counted); ``rest``: the sum of ``2**score`` over those
    # compared candidates that are not among its current top-k rows; ``exclusions``: a digest of the persons
    # DNA had excluded for the case when they were counted
    "case_totals", metadata,
    Column("case_id", Text, ForeignKey("cases.case_id"), primary_key=True),
    Column("pairs", BigInteger, nullable=False),
    Column("rest", Float, nullable=False),
    Column("exclusions", Text, nullable=False),
    _run_ref("run_id", nullable=False),
    # added by revision 0006: a current top-k row's probability is min(1, 2**(log_factor + score)); None
    # (totals stored before it): the rows' stored probabilities hold (reunite.store.results)
    Column("log_factor", Float),
)

AuditEntry = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False),
    Column("user", Text, nullable=False),
    Column("host", Text, nullable=False),
    Column("action", Text, nullable=False),
    _run_ref("run_id"),
    Column("inputs_hash", String(64)),
    Column("detail", JSON, nullable=False),
)

RunLock = Table(  # the exclusive run lock: the check on ``id`` allows one row only
    "run_lock", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("pid", Integer, nullable=False),
    Column("host", Text, nullable=False),
    Column("user", Text, nullable=False),
    Column("since", UtcDateTime, nullable=False),
    Column("run_id", Integer),
    CheckConstraint("id = 1", name="single_row"),
)
