"""Removing cases and candidates: reading a removal list, deciding each row, marking the rows removed.

A person dies, or a register record is deleted or merged into another; a case is withdrawn (the
child was found by other means, a duplicate report). ``reunite rescreen --remove-candidates FILE
--remove-cases FILE`` takes them out of the data: a CSV with a ``person_id`` (or ``case_id``) column
and an optional ``reason``. Every row is accounted for, as for any input (``read = accepted +
quarantined``):

* quarantined (not removed, with the reason): no id, a row with more or fewer cells than the
  header, an id repeated in the file, an id the store does not hold, an id that this run's
  cases or candidates input also carries (re-sent and removed the same night: which one is
  meant?), and a case or person with a ``confirmed`` DNA outcome unless forced (a found child's
  record is evidence: ``--force-removals`` removes it anyway, flagged);
* accepted and flagged: an id an earlier run already removed (nothing to do: a list re-sent
  every night stays quiet), a person or case with a ``pending`` DNA outcome (the sample is at
  the lab), a forced removal;
* accepted: removed by the run.

A removed row stays in the store (the history of results and the DNA outcomes point at it) with
the run that removed it (``removed_run``, revision 0009); every removal is in the audit log with its
reason. A removed row that comes back in a later input is stored again as a new row.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

from sqlalchemy import Connection, bindparam, delete, update

from reunite._typing import Side
from reunite.errors import InputError, MissingColumnsError, MissingFileError
from reunite.ingest import IngestReport, decode_text, fold_id, id_column
from reunite.ingest.columns import canonical_column, header_key
from reunite.ingest.read import cell_text, sniff_delimiter, workbook_rows
from reunite.store.models import CaseBound, CaseTotal, CurrentTopK
from reunite.store.records import COLUMNS, MODELS

__all__ = ["Removal", "RemovalList", "RemovalSource", "decide_removals", "decide_restores", "mark_removed",
           "read_removals"]

RemovalSource: TypeAlias = "str | os.PathLike[str] | Sequence[str]"
"""A removal list: a CSV file, or the ids themselves (Python)."""

_REASON_HEADERS = {header_key(h) for h in ("reason", "原因", "注销原因", "删除原因", "撤销原因", "note", "备注")}


@dataclass(frozen=True, slots=True)
class Removal:
    """One case or person a run removes: why, and whether it was forced past a confirmed DNA outcome."""

    side: Side
    record_id: str
    reason: str
    forced: bool = False

    def as_detail(self) -> dict[str, Any]:
        """What the audit log keeps of it."""
        return {"side": self.side, "id": self.record_id, "reason": self.reason, "forced": self.forced}


@dataclass(frozen=True, slots=True)
class RemovalList:
    """A removal list as read: ``rows`` ``(row number, id, reason)`` that reading accepted, and the
    report of the file (its quarantined rows; the decisions against the store come later)."""

    side: Side
    rows: tuple[tuple[int, str, str], ...]
    report: IngestReport


def read_removals(source: RemovalSource, side: Side, *, mapping: Mapping[str, str] | None = None,
                  encoding: str | None = None, sheet: str | int | None = None) -> RemovalList:
    """Read a removal list of ``side`` ("cases": ``case_id``; "candidates": ``person_id``).

    A CSV (UTF-8, with or without BOM, or GB18030; ``encoding`` overrides) or an ``.xlsx`` workbook
    (its active sheet, or ``sheet``): the id column under any header the inputs recognise for it
    (``person_id``, ``人员编号``, ``编号`` ...) or mapped to it (``mapping``), and an optional
    ``reason`` (``原因``, ``备注``); other headers are listed as ignored in the report. Or the ids
    themselves, as a sequence of strings (row ``n`` is the ``n - 1``-th id, as for a DataFrame).

    >>> found = read_removals(["P1", "P2", "P1", ""], "candidates")
    >>> found.rows, found.report.read, found.report.quarantined
    (((2, 'P1', ''), (3, 'P2', '')), 4, 2)

    Raises
    ------
    MissingFileError, MissingColumnsError, InputError
        No such file; no id column; neither CSV nor a workbook.
    """
    wanted = id_column(side)
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.is_file():
            raise MissingFileError(f"{path}: no such file (the {side} to remove)")
        report = IngestReport(source=path.name, removal=True)
        lines = _xlsx_lines(path, sheet) if path.suffix.lower() in (".xlsx", ".xlsm") else _csv_lines(
            path, encoding, report)
        report.blank_rows = sum(1 for _, row in lines[1:] if not any(cell.strip() for cell in row))
        lines = [(number, row) for number, row in lines if any(cell.strip() for cell in row)]
        header = [h.strip() for h in lines[0][1]] if lines else []
        at, why = _positions(header, side, mapping or {}, path.name)
        report.columns = {wanted: header[at], **({"reason": header[why]} if why is not None else {})}
        report.ignored_columns = [h for i, h in enumerate(header) if i not in (at, why)]
        cells: list[tuple[int, str, str] | None] = []
        for number, row in lines[1:]:
            if len(row) != len(header):
                report.read += 1
                report.add(number, "", (report.delimiter or ",").join(row),
                           f"wrong number of cells: expected {len(header)} as in the header, found {len(row)}")
                cells.append(None)
                continue
            if [cell.lstrip("\ufeff").strip() for cell in row] == header:  # two lists joined
                report.read += 1
                report.add(number, "", (report.delimiter or ",").join(row), "a repeated header row")
                cells.append(None)
                continue
            cells.append((number, fold_id(row[at].strip()), row[why].strip() if why is not None else ""))
        rows = [c for c in cells if c is not None]
    else:
        if not all(isinstance(value, str) for value in source):
            raise InputError(f"the {side} to remove: expected a CSV path or a list of {wanted} strings")
        report = IngestReport(source=f"{side} to remove", columns={wanted: wanted}, removal=True)
        rows = [(index + 2, fold_id(value), "") for index, value in enumerate(source)]
    seen: dict[str, int] = {}
    kept: list[tuple[int, str, str]] = []
    for number, key, reason in rows:
        report.read += 1
        if not key:
            report.add(number, wanted, key, f"missing {wanted}")
        elif key in seen:
            report.add(number, wanted, key, f"{wanted} repeated: already at row {seen[key]}")
        else:
            seen[key] = number
            kept.append((number, key, reason))
    return RemovalList(side, tuple(kept), report)


def _csv_lines(path: Path, encoding: str | None, report: IngestReport) -> list[tuple[int, list[str]]]:
    """The rows of a CSV removal list with their line numbers."""
    data = path.read_bytes()
    if data[:2] == b"PK":
        raise InputError(f"{path.name} is a zip file (an Excel .xlsx workbook?), not CSV text; "
                         "rename it to .xlsx or save it as CSV")
    text, used = decode_text(data, source=path.name, encoding=encoding)
    report.encoding = used  # the delimiter as case files are read
    report.delimiter = sniff_delimiter(text.split("\n", 1)[0], path.suffix.lower())
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=report.delimiter, strict=True)
    try:
        return [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        raise InputError(f"{path.name} line {reader.line_num}: expected CSV, got {exc}") from None


def _xlsx_lines(path: Path, sheet: str | int | None) -> list[tuple[int, list[str]]]:
    """The rows of a workbook's sheet as text (an id stored as a number comes back as its digits),
    padded to the header's width as the inputs are read."""
    with workbook_rows(path, sheet, path.name) as cells:
        rows = [[cell_text(value) for value in row] for row in cells]
    width = len(rows[0]) if rows else 0
    while width and rows and not rows[0][width - 1]:
        width -= 1  # trailing empty header cells of a sheet's used range
    return [(number, (row + [""] * width)[:width] if not any(row[width:]) else row)
            for number, row in enumerate(rows, start=1)]


def _positions(header: Sequence[str], side: Side, mapping: Mapping[str, str], name: str) -> tuple[int, int | None]:
    """Where the id column and the reason are among ``header``."""
    wanted = id_column(side)
    ids = [at for at, h in enumerate(header) if mapping.get(h, canonical_column(h, side) or "") == wanted]
    reasons = [at for at, h in enumerate(header)
               if mapping.get(h) == "reason" or (h not in mapping and header_key(h) in _REASON_HEADERS)]
    if not ids:
        raise MissingColumnsError(f"{name}: missing column {wanted}; expected a {wanted} column (and optionally "
                                  f"reason), found {', '.join(repr(h) for h in header) or 'no header'}")
    if len(ids) > 1:
        raise InputError(f"{name}: headers {', '.join(repr(header[at]) for at in ids)} all name the column "
                         f"{wanted}; map all but one to '' (--mapping 'header=')")
    return ids[0], reasons[0] if reasons else None


def decide_removals(
    found: RemovalList, *, stored: Mapping[str, int | None], given: Collection[str],
    confirmed: Mapping[str, Sequence[str]], pending: Mapping[str, Sequence[str]], force: bool,
) -> tuple[list[Removal], IngestReport]:
    """Which rows of a removal list a run removes, and the list's report with every decision.

    ``stored``: each id the store holds, with the run that removed it (``None``: current,
    :meth:`reunite.store.Store.removal_state`); ``given``: the ids of this run's input of the same
    side; ``confirmed`` / ``pending``: per id, the other side's ids of its pairs whose latest DNA
    outcome is that; ``force``: remove an id with a confirmed outcome too (flagged).
    The report is a copy: the list's own report is left as read.

    >>> found = read_removals(["P1", "P2", "P3", "P4", "P5"], "candidates")
    >>> removed, report = decide_removals(found, stored={"P1": None, "P2": 3, "P4": None, "P5": None},
    ...                                   given={"P5"}, confirmed={"P4": ["C1"]}, pending={}, force=False)
    >>> [r.record_id for r in removed], report.read, report.accepted, report.quarantined, report.flagged
    (['P1'], 5, 2, 3, 1)
    """
    wanted = id_column(found.side)
    other = "case" if found.side == "candidates" else "person"
    source = found.report
    report = IngestReport(source=source.source, read=source.read, encoding=source.encoding,
                          columns=dict(source.columns), delimiter=source.delimiter,
                          ignored_columns=list(source.ignored_columns), blank_rows=source.blank_rows,
                          removal=True)
    for problem in source.problems:
        report.add(problem.row, problem.column, problem.value, problem.reason, fatal=problem.fatal)
    removed: list[Removal] = []
    for number, key, reason in found.rows:
        if key not in stored:
            report.add(number, wanted, key, f"unknown {wanted}: not in the store, nothing to remove")
        elif stored[key] is not None:
            report.add(number, wanted, key, f"already removed by run {stored[key]}: nothing to do", fatal=False)
        elif key in given:
            report.add(number, wanted, key, f"{wanted} also in this run's {found.side} input: not removed "
                       "(send a record or its removal, not both)")
        elif confirmed.get(key) and not force:
            report.add(number, wanted, key, f"DNA confirmed the match with {other} {confirmed[key][0]!r}: not "
                       "removed; --force-removals (force_removals=True) removes it anyway")
        else:
            forced = bool(confirmed.get(key))
            if forced:
                report.add(number, wanted, key, f"removed although DNA confirmed the match with {other} "
                           f"{confirmed[key][0]!r} (forced)", fatal=False)
            elif pending.get(key):
                report.add(number, wanted, key, f"removed with a DNA sample pending at the lab for {other} "
                           f"{pending[key][0]!r}", fatal=False)
            removed.append(Removal(found.side, key, reason, forced))
    return removed, report


def decide_restores(
    found: RemovalList, *, stored: Mapping[str, int | None], given: Collection[str], removing: Collection[str],
    closed: Collection[str] = (),
) -> tuple[list[Removal], IngestReport]:
    """Which rows of a restore list (the undo of a removal: the same format) a run brings back, and the
    list's report with every decision.

    ``stored``: each id the store holds, with the run that removed it (``None``: current);
    ``given``: the ids of this run's input of the same side (a removed row sent again comes back
    with the input's values: the restore is flagged, not needed); ``removing``: the ids this run's
    removal list of the same side lists. Quarantined (not restored, with the reason): an id the
    store does not hold, one that is not removed, one also removed tonight. ``closed``: cases a
    confirmed DNA match closed; one comes back closed, and is not screened (flagged). The report is
    a copy.

    >>> found = read_removals(["P1", "P2", "P3", "P4", "P5"], "candidates")
    >>> restored, report = decide_restores(found, stored={"P1": 3, "P2": None, "P4": 3, "P5": 4},
    ...                                    given={"P4"}, removing={"P5"})
    >>> [r.record_id for r in restored], report.read, report.accepted, report.quarantined, report.flagged
    (['P1'], 5, 2, 3, 1)
    >>> restored, report = decide_restores(read_removals(["C1"], "cases"), stored={"C1": 3}, given=set(),
    ...                                    removing=set(), closed={"C1"})
    >>> [r.record_id for r in restored], report.accepted, report.flagged
    (['C1'], 1, 1)
    """
    wanted = id_column(found.side)
    source = found.report
    report = IngestReport(source=source.source, read=source.read, encoding=source.encoding,
                          columns=dict(source.columns), delimiter=source.delimiter,
                          ignored_columns=list(source.ignored_columns), blank_rows=source.blank_rows)
    for problem in source.problems:
        report.add(problem.row, problem.column, problem.value, problem.reason, fatal=problem.fatal)
    restored: list[Removal] = []
    for number, key, reason in found.rows:
        if key not in stored:
            report.add(number, wanted, key, f"unknown {wanted}: not in the store, nothing to restore")
        elif stored[key] is None:
            report.add(number, wanted, key, f"{wanted} not removed: nothing to restore")
        elif key in removing:
            report.add(number, wanted, key, f"{wanted} also in this run's removal list: not restored "
                       "(send a removal or its undo, not both)")
        elif key in given:
            report.add(number, wanted, key, f"removed by run {stored[key]}, and also in this run's {found.side} "
                       "input: it comes back with the input's values", fatal=False)
        else:
            if key in closed:
                report.add(number, wanted, key, "DNA confirmed a match for this case: restored closed, not screened",
                           fatal=False)
            restored.append(Removal(found.side, key, reason or f"removal by run {stored[key]} undone"))
    return restored, report


def mark_removed(connection: Connection, run_id: int, removals: Sequence[Removal]) -> None:
    """Inside ``connection``'s transaction: mark each row removed by ``run_id``; a removed case also
    loses its current top-k, its bound and its totals (it is no longer screened)."""
    for side in ("cases", "candidates"):
        ids = sorted({r.record_id for r in removals if r.side == side})
        if not ids:
            continue
        table = MODELS[side]
        key = table.c[COLUMNS[side][0]]
        connection.execute(update(table).where(key == bindparam("_id")).values(removed_run=run_id),
                           [{"_id": i} for i in ids])
        if side == "cases":
            for model in (CurrentTopK, CaseBound, CaseTotal):
                held = model
                connection.execute(delete(held).where(held.c.case_id == bindparam("_id")), [{"_id": i} for i in ids])
