"""DNA outcomes: record one, import a lab CSV, and read which pairs are excluded or confirmed.

Every outcome is kept (``dna_outcomes`` is a history); for a (case, person) pair the outcome
recorded last counts. A ``confirmed`` outcome closes the case. An ``excluded`` or ``confirmed``
outcome also marks the person's DNA profile as on file: the lab typed the person's sample to reach
that outcome, so comparing the person with another case needs no second field trip.

A lab CSV is imported **row by row with quarantine**, like ingest: rows with a problem (unknown
outcome, unknown case or person, a date that is not YYYY-MM-DD) are reported in an
:class:`~reunite.ingest.report.IngestReport` and skipped; the good rows are written together in one
transaction. A file that cannot be read at all (missing columns, unknown encoding) raises.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import cast, get_args

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from reunite._typing import DnaOutcome
from reunite.errors import EncodingError, InputError, MissingColumnsError
from reunite.ingest.report import IngestReport
from reunite.store.db import utcnow
from reunite.store.models import Candidate, Case, DnaOutcomeRecord, DnaProfile

__all__ = [
    "DNA_CSV_COLUMNS",
    "DNA_OUTCOMES",
    "latest_pairs",
    "parse_outcome",
    "parse_outcome_date",
    "read_dna_csv",
    "write_outcomes",
]

DNA_OUTCOMES: tuple[str, ...] = get_args(DnaOutcome)
DNA_CSV_COLUMNS: tuple[str, ...] = ("case_id", "person_id", "outcome", "date", "lab_ref", "note")
_REQUIRED = ("case_id", "person_id", "outcome")
CHUNK = 900  # ids per IN (...) list: below SQLite's old 999 bound-parameter limit


def chunks(items: Sequence[str], size: int = CHUNK) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def parse_outcome(value: str) -> DnaOutcome:
    """Check a DNA outcome; one spelling each.

    >>> parse_outcome("excluded")
    'excluded'
    >>> parse_outcome("Excluded")
    Traceback (most recent call last):
    ...
    reunite.errors.InputError: DNA outcome: expected one of 'excluded', 'confirmed', 'pending', got 'Excluded'
    """
    if value not in DNA_OUTCOMES:
        allowed = ", ".join(repr(o) for o in DNA_OUTCOMES)
        raise InputError(f"DNA outcome: expected one of {allowed}, got {value!r}")
    return cast(DnaOutcome, value)


def parse_outcome_date(value: dt.date | str | None) -> dt.date | None:
    """An outcome date: a ``date``, an ISO ``YYYY-MM-DD`` string, or empty.

    >>> parse_outcome_date("2024-03-05")
    datetime.date(2024, 3, 5)
    >>> parse_outcome_date("") is None
    True
    """
    if value is None or isinstance(value, dt.date):
        return value
    text = value.strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text) if len(text) == 10 else _bad_date(text)
    except ValueError:
        return _bad_date(text)


def _bad_date(text: str) -> dt.date:
    raise InputError(f"DNA outcome date: expected YYYY-MM-DD, got {text!r}")


def existing_ids(session: Session, side: str, ids: Iterable[str]) -> set[str]:
    """Which of ``ids`` exist as cases (``side="cases"``) or candidates."""
    column = Case.case_id if side == "cases" else Candidate.person_id
    wanted = sorted(set(ids))
    found: set[str] = set()
    for part in chunks(wanted):
        found.update(session.scalars(select(column).where(column.in_(part))))
    return found


def write_outcomes(
    session: Session,
    outcomes: Sequence[tuple[str, str, DnaOutcome, dt.date | None, str | None, str | None]],
    user: str,
) -> list[int]:
    """Write checked outcomes (case, person, outcome, date, lab ref, note) inside ``session``'s
    transaction: close confirmed cases, mark typed profiles on file. Returns the new row ids."""
    now = utcnow()
    records = [
        DnaOutcomeRecord(case_id=c, person_id=p, outcome=o, outcome_date=d, lab_ref=r, note=n,
                         recorded_at=now, recorded_by=user)
        for c, p, o, d, r, n in outcomes
    ]
    session.add_all(records)
    confirmed = sorted({c for c, _, o, *_ in outcomes if o == "confirmed"})
    for part in chunks(confirmed):
        session.execute(update(Case).where(Case.case_id.in_(part)).values(closed=True))
    typed = {p: f"DNA outcome {o} for case {c}" for c, p, o, *_ in outcomes if o != "pending"}
    on_file: set[str] = set()
    for part in chunks(sorted(typed)):
        on_file.update(session.scalars(select(DnaProfile.person_id).where(DnaProfile.person_id.in_(part))))
    session.add_all(
        DnaProfile(person_id=p, marked_at=now, source=src) for p, src in typed.items() if p not in on_file
    )
    session.flush()
    return [r.id for r in records]


def latest_pairs(session: Session, outcome: DnaOutcome) -> set[tuple[str, str]]:
    """Pairs whose most recently recorded outcome is ``outcome``."""
    latest = (
        select(DnaOutcomeRecord.case_id, DnaOutcomeRecord.person_id, DnaOutcomeRecord.outcome)
        .order_by(DnaOutcomeRecord.id)
    )
    last: dict[tuple[str, str], str] = {}
    for case_id, person_id, value in session.execute(latest):
        last[(case_id, person_id)] = value
    return {pair for pair, value in last.items() if value == outcome}


def _decode(path: Path) -> tuple[str, str]:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise EncodingError(f"{path.name}: expected UTF-8 (with or without BOM) or GB18030 text")


def read_dna_csv(
    session: Session, path: str | Path
) -> tuple[list[tuple[str, str, DnaOutcome, dt.date | None, str | None, str | None]], IngestReport]:
    """Read and check a lab CSV; returns the good rows and the report (bad rows quarantined)."""
    source = Path(path)
    text, encoding = _decode(source)
    report = IngestReport(source=source.name, encoding=encoding)
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in _REQUIRED if c not in header]
    if missing:
        raise MissingColumnsError(
            f"{source.name}: missing column(s) {', '.join(missing)}; expected {', '.join(DNA_CSV_COLUMNS)} "
            f"(date, lab_ref, note optional), found {', '.join(header) or 'no header'}"
        )
    reader.fieldnames = header
    raw: list[tuple[int, dict[str, str]]] = []
    for number, row in enumerate(reader, start=2):
        report.read += 1
        raw.append((number, {k: (v or "").strip() for k, v in row.items() if isinstance(k, str)}))
    known_cases = existing_ids(session, "cases", (r["case_id"] for _, r in raw))
    known_persons = existing_ids(session, "candidates", (r["person_id"] for _, r in raw))
    good = []
    for number, row in raw:
        case_id, person_id = row["case_id"], row["person_id"]
        if not case_id:
            report.add(number, "case_id", case_id, "missing case_id")
        elif case_id not in known_cases:
            report.add(number, "case_id", case_id, "unknown case: not in the store (upsert cases first)")
        if not person_id:
            report.add(number, "person_id", person_id, "missing person_id")
        elif person_id not in known_persons:
            report.add(number, "person_id", person_id,
                       "unknown person: not in the store (upsert candidates first)")
        outcome: DnaOutcome | None = None
        try:
            outcome = parse_outcome(row["outcome"])
        except InputError as exc:
            report.add(number, "outcome", row["outcome"], str(exc))
        date: dt.date | None = None
        try:
            date = parse_outcome_date(row.get("date", ""))
        except InputError as exc:
            report.add(number, "date", row.get("date", ""), str(exc))
        if report.is_quarantined(number) or outcome is None:
            continue
        good.append((case_id, person_id, outcome, date, row.get("lab_ref") or None, row.get("note") or None))
    return good, report
