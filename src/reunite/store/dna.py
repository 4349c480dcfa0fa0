"""DNA outcomes: record one, import a lab CSV, and read which pairs are excluded or confirmed.

Every outcome is kept (``dna_outcomes`` is a history); for a (case, person) pair the outcome
recorded last counts. A ``confirmed`` outcome closes the case. An ``excluded`` or ``confirmed``
outcome also marks the person's DNA profile as on file: the lab typed the person's sample to reach
that outcome, so comparing the person with another case needs no second field trip.

A DNA outcome decides whether a family is told their child is found, so a lab CSV is read
strictly: every row is imported whole or quarantined with the reason, like ingest. Rows with a
problem (unknown outcome, unknown case or person, a date that is not a day or is in the future,
more or fewer cells than the header) are reported in an :class:`~reunite.ingest.report.IngestReport`
and skipped; the good rows are written together in one transaction. A file that cannot be read at
all (missing or unknown columns, unknown encoding) raises: a column reunite does not know would
otherwise be lost for every row (map it, or map it to ``""`` to ignore it).

A lab file may write its outcomes as a Chinese lab does (排除, 已排除, 排除亲缘关系; 确认, 支持亲缘关系;
待检, 已送检): :func:`lab_outcome` maps the unambiguous wordings to the three outcomes and quarantines the
ambiguous ones with the reason (比中 is a database hit still to be confirmed by a kinship test; 未比中, 符合,
不符合, 无法排除, 待定 say neither confirmed nor excluded).

An outcome that contradicts the pair's latest one (``confirmed`` after ``excluded``, or the
reverse) is refused unless ``supersede`` is given; a superseded ``confirmed`` reopens its case when
no other pair of the case is confirmed. Every change is in the audit log.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias, cast, get_args

from sqlalchemy import Connection, delete, insert, select, update

from reunite import i18n
from reunite._typing import DnaOutcome
from reunite.errors import ConfigError, InputError, MissingColumnsError
from reunite.ingest.columns import check_mapping, header_key
from reunite.ingest.encoding import decode_text
from reunite.ingest.read import sniff_delimiter
from reunite.ingest.report import IngestReport
from reunite.ingest.table import FOLDED_ID_REASON, fold_id
from reunite.store.db import utcnow
from reunite.store.models import Candidate, Case, CaseBound, CaseTotal, CurrentTopK, DnaOutcomeRecord, DnaProfile

__all__ = [
    "DNA_CSV_COLUMNS",
    "DNA_HEADER_ALIASES",
    "DNA_OUTCOMES",
    "LabReport",
    "confirmed_with_dates",
    "contradiction",
    "lab_outcome",
    "latest_outcomes",
    "latest_pairs",
    "parse_outcome",
    "parse_outcome_date",
    "read_dna_csv",
    "recorded_outcomes",
    "second_confirmation",
    "write_outcomes",
]

Outcome: TypeAlias = tuple[str, str, DnaOutcome, dt.date | None, str | None, str | None]
"""(case_id, person_id, outcome, date, lab ref, note), checked."""
Recorded: TypeAlias = tuple[str, dt.date | None, str | None]
"""A pair's latest outcome as recorded: (outcome, date, lab ref)."""

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


# How Chinese labs and police DNA desks write an outcome, in _outcome_key form. Only a wording that says
# the kinship test's conclusion is mapped: an exclusion is never proposed again and a confirmation closes
# the case, so a wording that could mean less (a database hit, one locus consistent) is not read as either.
_LAB_OUTCOMES: dict[str, DnaOutcome] = {
    **dict.fromkeys(("排除", "已排除", "排除亲缘关系", "排除亲子关系", "排除血缘关系", "排除生物学亲缘关系",
                     "排除生物学父母", "排除亲生关系"), "excluded"),
    **dict.fromkeys(("确认", "已确认", "确认亲缘关系", "确认亲子关系", "确认血缘关系", "支持", "支持亲缘关系",
                     "支持亲子关系", "支持生物学亲缘关系", "支持生物学父母"), "confirmed"),
    **dict.fromkeys(("待检", "待检测", "检测中", "送检", "已送检", "待比对", "比对中", "已采样", "已采血"),
                    "pending"),
}
_HIT = "a DNA database hit (比中) is a lead for a kinship test, not its outcome"
_NOT_HIT = ("no database hit (未比中) does not say the pair was tested and excluded (the person's profile may "
            "not be in the database yet)")
_INCONCLUSIVE = "an inconclusive result is neither confirmed nor excluded"
_AMBIGUOUS: dict[str, str] = {
    "比中": _HIT, "已比中": _HIT, "比对成功": _HIT,
    "未比中": _NOT_HIT, "比对不成功": _NOT_HIT, "比对未成功": _NOT_HIT,
    "符合": "consistent (符合) may be said of some loci as of the whole test",
    "不符合": "inconsistent (不符合) at some loci may be a mutation, not an exclusion",
    **dict.fromkeys(("无法排除", "不能排除", "不排除", "未排除"), "cannot be excluded is not a confirmation"),
    **dict.fromkeys(("待定", "不确定", "无法确定", "无法判断", "存疑", "不明确"), _INCONCLUSIVE),
}
_IGNORED_IN_OUTCOME = re.compile(r"[\s。.，,；;!！]+")


def _outcome_key(value: str) -> str:
    return _IGNORED_IN_OUTCOME.sub("", unicodedata.normalize("NFKC", value)).casefold()


# the three outcomes as a spreadsheet or a lab's system writes them: Excluded, CONFIRMED, ｅｘｃｌｕｄｅｄ
_LAB_OUTCOMES.update({_outcome_key(outcome): outcome for outcome in get_args(DnaOutcome)})


def lab_outcome(value: str) -> DnaOutcome:
    """A lab file's outcome: one of the three outcomes in any letter case, or a Chinese lab's wording of one.

    Full-width forms, letter case, spaces and punctuation are ignored; the whole cell must be one wording
    (排除 inside 无法排除 is no exclusion), and a word it does not know is refused, never guessed.

    >>> lab_outcome("excluded"), lab_outcome("排除亲缘关系"), lab_outcome(" 已确认。"), lab_outcome("已送检")
    ('excluded', 'excluded', 'confirmed', 'pending')
    >>> lab_outcome("Excluded"), lab_outcome("CONFIRMED"), lab_outcome("ｅｘｃｌｕｄｅｄ "), lab_outcome(" Pending")
    ('excluded', 'confirmed', 'excluded', 'pending')
    >>> lab_outcome("比中")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    reunite.errors.InputError: DNA outcome '比中' is ambiguous: a DNA database hit (比中) is a lead for a kinship ...
    """
    if value in DNA_OUTCOMES:
        return cast(DnaOutcome, value)
    key = _outcome_key(value)
    if key in _LAB_OUTCOMES:
        return _LAB_OUTCOMES[key]
    if key in _AMBIGUOUS:
        raise InputError(f"DNA outcome {value!r} is ambiguous: {_AMBIGUOUS[key]}; write 确认 (confirmed) or 排除 "
                         "(excluded) as the kinship test concluded, or 待检 (pending) until it has")
    allowed = ", ".join(repr(o) for o in DNA_OUTCOMES)
    raise InputError(f"DNA outcome: expected one of {allowed} (or 排除, 确认, 待检 and their usual wordings), "
                     f"got {value!r}")


# A day as labs and Excel write one: 2024-03-05, 2024-3-5, 2024/3/5, 2024.03.05, 20240305, 2024年3月5日
# (full-width digits folded first); Excel's midnight time may follow. A month or a year alone is no day.
_DAY = re.compile(r"(?P<y>\d{4})(?:(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})|(?P<m8>\d{2})(?P<d8>\d{2})"
                  r"|年(?P<mz>\d{1,2})月(?P<dz>\d{1,2})[日号]?)(?:\s+0?0:00(?::00)?)?")


_FIRST_DNA_DAY = dt.date(1985, 1, 1)


def parse_outcome_date(value: dt.date | str | None, *, today: dt.date | None = None) -> dt.date | None:
    """An outcome date: a ``date``, a day written ``YYYY-MM-DD`` (or as labs write one: ``2024/3/5``,
    ``2024.03.05``, ``20240305``, ``2024年3月5日``), or empty; never after ``today``.

    >>> parse_outcome_date("2024-03-05"), parse_outcome_date("2024年3月5日"), parse_outcome_date("２０２４/3/5")
    (datetime.date(2024, 3, 5), datetime.date(2024, 3, 5), datetime.date(2024, 3, 5))
    >>> parse_outcome_date("") is None
    True
    >>> parse_outcome_date("2024年3月")
    Traceback (most recent call last):
    ...
    reunite.errors.InputError: DNA outcome date: expected a day, YYYY-MM-DD (or 2024/3/5, 20240305, 2024年3月5日), \
got '2024年3月'
    >>> parse_outcome_date("2099-01-01", today=dt.date(2026, 1, 1))
    Traceback (most recent call last):
    ...
    reunite.errors.InputError: DNA outcome date: expected a date no later than 2026-01-01, got '2099-01-01'
    >>> parse_outcome_date("1900-01-01")
    Traceback (most recent call last):
    ...
    reunite.errors.InputError: DNA outcome date: expected a date from 1985-01-01 (DNA profiling began in 1985), \
got '1900-01-01'
    """
    if value is None:
        return None
    if isinstance(value, dt.date):
        day = value
    else:
        text = value.strip()
        if not text:
            return None
        found = _DAY.fullmatch(unicodedata.normalize("NFKC", text))
        if found is None:
            day = _bad_date(text)
        else:
            month, date = ((found["m"], found["d"]) if found["m"] else (found["m8"], found["d8"]) if found["m8"]
                           else (found["mz"], found["dz"]))
            try:
                day = dt.date(int(found["y"]), int(month), int(date))
            except ValueError:
                day = _bad_date(text)
    today = today or dt.date.today()
    if day > today:
        raise InputError(f"DNA outcome date: expected a date no later than {today.isoformat()}, "
                         f"got {day.isoformat()!r}")
    if day < _FIRST_DNA_DAY:  # 0001-01-01, 1900-01-01: a typo or a spreadsheet's empty date, stored as a result
        raise InputError(f"DNA outcome date: expected a date from {_FIRST_DNA_DAY.isoformat()} (DNA profiling began "
                         f"in 1985), got {day.isoformat()!r}")
    return day


def _bad_date(text: str) -> dt.date:
    raise InputError(f"DNA outcome date: expected a day, YYYY-MM-DD (or 2024/3/5, 20240305, 2024年3月5日), "
                     f"got {text!r}")


def existing_ids(connection: Connection, side: str, ids: Iterable[str]) -> set[str]:
    """Which of ``ids`` exist as cases (``side="cases"``) or candidates."""
    column = Case.c.case_id if side == "cases" else Candidate.c.person_id
    wanted = sorted(set(ids))
    found: set[str] = set()
    for part in chunks(wanted):
        found.update(connection.scalars(select(column).where(column.in_(part))))
    return found


def contradiction(previous: Recorded | None, outcome: str) -> str | None:
    """Why ``outcome`` contradicts the pair's latest recorded one, or None.

    ``confirmed`` after ``excluded`` and ``excluded`` after ``confirmed`` contradict; a repeat, a
    ``pending`` sample and a first outcome do not.

    >>> contradiction(("excluded", dt.date(2024, 3, 1), "L-1"), "confirmed")
    "contradicts the recorded outcome 'excluded' (2024-03-01, lab ref L-1)"
    >>> contradiction(("pending", None, None), "confirmed") is None
    True
    """
    if previous is None or {previous[0], outcome} != {"confirmed", "excluded"}:
        return None
    known = ", ".join(x for x in (previous[1].isoformat() if previous[1] else "", previous[2] and
                                  f"lab ref {previous[2]}") if x)
    return f"contradicts the recorded outcome {previous[0]!r}" + (f" ({known})" if known else "")


def second_confirmation(confirmed: Mapping[tuple[str, str], dt.date | None], case_id: str, person_id: str,
                        outcome: str) -> str | None:
    """Why ``confirmed`` for (case, person) needs ``supersede``, or None: the case is already confirmed
    with another person, or the person as the child of another case (``confirmed``: the pairs whose
    latest outcome is ``confirmed``, with its date).

    A case is one child and a person is one child: a second confirmation is a duplicate record (of the
    person, or of the case), or one of the two conclusions is wrong, and a family is told one answer.

    >>> second_confirmation({("C1", "P1"): dt.date(2024, 3, 1)}, "C1", "P2", "confirmed")
    "case 'C1' is already confirmed with person 'P1' (2024-03-01): a case is one child and a person one child; \
record 'excluded' for that pair first with --supersede (supersede=True) if it was wrong, or, if both are one \
child's duplicate records, import with --supersede to confirm this one too"
    >>> second_confirmation({("C2", "P1"): None}, "C1", "P1", "confirmed")[:63]
    "person 'P1' is already confirmed as the child of case 'C2': a c"
    """
    if outcome != "confirmed":
        return None
    persons = sorted((p, day) for (c, p), day in confirmed.items() if c == case_id and p != person_id)
    cases = sorted((c, day) for (c, p), day in confirmed.items() if p == person_id and c != case_id)
    if not persons and not cases:
        return None

    def named(ids: list[tuple[str, dt.date | None]]) -> str:
        return ", ".join(f"{i!r}" + (f" ({day.isoformat()})" if day else "") for i, day in ids)

    found = "; ".join([*([f"case {case_id!r} is already confirmed with person {named(persons)}"] if persons else []),
                       *([f"person {person_id!r} is already confirmed as the child of case {named(cases)}"]
                         if cases else [])])
    return (f"{found}: a case is one child and a person one child; record 'excluded' for that pair first with "
            "--supersede (supersede=True) if it was wrong, or, if both are one child's duplicate records, import "
            "with --supersede to confirm this one too")


def confirmed_with_dates(connection: Connection) -> dict[tuple[str, str], dt.date | None]:
    """The pairs whose latest outcome is ``confirmed``, with its date (every case's: a lab file is a few
    rows, and the confirmed pairs of all cases are few)."""
    query = (select(DnaOutcomeRecord.c.case_id, DnaOutcomeRecord.c.person_id, DnaOutcomeRecord.c.outcome,
                    DnaOutcomeRecord.c.outcome_date).order_by(DnaOutcomeRecord.c.id))
    last = {(c, p): (o, day) for c, p, o, day in connection.execute(query)}
    return {pair: day for pair, (o, day) in last.items() if o == "confirmed"}


def latest_outcomes(connection: Connection, case_ids: Iterable[str]) -> dict[tuple[str, str], Recorded]:
    """The latest recorded outcome of every pair of the given cases."""
    latest: dict[tuple[str, str], Recorded] = {}
    for part in chunks(sorted(set(case_ids))):
        query = (select(DnaOutcomeRecord.c.case_id, DnaOutcomeRecord.c.person_id, DnaOutcomeRecord.c.outcome,
                        DnaOutcomeRecord.c.outcome_date, DnaOutcomeRecord.c.lab_ref)
                 .where(DnaOutcomeRecord.c.case_id.in_(part)).order_by(DnaOutcomeRecord.c.id))
        for case_id, person_id, outcome, day, lab_ref in connection.execute(query):
            latest[(case_id, person_id)] = (outcome, day, lab_ref)
    return latest


def recorded_outcomes(connection: Connection, case_ids: Iterable[str]) -> dict[Outcome, int]:
    """Every recorded outcome of the given cases' pairs, as a lab wrote it, to its row id (the first)."""
    recorded: dict[Outcome, int] = {}
    for part in chunks(sorted(set(case_ids))):
        query = (select(DnaOutcomeRecord.c.case_id, DnaOutcomeRecord.c.person_id, DnaOutcomeRecord.c.outcome,
                        DnaOutcomeRecord.c.outcome_date, DnaOutcomeRecord.c.lab_ref, DnaOutcomeRecord.c.note,
                        DnaOutcomeRecord.c.id)
                 .where(DnaOutcomeRecord.c.case_id.in_(part)).order_by(DnaOutcomeRecord.c.id))
        for case_id, person_id, outcome, day, lab_ref, note, row_id in connection.execute(query):
            recorded.setdefault((case_id, person_id, cast(DnaOutcome, outcome), day, lab_ref, note), int(row_id))
    return recorded


def write_outcomes(
    connection: Connection,
    outcomes: Sequence[Outcome],
    user: str,
) -> list[int]:
    """Write checked outcomes (case, person, outcome, date, lab ref, note) inside ``connection``'s
    transaction: close confirmed cases, reopen a case whose only confirmed pair is now excluded or pending,
    mark typed profiles on file. Returns the new row ids."""
    now = utcnow()
    row_ids = [  # one statement a row: each outcome's row id goes to the audit log (a lab file is a few rows)
        int(connection.execute(insert(DnaOutcomeRecord).values(
            case_id=c, person_id=p, outcome=o, outcome_date=d, lab_ref=r, note=n, recorded_at=now,
            recorded_by=user).returning(DnaOutcomeRecord.c.id)).scalar_one())
        for c, p, o, d, r, n in outcomes
    ]
    confirmed = sorted({c for c, _, o, *_ in outcomes if o == "confirmed"})
    for part in chunks(confirmed):
        connection.execute(update(Case).where(Case.c.case_id.in_(part)).values(closed=True))
    # a confirmation superseded (excluded, or pending a new test) reopens its case, unless another
    # pair of the case is still confirmed
    doubted = {c for c, _, o, *_ in outcomes if o in ("excluded", "pending")} - set(confirmed)
    if doubted:
        still = {case for (case, _), (o, _, _) in latest_outcomes(connection, doubted).items() if o == "confirmed"}
        closed: set[str] = set()
        for part in chunks(sorted(doubted - still)):
            closed.update(connection.scalars(select(Case.c.case_id).where(Case.c.case_id.in_(part),
                                                                          Case.c.closed.is_(True))))
        for part in chunks(sorted(closed)):
            connection.execute(update(Case).where(Case.c.case_id.in_(part)).values(closed=False))
            # no night merged into a closed case: its stored top-k, bound and totals are those of the
            # night it closed. Dropped, the reopened case is screened against every candidate by the
            # next re-screen (and plan and export show none of its stale rows meanwhile)
            for model in (CurrentTopK, CaseBound, CaseTotal):
                connection.execute(delete(model).where(model.c.case_id.in_(part)))
    typed = {p: f"DNA outcome {o} for case {c}" for c, p, o, *_ in outcomes if o != "pending"}
    on_file: set[str] = set()
    for part in chunks(sorted(typed)):
        on_file.update(connection.scalars(select(DnaProfile.c.person_id).where(DnaProfile.c.person_id.in_(part))))
    profiles = [{"person_id": p, "marked_at": now, "source": src} for p, src in typed.items() if p not in on_file]
    if profiles:
        connection.execute(insert(DnaProfile), profiles)
    return row_ids


def latest_pairs(connection: Connection, outcome: DnaOutcome) -> set[tuple[str, str]]:
    """Pairs whose most recently recorded outcome is ``outcome``."""
    latest = (
        select(DnaOutcomeRecord.c.case_id, DnaOutcomeRecord.c.person_id, DnaOutcomeRecord.c.outcome)
        .order_by(DnaOutcomeRecord.c.id)
    )
    last: dict[tuple[str, str], str] = {}
    for case_id, person_id, value in connection.execute(latest):
        last[(case_id, person_id)] = value
    return {pair for pair, value in last.items() if value == outcome}


_DNA_ALIASES: dict[str, tuple[str, ...]] = {
    "case_id": ("case_id", "case id", "case no", "case number", "案件编号", "案件号", "案号"),
    "person_id": ("person_id", "person id", "person no", "candidate id", "人员编号", "比对人员编号"),
    "outcome": ("outcome", "result", "dna result", "结果", "比对结果", "鉴定结果", "检验结果", "DNA比对结果"),
    "date": ("date", "outcome date", "result date", "日期", "比对日期", "鉴定日期", "检验日期", "结果日期"),
    "lab_ref": ("lab_ref", "lab ref", "lab reference", "lab no", "实验室编号", "检验编号", "鉴定编号", "鉴定书编号"),
    "note": ("note", "notes", "remark", "remarks", "comment", "备注", "说明"),
}
# A lab file's headers as case and candidate files' are read (reunite.ingest.columns): full-width folded,
# case, spaces, "_-.:*" ignored. A plain 编号 or id is not among them: in a file of pairs it names neither.
DNA_HEADER_ALIASES: Mapping[str, str] = {
    header_key(alias): column for column, aliases in _DNA_ALIASES.items() for alias in aliases
}
"""Known lab-file headers (in :func:`reunite.ingest.columns.header_key` form) to their DNA column."""


def _columns(header: Sequence[str], mapping: Mapping[str, str], name: str) -> dict[str, int]:
    """Position of each canonical column; unknown headers are an error naming them.

    A header is the user's ``mapping`` entry for it (matched as written, then in header_key form), else a
    known header (``DNA_HEADER_ALIASES``: 案件编号, 人员编号, 比对结果, 比对日期, 备注, ...).
    """
    check_mapping(mapping)
    for target in mapping.values():
        if target and target not in DNA_CSV_COLUMNS:
            raise ConfigError(f"mapping: expected a column among {', '.join(DNA_CSV_COLUMNS)} (or '' to ignore "
                              f"a header), got {target!r}")
    by_key = {header_key(their): column for their, column in mapping.items()}
    exact = {their.strip(): column for their, column in mapping.items()}
    unused = [their for their in mapping if their.strip() not in header
              and header_key(their) not in {header_key(cell) for cell in header}]
    if unused:  # a misspelt header: the column it meant is then missing, or read as something else
        raise ConfigError(f"{name}: --mapping names header(s) {', '.join(repr(h) for h in unused)}, which the "
                          f"file does not have; its headers are {', '.join(repr(h) for h in header) or 'none'}")
    positions: dict[str, int] = {}
    unknown: list[str] = []
    for at, cell in enumerate(header):
        column = exact.get(cell, by_key.get(header_key(cell), DNA_HEADER_ALIASES.get(header_key(cell))))
        if column == "":
            continue
        if column is None:
            unknown.append(repr(cell) if cell else f"(column {at + 1} has no header)")
            continue
        if column in positions:
            if header_key(header[positions[column]]) == header_key(cell):  # a mapping would name both
                raise InputError(f"{name}: columns {positions[column] + 1} and {at + 1} have the same header "
                                 f"{cell!r}, both read as {column!r}; a mapping cannot tell them apart: rename or "
                                 "delete one of them in the file")
            raise InputError(f"{name}: headers {header[positions[column]]!r} and {cell!r} both map to column "
                             f"{column!r}; map one of them to '' to ignore it")
        positions[column] = at
    missing = [c for c in _REQUIRED if c not in positions]
    if missing:
        raise MissingColumnsError(
            f"{name}: missing column(s) {', '.join(missing)}; expected {', '.join(DNA_CSV_COLUMNS)} "
            f"(date, lab_ref, note optional), found {', '.join(repr(h) for h in header) or 'no header'}; "
            f"map a header to one (--mapping 'header={missing[0]}' on the command line; in Python, the mapping "
            "argument)"
        )
    if unknown:
        raise InputError(
            f"{name}: unknown column(s) {', '.join(unknown)}: expected only {', '.join(DNA_CSV_COLUMNS)}; "
            "map a header to one of them (--mapping 'header=date' on the command line; in Python, the mapping "
            "argument) or ignore it "
            "(--mapping 'header=') so that no value is lost unseen"
        )
    return positions


def _torn_pairs(raw: Sequence[tuple[int, Mapping[str, str]]]) -> dict[tuple[str, str], list[int]]:
    """Pairs the file gives both ``confirmed`` and ``excluded``, with the rows that do."""
    rows: dict[tuple[str, str], dict[str, list[int]]] = {}
    for number, row in raw:
        try:
            outcome = lab_outcome(row["outcome"])
        except InputError:
            continue
        rows.setdefault((row["case_id"], row["person_id"]), {}).setdefault(outcome, []).append(number)
    return {pair: sorted(found["confirmed"] + found["excluded"]) for pair, found in rows.items()
            if "confirmed" in found and "excluded" in found}


@dataclass(slots=True, repr=False)
class LabReport(IngestReport):
    """An :class:`~reunite.ingest.report.IngestReport` of a lab file, which also counts the accepted rows
    the store already held (``already_recorded``: the same outcome, date, lab ref and note for the pair,
    a lab file imported again): counted, not stored again, so ``accepted - already_recorded`` were stored.

    >>> report = LabReport(source="lab.csv", read=3, already_recorded=2)
    >>> print(report.summary())
    lab.csv: read 3, imported 1, already recorded 2 (identical outcome, date, lab ref and note; not stored again), \
quarantined 0
    """

    already_recorded: int = 0

    def __repr__(self) -> str:  # counts only, as IngestReport's: the problems carry raw cells
        counts = IngestReport.__repr__(self).removeprefix("IngestReport")[:-1]
        return f"LabReport{counts}, already_recorded={self.already_recorded})"

    def summary(self, lang: i18n.Language = "en") -> str:
        lines = IngestReport.summary(self, lang).split("\n")
        assert 0 <= self.already_recorded <= self.accepted
        flagged = i18n.text(lang, "ingest_flagged", n=self.flagged)  # said of rows to screen
        lines = [i18n.text(lang, "ingest_flagged_dna", n=self.flagged) if line == flagged else line for line in lines]
        if self.already_recorded:
            lines[0] = (i18n.text(lang, "ingest_counts_recorded", source=self.source, read=self.read,
                             stored=self.accepted - self.already_recorded, already=self.already_recorded,
                             quarantined=self.quarantined)
                        + (i18n.text(lang, "ingest_encoding", encoding=self.encoding) if self.encoding else ""))
        return "\n".join(lines)


def read_dna_csv(
    connection: Connection, path: str | Path, *, mapping: Mapping[str, str] | None = None, supersede: bool = False,
    today: dt.date | None = None, encoding: str | None = None,
) -> tuple[list[Outcome], LabReport, list[dict[str, Any]], list[dict[str, Any]]]:
    """Read and check a lab CSV.

    Returns the good rows, the report (bad rows quarantined with the reason), the outcomes they
    supersede (``supersede=True``; otherwise a contradicting row is quarantined), and the rows already
    recorded (the same outcome, date, lab ref and note for the pair, in the store or earlier in the
    file: counted in ``report.already_recorded``, not returned as good rows), each with the row id
    (or ``"row N"`` of the file) it repeats.
    """
    source = Path(path)
    # as case files are read (encoding: detected unless given)
    text, encoding = decode_text(source.read_bytes(), source=source.name, encoding=encoding)
    delimiter = sniff_delimiter(text.split("\n", 1)[0], source.suffix.lower())  # as case files are read
    report = LabReport(source=source.name, encoding=encoding, delimiter=delimiter)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        lines = [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        raise InputError(f"{source.name} line {reader.line_num}: expected CSV, got {exc}") from None
    lines = [(number, row) for number, row in lines if any(cell.strip() for cell in row)]
    header = [h.strip() for h in lines[0][1]] if lines else []
    positions = _columns(header, mapping or {}, source.name)
    report.columns = {column: header[at] for column, at in positions.items()}
    raw: list[tuple[int, dict[str, str]]] = []
    for number, cells in lines[1:]:
        report.read += 1
        if len(cells) != len(header):
            report.add(number, "", delimiter.join(cells),
                       f"wrong number of cells: expected {len(header)} as in the header, found {len(cells)}")
            continue
        if [cell.lstrip("\ufeff").strip() for cell in cells] == header:  # two lab files joined
            report.add(number, "", delimiter.join(cells), "a repeated header row")
            continue
        row = {column: cells[at].strip() for column, at in positions.items()}
        for column in ("case_id", "person_id"):  # ＰＡ００１２３ is the stored PA00123
            folded = fold_id(row[column])
            if folded != row[column]:
                report.add(number, column, row[column], FOLDED_ID_REASON.format(folded=folded), fatal=False)
                row[column] = folded
        raw.append((number, row))
    known_cases = existing_ids(connection, "cases", (r["case_id"] for _, r in raw))
    known_persons = existing_ids(connection, "candidates", (r["person_id"] for _, r in raw))
    latest = latest_outcomes(connection, known_cases)
    confirmed = confirmed_with_dates(connection)
    # a lab file imported again (or a row repeated in it) is the same result, not a second one: the
    # store keeps it once, and a re-sent old result does not undo what came after it
    recorded: dict[Outcome, int | str] = dict(recorded_outcomes(connection, known_cases))
    torn = _torn_pairs(raw)
    good: list[Outcome] = []
    superseded: list[dict[str, Any]] = []
    repeated: list[dict[str, Any]] = []
    for number, row in raw:
        case_id, person_id = row["case_id"], row["person_id"]
        if not case_id:
            report.add(number, "case_id", case_id, "missing case_id")
        elif case_id not in known_cases:
            report.add(number, "case_id", case_id,
                       "unknown case: not in the store (a case is stored when a rescreen reads it)")
        if not person_id:
            report.add(number, "person_id", person_id, "missing person_id")
        elif person_id not in known_persons:
            report.add(number, "person_id", person_id,
                       "unknown person: not in the store (a person is stored when a rescreen reads them)")
        outcome: DnaOutcome | None = None
        try:
            outcome = lab_outcome(row["outcome"])
        except InputError as exc:
            report.add(number, "outcome", row["outcome"], str(exc))
        date: dt.date | None = None
        try:
            date = parse_outcome_date(row.get("date", ""), today=today)
        except InputError as exc:
            report.add(number, "date", row.get("date", ""), str(exc))
        if report.is_quarantined(number) or outcome is None:
            continue
        identity: Outcome = (case_id, person_id, outcome, date, row.get("lab_ref") or None, row.get("note") or None)
        if identity in recorded:
            report.already_recorded += 1
            repeated.append({"row": number, "same_as": recorded[identity]})
            continue
        if not supersede and outcome != "pending" and (case_id, person_id) in torn:
            # which row is right the file does not say: taking the first would close (or keep open) a case
            # on one of two answers
            report.add(number, "outcome", outcome, "contradicting outcomes for this pair in the same file "
                       f"(confirmed and excluded, rows {', '.join(map(str, torn[(case_id, person_id)]))}): "
                       "neither is imported; correct the file, or import with --supersede (supersede=True) "
                       "to apply its rows in order")
            continue
        previous = latest.get((case_id, person_id))
        conflict = contradiction(previous, outcome)
        if conflict is not None and not supersede:
            report.add(number, "outcome", outcome, f"{conflict}; import with --supersede (supersede=True) "
                       "to replace it")
            continue
        second = second_confirmation(confirmed, case_id, person_id, outcome)
        if second is not None and not supersede:
            report.add(number, "outcome", outcome, second)
            continue
        if second is not None:  # in the audit entry: the case, or the person, now has two confirmations
            superseded.append({"case_id": case_id, "person_id": person_id, "outcome": outcome, "row": number,
                               "also_confirmed": sorted(pair for pair in confirmed if pair != (case_id, person_id)
                                                        and (pair[0] == case_id or pair[1] == person_id))})
        if conflict is not None and previous is not None:
            superseded.append({"case_id": case_id, "person_id": person_id, "outcome": outcome, "row": number,
                               "supersedes": previous[0]})
        latest[(case_id, person_id)] = (outcome, date, row.get("lab_ref") or None)
        if outcome == "confirmed":
            confirmed[(case_id, person_id)] = date
        else:
            confirmed.pop((case_id, person_id), None)
        recorded[identity] = f"row {number}"
        good.append(identity)
    return good, report, superseded, repeated
