"""Normalize tonight's extract with what a prepared table already read (``reunite prepare --update``).

A nightly extract differs from the night before in a few rows, yet preparing it again reads every
name and every place anew: the names are most of normalizing's work, the places most of the rest.
Both depend on their cells only (a row's names on its name and former-names cells, its region on
its region cell), not on the day nor on the other rows. So a row whose name cells, or whose region
cell, some row of the previous table also held takes those readings from the previous table; only
cells the previous table never held are read. That covers every unchanged row, and a changed row
whose names or place did not change.

The previous table's readings are kept by distinct cell (:class:`Previous`, read one row group at a
time), not by row: the same index serves a whole extract (:func:`normalize_update`) or each piece of
one read piece by piece (:func:`normalize_update_piece`, :mod:`reunite.normalize.pieces`), so an
update holds no more of tonight's extract than a fresh prepare does. A cell is found by a 64-bit
hash of its text and the text itself compared: two cells sharing a hash only cost a reading.

Everything that depends on the day (birth and registration dates, a resident ID number's birth and
validity) or spans rows (one resident ID number under two person_ids, the ingest report's row
numbers) is read anew for every row, as a fresh prepare reads it: those are the cheap parts. The
table made equals :func:`reunite.normalize.normalize` of the extract on that day, value for value,
dtype for dtype, and its report is the extract's; the previous table may have been prepared on any
day, from any extract, but by this same normalizing code (:func:`reunite.normalize.stored.read_prepared_info`).
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.dtypes import StringDType

from reunite._typing import Side
from reunite.ingest.table import RawTable
from reunite.normalize.features import MAX_NAMES_COMPARED, NameTable, RecordTable
from reunite.normalize.ids import ResidentIdArrays
from reunite.normalize.regions import RegionColumns, resolve_regions
from reunite.normalize.stored import read_prepared_groups
from reunite.normalize.table import (
    NamesJob,
    _Background,
    _collector_paused,
    _normalize,
    _ragged_take,
    names_and_many,
)

__all__ = ["Previous", "Reused", "normalize_update", "normalize_update_piece", "read_previous"]

_NAME_FIELDS = ("kind", "surname", "given", "surname_pinyin", "given_pinyin", "given_pinyin_alt", "given_fuzzy")
_REGION_FIELDS = ("region_county", "region_city", "region_province", "region_level", "lat", "lon", "display_region")
_REGION_ATTRS = ("county", "city", "province", "level", "lat", "lon", "label")  # RegionColumns', in that order
_MANY = f"more_than_{MAX_NAMES_COMPARED}_names"
_MIX = np.uint64(0x9E3779B97F4A7C15)  # spreads one cell's hash before the next is added


def _extra_column(side: Side) -> str:
    return "alias" if side == "cases" else "former_names"


def _region_column(side: Side) -> str:
    return "missing_region" if side == "cases" else "region"


def _hash_cells(columns: Sequence[npt.NDArray[Any]]) -> npt.NDArray[np.uint64]:
    """A 64-bit hash of each row's cells (pandas' SipHash of each text, the columns' hashes mixed)."""
    import pandas as pd

    hashed: npt.NDArray[np.uint64] | None = None
    for column in columns:
        values = column if column.dtype == object else column.astype(object)
        one: npt.NDArray[np.uint64] = pd.util.hash_array(values, categorize=False)
        hashed = one if hashed is None else hashed * _MIX + one  # wraps around, as a hash may
    assert hashed is not None
    return hashed


@dataclass(frozen=True, slots=True)
class _Cells:
    """Distinct cells (rows of one or more columns) by their hash: ``hashes`` sorted and distinct,
    ``texts[c][i]`` the text of column ``c`` whose row hashes to ``hashes[i]``."""

    hashes: npt.NDArray[np.uint64]
    texts: tuple[npt.NDArray[Any], ...]  # StringDType

    def find(self, columns: Sequence[npt.NDArray[Any]]) -> npt.NDArray[np.int64]:
        """For each row of ``columns``, the index of the distinct cells equal to its own, or -1."""
        n = columns[0].shape[0]
        if not self.hashes.shape[0] or not n:
            return np.full(n, -1, dtype=np.int64)
        wanted = _hash_cells(columns)
        at = np.minimum(np.searchsorted(self.hashes, wanted), self.hashes.shape[0] - 1).astype(np.int64)
        hit = self.hashes[at] == wanted
        for texts, column in zip(self.texts, columns, strict=True):  # the same hash, other text: not found
            hit[hit] = texts[at[hit]] == column[hit].astype(StringDType())
        return np.where(hit, at, -1)


def _first_of_each(hashes: npt.NDArray[np.uint64]) -> npt.NDArray[np.int64]:
    """Positions of the first row of each distinct hash, in the order of the hashes (sorted)."""
    _, first = np.unique(hashes, return_index=True)
    return first.astype(np.int64)


@dataclass(frozen=True, slots=True)
class Previous:
    """What a prepared table read from its cells, by distinct cell: each distinct (name, extra names)
    pair's names (flat: pair ``p`` holds ``names[f][start[p]:start[p] + count[p]]``) and too-many-names
    flag, and each distinct region cell's region columns."""

    side: Side
    today: datetime.date
    rows: int                                # rows of the previous table
    name_cells: _Cells
    start: npt.NDArray[np.int64]
    count: npt.NDArray[np.int64]
    many: npt.NDArray[np.bool_]
    names: dict[str, npt.NDArray[Any]]       # _NAME_FIELDS, flat (text as object or StringDType)
    region_cells: _Cells
    regions: dict[str, npt.NDArray[Any]]     # _REGION_FIELDS, one a distinct region cell

    def __len__(self) -> int:
        return self.rows

    def __repr__(self) -> str:  # counts only: the cells are personal data
        return (f"Previous(side={self.side!r}, rows={self.rows}, name_cells={self.count.shape[0]}, "
                f"region_cells={self.region_cells.hashes.shape[0]}, today={self.today.isoformat()})")


@dataclass(frozen=True, slots=True)
class Reused:
    """How much of a table an update took from the previous one."""

    rows: int          # rows of the new table
    names_read: int    # rows whose name cells no previous row held: their names were read
    regions_read: int  # rows whose region cell no previous row held: their region was read

    @classmethod
    def total(cls, parts: Iterable[Reused]) -> Reused:
        """The sum of the pieces of one update."""
        found = list(parts)
        return cls(sum(p.rows for p in found), sum(p.names_read for p in found), sum(p.regions_read for p in found))


def read_previous(path: str | os.PathLike[str], side: Side = "candidates") -> Previous:
    """The readings of the prepared table at ``path`` an update takes, by distinct cell, read one row
    group at a time (each column checked against its digest; the table refused, as every reader
    refuses it, when this code would not read it alike).

    Raises
    ------
    InputError, MissingFileError
        No such file, not a prepared table of ``side``, one another version or normalizing code
        wrote, or one changed after it was written.
    """
    extra, region = _extra_column(side), _region_column(side)
    info, groups = read_prepared_groups(path, side, _REGION_FIELDS, names=_NAME_FIELDS,
                                        raw=("name", extra, region), flags=(_MANY,))
    name_parts: list[dict[str, npt.NDArray[Any]]] = []
    region_parts: list[dict[str, npt.NDArray[Any]]] = []
    for group in groups:  # each group's distinct cells only
        cells = [group["raw.name"], group["raw." + extra]]
        hashes = _hash_cells(cells)
        keep = _first_of_each(hashes)
        _, at = _ragged_take(keep, np.cumsum(group["#counts"]) - group["#counts"], group["#counts"])
        name_parts.append({"#hash": hashes[keep], "#name": cells[0][keep].astype(StringDType()),
                           "#extra": cells[1][keep].astype(StringDType()), "#count": group["#counts"][keep],
                           "#many": group["flag." + _MANY][keep],
                           **{f: group["names." + f][at] for f in _NAME_FIELDS}})
        place = group["raw." + region]
        hashes = _hash_cells([place])
        keep = _first_of_each(hashes)
        region_parts.append({"#hash": hashes[keep], "#cell": place[keep].astype(StringDType()),
                             **{f: group[f][keep] for f in _REGION_FIELDS}})
        del group, cells, place
    # the same cells in several groups: the first group's kept
    hashes = np.concatenate([p["#hash"] for p in name_parts])
    keep = _first_of_each(hashes)
    count = np.concatenate([p["#count"] for p in name_parts])
    _, at = _ragged_take(keep, np.cumsum(count) - count, count)
    names = {f: np.concatenate([p[f] for p in name_parts])[at] for f in _NAME_FIELDS}
    count = count[keep]
    name_cells = _Cells(hashes[keep], (np.concatenate([p["#name"] for p in name_parts])[keep],
                                       np.concatenate([p["#extra"] for p in name_parts])[keep]))
    many = np.concatenate([p["#many"] for p in name_parts])[keep]
    del name_parts
    hashes = np.concatenate([p["#hash"] for p in region_parts])
    keep = _first_of_each(hashes)
    region_cells = _Cells(hashes[keep], (np.concatenate([p["#cell"] for p in region_parts])[keep],))
    regions = {f: np.concatenate([p[f] for p in region_parts])[keep] for f in _REGION_FIELDS}
    return Previous(side=side, today=info.today, rows=info.rows, name_cells=name_cells,
                    start=np.cumsum(count) - count, count=count, many=many, names=names,
                    region_cells=region_cells, regions=regions)


def _fit_text(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Text as wide as its widest value (at least one character), as numpy makes an array of them."""
    if values.dtype.kind != "U":
        return values
    width = max(1, int(np.strings.str_len(values).max())) if values.shape[0] else 1
    return values if values.dtype.itemsize == 4 * width else values.astype(f"<U{width}")


def _gather(old: npt.NDArray[Any], fresh: npt.NDArray[Any], at: npt.NDArray[np.int64]) -> npt.NDArray[Any]:
    """``concatenate([old, fresh])[at]`` without the concatenation, text as numpy's fixed-width text
    (as a fresh normalize makes it: ``old`` may hold it as object or ``StringDType``)."""
    mine = at < old.shape[0]
    taken = old[at[mine]]
    if fresh.dtype.kind == "U" and taken.dtype.kind != "U":  # as wide as its widest value (numpy's str() cast)
        width = max(1, int(np.strings.str_len(taken.astype(StringDType())).max())) if taken.shape[0] else 1
        taken = taken.astype(f"<U{width}")
    out = np.empty(at.shape[0], dtype=np.result_type(taken.dtype, fresh.dtype))
    out[mine] = taken
    out[~mine] = fresh[at[~mine] - old.shape[0]]
    return _fit_text(out)


def _names_job(previous: Previous, raw: RawTable, match: npt.NDArray[np.int64], second_process_from: int
               ) -> Callable[[_Background], NamesJob]:
    """The names of ``raw``'s rows: a matched row's from its distinct cells' names, the others' read."""
    extra = _extra_column(raw.side)

    def start(background: _Background) -> NamesJob:
        fresh = np.flatnonzero(match < 0)
        names, extras = raw.columns["name"], raw.columns[extra]
        job = names_and_many(raw.side, [names[i] for i in fresh.tolist()], [extras[i] for i in fresh.tolist()],
                             background if fresh.shape[0] >= second_process_from else None)

        def result() -> tuple[NameTable, npt.NDArray[np.bool_]]:
            read, read_many = job()
            n = match.shape[0]
            reused = match >= 0
            read_counts = np.bincount(read.record, minlength=fresh.shape[0]).astype(np.int64)
            start_at, count = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
            start_at[reused], count[reused] = previous.start[match[reused]], previous.count[match[reused]]
            start_at[fresh] = np.cumsum(read_counts) - read_counts + previous.names["kind"].shape[0]
            count[fresh] = read_counts
            rows, at = _ragged_take(np.arange(n, dtype=np.intp), start_at, count)
            many = np.zeros(n, dtype=bool)
            many[reused], many[fresh] = previous.many[match[reused]], read_many
            fields = {f: _gather(previous.names[f], getattr(read, f), at) for f in _NAME_FIELDS}
            return NameTable(record=rows.astype(np.int32), **fields), many

        return result

    return start


def _regions_job(previous: Previous, raw: RawTable, match: npt.NDArray[np.int64]) -> Callable[[], RegionColumns]:
    """The regions of ``raw``'s rows: a matched row's from its distinct cell's, the others' resolved."""

    def result() -> RegionColumns:
        fresh = np.flatnonzero(match < 0)
        cells = raw.columns[_region_column(raw.side)]
        read = resolve_regions([cells[i] for i in fresh.tolist()])
        reused = match >= 0
        out: dict[str, Any] = {}
        for field, attr in zip(_REGION_FIELDS, _REGION_ATTRS, strict=True):
            old = previous.regions[field]
            values = np.empty(match.shape[0], dtype=old.dtype)
            values[reused] = old[match[reused]]
            values[fresh] = np.asarray(getattr(read, attr), dtype=old.dtype)
            out[attr] = values.tolist() if attr == "label" else values
        return RegionColumns(**out)

    return result


def _update(
    raw: RawTable, previous: Previous, *, today: datetime.date, strict: bool, second_process_from: int,
    flag_shared_ids: bool,
) -> tuple[RecordTable, ResidentIdArrays, Reused]:
    if raw.side != previous.side:
        raise ValueError(f"normalize_update: a table of {raw.side}, a previous table of {previous.side}")
    extra, region = _extra_column(raw.side), _region_column(raw.side)
    names = previous.name_cells.find([np.array(raw.columns["name"], dtype=object),
                                      np.array(raw.columns[extra], dtype=object)])
    regions = previous.region_cells.find([np.array(raw.columns[region], dtype=object)])
    with _collector_paused():
        table, ids = _normalize(raw, strict=strict, today=today, second_process_from=second_process_from,
                                flag_shared_ids=flag_shared_ids,
                                names_of=_names_job(previous, raw, names, second_process_from),
                                regions_of=_regions_job(previous, raw, regions))
    return table, ids, Reused(len(raw), int((names < 0).sum()), int((regions < 0).sum()))


def normalize_update(
    raw: RawTable, previous: Previous, *, today: datetime.date, strict: bool = False,
    second_process_from: int = 200_000,
) -> tuple[RecordTable, Reused]:
    """:func:`reunite.normalize.normalize` of ``raw`` on ``today``, reading only the names and regions
    of cells no row of ``previous`` held (module docstring). The table is the one a fresh normalize
    gives, its report (``raw.report``, flags added) too."""
    table, _, reused = _update(raw, previous, today=today, strict=strict, second_process_from=second_process_from,
                               flag_shared_ids=True)
    return table, reused


def normalize_update_piece(
    raw: RawTable, previous: Previous, *, today: datetime.date, second_process_from: int = 200_000,
) -> tuple[RecordTable, ResidentIdArrays, Reused]:
    """:func:`reunite.normalize.normalize_piece` of one piece of an extract read piece by piece
    (:mod:`reunite.normalize.pieces`), reading only the names and regions of cells no row of
    ``previous`` held: every value the one :func:`reunite.normalize.normalize_piece` gives."""
    return _update(raw, previous, today=today, strict=False, second_process_from=second_process_from,
                   flag_shared_ids=False)
