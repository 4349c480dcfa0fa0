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

import datetime
from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from reunite._typing import Str
from reunite.errors import InputError
from reunite.ingest.table import RawTable
from reunite.normalize.dates import ParsedDates, parse_dates, says_solar
from reunite.normalize.features import MAX_NAMES_COMPARED, NAME_KINDS, SEX_CODES, NameTable, RecordTable
from reunite.normalize.ids import ResidentIdArrays, mask_id, parse_resident_ids
from reunite.normalize.marks import mark_features
from reunite.normalize.name_cells import parse_alias_cell, parse_former_names, parse_name_cell
from reunite.normalize.names import (
    NameParts,
    name_parts,
)
from reunite.normalize.regions import resolve_region, resolve_regions

__all__ = ["normalize"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def _factorize(values: Sequence[str]) -> tuple[npt.NDArray[np.intp], list[str]]:
    """Integer codes of ``values`` and their distinct values, in order of first appearance."""
    codes, uniques = pd.factorize(np.asarray(values, dtype=object))
    return codes, uniques.tolist()


def _per_unique(values: Sequence[K], function: Callable[[K], V]) -> list[V]:
    """``[function(v) for v in values]``, calling ``function`` once per distinct value."""
    cache: dict[K, V] = {}
    out: list[V] = []
    for v in values:
        if v not in cache:
            cache[v] = function(v)
        out.append(cache[v])
    return out


def _ragged_take(
    codes: npt.NDArray[np.intp], start: npt.NDArray[np.int64], count: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Rows and flat positions of ``flat[start[c]:start[c] + count[c]]`` for each code ``c`` in order."""
    counts = count[codes]
    rows = np.repeat(np.arange(codes.shape[0], dtype=np.int64), counts)
    out_start = np.cumsum(counts) - counts
    positions = np.arange(rows.shape[0], dtype=np.int64) + np.repeat(start[codes] - out_start, counts)
    return rows, positions


def _record_names(raw: RawTable) -> tuple[npt.NDArray[np.intp], list[list[tuple[str, int]]]]:
    """Every name of every record with its kind (reported name, childhood name, former name).

    Returns a code per row and the names of each distinct (name cell, extra cell) pair.
    """
    extra_column = "alias" if raw.side == "cases" else "former_names"
    parse_extra = parse_alias_cell if raw.side == "cases" else parse_former_names
    extra_kind = NAME_KINDS["alias"] if raw.side == "cases" else NAME_KINDS["former"]
    name_codes, name_values = _factorize(raw.columns["name"])
    extra_codes, extra_values = _factorize(raw.columns[extra_column])
    pair_codes, pairs = pd.factorize(name_codes.astype(np.int64) * max(1, len(extra_values)) + extra_codes)
    records = []
    for pair in pairs.tolist():
        cell = parse_name_cell(name_values[pair // max(1, len(extra_values))])
        extra = parse_extra(extra_values[pair % max(1, len(extra_values))])
        names: list[tuple[str, int]] = [(n, NAME_KINDS["name"]) for n in cell.names]
        names += [(a, NAME_KINDS["alias"]) for a in cell.aliases]
        names += [(e, extra_kind) for e in extra]
        seen: set[tuple[str, int]] = set()
        unique = []
        for item in names:
            if item[0] and item not in seen:
                seen.add(item)
                unique.append(item)
        records.append(unique)
    return pair_codes, records


def _name_table(
    codes: npt.NDArray[np.intp], records: list[list[tuple[str, int]]], keep: npt.NDArray[np.int64]
) -> NameTable:
    """One row per usable name of each kept record: each distinct record's names are split once."""
    cache: dict[tuple[str, bool], int] = {}
    parts: list[NameParts] = []
    flat_kind: list[int] = []
    flat_part: list[int] = []
    start = np.zeros(len(records), dtype=np.int64)
    count = np.zeros(len(records), dtype=np.int64)
    for code, record in enumerate(records):
        start[code] = len(flat_kind)
        for text, kind in record:
            key = (text, kind == NAME_KINDS["alias"])
            index = cache.get(key)
            if index is None:
                index = cache[key] = len(parts)
                parts.append(name_parts(text, alias=key[1]))
            if not (parts[index].given or parts[index].surname):
                continue
            flat_kind.append(kind)
            flat_part.append(index)
        count[code] = len(flat_kind) - start[code]
    rows, positions = _ragged_take(codes[keep], start, count)
    part_of_row = np.array(flat_part, dtype=np.int64)[positions]
    used = np.unique(part_of_row)  # the widest string of the names kept sets the column's dtype

    def column(attr: str) -> npt.NDArray[np.str_]:
        if not rows.shape[0]:
            return np.zeros(0, dtype="<U1")
        values = np.empty(len(parts), dtype=object)
        values[used] = [getattr(parts[i], attr) for i in used.tolist()]
        return values[part_of_row].astype(str)

    return NameTable(
        record=rows.astype(np.int32),
        kind=np.array(flat_kind, dtype=np.int8)[positions],
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


def _flag_shared_ids(raw: RawTable, ids: ResidentIdArrays) -> None:
    """Flag a person_id whose valid resident ID number an earlier person_id already carries."""
    valid_rows = np.flatnonzero(ids.valid)
    codes, _ = pd.factorize(ids.number[valid_rows])
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


def normalize(raw: RawTable, *, strict: bool = False, today: datetime.date | None = None) -> RecordTable:
    """Normalize one side's accepted rows into a :class:`RecordTable`.

    Parameters
    ----------
    raw:
        Output of :func:`reunite.ingest.read_table`.
    strict:
        Raise one :class:`InputError` listing every unusable date instead of keeping the rows flagged.
    today:
        The latest acceptable date (default: today).

    Examples
    --------
    >>> import pandas as pd
    >>> from reunite.ingest import read_table
    >>> raw = read_table(pd.DataFrame({"case_id": ["c1", "c2"], "name": ["歐陽小紅", "无"],
    ...     "sex": ["女", "男"], "birth_date": ["1988年5月", "1990-02-30"]}), "cases")
    >>> table = normalize(raw)
    >>> len(table), table.names.surname.tolist(), raw.report.quarantined
    (2, ['欧阳'], 0)
    >>> print(raw.report.problems[0])  # doctest: +ELLIPSIS
    column 'birth_date' in DataFrame row 3: impossible date: 1990-02 has 28 days, got '1990-02-30' (kept, ...)
    """
    today = today or datetime.date.today()
    side = raw.side
    n = len(raw)
    calendars = raw.columns["birth_calendar"] if side == "cases" else None
    births = parse_dates(raw.columns["birth_date"], calendars, today=today)
    event_column = "missing_date" if side == "cases" else "registration_date"
    events = parse_dates(raw.columns[event_column], None, today=today)
    problems_before = len(raw.report.problems)
    _flag_dates(raw, "birth_date", births, calendar=True)
    _flag_dates(raw, event_column, events)
    if strict and len(raw.report.problems) > problems_before:
        listed = "\n".join(str(p) for p in raw.report.problems[problems_before:])
        raise InputError(f"{raw.report.source}: unusable dates\n{listed}")
    keep = np.arange(n, dtype=np.int64)

    region_column = "missing_region" if side == "cases" else "region"
    regions = resolve_regions([raw.columns[region_column][i] for i in keep.tolist()])
    ids = _ids(raw, today)
    _flag_shared_ids(raw, ids)
    id_valid, id_birth, id_sex = ids.valid[keep], ids.birth[keep], ids.sex[keep]
    code_index, codes = pd.factorize(ids.region_code[keep])
    id_county = np.array([resolve_region(code).county if code else 0 for code in codes.tolist()],
                         dtype=np.int32)[code_index]
    sex = np.array([SEX_CODES[raw.columns["sex"][i]] for i in keep.tolist()], dtype=np.int8)
    birth_known = births.known[keep]
    birth_lo, birth_hi = births.lo[keep], births.hi[keep]
    flags = {
        "missing_before_birth" if side == "cases" else "registered_before_birth":
            events.known[keep] & birth_known & (events.hi[keep] < birth_lo),
    }
    if side == "cases" and calendars is not None:
        # A bare birth date that says nothing of its calendar may be a lunar one (families remember
        # lunar birthdays); the matcher then also reads it as lunar.
        flags["birth_said_solar"] = np.array(
            [says_solar(calendars[i], raw.columns["birth_date"][i]) for i in keep.tolist()], dtype=bool
        )
    if side == "candidates":
        flags["id_checksum_failed"] = ids.present[keep] & ~id_valid
        flags["id_sex_conflict"] = id_valid & (id_sex > 0) & (sex > 0) & (id_sex != sex)
        flags["id_birth_conflict"] = id_valid & birth_known & ((id_birth < birth_lo) | (id_birth > birth_hi))
    record_codes, records = _record_names(raw)
    names = _name_table(record_codes, records, keep)
    many_names = np.array([len(record) > MAX_NAMES_COMPARED for record in records], dtype=bool)
    flags[f"more_than_{MAX_NAMES_COMPARED}_names"] = many_names[record_codes[keep]]
    columns = raw.columns
    return RecordTable(
        side=side,
        ids=np.array([raw.ids[i] for i in keep.tolist()], dtype=object),
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
        marks=np.array(_per_unique([columns["marks"][i] for i in keep.tolist()], mark_features),
                       dtype=np.uint64),
        id_present=ids.present[keep],
        id_valid=id_valid,
        id_birth=id_birth,
        id_sex=id_sex,
        id_region_county=id_county,
        id_masked=_masked(ids.number[keep]),
        id_number=ids.number[keep],
        display_name=np.array([columns["name"][i] for i in keep.tolist()], dtype=object),
        display_birth=np.array([columns["birth_date"][i] for i in keep.tolist()], dtype=object),
        display_region=np.array(regions.label, dtype=object),
        names=names,
        report=raw.report,
        flags=flags,
    )
