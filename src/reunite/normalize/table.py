"""Normalize a whole table: every cell through its parser once per distinct value, into columns.

A bad date never drops a person: a date that cannot be used as written is read as the widest interval
it can mean (``1993-02-30`` is February 1993, an Excel day number its day) or as unknown (a date in
the future, unreadable text), and the row is kept with a flag in the ingest report giving the reason.
Only ingest quarantines rows (no id, wrong number of cells, duplicate id), so ``read == accepted +
quarantined`` holds. Conflicts that are evidence (an ID whose sex or birth date disagrees with the
stated one, a loss date before the birth date, one resident ID number under two person_ids) are flags
on accepted rows too.
"""

from __future__ import annotations

import contextlib
import datetime
import gc
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from reunite._codes import factorize
from reunite._typing import Side, Str, check_flags
from reunite.errors import ConfigError, InputError
from reunite.ingest.report import Problem
from reunite.ingest.table import RawTable
from reunite.normalize.dates import ParsedDates, parse_dates, says_solar
from reunite.normalize.features import MAX_NAMES_COMPARED, NAME_KINDS, SEX_CODES, NameTable, RecordTable
from reunite.normalize.ids import ResidentIdArrays, is_excel_number, mask_id, parse_resident_ids
from reunite.normalize.marks import mark_features
from reunite.normalize.name_cells import is_childhood_name, parse_alias_cell, parse_former_names, parse_name_cell
from reunite.normalize.names import (
    NameParts,
    name_parts,
)
from reunite.normalize.regions import RegionColumns, resolve_region, resolve_regions

__all__ = ["normalize", "normalize_piece"]

V = TypeVar("V")


def _factorize(values: Sequence[str]) -> tuple[npt.NDArray[np.intp], list[str]]:
    """Integer codes of ``values`` and their distinct values, in order of first appearance."""
    codes, uniques = factorize(np.asarray(values, dtype=object))
    return codes, uniques.tolist()


def _per_distinct(values: Sequence[str], function: Callable[[str], object], dtype: type) -> npt.NDArray[Any]:
    """``np.array([function(v) for v in values], dtype)``, calling ``function`` once per distinct value."""
    codes, uniques = _factorize(values)
    return np.array([function(value) for value in uniques], dtype=dtype)[codes]


class _Background:
    """Runs functions in forked processes when ``wanted``.

    A forked process reads its arguments from the memory it shares with this one (nothing is pickled
    on the way there) and sends its result back through a pipe. Otherwise (and on machines with one
    core or without ``fork``) a function runs here, when its result is asked for. Leaving the ``with``
    block stops the processes whether or not their results were taken.
    """

    def __init__(self, wanted: bool) -> None:
        self._usable = (wanted and len(os.sched_getaffinity(0)) >= 2
                        and "fork" in multiprocessing.get_all_start_methods())
        self._processes: list[multiprocessing.process.BaseProcess] = []

    def __enter__(self) -> _Background:
        return self

    def __exit__(self, *exc: object) -> None:
        for process in self._processes:
            if process.is_alive():
                process.terminate()
            process.join()

    def run(self, function: Callable[..., V], *args: Any) -> Callable[[], V]:
        """Start ``function(*args)``; the returned callable waits for its result (or its exception)."""
        if not self._usable:
            return lambda: function(*args)
        context = multiprocessing.get_context("fork")
        receive, send = context.Pipe(duplex=False)
        process = context.Process(target=_send_result, args=(send, function, args), daemon=True)
        process.start()
        send.close()
        self._processes.append(process)

        def result() -> V:
            with receive:
                try:
                    outcome: tuple[bool, Any] = receive.recv()
                except EOFError:
                    raise RuntimeError(f"the process running {function.__name__} ended without a result "
                                       f"(exit code {process.exitcode})") from None
            process.join()
            ok, value = outcome
            if not ok:
                raise value
            return value  # type: ignore[no-any-return]

        return result


def _send_result(send: Connection, function: Callable[..., object], args: tuple[Any, ...]) -> None:
    """In the forked process: send ``(True, function(*args))``, or ``(False, the exception)``."""
    try:
        outcome: tuple[bool, object] = (True, function(*args))
    except Exception as error:  # re-raised in the parent, as a pool would
        outcome = (False, error)
    with send:
        send.send(outcome)


def _ragged_take(
    codes: npt.NDArray[np.intp], start: npt.NDArray[np.int64], count: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Rows and flat positions of ``flat[start[c]:start[c] + count[c]]`` for each code ``c`` in order."""
    counts = count[codes]
    rows = np.repeat(np.arange(codes.shape[0], dtype=np.int64), counts)
    out_start = np.cumsum(counts) - counts
    positions = np.arange(rows.shape[0], dtype=np.int64) + np.repeat(start[codes] - out_start, counts)
    return rows, positions


@dataclass(frozen=True, slots=True)
class _DistinctNames:
    """The names of each distinct (name cell, extra cell) pair, flattened.

    Pair ``p`` holds the usable names ``kind[start[p]:start[p] + count[p]]`` (and ``part`` there,
    an index into ``columns``: one row per distinct usable name); ``many[p]`` says that it holds more
    than :data:`MAX_NAMES_COMPARED` names.
    """

    start: npt.NDArray[np.int64]
    count: npt.NDArray[np.int64]
    kind: npt.NDArray[np.int8]
    part: npt.NDArray[np.int64]
    columns: dict[str, Str]
    many: npt.NDArray[np.bool_]


_NAME_COLUMNS = ("surname", "given", "surname_pinyin", "given_pinyin", "given_pinyin_alt", "given_fuzzy")


def _cell_items(
    values: list[str], parse: Callable[[str], list[tuple[str, int]]], item_ids: dict[tuple[str, int], int]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Each distinct cell's names as item ids (one per distinct (text, kind), empty texts left out), flattened:
    cell ``c`` holds ``flat[start[c]:start[c] + count[c]]``, in the order written, each item once."""
    flat: list[int] = []
    count = np.zeros(len(values), dtype=np.int64)
    for cell, value in enumerate(values):
        found = dict.fromkeys(item_ids.setdefault(item, len(item_ids)) for item in parse(value) if item[0])
        flat.extend(found)
        count[cell] = len(found)
    return np.cumsum(count) - count, count, np.array(flat, dtype=np.int64)


def _distinct_names(
    side: str, name_values: list[str], extra_values: list[str], pairs: npt.NDArray[np.int64]
) -> _DistinctNames:
    """Parse each distinct (name cell, extra cell) pair (``pairs``: name index * len(extra_values) +
    extra index) into its names (reported name, childhood name, former name), each name split once.

    Each distinct name cell, extra cell and name is parsed once; the pairs are put together as arrays.
    """
    parse_extra = parse_alias_cell if side == "cases" else parse_former_names
    extra_kind = NAME_KINDS["alias"] if side == "cases" else NAME_KINDS["former"]

    def name_items(value: str) -> list[tuple[str, int]]:
        cell = parse_name_cell(value)
        return [(n, NAME_KINDS["name"]) for n in cell.names] + [(a, NAME_KINDS["alias"]) for a in cell.aliases]

    def extra_items(value: str) -> list[tuple[str, int]]:
        return [(e, extra_kind) for e in parse_extra(value)]

    item_ids: dict[tuple[str, int], int] = {}
    name_start, name_count, name_flat = _cell_items(name_values, name_items, item_ids)
    extra_start, extra_count, extra_flat = _cell_items(extra_values, extra_items, item_ids)
    # each item's name, split once per (text, read as a childhood name)
    part_ids: dict[tuple[str, bool], int] = {}
    parts: list[NameParts] = []
    item_part = np.zeros(len(item_ids), dtype=np.int64)
    item_kind = np.zeros(len(item_ids), dtype=np.int8)
    for item, (text, kind) in enumerate(item_ids):
        # a childhood name kept as a former name (曾用名 毛毛) is read whole, as the case's 毛毛 is
        key = (text, kind == NAME_KINDS["alias"] or (kind == extra_kind and is_childhood_name(text)))
        index = part_ids.get(key)
        if index is None:
            index = part_ids[key] = len(parts)
            parts.append(name_parts(text, alias=key[1]))
        item_part[item], item_kind[item] = index, kind
    part_usable = np.array([bool(p.given or p.surname) for p in parts], dtype=bool)

    # a pair's items: its name cell's, then its extra cell's not already among them
    width = max(1, len(extra_values))
    name_rows, name_at = _ragged_take(pairs // width, name_start, name_count)
    extra_rows, extra_at = _ragged_take(pairs % width, extra_start, extra_count)
    rows = np.concatenate([name_rows, extra_rows])
    items = np.concatenate([name_flat[name_at], extra_flat[extra_at]])
    order = np.argsort(rows, kind="stable")
    rows, items = rows[order], items[order]
    _, first = np.unique(rows * max(1, len(item_ids)) + items, return_index=True)
    once = np.zeros(rows.shape[0], dtype=bool)
    once[first] = True
    rows, items = rows[once], items[once]
    many = np.bincount(rows, minlength=len(pairs)) > MAX_NAMES_COMPARED  # unusable names count here too
    usable = part_usable[item_part[items]]
    rows, items = rows[usable], items[usable]
    count = np.bincount(rows, minlength=len(pairs)).astype(np.int64)
    usable_parts = np.flatnonzero(part_usable)
    renumber = np.full(len(parts), -1, dtype=np.int64)
    renumber[usable_parts] = np.arange(usable_parts.shape[0], dtype=np.int64)
    columns = {
        attr: np.array([getattr(parts[i], attr) for i in usable_parts.tolist()], dtype=str)
        if usable_parts.shape[0] else np.zeros(0, "<U1")
        for attr in _NAME_COLUMNS
    }
    return _DistinctNames(np.cumsum(count) - count, count, item_kind[items], renumber[item_part[items]],
                          columns, many)


def _name_table(pair_codes: npt.NDArray[np.intp], distinct: _DistinctNames) -> NameTable:
    """One row per usable name of each record (every row is kept: only ingest drops rows).

    Each distinct name is used by some row, so each column keeps the width of its widest name.
    """
    rows, positions = _ragged_take(pair_codes, distinct.start, distinct.count)
    part_of_row = distinct.part[positions]

    def column(attr: str) -> Str:
        return distinct.columns[attr][part_of_row] if rows.shape[0] else np.zeros(0, dtype="<U1")

    return NameTable(
        record=rows.astype(np.int32),
        kind=distinct.kind[positions],
        surname=column("surname"),
        given=column("given"),
        surname_pinyin=column("surname_pinyin"),
        given_pinyin=column("given_pinyin"),
        given_pinyin_alt=column("given_pinyin_alt"),
        given_fuzzy=column("given_fuzzy"),
    )


def _flag_dates(raw: RawTable, column: str, parsed: ParsedDates, calendar: bool = False) -> None:
    """Report every unusable date cell as a flag: the row is kept, the date widened or unknown."""
    values = raw.columns[column]
    widened = parsed.widened if parsed.widened is not None else np.zeros(len(parsed), dtype=bool)
    for index, reason, message in parsed.errors:
        where = "birth_calendar" if calendar and reason == "unknown calendar" else column
        value = raw.columns[where][index] if where in raw.columns else values[index]
        kept = "kept, read as the widest interval it allows" if widened[index] else "kept, date unknown"
        raw.report.add(int(raw.rows[index]), where, value, f"{message} ({kept})", fatal=False)


EXCEL_ID_REASON = ("ID number mangled by Excel: written in scientific notation, its last digits are lost; format "
                   "the column as text in Excel and export it again (kept, without its ID number)")


def excel_id_flags(raw: RawTable, ids: ResidentIdArrays) -> list[Problem]:
    """Flags of the ID numbers Excel wrote as 1.32823E+17 (saved from a sheet that read them as numbers):
    the record is kept, but its ID number, a strong signal, is gone, and only the sheet's owner can get it back."""
    if raw.side != "candidates":  # cases carry no ID number
        return []
    cells = raw.columns["id_number"]
    return [Problem(raw.report.source, int(raw.rows[index]), "id_number", cells[index], EXCEL_ID_REASON, False)
            for index in np.flatnonzero(ids.present & ~ids.valid).tolist() if is_excel_number(cells[index])]


def _flag_shared_ids(raw: RawTable, ids: ResidentIdArrays) -> None:
    """Flag a person_id whose valid resident ID number an earlier person_id already carries."""
    valid_rows = np.flatnonzero(ids.valid)
    codes, _ = factorize(ids.number[valid_rows])
    first_row = np.full(codes.max() + 1 if codes.shape[0] else 0, -1, dtype=np.int64)
    first_row[codes[::-1]] = valid_rows[::-1]  # the last write of each code is its first row
    earlier_rows = first_row[codes]
    for index, earlier in zip(valid_rows.tolist(), earlier_rows.tolist(), strict=True):
        if earlier != index:
            raw.report.add(
                int(raw.rows[index]), "id_number", mask_id(ids.number[index]),
                f"likely duplicate record: same resident ID number as person_id {raw.ids[earlier]!r} "
                f"(row {int(raw.rows[earlier])}), kept", fatal=False)


def _masked(numbers: Str) -> Str:
    """:func:`mask_id` of each number; an 18-character one shows its first 6 and last 4 characters."""
    return np.array([f"{n[:6]}********{n[14:]}" if len(n) == 18 and n == n.strip() else mask_id(n)
                     for n in numbers.tolist()], dtype=object)


def _ids(raw: RawTable, today: datetime.date) -> ResidentIdArrays:
    if raw.side != "candidates":
        return parse_resident_ids([""] * len(raw), today=today)
    return parse_resident_ids(raw.columns["id_number"], today=today)


def normalize(
    raw: RawTable, *, strict: bool = False, today: datetime.date | None = None,
    second_process_from: int = 200_000,
) -> RecordTable:
    """Normalize one side's accepted rows into a :class:`RecordTable`.

    Parameters
    ----------
    raw:
        Output of :func:`reunite.ingest.read_table`.
    strict:
        Raise one :class:`InputError` listing every unusable date instead of keeping the rows flagged.
    today:
        The latest acceptable date (default: today).
    second_process_from:
        Tables of at least this many rows have their names parsed in a second (forked) process
        while this one reads the other columns, when the machine gives this process two cores.
        Below it, starting a process costs more than it saves. The result is the same either way.

    Examples
    --------
    >>> import pandas as pd
    >>> from reunite.ingest import read_table
    >>> import pandas as pd
    >>> raw = read_table(pd.DataFrame({"case_id": ["c1", "c2"], "name": ["歐陽小紅", "无"],
    ...     "sex": ["女", "男"], "birth_date": ["1988年5月", "1990-02-30"]}), "cases")
    >>> table = normalize(raw)
    >>> len(table), table.names.surname.tolist(), raw.report.quarantined
    (2, ['欧阳'], 0)
    >>> print(raw.report.problems[0])  # doctest: +ELLIPSIS
    column 'birth_date' in DataFrame row 3: impossible date: 1990-02 has 28 days, got '1990-02-30' (kept, ...)
    """
    check_flags(strict=strict)
    # a datetime is a date to Python, but today="2020-01-01" was an AttributeError deep in the date reader
    if today is not None and (not isinstance(today, datetime.date) or isinstance(today, datetime.datetime)):
        raise ConfigError(f"today: expected a datetime.date or None, got {today!r} ({type(today).__name__})")
    with _collector_paused():
        return _normalize(raw, strict=strict, today=today or datetime.date.today(),
                          second_process_from=second_process_from)[0]


def normalize_piece(
    raw: RawTable, *, today: datetime.date, second_process_from: int = 200_000,
) -> tuple[RecordTable, ResidentIdArrays]:
    """:func:`normalize` of one piece of a larger input (rows in the input's order), without the one
    flag that spans pieces: a resident ID number an earlier person_id carries. The caller flags those
    over all pieces from the returned ID numbers (:mod:`reunite.normalize.pieces`). Every value of the
    table is what :func:`normalize` of the whole input gives its rows.
    """
    with _collector_paused():
        return _normalize(raw, strict=False, today=today, second_process_from=second_process_from,
                          flag_shared_ids=False)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector: normalizing makes millions of small objects and no cycles, and
    each collection would walk the whole table again (half the time of a million rows)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _names_of_pairs(side: str, names: list[str], extras: list[str]) -> tuple[npt.NDArray[np.intp], _DistinctNames]:
    """Each row's code among the distinct (name cell, extra cell) pairs, and those pairs' names."""
    name_codes, name_values = _factorize(names)
    extra_codes, extra_values = _factorize(extras)
    pair_codes, pairs = factorize(name_codes.astype(np.int64) * max(1, len(extra_values)) + extra_codes)
    return pair_codes, _distinct_names(side, name_values, extra_values, pairs)


NamesJob = Callable[[], tuple[NameTable, npt.NDArray[np.bool_]]]
"""Gives the name table of a table's rows and each row's too-many-names flag (when asked)."""


def names_and_many(side: str, names: list[str], extras: list[str], background: _Background | None = None) -> NamesJob:
    """The name table of rows with these name and extra cells (of ``side``), and whether each row has
    more names than :data:`MAX_NAMES_COMPARED`, when asked: parsed in ``background`` if given (only the
    distinct names come back from a second process, the table is made here)."""
    job = background.run(_names_of_pairs, side, names, extras) if background is not None else (
        lambda: _names_of_pairs(side, names, extras))

    def result() -> tuple[NameTable, npt.NDArray[np.bool_]]:
        pair_codes, distinct = job()
        return _name_table(pair_codes, distinct), distinct.many[pair_codes]

    return result


def _normalize(
    raw: RawTable, *, strict: bool, today: datetime.date, second_process_from: int, flag_shared_ids: bool = True,
    names_of: Callable[[_Background], NamesJob] | None = None,
    regions_of: Callable[[], RegionColumns] | None = None,
) -> tuple[RecordTable, ResidentIdArrays]:
    """Normalize ``raw``; ``names_of`` and ``regions_of``, when given, stand for the names and the
    regions read from the cells (:mod:`reunite.normalize.update` takes those a previous table read)."""
    side = raw.side
    n = len(raw)
    # names are most of the work: parsed in a second process, from the start, while this one reads the rest
    with _Background(n >= second_process_from) as background:
        extras = raw.columns["alias" if side == "cases" else "former_names"]
        names_job = (names_and_many(side, raw.columns["name"], extras, background) if names_of is None
                     else names_of(background))
        calendars = raw.columns["birth_calendar"] if side == "cases" else None
        births = parse_dates(raw.columns["birth_date"], calendars, today=today)
        event_column = "missing_date" if side == "cases" else "registration_date"
        events = parse_dates(raw.columns[event_column], None, today=today)
        problems_before = len(raw.report.problems)
        _flag_dates(raw, "birth_date", births, calendar=True)
        _flag_dates(raw, event_column, events)
        if strict and len(raw.report.problems) > problems_before:
            listed = "\n".join(p.reveal() for p in raw.report.problems[problems_before:])
            raise InputError(f"{raw.report.source}: unusable dates\n{listed}")
        keep = np.arange(n, dtype=np.int64)
        return _finish(raw, side, today, births, events, calendars, keep, names_job, flag_shared_ids, regions_of)


def _finish(
    raw: RawTable, side: Side, today: datetime.date, births: ParsedDates, events: ParsedDates,
    calendars: list[str] | None, keep: npt.NDArray[np.int64], names_job: NamesJob, flag_shared_ids: bool,
    regions_of: Callable[[], RegionColumns] | None,
) -> tuple[RecordTable, ResidentIdArrays]:
    """Everything of :func:`normalize` after the dates, with ``keep`` the rows kept (all of them)."""
    region_column = "missing_region" if side == "cases" else "region"
    regions: RegionColumns = resolve_regions(raw.columns[region_column]) if regions_of is None else regions_of()
    ids = _ids(raw, today)
    if flag_shared_ids:  # not for a piece of a prepared file: its reader adds both flags, in this order
        for problem in excel_id_flags(raw, ids):
            raw.report.add(problem.row, problem.column, problem.value, problem.reason, fatal=False)
        _flag_shared_ids(raw, ids)
    id_valid, id_birth, id_sex = ids.valid[keep], ids.birth[keep], ids.sex[keep]
    code_index, codes = factorize(ids.region_code[keep])
    id_county = np.array([resolve_region(code).county if code else 0 for code in codes.tolist()],
                         dtype=np.int32)[code_index]
    sex = _per_distinct(raw.columns["sex"], SEX_CODES.__getitem__, np.int8)[keep]
    birth_known = births.known[keep]
    birth_lo, birth_hi = births.lo[keep], births.hi[keep]
    flags = {
        "missing_before_birth" if side == "cases" else "registered_before_birth":
            events.known[keep] & birth_known & (events.hi[keep] < birth_lo),
    }
    if side == "cases" and calendars is not None:
        # A bare birth date that says nothing of its calendar may be a lunar one (families remember
        # lunar birthdays); the matcher then also reads it as lunar.
        calendar_codes, calendar_values = _factorize(calendars)
        text_codes, text_values = _factorize(raw.columns["birth_date"])
        pair_of_row, pairs_said = factorize(calendar_codes.astype(np.int64) * len(text_values) + text_codes)
        flags["birth_said_solar"] = np.array(
            [says_solar(calendar_values[p // len(text_values)], text_values[p % len(text_values)])
             for p in pairs_said.tolist()], dtype=bool)[pair_of_row][keep]
    if side == "candidates":
        flags["id_checksum_failed"] = ids.present[keep] & ~id_valid
        flags["id_sex_conflict"] = id_valid & (id_sex > 0) & (sex > 0) & (id_sex != sex)
        flags["id_birth_conflict"] = id_valid & birth_known & ((id_birth < birth_lo) | (id_birth > birth_hi))
    names, many = names_job()
    flags[f"more_than_{MAX_NAMES_COMPARED}_names"] = many
    columns = raw.columns
    return RecordTable(
        side=side,
        ids=np.array(raw.ids, dtype=object)[keep],
        rows=raw.rows[keep],
        sex=sex,
        birth_lo=birth_lo,
        birth_hi=birth_hi,
        birth_known=birth_known,
        birth_lunar=births.lunar[keep],
        event_lo=events.lo[keep],
        event_hi=events.hi[keep],
        event_known=events.known[keep],
        region_county=regions.county,
        region_city=regions.city,
        region_province=regions.province,
        region_level=regions.level,
        lat=regions.lat,
        lon=regions.lon,
        marks=_per_distinct(columns["marks"], mark_features, np.uint64)[keep],
        id_present=ids.present[keep],
        id_valid=id_valid,
        id_birth=id_birth,
        id_sex=id_sex,
        id_region_county=id_county,
        id_masked=_masked(ids.number[keep]),
        id_number=ids.number[keep],
        display_name=np.array(columns["name"], dtype=object)[keep],
        display_birth=np.array(columns["birth_date"], dtype=object)[keep],
        display_region=np.array(regions.label, dtype=object),
        names=names,
        report=raw.report,
        flags=flags,
    ), ids
