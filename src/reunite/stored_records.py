"""Normalized cases as the store keeps them, so a night does not normalize every open case again.

Every night screens each open case against the night's candidates, and before revision 0007 it
read the case rows back from the store and normalized them anew (about half a second of CPU for
2,000 cases). The store now keeps each case's normalized record as text (:func:`encode`) beside
its canonical columns, with the :func:`fingerprint` of the code and tables that made it;
:func:`decode` turns the texts back into the :class:`~reunite.normalize.RecordTable` normalizing
would give.

A stored record stands for a new normalization only when it would equal it: the fingerprint
must be this code's (the normalizer, the reader, their tables and pypinyin), and its dates must
read today as they read then (:func:`dates_hold`: a date reaching today is clipped to it, a date
in the future is unknown, a two-digit year is read relative to today). Any other case is
normalized again.

The same calendar moves candidates: :func:`reads_alike` tells whether stored rows read on one day
as on another, and :func:`reads_by_date` whether a row read on a day may still read differently on
a later one (the store marks those candidates, and a night checks only them).
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from reunite._typing import Side
from reunite.ingest import IngestReport
from reunite.ingest.read import read_records
from reunite.ingest.table import CANDIDATE_COLUMNS, CASE_COLUMNS
from reunite.normalize import NameTable, RecordTable, normalize
from reunite.normalize.dates import parse_dates
from reunite.normalize.ids import parse_resident_ids
from reunite.normalize.stored import normalizer_digest

__all__ = ["concat", "dates_hold", "decode", "decode_marked", "encode", "fingerprint", "reads_alike", "reads_by_date"]

_NOT_PER_RECORD = ("side", "rows", "names", "report", "flags")


def fingerprint() -> str:
    """The digest of what a normalized record depends on besides its row -- the reader's and the
    normalizer's code, the tables they read and the libraries they call -- shared with prepared
    tables (:func:`reunite.normalize.stored.normalizer_digest`)."""
    return normalizer_digest()


@functools.cache
def _template(side: Side) -> RecordTable:
    """An empty normalized table of ``side``: the fields' dtypes and the flags' names."""
    columns = CASE_COLUMNS if side == "cases" else CANDIDATE_COLUMNS
    empty = read_records([], columns, side, label="template")
    return normalize(empty)


def _record_fields(table: RecordTable) -> list[str]:
    return [f.name for f in dataclasses.fields(table) if f.name not in _NOT_PER_RECORD]


def encode(table: RecordTable, calendar: Sequence[bool] | None = None) -> list[str]:
    """Each record of ``table`` as JSON text: its per-record fields, its names and its flags, and,
    when given, its ``calendar`` mark: whether the record, read on the day it was made, may read
    differently on a later day (:func:`reads_by_date`; a night checks only the records so marked,
    or not marked at all: :func:`decode_marked`).

    >>> import pandas as pd
    >>> from reunite.ingest import read_table
    >>> raw = read_table(pd.DataFrame({"case_id": ["c1"], "name": ["王小红"], "sex": ["女"],
    ...                                "birth_date": ["1988年5月"]}), "cases")
    >>> table = normalize(raw)
    >>> decode(encode(table), "cases", table.report).birth_hi.tolist() == table.birth_hi.tolist()
    True
    >>> decode_marked(encode(table, [False]), "cases", table.report)[1], decode_marked(encode(table), "cases",
    ...                                                                              table.report)[1]
    ([False], [None])
    """
    fields = _record_fields(table)
    names = table.names
    name_fields = [f.name for f in dataclasses.fields(names) if f.name != "record"]
    starts = np.searchsorted(names.record, np.arange(len(table) + 1))
    name_rows = list(zip(*(getattr(names, f).tolist() for f in name_fields), strict=True))
    flag_names = sorted(table.flags)
    values = zip(*(getattr(table, f).tolist() for f in fields), strict=True)
    flags = zip(*(table.flags[f].tolist() for f in flag_names), strict=True) if flag_names else (
        () for _ in range(len(table)))
    marks = [[bool(m)] for m in calendar] if calendar is not None else [[] for _ in range(len(table))]
    if len(marks) != len(table):
        raise ValueError(f"encode: {len(marks)} calendar marks for {len(table)} records")
    return [json.dumps([list(v), name_rows[starts[i]:starts[i + 1]], list(g), *marks[i]], ensure_ascii=False)
            for i, (v, g) in enumerate(zip(values, flags, strict=True))]


def decode(texts: Sequence[str], side: Side, report: IngestReport) -> RecordTable:
    """The :class:`RecordTable` of records :func:`encode` wrote (made by this :func:`fingerprint`)."""
    return decode_marked(texts, side, report)[0]


def decode_marked(texts: Sequence[str], side: Side, report: IngestReport) -> tuple[RecordTable, list[bool | None]]:
    """:func:`decode`, and each record's calendar mark (``None``: the record was encoded without one)."""
    template = _template(side)
    fields = _record_fields(template)
    decoded = [json.loads(t) for t in texts]
    columns: dict[str, Any] = {}
    for index, name in enumerate(fields):
        columns[name] = np.array([d[0][index] for d in decoded], dtype=getattr(template, name).dtype)
    flag_names = sorted(template.flags)
    flags = {f: np.array([bool(d[2][i]) for d in decoded], dtype=bool) for i, f in enumerate(flag_names)}
    name_fields = [f.name for f in dataclasses.fields(template.names) if f.name != "record"]
    name_rows = [(record, *row) for record, d in enumerate(decoded) for row in d[1]]
    name_columns: dict[str, npt.NDArray[Any]] = {
        "record": np.array([r[0] for r in name_rows], dtype=template.names.record.dtype)}
    for index, name in enumerate(name_fields, start=1):
        dtype = getattr(template.names, name).dtype
        name_columns[name] = np.array([r[index] for r in name_rows], dtype=dtype.kind if dtype.kind == "U" else dtype)
    table = dataclasses.replace(template, **columns, rows=np.arange(len(decoded), dtype=template.rows.dtype),
                                names=NameTable(**name_columns), report=report, flags=flags)
    return table, [bool(d[3]) if len(d) > 3 else None for d in decoded]


def concat(tables: Sequence[RecordTable], report: IngestReport) -> RecordTable:
    """The records of ``tables`` one after another (all of one side), with ``report``."""
    first = tables[0]
    columns: dict[str, Any] = {f: np.concatenate([getattr(t, f) for t in tables]) for f in _record_fields(first)}
    offsets = np.cumsum([0, *(len(t) for t in tables[:-1])])
    names = {f.name: np.concatenate([getattr(t.names, f.name) for t in tables])
             for f in dataclasses.fields(first.names) if f.name != "record"}
    names["record"] = np.concatenate([t.names.record.astype(np.int64) + o for t, o in zip(tables, offsets, strict=True)]
                                     ).astype(first.names.record.dtype)
    flags = {f: np.concatenate([t.flags[f] for t in tables]) for f in first.flags}
    rows = np.arange(sum(len(t) for t in tables), dtype=first.rows.dtype)
    return dataclasses.replace(first, **columns, rows=rows, names=NameTable(**names), report=report, flags=flags)


def dates_hold(table: RecordTable, rows: Sequence[Mapping[str, str]], today: datetime.date | None = None
               ) -> npt.NDArray[np.bool_]:
    """Per record of a decoded cases ``table`` (aligned with its canonical ``rows``): whether its
    birth and missing dates read ``today`` (default: today's date) as they were stored."""
    births = parse_dates([r["birth_date"] for r in rows], [r["birth_calendar"] for r in rows], today=today)
    missing = parse_dates([r["missing_date"] for r in rows], None, today=today)
    same = ((births.known == table.birth_known) & (births.lunar == table.birth_lunar)
            & (missing.known == table.event_known))
    same &= ~births.known | ((births.lo == table.birth_lo) & (births.hi == table.birth_hi))
    same &= ~missing.known | ((missing.lo == table.event_lo) & (missing.hi == table.event_hi))
    return np.asarray(same, dtype=bool)


def _readings(rows: Sequence[Mapping[str, str]], side: Side, day: datetime.date) -> npt.NDArray[np.int64]:
    """Per row, everything of its normalized record that depends on the day it is read on
    (:func:`reunite.normalize.normalize`'s ``today``): its dates as read that day and, for a
    candidate, whether its resident ID number is valid that day and the birth it gives."""
    birth_calendars = [r["birth_calendar"] for r in rows] if side == "cases" else None
    event_column = "missing_date" if side == "cases" else "registration_date"
    columns: list[npt.NDArray[Any]] = []
    for parsed in (parse_dates([r["birth_date"] for r in rows], birth_calendars, today=day),
                   parse_dates([r[event_column] for r in rows], None, today=day)):
        columns += [parsed.known, parsed.lo, parsed.hi, parsed.lunar, parsed.approximate]
    if side == "candidates":
        ids = parse_resident_ids([r["id_number"] for r in rows], today=day)
        columns += [ids.valid, ids.birth, ids.sex]
    return np.stack([np.asarray(c, dtype=np.int64) for c in columns], axis=1) if rows else np.zeros(
        (0, len(columns)), dtype=np.int64)


def reads_alike(rows: Sequence[Mapping[str, str]], side: Side, then: datetime.date, now: datetime.date
                ) -> npt.NDArray[np.bool_]:
    """Per canonical row of ``side``: whether it normalizes alike read on ``then`` and on ``now``
    (everything else a normalized record holds does not depend on the day).

    >>> rows = [{"person_id": "P1", "birth_date": "1990", "registration_date": "2026-12", "id_number": ""},
    ...         {"person_id": "P2", "birth_date": "1990", "registration_date": "2026-11", "id_number": ""}]
    >>> reads_alike(rows, "candidates", datetime.date(2026, 12, 6), datetime.date(2027, 1, 6)).tolist()
    [False, True]
    """
    return np.asarray((_readings(rows, side, then) == _readings(rows, side, now)).all(axis=1), dtype=bool)


def reads_by_date(rows: Sequence[Mapping[str, str]], side: Side, day: datetime.date) -> npt.NDArray[np.bool_]:
    """Per canonical row of ``side``: whether, read on ``day``, it may read differently on some later
    day (a date reaching ``day``, clipped; a later date, unknown; a two-digit year read as 19yy; a
    resident ID number born after ``day``). Every comparison of a reading with the day is a bound
    that, once passed, stays passed, so a row that reads on ``day`` as it reads on the last day
    there is reads alike on every day between.

    >>> rows = [{"person_id": "P1", "birth_date": "1990", "registration_date": "2026-12", "id_number": ""},
    ...         {"person_id": "P2", "birth_date": "1990", "registration_date": "2026-11", "id_number": ""}]
    >>> reads_by_date(rows, "candidates", datetime.date(2026, 12, 6)).tolist()
    [True, False]
    """
    return ~reads_alike(rows, side, day, datetime.date.max)
