"""A night's inputs split against the store: the new and changed rows, normalized as ``screen``
normalizes them, and the stored rows read back for a screen."""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

import numpy as np

from reunite import stored_records
from reunite._typing import Side
from reunite.ingest import RawTable, TableSource, fitting_options, read_table
from reunite.ingest.read import read_records
from reunite.ingest.table import CANDIDATE_COLUMNS, CASE_COLUMNS
from reunite.normalize import RecordTable
from reunite.normalize.dates import parse_dates
from reunite.normalize.ids import is_excel_number, mask_id
from reunite.normalize.stored import is_prepared, read_prepared_raw
from reunite.pipeline import load_side, refuse_a_ranking
from reunite.store import Store

__all__ = ["COLUMNS", "Input", "as_new", "overlay", "read_input", "split_input", "stored_table", "with_restored",
           "with_rows"]

COLUMNS: dict[Side, tuple[str, ...]] = {"cases": CASE_COLUMNS, "candidates": CANDIDATE_COLUMNS}
_LOOK_UP_BELOW = 20_000  # rows of an input looked up by id in the store; more: the store read whole


@dataclass(frozen=True, slots=True)
class Input:
    """One side's input split against the store: its new and changed rows that normalize accepted."""

    side: Side
    rows: list[dict[str, str]]      # new and changed rows, canonical text
    new_ids: list[str]
    changed_ids: list[str]
    table: RecordTable | None       # the same rows, normalized (None when none came)
    facts: dict[str, Any]           # recorded on the run

    @property
    def ids(self) -> list[str]:
        return [*self.new_ids, *self.changed_ids]


def read_input(source: TableSource | RawTable | None, side: Side, mapping: Mapping[str, str] | None,
          strict: bool, encoding: str | None = None, sheet: str | int | None = None) -> RawTable | None:
    if source is None:
        return None
    if isinstance(source, str | os.PathLike) and is_prepared(source):  # reunite prepare's table: its text
        return read_prepared_raw(source, side)
    if isinstance(source, RawTable):
        return source
    encoding, sheet = fitting_options(source, encoding, sheet)
    raw = read_table(source, side, mapping=mapping, strict=strict, encoding=encoding, sheet=sheet)
    refuse_a_ranking(raw.report, side)  # before anything is stored
    return raw


def _changed_rows(columns: Sequence[Sequence[str]], stored: Mapping[str, str]) -> list[int]:
    """Indices of the rows (``columns[0]`` holds the ids) that are not in ``stored`` (id -> content
    hash) as they are: :func:`reunite.store.records.content_hash` of each row, without the JSON
    encoder's per-call overhead (about 3x quicker; a night's extract hashes every row).

    >>> from reunite.store.records import content_hash
    >>> rows = [["P1", '王"芳' + chr(92), chr(0) + " " + chr(0x2028), "😀", ""], ["P2", "", "", "", ""]]
    >>> _changed_rows(list(zip(*rows)), {"P1": content_hash(rows[0]), "P2": content_hash(["P2"])})
    [1]
    """
    sha256, encode, join, get = hashlib.sha256, encode_basestring, ", ".join, stored.get
    return [index for index, values in enumerate(zip(*columns, strict=True))
            if get(values[0]) != sha256(("[" + join(map(encode, values)) + "]").encode("utf-8")).hexdigest()]


def split_input(raw: RawTable | None, side: Side, store: Store, source: object, strict: bool,
                today: datetime.date | None = None) -> Input:
    """The new and changed rows of an input, normalized as :func:`screen` normalizes them (read
    relative to ``today``): rows normalize quarantines are in the input's report and left out (a
    stored row with their id stays)."""
    if raw is None:
        return Input(side, [], [], [], None, {})
    raw = _with_stored_columns(raw, side, store)
    columns = COLUMNS[side]
    # a night's delta: look its ids up; a whole extract: read every hash at once
    stored = store.content_hashes(side, raw.ids if len(raw) < _LOOK_UP_BELOW else None)
    picked = _changed_rows([raw.columns[c] for c in columns], stored)
    if side == "candidates":
        raw, picked = _keep_stored_id_numbers(raw, picked, store, stored)
    raw, picked = _keep_stored_dates(raw, picked, store, stored, today)
    subset = RawTable(side, {c: [raw.columns[c][i] for i in picked] for c in columns},
                      raw.rows[np.asarray(picked, dtype=np.int64)], raw.report)
    table = load_side(subset, side, strict=strict, today=today)  # quarantines into raw.report, as screen does
    if side == "candidates":
        _flag_stored_duplicates(table, subset, store)
    accepted = set(table.ids.tolist())
    rows = [dict(zip(columns, values, strict=True)) for values in zip(*subset.columns.values(), strict=True)
            if values[0] in accepted]
    id_col = columns[0]
    new_ids = [r[id_col] for r in rows if r[id_col] not in stored]
    changed_ids = [r[id_col] for r in rows if r[id_col] in stored]
    _flag_removed_sent_again(new_ids, subset, store)
    facts: dict[str, Any] = {"source": raw.report.source, "read": raw.report.read,
                             "accepted": raw.report.accepted, "quarantined": raw.report.quarantined,
                             "new": len(new_ids), "changed": len(changed_ids)}
    if isinstance(source, str | Path) and Path(source).is_file():
        facts["sha256"] = hashlib.sha256(Path(source).read_bytes()).hexdigest()
    return Input(side, rows, new_ids, changed_ids, table if len(table) else None, facts)


def _keep_stored_id_numbers(raw: RawTable, picked: list[int], store: Store, stored: Mapping[str, str]
                            ) -> tuple[RawTable, list[int]]:
    """``raw`` with the stored ID number of each changed candidate whose cell Excel wrote as 1.32823E+17,
    flagged, and ``picked`` without the rows that then equal their stored version.

    Such a cell says only that the sheet read the number as a number: the night's row replaced a stored
    valid ID number with it, and the ID number, a strong signal, was gone from the store.
    """
    cells = raw.columns["id_number"]
    mangled = [i for i in picked if ("E" in cells[i] or "e" in cells[i]) and is_excel_number(cells[i])]
    if not mangled:
        return raw, picked
    stored_rows = store.read_rows("candidates", [raw.ids[i] for i in mangled])
    before = {row["person_id"]: row["id_number"] for row in stored_rows}
    fixed = list(cells)
    kept: list[int] = []
    for i in mangled:
        number = before.get(raw.ids[i], "")
        if number and not is_excel_number(number):
            fixed[i] = number
            kept.append(i)
            raw.report.add(int(raw.rows[i]), "id_number", cells[i], "ID number mangled by Excel: written in scientific "
                           "notation, its last digits are lost; the stored ID number is kept", fatal=False)
    if not kept:
        return raw, picked
    raw = RawTable(raw.side, {**raw.columns, "id_number": fixed}, raw.rows, raw.report)
    columns = COLUMNS["candidates"]
    still = _changed_rows([[raw.columns[c][i] for i in kept] for c in columns], stored)
    same = set(kept) - {kept[at] for at in still}  # nothing else changed
    return raw, [i for i in picked if i not in same]


def _keep_stored_dates(raw: RawTable, picked: list[int], store: Store, stored: Mapping[str, str],
                       today: datetime.date | None) -> tuple[RawTable, list[int]]:
    """``raw`` with the stored date of each changed row whose new date cell is only a wider reading of it,
    flagged, and ``picked`` without the rows that then equal their stored version; a changed row whose
    new date cell is flagged replaces a stored date that read well only with a flag saying so.

    A re-sent ``1993-02-30`` (February 1993, flagged) replaced a stored ``1993-02-11`` without a word:
    the row was accepted, so nothing said the good date was gone.
    """
    changed = [i for i in picked if raw.ids[i] in stored]
    if not changed:
        return raw, picked
    side = raw.side
    columns = ("birth_date", "missing_date" if side == "cases" else "registration_date")
    calendars = raw.columns["birth_calendar"] if side == "cases" else None
    flagged: dict[str, dict[int, tuple[int, int, bool, str]]] = {}  # column -> row index -> (lo, hi, widened, why)
    for column in columns:
        calendar = [calendars[i] for i in changed] if calendars is not None and column == "birth_date" else None
        parsed = parse_dates([raw.columns[column][i] for i in changed], calendar, today=today)
        wide = parsed.widened if parsed.widened is not None else np.zeros(len(changed), dtype=bool)
        flagged[column] = {changed[at]: (int(parsed.lo[at]), int(parsed.hi[at]), bool(wide[at]), message)
                           for at, _, message in parsed.errors}
    wanted = sorted({i for found in flagged.values() for i in found})
    if not wanted:
        return raw, picked
    before = {row[COLUMNS[side][0]]: row for row in store.read_rows(side, [raw.ids[i] for i in wanted])}
    fixed = {column: list(raw.columns[column]) for column in columns}
    kept: set[int] = set()
    for column in columns:
        at_rows = [i for i in flagged[column] if raw.ids[i] in before]
        old_cells = [before[raw.ids[i]][column] for i in at_rows]
        old_calendars = ([before[raw.ids[i]]["birth_calendar"] for i in at_rows]
                         if calendars is not None and column == "birth_date" else None)
        old = parse_dates(old_cells, old_calendars, today=today)
        old_bad = {at for at, _, _ in old.errors}
        for at, i in enumerate(at_rows):
            lo, hi, widened, message = flagged[column][i]
            if at in old_bad or not old.known[at] or old_cells[at] == raw.columns[column][i]:
                continue  # the stored cell is no better
            same_calendar = old_calendars is None or calendars is None or old_calendars[at] == calendars[i]
            if widened and same_calendar and lo <= old.lo[at] and old.hi[at] <= hi:
                fixed[column][i] = old_cells[at]
                kept.add(i)
                raw.report.add(int(raw.rows[i]), column, raw.columns[column][i],
                               f"{message}: the stored {column} {old_cells[at]!r} is kept (the new cell reads only "
                               "as a wider interval around it)", fatal=False)
            else:
                raw.report.add(int(raw.rows[i]), column, raw.columns[column][i],
                               f"replaces the stored {column} {old_cells[at]!r}, which read as a date; check the "
                               "new cell", fatal=False)
    if not kept:
        return raw, picked
    raw = RawTable(raw.side, {**raw.columns, **fixed}, raw.rows, raw.report)
    order = sorted(kept)
    still = _changed_rows([[raw.columns[c][i] for i in order] for c in COLUMNS[side]], stored)
    same = set(order) - {order[at] for at in still}  # nothing else changed
    return raw, [i for i in picked if i not in same]


def _flag_removed_sent_again(new_ids: Sequence[str], raw: RawTable, store: Store) -> None:
    """Flag, in the input's report, each new row whose id an earlier run removed: it is stored again
    as a new row, and a whole extract that still lists a dead person would bring them back unseen."""
    # a night's few new ids: looked up by id; a whole extract's: only when the store removed anyone
    # (counting the removed rows scans the whole table, looking up a few ids does not)
    if not new_ids or (len(new_ids) >= _LOOK_UP_BELOW and not store.count_removed(raw.side)):
        return
    back = {key: run for key, run in store.removal_state(raw.side, new_ids).items() if run is not None}
    if not back:
        return
    id_col = COLUMNS[raw.side][0]
    for key, row in zip(raw.columns[id_col], raw.rows.tolist(), strict=True):
        if key in back:
            raw.report.add(int(row), id_col, key, f"removed by run {back[key]}, sent again: stored as a new row "
                           "(send it only if the removal was a mistake)", fatal=False)


def _with_stored_columns(raw: RawTable, side: Side, store: Store) -> RawTable:
    """``raw`` with the stored values of the columns its source does not have, for the ids the store
    holds: a file without a column (an extract of name, sex and birth date) says nothing about it,
    and its rows must not blank the stored ID numbers, regions or marks. A column that is there
    with empty cells does blank them."""
    columns = COLUMNS[side]
    given = raw.report.columns
    absent = [c for c in columns[1:] if c not in given]
    if columns[0] not in given or not absent or not len(raw):
        return raw
    stored = {row[columns[0]]: row for row in store.read_rows(side, raw.ids)}
    if not stored:
        return raw
    filled = dict(raw.columns)
    for column in absent:
        filled[column] = [stored[key][column] if key in stored else value
                          for key, value in zip(raw.ids, raw.columns[column], strict=True)]
    return RawTable(raw.side, filled, raw.rows, raw.report)


def _flag_stored_duplicates(table: RecordTable, raw: RawTable, store: Store) -> None:
    """Flag, in the input's report, each accepted candidate whose valid resident ID number a stored
    person_id not in this input carries (``screen`` flags such a likely duplicate record within
    one file; normalize has flagged those within the input)."""
    valid = np.flatnonzero(table.id_valid)
    if not valid.size:
        return
    person_ids, numbers = table.ids[valid].tolist(), table.id_number[valid].tolist()
    cells = dict(zip(raw.columns["person_id"], raw.columns["id_number"], strict=True))
    rows = dict(zip(raw.columns["person_id"], raw.rows.tolist(), strict=True))
    stored = store.person_ids_by_id_number({*numbers, *(cells[p] for p in person_ids)})
    if not stored:
        return
    given = set(raw.columns["person_id"])  # their stored numbers are being replaced
    for person_id, number in zip(person_ids, numbers, strict=True):
        others = sorted({other for key in {number, cells[person_id]} for other in stored.get(key, ())
                         if other not in given})
        if others:
            more = f" (and {len(others) - 1} more)" if len(others) > 1 else ""
            raw.report.add(int(rows[person_id]), "id_number", mask_id(number),
                           f"likely duplicate record: same resident ID number as the stored person_id "
                           f"{others[0]!r}{more}, kept", fatal=False)


def stored_table(rows: Sequence[Mapping[str, str]], side: Side, label: str) -> RawTable:
    """Stored rows as a RawTable, through ingest again (rows written by ``Store.upsert`` directly
    were never checked; a bad one is reported and left out, not screened)."""
    return read_records(rows, COLUMNS[side], side, label=label)


def overlay(stored: Sequence[dict[str, str]], given: Input, keep: Collection[str] | None) -> list[dict[str, str]]:
    """Stored rows with the input's new and changed rows put over them (``keep``: only these ids)."""
    id_col = COLUMNS[given.side][0]
    rows = {r[id_col]: r for r in stored}
    rows.update((r[id_col], r) for r in given.rows)
    return [r for key, r in sorted(rows.items()) if keep is None or key in keep]


def with_restored(given: Input, store: Store, ids: Sequence[str], today: datetime.date | None = None) -> Input:
    """``given`` with the removed rows ``ids`` as the store holds them, as new rows: a restored row
    is screened as a new one (it left every case's sums when it was removed)."""
    if not ids:
        return given
    return with_rows(given, store.read_rows(given.side, ids, removed=True), today, changed=False, fact="restored")


def with_rows(given: Input, rows: Sequence[dict[str, str]], today: datetime.date | None, *, changed: bool,
              fact: str) -> Input:
    """``given`` with stored ``rows`` (none of its own ids) read relative to ``today``, as new rows or
    as ``changed`` ones; ``fact`` counts them in the facts recorded on the run."""
    if not rows:
        return given
    table = load_side(stored_table(rows, given.side, f"{fact} {given.side}"), given.side, today=today)
    tables = [t for t in (given.table, table) if t is not None and len(t)]
    report = given.table.report if given.table is not None else table.report
    joined = (stored_records.concat(tables, report) if len(tables) > 1 else tables[0]) if tables else None
    accepted = set(table.ids.tolist())  # (a stored row passes ingest: Store.upsert checks what it can)
    id_col = COLUMNS[given.side][0]
    back = [r for r in rows if r[id_col] in accepted]
    keys = [r[id_col] for r in back]
    new_ids, changed_ids = (given.new_ids, [*given.changed_ids, *keys]) if changed else (
        [*given.new_ids, *keys], given.changed_ids)
    return Input(given.side, [*given.rows, *back], new_ids, changed_ids, joined, {**given.facts, fact: len(back)})


def as_new(given: Input, ids: Collection[str]) -> Input:
    """``given`` with those of its changed rows in ``ids`` counted as new (rows stored outside a run:
    no run screened their stored version, whose terms are in no sum)."""
    moved = [key for key in given.changed_ids if key in ids]
    if not moved:
        return given
    return dataclasses.replace(given, new_ids=[*given.new_ids, *moved],
                               changed_ids=[key for key in given.changed_ids if key not in ids])
